"""Human formats: ``concise`` (one line each) and ``full`` (with the code and the fix)."""
from __future__ import annotations

import click

from keraslint.diagnostics import Diagnostic


def _header(diagnostic: Diagnostic, color: bool) -> str:
    marker = " [*]" if diagnostic.fix is not None and diagnostic.fix.applicability == "safe" else ""
    location = click.style(diagnostic.label, bold=True) if color else diagnostic.label
    code = click.style(diagnostic.code, fg="red", bold=True) if color else diagnostic.code
    return f"{location}: {code} {diagnostic.message}{marker}"


def concise(diagnostics: list[Diagnostic], read_line, color: bool = False) -> str:
    return "".join(_header(d, color) + "\n" for d in diagnostics)


def full(diagnostics: list[Diagnostic], read_line, color: bool = False) -> str:
    blocks = []
    for diagnostic in diagnostics:
        lines = [_header(diagnostic, color)]
        source = read_line(diagnostic)
        if source is not None:
            row = str(diagnostic.location.row)
            pad = " " * len(row)
            start = diagnostic.location.column - 1
            end_column = diagnostic.end_location.column - 1 if diagnostic.end_location.row == diagnostic.location.row else len(source)
            width = max(1, end_column - start)
            expanded = source.expandtabs(1)
            underline = " " * start + "^" * width
            if color:
                underline = click.style(underline, fg="red", bold=True)
            lines += [f"{pad} |", f"{row} | {expanded}", f"{pad} | {underline} {diagnostic.code}", f"{pad} |"]
            if diagnostic.fix is not None:
                safety = "" if diagnostic.fix.applicability == "safe" else " (unsafe fix)"
                lines.append(f"{pad} = help: {diagnostic.fix.message}{safety}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
