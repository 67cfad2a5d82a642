"""Human formats: ``concise`` (one line each) and ``full`` (with the code and the fix)."""
from __future__ import annotations

import click

from keraslint.diagnostics import Diagnostic, printable

WINDOW = 120  # characters of a long source line shown around the finding


def _header(diagnostic: Diagnostic, color: bool, unsafe_fixes: bool = False) -> str:
    fixable = diagnostic.fix is not None and (unsafe_fixes or diagnostic.fix.applicability == "safe")
    marker = " [*]" if fixable else ""  # as ruff: [*] when --fix would apply it, with these settings
    label = printable(diagnostic.label)
    location = click.style(label, bold=True) if color else label
    code = click.style(diagnostic.code, fg="red", bold=True) if color else diagnostic.code
    return f"{location}: {code} {printable(diagnostic.message)}{marker}"


def _window(source: str, start: int, end: int) -> tuple[str, int, int]:
    """A long line cut to about ``WINDOW`` characters around columns ``start``..``end``."""
    if len(source) <= WINDOW:
        return source, start, end
    left = max(0, min(start - WINDOW // 4, len(source) - WINDOW))
    right = min(len(source), max(left + WINDOW, min(end, left + 4 * WINDOW)))
    prefix, suffix = ("…" if left else ""), ("…" if right < len(source) else "")
    return prefix + source[left:right] + suffix, start - left + len(prefix), min(end, right) - left + len(prefix)


def concise(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    return "".join(_header(d, color, unsafe_fixes) + "\n" for d in diagnostics)


def grouped(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    """ruff's ``grouped``: a file's name, then its findings indented, a blank line between files."""
    blocks = []
    for filename in dict.fromkeys(d.filename for d in diagnostics):
        name = click.style(printable(filename), bold=True, underline=True) if color else printable(filename)
        lines = [f"{name}:"]
        for d in (d for d in diagnostics if d.filename == filename):
            where = d.config_path or (f"cell {d.cell}:" if d.cell is not None else "") + f"{d.location.row}:{d.location.column}"
            fixable = d.fix is not None and (unsafe_fixes or d.fix.applicability == "safe")
            lines.append(f"  {where} {d.code} {printable(d.message)}{' [*]' if fixable else ''}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def full(diagnostics: list[Diagnostic], read_line, color: bool = False, unsafe_fixes: bool = False) -> str:
    blocks = []
    for diagnostic in diagnostics:
        lines = [_header(diagnostic, color, unsafe_fixes)]
        source = read_line(diagnostic)
        if source is not None:
            row = str(diagnostic.location.row)
            pad = " " * len(row)
            end_column = diagnostic.end_location.column - 1 if diagnostic.end_location.row == diagnostic.location.row else len(source)
            shown, start, end_column = _window(source.expandtabs(1), diagnostic.location.column - 1, end_column)
            expanded = printable(shown)
            width = max(1, end_column - start)
            underline = " " * start + "^" * width
            if color:
                underline = click.style(underline, fg="red", bold=True)
            lines += [f"{pad} |", f"{row} | {expanded}", f"{pad} | {underline} {diagnostic.code}", f"{pad} |"]
            if diagnostic.fix is not None:
                safety = "" if diagnostic.fix.applicability == "safe" else " (unsafe fix)"
                lines.append(f"{pad} = help: {diagnostic.fix.message}{safety}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
