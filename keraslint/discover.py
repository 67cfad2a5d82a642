"""Which files to check: walk the given paths, skip junk, excludes and .gitignore'd paths.

Symlinked directories are never followed; symlinked files are checked only when they resolve
inside the scanned tree. Explicitly named files are always checked.
"""
from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import NamedTuple

from keraslint.sources import read_auxiliary_text

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "build", "dist", "__pycache__",
    "site-packages", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".keraslint_cache", ".ipynb_checkpoints", ".eggs",
)
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
CHECKED_SUFFIXES = (".py", ".ipynb") + MODEL_SUFFIXES


class Candidate(NamedTuple):
    path: Path
    explicit: bool


class _GitIgnore:
    """The subset of gitignore syntax projects use: globs, ``**``, anchors, ``dir/``, ``!``."""

    def __init__(self, base: Path, lines: list[str]):
        self.base = base
        self.rules = []
        for line in lines:
            line = line.rstrip("\n").rstrip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            line = line[1:] if negated else line
            directory_only = line.endswith("/")
            line = line.strip("/") if directory_only else line
            anchored = "/" in line.lstrip("/") or line.startswith("/")
            line = line.lstrip("/")
            self.rules.append((re.compile(_translate_glob(line)), negated, directory_only, anchored))

    def ignored(self, path: Path, is_dir: bool) -> bool | None:
        try:
            relative = path.absolute().relative_to(self.base).as_posix()
        except ValueError:
            return None
        verdict = None
        for regex, negated, directory_only, anchored in self.rules:
            if directory_only and not is_dir:
                continue
            subject = relative if anchored else relative.rsplit("/", 1)[-1]
            if regex.match(subject):
                verdict = not negated
        return verdict


def _translate_glob(glob: str) -> str:
    """A gitignore glob as a regex: ``*`` and ``?`` stay within a path segment, ``**`` crosses them."""
    parts = []
    for piece in re.split(r"(\*\*/?|\*|\?)", glob):
        if piece in ("**", "**/"):
            parts.append(".*")
        elif piece == "*":
            parts.append("[^/]*")
        elif piece == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(piece))
    return "".join(parts) + r"\Z"


def _glob_excluded(path: Path, root: Path, globs: tuple[str, ...]) -> bool:
    """``path`` matches an exclude glob (or a pattern with ``/``), by name or relative path."""
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.as_posix()
    return any(fnmatch.fnmatch(path.name, p) or fnmatch.fnmatch(relative, p) for p in globs)


def _excluded_anywhere(path: Path, exclude: tuple[str, ...]) -> bool:
    """``path`` or one of its directories matches an exclude (name or glob, from here)."""
    absolute = path.absolute()
    names = {p for p in exclude if not _is_glob(p)}
    globs = tuple(p for p in exclude if _is_glob(p))
    parts = [absolute, *absolute.parents]
    return any(part.name in names for part in parts) or any(
        _glob_excluded(part, Path.cwd(), globs) for part in parts if globs)


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[") or "/" in pattern


def discover(
    paths: list[Path], exclude: tuple[str, ...], respect_gitignore: bool = True, model_json: bool = False,
    force_exclude: bool = False,
) -> list[Candidate]:
    """Files to check, sorted, each once. JSON model configs are found in directories only when
    asked. A file named explicitly is checked even when excluded, unless ``force_exclude`` (what a
    pre-commit hook wants: it names every changed file)."""
    suffixes = CHECKED_SUFFIXES + ((".json",) if model_json else ())
    found: dict[str, Candidate] = {}  # keyed by the path's text: hashing a Path costs more
    for given in paths:
        if given.is_dir() and not given.is_symlink():
            for candidate in _walk(given, exclude, respect_gitignore, suffixes):
                found.setdefault(str(candidate.path), candidate)
        elif not (force_exclude and _excluded_anywhere(given, exclude)):
            found[str(given)] = Candidate(given, explicit=True)
    return [found[key] for key in sorted(found)]


def _walk(root: Path, exclude: tuple[str, ...], respect_gitignore: bool, suffixes: tuple[str, ...]):
    real_root = root.resolve()
    ignores: list[_GitIgnore] = []
    if respect_gitignore:
        for parent in [root.absolute(), *root.absolute().parents]:
            ignores += _load_gitignore(parent)
            if (parent / ".git").exists():
                break
    names = frozenset(p for p in exclude if not _is_glob(p))  # the common case: plain names
    globs = tuple(p for p in exclude if _is_glob(p))
    stack = [(root, ignores)]
    while stack:
        directory, inherited = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:  # unreadable: reported for the directory, never skipped in silence
            yield Candidate(directory, explicit=True)
            continue
        has_gitignore = respect_gitignore and directory != root and any(e.name == ".gitignore" for e in entries)
        local = inherited + _load_gitignore(directory) if has_gitignore else inherited
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if (not is_dir and not entry.name.endswith(suffixes)) or entry.name in names:
                continue
            path = Path(entry.path)
            if (globs and _glob_excluded(path, root, globs)) or (local and _gitignored(path, is_dir, local)):
                continue
            if is_dir:
                stack.append((path, local))
            elif not entry.is_symlink() or _inside(path, real_root):
                yield Candidate(path, explicit=False)


def _inside(path: Path, root: Path) -> bool:
    """A symlink that is broken or resolves inside ``root`` stays (a broken one gets a diagnostic)."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return True
    return not resolved.exists() or resolved == root or root in resolved.parents


def _gitignored(path: Path, is_dir: bool, ignores: list[_GitIgnore]) -> bool:
    verdict = False
    for ignore in ignores:
        result = ignore.ignored(path, is_dir)
        if result is not None:
            verdict = result
    return verdict


def _load_gitignore(directory: Path) -> list[_GitIgnore]:
    try:
        lines = read_auxiliary_text(directory / ".gitignore", errors="replace").splitlines()
    except (OSError, ValueError):  # missing, or not a regular file
        return []
    return [_GitIgnore(directory.absolute(), lines)]
