"""Shared test helpers: a Job for a Keras version, and running keraslint in-process."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from keraslint.catalog import load
from keraslint.rules import select_codes
from keraslint.runner import Job, check_bytes

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DEFAULT_TEST_TARGET = "3.15"  # pinned so fixtures do not change when the catalog grows
HEADER = re.compile(r"#\s*keraslint-test:\s*keras-version=(\S+)")


def make_job(spec: str = DEFAULT_TEST_TARGET, mode: str = "check", unsafe: bool = False, prefilter: bool = True,
             tensorflow: str | None = None, codes: set[str] | None = None, **extra) -> Job:
    """A job targeting Keras ``spec``; ``tf.keras`` follows it unless ``tensorflow`` names the
    TensorFlow whose tf.keras it is; ``codes``: the rules enabled (default: all)."""
    catalog = load()
    target = catalog.target(spec, "test")
    tf_keras = catalog.target(str(catalog.newest("tf-keras").version), "test", distribution="tf-keras")
    keras_core = catalog.target(str(catalog.newest("keras-core").version), "test", distribution="keras-core")
    roots = (("tf_keras", tf_keras), ("keras_core", keras_core))
    if tensorflow:
        roots += (("tf.keras", catalog.target(tensorflow, "test", distribution="tensorflow")),)
    enabled = frozenset(select_codes(codes or ["KL"], []))
    return Job(target, roots, enabled, mode=mode, unsafe_fixes=unsafe, prefilter=prefilter, **extra)


def fixture_target(data: bytes) -> str:
    match = HEADER.search(data.decode("utf-8", "replace"))
    return match.group(1) if match else DEFAULT_TEST_TARGET


def lint(source: str, spec: str = DEFAULT_TEST_TARGET, name: str = "example.py", **options):
    """Diagnostics for a source string."""
    return check_bytes(source.encode("utf-8"), name, make_job(spec, **options)).diagnostics


def codes(source: str, spec: str = DEFAULT_TEST_TARGET, **options) -> list[str]:
    return [d.code for d in lint(source, spec, **options)]


@pytest.fixture
def job():
    return make_job()
