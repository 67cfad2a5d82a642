"""Files keraslint could not (fully) check. Always reported, whatever the selection: a file that
could not be read or parsed is a finding (exit 1), as in ruff; an internal error or fixes that could
not be written make the exit code 2."""
from __future__ import annotations

from keraslint.rules import FILE, Rule, register

INTERNAL_ERROR = register(Rule(
    code="KL000",
    name="internal-error",
    summary="keraslint failed on this file",
    site=FILE,
    failure=True,
    explanation='''
## What it does
Reports a bug in keraslint itself: a rule raised an exception on this file. The other files are
still checked and reported; the exit code is 2.

## What to do
Report it with the file (or a reduced version of it) and the message.
''',
))

UNREADABLE = register(Rule(
    code="KL001",
    name="unreadable-file",
    summary="File could not be read or decoded",
    site=FILE,
    explanation='''
## What it does
Reports a file that could not be read (permissions, vanished, not a regular file) or decoded
(bytes invalid in its declared or default UTF-8 encoding, binary content).

## Why is this bad?
The file was not checked. Python itself would refuse to import a file that does not decode.
''',
))

SYNTAX_ERROR = register(Rule(
    code="KL002",
    name="syntax-error",
    summary="File could not be parsed",
    site=FILE,
    explanation='''
## What it does
Reports a Python file (or notebook cell) that does not parse as Python 3, such as Python 2 code,
files with NUL bytes, or nesting deeper than the parser supports.

## Why is this bad?
The file was not checked for activation problems.
''',
))

INVALID_NOTEBOOK = register(Rule(
    code="KL003",
    name="invalid-notebook",
    summary="Notebook could not be read",
    site=FILE,
    explanation='''
## What it does
Reports an `.ipynb` file that is not valid notebook JSON (truncated, hand-edited, or not
nbformat 4). Its code cells were not checked.
''',
))

FIX_NOT_WRITTEN = register(Rule(
    code="KL005",
    name="fix-not-written",
    summary="Fixes were found but not written to the file",
    site=FILE,
    failure=True,
    explanation='''
## What it does
Reports a file whose fixes `--fix` computed but did not write, with the reason: the file changed
after keraslint read it (an editor saved it meanwhile), the path was swapped for a symbolic link,
the file is read-only, belongs to another user, has several hard links, its encoding (such as
`unicode_escape`) cannot give back its own bytes, or the write itself failed (disk full, read-only
directory). The file is left exactly as it was and its findings are reported unfixed.

## What to do
Run `keraslint check --fix` again once the file is settled, or fix the findings by hand.
''',
))
