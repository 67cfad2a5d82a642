"""Notebook cells are read as Jupyter runs them (IPython's own transformer), traced back to the
cell: no false syntax errors, every code cell checked, findings and fixes at the cell's own text."""
from __future__ import annotations

import ast
import json
import warnings

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from conftest import FIXTURES, make_job
from keraslint.cells import PYTHON_BODY_MAGICS, python_of_cell
from keraslint.runner import check_bytes
from keraslint.sources import split_lines

REAL_CELLS = json.loads((FIXTURES / "real_cells" / "cells.json").read_text(encoding="utf-8"))


def notebook(*sources: str) -> bytes:
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": source.splitlines(keepends=True)} for source in sources]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


def findings(*sources: str) -> list[tuple[int, int, int, str]]:
    result = check_bytes(notebook(*sources), "nb.ipynb", make_job())
    return [(d.cell, d.location.row, d.location.column, d.code) for d in result.diagnostics]


def ipython_reading(source: str) -> tuple[str, bool]:
    """What IPython compiles for a cell (a Python cell magic's body, as the magic transforms it),
    and whether CPython then accepts it."""
    manager = TransformerManager()
    text = manager.transform_cell(source)
    if text.startswith("get_ipython().run_cell_magic("):
        name, _, body = (ast.literal_eval(argument) for argument in ast.parse(text).body[0].value.args)
        if name not in PYTHON_BODY_MAGICS:
            return "", True
        text = manager.transform_cell(body)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError:
        return text, False
    return text, True


@pytest.mark.parametrize("cell", REAL_CELLS, ids=[f"{c['kind']}-{i}" for i, c in enumerate(REAL_CELLS)])
def test_real_cells_are_read_as_ipython_reads_them(cell):
    source = cell["source"]
    expected, accepted = ipython_reading(source)
    code = python_of_cell(source)
    if code.error is None and code.text:
        assert code.text == expected
    if not source.lstrip().startswith("%%writefile"):
        automagic = code.text == "" and code.error is None and expected and not accepted
        assert (code.error is None) == accepted or automagic
    lines = split_lines(source)
    for line, origin in zip(split_lines(code.text), code.origins):
        if line and origin.shift is not None:
            assert lines[origin.row - 1][origin.shift:] == line  # each kept line traced to its cell row


@pytest.mark.parametrize("cell, expected", [
    ("!pip install keras \\\n    keras-hub --upgrade\nimport keras\nkeras.layers.Dense(1, activation='sigmod')\n", [(1, 4, 34, "KL101")]),
    ("import keras\nm = '%s: %d' \\\n% ('a', 1)\nkeras.layers.Dense(1, activation='sigmod')\n", [(1, 4, 34, "KL101")]),
    ("import keras\nkeras.layers.Dense(1,\n  name='x',  # which name?\n  activation='sigmod')\n", [(1, 4, 14, "KL101")]),
    ("import keras\nkeras.layers.Dense(1, activation='sigmod')  # right?\n", [(1, 2, 34, "KL101")]),
    ("  import keras\n  keras.layers.Dense(1, activation='sigmod')\n", [(1, 2, 36, "KL101")]),
    ("import keras\nsame = (1\n!= 2)\nkeras.layers.Dense(1, activation='sigmod')\n", [(1, 4, 34, "KL101")]),
    (">>> import keras\n>>> keras.layers.Dense(1, activation='sigmod')\n", [(1, 2, 38, "KL101")]),
    ("In [1]: import keras\nIn [2]: keras.layers.Dense(1, activation='sigmod')\n", [(1, 2, 42, "KL101")]),
    ("cd data\n", []),
    ("pwd\n", []),
    ("ls -la\n", []),
    ("pip install keras-hub\n", []),
])
def test_ipython_syntax_is_neither_an_error_nor_hides_a_finding(cell, expected):
    assert findings(cell) == expected


def test_cells_are_one_namespace_and_cell_magics_with_python_bodies_are_checked():
    assert findings("import keras", "%%time\nkeras.layers.Dense(1, activation='sigmod')\n",
                    "%%timeit -n1\nkeras.layers.Activation('Relu')\n", "%%bash\necho activation='sigmod'\n") == [
        (2, 2, 34, "KL101"), (3, 2, 25, "KL102")]


def test_writefile_bodies_are_python_files_that_jupyter_does_not_run():
    assert findings("%%writefile model.py\nimport keras\nkeras.layers.Dense(1, activation='sigmod')\n") == [(1, 3, 34, "KL101")]
    assert findings("%%writefile model.py\ndef broken(:\n") == []  # Jupyter writes it; it does not fail
    assert findings("%%writefile config.yaml\nactivation: sigmod\n") == []


def test_a_cell_jupyter_rejects_is_one_syntax_error_at_its_own_line():
    result = check_bytes(notebook("import keras", "  x = 1\n  for i in range(3:\n      pass\n"), "nb.ipynb", make_job())
    (error,) = result.diagnostics
    assert (error.code, error.cell, error.location.row, error.location.column) == ("KL002", 2, 2, 19)


def test_python_2_cells_say_so():
    for cell in ('print "hello"\n', "try:\n    pass\nexcept ValueError, error:\n    pass\n"):
        (error,) = check_bytes(notebook(cell), "nb.ipynb", make_job()).diagnostics
        assert error.code == "KL002" and error.message.endswith("(this cell is Python 2 code)")


def test_fixes_write_only_the_literal_into_the_cell_as_written():
    cells = ("  import keras\n  keras.layers.Dense(1, activation='sigmod')\n",
             "%%time\n  keras.layers.Activation('ReLU')\n",
             "!echo a \\\n  b\nkeras.layers.Dense(1, activation='sigmoidd')\n")
    raw = notebook(*cells)
    fixed = check_bytes(raw, "nb.ipynb", make_job(mode="fix")).fixed_data
    expected = raw.decode().replace("'sigmod'", "'sigmoid'").replace("'ReLU'", "'relu'").replace("'sigmoidd'", "'sigmoid'")
    assert fixed.decode() == expected


def test_annotations_point_into_the_ipynb_file(tmp_path):
    from keraslint.reporters import renderer

    path = tmp_path / "nb.ipynb"
    path.write_bytes(notebook("import keras\nkeras.layers.Dense(1, activation='sigmod')\n"))
    result = check_bytes(path.read_bytes(), str(path), make_job())
    report = renderer("github")(result.diagnostics)
    lines = path.read_text().split("\n")
    line = next(n for n, text in enumerate(lines, 1) if "activation='sigmod'" in text)
    column = lines[line - 1].index("'sigmod'") + 1
    assert f"line={line},col={column}," in report
    sarif = json.loads(renderer("sarif")(result.diagnostics))
    (found,) = sarif["runs"][0]["results"]
    region = found["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (line, column)
    replacement = found["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["deletedRegion"]["startColumn"] == column and replacement["insertedContent"]["text"] == "'sigmoid'"


def test_a_cell_magic_the_notebook_defines_to_run_python_is_checked():
    define = ("from IPython.core.magic import register_cell_magic\n\n@register_cell_magic\ndef backend(line, cell):\n"
              "    if line == 'jax':\n        get_ipython().run_cell(cell)\n")
    cells = (define, "import keras", "%%backend jax\nkeras.layers.Dense(1, activation='sigmod')\n", "%%backend jax\ndef broken(:\n")
    assert findings(*cells) == [(3, 2, 34, "KL101")]
    writer = "@register_cell_magic\ndef sql(line, cell):\n    return run_query(cell)\n"
    assert findings(writer, "import keras", "%%sql\nkeras.layers.Dense(1, activation='sigmod')\n") == []
