"""discover -> read -> prefilter -> rules -> suppress -> fix -> results, for many files.

Results are independent of the number of workers and always sorted by path.
"""
from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from keraslint.cache import ResultCache, stamp
from keraslint.catalog import Target
from keraslint.catalog import load as load_catalog
from keraslint.diagnostics import Diagnostic, FileResult, Position
from keraslint.discover import MODEL_SUFFIXES, Candidate
from keraslint.rules import Context, by_code, is_file_error
from keraslint.rules.files import FIX_NOT_WRITTEN, INTERNAL_ERROR, INVALID_NOTEBOOK, UNREADABLE
from keraslint.sources import (
    LINE_BREAK,
    SourceError,
    decode_python,
    dump_notebook,
    notebook_program,
    read_notebook,
    read_snapshot,
    set_cell_text,
    split_lines,
)

if TYPE_CHECKING:
    from keraslint.prefilter import Prefilter
    from keraslint.project import ModuleFacts, Project

# The checker, the prefilter, saved-model reading and fixing are imported where they are first
# needed: a warm re-run or a clean pre-commit file never pays for them.

SKIP_FILE = re.compile(r"#\s*keraslint\s*:\s*skip-file", re.IGNORECASE)
# ``# keraslint: noqa`` / ``# keraslint: noqa: KL101, KL4`` on a line of its own: the whole file.
FILE_NOQA = re.compile(r"#\s*keraslint\s*:\s*noqa(?:\s*:\s*(?P<codes>[A-Z]+[0-9]*(?:\s*,\s*[A-Z]+[0-9]*)*))?\s*$",
                       re.IGNORECASE | re.MULTILINE)
NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*))?", re.IGNORECASE)
# Below about 0.6 MB of source starting workers costs more than it saves (measured on the shared
# corpus, fastest of 9 runs alone / with two workers: keras-tuner, 0.4 MB: 103 / 128 ms;
# tensorflow-addons, 1 MB: 149 / 142 ms; keras-cv, 2 MB: 281 / 229 ms).
PARALLEL_BYTES = 600_000
MAX_FIX_ROUNDS = 3


Mode = Literal["check", "fix", "diff"]  # report; write the fixes; print them as a diff

@dataclass(frozen=True)
class Job:
    """Everything a worker needs to check one file (picklable)."""

    target: Target  # for ``import keras`` (and any root without a target of its own)
    root_targets: tuple[tuple[str, Target], ...]  # ("tf_keras", target), ("tf.keras", ...), ("keras_core", ...)
    enabled: frozenset[str]
    extra_activations: frozenset[str] = frozenset()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    mode: Mode = "check"
    unsafe_fixes: bool = False
    prefilter: bool = True  # skip files the prefilter proves clean; False parses every file
    project: Project | None = None  # where the project's modules are (re-exported Keras names)

    @functools.cached_property
    def gate(self) -> Prefilter:
        """The textual proof of cleanliness for this job's targets and rules."""
        from keraslint.prefilter import Prefilter
        from keraslint.resolve import ROOTS

        return Prefilter(self.context_for("keras"), {root: self.context_for(root) for root in ROOTS}, self.enabled)

    def target_for(self, root: str) -> Target:
        return dict(self.root_targets).get(root, self.target)

    def context_for(self, root: str) -> Context:
        return Context(self.target_for(root), load_catalog(), self.extra_activations)


def display_path(path: Path) -> str:
    """The path as reported: relative to the working directory when it is below it."""
    text = str(path)
    if not os.path.isabs(text) and ".." not in text:
        return os.path.normpath(text)
    try:
        return os.path.relpath(text)
    except ValueError:
        return text




def check_project(candidates: list[Candidate], job: Job, workers: int | None = None, progress=None,
                  cache: ResultCache | None = None) -> list[FileResult]:
    """``run`` over a project: imports between its modules are followed, and names registered
    with Keras anywhere in it count everywhere.

    Registrations are collected only when a finding could depend on them (a check with none
    never reads them); fixes learn them first, so a registered name is never rewritten.
    """
    from keraslint.project import Project

    job = replace(job, project=Project.of(candidates))
    directory = cache.directory if cache is not None else None
    if job.mode != "check":
        job = _with_registrations(job, candidates, directory)
    results = run(candidates, job, workers, progress, cache)
    doubtful = {r.path for r in results if any(by_code(d.code).silenceable for d in r.diagnostics)}
    if job.mode != "check" or not doubtful:
        return results
    registered_job = _with_registrations(job, candidates, directory)
    if registered_job is job:
        return results
    again = run([c for c in candidates if display_path(c.path) in doubtful], registered_job, workers)
    return sorted([r for r in results if r.path not in doubtful] + again, key=lambda r: r.path)


def _with_registrations(job: Job, candidates: list[Candidate], directory: Path | None) -> Job:
    from keraslint.project import registered_anywhere

    registered = registered_anywhere(candidates, directory) - job.extra_activations
    return replace(job, extra_activations=job.extra_activations | registered) if registered else job


def run(candidates: list[Candidate], job: Job, workers: int | None = None, progress=None,
        cache: ResultCache | None = None) -> list[FileResult]:
    """Check every candidate; cached results are reused in this process, the rest may go to a pool."""
    results, todo = [], []
    for candidate in candidates:
        shown = display_path(candidate.path)
        current = stamp(candidate.path) if cache else None
        hit = cache.get(candidate.path, shown, current) if cache else None
        if hit is not None:
            results.append(hit)
            if progress:
                progress()
        else:
            todo.append((candidate.path, current))
    workers = workers or os.cpu_count() or 1
    paths = [path for path, _ in todo]
    if workers > 1 and job.mode == "check" and _enough_for_workers(todo):
        from concurrent.futures import ProcessPoolExecutor

        _prepare(job)
        chunk = max(8, len(paths) // (workers * 4))  # long runs of neighbouring files share imported modules
        with ProcessPoolExecutor(max_workers=workers, initializer=_adopt, initargs=(job,)) as pool:
            fresh = list(_with_progress(pool.map(_check_adopted, paths, chunksize=chunk), progress))
    else:
        fresh = list(_with_progress((check_file(path, job) for path in paths), progress))
    if cache:
        for (path, current), result in zip(todo, fresh):
            cache.put(path, result, current)
        cache.save()
    return sorted(results + fresh, key=lambda r: r.path)


def _enough_for_workers(todo: list[tuple[Path, list[int] | None]]) -> bool:
    """At least ``PARALLEL_BYTES`` to read in (path, stamp) pairs; files without a stamp (no
    cache) are stat'ed until that much is found."""
    size = 0
    for path, current in todo:
        size += (current or stamp(path) or [0])[0]
        if size >= PARALLEL_BYTES:
            return True
    return False


def _prepare(job: Job) -> None:
    """Load and build, once, what every file needs: forked workers inherit it."""
    import keraslint.checker  # noqa: F401

    job.gate  # noqa: B018
    if job.project is not None:
        job.project.modules  # noqa: B018


_ADOPTED: list[Job] = []  # in a worker process: the job it serves (sent once, not with every file)


def _adopt(job: Job) -> None:
    _ADOPTED[:] = [job]


def _check_adopted(path: Path) -> FileResult:
    return check_file(path, _ADOPTED[0])


def _with_progress(results, progress):
    for result in results:
        if progress:
            progress()
        yield result


def check_file(path: Path, job: Job) -> FileResult:
    """Check (and maybe fix) one file; never raises."""
    shown = display_path(path)
    try:
        return _check_file(path, shown, job)
    except Exception as error:  # a bug must cost one file, not the run
        message = f"Internal error ({type(error).__name__}: {error}); please report it with this file"
        return FileResult(shown, [_file_diagnostic(INTERNAL_ERROR.code, message, shown)])


def _file_diagnostic(code: str, message: str, shown: str) -> Diagnostic:
    return Diagnostic(code, message, shown, Position(1, 1), Position(1, 1))


def _check_file(path: Path, shown: str, job: Job) -> FileResult:
    try:
        if os.path.isdir(path):
            os.scandir(path).close()  # a directory here is one that could not be listed
        if shown.endswith(MODEL_SUFFIXES + (".json",)):
            return _check_model(path, shown, job)
        snapshot = read_snapshot(path)
    except SourceError as error:
        return FileResult(shown, [_file_diagnostic(error.code, error.message, shown)])
    except OSError as error:
        reason = error.strerror or str(error)
        if isinstance(error, FileNotFoundError) and os.path.islink(path):
            reason = "broken symbolic link"
        return FileResult(shown, [_file_diagnostic(UNREADABLE.code, f"Cannot read file: {reason}", shown)])
    result = check_bytes(snapshot.data, shown, job)
    if job.mode == "fix" and result.fixed_data is not None:
        from keraslint.fixer import NotWritten, replace_verified

        try:
            replace_verified(path, snapshot, result.fixed_data)
        except NotWritten as error:
            return _not_written(snapshot.data, shown, job, str(error))
    return result


def _not_written(data: bytes, shown: str, job: Job, reason: str) -> FileResult:
    """The file as it stands (its findings unfixed) and why the fixes were not written."""
    unfixed = check_bytes(data, shown, replace(job, mode="check"))
    message = f"Fixes were not written: {reason}"
    return FileResult(shown, unfixed.diagnostics + [_file_diagnostic(FIX_NOT_WRITTEN.code, message, shown)])


def check_bytes(data: bytes, shown: str, job: Job) -> FileResult:
    """Check (and in fix/diff mode, compute fixes for) one file's content; writes nothing."""
    if shown.endswith(MODEL_SUFFIXES + (".json",)):
        return _check_model(data, shown, job)
    if shown.endswith(".ipynb"):
        return _check_notebook(shown, data, job)
    return _check_python(shown, data, job)


def _check_model(source: bytes | Path, shown: str, job: Job) -> FileResult:
    """A saved model, from its bytes or (for files: never read whole) its path."""
    from keraslint.models import check_model  # zipfile and the model rules: only for models

    if isinstance(source, Path) and not stat.S_ISREG(os.stat(source).st_mode):
        return FileResult(shown, [_file_diagnostic(UNREADABLE.code, "Not a regular file; not checked", shown)])
    found = check_model(str(source) if isinstance(source, Path) else source, shown, job.context_for("keras"))
    return FileResult(shown, suppress(found, "", shown, job.per_file_ignores))


def _in_comments(pattern: re.Pattern, text: str) -> list[re.Match]:
    """Matches of ``pattern`` that lie in a comment (not in a string that looks like one)."""
    matches = list(pattern.finditer(text))
    if not matches:
        return []
    import io
    import tokenize

    comments = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments.append(token.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return [m for m in matches if any(pattern.search(comment) for comment in comments if m.group() in comment)]


def _diagnose(text: str, shown: str, job: Job) -> tuple[list[Diagnostic], tuple]:
    """Diagnostics of one source, and the project modules consulted for them."""
    if _in_comments(SKIP_FILE, text):
        return [], ()
    imported: dict[str, ModuleFacts] | None = None

    def imports() -> dict[str, ModuleFacts]:
        """The facts of the project modules the file imports from, looked up once."""
        nonlocal imported
        if imported is None:
            imported = job.project.imports(text, shown) if job.project is not None else {}
        return imported

    if job.prefilter and not job.gate.may_have_findings(text, imports):
        return [], _consulted(imported or {})
    exports = {module: facts.exports for module, facts in imports().items() if facts.exports}
    from keraslint.checker import check_text
    from keraslint.resolve import absolute_module, package_of

    def sinks_of(module: str) -> dict:
        """The sinks of the functions of a project module the file imports from."""
        facts = imports().get(absolute_module(module, package_of(shown)))
        return facts.sinks(job.context_for("keras")) if facts is not None else {}

    package = package_of(shown) if exports else None
    found = check_text(text, shown, job.context_for, job.enabled, package, exports, sinks_of)
    return suppress(found, text, shown, job.per_file_ignores), _consulted(imported or {})


def _consulted(imported: dict) -> tuple:
    return tuple((facts.path, facts.stamp) for facts in imported.values())


def suppress(diagnostics: list[Diagnostic], text: str, shown: str, per_file_ignores) -> list[Diagnostic]:
    """Drop diagnostics silenced by ``# noqa`` on their line or by per-file-ignores."""
    if not diagnostics:
        return diagnostics
    ignored = {code for glob, codes in per_file_ignores if _glob_matches(shown, glob) for code in codes}
    whole_file = [m.group("codes") for m in _in_comments(FILE_NOQA, text)]
    # A file-level noqa silences every finding, or those its codes (or prefixes: KL4) name.
    prefixes = ("KL",) if None in whole_file else tuple(c.strip().upper() for codes in whole_file for c in codes.split(","))
    lines = split_lines(text)
    kept = []
    for diagnostic in diagnostics:
        if is_file_error(diagnostic.code):
            kept.append(diagnostic)
            continue
        if diagnostic.code in ignored or (prefixes and diagnostic.code.startswith(prefixes)):
            continue
        if not _noqa_on(lines, diagnostic):
            kept.append(diagnostic)
    return kept


def _noqa_on(lines: list[str], diagnostic: Diagnostic) -> bool:
    """A ``# noqa`` (for all codes, or naming this one) on the finding's first or last line: as in
    ruff, a finding in a multi-line string is silenced on the line where the string ends."""
    for row in {diagnostic.location.row, diagnostic.end_location.row}:
        match = NOQA.search(lines[row - 1]) if 0 < row <= len(lines) else None
        if match:
            codes = match.group("codes")
            if codes is None or diagnostic.code in {c.strip().upper() for c in codes.split(",")}:
                return True
    return False


def _glob_matches(shown: str, glob: str) -> bool:
    """A per-file-ignores glob: a bare name matches anywhere, a path glob is anchored (absolute);
    ``!glob`` matches the files the glob does not (as in ruff)."""
    if glob.startswith("!"):
        return not _glob_matches(shown, glob[1:])
    path = Path(shown)
    return fnmatch.fnmatch(path.name, glob) or fnmatch.fnmatch(path.absolute().as_posix(), glob)


def _fix_text(text: str, shown: str, job: Job) -> tuple[str, list[Diagnostic], int]:
    """Apply fixes until none is left; returns (text, remaining diagnostics, number of fixes)."""
    from keraslint.fixer import apply_edits, fixable
    from keraslint.sources import parse

    diagnostics, _ = _diagnose(text, shown, job)
    applied_total = 0
    for _ in range(MAX_FIX_ROUNDS):
        edits = [e for d in diagnostics if d.fix is not None and fixable(d, job.unsafe_fixes) for e in d.fix.edits]
        if not edits:
            break
        new_text, applied = apply_edits(text, edits)
        if isinstance(parse(new_text), tuple):  # never write a file CPython cannot parse
            message = "Fixes were not applied: the result would not parse (please report this)"
            return text, diagnostics + [_file_diagnostic(INTERNAL_ERROR.code, message, shown)], applied_total
        text, applied_total = new_text, applied_total + len(applied)
        diagnostics, _ = _diagnose(text, shown, job)
    return text, diagnostics, applied_total


def _check_python(shown: str, data: bytes, job: Job) -> FileResult:
    try:
        source = decode_python(data)
    except SourceError as error:
        return FileResult(shown, [_file_diagnostic(error.code, error.message, shown)])
    if job.mode == "check":
        diagnostics, consulted = _diagnose(source.text, shown, job)
        return FileResult(shown, diagnostics, consulted=consulted)
    new_text, remaining, fixed = _fix_text(source.text, shown, job)
    result = FileResult(shown, remaining, fixed)
    if fixed and new_text != source.text:
        from keraslint.fixer import NotWritten, encode_exactly

        try:
            result.fixed_data = encode_exactly(data, source.text, new_text, source.encoding)
        except NotWritten as error:
            return _not_written(data, shown, job, str(error))
        result.diff = unified_diff(source.text, new_text, shown)
    return result


def _check_notebook(shown: str, data: bytes, job: Job) -> FileResult:
    """A notebook is one namespace: its parseable code cells are checked as one program."""
    try:
        notebook = read_notebook(data)
    except SourceError as error:
        return FileResult(shown, [_file_diagnostic(error.code, error.message, shown)])
    text, origins, broken = notebook_program(notebook, shown)
    if job.mode == "check":
        diagnostics, consulted = _diagnose(text, shown, job)
        return FileResult(shown, broken + [_in_cell(d, origins) for d in diagnostics], consulted=consulted)
    new_text, remaining, fixed = _fix_text(text, shown, job)
    result = FileResult(shown, broken + [_in_cell(d, origins) for d in remaining], fixed)
    if not fixed:
        return result
    import copy

    document = copy.deepcopy(notebook.document)
    changed: dict[int, dict[int, str]] = {}
    sources = {cell.number: cell.source for cell in notebook.cells}
    for row, (old, new) in enumerate(zip(split_lines(text), split_lines(new_text))):
        if old != new:
            cell, origin = origins[row]
            if origin.shift is None:  # a line IPython wrote: there is nothing of the user's to edit
                result.fixed, result.fixed_data = 0, None
                return result
            own = split_lines(sources[cell])[origin.row - 1]
            changed.setdefault(cell, {})[origin.row - 1] = own[: origin.shift] + new
    for cell, lines in changed.items():
        text_now = sources[cell]
        for index, line in sorted(lines.items()):  # one line at a time: list elements keep their bounds
            text_now = _replace_lines(text_now, {index: line})
            set_cell_text(document["cells"][cell - 1], text_now)
    new_raw = dump_notebook(notebook, document)
    if new_raw is None:
        message = "Fixes were not applied: the notebook's JSON layout cannot be reproduced"
        result.diagnostics.append(_file_diagnostic(INVALID_NOTEBOOK.code, message, shown))
        result.fixed = 0
    else:
        result.diff = unified_diff(notebook.raw, new_raw, shown)
        bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
        result.fixed_data = bom + new_raw.encode("utf-8")
    return result


def _in_cell(diagnostic: Diagnostic, origins) -> Diagnostic:
    """Move a diagnostic from joined-program rows to its cell's own rows and columns; a fix that
    touches code IPython generated is dropped."""
    def local(position: Position) -> Position:
        origin = origins[position.row - 1][1]
        return Position(origin.row, 1 if origin.shift is None else position.column + origin.shift)

    fix = diagnostic.fix
    if fix is not None:
        if any(origins[e.location.row - 1][1].shift is None for e in fix.edits):
            fix = None
        else:
            fix = fix._replace(edits=tuple(e._replace(location=local(e.location), end_location=local(e.end_location)) for e in fix.edits))
    return diagnostic._replace(
        cell=origins[diagnostic.location.row - 1][0],
        location=local(diagnostic.location), end_location=local(diagnostic.end_location), fix=fix,
    )


def _replace_lines(text: str, changes: dict[int, str]) -> str:
    """``text`` with some of its lines replaced; line breaks stay as they were."""
    pieces = LINE_BREAK.split(text)  # lines at even positions, their breaks between
    for index, line in changes.items():
        pieces[2 * index] = line
    return "".join(pieces)


def unified_diff(before: str, after: str, shown: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{shown}", f"b/{shown}",
    ))


def add_noqa(candidates: list[Candidate], job: Job) -> int:
    """``--add-noqa``: append ``# noqa: CODES`` to every Python line with a finding (merged into
    a ``# noqa:`` already there); each file is written as ``--fix`` writes, or not at all."""
    from keraslint.fixer import NotWritten, replace_verified
    from keraslint.sources import parse

    added = 0
    for candidate in candidates:
        if candidate.path.suffix != ".py":
            continue
        try:
            snapshot = read_snapshot(candidate.path)
            source = decode_python(snapshot.data)
        except (OSError, SourceError):
            continue
        result = check_bytes(snapshot.data, display_path(candidate.path), job)
        rows: dict[int, set[str]] = {}
        for diagnostic in result.diagnostics:
            if not is_file_error(diagnostic.code):
                rows.setdefault(diagnostic.end_location.row, set()).add(diagnostic.code)
        pieces = LINE_BREAK.split(source.text)
        for row, codes in rows.items():
            line = pieces[2 * (row - 1)]
            if line.rstrip().endswith("\\"):
                continue  # a comment cannot follow a line continuation
            match = NOQA.search(line)
            if match and match.group("codes") is None:
                continue
            if match:
                codes |= {c.strip().upper() for c in match.group("codes").split(",")}
                line = line[: match.start()].rstrip()
            pieces[2 * (row - 1)] = f"{line.rstrip()}  # noqa: {', '.join(sorted(codes))}"
            added += 1
        text = "".join(pieces)
        if text == source.text or isinstance(parse(text), tuple):
            continue
        try:
            replace_verified(candidate.path, snapshot, source.encode(text))
        except NotWritten:
            continue
    return added
