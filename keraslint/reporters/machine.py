"""Machine formats in ruff's JSON shape: ``json`` (one list) and ``json-lines`` (one object a line)."""
from __future__ import annotations

import json
import os

from keraslint.diagnostics import Diagnostic
from keraslint.rules import REGISTRY, all_rules


def _position(position) -> dict:
    return {"row": position.row, "column": position.column}


def as_dict(diagnostic: Diagnostic) -> dict:
    """ruff's JSON fields (the filename absolute, as ruff gives it), plus the rule's name and severity."""
    all_rules()
    rule = REGISTRY.get(diagnostic.code)
    fix = None
    if diagnostic.fix is not None:
        fix = {
            "applicability": diagnostic.fix.applicability,
            "message": diagnostic.fix.message,
            "edits": [
                {"content": e.content, "location": _position(e.location), "end_location": _position(e.end_location)}
                for e in diagnostic.fix.edits
            ],
        }
    return {
        "cell": diagnostic.cell,
        "code": diagnostic.code,
        "config_path": diagnostic.config_path,
        "end_location": _position(diagnostic.end_location),
        "filename": os.path.abspath(diagnostic.filename),
        "fix": fix,
        "location": _position(diagnostic.location),
        "message": diagnostic.message,
        "name": rule.name if rule else None,
        "severity": rule.level if rule else "error",
        "noqa_row": diagnostic.location.row,
        "url": rule.url if rule else None,
    }


def json_list(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    return json.dumps([as_dict(d) for d in diagnostics], indent=2, sort_keys=True) + "\n"


def json_lines(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    return "".join(json.dumps(as_dict(d), sort_keys=True) + "\n" for d in diagnostics)
