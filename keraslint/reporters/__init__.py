"""Reporters render diagnostics; they never decide anything. One module per family of formats.

Only the chosen format's module is imported (start-up time counts on every commit).
"""
from __future__ import annotations

import importlib

FORMATS = {
    "full": ("text", "full"),
    "concise": ("text", "concise"),
    "grouped": ("text", "grouped"),
    "gitlab": ("ci", "gitlab"),
    "azure": ("ci", "azure"),
    "pylint": ("ci", "pylint"),
    "rdjson": ("ci", "rdjson"),
    "json": ("machine", "json_list"),
    "json-lines": ("machine", "json_lines"),
    "github": ("github", "render"),
    "sarif": ("sarif", "render"),
    "junit": ("junit", "render"),
}
HUMAN_FORMATS = {"full", "concise", "grouped"}


def renderer(name: str):
    """The function rendering format ``name``."""
    module, function = FORMATS[name]
    return getattr(importlib.import_module(f"keraslint.reporters.{module}"), function)
