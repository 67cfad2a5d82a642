"""Per-file result cache keyed by content, keraslint version, catalog and settings.

Entries are JSON, validated before use; anything corrupt or foreign is ignored and rewritten.
The cache directory ignores itself for git (``.gitignore`` with ``*``) and carries a CACHEDIR.TAG.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from keraslint import __version__
from keraslint.catalog import load as load_catalog
from keraslint.diagnostics import Diagnostic, Edit, Fix, Position

FORMAT = 1
TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# keraslint cache (see https://bford.info/cachedir/)\n"


def key(data: bytes, shown: str, job) -> str:
    """A digest of everything that can change the diagnostics of this file."""
    digest = hashlib.sha256()
    settings = (
        __version__, FORMAT, load_catalog().digest, shown,
        [r.label for r in job.target.releases], [r.label for r in job.tf_keras_target.releases],
        sorted(job.enabled), sorted(job.extra_activations), job.per_file_ignores,
    )
    digest.update(json.dumps(settings, default=str).encode())
    digest.update(data)
    return digest.hexdigest()


def prepare(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in ((".gitignore", "*\n"), ("CACHEDIR.TAG", TAG)):
        path = directory / name
        if not path.exists():
            path.write_text(content, encoding="utf-8")


def _entry(directory: str, digest: str) -> Path:
    return Path(directory) / digest[:2] / f"{digest}.json"


def get(directory: str, digest: str) -> list[Diagnostic] | None:
    try:
        document = json.loads(_entry(directory, digest).read_text(encoding="utf-8"))
        if document.get("key") != digest or document.get("format") != FORMAT:
            return None
        return [_diagnostic(d) for d in document["diagnostics"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def put(directory: str, digest: str, diagnostics: list[Diagnostic]) -> None:
    path = _entry(directory, digest)
    document = {"format": FORMAT, "key": digest, "diagnostics": [asdict(d) for d in diagnostics]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only or full disk only costs speed


def _diagnostic(raw: dict) -> Diagnostic:
    fix = raw["fix"]
    if fix is not None:
        edits = tuple(Edit(e["content"], Position(**e["location"]), Position(**e["end_location"])) for e in fix["edits"])
        fix = Fix(str(fix["applicability"]), str(fix["message"]), edits)
    return Diagnostic(
        code=str(raw["code"]), message=str(raw["message"]), filename=str(raw["filename"]),
        location=Position(**raw["location"]), end_location=Position(**raw["end_location"]),
        fix=fix, cell=raw["cell"], url=raw.get("url"),
    )
