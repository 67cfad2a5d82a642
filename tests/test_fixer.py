"""--fix changes only the literals: encodings, line endings, BOM and the rest stay byte-identical."""
from __future__ import annotations

import json
import os
import stat

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_job
from keraslint.catalog import load
from keraslint.diagnostics import Edit, Position
from keraslint.fixer import apply_edits, replace_verified
from keraslint.runner import check_bytes, check_file
from keraslint.sources import parse, read_snapshot

BAD = 'import keras\nkeras.layers.Dense(4, activation="sigmod")  # comment\n'
GOOD = 'import keras\nkeras.layers.Dense(4, activation="sigmoid")  # comment\n'


def fix_bytes(data: bytes, name: str = "a.py", unsafe: bool = False) -> bytes | None:
    return check_bytes(data, name, make_job(mode="fix", unsafe=unsafe)).fixed_data


def test_crlf_is_kept():
    assert fix_bytes(BAD.replace("\n", "\r\n").encode()) == GOOD.replace("\n", "\r\n").encode()


def test_mixed_line_endings_are_kept():
    data = b'import keras\r\nx = 1\rkeras.layers.Dense(4, activation="sigmod")\n'
    assert fix_bytes(data) == data.replace(b"sigmod", b"sigmoid")


def test_bom_is_kept():
    data = b"\xef\xbb\xbf" + BAD.encode()
    assert fix_bytes(data) == b"\xef\xbb\xbf" + GOOD.encode()


def test_coding_cookie_encoding_is_kept():
    source = '# -*- coding: latin-1 -*-\nimport keras\n# café\nkeras.layers.Dense(4, activation="sigmod")\n'
    fixed = fix_bytes(source.encode("latin-1"))
    assert fixed == source.replace("sigmod", "sigmoid").encode("latin-1")


def test_non_ascii_before_the_literal_keeps_columns_right():
    source = 'import keras\nétiquette = "é"; keras.layers.Dense(4, activation="sigmod")\n'
    (diagnostic,) = check_bytes(source.encode(), "a.py", make_job()).diagnostics
    assert diagnostic.location == Position(2, 51)
    assert fix_bytes(source.encode()) == source.replace("sigmod", "sigmoid").encode()


def test_tabs_and_form_feeds_are_kept():
    source = 'import keras\n\x0c\nif True:\n\tkeras.layers.Dense(4, activation="sigmod")\n'
    assert fix_bytes(source.encode()) == source.replace("sigmod", "sigmoid").encode()


def test_second_fix_is_a_no_op():
    once = fix_bytes(BAD.encode())
    assert fix_bytes(once) is None


def test_nothing_to_fix_writes_nothing(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(GOOD)
    before = os.stat(path)
    result = check_file(path, make_job(mode="fix"))
    assert result.fixed == 0 and result.fixed_data is None
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns


def test_fix_writes_atomically_and_keeps_mode(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(BAD)
    os.chmod(path, 0o640)
    result = check_file(path, make_job(mode="fix"))
    assert result.fixed == 1
    assert path.read_text() == GOOD
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]  # no temporary file left behind


def test_fix_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.py"
    real.write_text(BAD)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    check_file(link, make_job(mode="fix"))
    assert link.is_symlink() and real.read_text() == GOOD


def test_replace_verified_replaces_whole_content(tmp_path):
    path = tmp_path / "x.py"
    path.write_bytes(b"old")
    replace_verified(path, read_snapshot(path), b"new content")
    assert path.read_bytes() == b"new content"


def test_overlapping_edits_apply_once():
    text = "abcdef"
    edits = [Edit("X", Position(1, 2), Position(1, 4)), Edit("Y", Position(1, 3), Position(1, 5))]
    new, applied = apply_edits(text, edits)
    assert new == "aXdef" and len(applied) == 1


def test_unsafe_fixes_only_when_asked():
    source = 'import keras\nm = keras.Sequential()\nm.compile(loss="rmse")\n'  # "mse" is near, but another objective
    assert check_bytes(source.encode(), "a.py", make_job(mode="fix")).fixed_data is None
    fixed = check_bytes(source.encode(), "a.py", make_job(mode="fix", unsafe=True)).fixed_data
    assert fixed == source.replace("rmse", "mse").encode()


def test_notebook_fix_changes_only_the_literals():
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": 1, "metadata": {"x": 1}, "outputs": [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}],
             "source": ["%load_ext autoreload\n", "import keras\n", "keras.layers.Dense(4, activation='ReLU')"]},
            {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [], "source": "keras.layers.Activation(\"sigmod\")\n"},
        ],
        "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5,
    }
    raw = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    fixed = check_bytes(raw.encode(), "nb.ipynb", make_job(mode="fix")).fixed_data.decode()
    assert fixed == raw.replace("'ReLU'", "'relu'").replace('\\"sigmod\\"', '\\"sigmoid\\"')


def test_notebook_with_unreproducible_layout_is_not_written():
    raw = '{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": ["import keras\\n", "keras.layers.Dense(4, activation=\\"sigmod\\")"]}],   "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    result = check_bytes(raw.encode(), "nb.ipynb", make_job(mode="fix"))
    assert result.fixed_data is None
    assert "KL003" in [d.code for d in result.diagnostics]


TYPOS = st.sampled_from(["sigmod", "ReLU", "Sigmoid", "tanhh", "softmx", "relu ", "leakyrelu", "elu", "selu", "gelu"])
QUOTES = st.sampled_from(['"', "'", '"""', "r'", "u\""])
NOISE = st.sampled_from(["", "x = 1\n", "# activation='sigmod'\n", "def f(a, b):\n    return a\n", "s = 'ReLU'\n", "\t\n"])
LAYERS = st.sampled_from(["Dense(4, activation={})", "Activation({})", "LSTM(8, recurrent_activation={})", "Conv2D(1, 3, activation={})"])


@st.composite
def keras_sources(draw):
    lines = ["import keras\n", "from keras import layers\n"]
    literals = []
    for _ in range(draw(st.integers(1, 6))):
        lines.append(draw(NOISE))
        quote = draw(QUOTES)
        closing = quote[-1] * (3 if quote == '"""' else 1)
        literal = f"{quote}{draw(TYPOS)}{closing}"
        literals.append(literal)
        lines.append("y = layers." + draw(LAYERS).format(literal) + "\n")
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return "".join(lines).replace("\n", ending)


@settings(max_examples=150, deadline=None)
@given(keras_sources())
def test_fix_properties(source):
    data = source.encode()
    job = make_job(mode="fix")
    result = check_bytes(data, "gen.py", job)
    if result.fixed_data is None:
        return
    fixed = result.fixed_data.decode()
    assert not isinstance(parse(fixed), tuple)  # still parses
    # differs only inside string literals: the same text once every quoted span is blanked
    assert _outside_literals(fixed) == _outside_literals(source)
    assert check_bytes(result.fixed_data, "gen.py", job).fixed_data is None  # idempotent


def _outside_literals(text: str) -> str:
    import io
    import tokenize

    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return "".join("<S>" if t.type == tokenize.STRING else t.string for t in tokens)


def test_catalog_is_the_source_of_fix_targets():
    assert "relu" in load().newest().strings
