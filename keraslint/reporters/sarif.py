"""SARIF 2.1.0 for GitHub code scanning, with rule metadata and fixes."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from keraslint import __version__
from keraslint.diagnostics import Diagnostic
from keraslint.reporters.notebook_lines import in_file, json_replacement
from keraslint.rules import all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _region(start, end) -> dict:
    return {"startLine": start.row, "startColumn": start.column, "endLine": end.row, "endColumn": end.column}


def _uri(filename: str) -> dict:
    """An artifact location: a percent-encoded URI relative to ``%SRCROOT%`` (the working
    directory, given in the run's ``originalUriBaseIds``), or an absolute ``file:`` URI."""
    path = Path(filename)
    if path.is_absolute():
        return {"uri": _file_uri(path)}
    return {"uri": quote(path.as_posix(), errors="surrogateescape"), "uriBaseId": "%SRCROOT%"}


def _file_uri(path: Path) -> str:
    return "file://" + quote(path.as_posix(), errors="surrogateescape")


def _replacement(diagnostic: Diagnostic, edit) -> dict:
    """A fix edit in the file's own coordinates (in a notebook: the JSON text of the cell)."""
    if diagnostic.cell is not None:
        start, end, content = json_replacement(diagnostic, edit)
        return {"deletedRegion": _region(start, end), "insertedContent": {"text": content}}
    return {"deletedRegion": _region(edit.location, edit.end_location), "insertedContent": {"text": edit.content}}


def render(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    levels = {rule.code: rule.level for rule in rules}
    results = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            **({"ruleIndex": index[d.code]} if d.code in index else {}),
            "level": levels.get(d.code, "error"),
            "message": {"text": d.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": _uri(d.filename),
                    "region": _region(*in_file(d)),
                },
            }],
        }
        if d.cell is not None:
            result["properties"] = {"cell": d.cell}
        if d.config_path:
            result["locations"][0]["logicalLocations"] = [{"fullyQualifiedName": d.config_path, "kind": "member"}]
        if d.fix is not None:
            result["fixes"] = [{
                "description": {"text": f"{d.fix.message} ({d.fix.applicability})"},
                "artifactChanges": [{
                    "artifactLocation": _uri(d.filename),
                    "replacements": [_replacement(d, e) for e in d.fix.edits],
                }],
            }]
        results.append(result)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "keraslint",
                "version": __version__,
                "informationUri": "https://pypi.org/project/keraslint/",
                "rules": [
                    {
                        "id": rule.code,
                        "name": rule.name,
                        "shortDescription": {"text": rule.summary},
                        "fullDescription": {"text": rule.explanation.strip()},
                        "help": {"text": rule.explanation.strip(), "markdown": rule.explanation.strip()},
                        "helpUri": rule.url,
                        "properties": {"fixable": rule.fixable},
                    }
                    for rule in rules
                ],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": _file_uri(Path(os.getcwd())) + "/"}},
            "results": results,
        }],
    }
    return json.dumps(document, indent=2) + "\n"
