"""Apply fix edits byte-exactly, verify the result, and write files atomically."""
from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from keraslint.diagnostics import Diagnostic, Edit

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts, splitting exactly where Python's tokenizer does."""
    return [0] + [m.end() for m in _LINE_BREAK.finditer(text)]


def fixable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    return diagnostic.fix is not None and (unsafe or diagnostic.fix.applicability == "safe")


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, list[Edit]]:
    """Apply non-overlapping edits (the first of overlapping ones wins); return text and applied edits."""
    starts = line_starts(text)

    def offset(position) -> int:
        return starts[position.row - 1] + position.column - 1

    spans = sorted(((offset(e.location), offset(e.end_location), e) for e in edits), key=lambda s: (s[0], s[1]))
    pieces, applied, cursor = [], [], 0
    for start, end, edit in spans:
        if start < cursor:
            continue
        pieces += [text[cursor:start], edit.content]
        applied.append(edit)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), applied


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` via a temporary file in the same directory: fsync, then rename.

    Mode and (where permitted) ownership are kept; a symlink is followed so the link survives.
    A crash at any moment leaves either the old or the new content, never a mix.
    """
    target = path.resolve()
    info = target.stat()
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".keraslint-tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        try:
            os.chown(temporary, info.st_uid, info.st_gid)
        except (PermissionError, AttributeError):
            pass
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
