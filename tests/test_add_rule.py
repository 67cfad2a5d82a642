"""tools/add_rule.py: a scaffolded rule is discovered, and the suite names it until it works."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import add_rule  # noqa: E402

PROBE = """
import keraslint
from keraslint.rules import all_rules, REGISTRY
from keraslint.catalog import load
from keraslint.runner import Job, check_bytes
assert keraslint.__file__.startswith(sys.argv[1]), keraslint.__file__
codes = sorted(r.code for r in all_rules())
rule = REGISTRY["KL601"]
job = Job(load().target("3.15", "t"), (), frozenset({"KL601"}), prefilter=False)
print(codes[-2:], rule.name, [d.code for d in check_bytes(rule.invalid[0].encode(), "x.py", job).diagnostics])
"""


def test_a_scaffolded_rule_is_discovered_and_fails_until_implemented(tmp_path):
    shutil.copytree(ROOT / "keraslint", tmp_path / "keraslint", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "fixtures").mkdir()
    written = add_rule.scaffold("KL601", "unknown-padding", "Padding string no Keras layer accepts", "padding", tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "keraslint/rules/padding.py", "fixtures/padding_kl601.py", "fixtures/padding_kl601.expected",
        "keraslint/rules/docs/KL601.md",
    ]
    probe = subprocess.run([sys.executable, "-c", "import sys\n" + PROBE, str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                           env={"PYTHONPATH": str(tmp_path), "PATH": ""})
    assert probe.returncode == 0, probe.stderr
    # discovered without being listed anywhere; its placeholder INVALID example is not reported yet,
    # which is what tests/test_rules.py::test_invalid_examples_are_reported[KL601-...] fails on
    assert probe.stdout.strip() == "['KL502', 'KL601'] unknown-padding []"


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
