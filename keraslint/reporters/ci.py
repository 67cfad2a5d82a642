"""Formats of other CI systems and review tools, in the shapes ruff writes them: ``gitlab`` (Code
Quality), ``azure`` (pipeline logging commands), ``pylint`` (its parseable lines) and ``rdjson``
(reviewdog)."""
from __future__ import annotations

import json
import os
import zlib
from typing import Any

from keraslint.diagnostics import Diagnostic, printable
from keraslint.reporters.notebook_lines import in_file
from keraslint.rules import REGISTRY, all_rules


def _level(code: str) -> str:
    all_rules()
    rule = REGISTRY.get(code)
    return rule.level if rule else "error"


def gitlab(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    """GitLab Code Quality: paths relative to the project (CI_PROJECT_DIR, else here), a stable
    fingerprint per finding."""
    base = os.environ.get("CI_PROJECT_DIR") or os.getcwd()
    issues = []
    for d in diagnostics:
        start, end = in_file(d)
        path = os.path.relpath(os.path.abspath(d.filename), base)
        key = f"{path}:{d.code}:{d.message}:{d.cell}:{d.config_path}:{start.row}:{start.column}"
        issues.append({
            "check_name": d.code,
            "description": f"{d.code}: {d.message}",
            "fingerprint": f"{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}{len(key):08x}",
            "location": {"path": path, "lines": {"begin": start.row, "end": end.row}},
            "severity": "minor" if _level(d.code) == "warning" else "major",
        })
    return json.dumps(issues, indent=2) + "\n"


def azure(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    lines = []
    for d in diagnostics:
        start, _ = in_file(d)
        kind = "warning" if _level(d.code) == "warning" else "error"
        lines.append(f"##vso[task.logissue type={kind};sourcepath={printable(os.path.abspath(d.filename))};"
                     f"linenumber={start.row};columnnumber={start.column};code={d.code};]{printable(d.message)}\n")
    return "".join(lines)


def pylint(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    return "".join(f"{printable(d.filename)}:{in_file(d)[0].row}: [{d.code}] {printable(d.message)}\n" for d in diagnostics)


def rdjson(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    """reviewdog's Diagnostic Format, with each fix as a suggestion."""
    def span(start, end) -> dict:
        return {"start": {"line": start.row, "column": start.column}, "end": {"line": end.row, "column": end.column}}

    found = []
    for d in diagnostics:
        start, end = in_file(d)
        entry: dict[str, Any] = {"message": d.message, "location": {"path": os.path.abspath(d.filename), "range": span(start, end)},
                 "code": {"value": d.code}, "severity": "WARNING" if _level(d.code) == "warning" else "ERROR"}
        if d.fix is not None and d.cell is None:
            entry["suggestions"] = [{"range": span(e.location, e.end_location), "text": e.content} for e in d.fix.edits]
        found.append(entry)
    document = {"source": {"name": "keraslint"}, "severity": "ERROR", "diagnostics": found}
    return json.dumps(document, indent=2) + "\n"
