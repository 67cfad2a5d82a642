"""Bad input never crashes the run: one clear diagnostic for that file, the rest still checked."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_job
from keraslint import runner
from keraslint.discover import discover
from keraslint.runner import check_bytes, run

BAD = 'import keras\nkeras.layers.Dense(4, activation="sigmod")\n'
FIXED = 'import keras\nkeras.layers.Dense(4, activation="sigmoid")\n'


def codes_of(data: bytes, name: str = "x.py") -> list[str]:
    return [d.code for d in check_bytes(data, name, make_job()).diagnostics]


@pytest.mark.parametrize("data,code", [
    (b"import keras\nprint 'hello'\nkeras.layers.Dense(4, activation='reul')\n", "KL002"),  # Python 2
    (b"import keras\nkeras.layers.Dense(4, activation=\n", "KL002"),
    (b"import keras\x00\nkeras.layers.Dense(4, activation='reul')\n", "KL001"),
    (bytes(range(256)) * 4 + b"keras activation", "KL001"),
    (b"import keras\n# caf\xe9\nkeras.layers.Dense(4, activation='reul')\n", "KL001"),  # latin-1 without a cookie
    (b"# -*- coding: klingon -*-\nimport keras\nkeras.layers.Dense(activation='x')\n", "KL001"),
    (b"import keras\nx = " + b"(" * 3000 + b"1" + b")" * 3000 + b"\nkeras.layers.Dense(4, activation='reul')\n", "KL002"),
])
def test_bad_python_is_one_diagnostic(data, code):
    assert codes_of(data) == [code]


def test_cookie_declared_encoding_is_decoded():
    data = "# coding: latin-1\nimport keras\n# café\nkeras.layers.Dense(4, activation='reul')\n".encode("latin-1")
    assert codes_of(data) == ["KL101"]


@pytest.mark.parametrize("data", [b"", b"\n", b"\xef\xbb\xbf", b"\x0c\n", b"\t\n"])
def test_empty_and_blank_files_are_clean(data):
    assert codes_of(data) == []


def test_deep_nesting_cpython_accepts_is_checked():
    nested = "f(" * 190 + ")" * 190
    data = f"import keras\nx = {nested}\nkeras.layers.Dense(4, activation='reul')\n".encode()
    assert codes_of(data) == ["KL101"]


def test_huge_concatenated_string_does_not_crash():
    parts = " ".join(['"a"'] * 20000)
    data = f"import keras\nkeras.layers.Dense(4, activation={parts})\n".encode()
    assert codes_of(data) == ["KL101"]


CRAFTED = {  # each takes a size n; the prefilter must read each site once
    "annotations-in-comment": lambda n: "# " + "act:" * n,  # a name passed as an activation, then n times in a comment
    "annotations-in-string": lambda n: 's = "' + "act:" * n + '"',
    "alias-with-comments": lambda n: "x = (a" + "#c\n" * (n // 2) + "+ b)",  # an alias-shaped value full of comments
    "dict-key-with-comments": lambda n: "d = {'activation'" + "# ' ) #" * (n // 2) + "\n: 1}",
    "hashes-before-as": lambda n: "#" * (2 * n) + "\nfrom keras.layers import (Dense\n as Dense)",
    "deep-nesting": lambda n: "s = \"\"\"\n" + "Dense(\n" * (n // 5) + "\"\"\"",  # calls nested deeper than CPython allows
    "many-attributes": lambda n: "x.activations.reul\n" * (n // 5),  # one search per file for what 'x' may name
    "long-chain": lambda n: "act = \\\n" * (n // 2),  # a chain of assignment targets longer than any program's
    # functions whose parameter reaches Keras, each called: their calls are found in one pass, not one per function
    "many-functions": lambda n: "".join(
        f"def f{i}(x, act):\n    return keras.layers.Dense(4, activation=act)(x)\nf{i}(None, 'relu')\n"
        for i in range(n // 80)),
}


def seconds_to_check(data: bytes) -> float:
    started = time.perf_counter()
    assert "KL000" not in codes_of(data)
    return time.perf_counter() - started


@pytest.mark.parametrize("name", CRAFTED)
def test_crafted_inputs_take_linear_time(name):
    """Ten times the input may take about ten times as long, never a hundred (these took from 1 s
    to minutes before): a ratio measured in the test itself, not a wall-clock bound."""
    def program(n: int) -> bytes:
        return f"import keras\nkeras.layers.Dense(4, activation=act)\n{CRAFTED[name](n)}\n".encode()

    small = min(seconds_to_check(program(5_000)) for _ in range(3))
    large = seconds_to_check(program(50_000))
    assert large < 40 * max(small, 0.005), (small, large)


def test_many_names_at_sites_take_linear_time():
    """Each name passed to a site has its bindings looked up; they are indexed in one pass over the
    file (searching the file once per name was quadratic: 10,000 names in 700 kB took seconds)."""
    def program(names: int) -> bytes:
        return ("import keras\n" + "".join(f"keras.layers.Dense(4, kernel_initializer=i{i}, activation=a{i})\n"
                                            for i in range(names))).encode()

    small = min(seconds_to_check(program(1_000)) for _ in range(3))
    large = seconds_to_check(program(10_000))
    assert large < 40 * max(small, 0.005), (small, large)


def test_many_calls_of_project_functions_take_linear_time(tmp_path):
    """A module of many functions whose parameter reaches Keras, and a file that imports and calls
    each with valid strings: the calls are read once each, the module's text once."""
    from keraslint.runner import check_project

    def seconds(functions: int, root: Path) -> float:
        (root / "pkg").mkdir(parents=True)
        (root / "pkg" / "__init__.py").write_text("")
        (root / "pkg" / "blocks.py").write_text("import keras\n" + "".join(
            f"def block{i}(x, act='relu'):\n    return keras.layers.Dense(4, activation=act)(x)\n"
            for i in range(functions)))
        names = ",\n    ".join(f"block{i}" for i in range(functions))  # short lines: the prefilter reads them
        (root / "pkg" / "model.py").write_text(f"from .blocks import (\n    {names},\n)\n" + "".join(
            f"block{i}(None, 'relu')\nblock{i}(None, act='tanh')\n" for i in range(functions)))
        started = time.perf_counter()
        results = check_project(discover([root / "pkg"], ()), make_job(), workers=1)
        assert not [d for r in results for d in r.diagnostics]
        return time.perf_counter() - started

    small = min(seconds(300, tmp_path / f"small{i}") for i in range(3))
    large = seconds(3_000, tmp_path / "large")
    assert large < 40 * max(small, 0.005), (small, large)


@pytest.mark.slow
def test_ten_megabyte_generated_file():
    """A 10 MB file is checked in time linear in its size (against a 1 MB one, measured here)."""
    def program(lines: int) -> bytes:
        body = "".join(f"x{i} = keras.layers.Dense({i}, activation='relu')\n" for i in range(lines))
        return ("import keras\n" + body + "keras.layers.Dense(4, activation='reul')\n").encode()

    data = program(200_000)
    assert len(data) > 10_000_000
    small = seconds_to_check(program(20_000))
    started = time.perf_counter()
    assert codes_of(data) == ["KL101"]
    assert time.perf_counter() - started < 40 * small  # linear: about 10x; quadratic: 100x


@pytest.mark.parametrize("raw", [
    b"{not json", b'{"cells": 3}', b'{"cells": [{"cell_type": "code", "source": 7}]}', b"[]", b"\xff\xfe",
    b'{"cells": [{"cell_type": "code", "source": ["import keras\\n", 5]}]}',
])
def test_broken_notebooks_are_one_diagnostic(raw):
    assert codes_of(raw, "nb.ipynb") == ["KL003"]


def test_truncated_notebook():
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["import keras\n"]}
    raw = json.dumps({"cells": [cell], "nbformat": 4}).encode()
    assert codes_of(raw[: len(raw) // 2], "nb.ipynb") == ["KL003"]


def test_notebook_cell_with_syntax_error_does_not_hide_the_others():
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "import keras\n"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "def broken(:\n"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "keras.layers.Dense(4, activation='reul')\n"},
    ]
    diagnostics = check_bytes(json.dumps({"cells": cells}).encode(), "nb.ipynb", make_job()).diagnostics
    assert [(d.code, d.cell) for d in diagnostics] == [("KL002", 2), ("KL101", 3)]


def check_tree(paths):
    return {r.path: [d.code for d in r.diagnostics] for r in run(discover(paths, ()), make_job(), workers=1)}


def test_filesystem_oddities(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.py").write_text(BAD)
    (tmp_path / "dir.py").mkdir()  # a directory named *.py is walked, not read
    (tmp_path / "dir.py" / "inner.py").write_text(BAD)
    (tmp_path / "broken_link.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "loop").symlink_to(tmp_path)  # a directory symlink loop is not followed
    os.mkfifo(tmp_path / "pipe.py")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.py"
    outside.write_text(BAD)
    (tmp_path / "escape.py").symlink_to(outside)  # never followed out of the tree
    results = check_tree([Path(".")])
    assert results == {
        "broken_link.py": ["KL001"],
        "dir.py/inner.py": ["KL101"],
        "good.py": ["KL101"],
        "pipe.py": ["KL001"],
    }


def test_unreadable_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / "b.py").write_text(BAD)
    real_open = os.open

    def guarded_open(path, *args, **kwargs):
        if str(path).endswith("a.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    results = check_tree([Path(".")])
    assert results == {"a.py": ["KL001"], "b.py": ["KL101"]}


def test_file_vanishing_during_the_scan(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / "b.py").write_text(BAD)
    candidates = discover([Path(".")], ())
    (tmp_path / "a.py").unlink()
    results = {r.path: [d.code for d in r.diagnostics] for r in run(candidates, make_job(), workers=1)}
    assert results == {"a.py": ["KL001"], "b.py": ["KL101"]}


def test_internal_error_is_reported_and_the_rest_printed(tmp_path, monkeypatch):
    (tmp_path / "boom.py").write_text(BAD.replace("sigmod", "boom"))
    (tmp_path / "fine.py").write_text(BAD)
    from keraslint.rules import activations

    original = activations.check_literal

    def exploding(node, value, context):
        if value == "boom":
            raise RuntimeError("rule bug")
        return original(node, value, context)

    monkeypatch.setattr("keraslint.checker.check_literal", exploding)
    result = subprocess_free_cli(tmp_path)
    assert result.exit_code == 2
    assert "boom.py:1:1: KL000 Internal error (RuntimeError: rule bug); please report it" in result.stdout
    assert "fine.py:2:34: KL101" in result.stdout


def subprocess_free_cli(tmp_path):
    from keraslint.cli import main
    from test_cli import make_runner

    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        return make_runner().invoke(main, ["check", "--no-cache", "--jobs", "1", "--output-format", "concise", "."])
    finally:
        os.chdir(previous)


@pytest.mark.slow
def test_killed_fix_run_leaves_every_file_old_or_new(tmp_path):
    """SIGKILL a fixing run at random moments: each file is entirely old or entirely new."""
    padding = "".join(f"# line {i} " + "x" * 80 + "\n" for i in range(3000))
    old, new = BAD + padding, FIXED + padding
    rng = random.Random(1234)
    for attempt in range(12):
        directory = tmp_path / f"run{attempt}"
        directory.mkdir()
        for index in range(40):
            (directory / f"m{index}.py").write_text(old)
        process = subprocess.Popen(
            [sys.executable, "-m", "keraslint", "check", "--fix", "-q", "--jobs", "1", str(directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 1.2) if attempt else 5.0)  # the first run gets far enough to fix
        process.send_signal(signal.SIGKILL)
        process.wait()
        for path in directory.glob("*.py"):
            assert path.read_text() in (old, new), path
    assert any(p.read_text() == new for p in tmp_path.glob("run*/*.py"))  # some runs got far enough to fix


def test_workers_do_not_change_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for index in range(60):
        (tmp_path / f"f{index:02}.py").write_text(BAD if index % 3 else FIXED)
    candidates = discover([Path(".")], ())
    serial = run(candidates, make_job(), workers=1)
    assert not runner._enough_for_workers([(c.path, None) for c in candidates])  # 3 kB: one process is faster
    monkeypatch.setattr(runner, "PARALLEL_BYTES", 2000)  # 60 small files: a pool all the same
    assert runner._enough_for_workers([(c.path, None) for c in candidates])
    parallel = run(candidates, make_job(), workers=2)
    assert [(r.path, r.diagnostics) for r in serial] == [(r.path, r.diagnostics) for r in parallel]
