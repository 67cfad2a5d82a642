"""Every pattern the lexer and the site judges read source with, against a table of texts it must
and must not match; and the lexer's readers on the cases that decide between reading and doubt."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keraslint import lexer, prefilter
from keraslint.lexer import CodeRegions, Doubt, call_arguments, imported_names, join_continuations, tokens_from

P = prefilter
# pattern -> [(text, what ``search`` finds: the match, the groups that matter, or None)]
TABLE: dict[str, tuple[re.Pattern[str], list[tuple[str, object]]]] = {
    "ACTIVATION_KEYWORD": (P.ACTIVATION_KEYWORD, [
        ('Dense(4, activation="relu")', "activation="), ("activation : str = 'relu'", "activation : str ="),
        ('{"activation": "relu"}', 'activation":'), ("{'''activation''' : 1}", "activation''' :"),
        ('("activation"  # why\n): 1', 'activation"  # why\n):'),
        ("if activation == 'relu':", None), ("recurrent_activation", None), ('"activation"', None),
    ]),
    "CALL_PAREN": (P.CALL_PAREN, [(" (", " ("), ("\n(", "\n("), ("x", None)]),
    "ACTIVATION_GETTER": (P.ACTIVATION_GETTER, [
        ("activations.get(", "activations.get("), ("activations . deserialize (", "activations . deserialize ("),
        ("activations.relu(", None),
    ]),
    "ACTIVATIONS_ATTRIBUTE": (P.ACTIVATIONS_ATTRIBUTE, [
        ("keras.activations.swishh", ("swishh",)), ("activations . relu", ("relu",)), ("activations.1", None),
    ]),
    "CALL_NAME": (P.CALL_NAME, [("build (x)", ("build",)), ("a.b(", ("b",)), ("build", None)]),
    "BINDING": (P.BINDING, [("init = 'x'", ("init", "=")), ("loss: str", ("loss", ":")), ("x[1]", None)]),
    "DEFINITION": (P.DEFINITION, [
        ("def build(x):", ("build", None)), ("def call(self, x):", ("call", "self")), ("define(", None),
    ]),
    "LEARNING_RATE_SITES": (P.LEARNING_RATE_SITES[0][1], [("lr=0.1", "lr="), ("lr == 0.1", None)]),
    "API_ATTRIBUTES": (P.API_ATTRIBUTES[0][1], [("layers.Dense", ("Dense",)), ("layers . ReLU", ("ReLU",)), ("layers", None)]),
    "IDENTIFIER_KEYWORDS": (P.IDENTIFIER_KEYWORDS[0], [
        ("kernel_initializer='x'", "_initializer="), ("W_regularizer = l2", "_regularizer ="),
        ("bias_constraint == c", None),
    ]),
    "IDENTIFIER_KEYWORDS[init]": (P.IDENTIFIER_KEYWORDS[1], [("inner_init='x'", "init="), ("init == 1", None)]),
    "COMPILE_CALL": (P.COMPILE_CALL, [("model.compile(", ".compile("), ("re . compile (", ". compile ("), ("compile(", None)]),
    "GET_CALL": (P.GET_CALL, [("losses.get(", ".get("), ("get(", None)]),
    "IMPORT": (P.IMPORT, [("from a import b", "import"), ("importlib", None)]),
    "AS": (P.AS, [("Dense as D", " as "), ("Dense as\\\n D", " as\\"), ("class", None)]),
    "AS_OPENING_LINE": (P.AS_OPENING_LINE, [("(Dense\n    as D)", "\n    as "), ("\nassert", None)]),
    "AS_AFTER_TAB": (P.AS_AFTER_TAB, [("Dense\tas D", "\tas "), ("Dense as D", None)]),
    "ALIAS_NAME": (P.ALIAS_NAME, [("  D)", ("D",)), ("\\\n D", ("D",)), (" 1", None)]),
    "ASSIGNED_NAME": (P.ASSIGNED_NAME, [
        ("D = layers.Dense\n", (None, "layers.Dense")), ("D = (layers\n    .Dense)\n", ("layers\n    .Dense", None)),
        ("D = layers.Dense  # note\n", (None, "layers.Dense  ")), ("D = Dense(4)\n", None),
        ("x == y\n", (None, "y")),  # the second ``=``: STATEMENT_START then finds no name before it
    ]),
    "BROKEN_LINE": (P.BROKEN_LINE, [
        ('activation\n = "reul"', "\n ="), ("x\n    .Dense", "\n    .D"), ("x\n  as y", "\n  as "),
        ("a\n == b", None), ("a\n b", None),
    ]),
    "STATEMENT_START": (P.STATEMENT_START, [("D", "D"), ("x = 1; D ", "; D "), ("a.D", None)]),
    "TOP_LEVEL_DEF": (P.TOP_LEVEL_DEF, [
        ("def build(x):", ("build",)), ("x = 1\nasync def run (", ("run",)), ("    def call(self):", None),
    ]),
    "FROM_IMPORT": (P.FROM_IMPORT, [("from .models import a", "from .models import"), ("import os", None)]),
    "COMMENT": (P.COMMENT, [("layers # x\n.Dense", "# x"), ("layers", None)]),
    "calls_of": (P.calls_of(frozenset({"relu", "LeakyReLU"})), [
        ("LeakyReLU (", "LeakyReLU"), ("relu(x)", "relu"), ("relu", None),
    ]),
    "calls_of[prefix]": (P.calls_of(("Conv",), prefix=True), [("Conv2D(", "Conv2D"), ("Conv2D", None)]),
    "attribute_named": (P.attribute_named("activations"), [
        ("layers.activations.ReLU", ".activations"), ("layers.activations_x", None),
    ]),
    "imported_by_name": (P.imported_by_name("K"), [
        ("from .backend import K", "import K"), ("from .b import (\n  x,\n  K)", "import (\n  x,\n  K"),
        ("from .b import *", "import *"), ("from .b import Kx", None), ("K = 1", None),
    ]),
    "binding_of": (P.binding_of("K", "keras"), [
        ("import tensorflow.keras as K", "keras as K"), ("K = tf.keras", "K = tf.keras"), ("K == keras", None),
    ]),
    "_TOKEN": (lexer._TOKEN, [('f"a{b}"', 'f"a{b}"'), ("# c", "# c"), ("\\\n", "\\\n"), ("12.5e3", "12.5e3")]),
    "_STRING_OR_COMMENT": (lexer._STRING_OR_COMMENT, [
        ("x = 'a#b'  # c", "'a#b'"), ('"""a\n"""', '"""a\n"""'), ("it's", "'"), ("x = 1", None),
    ]),
    "CONTINUATION": (lexer.CONTINUATION, [("a \\\nb", "\\\n"), ("a \\\r\nb", "\\\r\n"), ("a \\ b", None)]),
    "FIRST_WORD": (lexer.FIRST_WORD, [("  loss=None", ("loss",)), ("*", None)]),
}


def _found(pattern: re.Pattern[str], text: str) -> object:
    match = pattern.search(text)
    if match is None:
        return None
    return match.groups() if pattern.groups and not pattern.groupindex else match.group()


@pytest.mark.parametrize("name, text, expected",
                         [(name, text, expected) for name, (_, rows) in TABLE.items() for text, expected in rows])
def test_pattern_table(name, text, expected):
    assert _found(TABLE[name][0], text) == expected


def _module_patterns(module) -> dict[str, re.Pattern[str]]:
    found = {}
    for name, value in vars(module).items():
        if isinstance(value, re.Pattern):
            found[name] = value
        elif isinstance(value, tuple) and value and all(isinstance(v, (re.Pattern, tuple)) for v in value):
            found[name] = next(v if isinstance(v, re.Pattern) else v[1] for v in value)
        elif callable(value) and getattr(value, "__module__", "") == module.__name__ and name in TABLE:
            found[name] = TABLE[name][0]
    return found


@pytest.mark.parametrize("module", [lexer, prefilter], ids=lambda m: m.__name__)
def test_every_pattern_is_commented_and_in_the_table(module):
    """A pattern added without rows here, or without ``re.VERBOSE`` (room for comments), fails."""
    for name, pattern in _module_patterns(module).items():
        assert name in TABLE, f"{module.__name__}.{name} has no rows in TABLE"
        assert pattern.flags & re.VERBOSE, f"{module.__name__}.{name} is not re.VERBOSE"
    for factory in ("calls_of", "attribute_named", "binding_of", "imported_by_name"):
        assert TABLE[factory][0].flags & re.VERBOSE


@pytest.mark.parametrize("text, kinds", [
    ("f(a, b='x')", ["name", "open", "name", "op", "name", "op", "string", "close"]),
    ("x  # c\n+ 1", ["name", "other", "other"]),
    ("a \\\n .b", ["name", "op", "name"]),
])
def test_tokens_skip_spaces_and_comments(text, kinds):
    assert [kind for kind, _ in tokens_from(text, 0)] == kinds


@pytest.mark.parametrize("text", ["x = 'open", 'f"{d["k"]}"'])
def test_tokens_doubt_what_may_not_be_read_as_python_reads_it(text):
    with pytest.raises(Doubt):
        list(tokens_from(text, 0))


def test_code_regions_tell_code_from_strings_and_comments():
    text = "a = 'x#y'  # z\nb"
    code = CodeRegions(text)
    assert [code(i) for i in (0, 4, 6, 12, 15)] == [True, True, False, False, True]
    assert all(CodeRegions("it's (\n")(i) for i in range(7))  # a stray quote: everything may be code


def test_continuations_are_joined_in_code_only():
    text = "f(a, \\\n b)  # c \\\n"
    code = CodeRegions(text)
    assert join_continuations(text, code) == "f(a,    b)  # c \\\n"
    assert len(join_continuations(text)) == len(text)


def test_call_arguments_and_imported_names():
    assert [(k, s) for k, s, _ in call_arguments("(x, *a, k=1, **kw)", 1)] == [(None, 1), ("*", 4), ("k", 10), ("**", 13)]
    assert [(k, s) for k, s, _ in call_arguments("(x, *a, k=f(", 1, positional=True)] == [(None, 1), ("*", 4)]
    assert [(k, s) for k, s, _ in call_arguments("(x, **kw, y)", 1, positional=True)] == [(None, 1)]
    assert imported_names("import (Dense as D,\n ReLU)", 6) == ["Dense", "ReLU"]
    assert imported_names("import *", 6) == ["*"]


# The searches for one name agree with the one-pass patterns they stand in for.
SNIPPETS = st.lists(st.sampled_from(["act", "act2", "x_act", "def", " ", "\n", "\t", "=", "==", ":", "(", ")", ".",
                                     "é", "_", "1"]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(SNIPPETS)
def test_binding_search_agrees_with_the_binding_pattern(text):
    from keraslint.lexer import identifier_start

    expected = [(m.start(), m.end(), m.group(2)) for m in P.BINDING.finditer(text)
                if m.group(1) == "act" and identifier_start(text, m.start()) == m.start()]
    assert list(P.bindings_by_search(text, "act")) == expected


@settings(max_examples=300, deadline=None)
@given(SNIPPETS)
def test_call_search_agrees_with_the_call_pattern(text):
    from keraslint.lexer import word_before

    expected = [("act", m.end()) for m in P.CALL_NAME.finditer(text)
                if m.group(1) == "act" and word_before(text, m.start(1)) != "def"]
    assert list(P.calls_by_name(text, ["act"])) == expected
    many = [f"name{i}" for i in range(P.MANY_NAMES)] + ["act"]  # past MANY_NAMES: the one-pass index
    assert list(P.calls_by_name(text, many)) == expected
