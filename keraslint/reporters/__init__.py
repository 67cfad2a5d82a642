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


def location_label(diagnostic) -> str:
    """``path:row:col`` or, in a notebook, ``nb.ipynb:cell 3:row:col``."""
    cell = f"cell {diagnostic.cell}:" if diagnostic.cell is not None else ""
    return f"{diagnostic.filename}:{cell}{diagnostic.location.row}:{diagnostic.location.column}"
