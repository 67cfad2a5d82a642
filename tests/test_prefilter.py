"""The textual proof of cleanliness (``keraslint/prefilter.py``) never loses a finding.

Every source here is checked both ways: with the prefilter (``fast``) and by parsing
everything (``full``); the results must be identical. Sources with a finding must stay
findings; clean sources should be proven clean without parsing.
"""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import make_job
from keraslint.lexer import Doubt, call_arguments, read_value
from keraslint.runner import check_bytes
from keraslint.sources import parse

EXAMPLES = int(os.environ.get("KERASLINT_EXAMPLES", "300"))  # generated programs per property test


def both_ways(source: str, spec: str = "3.15", tensorflow: str | None = None):
    data = source.encode()
    fast = check_bytes(data, "x.py", make_job(spec, prefilter=True, tensorflow=tensorflow)).diagnostics
    full = check_bytes(data, "x.py", make_job(spec, prefilter=False, tensorflow=tensorflow)).diagnostics
    return fast, full


# Each has a finding that only a careful reading of the text keeps.
HIDDEN_FINDINGS = [
    "from keras import layers\nclass S:\n    def __init__(self, layers):\n        self.layers = layers\nlayers.Dense(4, 'reul')\n",
    "from keras.layers import Dense as D\nD(4, 'reul')\n",
    "from keras import layers\nD = layers.Dense\nD(4, 'reul')\n",
    "from keras import layers\nD = (\n    layers.Dense\n)\nD(4, 'reul')\n",
    "from keras import layers\nx = 1; D = layers.Dense\nD(4, 'reul')\n",
    "from keras import layers\nfrom keras.layers import (\n    Dense\n    as D)\nD(4, 'reul')\n",
    "from keras.layers import Dense as\\\nD\nD(4, 'reul')\n",
    "from keras.layers import (Dense as  # a comment\n    Dense2)\nDense2(4, 'reul')\n",
    "from keras import activations as acts\nacts.get('reul')\n",
    "from keras.activations import get\nget('reul')\n",
    "from keras.activations import get as g\ng('reul')\n",
    "import keras\nact = other = 'reul'\nkeras.layers.Dense(4, activation=act)\n",
    "import keras\nact = ('reul')\nkeras.layers.Dense(4, activation=act)\n",
    "import keras\ndef block(act: str = 'reul'):\n    return keras.layers.Dense(4, activation=act)\n",
    "import keras\ndef block(activation='reul'):\n    return keras.layers.Dense(4, activation=activation)\n",
    "import keras\nkeras.layers.Dense(4, activation=('reul'))\n",
    "import keras\nkeras.layers.Dense(4, activation='relu' 'tanh')\n",
    "import keras\nkeras.layers.Dense(4, activation='relu'\n    'tanh')\n",
    "import keras\nkeras.layers.Dense(4, activation = # comment\n    'reul')\n",
    "import keras\nkeras.layers.Dense(4, activation=\\\n'reul')\n",
    "import keras\nkeras.layers.Dense(4, activation='re\\x75l')\n",
    "import keras\nkeras.layers.Dense(4, activation=r'reul')\n",
    "import keras\nkeras.layers.Dense(4, activation=\"\"\"reul\"\"\")\n",
    "import keras\nkeras.layers.Dense(4, activation=True)\n",
    "import keras\nkeras.layers.Dense(4, activation=0)\n",
    "import keras\nkeras.layers.Dense(4, activation='')\n",
    "import keras\nkeras.layers.Dense(4, activation='relu ')\n",
    "import keras\nkeras.layers.Dense(4, activation='ReLU')\n",
    "import keras\nkeras.layers.Dense(4, activation={'class_name': 'reul', 'config': {}})\n",
    "import keras\nkeras.layers.Dense(4, **{'activation': 'reul'})\n",
    "import keras\nkeras.layers.Dense(4, 'reul')\n",
    "import keras\nkeras.layers.Dense(4, ('reul'))\n",
    "import keras\nkeras.layers.Dense(\n    4,  # units\n    'reul',\n)\n",
    "import keras\nkeras.layers.Dense(f(x, y), 'reul')\n",
    "import keras\nkeras.layers.Dense([1, 2][0], 'reul', use_bias=False)\n",
    "import keras\nkeras.layers.Activation('reul')\n",
    "import keras\nkeras.layers.Activation(name='a', activation='reul')\n",
    "import keras\nkeras.activations.get('reul')\n",
    "import keras\nkeras.activations.deserialize('reul')\n",
    "import keras\nkeras . activations . get ( 'reul' )\n",
    "import keras\nkeras.layers.LSTM(4, recurrent_activation='hard_sigmoidd')\n",
    "import keras\nkeras.layers.SimpleRNN(4, 'reul')\n",
    "import keras\nx = keras.layers.Conv2D(8, 3, 1, 'valid', 'channels_last', 1, 1, 'reul')\n",
    "import keras\nact = 'reul'\nkeras.layers.Activation(act)\n",
    "import keras\nact = 'reul'\nkeras.layers.Dense(4, act)\n",
    "from tensorflow import keras\ndef mine(x):\n    return x\nkeras.layers.Dense(4, activation='mine')\n",
    "import tensorflow as tf\nfrom tensorflow import keras\ndef sp(x):\n    return tf.math.log(1 + tf.math.exp(x))\n"
    "keras.layers.Dense(4, activation=sp)\n",
    "import tensorflow as tf\nfrom tensorflow import keras\nkeras.layers.Dense(4, activation=lambda x: tf.exp(x) / tf.reduce_sum(tf.exp(x)))\n",
    "import keras\nkeras.activations.relu(x, alpha=0.1)\n",
    "import keras\nkeras.layers.LeakyReLU(alpha=0.1)\n",
    "from keras.activations import relu\nrelu(x, alpha=0.1)\n",
    "from keras.activations import relu as r\nr(x, alpha=0.1)\n",
    "import keras\nkeras.activations.reul(x)\n",
    "from keras.activations import reul\n",
    "from keras.activations import (\n    relu,\n    reul,\n)\n",
    "from keras.activations import *\nget('reul')\n",
    "from keras import layers\nlayers.activations.relu\n",
    "from keras import layers as L\nL.activations\n",
    "import tensorflow as tf\nL = tf.keras.layers\nL.activations\n",
    "import keras\nkeras.layers.Dense(4, kernel_initializer='glorot_unifrom')\n",
    "import keras\nkeras.layers.Dense(4, bias_regularizer=('l3'))\n",
    "import keras\nkeras.initializers.get('he_normall')\n",
    "from keras.losses import get\nget('msee')\n",
    "from keras import losses as L\nL . get('msee')\n",
    "import keras\nm = keras.Sequential()\nm.compile(loss='msee')\n",
    "import keras\nm = keras.Sequential()\nm.compile(optimizer='adam', loss={'out': 'msee'})\n",
    "import keras\nm = keras.Sequential()\nm.compile(loss='mse', metrics=['accuracy', 'acuracy'])\n",
    "import keras\nm = keras.Sequential()\nm.compile(loss='mse', metrics=['mae' 'mse'])\n",
    "import keras\nm = keras.Sequential()\nm.compile(optimizer='adamw', loss='mse')\n",
    "import tf_keras as keras\nkeras.layers.Dense(4, activation='silu')\n",
]


@pytest.mark.parametrize("source", HIDDEN_FINDINGS)
def test_hidden_findings_are_kept(source):
    fast, full = both_ways(source)
    if not full:  # a few only find something for an older target
        fast, full = both_ways(source, "2.3")
    assert full, "the example should have a finding"
    assert fast == full


@pytest.mark.parametrize("source", [
    "import keras\nkeras.layers.Dense(4, activation='relu')\n",
    'import keras\ndef f():\n    """Use keras.layers.Dense(4, activation="reul")."""\n    # activation="reul"\n',
    "import keras\nkeras.layers.Dense(4, activation='relu', name=f'dense_{i}')\n",
    "import keras\nimport tensorflow_addons as tfa\nkeras.layers.Dense(4, activation=tfa.activations.mish)\n",
    "import keras\nfrom tensorflow_addons.activations import mish\n",
    "import keras\nm = keras.Sequential()\nm.compile(optimizer=keras.optimizers.Adam(hp.Choice('lr', [1e-3])), loss='mse')\n",
    "import keras\nkeras.layers.Dense(4, activation=None, kernel_initializer='he_normal')\n",
    "import keras\nkeras.layers.Dense(4)\nkeras.layers.Conv2D(8, 3, padding='same')\n",
    "import keras\nimport tensorflow as tf\nkeras.layers.Dense(4, activation=tf.nn.relu)\n",
    "import keras\ndef block(x, activation='relu'):\n    return keras.layers.Dense(4, activation=activation)(x)\n",
    "import keras\nkeras.layers.Dense(4, activation=get_activation('gelu'))\n",
    "import keras\nm = keras.Sequential()\nm.compile(optimizer='adam', loss={'out': 'mse'}, metrics=['accuracy'])\n",
    "import keras\nkeras.layers.Activation('softmax')\nkeras.activations.relu(x, negative_slope=0.1)\n",
    "from keras.layers import Dense as Dense\nimport keras.optimizers as optimizers\nDense(4, 'relu')\n",
])
def test_clean_sources_are_proven_clean_without_parsing(source, monkeypatch):
    import keraslint.checker as checker

    def must_not_parse(*args, **kwargs):
        raise AssertionError("parsed a file the prefilter should have proven clean")

    monkeypatch.setattr(checker, "check_text", must_not_parse)
    assert check_bytes(source.encode(), "x.py", make_job()).diagnostics == []


def test_call_arguments_split_top_level_arguments():
    text = "f(a, b=(1, 2), *c, d[0], e=g(h, i), **k)"
    arguments = call_arguments(text, 2)
    assert [(k, text[s:e]) for k, s, e in arguments] == [
        (None, "a"), ("b", "(1, 2)"), ("*", "*c"), (None, "d[0]"), ("e", "g(h, i)"), ("**", "**k"),
    ]


def test_call_arguments_doubt_an_unclosed_call():
    with pytest.raises(Doubt):
        call_arguments("f(a, 'b", 2)


@pytest.mark.parametrize("text, expected", [
    ("'relu')", ("literal", "relu")),
    ("(('relu'))", ("literal", "relu")),
    ("act,", ("name", "act")),
    ("None)", ("other", "")),
    ("tf.nn.relu)", ("other", "")),
    ("get('x'))", ("other", "")),
])
def test_read_value(text, expected):
    assert read_value(text, 0) == expected


@pytest.mark.parametrize("text", ["'a' 'b'", "True", "lambda x: x", "1", "{}", "f'{d[", "'a\\n'", "b'x'", "'''x'''"])
def test_read_value_doubts_what_is_not_a_plain_value(text):
    with pytest.raises(Doubt):
        read_value(text, 0)


# Generated programs: random mixes of sites, bindings and aliases with valid and invalid names.
NAMES = ["relu", "reul", "ReLU", "gelu", "silu", "swish", "relu ", "", "mine", "glorot_uniform", "he_normall",
         "mse", "msee", "adam", "adamw", "accuracy", "l2", "l3", "softmax", "hard_sigmoid"]
TEMPLATES = [
    "layers.Dense(4, activation={v})",
    "layers.Dense(4, {v})",
    "layers.Dense(units=4, activation={n})",
    "layers.Activation({v})",
    "layers.Activation({n})",
    "layers.LSTM(4, recurrent_activation={v})",
    "{n} = {v}",
    "{n} = other = {v}",
    "def block(x, {n}={v}):\n    return layers.Dense(4, activation={n})(x)",
    "def {n}(x):\n    return x",
    "D = layers.Dense",
    "from keras.layers import Dense as {n}",
    "{n}(4, {v})",
    "activations.get({v})",
    "activations.{w}",
    "from keras.activations import {w}",
    "layers.Dense(4, kernel_initializer={v})",
    "initializers.get({v})",
    "model.compile(optimizer={v}, loss={v}, metrics=[{v}])",
    "model.compile(loss={{'out': {v}}})",
    "layers.LeakyReLU(alpha=0.2)",
    "activations.relu(x, negative_slope=0.1)",
    "print({v})",
    "x = {v} {v}",
    '"""Docstring: layers.Dense(4, activation={v}); from keras.layers import Dense as D."""',
    "# layers.Dense(4, activation={v}) and {n} = {v}",
    "layers.Dense(4, activation={v}, name=f'dense_{{x}}')",
    "layers.Dense(4, activation={n}, name=f'{{{n}}}')",
    "tfa.activations.{w}",
    "import tensorflow.keras as K\nK.activations.{w}",
    "model.compile(optimizer=optimizers.Adam(learning_rate=0.1), loss=[{v}], metrics=[metrics.get({v}), {v}])",
    "s = '#' + {v}; layers.Activation({v})",
    "layers.GroupNormalization(4)",
    "optimizers.AdamW(learning_rate=1e-3)",
    "layers.experimental.preprocessing.Rescaling(1.0)",
    "from keras.layers import ReLU, GroupNormalization",
    "from tensorflow.keras.optimizers import AdamW",
    "tf.keras.layers.LeakyReLU(negative_slope=0.2)",
    "tf.keras.layers.Dense(4, activation={v})",
    "Dense(64, init={v})",
    "optimizers.Adam(lr=0.001)",
    "optimizers.SGD(learning_rate=0.1, momentum=0.9)",
    "lr = 0.01",
    "layers.Dense(4, kernel_initializer={n})",
    "model.compile(optimizer='adam', loss={n}, metrics=[{n}, 'mae'])",
    "def build(x, {n}={v}):\n    model.compile(loss={n})",
    "def build(x, {n}: str = {v}):\n    return layers.Dense(4, bias_initializer={n})(x)",
    "def block(x, {n}):\n    return layers.Dense(4, activation={n})(x)\nblock(None, {v})",
    "def make(x, {n}):\n    model.compile(optimizer='adam', loss={n})\nmake(x, {n}={v})\nmake(x, {v})",
]


@st.composite
def programs(draw):
    header = draw(st.sampled_from([
        "import keras\nfrom keras import layers, activations, initializers, optimizers, metrics\n",
        "from tensorflow.keras import layers, activations, initializers, optimizers, metrics\n",
        "import tf_keras as keras\nfrom tf_keras import layers, activations, initializers, optimizers, metrics\n",
        "import keras_core as keras\nfrom keras_core import layers, activations, initializers, optimizers, metrics\n",
        "import tensorflow as tf\nfrom keras import layers, activations, initializers, optimizers, metrics\n",
    ]))
    lines = []
    for template in draw(st.lists(st.sampled_from(TEMPLATES), min_size=1, max_size=5)):
        value = repr(draw(st.sampled_from(NAMES)))
        word = draw(st.sampled_from([n for n in NAMES if n.isidentifier()]))
        name = draw(st.sampled_from(["act", "activation", "fn", "mine"]))
        lines.append(template.format(v=value, n=name, w=word))
    return header + "\n".join(lines) + "\n"


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.sampled_from(["1.2.2", "2.3", "2.15", "3.15"]), st.sampled_from([None, "1.15", "2.4"]))
def test_prefilter_agrees_on_generated_programs(source, spec, tensorflow):
    fast, full = both_ways(source, spec, tensorflow)
    assert fast == full


# Statements broken where Python allows it: a line continuation, a space or a tab between any
# two tokens of a line; a newline, a blank line or a comment between tokens inside brackets.
BREAKS = [" \\\n ", "\\\n", " ", "\t"]
BRACKETED_BREAKS = ["\n", "\n\n", "  # note\n  "]
BROKEN_EXAMPLES = HIDDEN_FINDINGS + [
    "import keras as K\nK.activations.gelu\n",
    "import tensorflow as tf\nK = tf.keras\nK.activations.gelu\n",
    "import keras\nkeras.layers.Dense(4, activation='reul')\n",
    "import keras\nkeras.layers.Dense(4, kernel_initializer='he_normall')\n",
    "import keras\nkeras.activations.relu(x, alpha=0.1)\n",
    "import keras\nm = keras.Sequential()\nm.compile(optimizer='adamm', loss='msee')\n",
    "import keras\nkeras.layers.Activation('reul')\n",
]


def token_gaps(source: str) -> list[tuple[int, bool]]:
    """(offset, inside brackets) of each place between two tokens of one line."""
    import io
    import tokenize

    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    line_starts = [0]
    for line in source.split("\n"):
        line_starts.append(line_starts[-1] + len(line) + 1)
    skipped = (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
    gaps, depth = [], 0
    for before, after in zip(tokens, tokens[1:]):
        depth += before.type == tokenize.OP and before.string in "([{"
        depth -= before.type == tokenize.OP and before.string in ")]}"
        if before.type not in skipped and after.type not in skipped and before.end[0] == after.start[0]:
            gaps.append((line_starts[before.end[0] - 1] + before.end[1], depth > 0))
    return gaps


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from(BROKEN_EXAMPLES), st.sampled_from(["2.3", "3.15"]), st.data())
def test_prefilter_agrees_on_statements_broken_anywhere(source, spec, data):
    offset, bracketed = data.draw(st.sampled_from(token_gaps(source)))
    broken = source[:offset] + data.draw(st.sampled_from(BREAKS + (BRACKETED_BREAKS if bracketed else []))) + source[offset:]
    assume(not isinstance(parse(broken), tuple))
    fast, full = both_ways(broken, spec)
    assert fast == full


# Other spellings of one string literal: prefixes, triple quotes, parentheses, expressions.
SPELLINGS = ["r{q}{v}{q}", "u{q}{v}{q}", "{q}{q}{q}{v}{q}{q}{q}", "({q}{v}{q})", "(\n{q}{v}{q}\n)", "({q}{v}{q},)[0]",
             "{q}{v}{q} if True else {q}{v}{q}", "str({q}{v}{q})", "{q}{v}{q}.lower()", "f{q}{v}{q}", "b{q}{v}{q}"]


def plain_strings(source: str) -> list[tuple[int, int, str]]:
    """(start, end, value) of each string token without prefix or triple quotes."""
    import io
    import tokenize

    line_starts = [0]
    for line in source.split("\n"):
        line_starts.append(line_starts[-1] + len(line) + 1)
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        text = token.string
        if token.type == tokenize.STRING and text[0] in "'\"" and text[:3] not in ("'''", '"""'):
            start = line_starts[token.start[0] - 1] + token.start[1]
            found.append((start, start + len(text), text[1:-1]))
    return found


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from(BROKEN_EXAMPLES + [t.format(v="'reul'", n="act", w="reul") for t in TEMPLATES]),
       st.sampled_from(["2.3", "3.15"]), st.sampled_from(SPELLINGS), st.sampled_from(["'", '"']), st.data())
def test_prefilter_agrees_on_other_spellings_of_a_string(source, spec, spelling, quote, data):
    strings = plain_strings(source)
    assume(strings)
    start, end, value = data.draw(st.sampled_from(strings))
    if quote in value:
        quote = "'" if quote == '"' else '"'
    respelled = source[:start] + spelling.format(q=quote, v=value) + source[end:]
    assume(not isinstance(parse(respelled), tuple))  # syntax errors are reported for parsed files only
    fast, full = both_ways(respelled, spec)
    assert fast == full


def _semicolon_joined(source: str) -> str:
    lines = source.rstrip("\n").split("\n")
    return "\n".join(lines[:-2] + ["; ".join(lines[-2:])]) + "\n" if len(lines) > 1 else source


# The same program inside a block, with other line endings, a BOM, a cookie, or two statements on a line.
REWRAPPINGS = [
    lambda s: "if True:\n" + textwrap.indent(s, "    "),
    lambda s: "def outer():\n" + textwrap.indent(s, "    "),
    lambda s: "class Outer:\n" + textwrap.indent(s, "    "),
    lambda s: "try:\n" + textwrap.indent(s, "    ") + "except ImportError:\n    pass\n",
    lambda s: s.replace("\n", "\r\n"),
    lambda s: s.replace("\n", "\r"),
    lambda s: "\ufeff" + s,
    lambda s: "# -*- coding: utf-8 -*-\n" + s,
    _semicolon_joined,
]


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from(BROKEN_EXAMPLES + [t.format(v="'reul'", n="act", w="reul") for t in TEMPLATES]),
       st.sampled_from(["2.3", "3.15"]), st.sampled_from(REWRAPPINGS))
def test_prefilter_agrees_on_rewrapped_programs(source, spec, rewrap):
    rewrapped = rewrap(source)
    assume(not isinstance(parse(rewrapped), tuple))
    fast, full = both_ways(rewrapped, spec)
    assert fast == full


SHIMS = [
    "from keras.layers import Dense as D, LeakyReLU as Leaky\nfrom keras import activations as acts, losses as L\n",
    "from keras.layers import Dense, LeakyReLU\nfrom keras import activations, losses\n",
    "from tensorflow import keras as K\n",
    "D = Leaky = acts = L = K = None\n",
    "from keras.layers import Dense as Dense, LeakyReLU as LeakyReLU\nimport keras.activations as activations\n",
    ("from keras.layers import Dense as\\\r\n    D, LeakyReLU \\\r\n as Leaky\r\nfrom keras import (activations  # c\r\n as acts,"
     " losses as L)\r\nfrom tensorflow import \\\r\n keras as K\r\n"),  # continuations, comments, CRLF
    ("try:\n    from keras.layers import Dense as D, LeakyReLU as Leaky\n    from keras import activations as acts, losses as L\n"
     "    from tensorflow import keras as K\nexcept ImportError:\n    D = Leaky = acts = L = K = None\n"),
]
USERS = [
    "D(4, 'reul')", "D(4, activation='reul')", "Dense(4, 'reul')", "Leaky(alpha=0.1)", "LeakyReLU(alpha=0.1)",
    "acts.get('reul')", "acts.reul", "activations.reul", "L.get('msee')", "losses.get('msee')",
    "K.layers.Dense(4, 'reul')", "K.activations.reul",
]


def project_findings(root: Path, shim: str, user: str, prefilter: bool) -> list:
    """Findings of a two-module package: ``pkg/shim.py`` and ``pkg/user.py`` importing from it."""
    from keraslint.discover import discover
    from keraslint.runner import check_project

    (root / "pkg").mkdir(exist_ok=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "shim.py").write_text(shim)
    (root / "pkg" / "user.py").write_text(user)
    results = check_project(discover([root / "pkg"], ()), make_job(prefilter=prefilter), workers=1)
    return [(d.code, d.location) for r in results for d in r.diagnostics]


@pytest.mark.parametrize("shim", SHIMS)
@pytest.mark.parametrize("use", USERS)
@pytest.mark.parametrize("importing", ["from .shim import *", "from .shim import {name}", "from pkg.shim import {name}"])
def test_project_reexports_keep_findings(tmp_path, shim, use, importing):
    """A file that reaches Keras only through a project module: the same findings both ways."""
    user = importing.format(name=use.split("(")[0].split(".")[0]) + "\n" + use + "\n"
    assert project_findings(tmp_path, shim, user, True) == project_findings(tmp_path, shim, user, False)


@pytest.mark.parametrize("shim", [SHIMS[0], SHIMS[-2], SHIMS[-1]])
@pytest.mark.parametrize("use", ["D(4, 'reul')", "Leaky(alpha=0.1)", "acts.get('reul')", "L.get('msee')"])
def test_project_reexports_are_followed(tmp_path, shim, use):
    """Such files do reach Keras, so the agreement above means something."""
    user = f"from .shim import {use.split('(')[0].split('.')[0]}\n{use}\n"
    assert project_findings(tmp_path, shim, user, False)


# Project functions whose parameters reach Keras (issue #17, class 4), and calls of them from
# another module: the prefilter reads the module's text for what may be a sink.
SINK_MODULES = [
    # keyword default and positional parameters reaching compile() and a layer
    "import keras\nfrom keras import layers\n\ndef build(inputs, loss, activation='relu', optimizer='adam'):\n"
    "    x = layers.Dense(4, activation=activation)(inputs)\n    m = keras.Model(inputs, x)\n"
    "    m.compile(optimizer=optimizer, loss=loss, metrics=['accuracy'])\n    return m\n",
    # keyword-only, a getter, the positional activation slot of Dense
    "import keras\n\ndef build(x, *, loss='mse', activation=None):\n    keras.losses.get(loss)\n"
    "    return keras.layers.Dense(4, activation)(x)\n",
    # one parameter at sites of two kinds, or checked first: no sink for the checker, doubt for the prefilter
    "import keras\n\ndef build(x, loss, activation='relu'):\n    if loss not in ('mse', 'mae'):\n        raise ValueError(loss)\n"
    "    keras.layers.Dense(4, activation=loss)\n    keras.Model(x, x).compile(loss=loss)\n",
    # a method and a nested function: not importable as such
    "import keras\n\nclass Builder:\n    def build(self, loss):\n        keras.Model().compile(loss=loss)\n\n"
    "def outer():\n    def build(loss):\n        keras.Model().compile(loss=loss)\n    return build\n",
]
SINK_USES = [
    "from .shim import build\nbuild(None, 'dice_los')\n",
    "from .shim import build\nbuild(None, loss='categorical_crossentopy', activation='reul')\n",
    "from .shim import build\nbuild(None, 'mse', 'relu', 'adamm')\n",
    "from .shim import build\nbuild(None, 'mse', 'relu', 'rmsprop')\n",
    "from .shim import build\nbuild(*args, 'reul')\nbuild(None, *rest, loss='msee')\n",
    "from .shim import build as make\nmake(None, loss='msee')\n",
    "from . import shim\nshim.build(None, loss='msee')\n",
    "from .shim import build\nbuild(None, loss='ms' 'ee')\n# build(None, loss='msee')\n",
]


@pytest.mark.parametrize("module", SINK_MODULES, ids=range(len(SINK_MODULES)))
@pytest.mark.parametrize("use", SINK_USES, ids=range(len(SINK_USES)))
def test_strings_passed_to_project_functions_agree(tmp_path, module, use):
    """Strings handed to a function of another project module: the same findings both ways."""
    assert project_findings(tmp_path, module, use, True) == project_findings(tmp_path, module, use, False)


@pytest.mark.parametrize("module, use, expected", [
    (0, 0, ["KL401"]), (0, 1, ["KL401", "KL101"]), (0, 2, ["KL401"]), (0, 3, []), (0, 5, ["KL401"]),
    (1, 1, ["KL401", "KL101"]), (1, 0, []), (2, 1, []), (3, 0, []),
])
def test_strings_passed_to_project_functions_are_followed(tmp_path, module, use, expected):
    """So the agreement above means something: which of those calls are findings."""
    found = project_findings(tmp_path, SINK_MODULES[module], SINK_USES[use], False)
    assert [code for code, _ in found] == expected


# Generated two-module packages: a function whose parameters reach sites of random kinds, and
# calls of it from another module with random arguments, import forms and strings.
SINK_USES_OF = {
    "activation": "    keras.layers.Dense(4, activation={p})(x)\n",
    "positional": "    keras.layers.Dense(4, {p})(x)\n",
    "initializer": "    keras.layers.Dense(4, kernel_initializer={p})(x)\n",
    "loss": "    keras.Model(x, x).compile(loss={p})\n",
    "metrics": "    keras.Model(x, x).compile(loss='mse', metrics=[{p}, 'mae'])\n",
    "getter": "    keras.losses.get({p})\n",
    "checked": "    if {p} != 'mse':\n        raise ValueError({p})\n",
}
STRINGS = ["relu", "reul", "mse", "msee", "glorot_uniform", "glorot_unifrom", "accuracy", "acuracy", "", "x y"]


@st.composite
def flow_packages(draw):
    parameters = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True))
    keyword_only = draw(st.booleans())
    defaults = draw(st.integers(0, len(parameters)))  # the last ones have a default
    signature = ", ".join(["x", *(["*"] if keyword_only else []), *(
        f"{p}={draw(st.sampled_from(STRINGS))!r}" if index >= len(parameters) - defaults else p
        for index, p in enumerate(parameters))])
    body = "".join(SINK_USES_OF[draw(st.sampled_from(sorted(SINK_USES_OF)))].format(p=p)
                   for p in parameters for _ in range(draw(st.integers(1, 2))))
    module = f"import keras\n\n\ndef build({signature}):\n{body}    return x\n"
    alias = draw(st.sampled_from(["build", "make"]))
    importing = "from .shim import build\n" if alias == "build" else "from .shim import build as make\n"
    calls = []
    for _ in range(draw(st.integers(1, 3))):
        arguments, by_keyword = ["None"], keyword_only
        for p in parameters:
            value = repr(draw(st.sampled_from(STRINGS)))
            by_keyword = by_keyword or draw(st.booleans())  # no positional argument after a keyword one
            arguments.append(f"{p}={value}" if by_keyword else value)
        if draw(st.booleans()):
            arguments.insert(1, "*rest")
        calls.append(f"{alias}({', '.join(arguments)})\n")
    return module, importing + "".join(calls)


@settings(max_examples=max(20, EXAMPLES // 10), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                    HealthCheck.function_scoped_fixture])
@given(flow_packages())
def test_generated_flows_across_modules_agree(tmp_path_factory, package):
    module, user = package
    root = tmp_path_factory.mktemp("flow")
    assert project_findings(root, module, user, True) == project_findings(root, module, user, False)


def test_code_regions():
    from keraslint.lexer import CodeRegions

    text = 'x = "a#b"  # c "d"\n"""doc\nstring"""\ny = 1\n'
    code = CodeRegions(text)
    assert code(text.index("x")) and code(text.index('"a')) and code(text.index("y"))
    assert not code(text.index("#b")) and not code(text.index("c ")) and not code(text.index("string"))
    stray = CodeRegions('x = "never closed\n# comment\n')
    assert stray(len('x = "never closed\n# c'))  # a text that does not parse: everything counts
    nested = 'f"{d["k"]}"  # x'  # Python 3.12 nesting: the f-string token ends early
    assert CodeRegions(nested)(nested.index("x"))


# IPython syntax a notebook cell may hold around the code (lines, then cell magics that open a cell).
MAGIC_LINES = ["%matplotlib inline", "!pip install keras \\\n    keras-hub -q", "files = !ls", "model.summary?",
               "%time x = 1", "  # which one?", "x = ('%s' \\\n% 'a')"]
CELL_MAGICS = ["", "", "%%time\n", "%%capture out\n", "%%timeit -n1\n", "%%writefile m.py\n", "%%bash\n"]


def as_notebook(cells: list[str]) -> bytes:
    document = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                           "source": cell.splitlines(keepends=True)} for cell in cells],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1).encode()


@pytest.mark.slow
@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.sampled_from(["2.15", "3.15"]), st.data())
def test_prefilter_agrees_on_notebook_cells_with_magics(source, spec, data):
    lines = source.rstrip("\n").split("\n")
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(lines) - 1)), max_size=3)))
    cells = [lines[a:b] for a, b in zip([0, *cuts], [*cuts, len(lines)])]
    texts = []
    for cell in cells:
        for _ in range(data.draw(st.integers(0, 2))):
            cell.insert(data.draw(st.integers(0, len(cell))), data.draw(st.sampled_from(MAGIC_LINES)))
        texts.append(data.draw(st.sampled_from(CELL_MAGICS)) + "\n".join(cell) + "\n")
    raw = as_notebook(texts)
    fast = check_bytes(raw, "x.ipynb", make_job(spec, prefilter=True)).diagnostics
    full = check_bytes(raw, "x.ipynb", make_job(spec, prefilter=False)).diagnostics
    assert fast == full
