"""Small types shared by every layer: positions, edits, fixes, diagnostics, file results."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Position:
    """1-based line and column (columns count characters, like ruff)."""

    row: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text between two positions with ``content``."""

    content: str
    location: Position
    end_location: Position


@dataclass(frozen=True)
class Fix:
    applicability: str  # "safe" or "unsafe"
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Diagnostic:
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

    @property
    def is_file_error(self) -> bool:
        """Read, decode, parse and internal errors: the file was not (fully) checked."""
        return self.code in FILE_ERROR_CODES

    def sort_key(self):
        return (self.filename, self.cell or 0, self.config_path or "", self.location, self.code, self.message)


FILE_ERROR_CODES = {"KL000", "KL001", "KL002", "KL003", "KL004"}


@dataclass
class FileResult:
    """One file's outcome: diagnostics, and in fix/diff mode what changed."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    fixed_data: bytes | None = None  # the new content when fixes changed it
    consulted: tuple = ()  # (path, stamp) of the project modules whose exports were read
