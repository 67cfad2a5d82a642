"""Fixture files under fixtures/ against the expected diagnostics written beside them.

Regenerate after a deliberate change with ``KERASLINT_UPDATE_FIXTURES=1 pytest tests/test_fixtures.py``
and review the diff.
"""
from __future__ import annotations

import os

import pytest

from conftest import FIXTURES, fixture_target, make_job
from keraslint.runner import check_bytes

FIXTURE_FILES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".py", ".ipynb"))


def render(diagnostics) -> str:
    lines = []
    for d in diagnostics:
        cell = f"cell {d.cell}:" if d.cell is not None else ""
        fix = "" if d.fix is None else f" [fix {d.fix.applicability}: {d.fix.edits[0].content}]"
        lines.append(f"{cell}{d.location.row}:{d.location.column} {d.code} {d.message}{fix}\n")
    return "".join(lines)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_matches_expected(path):
    data = path.read_bytes()
    result = check_bytes(data, path.name, make_job(fixture_target(data)))
    actual = render(sorted(result.diagnostics, key=lambda d: d.sort_key()))
    expected_path = path.with_suffix(".expected")
    if os.environ.get("KERASLINT_UPDATE_FIXTURES"):
        expected_path.write_text(actual, encoding="utf-8")
    assert actual == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_prefilter_agrees_with_parsing_everything(path):
    """Skipping files without the needle words may never lose a finding."""
    data = path.read_bytes()
    spec = fixture_target(data)
    fast = check_bytes(data, path.name, make_job(spec, prefilter=True)).diagnostics
    full = check_bytes(data, path.name, make_job(spec, prefilter=False)).diagnostics
    assert fast == full


def test_every_fixture_has_expectations():
    assert FIXTURE_FILES
    for path in FIXTURE_FILES:
        assert path.with_suffix(".expected").exists(), path.name


CORPUS = os.environ.get("KERASLINT_CORPUS")


@pytest.mark.skipif(not CORPUS, reason="set KERASLINT_CORPUS to a fetched corpus (benchmarks/corpus.py) to run")
@pytest.mark.parametrize("spec", ["2.3", "3.15"])
def test_prefilter_agrees_on_the_corpus(spec):
    """Each corpus package checked as a project (imports between its modules followed)."""
    from pathlib import Path

    from keraslint.discover import discover
    from keraslint.runner import check_project

    for package in sorted(Path(CORPUS).iterdir()):
        candidates = discover([package], ())
        fast = check_project(candidates, make_job(spec, prefilter=True), workers=1)
        full = check_project(candidates, make_job(spec, prefilter=False), workers=1)
        assert [(r.path, r.diagnostics) for r in fast] == [(r.path, r.diagnostics) for r in full], package


@pytest.mark.parametrize("source", [
    "import keras\nmodel = keras.Sequential()\nmodel.compile (loss='msee')\n",
    "import keras\nkeras.layers.Dense(4, kernel_initializer = 'glorot_unifrom')\n",
    "from keras import losses as L\nL . get('msee')\n",
    "from keras import layers\nlayers.Dense(64, 'reul')\n",
])
def test_prefilter_keeps_every_kind_of_site(source):
    data = source.encode()
    fast = check_bytes(data, "x.py", make_job(prefilter=True)).diagnostics
    assert fast and fast == check_bytes(data, "x.py", make_job(prefilter=False)).diagnostics
