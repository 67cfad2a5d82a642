"""Where ruff has a convention, keraslint behaves the same: each scenario is a habit of a ruff
user that an earlier release silently broke."""
from __future__ import annotations

import json
import os

import pytest

from test_cli import BAD, GOOD, run

SYNTAX_ERROR = "import keras\nkeras.layers.Dense(activation=\n"


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "good.py").write_text(GOOD)
    return tmp_path


@pytest.mark.parametrize("fmt", ["json", "json-lines", "sarif", "junit", "gitlab", "rdjson"])
def test_statistics_never_corrupts_machine_output(tree, fmt, tmp_path):
    result = run("check", "-n", "--statistics", "--output-format", fmt, "-o", "out.txt", "bad.py", cwd=tree)
    rows = json.loads((tree / "out.txt").read_text())
    assert rows == [{"code": "KL101", "count": 1, "fixable": True, "name": "unknown-activation"},
                    {"code": "KL102", "count": 1, "fixable": True, "name": "activation-case-mismatch"}]
    assert result.exit_code == 1


def test_a_malformed_pyproject_is_an_error_not_a_silent_default(tree):
    (tree / "pyproject.toml").write_text("[tool.keraslint\nselect = [\n")
    result = run("check", "-n", "bad.py", cwd=tree)
    assert result.exit_code == 2 and "cannot parse" in result.stderr


@pytest.mark.parametrize("config, arguments, expected", [
    ('ignore = ["KL4", "KL102"]', ["--ignore", "KL4"], ["KL101"]),                  # the CLI adds to the config
    ('extend-select = ["KL1"]\nselect = ["KL4"]', ["--extend-select", "KL5"], ["KL101", "KL102"]),
    ('ignore = ["KL102"]', ["--select", "KL102"], ["KL102"]),                       # the CLI's select starts again
    ('select = ["KL102"]\nignore = ["KL1"]', [], ["KL102"]),                        # the more specific wins
    ('select = ["KL1"]\nignore = ["KL101"]', [], ["KL102"]),
    ("", ["--select", "KL1", "--ignore", "KL1"], []),                               # equal: ignore wins
])
def test_selection_layers_like_ruff(tree, config, arguments, expected):
    (tree / "pyproject.toml").write_text(f"[tool.keraslint]\n{config}\n")
    result = run("check", "-n", "--output-format", "json", *arguments, "bad.py", cwd=tree)
    assert sorted({d["code"] for d in json.loads(result.stdout)}) == expected


def test_an_output_file_in_a_missing_directory_is_created(tree):
    result = run("check", "-n", "--output-format", "json", "-o", "out/deeper/report.json", "bad.py", cwd=tree)
    assert result.exit_code == 1 and len(json.loads((tree / "out/deeper/report.json").read_text())) == 2
    result = run("check", "-n", "--output-format", "concise", "-o", "out/report.txt", "bad.py", cwd=tree)
    assert "Found 2 problems" in result.stderr and "Found" not in (tree / "out/report.txt").read_text()


@pytest.mark.parametrize("environment, arguments, colored", [
    ({"FORCE_COLOR": "1"}, [], True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], True),
    ({}, ["--color", "always"], True), ({"FORCE_COLOR": "1"}, ["--color", "never"], False), ({}, [], False),
])
def test_color_follows_the_flag_and_the_conventions(tree, monkeypatch, environment, arguments, colored):
    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    from click.testing import CliRunner

    from keraslint.cli import main

    previous = os.getcwd()
    os.chdir(tree)
    try:
        result = CliRunner().invoke(main, ["check", "-n", *arguments, "bad.py"], color=True)
    finally:
        os.chdir(previous)
    assert ("\x1b[" in result.output) == colored


def test_no_color_on_a_terminal(tree):
    import subprocess
    import sys

    script = ("import os, pty, sys\npid, fd = pty.fork()\nif pid == 0:\n"
              f"    os.chdir({str(tree)!r}); os.execv(sys.executable, [sys.executable, '-m', 'keraslint', 'check', '-n', 'bad.py'])\n"
              "out = b''\nwhile True:\n    try:\n        chunk = os.read(fd, 4096)\n    except OSError:\n        break\n"
              "    if not chunk:\n        break\n    out += chunk\nsys.stdout.write(repr(out))\n")
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": os.getcwd()}
    env.pop("FORCE_COLOR", None)
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60).stdout
    assert "KL101" in output and "\\x1b[" not in output


def test_syntax_and_read_errors_are_findings_and_exit_zero_is_zero(tree):
    (tree / "broken.py").write_text(SYNTAX_ERROR)
    assert run("check", "-n", "broken.py", cwd=tree).exit_code == 1
    assert run("check", "-n", "--exit-zero", "broken.py", cwd=tree).exit_code == 0
    assert run("check", "-n", "-e", "broken.py", "bad.py", cwd=tree).exit_code == 0
    (tree / "binary.py").write_bytes(b"\x00\x01")
    assert run("check", "-n", "binary.py", cwd=tree).exit_code == 1


def test_paths_are_absolute_where_ruff_gives_absolute_paths(tree):
    (tree / "sub").mkdir()
    (tree / "sub" / "bad.py").write_text(BAD)
    github = run("check", "-n", "--output-format", "github", "sub/bad.py", cwd=tree).stdout
    assert f"file={(tree / 'sub' / 'bad.py').resolve()}".replace(":", "%3A").replace(",", "%2C") in github
    document = json.loads(run("check", "-n", "--output-format", "json", "sub/bad.py", cwd=tree).stdout)
    assert document[0]["filename"] == str((tree / "sub" / "bad.py").absolute())
    assert document[0]["name"] == "unknown-activation" and document[0]["severity"] == "error"
    sarif = json.loads(run("check", "-n", "--output-format", "sarif", "sub/bad.py", cwd=tree).stdout)
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "sub/bad.py", "uriBaseId": "%SRCROOT%"}
    assert sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tree.resolve().as_uri() + "/"


def test_unsafe_fixes_get_the_marker_when_enabled(tree):
    (tree / "old.py").write_text('import keras\nm = keras.Sequential()\nm.compile(loss="rmse")\n')
    plain = run("check", "-n", "--output-format", "concise", "old.py", cwd=tree).stdout
    unsafe = run("check", "-n", "--unsafe-fixes", "--output-format", "concise", "old.py", cwd=tree).stdout
    assert "[*]" not in plain.splitlines()[0] and unsafe.splitlines()[0].endswith("[*]")


def test_noqa_after_a_multi_line_string_and_messages_on_one_line(tree):
    (tree / "multi.py").write_text('import keras\nkeras.layers.Activation("""re\nul""")  # noqa: KL101\n'
                                   'keras.layers.Activation("""Re\nLU""")\n')
    result = run("check", "-n", "--output-format", "concise", "multi.py", cwd=tree)
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("multi.py:4:25:") and "\n" not in lines[0]


def test_skip_file_in_a_string_does_not_skip(tree):
    (tree / "s.py").write_text('note = "# keraslint: skip-file"\n' + BAD)
    assert run("check", "-n", "s.py", cwd=tree).exit_code == 1
    (tree / "t.py").write_text("# keraslint: skip-file\n" + BAD)
    assert run("check", "-n", "t.py", cwd=tree).exit_code == 0


@pytest.mark.parametrize("comment, remaining", [
    ("# keraslint: noqa", []), ("# keraslint: noqa: KL101", ["KL102"]), ("# keraslint: noqa: KL1", []),
    ('x = "# keraslint: noqa"', ["KL101", "KL102"]),
])
def test_file_level_noqa(tree, comment, remaining):
    (tree / "f.py").write_text(comment + "\n" + BAD)
    result = run("check", "-n", "--output-format", "json", "f.py", cwd=tree)
    assert [d["code"] for d in json.loads(result.stdout)] == remaining


def test_dash_stands_alone_and_config_needs_its_table(tree):
    assert run("check", "-n", "-", "bad.py", cwd=tree, stdin=BAD).exit_code == 2
    (tree / "other.toml").write_text("[tool.other]\nx = 1\n")
    result = run("check", "-n", "--config", "other.toml", "bad.py", cwd=tree)
    assert result.exit_code == 2 and "no [tool.keraslint] table" in result.stderr


def test_diff_exits_zero_with_nothing_to_change(tree):
    (tree / "unfixable.py").write_text('import keras\nkeras.layers.Dense(4, activation="zzzz")\n')
    assert run("check", "-n", "--diff", "good.py", "unfixable.py", cwd=tree).exit_code == 0
    assert run("check", "-n", "--diff", "bad.py", cwd=tree).exit_code == 1


def test_fix_only_show_fixes_and_exit_non_zero_on_fix(tree):
    (tree / "two.py").write_text(BAD + 'keras.layers.Dense(4, activation="zzzz")\n')
    result = run("check", "-n", "--fix-only", "--show-fixes", "two.py", cwd=tree)
    assert result.exit_code == 0 and "Fixed 2 problems in two.py" in result.stdout and "zzzz" not in result.stdout
    (tree / "again.py").write_text(BAD)
    assert run("check", "-n", "--fix", "--exit-non-zero-on-fix", "again.py", cwd=tree).exit_code == 1
    assert run("check", "-n", "--fix", "--exit-non-zero-on-fix", "again.py", cwd=tree).exit_code == 0


def test_force_exclude_applies_to_files_named_by_pre_commit(tree):
    (tree / "pyproject.toml").write_text('[tool.keraslint]\nextend-exclude = ["generated"]\n')
    (tree / "generated").mkdir()
    (tree / "generated" / "bad.py").write_text(BAD)
    assert run("check", "-n", "generated/bad.py", cwd=tree).exit_code == 1
    assert run("check", "-n", "--force-exclude", "generated/bad.py", cwd=tree).exit_code == 0


def test_per_file_ignores_from_the_command_line(tree):
    (tree / "pyproject.toml").write_text('[tool.keraslint]\nper-file-ignores = {"bad.py" = ["KL102"]}\n')
    kept = run("check", "-n", "--output-format", "json", "bad.py", cwd=tree)
    assert [d["code"] for d in json.loads(kept.stdout)] == ["KL101"]
    replaced = run("check", "-n", "--output-format", "json", "--per-file-ignores", "bad.py:KL101", "bad.py", cwd=tree)
    assert [d["code"] for d in json.loads(replaced.stdout)] == ["KL102"]
    extended = run("check", "-n", "--output-format", "json", "--extend-per-file-ignores", "bad.py:KL101", "bad.py", cwd=tree)
    assert json.loads(extended.stdout) == []


def test_add_noqa_silences_every_finding(tree):
    assert run("check", "-n", "--add-noqa", "bad.py", cwd=tree).exit_code == 0
    assert "# noqa: KL101" in (tree / "bad.py").read_text()
    assert run("check", "-n", "bad.py", cwd=tree).exit_code == 0


def test_show_files_isolated_and_environment_overrides(tree, monkeypatch):
    listed = run("check", "--show-files", ".", cwd=tree).stdout.splitlines()
    assert listed == [str((tree / "bad.py").absolute()), str((tree / "good.py").absolute())]
    (tree / "pyproject.toml").write_text('[tool.keraslint]\nignore = ["KL1"]\n')
    assert run("check", "-n", "bad.py", cwd=tree).exit_code == 0
    assert run("check", "-n", "--isolated", "bad.py", cwd=tree).exit_code == 1
    monkeypatch.setenv("KERASLINT_OUTPUT_FORMAT", "concise")
    monkeypatch.setenv("KERASLINT_KERAS_VERSION", "2.3")
    (tree / "gelu.py").write_text('import keras\nkeras.layers.Dense(4, activation="gelu")\n')
    result = run("check", "-n", "--isolated", "gelu.py", cwd=tree)
    assert result.stdout.startswith("gelu.py:2:34: KL103")


def test_a_warning_when_no_files_are_found(tmp_path):
    result = run("check", "-n", ".", cwd=tmp_path)
    assert result.exit_code == 0 and "No Python files found" in result.stderr


def test_clean_and_rules_by_name_and_as_json(tree):
    assert run("check", "bad.py", cwd=tree).exit_code == 1 and (tree / ".keraslint_cache").is_dir()
    run("clean", cwd=tree)
    assert not (tree / ".keraslint_cache").exists()
    assert run("rule", "unknown-activation").stdout.startswith("# unknown-activation (KL101)")
    listed = json.loads(run("rule", "--all", "--output-format", "json").stdout)
    assert {"code": "KL501", "severity": "warning"}.items() <= listed[-2].items()
