"""GitHub Actions workflow commands: annotations on the pull request's changed lines."""
from __future__ import annotations

import os

from keraslint.diagnostics import Diagnostic, printable
from keraslint.reporters.notebook_lines import in_file


def _escape_data(text: str) -> str:
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    lines = []
    for d in diagnostics:
        start, end = in_file(d)  # a notebook cell's line is annotated on its line of the .ipynb
        properties = ",".join([
            f"title={_escape_property(f'keraslint ({d.code})')}",
            f"file={_escape_property(os.path.abspath(d.filename))}",  # as ruff: absolute, whatever the job's directory
            f"line={start.row}",
            f"col={start.column}",
            f"endLine={end.row}",
            f"endColumn={end.column}",
        ])
        message = f"{d.label}: {d.code} {d.message}"
        lines.append(f"::error {properties}::{_escape_data(message)}\n")
    return "".join(lines)
