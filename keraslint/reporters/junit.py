"""JUnit XML: one test suite per file, one failing test case per diagnostic."""
from __future__ import annotations

from html import escape
from itertools import groupby

from keraslint.diagnostics import Diagnostic, printable


def quoteattr(text: str) -> str:
    return f'"{escape(printable(text), quote=True)}"'


def render(diagnostics: list[Diagnostic], read_line=None, color: bool = False, unsafe_fixes: bool = False) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    total = len(diagnostics)
    out.append(f'<testsuites name="keraslint" tests="{total}" failures="{total}" errors="0">')
    for filename, grouped in groupby(diagnostics, key=lambda d: d.filename):
        group = list(grouped)
        out.append(f'  <testsuite name={quoteattr(filename)} tests="{len(group)}" disabled="0" errors="0" failures="{len(group)}" package="org.keraslint">')
        for d in group:
            cell = f"cell {d.cell}, " if d.cell is not None else f"{d.config_path}, " if d.config_path else ""
            out.append(f'    <testcase name="org.keraslint.{d.code}" classname={quoteattr(filename)} line="{d.location.row}" column="{d.location.column}">')
            text = f"{cell}line {d.location.row}, col {d.location.column}, {d.message}"
            out.append(f"      <failure message={quoteattr(d.message)}>{escape(printable(text), quote=False)}</failure>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
