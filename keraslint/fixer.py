"""Apply fix edits byte-exactly, verify the result, and replace files only when that is safe."""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from keraslint.diagnostics import Diagnostic, Edit
from keraslint.sources import LINE_BREAK, FileSnapshot, identity


class NotWritten(Exception):
    """The fixed content was not written; the message says why (the file is left as it was)."""


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts, splitting exactly where Python's tokenizer does."""
    return [0] + [m.end() for m in LINE_BREAK.finditer(text)]


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


def encode_exactly(original: bytes, old_text: str, new_text: str, encoding: str) -> bytes:
    """``new_text`` in ``encoding``, only if every byte outside the edits stays as it was.

    Codecs such as ``unicode_escape`` do not give the bytes they decoded back (a newline would
    become ``\\n``): for those nothing may be written.
    """
    def encode(text: str) -> bytes | None:
        try:
            return text.encode(encoding)
        except (UnicodeError, LookupError):
            return None

    data = encode(new_text)
    if encode(old_text) != original or data is None or data.decode(encoding, "replace") != new_text:
        raise NotWritten(f"the file's encoding ({encoding}) does not re-encode its own bytes exactly")
    return data


def replace_verified(path: Path, snapshot: FileSnapshot, data: bytes) -> None:
    """Replace the file read as ``snapshot`` with ``data``, or raise NotWritten and change nothing.

    Immediately before the rename the file must still be the one that was read (same inode,
    size, modification time and bytes), reached the same way (a symlink stays a symlink and its
    target is written). The new file gets the old one's owner, group, mode (setuid and setgid
    included: chown first) and extended attributes. A file with several hard links, or one its
    permissions do not let this user write, is refused. Written to a temporary file in the same
    directory, fsynced, then renamed: a crash at any moment leaves the old or the new content.
    """
    target = Path(os.path.realpath(path))
    if os.path.islink(path) != snapshot.via_link:
        raise NotWritten("the path was replaced by (or with) a symbolic link after it was read")
    info = _unchanged(target, snapshot)
    if info.st_nlink > 1:
        raise NotWritten(f"the file has {info.st_nlink} hard links, which replacing it would split")
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise NotWritten("the file is read-only")
    try:
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".keraslint-", suffix=".tmp")
    except OSError as error:
        raise NotWritten(f"cannot create a temporary file beside it: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            _copy_metadata(target, handle.fileno(), info)
            os.fsync(handle.fileno())
        _unchanged(target, snapshot)
        os.replace(temporary, target)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError):
            raise NotWritten(f"writing failed: {error.strerror or error}") from None
        raise
    _fsync_directory(target.parent)


def _unchanged(target: Path, snapshot: FileSnapshot) -> os.stat_result:
    """The target's stat, if it still is exactly what was read; else NotWritten."""
    try:
        info = os.stat(target)
        with open(target, "rb") as handle:
            same = identity(info) == snapshot.identity and handle.read(len(snapshot.data) + 1) == snapshot.data
    except OSError as error:
        raise NotWritten(f"the file cannot be read again: {error.strerror or error}") from None
    if not same:
        raise NotWritten("the file changed after it was read (edited while keraslint ran?)")
    return info


def _copy_metadata(source: Path, descriptor: int, info: os.stat_result) -> None:
    """Owner and group, then the exact mode (chown clears setuid/setgid), then extended attributes."""
    mine = os.fstat(descriptor)
    if (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
        try:
            os.fchown(descriptor, info.st_uid, info.st_gid)
        except PermissionError:
            raise NotWritten("the file belongs to another user; replacing it would change its owner") from None
    os.fchmod(descriptor, stat.S_IMODE(info.st_mode))
    for name in _xattrs(source):
        try:
            os.setxattr(descriptor, name, os.getxattr(source, name))
        except OSError as error:
            raise NotWritten(f"cannot keep the extended attribute {name}: {error.strerror or error}") from None


def _xattrs(path: Path) -> list[str]:
    try:
        return os.listxattr(path)
    except (OSError, AttributeError):  # no xattr support on this system or file system
        return []


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
