"""The command line: formats (snapshots), exit codes, selection, suppression, config, stdin."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT
from keraslint.cache import _diagnostic
from keraslint.cli import main, rule_table
from keraslint.diagnostics import Diagnostic, Edit, Fix, Position
from keraslint.rules import all_rules

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
BAD = 'import keras\nkeras.layers.Dense(4, activation="sigmod")\nkeras.layers.Dense(4, activation="ReLU")\n'
GOOD = 'import keras\nkeras.layers.Dense(4, activation="sigmoid")\n'


def make_runner() -> CliRunner:
    """stdout and stderr apart (click < 8.2 mixes them unless told not to)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


def run(*args, cwd=None, stdin=None):
    runner = make_runner()
    previous = os.getcwd()
    os.chdir(cwd or previous)
    try:
        return runner.invoke(main, list(args), input=stdin, catch_exceptions=False)
    finally:
        os.chdir(previous)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.keraslint]\nkeras-version = "3.15"\n')
    return tmp_path


@pytest.mark.parametrize("fmt", ["full", "concise", "grouped", "json", "json-lines", "github", "gitlab", "azure", "pylint", "rdjson", "sarif", "junit"])
def test_output_format_snapshot(fmt, tmp_path):
    shutil.copy(FIXTURES / "sequential_keras3.py", tmp_path / "model.py")
    shutil.copy(FIXTURES / "notebook_magics.ipynb", tmp_path / "notebook.ipynb")
    result = run("check", "--no-cache", "--keras-version", "3.15", "--output-format", fmt, ".", cwd=tmp_path)
    assert result.exit_code == 1
    snapshot = SNAPSHOTS / f"{fmt}.txt"
    output = result.stdout.replace(tmp_path.resolve().as_uri(), "file:///PROJECT").replace(str(tmp_path.resolve()), "/PROJECT")
    output = output.replace((ROOT / "keraslint").as_uri(), "file:///KERASLINT")
    if os.environ.get("KERASLINT_UPDATE_FIXTURES"):
        snapshot.write_text(output, encoding="utf-8")
    assert output == snapshot.read_text(encoding="utf-8")
    if fmt == "junit":
        import xml.etree.ElementTree as ElementTree

        suites = ElementTree.fromstring(result.stdout)
        assert suites.attrib["failures"] == "10"
        assert suites.find("testsuite/testcase/failure").attrib["message"].startswith('Unknown Keras activation "reul"')


@pytest.mark.skipif(not SARIF_SCHEMA.exists(), reason="../shared/schemas is not beside the repository")
def test_sarif_validates_against_the_official_schema(tmp_path):
    shutil.copy(FIXTURES / "sequential_keras3.py", tmp_path / "model.py")
    result = run("check", "--no-cache", "--output-format", "sarif", ".", cwd=tmp_path)
    document = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validate(document, schema)
    assert document["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"]
    assert {r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]} == {r.code for r in all_rules()}


def test_json_has_ruff_shape(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    result = run("check", "--no-cache", "--output-format", "json", "a.py", cwd=tmp_path)
    first = json.loads(result.stdout)[0]
    assert set(first) >= {"code", "message", "filename", "location", "end_location", "fix", "cell"}
    assert first["location"] == {"row": 2, "column": 34}
    assert first["fix"]["applicability"] == "safe"
    assert first["fix"]["edits"] == [{"content": '"sigmoid"', "location": {"row": 2, "column": 34}, "end_location": {"row": 2, "column": 42}}]


def test_exit_codes(tmp_path):
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "broken.py").write_text("import keras\nkeras.layers.Dense(activation=\n")
    assert run("check", "--no-cache", "good.py", cwd=tmp_path).exit_code == 0
    assert run("check", "--no-cache", "bad.py", cwd=tmp_path).exit_code == 1
    assert run("check", "--no-cache", "--exit-zero", "bad.py", cwd=tmp_path).exit_code == 0
    mixed = run("check", "--no-cache", "--output-format", "concise", ".", cwd=tmp_path)
    assert mixed.exit_code == 1  # as ruff: a file that does not parse is a finding; the others were checked
    assert run("check", "--no-cache", "--exit-zero", "broken.py", cwd=tmp_path).exit_code == 0
    # where CPython places the error differs between versions; that it is reported does not
    assert any(line.startswith("broken.py:") and " KL002 SyntaxError: " in line for line in mixed.stdout.splitlines())
    assert "bad.py:2:34: KL101" in mixed.stdout
    future = run("check", "--keras-version", "9.9", "good.py", cwd=tmp_path)  # never refused: the nearest release
    assert future.exit_code == 0 and "note: Keras 9.9 is not in the catalog" in future.stdout
    assert run("check", "--keras-version", "banana", "good.py", cwd=tmp_path).exit_code == 2
    assert run("check", "--select", "XX1", "good.py", cwd=tmp_path).exit_code == 2


def test_summary_and_quiet(tmp_path):
    (tmp_path / "bad.py").write_text(BAD)
    result = run("check", "--no-cache", "--output-format", "concise", "bad.py", cwd=tmp_path)
    assert result.stdout.endswith("Found 2 problems (2 fixable with --fix).\n")
    quiet = run("check", "--no-cache", "-q", "--output-format", "concise", "bad.py", cwd=tmp_path)
    assert "Found" not in quiet.stdout and "KL101" in quiet.stdout
    (tmp_path / "good.py").write_text(GOOD)
    assert run("check", "--no-cache", "good.py", cwd=tmp_path).stdout == "All checks passed!\n"


def test_statistics(tmp_path):
    (tmp_path / "bad.py").write_text(BAD + BAD)
    result = run("check", "--no-cache", "--statistics", "-q", "--output-format", "concise", "bad.py", cwd=tmp_path)
    assert "    2\tKL101\t[*] unknown-activation\n" in result.stdout
    assert "    2\tKL102\t[*] activation-case-mismatch\n" in result.stdout


def test_select_ignore_and_per_file_ignores(project):
    (project / "bad.py").write_text(BAD)
    (project / "tests").mkdir()
    (project / "tests" / "test_bad.py").write_text(BAD)
    only = run("check", "--no-cache", "--output-format", "concise", "--select", "KL102", "bad.py", cwd=project)
    assert "KL102" in only.stdout and "KL101" not in only.stdout
    ignored = run("check", "--no-cache", "--output-format", "concise", "--ignore", "KL1", "bad.py", cwd=project)
    assert ignored.exit_code == 0
    with (project / "pyproject.toml").open("a") as handle:
        handle.write('per-file-ignores = {"tests/*" = ["KL101"]}\n')
    result = run("check", "--no-cache", "--output-format", "concise", ".", cwd=project)
    assert "tests/test_bad.py:3:34: KL102" in result.stdout
    assert "tests/test_bad.py:2:34: KL101" not in result.stdout
    assert "bad.py:2:34: KL101" in result.stdout
    inside = run("check", "--no-cache", "--output-format", "concise", ".", cwd=project / "tests")
    assert "test_bad.py:2:34: KL101" not in inside.stdout  # globs stay relative to the config file


def test_unknown_config_key_is_usage_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.keraslint]\nselct = ["KL1"]\n')
    (tmp_path / "a.py").write_text(GOOD)
    result = run("check", "a.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "unknown key 'selct'" in result.stderr


def test_stdin(tmp_path):
    result = run("check", "--output-format", "concise", "--stdin-filename", "model.py", "-", stdin=BAD, cwd=tmp_path)
    assert result.exit_code == 1
    assert "model.py:2:34: KL101" in result.stdout


def test_stdin_fix_prints_fixed_source(tmp_path):
    result = run("check", "--fix", "--stdin-filename", "model.py", "-", stdin=BAD, cwd=tmp_path)
    assert result.stdout == BAD.replace('"sigmod"', '"sigmoid"').replace('"ReLU"', '"relu"')
    assert result.exit_code == 0


def test_fix_diff_and_unsafe(tmp_path):
    source = BAD + 'keras.layers.Dense(4, activation="gelu")\nkeras.layers.Dense(4, activation="zzzz")\n'
    path = tmp_path / "a.py"
    path.write_text(source)
    diff = run("check", "--diff", "--keras-version", "2.3", "a.py", cwd=tmp_path)
    assert diff.exit_code == 1 and '-keras.layers.Dense(4, activation="sigmod")' in diff.stdout
    assert "Would fix 2 problems (2 remaining)." in diff.stdout
    assert path.read_text() == source  # --diff writes nothing
    fixed = run("check", "--fix", "--keras-version", "2.3", "--output-format", "concise", "a.py", cwd=tmp_path)
    assert fixed.exit_code == 1  # gelu (unsafe) and zzzz (no fix) remain
    assert "Found 4 problems (2 fixed, 2 remaining)." in fixed.stdout
    assert '"sigmoid")\nkeras.layers.Dense(4, activation="relu")' in path.read_text()
    assert '"gelu"' in path.read_text()
    again = run("check", "--fix", "--keras-version", "2.3", "a.py", cwd=tmp_path)
    assert again.stdout.endswith("Found 2 problems (0 fixed, 2 remaining).\n")


def test_fix_exit_zero_when_everything_fixed(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    result = run("check", "--fix", "a.py", cwd=tmp_path)
    assert result.exit_code == 0
    assert (tmp_path / "a.py").read_text() == BAD.replace('"sigmod"', '"sigmoid"').replace('"ReLU"', '"relu"')


def test_verbose_names_the_target_and_why(tmp_path):
    (tmp_path / "requirements.txt").write_text("tensorflow==2.4.1\n")
    (tmp_path / "a.py").write_text(GOOD)
    result = run("check", "-v", "--no-cache", "a.py", cwd=tmp_path)
    assert "target (import keras): tf.keras in TensorFlow 2.4 — tensorflow==2.4.1 from" in result.stderr
    assert "target (tf.keras): tf.keras in TensorFlow 2.4 — tensorflow==2.4.1 from" in result.stderr
    assert "target (import tf_keras): tf-keras " in result.stderr
    assert "target (import keras_core): keras-core 0.1.7 — file imports keras_core" in result.stderr


def test_a_file_that_mixes_roots_is_judged_per_call(tmp_path):
    """keras 3.6 pinned beside TensorFlow 2.4: ``LeakyReLU(negative_slope=...)`` is right for
    ``keras.layers`` and wrong for ``tf.keras.layers`` (which calls it ``alpha``), in one file."""
    (tmp_path / "requirements.txt").write_text("keras==3.6.0\ntensorflow==2.4.1\n")
    (tmp_path / "a.py").write_text(
        "import keras\nimport tensorflow as tf\n"
        "keras.layers.LeakyReLU(negative_slope=0.2)\n"
        "tf.keras.layers.LeakyReLU(negative_slope=0.2)\n"
        "tf.keras.layers.Dense(3, activation='gelu')\n"
        "keras.layers.Dense(3, activation='gelu')\n"
    )
    result = run("check", "--no-cache", "--output-format", "concise", "a.py", cwd=tmp_path)
    lines = [line.split(": ", 1)[0] + " " + line.split(" ")[1] for line in result.stdout.splitlines() if line.startswith("a.py")]
    assert lines == ["a.py:4:27 KL201"], result.stdout  # gelu is in TF 2.4 and Keras 3.6


def test_rule_command_and_readme_table():
    text = run("rule", "KL101").stdout
    assert text.startswith("# unknown-activation (KL101)") and "## Why is this bad?" in text
    listing = run("rule", "--all").stdout
    assert all(r.code in listing for r in all_rules())
    readme = (ROOT / "README.md").read_text()
    assert rule_table(all_rules()) in readme, "README rule table drifted: run `keraslint rule --all --format markdown`"
    assert run("rule", "KL999").exit_code == 2


def test_catalog_command():
    result = run("catalog", "gelu")
    assert result.exit_code == 0
    assert result.stdout.startswith("gelu (activation): Keras 2.6.0..")
    assert run("catalog", "sigmod").exit_code == 1
    everything = run("catalog").stdout
    assert "hard_swish (activation): Keras 3.0.1.." in everything
    assert "he_normal (initializer): Keras 1.0.0..3.15.1;" in everything


@pytest.mark.parametrize("name, line", [
    ("adam", "adam (optimizer): Keras 1.0.0..3.15.1;"),
    ("AdamW", "AdamW (optimizer): Keras 3.0.0..3.15.1; tf-keras 2.16.0..2.21.0; keras-core 0.1.0..0.1.7"),
    ("he_normal", "he_normal (initializer): Keras 1.0.0..3.15.1;"),
    ("l1l2", "l1l2 (regularizer): Keras 1.0.0..1.2.2, 3.0.0..3.15.1; keras-core 0.1.0..0.1.7"),
    ("cosine_proximity", "cosine_proximity (loss): Keras 1.0.0..2.3.1; tf.keras in TensorFlow 1.4..1.15\n"),
    ("fmeasure", "fmeasure (metric): Keras 1.1.2..1.2.2"),
    ("AdamW", "AdamW (keras.optimizers.AdamW): Keras 2.12.0..3.15.1;"),  # the class, not the string
    ("GroupNormalization", "GroupNormalization (keras.layers.GroupNormalization): Keras 2.11.0..3.15.1;"),
])
def test_catalog_answers_for_every_family(name, line):
    result = run("catalog", name)
    assert result.exit_code == 0 and line in result.stdout, result.stdout


def test_cache_is_reused_and_ignores_itself(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    first = run("check", "--output-format", "concise", "a.py", cwd=tmp_path)
    cache = tmp_path / ".keraslint_cache"
    assert (cache / ".gitignore").read_text() == "*\n"
    (entry,) = cache.glob("results-*.json")
    document = json.loads(entry.read_text())
    document["files"][str((tmp_path / "a.py").resolve())]["diagnostics"][0]["message"] = "from the cache"
    entry.write_text(json.dumps(document))
    second = run("check", "--output-format", "concise", "a.py", cwd=tmp_path)
    assert "from the cache" in second.stdout  # reused while the file is unchanged
    document["fingerprint"] = document["fingerprint"].replace("KL101", "KL999")
    entry.write_text(json.dumps(document))  # as if other settings had the same file name (CRC)
    foreign = run("check", "--output-format", "concise", "a.py", cwd=tmp_path)
    assert foreign.stdout == first.stdout  # the fingerprint stored inside decides
    entry.write_text("{corrupt")
    third = run("check", "--output-format", "concise", "a.py", cwd=tmp_path)
    assert third.stdout == first.stdout  # a corrupt cache is ignored


positions = st.builds(Position, st.integers(1, 10**6), st.integers(1, 10**4))
texts = st.text(max_size=20)


@given(st.builds(
    Diagnostic, st.sampled_from(["KL101", "KL002", "KL501"]), texts, texts, positions, positions,
    st.none() | st.builds(Fix, st.sampled_from(["safe", "unsafe"]), texts, st.lists(st.builds(Edit, texts, positions, positions), max_size=3).map(tuple)),
    st.none() | st.integers(1, 500), st.none() | texts,
))
def test_cached_diagnostics_read_back_unchanged(diagnostic):
    assert _diagnostic(json.loads(json.dumps(diagnostic.as_json()))) == diagnostic


def test_exclude_and_gitignore(tmp_path):
    for name in ("a.py", "gen/b.py", "build/c.py", "skipme/d.py"):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(BAD)
    (tmp_path / ".gitignore").write_text("gen/\n")
    result = run("check", "--no-cache", "--output-format", "concise", "--extend-exclude", "skipme", ".", cwd=tmp_path)
    assert "a.py" in result.stdout
    assert "gen/b.py" not in result.stdout and "build/c.py" not in result.stdout and "skipme" not in result.stdout
    explicit = run("check", "--no-cache", "--output-format", "concise", "build/c.py", cwd=tmp_path)
    assert "build/c.py:2:34" in explicit.stdout  # named files are always checked


def test_registrations_in_one_module_cover_the_others():
    result = run("check", "--no-cache", "--keras-version", "3.15", "--output-format", "concise", str(FIXTURES / "project"))
    lines = [line for line in result.stdout.splitlines() if "uses.py" in line]
    assert len(lines) == 1 and 'KL101 Unknown Keras activation "project_actt"; did you mean "project_act"?' in lines[0]
    alone = run("check", "--no-cache", "--keras-version", "3.15", "--output-format", "concise", str(FIXTURES / "project" / "uses.py"))
    assert '"project_act"' in alone.stdout  # without the registering module, the name is unknown


def test_reexports_through_project_modules(tmp_path):
    shutil.copytree(FIXTURES / "project", tmp_path / "project")
    result = run("check", "--no-cache", "--keras-version", "3.15", "--output-format", "concise", "project", cwd=tmp_path)
    assert 'project/pkg/model.py:5:30: KL101 Unknown Keras activation "reul"' in result.stdout  # from .layers import Dense
    assert 'project/pkg/model.py:6:42: KL101 Unknown Keras activation "hard_sigmiod"' in result.stdout  # from pkg.layers
    alone = run("check", "--no-cache", "--keras-version", "3.15", "project/pkg/model.py", cwd=tmp_path)
    assert "KL101" in alone.stdout  # layers.py is found on disk through the import


def test_cached_results_follow_changes_in_imported_modules(tmp_path):
    shutil.copytree(FIXTURES / "project", tmp_path / "project")
    first = run("check", "--keras-version", "3.15", "--output-format", "concise", "project", cwd=tmp_path)
    assert "project/pkg/model.py:5:30: KL101" in first.stdout
    layers = tmp_path / "project" / "pkg" / "layers.py"
    layers.write_text("Dense = LSTM = None\n")  # no longer re-exports Keras; model.py itself is unchanged
    second = run("check", "--keras-version", "3.15", "--output-format", "concise", "project", cwd=tmp_path)
    assert "pkg/model.py" not in second.stdout


def test_strings_passed_to_functions_of_other_modules(tmp_path):
    """``build_model(inputs, loss="dice_los")`` where ``build_model`` is imported from the project
    and passes ``loss`` to ``compile``: reported at the string, with where it reaches Keras."""
    shutil.copytree(FIXTURES / "project", tmp_path / "project")
    first = run("check", "--keras-version", "3.15", "--output-format", "concise", "project", cwd=tmp_path)
    train = [line for line in first.stdout.splitlines() if "pkg/train.py" in line]
    assert [line.split(": ", 2)[1][:5] for line in train] == ["KL401", "KL401", "KL101", "KL401"]
    assert train[0] == ('project/pkg/train.py:4:32: KL401 Unknown Keras loss "dice_los" (passed to build_model() as '
                        "'loss', which reaches Keras as a loss on line 12 of pkg.builders)")
    fixed = run("check", "--keras-version", "3.15", "--fix", "project/pkg/train.py", cwd=tmp_path)
    assert fixed.exit_code == 1
    assert 'build_model(None, "categorical_crossentropy", "reul")' in (tmp_path / "project/pkg/train.py").read_text()
    builders = tmp_path / "project" / "pkg" / "builders.py"
    builders.write_text(builders.read_text().replace("loss=loss,", "loss=keras.losses.get(loss),"))
    again = run("check", "--keras-version", "3.15", "--output-format", "concise", "project", cwd=tmp_path)  # cached
    assert "KL401 Unknown Keras loss \"dice_los\" (passed to build_model() as 'loss'" in again.stdout
    builders.write_text(builders.read_text().replace("def build_model(inputs, loss,", "def build_model(inputs, loss_name,"))
    renamed = run("check", "--keras-version", "3.15", "--output-format", "concise", "project", cwd=tmp_path)
    assert "pkg/train.py:4" not in renamed.stdout  # the parameter no longer reaches Keras: the cache noticed


def test_registrations_are_read_only_when_a_finding_could_depend_on_them(tmp_path):
    (tmp_path / "clean.py").write_text("import keras\nkeras.layers.Dense(4, activation='relu')\n")
    run("check", "clean.py", cwd=tmp_path)
    assert not list((tmp_path / ".keraslint_cache").glob("facts-*.json"))
    (tmp_path / "custom.py").write_text(
        "import keras\ndef mish(x):\n    return x\nkeras.utils.get_custom_objects().update({'my_act': mish})\n")
    (tmp_path / "uses.py").write_text("import keras\nkeras.layers.Dense(4, activation='my_act')\n")
    result = run("check", ".", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout  # "my_act" is registered in custom.py
    assert len(list((tmp_path / ".keraslint_cache").glob("facts-*.json"))) == 1
    again = run("check", ".", cwd=tmp_path)  # cached results, registrations from the facts cache
    assert again.exit_code == 0, again.stdout


def test_output_file_and_empty_runs(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    result = run("check", "--no-cache", "--output-format", "json", "-o", "report.json", "a.py", cwd=tmp_path)
    assert result.exit_code == 1 and result.stdout == ""
    assert [d["code"] for d in json.loads((tmp_path / "report.json").read_text())] == ["KL101", "KL102"]
    (tmp_path / "empty").mkdir()
    empty = run("check", "--no-cache", "empty", cwd=tmp_path)
    assert empty.exit_code == 0 and empty.stdout == "All checks passed!\n"


def test_progress_bar_only_on_a_terminal_for_long_scans(monkeypatch, capsys):
    from keraslint import cli

    assert cli._progress(10_000) is None  # pytest's stderr is not a terminal
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True, raising=False)
    assert cli._progress(10) is None  # short scans stay quiet
    tick = cli._progress(600, width=10)
    for _ in range(300):
        tick()
    assert capsys.readouterr().err.endswith("\rkeraslint [#####.....] 300/600 files")
    for _ in range(300):
        tick()
    frames = capsys.readouterr().err.split("\r")
    assert len(frames) == 51 and frames[-1] == "keraslint [##########] 600/600 files\n"  # one frame per percent


def test_command_exits_fast_with_everything_written(tmp_path):
    """``python -m keraslint`` (like the console script) leaves with os._exit after flushing."""
    import subprocess
    import sys

    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "good.py").write_text("import keras\nkeras.layers.Dense(4, activation='relu')\n")

    def command(*args):
        return subprocess.run([sys.executable, "-m", "keraslint", "check", "--no-cache", *args],
                              cwd=tmp_path, capture_output=True, text=True)

    bad = command("--output-format", "json", "-o", "report.json", "bad.py")
    assert bad.returncode == 1 and len(json.loads((tmp_path / "report.json").read_text())) == 2
    good = command("good.py")
    assert good.returncode == 0 and good.stdout == "All checks passed!\n"
    many = command("--output-format", "concise", "bad.py", "good.py")
    assert many.stdout.endswith("Found 2 problems (2 fixable with --fix).\n")
    usage = command("--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
