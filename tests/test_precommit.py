"""The real pre-commit runs this repository's hooks with ``pre-commit try-repo``."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

BAD = 'import keras\nkeras.layers.Dense(4, activation="sigmod")\n'
GOOD = 'import keras\nkeras.layers.Dense(4, activation="sigmoid")\n'
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    env = dict(os.environ)
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    return env


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "pyproject.toml").write_text('[tool.keraslint]\nkeras-version = "3.15"\n')
    git(tmp_path, "add", ".")
    return tmp_path


def try_repo(repo, environment, hook, *files):
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--files", *files]
    return subprocess.run(command, cwd=repo, env=environment, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_check_hook_fails_on_bad_and_passes_on_good(repo, environment):
    bad = try_repo(repo, environment, "keraslint", "bad.py")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert 'bad.py:2:34: KL101 Unknown Keras activation "sigmod"' in bad.stdout
    good = try_repo(repo, environment, "keraslint", "good.py")
    assert good.returncode == 0, good.stdout + good.stderr


@pytest.mark.slow
def test_fix_hook_repairs_the_file(repo, environment):
    result = try_repo(repo, environment, "keraslint-fix", "bad.py")
    assert result.returncode == 1  # pre-commit fails a hook that modified files
    assert (repo / "bad.py").read_text() == GOOD
    again = try_repo(repo, environment, "keraslint-fix", "bad.py")
    assert again.returncode == 0, again.stdout + again.stderr
