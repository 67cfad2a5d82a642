"""A short run of the fuzz target in the test-suite, and every saved crasher as a regression."""
from __future__ import annotations

import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "fuzz"))
from fuzz_pipeline import make_job, mutate, one_input  # noqa: E402

JOBS = {"check": make_job("check"), "fix": make_job("fix"), "full": make_job("check", prefilter=False)}
SEEDS = [p.read_bytes() for p in sorted(FIXTURES.glob("*.py")) + sorted(FIXTURES.glob("*.ipynb"))]
CRASHERS = sorted((ROOT / "tests" / "crashers").iterdir())


@pytest.mark.parametrize("path", CRASHERS, ids=lambda p: p.name)
def test_saved_crashers_stay_fixed(path):
    assert one_input(path.read_bytes(), path.name, JOBS) is None


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["x.py", "x.ipynb"]))
def test_arbitrary_bytes(data, name):
    assert one_input(data, name, JOBS) is None


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from(["x.py", "x.ipynb"]))
def test_mutated_fixtures(seed, name):
    rng = random.Random(seed)
    data = mutate(rng.choice(SEEDS), rng, SEEDS)
    assert one_input(data, name, JOBS) is None
