"""Scaffold a new rule: its unit in ``keraslint/rules/``, a fixture pair and its documentation.

    python tools/add_rule.py KL601 unknown-padding "Padding string no Keras layer accepts" [--module padding]

Writes ``keraslint/rules/<module>.py`` (a new module is discovered by ``all_rules()``; an
existing one gets the rule appended), ``fixtures/<module>_<code>.py`` with an empty
``.expected`` beside it, and ``keraslint/rules/docs/<code>.md``. The stub's examples are
placeholders: ``tests/test_rules.py`` fails, naming the rule and the part, until its INVALID
example is reported and fixed as expected, its VALID one is not, and a fixture reports it;
``tests/test_fixtures.py`` fails until the fixture's expectations are regenerated
(``KERASLINT_UPDATE_FIXTURES=1``). The stub reads a new kind of site (its trigger words, its check
at each Keras call); for a new verdict on a known site, CONTRIBUTING.md says what to use instead.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RULE = '''
# TODO: where this rule looks, and the words without one of which a file has no such place. For a
# new verdict on a known kind of site, use that site instead (ACTIVATION_SITE, IDENTIFIER_SITE, ...)
# and drop this one and the check below.
{constant}_SITE = Site("{name}", triggers=lambda context: ("TODO",))


def check_{function}(call: KerasCall, context: Context) -> Iterator[Finding]:
    \"\"\"TODO: the findings at one Keras call (``call.node`` is the ``ast.Call``, ``call.path`` its
    name below the Keras root, such as ``layers.Conv2D``).\"\"\"
    return iter(())


{constant} = register(Rule(
    code="{code}",
    name="{name}",
    summary="{summary}",
    site={constant}_SITE,
    check_call=check_{function},
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
    invalid=(Invalid("import keras\\n# TODO: code this rule must report\\n", fixed="TODO: the code once fixed"),),
))
'''

MODULE = '''\"\"\"TODO: what this family of rules checks.\"\"\"
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from keraslint.rules import Context, Finding, Invalid, Rule, Site, register

if TYPE_CHECKING:
    from keraslint.resolve import KerasCall
'''

FIXTURE = '''\"\"\"{code} {name}: TODO real code that must be reported, and look-alikes that must stay silent
(cite the report each comes from).\"\"\"
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
    rule = RULE.format(constant=constant, function=constant.lower(), code=code, name=name, summary=summary)
    target.write_text(text.rstrip("\n") + "\n\n" + rule, encoding="utf-8")
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
