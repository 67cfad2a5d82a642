"""What a user installs and runs on GitHub: the built distributions and the Action's script."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

BAD = 'import keras\nkeras.layers.Dense(4, activation="sigmod")\n'


@pytest.mark.slow
def test_sdist_and_wheel_build_carry_the_license_and_pass_twine_check(tmp_path):
    pytest.importorskip("build")
    pytest.importorskip("twine")
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", ".keraslint_cache", "__pycache__"))
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(source)],
                   check=True, capture_output=True)
    built = sorted((tmp_path / "dist").iterdir(), key=lambda p: p.suffix)
    assert [p.suffix for p in built] == [".gz", ".whl"]
    checked = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, built)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    wheel = zipfile.ZipFile(built[1])
    assert any(name.endswith("LICENSE") for name in wheel.namelist())
    metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith("METADATA"))).decode()
    assert "License :: OSI Approved :: MIT License" in metadata and "Requires-Dist: ipython" in metadata


def run_action(tmp_path, **inputs):
    """action/run.sh as the Action runs it, with the install recorded instead of performed."""
    record = tmp_path / "pip.txt"
    pip = tmp_path / "fake-pip"
    pip.write_text(f'#!/bin/sh\necho "$@" >> "{record}"\n')
    pip.chmod(0o755)
    env = {**os.environ, "GITHUB_ACTION_PATH": str(ROOT), "ACTION_REPOSITORY": "owner/keraslint",
           "KERASLINT_PIP": str(pip), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           **{f"INPUT_{k.upper()}": v for k, v in inputs.items()}}
    completed = subprocess.run(["bash", str(ROOT / "action" / "run.sh")], cwd=tmp_path, env=env, capture_output=True, text=True)
    return completed, record.read_text()


def test_the_action_installs_its_own_ref_and_annotates(tmp_path):
    (tmp_path / "model.py").write_text(BAD)
    completed, installed = run_action(tmp_path)
    assert installed.split()[-1] == f"{ROOT}[h5]"
    assert completed.returncode == 1 and completed.stdout.startswith("::error title=keraslint (KL101)")


def test_the_action_installs_a_given_version_and_passes_arguments(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text(BAD)
    completed, installed = run_action(tmp_path, version="v0.2.0", args="check --output-format sarif -o k.sarif --exit-zero",
                                      src="src")
    assert "keraslint @ git+https://github.com/owner/keraslint@v0.2.0[h5]" in installed
    assert completed.returncode == 0 and (tmp_path / "k.sarif").is_file()
