"""discover -> read -> prefilter -> rules -> suppress -> fix -> results, for many files.

Results are independent of the number of workers and always sorted by path.
"""
from __future__ import annotations

import copy
import difflib
import fnmatch
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

from keraslint.cache import ResultCache, prepare, stamp
from keraslint.catalog import Target, load as load_catalog
from keraslint.checker import check_text
from keraslint.models import MODEL_SUFFIXES, check_model
from keraslint.prefilter import may_have_findings, parse
from keraslint.registrations import may_register, registered_names
from keraslint.resolve import ModuleIndex, Resolver, absolute_module, module_name, package_of
from keraslint.diagnostics import Diagnostic, Position
from keraslint.discover import Candidate
from keraslint.fixer import apply_edits, fixable, write_atomic
from keraslint.rules import Context
from keraslint.sources import (
    SourceError, decode_python, dump_notebook, read_notebook, cell_text, set_cell_text,
)

SKIP_FILE = re.compile(r"#\s*keraslint\s*:\s*skip-file", re.IGNORECASE)
NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*))?", re.IGNORECASE)
PARALLEL_THRESHOLD = 48
FACTS_FORMAT = 1
MAX_FIX_ROUNDS = 3


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to check one file (picklable)."""

    target: Target
    tf_keras_target: Target
    enabled: frozenset[str]
    extra_activations: frozenset[str] = frozenset()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    mode: str = "check"  # "check", "fix" or "diff"
    unsafe_fixes: bool = False
    prefilter: bool = True  # skip files without the needle words; False parses every file
    project_exports: dict = field(default_factory=dict)  # module -> {name: Keras name}, from the first pass

    @property
    def reexporting_modules(self) -> tuple[str, ...]:
        """Last names of the project modules that re-export Keras names (prefilter needles)."""
        return tuple(sorted({module.rpartition(".")[2] for module in self.project_exports}))

    def context_for(self, uses_tf_keras: bool) -> Context:
        target = self.tf_keras_target if uses_tf_keras else self.target
        return Context(target, load_catalog(), self.extra_activations)


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    fixed_data: bytes | None = None  # the new content when fixes changed it


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ProjectFacts:
    """What a first pass over every scanned file learns: registered names, Keras re-exports."""

    registered: frozenset[str] = frozenset()
    exports: dict = field(default_factory=dict)  # module name -> {name: qualified Keras name}
    consulted: tuple[str, ...] = ()  # files read besides the candidates (imported project modules)


def cached_project_facts(candidates: list[Candidate], directory: Path | None) -> ProjectFacts:
    """``project_facts``, reused from ``directory`` while no file it read has changed."""
    if directory is None:
        return project_facts(candidates)
    key = hashlib.sha256(json.dumps(
        [FACTS_FORMAT] + [(str(c.path), stamp(c.path)) for c in candidates]
    ).encode()).hexdigest()[:24]
    path = directory / f"facts-{key}.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if all(stamp(Path(p)) == s for p, s in document["consulted"]):
            return ProjectFacts(frozenset(map(str, document["registered"])), dict(document["exports"]),
                                tuple(p for p, _ in document["consulted"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    facts = project_facts(candidates)
    document = {"registered": sorted(facts.registered), "exports": facts.exports,
                "consulted": [(p, stamp(Path(p))) for p in facts.consulted]}
    try:
        prepare(directory)
        for stale in directory.glob("facts-*.json"):
            stale.unlink()
        path.write_text(json.dumps(document), encoding="utf-8")
    except OSError:
        pass
    return facts


_FROM_IMPORT = re.compile(r"^\s*from\s+(\.*[\w.]*)\s+import\b", re.MULTILINE)


def project_facts(candidates: list[Candidate]) -> ProjectFacts:
    """First pass: names any file registers with Keras, and the Keras names that project
    modules imported by a checked file re-export. Files are read one at a time (memory stays
    flat) and only registering files and imported modules are parsed."""
    registered: set[str] = set()
    imported: dict[str, Path] = {}  # project module -> a file that imports it (to find it on disk)
    modules: dict[str, Path] = {}
    for candidate in candidates:
        path = candidate.path
        if path.suffix not in (".py", ".ipynb"):
            continue
        text = _read_text(path)
        if text is None:
            continue
        if path.suffix == ".py":
            modules[module_name(path)] = path
        if may_register(text):
            tree = parse(text)
            if not isinstance(tree, tuple):
                registered |= registered_names(ModuleIndex(tree))
        if may_have_findings(text, ("",)):
            package = package_of(path)
            for module in _FROM_IMPORT.findall(text):
                imported.setdefault(absolute_module(module, package), path)
    exports: dict[str, dict[str, str]] = {}
    consulted = []
    for name, importer in imported.items():
        path = modules.get(name)
        if path is None:
            path = _module_file(name, importer)
            if path is not None:
                consulted.append(str(path))
        text = _read_text(path)
        if text is None or "keras" not in text:
            continue
        tree = parse(_top_level_imports(text))  # exports come from imports: parse only those
        if isinstance(tree, tuple):
            tree = parse(text)
        if not isinstance(tree, tuple):
            module_exports = Resolver(ModuleIndex(tree), package_of(path)).exports()
            if module_exports:
                exports[name] = module_exports
    return ProjectFacts(frozenset(registered), exports, tuple(sorted(consulted)))


def _module_file(module: str, importer: Path) -> Path | None:
    """The file of project module ``module``, looked up beside the importer's top-level package."""
    package = package_of(importer)
    if not package or not module:
        return None
    top = importer.absolute().parent
    for _ in package.split("."):
        top = top.parent
    base = top.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _read_text(path: Path | None) -> str | None:
    """A Python file's text, or a notebook's code cells joined; None when unreadable."""
    if path is None:
        return None
    try:
        data = _read(path)
        if path.suffix == ".ipynb":
            return _notebook_program(read_notebook(data), "")[0]
        return decode_python(data).text
    except (OSError, SourceError):
        return None


def _top_level_imports(text: str) -> str:
    """The module's top-level import statements (with continuation lines), as source."""
    lines = text.splitlines()
    statements, index = [], 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(("import ", "from ")):
            statement = [line]
            depth = line.count("(") - line.count(")")
            while (depth > 0 or statement[-1].rstrip().endswith("\\")) and index + 1 < len(lines):
                index += 1
                statement.append(lines[index])
                depth += lines[index].count("(") - lines[index].count(")")
            statements += statement
        index += 1
    return "\n".join(statements) + "\n"


def run(candidates: list[Candidate], job: Job, workers: int | None = None, progress=None,
        cache: ResultCache | None = None) -> list[FileResult]:
    """Check every candidate; cached results are reused in this process, the rest may go to a pool."""
    results, todo = [], []
    for candidate in candidates:
        shown = display_path(candidate.path)
        current = stamp(candidate.path) if cache else None
        hit = cache.get(shown, current) if cache else None
        if hit is not None:
            results.append(FileResult(shown, hit))
            if progress:
                progress()
        else:
            todo.append((candidate.path, current))
    workers = workers or os.cpu_count() or 1
    paths = [path for path, _ in todo]
    if workers > 1 and len(paths) >= PARALLEL_THRESHOLD and job.mode == "check":
        from concurrent.futures import ProcessPoolExecutor

        chunk = max(8, len(paths) // (workers * 8))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            fresh = list(_with_progress(pool.map(check_file, paths, [job] * len(paths), chunksize=chunk), progress))
    else:
        fresh = list(_with_progress((check_file(path, job) for path in paths), progress))
    if cache:
        for (_, current), result in zip(todo, fresh):
            cache.put(result.path, current, result.diagnostics)
        cache.save()
    return sorted(results + fresh, key=lambda r: r.path)


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
        return FileResult(shown, [_file_diagnostic("KL000", message, shown)])


def _file_diagnostic(code: str, message: str, shown: str) -> Diagnostic:
    return Diagnostic(code, message, shown, Position(1, 1), Position(1, 1))


def _read(path: Path) -> bytes:
    info = os.stat(path)  # follows the link: a broken link raises here
    if not stat.S_ISREG(info.st_mode):
        raise SourceError("KL001", "Not a regular file; not checked")
    with open(path, "rb") as handle:
        return handle.read()


def _check_file(path: Path, shown: str, job: Job) -> FileResult:
    try:
        data = _read(path)
    except SourceError as error:
        return FileResult(shown, [_file_diagnostic(error.code, error.message, shown)])
    except OSError as error:
        reason = error.strerror or str(error)
        if isinstance(error, FileNotFoundError) and os.path.islink(path):
            reason = "broken symbolic link"
        return FileResult(shown, [_file_diagnostic("KL001", f"Cannot read file: {reason}", shown)])
    result = check_bytes(data, shown, job)
    if job.mode == "fix" and result.fixed_data is not None:
        write_atomic(path, result.fixed_data)
    return result


def check_bytes(data: bytes, shown: str, job: Job) -> FileResult:
    """Check (and in fix/diff mode, compute fixes for) one file's content; writes nothing."""
    if shown.endswith(MODEL_SUFFIXES + (".json",)):
        found = check_model(data, shown, job.context_for(False))
        return FileResult(shown, suppress(found, "", shown, job.per_file_ignores))
    if shown.endswith(".ipynb"):
        return _check_notebook(shown, data, job)
    return _check_python(shown, data, job)


def _diagnose(text: str, shown: str, job: Job) -> list[Diagnostic]:
    if SKIP_FILE.search(text) or (job.prefilter and not may_have_findings(text, job.reexporting_modules)):
        return []
    package = package_of(Path(shown)) if job.project_exports else None
    found = check_text(text, shown, job.context_for, job.enabled, package, job.project_exports)
    return suppress(found, text, shown, job.per_file_ignores)


def suppress(diagnostics: list[Diagnostic], text: str, shown: str, per_file_ignores) -> list[Diagnostic]:
    """Drop diagnostics silenced by ``# noqa`` on their line or by per-file-ignores."""
    if not diagnostics:
        return diagnostics
    ignored = tuple(code for glob, codes in per_file_ignores if _glob_matches(shown, glob) for code in codes)
    lines = text.splitlines()
    kept = []
    for diagnostic in diagnostics:
        if not diagnostic.is_file_error and ignored and diagnostic.code.startswith(ignored):
            continue
        line = lines[diagnostic.location.row - 1] if diagnostic.location.row <= len(lines) else ""
        match = NOQA.search(line)
        if match and not diagnostic.is_file_error:
            codes = match.group("codes")
            if codes is None or diagnostic.code in {c.strip().upper() for c in codes.split(",")}:
                continue
        kept.append(diagnostic)
    return kept


def _glob_matches(shown: str, glob: str) -> bool:
    posix = Path(shown).as_posix()
    return fnmatch.fnmatch(posix, glob) or fnmatch.fnmatch(Path(shown).name, glob) or fnmatch.fnmatch(posix, f"*/{glob}")


def _fix_text(text: str, shown: str, job: Job) -> tuple[str, list[Diagnostic], int]:
    """Apply fixes until none is left; returns (text, remaining diagnostics, number of fixes)."""
    diagnostics = _diagnose(text, shown, job)
    applied_total = 0
    for _ in range(MAX_FIX_ROUNDS):
        edits = [e for d in diagnostics if fixable(d, job.unsafe_fixes) for e in d.fix.edits]
        if not edits:
            break
        new_text, applied = apply_edits(text, edits)
        if isinstance(parse(new_text), tuple):  # never write a file CPython cannot parse
            message = "Fixes were not applied: the result would not parse (please report this)"
            return text, diagnostics + [_file_diagnostic("KL000", message, shown)], applied_total
        text, applied_total = new_text, applied_total + len(applied)
        diagnostics = _diagnose(text, shown, job)
    return text, diagnostics, applied_total


def _check_python(shown: str, data: bytes, job: Job) -> FileResult:
    try:
        source = decode_python(data)
    except SourceError as error:
        return FileResult(shown, [_file_diagnostic(error.code, error.message, shown)])
    if job.mode == "check":
        return FileResult(shown, _diagnose(source.text, shown, job))
    new_text, remaining, fixed = _fix_text(source.text, shown, job)
    result = FileResult(shown, remaining, fixed)
    if fixed and new_text != source.text:
        result.diff = unified_diff(source.text, new_text, shown)
        result.fixed_data = source.encode(new_text)
    return result


def _check_notebook(shown: str, data: bytes, job: Job) -> FileResult:
    """A notebook is one namespace: its parseable code cells are checked as one program."""
    try:
        notebook = read_notebook(data)
    except SourceError as error:
        return FileResult(shown, [_file_diagnostic(error.code, error.message, shown)])
    text, origins, broken = _notebook_program(notebook, shown)
    if job.mode == "check":
        return FileResult(shown, broken + [_in_cell(d, origins) for d in _diagnose(text, shown, job)])
    new_text, remaining, fixed = _fix_text(text, shown, job)
    result = FileResult(shown, broken + [_in_cell(d, origins) for d in remaining], fixed)
    if not fixed:
        return result
    document = copy.deepcopy(notebook.document)
    changed: dict[int, dict[int, str]] = {}
    for row, (old, new) in enumerate(zip(text.split("\n"), new_text.split("\n"))):
        if old != new:
            cell, cell_row = origins[row]
            changed.setdefault(cell, {})[cell_row - 1] = new
    for cell, lines in changed.items():
        # Masking replaced whole magic lines only, so every other line is the cell's own.
        set_cell_text(document["cells"][cell - 1], _replace_lines(cell_text(document["cells"][cell - 1]), lines))
    new_raw = dump_notebook(notebook, document)
    if new_raw is None:
        message = "Fixes were not applied: the notebook's JSON layout cannot be reproduced"
        result.diagnostics.append(_file_diagnostic("KL003", message, shown))
        result.fixed = 0
    else:
        result.diff = unified_diff(notebook.raw, new_raw, shown)
        result.fixed_data = new_raw.encode("utf-8")
    return result


def _notebook_program(notebook, shown: str):
    """(joined code of the cells that parse, origin (cell, row) of each line, syntax errors)."""
    parts, origins, broken = [], [], []
    for cell in notebook.cells:
        error = parse(cell.text)
        if isinstance(error, tuple):
            line, column, message = error
            position = Position(max(line, 1), max(column, 1))
            broken.append(Diagnostic("KL002", f"SyntaxError: {message}", shown, position, position, None, cell.index))
            continue
        lines = cell.text.split("\n")
        if lines[-1] == "":
            lines.pop()
        parts += lines
        origins += [(cell.index, row) for row in range(1, len(lines) + 1)]
    origins.append((notebook.cells[-1].index if notebook.cells else 1, 1))
    return "\n".join(parts) + "\n", origins, broken


def _in_cell(diagnostic: Diagnostic, origins) -> Diagnostic:
    """Move a diagnostic from joined-program rows to its cell's own rows."""
    def local(position: Position) -> Position:
        return Position(origins[position.row - 1][1], position.column)

    fix = diagnostic.fix
    if fix is not None:
        fix = replace(fix, edits=tuple(replace(e, location=local(e.location), end_location=local(e.end_location)) for e in fix.edits))
    return replace(
        diagnostic, cell=origins[diagnostic.location.row - 1][0],
        location=local(diagnostic.location), end_location=local(diagnostic.end_location), fix=fix,
    )


def _replace_lines(text: str, changes: dict[int, str]) -> str:
    lines = text.split("\n")
    for index, line in changes.items():
        lines[index] = line
    return "\n".join(lines)


def unified_diff(before: str, after: str, shown: str) -> str:
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{shown}", f"b/{shown}",
    ))
