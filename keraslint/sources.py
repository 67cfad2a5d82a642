"""Bytes to checkable text: encodings (PEP 263 cookies, BOM), line endings, notebooks.

Nothing here executes or imports what it reads.
"""
from __future__ import annotations

import ast
import io
import json
import os
import re
import stat
import tokenize
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from keraslint.diagnostics import Diagnostic, Position
from keraslint.rules import Rule
from keraslint.rules.files import INVALID_NOTEBOOK, SYNTAX_ERROR, UNREADABLE

if TYPE_CHECKING:  # cells.py (IPython's transformer) is imported only for notebooks
    from keraslint.cells import CellCode


class SourceError(Exception):
    """The file cannot be checked: ``rule`` says why (unreadable, a bad notebook)."""

    def __init__(self, rule: Rule, message: str):
        super().__init__(message)
        self.code = rule.code
        self.message = message


class PythonSource(NamedTuple):
    """A decoded Python file; ``encoding`` re-encodes it byte-identically (``utf-8-sig`` keeps a BOM)."""

    text: str
    encoding: str

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding)


class Cell(NamedTuple):
    number: int  # 1-based among all cells, as Jupyter shows execution order positions
    source: str  # the cell's own text
    code: CellCode  # the Python Jupyter runs, traced back to ``source``


class Notebook(NamedTuple):
    document: dict
    raw: str
    cells: tuple[Cell, ...]


def decode_python(data: bytes) -> PythonSource:
    """Decode like CPython does: BOM, then a PEP 263 coding cookie, else UTF-8."""
    if b"\x00" in data:
        raise SourceError(UNREADABLE, "File contains NUL bytes (binary or corrupt); not checked")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise SourceError(UNREADABLE, f"Invalid encoding declaration: {error.msg}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeError, LookupError) as error:  # UnicodeError: codecs such as "undefined"
        raise SourceError(UNREADABLE, f"File is not valid {encoding}: {error}") from None
    # With a BOM the encoding is "utf-8-sig": decode() dropped it and encode() writes it back.
    return PythonSource(text, encoding)


def cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def read_notebook(data: bytes) -> Notebook:
    """A notebook's code cells, each with the Python that Jupyter runs for it."""
    from keraslint.cells import notebook_python_magics, python_of_cell

    try:
        raw = data.decode("utf-8-sig")
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise SourceError(INVALID_NOTEBOOK, f"Invalid notebook: not JSON ({error})") from None
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        raise SourceError(INVALID_NOTEBOOK, "Invalid notebook: no 'cells' list (nbformat 4 expected)")
    code = []
    for index, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("source", ""), (str, list)):
            raise SourceError(INVALID_NOTEBOOK, f"Invalid notebook: cell {index} is malformed")
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and not all(isinstance(s, str) for s in source):
            raise SourceError(INVALID_NOTEBOOK, f"Invalid notebook: cell {index} source is not text")
        code.append((index, cell_text(cell)))
    magics = notebook_python_magics([text for _, text in code])
    checked = [Cell(index, text, python_of_cell(text, magics)) for index, text in code]
    return Notebook(document, raw, tuple(checked))


def dump_notebook(notebook: Notebook, document: dict) -> str | None:
    """Serialize ``document`` in the layout the original used; None if that layout is not reproducible."""
    for indent in (1, 2, 4, None):
        for ensure_ascii in (False, True):
            original = json.dumps(notebook.document, indent=indent, ensure_ascii=ensure_ascii)
            for ending in ("\n", ""):
                if original + ending == notebook.raw:
                    return json.dumps(document, indent=indent, ensure_ascii=ensure_ascii) + ending
    return None


def set_cell_text(cell: dict, text: str) -> None:
    """Store ``text`` as the cell source in the form it had: a string stays a string, and a list
    keeps its elements' boundaries wherever the text around them is unchanged."""
    source = cell.get("source")
    if not isinstance(source, list):
        cell["source"] = text
        return
    old = "".join(source)
    prefix = 0
    while prefix < min(len(old), len(text)) and old[prefix] == text[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(text)) - prefix and old[-1 - suffix] == text[-1 - suffix]:
        suffix += 1
    boundaries, offset = [], 0
    for piece in source[:-1]:
        offset += len(piece)
        if offset <= prefix:
            boundaries.append(offset)
        elif offset >= len(old) - suffix:
            boundaries.append(offset + len(text) - len(old))
    edges = [0, *boundaries, len(text)]
    cell["source"] = [text[a:b] for a, b in zip(edges, edges[1:]) if b > a] or [text]


MAX_SOURCE_BYTES = 64 * 1024 * 1024  # larger "sources" are data or attacks, not code to lint
LINE_BREAK = re.compile(r"(\r\n|\r|\n)")


def split_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer counts them: only CRLF, CR and LF end a line (not form feeds,
    U+2028 or the other breaks ``str.splitlines`` knows)."""
    return LINE_BREAK.split(text)[::2]


class FileSnapshot(NamedTuple):
    """A file's bytes and what identified it when read, to check nothing changed before a write."""

    data: bytes
    identity: tuple[int, int, int, int]  # device, inode, size, modification time (ns)
    via_link: bool  # the path was a symbolic link


def identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def read_snapshot(path: Path | str, limit: int = MAX_SOURCE_BYTES) -> FileSnapshot:
    """A regular file's bytes (following links); SourceError for FIFOs, devices, directories and
    files over ``limit``. Opened without blocking, so a FIFO never hangs the run."""
    via_link = os.path.islink(path)
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with open(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(UNREADABLE, "Not a regular file; not checked")
        if info.st_size > limit:
            raise SourceError(UNREADABLE, f"File is larger than {limit // 2**20} MiB; not checked")
        data = _read_at_most(handle, info.st_size, limit)
    if len(data) > limit:
        raise SourceError(UNREADABLE, f"File is larger than {limit // 2**20} MiB; not checked")
    return FileSnapshot(data, identity(info), via_link)


def _read_at_most(handle, size: int, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes: the size ``stat`` gave in one read (asking for the limit itself
    would allocate it for every file), then more only if the file is longer than it said."""
    data = handle.read(min(size, limit) + 1)
    while len(data) <= limit:
        more = handle.read(min(1 << 20, limit + 1 - len(data)))
        if not more:
            break
        data += more
    return data


def read_bytes(path: Path | str, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The bytes of ``read_snapshot``."""
    return read_snapshot(path, limit).data


AUXILIARY_LIMIT = 16 * 1024 * 1024  # configuration, requirement, ignore and cache files


def read_auxiliary_text(path: Path | str, errors: str = "strict") -> str:
    """A configuration or project file's text, read as safely as a scanned file (regular files
    only, never blocking on a FIFO, at most 16 MiB). A UTF-16 or UTF-32 byte-order mark is
    honoured, as pip does for requirement files; otherwise UTF-8. Raises OSError or ValueError."""
    try:
        data = read_bytes(path, AUXILIARY_LIMIT)
    except SourceError as error:
        raise ValueError(error.message) from None
    for mark, encoding in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                           (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(mark):
            return data.decode(encoding, errors)
    return data.decode("utf-8-sig", errors)


def notebook_program(notebook: Notebook, shown: str):
    """(joined code of the cells that parse, (cell, Origin) of each line, syntax errors).

    The cells are one program, as in the notebook's kernel: an import in one cell serves the next.
    """
    from keraslint.cells import Origin

    parts, origins, broken = [], [], []
    for cell in notebook.cells:
        code = cell.code
        if code.error is not None:
            if code.strict:
                row, column, message = code.error
                position = Position(row, column)
                broken.append(Diagnostic(SYNTAX_ERROR.code, f"SyntaxError: {message}", shown, position, position, None, cell.number))
            continue
        lines = split_lines(code.text)
        if lines[-1] == "":
            lines.pop()
        parts += lines
        origins += [(cell.number, origin) for origin in code.origins[: len(lines)]]
    origins.append((notebook.cells[-1].number if notebook.cells else 1, Origin(1, 0)))
    return "\n".join(parts) + "\n", origins, broken


def parse(text: str) -> ast.Module | tuple[int, int, str]:
    """CPython's parse, or (line, column, message) for text it rejects (never raises)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except SyntaxError as error:
        return error.lineno or 1, error.offset or 1, error.msg
    except (ValueError, MemoryError, RecursionError) as error:
        return 1, 1, str(error) or type(error).__name__
