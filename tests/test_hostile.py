"""Hostile repositories and environments: odd auxiliary files, configurations of the wrong shape,
outputs that fail, names that are not text. Each case is one clear line and a true exit code,
never a traceback or a hang; each broke an earlier release."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_job
from keraslint import checker
from keraslint.resolve import Resolver
from keraslint.runner import check_bytes, check_file

BAD = 'import keras\nkeras.layers.Dense(4, activation="sigmod")\n'
pytestmark = pytest.mark.slow  # most cases run the real command in a child process


def keraslint(*args, cwd, stdin=subprocess.DEVNULL, timeout=120, **kwargs):
    """The real command in a child process (a hang fails the test instead of the suite)."""
    if "stdout" not in kwargs:
        kwargs["capture_output"] = True
    return subprocess.run([sys.executable, "-m", "keraslint", *args], cwd=cwd, stdin=stdin, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}, **kwargs)


def one_line_error(completed) -> str:
    err = completed.stderr.decode(errors="replace")
    assert "Traceback" not in err, err
    return err


@pytest.mark.parametrize("name", ["pyproject.toml", ".gitignore", "requirements.txt", "Pipfile", "environment.yml", "setup.cfg"])
def test_a_fifo_among_the_project_files_does_not_hang(tmp_path, name):
    (tmp_path / "a.py").write_text(BAD)
    os.mkfifo(tmp_path / name)
    completed = keraslint("check", "--no-cache", ".", cwd=tmp_path, timeout=60)
    one_line_error(completed)
    assert completed.returncode == 1 and b"KL101" in completed.stdout


def test_a_fifo_config_in_a_parent_directory_does_not_hang(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.py").write_text(BAD)
    os.mkfifo(tmp_path / "pyproject.toml")
    completed = keraslint("check", "--no-cache", ".", cwd=tmp_path / "sub", timeout=60)
    assert completed.returncode == 1 and b"KL101" in completed.stdout


def test_a_link_to_dev_zero_is_not_read_forever(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / "requirements.txt").symlink_to("/dev/zero")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    completed = keraslint("check", "--no-cache", "a.py", "zero.py", cwd=tmp_path, timeout=60)
    assert completed.returncode == 1 and b"KL101" in completed.stdout and b"Not a regular file" in completed.stdout


@pytest.mark.parametrize("codec", ["undefined", "punycode"])
def test_a_cookie_whose_codec_raises_is_one_unreadable_file(tmp_path, codec):
    (tmp_path / "a.py").write_bytes(f"# coding: {codec}\nx = 1\n".encode())
    (tmp_path / "b.py").write_text(BAD)
    completed = keraslint("check", "--no-cache", ".", cwd=tmp_path)
    one_line_error(completed)
    assert completed.returncode == 1 and b"a.py:1:1: KL001" in completed.stdout and b"KL101" in completed.stdout


def test_a_deeply_nested_cache_file_is_ignored(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    assert keraslint("check", "a.py", cwd=tmp_path).returncode == 1
    for entry in (tmp_path / ".keraslint_cache").glob("results-*.json"):
        entry.write_text("[" * 100_000 + "]" * 100_000)
    completed = keraslint("check", "a.py", cwd=tmp_path)
    one_line_error(completed)
    assert completed.returncode == 1


@pytest.mark.parametrize("line, key", [
    ("select = [1]", "select"), ("ignore = [true]", "ignore"), ("exclude = [1]", "exclude"),
    ("extra-activations = [[1]]", "extra-activations"), ('per-file-ignores = {"x" = 1}', "per-file-ignores"),
    ('per-file-ignores = {"*" = "KL101"}', "per-file-ignores"), ('per-file-ignores = {"*" = ["KL999"]}', "KL999"),
    ('output-format = "xml"', "output-format"), ("keras-version = 3", "keras-version"),
])
def test_a_setting_of_the_wrong_shape_is_a_one_line_error(tmp_path, line, key):
    (tmp_path / "pyproject.toml").write_text(f"[tool.keraslint]\n{line}\n")
    (tmp_path / "a.py").write_text(BAD)
    completed = keraslint("check", "--no-cache", "a.py", cwd=tmp_path)
    assert completed.returncode == 2 and key in one_line_error(completed)


def test_tool_that_is_not_a_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('tool = "keraslint"\n')
    (tmp_path / "a.py").write_text(BAD)
    completed = keraslint("check", "--no-cache", "a.py", cwd=tmp_path)
    one_line_error(completed)
    assert completed.returncode == 1


@pytest.mark.parametrize("name, content", [
    ("pyproject.toml", "project = 1\n"),
    ("pyproject.toml", "[project]\ndependencies = " + "[" * 5000 + "]" * 5000 + "\n"),
    ("setup.cfg", "[options]\ninstall_requires =\n    keras>=2.%(x)s\n"),
    ("Pipfile", 'packages = "keras"\n'),
    ("Pipfile", "[packages]\nkeras = 3\n"),
    ("poetry.lock", 'package = "keras"\n'),
    ("poetry.lock", "[[package]]\nname = 1\nversion = []\n"),
])
def test_odd_project_files_fall_back_with_a_notice(tmp_path, name, content):
    (tmp_path / name).write_text(content)
    (tmp_path / "a.py").write_text(BAD)
    completed = keraslint("check", "--no-cache", "a.py", cwd=tmp_path)
    one_line_error(completed)
    assert completed.returncode == 1 and b"KL101" in completed.stdout


def test_a_requirement_chain_thousands_deep(tmp_path):
    for number in range(1200):
        (tmp_path / f"r{number}.txt").write_text(f"-r r{number + 1}.txt\n")
    (tmp_path / "r1200.txt").write_text("keras==2.3.1\n")
    (tmp_path / "requirements.txt").write_text("-r r0.txt\n")
    (tmp_path / "a.py").write_text('import keras\nkeras.layers.Dense(4, activation="gelu")\n')
    completed = keraslint("check", "--no-cache", "-v", "a.py", cwd=tmp_path)
    one_line_error(completed)
    assert b"2.3.1" in completed.stderr and b"KL103" in completed.stdout


def test_a_utf16_requirements_file_is_read_as_pip_reads_it(tmp_path):
    (tmp_path / "requirements.txt").write_bytes("keras==2.3.1\n".encode("utf-16"))
    (tmp_path / "a.py").write_text('import keras\nkeras.layers.Dense(4, activation="gelu")\n')
    completed = keraslint("check", "--no-cache", "a.py", cwd=tmp_path)
    assert b"KL103" in completed.stdout


def test_output_that_cannot_be_written_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    with open("/dev/full", "w") as full:
        completed = keraslint("check", "--no-cache", "a.py", cwd=tmp_path, stdout=full, stderr=subprocess.PIPE)
    assert completed.returncode == 2 and b"cannot write the report" in completed.stderr
    for target in ("/dev/full", str(tmp_path)):
        completed = keraslint("check", "--no-cache", "a.py", "-o", target, cwd=tmp_path)
        assert completed.returncode == 2 and "Error: cannot write" in one_line_error(completed)
    completed = keraslint("check", "--no-cache", "a.py", "-o", "out/deeper/report.json", "--output-format", "json", cwd=tmp_path)
    assert completed.returncode == 1 and json.loads((tmp_path / "out/deeper/report.json").read_text())


def test_closed_standard_streams(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    closed_out = subprocess.run(f"{sys.executable} -m keraslint check --no-cache a.py >&-", shell=True, cwd=tmp_path,
                                capture_output=False, stderr=subprocess.PIPE, timeout=60,
                                env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert closed_out.returncode == 2 and b"standard output is closed" in closed_out.stderr
    closed_in = subprocess.run(f"{sys.executable} -m keraslint check - <&-", shell=True, cwd=tmp_path,
                               capture_output=True, timeout=60,
                               env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert closed_in.returncode == 2 and b"standard input is closed" in closed_in.stderr


def test_names_that_are_not_text_or_hold_escapes(tmp_path):
    name = b"bad\xff\x1b[31m\n.py"
    (tmp_path / os.fsdecode(name)).write_text(BAD)
    for fmt in ("full", "concise", "github", "junit", "sarif", "json"):
        completed = keraslint("check", "--no-cache", "--output-format", fmt, ".", "-o", "report", cwd=tmp_path)
        one_line_error(completed)
        report = (tmp_path / "report").read_bytes()
        assert b"\x1b" not in report and b"\xff" not in report
        if fmt == "junit":
            import xml.etree.ElementTree as ElementTree

            ElementTree.fromstring(report)
        if fmt == "sarif":
            uri = json.loads(report)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert uri == "bad%FF%1B%5B31m%0A.py"
        if fmt in ("full", "concise"):
            assert report.startswith(b"bad\\udcff\\x1b[31m\\x0a.py:2:34: KL101")


def test_dot_slash_dash_is_a_file_and_dash_stands_alone(tmp_path):
    (tmp_path / "-").write_text(BAD)
    completed = keraslint("check", "--no-cache", "./-", cwd=tmp_path)
    assert completed.returncode == 1 and b"KL101" in completed.stdout
    completed = keraslint("check", "--no-cache", "-", "./-", cwd=tmp_path)
    assert completed.returncode == 2 and "cannot be combined" in one_line_error(completed)


def test_an_unreadable_directory_is_reported(tmp_path, monkeypatch):
    from keraslint.cli import main
    from test_cli import run

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "a.py").write_text(BAD)
    real_scandir = os.scandir

    def scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run("check", "--no-cache", ".", cwd=tmp_path)
    assert result.exit_code == 1 and "locked:1:1: KL001 Cannot read file: Permission denied" in result.stdout
    assert main  # the command under test


def test_per_file_ignores_all_and_negated_globs(tmp_path):
    from test_cli import run

    (tmp_path / "pyproject.toml").write_text('[tool.keraslint]\nper-file-ignores = {"!keep_*.py" = ["ALL"]}\n')
    (tmp_path / "keep_me.py").write_text(BAD)
    (tmp_path / "other.py").write_text(BAD)
    result = run("check", "--no-cache", "--output-format", "concise", ".", cwd=tmp_path)
    assert result.stdout.splitlines()[:-1] == ['keep_me.py:2:34: KL101 Unknown Keras activation "sigmod"; did you mean "sigmoid"? [*]']


def test_a_shared_cache_directory_keys_files_by_absolute_path(tmp_path):
    cache = tmp_path / "cache"
    for name, content in (("one", BAD), ("two", BAD.replace("sigmod", "sigmoid"))):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.py").write_text(content)
        os.utime(tmp_path / name / "a.py", ns=(0, 0))  # same size? no: same mtime; the content differs
    first = keraslint("check", "--cache-dir", str(cache), "a.py", cwd=tmp_path / "one")
    second = keraslint("check", "--cache-dir", str(cache), "a.py", cwd=tmp_path / "two")
    assert first.returncode == 1 and second.returncode == 0


def test_a_project_module_that_appears_later_invalidates_the_cache(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "use.py").write_text('from pkg.compat import layers\nlayers.Dense(4, activation="sigmod")\n')
    assert keraslint("check", "pkg/use.py", cwd=tmp_path).returncode == 0
    (package / "compat.py").write_text("from keras import layers\n")
    completed = keraslint("check", "pkg/use.py", cwd=tmp_path)
    assert completed.returncode == 1 and b"KL101" in completed.stdout


def test_without_a_configuration_the_cache_lives_in_the_project_root(tmp_path):
    (tmp_path / "requirements.txt").write_text("keras\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text(BAD)
    keraslint("check", "a.py", cwd=tmp_path / "src")
    assert (tmp_path / ".keraslint_cache").is_dir() and not (tmp_path / "src" / ".keraslint_cache").exists()


def test_keyword_defaults_are_judged_in_linear_time(monkeypatch):
    functions = "".join(f"def block{i}(x, activation='relu'):\n    return keras.layers.Dense(8, activation=activation)(x)\n"
                        for i in range(400))
    calls = []
    real = Resolver.keras
    monkeypatch.setattr(Resolver, "keras", lambda self, dotted: calls.append(dotted) or real(self, dotted))
    check_bytes(("import keras\n" + functions).encode(), "x.py", make_job(prefilter=False))
    assert len(calls) < 20 * 400  # a few resolutions per call (quadratic: 400 per call)
    assert checker  # the module whose keyword-default search this bounds


def test_full_output_shows_a_window_of_a_long_line(tmp_path):
    from test_cli import run

    (tmp_path / "a.py").write_text("import keras\nx = [" + "1, " * 100_000 + 'keras.layers.Dense(4, activation="sigmod")]\n')
    result = run("check", "--no-cache", "a.py", cwd=tmp_path)
    assert result.exit_code == 1 and len(result.stdout) < 2_000
    shown = result.stdout.splitlines()[2]
    assert shown.startswith("2 | …") and "1, 1, 1," in shown and 'keras.layers.Dense(4, activation="sigmod")]' in shown


def test_notebook_fix_keeps_the_cells_list_of_strings(tmp_path):
    source = ["import ke", "ras\nkeras.layers.Dense(1, activa", "tion='sigmod')\nkeras.layers.Dense(2, activation='ReLU')\n", "x = 1"]
    document = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": source}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(document, indent=1) + "\n")
    check_file(path, make_job(mode="fix"))
    assert json.loads(path.read_text())["cells"][0]["source"] == [
        "import ke", "ras\nkeras.layers.Dense(1, activa", "tion='sigmoid')\nkeras.layers.Dense(2, activation='relu')\n", "x = 1"]


@pytest.mark.parametrize("config", [
    {"class_name": "Dense", "config": {"activation": {"module": 1, "class_name": 2, "config": 3, "registered_name": 4}}},
    {"class_name": "Dense", "config": {"activation": {"module": [], "config": {}, "registered_name": None}}},
    {"class_name": 1, "config": 1}, {"class_name": "Sequential", "config": {"layers": [1, {"class_name": "Dense", "config": None}]}},
])
def test_odd_model_configs_are_no_internal_error(config):
    codes = [d.code for d in check_bytes(json.dumps(config).encode(), "model.json", make_job()).diagnostics]
    assert "KL000" not in codes


def test_a_cached_unknown_code_is_ignored_not_rendered(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    assert keraslint("check", "a.py", cwd=tmp_path).returncode == 1
    (entry,) = (tmp_path / ".keraslint_cache").glob("results-*.json")
    document = json.loads(entry.read_text())
    for result in document["files"].values():
        result["diagnostics"][0]["code"] = "KL999"
    entry.write_text(json.dumps(document))
    completed = keraslint("check", "--output-format", "sarif", "a.py", cwd=tmp_path)
    one_line_error(completed)
    assert json.loads(completed.stdout)["runs"][0]["results"][0]["ruleId"] == "KL101"


def test_a_one_line_model_config_is_not_echoed_per_finding(tmp_path):
    layers = [{"class_name": "Dense", "config": {"activation": "sigmod"}}] * 2000
    (tmp_path / "model.json").write_text(json.dumps({"class_name": "Sequential", "config": {"layers": layers}}))
    completed = keraslint("check", "--no-cache", "model.json", cwd=tmp_path)
    assert completed.returncode == 1 and completed.stdout.count(b"KL101") == 2000
    assert len(completed.stdout) < 2000 * 300
