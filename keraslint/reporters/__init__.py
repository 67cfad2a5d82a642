"""Reporters render diagnostics; they never decide anything. One module per family of formats."""
from __future__ import annotations

from keraslint.reporters import github, junit, machine, sarif, text

FORMATS = {
    "full": text.full,
    "concise": text.concise,
    "json": machine.json_list,
    "json-lines": machine.json_lines,
    "github": github.render,
    "sarif": sarif.render,
    "junit": junit.render,
}
HUMAN_FORMATS = {"full", "concise"}

