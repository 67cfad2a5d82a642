"""Where a notebook cell's line stands in the ``.ipynb`` file itself, for formats whose consumers
(GitHub annotations, code scanning) only know lines of files."""
from __future__ import annotations

import functools
import json
import re

from keraslint.diagnostics import Diagnostic, Position
from keraslint.sources import LINE_BREAK

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+|\s+', re.DOTALL)


def source_strings(raw: str) -> dict[int, list[tuple[str, int, int]]]:
    """For each cell (1-based), its source strings: (decoded text, line, column) of the opening
    quote in ``raw`` (1-based). A list source gives one entry per element, a string source one."""
    found: dict[int, list[tuple[str, int, int]]] = {}
    path: list = []  # keys and indices from the document to the current value
    stack: list[list] = []  # per open container: [is_object, key or index, expecting a key]
    line, line_start = 1, 0
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if token in "{[":
            if stack:
                path[-1] = stack[-1][1]
            stack.append([token == "{", None if token == "{" else 0, token == "{"])
            path.append(None)
        elif token in "}]":
            stack.pop()
            path.pop()
        elif token == ":":
            stack[-1][2] = False
        elif token == ",":
            if stack[-1][0]:
                stack[-1][2] = True
            else:
                stack[-1][1] += 1
        elif not token.isspace() and stack:
            frame = stack[-1]
            if frame[0] and frame[2]:
                frame[1] = json.loads(token) if token.startswith('"') else token
            else:
                path[-1] = frame[1]
                source = len(path) in (3, 4) and path[0] == "cells" and isinstance(path[1], int) and path[2] == "source"
                if source and token.startswith('"'):
                    found.setdefault(path[1] + 1, []).append((json.loads(token), line, match.start() - line_start + 1))
        newlines = token.count("\n")
        if newlines:
            line += newlines
            line_start = match.start() + token.rindex("\n") + 1
    return found


def file_position(strings: list[tuple[str, int, int]], position: Position) -> Position:
    """A (row, column) of a cell as a (line, column) of the ``.ipynb`` file."""
    rows: list[tuple[int, int]] = []  # (string, offset in it) where each row of the cell starts
    pending = True
    for index, (text, _, _) in enumerate(strings):
        if pending and text:
            rows.append((index, 0))
            pending = False
        for match in LINE_BREAK.finditer(text):
            if match.end() < len(text):
                rows.append((index, match.end()))
            else:
                pending = True
    if not rows:
        return Position(strings[0][1], strings[0][2]) if strings else Position(1, 1)
    index, offset = rows[min(max(position.row, 1), len(rows)) - 1]
    text, line, column = strings[index]
    before = text[: offset + position.column - 1]  # escapes before the column widen it in the file
    return Position(line, column + len(json.dumps(before, ensure_ascii=False)) - 1)


@functools.lru_cache(maxsize=64)
def _cells_of(filename: str) -> dict[int, list[tuple[str, int, int]]]:
    try:
        with open(filename, "rb") as handle:
            return source_strings(handle.read().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, IndexError, ValueError):
        return {}


def in_file(diagnostic: Diagnostic) -> tuple[Position, Position]:
    """The diagnostic's start and end as positions in its file (the ``.ipynb`` JSON for a cell)."""
    if diagnostic.cell is None:
        return diagnostic.location, diagnostic.end_location
    strings = _cells_of(diagnostic.filename).get(diagnostic.cell or 0) or [("", 1, 1)]
    return file_position(strings, diagnostic.location), file_position(strings, diagnostic.end_location)


def json_replacement(diagnostic: Diagnostic, edit) -> tuple[Position, Position, str]:
    """A fix edit inside a notebook cell as an edit of the ``.ipynb`` text: positions in the file,
    content escaped as JSON writes it."""
    strings = _cells_of(diagnostic.filename).get(diagnostic.cell or 0) or [("", 1, 1)]
    content = json.dumps(edit.content, ensure_ascii=False)[1:-1]
    return file_position(strings, edit.location), file_position(strings, edit.end_location), content
