"""Small types shared by every layer: positions, edits, fixes, diagnostics, file results.

The immutable records are NamedTuples: a frozen dataclass costs about 0.8 ms to create at
import time, which every run (a clean pre-commit file included) would pay.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Applicability = Literal["safe", "unsafe"]  # ruff's: a safe fix keeps the meaning; unsafe ones are opt-in

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with control characters, line separators and undecodable bytes (surrogates) as
    escapes: a file name or message can neither drive the terminal nor forge a report line."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


class Position(NamedTuple):
    """1-based line and column (columns count characters, like ruff)."""

    row: int
    column: int


class Edit(NamedTuple):
    """Replace the text between two positions with ``content``."""

    content: str
    location: Position
    end_location: Position


class Fix(NamedTuple):
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]


class Diagnostic(NamedTuple):
    code: str
    message: str
    filename: str
    location: Position
    end_location: Position
    fix: Fix | None = None
    cell: int | None = None  # 1-based notebook cell, None for plain files
    config_path: str | None = None  # where in a saved model's config, e.g. config.layers[3].config.activation

    @property
    def label(self) -> str:
        """``path:row:col``; ``nb.ipynb:cell 3:row:col`` in a notebook; ``m.keras:config path`` in a model."""
        if self.config_path:
            return f"{self.filename}:{self.config_path}"
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.filename}:{cell}{self.location.row}:{self.location.column}"

    def sort_key(self):
        return (self.filename, self.cell or 0, self.config_path or "", self.location, self.code, self.message)

    def as_json(self) -> dict:
        """Plain data, as the cache stores it (``cache._diagnostic`` reads it back)."""
        fix = None if self.fix is None else {
            "applicability": self.fix.applicability, "message": self.fix.message,
            "edits": [{"content": e.content, "location": e.location._asdict(), "end_location": e.end_location._asdict()}
                      for e in self.fix.edits],
        }
        return {
            "code": self.code, "message": self.message, "filename": self.filename,
            "location": self.location._asdict(), "end_location": self.end_location._asdict(),
            "fix": fix, "cell": self.cell, "config_path": self.config_path,
        }


@dataclass
class FileResult:
    """One file's outcome: diagnostics, and in fix/diff mode what changed."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    fixed_data: bytes | None = None  # the new content when fixes changed it
    consulted: tuple = ()  # (path, stamp) of the project modules whose exports were read
