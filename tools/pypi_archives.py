"""Download released distributions from PyPI and read files out of them (never imported, never run).

Used by ``tools/build_catalog.py``. Archives are cached by their sha256 so a rebuild only
downloads what it has not seen.
"""
from __future__ import annotations

import hashlib
import io
import json
import tarfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from packaging.version import InvalidVersion, Version

PYPI_JSON = "https://pypi.org/pypi/{name}/json"


def release_files(name: str) -> dict[Version, dict]:
    """Return {version: chosen file record} for every final, non-yanked release of ``name``.

    A pure-Python wheel is preferred; the sdist is the fallback for releases without one.
    """
    with urllib.request.urlopen(PYPI_JSON.format(name=name), timeout=120) as response:
        releases = json.load(response)["releases"]
    chosen = {}
    for raw_version, files in releases.items():
        try:
            version = Version(raw_version)
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease:
            continue
        usable = [f for f in files if not f.get("yanked")]
        wheels = [f for f in usable if f["filename"].endswith("-none-any.whl")]
        sdists = [f for f in usable if f["filename"].endswith((".tar.gz", ".zip"))]
        if wheels or sdists:
            chosen[version] = (wheels or sdists)[0]
    return chosen


def fetch(record: dict, cache: Path) -> bytes:
    """Return the archive bytes for a PyPI file record, downloading into ``cache`` once."""
    sha = record["digests"]["sha256"]
    path = cache / f"{sha}-{record['filename']}"
    if path.exists():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == sha:
            return data
    url = urllib.parse.urljoin(PYPI_JSON.format(name="x"), record["url"])
    with urllib.request.urlopen(url, timeout=300) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != sha:
        raise RuntimeError(f"checksum mismatch for {record['filename']}")
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def python_sources(archive: bytes, filename: str) -> dict[str, str]:
    """Map package-relative paths (``keras/...``) to source text for every .py file in the archive."""
    sources = {}
    if filename.endswith(".whl") or filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            for name in zf.namelist():
                if name.endswith(".py"):
                    sources[_package_relative(name, filename)] = zf.read(name).decode("utf-8", "replace")
    else:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tf:
            for member in tf.getmembers():
                if member.isfile() and member.name.endswith(".py"):
                    data = tf.extractfile(member).read()
                    sources[_package_relative(member.name, filename)] = data.decode("utf-8", "replace")
    return sources


def _package_relative(name: str, filename: str) -> str:
    """Strip an sdist's top-level ``Keras-2.0.0/`` folder so paths start at the package."""
    if filename.endswith(".whl"):
        return name
    return name.split("/", 1)[1] if "/" in name else name
