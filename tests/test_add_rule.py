"""Adding a rule takes its own module and fixture only; leaving out a part fails a test naming it.

The toy rule from issue 19 (``KL601 unknown-padding``, ``padding="smae"``) is scaffolded with
``tools/add_rule.py`` in a copy of the project, completed the way a contributor would, and the
rule tests and fixture tests are run on that copy: they pass with the whole unit, and each part
left out makes them fail with the part's name.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import add_rule  # noqa: E402

PADDING_RULE = '''"""Padding strings of convolution and pooling layers."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from keraslint.rules import Context, Finding, Invalid, Rule, Site, register

if TYPE_CHECKING:
    from keraslint.resolve import KerasCall

# ``padding=`` of a Keras call.
PADDING_SITE = Site("padding", triggers=lambda context: ("padding",))
PADDINGS = ("valid", "same", "causal")


def check_padding(call: KerasCall, context: Context) -> Iterator[Finding]:
    """A ``padding=`` string no layer takes; a transposition of a valid one is fixed."""
    for keyword in call.node.keywords:
        value = keyword.value
        if keyword.arg == "padding" and isinstance(value, ast.Constant) and isinstance(value.value, str) \\
                and value.value.lower() not in PADDINGS:
            close = [p for p in PADDINGS if sorted(p) == sorted(value.value.lower())]
            yield Finding(UNKNOWN_PADDING, value, f'Unknown padding "{value.value}"',
                          new_value=close[0] if close else None, fix_message="Fix the spelling")


UNKNOWN_PADDING = register(Rule(
    code="KL601",
    name="unknown-padding",
    summary="Padding string no Keras layer accepts",
    site=PADDING_SITE,
    check_call=check_padding,
    explanation=\'\'\'
## What it does
Finds `padding=` strings that no Keras layer accepts, such as `Conv2D(8, 3, padding="smae")`.

## Why is this bad?
Keras raises `ValueError` when the layer is built.

## Example
```python
keras.layers.Conv2D(8, 3, padding="smae")
```

Use instead:
```python
keras.layers.Conv2D(8, 3, padding="same")
```

## Fix safety
Safe for a transposition of a valid name; otherwise no fix.
\'\'\',
    valid=('import keras\\nkeras.layers.Conv2D(8, 3, padding="same")\\n',),
    invalid=(
        Invalid('import keras\\nkeras.layers.Conv2D(8, 3, padding="smae")\\n',
                fixed='import keras\\nkeras.layers.Conv2D(8, 3, padding="same")\\n'),
        Invalid('import keras\\nkeras.layers.Conv2D(8, 3, padding="full")\\n'),
    ),
))
'''

PADDING_FIXTURE = '''"""KL601 unknown-padding: a transposed padding string, and a look-alike that stays silent."""
import keras

keras.layers.Conv2D(8, 3, padding="smae")
keras.layers.Conv2D(8, 3, padding="same")
'''


def _project_copy(tmp_path: Path) -> Path:
    """The package, its tests and fixtures, with the toy rule scaffolded and completed."""
    for part in ("keraslint", "tests", "fixtures"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    add_rule.scaffold("KL601", "unknown-padding", "Padding string no Keras layer accepts", "padding", tmp_path)
    (tmp_path / "keraslint" / "rules" / "padding.py").write_text(PADDING_RULE, encoding="utf-8")
    (tmp_path / "fixtures" / "padding_kl601.py").write_text(PADDING_FIXTURE, encoding="utf-8")
    return tmp_path


def _rule_tests(project: Path, update: bool = False) -> subprocess.CompletedProcess:
    """The rule and fixture tests of the toy rule, run on the copy."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("KERASLINT_UPDATE_FIXTURES", None)
    if update:
        env["KERASLINT_UPDATE_FIXTURES"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "KL601 or padding",
         "tests/test_rules.py", "tests/test_fixtures.py"],
        cwd=project, env=env, capture_output=True, text=True)


def test_a_scaffolded_rule_is_discovered_and_named_until_implemented(tmp_path):
    shutil.copytree(ROOT / "keraslint", tmp_path / "keraslint", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "fixtures").mkdir()
    written = add_rule.scaffold("KL601", "unknown-padding", "Padding string no Keras layer accepts", "padding", tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "keraslint/rules/padding.py", "fixtures/padding_kl601.py", "fixtures/padding_kl601.expected",
        "keraslint/rules/docs/KL601.md",
    ]
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, keraslint\nfrom keraslint.rules import all_rules\n"
         "assert keraslint.__file__.startswith(sys.argv[1]), keraslint.__file__\n"
         "print([(r.code, r.name, r.site.name) for r in all_rules()][-1])", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path), "PATH": ""})
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "('KL601', 'unknown-padding', 'unknown-padding')"  # discovered, listed nowhere


@pytest.mark.slow
def test_the_toy_padding_rule_takes_its_module_and_fixture_only(tmp_path):
    project = _project_copy(tmp_path)
    generated = _rule_tests(project, update=True)  # the documented step: expectations and docs regenerated
    assert "KL601" in (project / "fixtures" / "padding_kl601.expected").read_text(encoding="utf-8"), generated.stdout
    whole = _rule_tests(project)
    assert whole.returncode == 0, whole.stdout
    assert " passed" in whole.stdout and "failed" not in whole.stdout

    module = project / "keraslint" / "rules" / "padding.py"
    left_out = {  # part -> (how the module reads without it, what the failing test says)
        "check": (PADDING_RULE.replace("    check_call=check_padding,\n", ""), "no check reports this INVALID example"),
        "trigger words": (PADDING_RULE.replace('("padding",)', '("pad_mode",)'), "the prefilter skips this INVALID example"),
        "expected fix": (PADDING_RULE.replace("fixed='import keras", "fixed='import  keras"),
                         "the fix differs from the example's expected fix"),
        "example section": (PADDING_RULE.replace("## Example", "## Sample"), "explanation section '## Example'"),
        "VALID examples": (PADDING_RULE.replace("valid=('import keras\\nkeras.layers.Conv2D(8, 3, padding=\"same\")\\n',)",
                                                "valid=()"), "lacks: VALID examples"),
    }
    for part, (text, named) in left_out.items():
        assert text != PADDING_RULE, part
        module.write_text(text, encoding="utf-8")
        failed = _rule_tests(project)
        assert failed.returncode != 0 and named in failed.stdout, (part, failed.stdout[-3000:])
    module.write_text(PADDING_RULE, encoding="utf-8")
    (project / "fixtures" / "padding_kl601.py").unlink()
    (project / "fixtures" / "padding_kl601.expected").unlink()
    failed = _rule_tests(project)
    assert failed.returncode != 0 and "a fixture reporting it" in failed.stdout


def test_the_scaffold_refuses_a_taken_code_and_odd_names(tmp_path):
    shutil.copytree(ROOT / "keraslint" / "rules", tmp_path / "keraslint" / "rules")
    (tmp_path / "fixtures").mkdir()
    for code, name in (("KL101", "x"), ("KL6", "x"), ("KL601", "Bad_Name")):
        try:
            add_rule.scaffold(code, name, "s", "padding", tmp_path)
        except SystemExit as error:
            assert str(error)
        else:
            raise AssertionError(f"{code} {name} accepted")
