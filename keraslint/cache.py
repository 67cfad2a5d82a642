"""Result cache: one JSON file per settings fingerprint, keyed by path, size and mtime.

The fingerprint covers the keraslint version, the catalog digest, the targets, the enabled
rules and every setting that changes diagnostics. An entry is reused only when the file's size
and modification time are unchanged (as ruff does). The file is validated field by field before
use; anything corrupt or foreign is ignored and replaced. The cache directory ignores itself for
git (``.gitignore`` with ``*``) and carries a CACHEDIR.TAG.
"""
from __future__ import annotations

import json
import os
import tempfile
import zlib
from pathlib import Path

from keraslint import __version__
from keraslint.catalog import load as load_catalog
from keraslint.diagnostics import Diagnostic, Edit, FileResult, Fix, Position
from keraslint.rules import REGISTRY, by_code
from keraslint.sources import read_auxiliary_text

FORMAT = 5  # 5: entries keyed by absolute path
TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# keraslint cache (see https://bford.info/cachedir/)\n"


def fingerprint(job) -> str:
    """Everything besides the file itself that can change its diagnostics, as one string: the
    cache file is named by its CRC and reused only when the string stored inside matches."""
    settings = (
        __version__, FORMAT, load_catalog().digest,
        [r.label for r in job.target.releases], [(root, [r.label for r in t.releases]) for root, t in job.root_targets],
        sorted(job.enabled), sorted(job.extra_activations), job.per_file_ignores,
    )
    return json.dumps(settings, default=str)


def stamp(path: Path | str) -> list[int] | None:
    """(size, mtime in ns) of a regular file, or None."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


class ResultCache:
    def __init__(self, directory: Path, job):
        self.directory = directory
        self.fingerprint = fingerprint(job)
        # A CRC names the file (hashlib would load OpenSSL, ~10 ms); the stored fingerprint decides.
        self.file = directory / f"results-{zlib.crc32(self.fingerprint.encode()):08x}.json"
        self.entries = self._load()
        self.updated = False
        self.module_stamps: dict[str, tuple] = {}  # imported modules are stat'ed once a run

    def _module_stamp(self, path: str) -> tuple:
        if path not in self.module_stamps:
            self.module_stamps[path] = tuple(stamp(path) or ())
        return self.module_stamps[path]

    def _load(self) -> dict:
        try:
            document = json.loads(read_auxiliary_text(self.file))
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(document, dict) or document.get("fingerprint") != self.fingerprint:
            return {}
        entries = document.get("files")
        return entries if isinstance(entries, dict) else {}

    def get(self, path: Path, shown: str, current: list[int] | None) -> FileResult | None:
        """The cached result of an unchanged file whose consulted project modules are unchanged
        too. Entries are keyed by absolute path (one cache may serve several working directories)."""
        entry = self.entries.get(os.path.abspath(path))
        if current is None or not isinstance(entry, dict) or entry.get("stamp") != current:
            return None
        try:
            consulted = tuple((str(path), tuple(module_stamp)) for path, module_stamp in entry["consulted"])
            if any(self._module_stamp(path) != module_stamp for path, module_stamp in consulted):
                return None
            diagnostics = [_diagnostic(d)._replace(filename=shown) for d in entry["diagnostics"]]
            return FileResult(shown, diagnostics, consulted=consulted)
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, path: Path, result: FileResult, current: list[int] | None) -> None:
        if current is None or any(by_code(d.code).failure for d in result.diagnostics):
            return
        self.entries[os.path.abspath(path)] = {
            "stamp": current, "diagnostics": [d.as_json() for d in result.diagnostics],
            "consulted": [list(pair) for pair in result.consulted],
        }
        self.updated = True

    def save(self) -> None:
        if not self.updated:
            return
        try:
            prepare(self.directory)
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump({"fingerprint": self.fingerprint, "files": self.entries}, handle)
            os.replace(temporary, self.file)
        except OSError:
            pass  # a read-only or full disk only costs speed


def usable_directory(directory: Path, root: Path | None) -> str | None:
    """Why ``directory`` must not hold the cache, or None when it may.

    A repository can commit ``.keraslint_cache`` as a symbolic link (or with links inside) to
    make keraslint write or delete files elsewhere: a cache that is or contains a link, or that
    resolves outside ``root`` (the project, for the default location), is not used.
    """
    if directory.is_symlink():
        return f"{directory} is a symbolic link"
    if not directory.exists():
        parent = directory.parent.resolve()
        inside = root is None or parent == root.resolve() or root.resolve() in parent.parents
        return None if inside else f"{directory} is outside the project"
    if not directory.is_dir():
        return f"{directory} is not a directory"
    if root is not None and root.resolve() not in directory.resolve().parents:
        return f"{directory} resolves outside the project"
    try:
        links = [entry.name for entry in os.scandir(directory) if entry.is_symlink()]
    except OSError as error:
        return f"{directory} cannot be listed ({error.strerror or error})"
    return f"{directory} contains symbolic links ({', '.join(sorted(links)[:3])})" if links else None


def prepare(directory: Path) -> None:
    """Create the cache directory with its .gitignore and CACHEDIR.TAG (never through a link)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in ((".gitignore", "*\n"), ("CACHEDIR.TAG", TAG)):
        try:
            descriptor = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)


def _diagnostic(raw: dict) -> Diagnostic:
    fix = raw["fix"]
    if fix is not None:
        edits = tuple(Edit(str(e["content"]), _position(e["location"]), _position(e["end_location"])) for e in fix["edits"])
        applicability = fix["applicability"]
        if applicability not in ("safe", "unsafe"):
            raise ValueError(f"not an applicability: {applicability!r}")  # a damaged cache entry: a miss
        fix = Fix(applicability, str(fix["message"]), edits)
    cell = raw["cell"]
    if cell is not None and not isinstance(cell, int):
        raise ValueError("bad cell")
    if raw["code"] not in REGISTRY:
        raise ValueError("unknown rule code")
    return Diagnostic(
        code=str(raw["code"]), message=str(raw["message"]), filename=str(raw["filename"]),
        location=_position(raw["location"]), end_location=_position(raw["end_location"]),
        fix=fix, cell=cell, config_path=None if raw.get("config_path") is None else str(raw["config_path"]),
    )


def _position(raw: dict) -> Position:
    row, column = raw["row"], raw["column"]
    if not (isinstance(row, int) and isinstance(column, int)):
        raise ValueError("bad position")
    return Position(row, column)
