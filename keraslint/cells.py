"""Notebook code cells as Jupyter runs them: IPython's own transformations, mapped back to the cell.

IPython (``IPython.core.inputtransformer2``) turns a cell into the Python it compiles: leading
blank lines and a common indent are removed, ``>>>`` and ``In [1]:`` prompts stripped, ``!cmd``,
``%magic``, ``x = !cmd`` and ``obj?`` (with their ``\\`` continuation lines) become calls, and a
``%%magic`` cell becomes one call holding its body. keraslint asks IPython for exactly that
text, then maps every line of it back to the cell's own row and column, so findings, fixes and
syntax errors point into the cell the user wrote. IPython is imported only when a notebook is read.
"""
from __future__ import annotations

import difflib
import functools
import re
import tokenize
from typing import NamedTuple

from keraslint.sources import parse, split_lines

# Cell magics that run their body as Python in the notebook's namespace (IPython's ExecutionMagics
# and the output-capturing magic); ``%%writefile x.py`` bodies are Python files and are read too.
PYTHON_BODY_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
FILE_MAGICS = frozenset({"writefile", "file"})
# CPython's messages for statements only Python 2 accepted.
PYTHON2_MESSAGES = ("Missing parentheses in call to", "multiple exception types must be parenthesized")
_FIRST_WORD = re.compile(r"\s*([A-Za-z_][\w.]*)(.*)", re.DOTALL)


class Origin(NamedTuple):
    """Where a line of the transformed code comes from in the cell."""

    row: int  # 1-based row of the cell's source
    shift: int | None  # characters IPython removed before it (indent, prompt); None: generated code


class CellCode(NamedTuple):
    text: str  # the Python that Jupyter compiles for the cell ("" when there is none)
    origins: tuple[Origin, ...]  # one per line of ``text``
    error: tuple[int, int, str] | None = None  # (cell row, column, message) where the cell is rejected
    strict: bool = True  # False: a syntax error is not Jupyter's (a %%writefile body), so not reported


# ``@register_cell_magic def name(line, cell): ... get_ipython().run_cell(cell)``: a cell magic the
# notebook defines itself, whose body it runs as Python (Deep Learning with Python's ``%%backend``).
_RUNNING_MAGIC = re.compile(
    r"@register_cell_magic(?:\(\s*['\"](?P<named>\w+)['\"]\s*\))?\s*\n\s*def\s+(?P<name>\w+)\s*\("
    r"(?P<body>(?:.*\n?)*?)(?=^\S|\Z)", re.MULTILINE)


def notebook_python_magics(sources: list[str]) -> frozenset[str]:
    """Cell magics the notebook registers itself and that run their body as Python."""
    found = set()
    for source in sources:
        if "register_cell_magic" in source:
            for match in _RUNNING_MAGIC.finditer(source):
                if re.search(r"\brun_cell\s*\(|\bexec\s*\(", match.group("body")):
                    found.add(match.group("named") or match.group("name"))
    return frozenset(found)


def python_of_cell(source: str, python_magics: frozenset[str] = frozenset()) -> CellCode:
    """The cell as Jupyter compiles it, each line traced back to the cell; see the module doc.
    ``python_magics``: further cell magics whose body is Python (``notebook_python_magics``)."""
    return _transform(source, rows=None, python_magics=python_magics)


def _transform(source: str, rows: list[Origin] | None, strict: bool = True,
               python_magics: frozenset[str] = frozenset()) -> CellCode:
    from IPython.core import inputtransformer2 as ipython

    if not source.endswith(("\n", "\r")):
        source += "\n"
    lines = source.splitlines(keepends=True)
    for cleanup in (ipython.leading_empty_lines, ipython.leading_indent, ipython.classic_prompt, ipython.ipython_prompt):
        lines = cleanup(lines)
    cleaned = "".join(lines)
    cleaned_origins = _cleanup_origins(source, cleaned)
    if rows is not None:  # a cell magic's body: compose with where the body sits in the cell
        cleaned_origins = [_compose(o, rows) for o in cleaned_origins]
    if lines and lines[0].startswith("%%") and not re.match(r"%%\w+\?", lines[0]):
        return _cell_magic(lines, cleaned_origins, strict, python_magics)
    try:
        text = _manager().transform_cell(cleaned)
    except (SyntaxError, tokenize.TokenError, ValueError) as failure:  # IPython's tokenizer gave up
        return _rejected(cleaned_origins, (*_where(failure), str(failure.args[0] if failure.args else failure)), strict)
    origins = _generated_origins(cleaned, text, cleaned_origins)
    error = parse(text)
    if not isinstance(error, tuple):
        return CellCode(text, origins, None, strict)
    if _is_automagic(text):
        return CellCode("", (), None, strict)
    return _rejected(origins, error, strict)


def _rejected(origins, error: tuple[int, int, str], strict: bool) -> CellCode:
    """A cell Jupyter would not run, with where (in the cell) and why."""
    row, column, message = error
    origin = origins[min(max(row, 1), len(origins)) - 1] if origins else Origin(1, 0)
    if any(fragment in message for fragment in PYTHON2_MESSAGES):
        message += " (this cell is Python 2 code)"
    return CellCode("", tuple(origins), (origin.row, max(column, 1) + (origin.shift or 0), message), strict)


def _where(failure: Exception) -> tuple[int, int]:
    """(line, column) an exception of the tokenizer or parser points at, (1, 1) when it does not say."""
    if isinstance(failure, SyntaxError):
        return failure.lineno or 1, failure.offset or 1
    position = failure.args[1] if len(failure.args) > 1 else None
    return position if isinstance(position, tuple) and len(position) == 2 else (1, 1)


def _cell_magic(lines: list[str], origins: list[Origin], strict: bool, python_magics: frozenset[str]) -> CellCode:
    """A ``%%name args`` cell: its body when that is Python, else nothing to check."""
    name, _, argument = lines[0][2:].rstrip().partition(" ")
    if name in PYTHON_BODY_MAGICS:
        return _transform("".join(lines[1:]), origins[1:], strict, python_magics)
    if name in python_magics:  # the notebook's own magic decides at run time: no syntax error claimed
        return _transform("".join(lines[1:]), origins[1:], False, python_magics)
    target = argument.split()[-1] if argument.split() else ""
    if name in FILE_MAGICS and (target.endswith(".py") or "{" in target or "$" in target):
        # A module the notebook writes (a templated name is usually one); Jupyter runs none of it,
        # so a body that does not parse is not reported.
        return _transform("".join(lines[1:]), origins[1:], strict=False)
    return CellCode("", (), None, strict)


def _cleanup_origins(source: str, cleaned: str) -> list[Origin]:
    """Rows and removed prefixes of the cleaned lines (cleanup only drops leading blank lines
    and a prefix of each line)."""
    original, kept = split_lines(source), split_lines(cleaned)
    dropped = len(original) - len(kept)
    origins = []
    for index, line in enumerate(kept):
        before = original[index + dropped] if index + dropped < len(original) else line
        origins.append(Origin(index + dropped + 1, len(before) - len(line) if before.endswith(line) else None))
    return origins


def _generated_origins(cleaned: str, text: str, origins: list[Origin]) -> tuple[Origin, ...]:
    """Lines the token transforms kept keep their origin; lines they wrote (``get_ipython()...``)
    point at the first line they replaced, with no column."""
    before, after = split_lines(cleaned), split_lines(text)
    mapped: list[Origin] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            mapped += origins[i1:i2]
        else:
            anchor = origins[min(i1, len(origins) - 1)] if origins else Origin(1, 0)
            mapped += [Origin(anchor.row, None)] * (j2 - j1)
    return tuple(mapped)


def _compose(origin: Origin, rows: list[Origin]) -> Origin:
    outer = rows[origin.row - 1] if origin.row - 1 < len(rows) else rows[-1]
    shift = None if origin.shift is None or outer.shift is None else origin.shift + outer.shift
    return Origin(outer.row, shift)


def _is_automagic(text: str) -> bool:
    """A one-line cell starting with a magic's name (``cd data``, ``pip install x``): IPython runs
    it as ``%cd data`` unless the line assigns to that name."""
    if len(text.rstrip("\n").split("\n")) != 1:
        return False
    match = _FIRST_WORD.match(text)
    if match is None:
        return False
    rest = match.group(2).lstrip()
    if rest.startswith("=") and not rest.startswith("=="):
        return False
    return match.group(1).split(".")[0] in _magic_names()


@functools.cache
def _manager():
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


@functools.cache
def _magic_names() -> frozenset[str]:
    """Line magics and shell aliases a default IPython kernel defines."""
    import inspect

    import IPython.core.magics as magics
    from IPython.core.alias import default_aliases
    from IPython.core.magic import Magics

    names = {alias for alias, _ in default_aliases()}
    for value in (getattr(magics, name) for name in dir(magics)):
        if inspect.isclass(value) and issubclass(value, Magics):
            names |= set(value.magics.get("line", {}))
    return frozenset(names | {"clear", "less", "more", "man"})  # the notebook kernel's own aliases
