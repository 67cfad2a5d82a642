"""Scaffold a new rule: its unit in ``keraslint/rules/``, a fixture pair and its documentation.

    python tools/add_rule.py KL601 unknown-padding "Padding string no Keras layer accepts" [--module padding]

Writes ``keraslint/rules/<module>.py`` (a new module is discovered by ``all_rules()``; an
existing one gets the rule appended), ``fixtures/<module>_<code>.py`` with an empty
``.expected`` beside it, and ``keraslint/rules/docs/<code>.md``. The stub's examples are
placeholders: ``tests/test_rules.py`` fails, naming the rule, until its INVALID example is
reported and its VALID one is not; ``tests/test_fixtures.py`` fails until the fixture's
expectations are regenerated (``KERASLINT_UPDATE_FIXTURES=1``). CONTRIBUTING.md says what else a
new kind of site needs (the checker's dispatch and the prefilter's trigger words).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RULE = '''
{constant} = register(Rule(
    code="{code}",
    name="{name}",
    summary="{summary}",
    fixable="sometimes",
    explanation=\'\'\'
## What it does
TODO: what the rule finds, with a short example of each kind of site it reads.

## Why is this bad?
TODO: what fails at run time, and when.

## Example
```python
TODO
```

Use instead:
```python
TODO
```

## Fix safety
TODO: when the fix is safe, unsafe, or absent.
\'\'\',
    valid=("import keras\\n# TODO: code this rule must leave alone\\n",),
    invalid=("import keras\\n# TODO: code this rule must report\\n",),
))
'''

MODULE = '''"""TODO: what this family of rules checks."""
from __future__ import annotations

from keraslint.rules import Rule, register
'''

FIXTURE = '''"""{code} {name}: TODO real code that must be reported, and look-alikes that must stay silent
(cite the report each comes from)."""
import keras
'''


def scaffold(code: str, name: str, summary: str, module: str, root: Path = ROOT) -> list[Path]:
    """Write the rule stub, the fixture pair and the documentation; return the paths written."""
    if not re.fullmatch(r"KL\d{3}", code):
        raise SystemExit(f"code must look like KL601, not {code!r}")
    if not re.fullmatch(r"[a-z][a-z0-9-]*", name):
        raise SystemExit(f"name must be kebab-case, not {name!r}")
    rules = root / "keraslint" / "rules"
    if any(f'code="{code}"' in path.read_text(encoding="utf-8") for path in rules.glob("*.py")):
        raise SystemExit(f"{code} is taken")
    target = rules / f"{module}.py"
    text = target.read_text(encoding="utf-8") if target.exists() else MODULE
    constant = name.upper().replace("-", "_")
    target.write_text(text.rstrip("\n") + "\n\n" + RULE.format(constant=constant, code=code, name=name,
                                                               summary=summary), encoding="utf-8")
    fixture = root / "fixtures" / f"{module}_{code.lower()}.py"
    fixture.write_text(FIXTURE.format(code=code, name=name), encoding="utf-8")
    expected = fixture.with_suffix(".expected")
    expected.write_text("", encoding="utf-8")
    doc = rules / "docs" / f"{code}.md"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(f"# {name} ({code})\n\nFix is sometimes available.\n\nTODO\n", encoding="utf-8")
    return [target, fixture, expected, doc]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("code", help="KL followed by three digits (the family is the first digit)")
    parser.add_argument("name", help="kebab-case name, as ruff names rules")
    parser.add_argument("summary", help="one line: what the rule finds")
    parser.add_argument("--module", help="rules module to write to (default: the name's first word)")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    for path in scaffold(args.code, args.name, args.summary, args.module or args.name.split("-")[-1], args.root):
        print(f"wrote {path}", file=sys.stderr)
    print("next: implement the detection, fill the TODOs, then "
          "KERASLINT_UPDATE_FIXTURES=1 pytest tests/test_rules.py tests/test_fixtures.py", file=sys.stderr)


if __name__ == "__main__":
    main()
