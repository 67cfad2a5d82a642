"""--fix never loses a byte: races, links, modes, owners, encodings; the cache and sys.path stay
inside the project. Each test is an attack that broke an earlier release."""
from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys

import pytest

from conftest import make_job
from keraslint import runner
from keraslint.runner import check_bytes, check_file
from test_cli import run

BAD = 'import keras\nkeras.layers.Dense(4, activation="sigmod")\n'
GOOD = BAD.replace("sigmod", "sigmoid")


def codes(result) -> list[str]:
    return [d.code for d in result.diagnostics]


def fix(path):
    return check_file(path, make_job(mode="fix"))


def during_check(monkeypatch, action):
    """Run ``action`` after keraslint read the file and before it writes the fix (a slow --fix)."""
    original = runner.check_bytes

    def slow_check(*args, **kwargs):
        result = original(*args, **kwargs)
        action()
        return result

    monkeypatch.setattr(runner, "check_bytes", slow_check)


def test_an_edit_saved_during_fix_is_kept(tmp_path, monkeypatch):
    path = tmp_path / "a.py"
    path.write_text(BAD)
    edited = BAD + "x = 1  # saved by the editor meanwhile\n"
    during_check(monkeypatch, lambda: path.write_text(edited))
    result = fix(path)
    assert path.read_text() == edited
    assert codes(result) == ["KL101", "KL005"] and result.fixed == 0
    assert "changed after it was read" in result.diagnostics[-1].message


def test_an_edit_of_the_same_size_and_time_is_kept(tmp_path, monkeypatch):
    path = tmp_path / "a.py"
    path.write_text(BAD)
    before = os.stat(path)

    def same_size_edit():
        path.write_text(BAD.replace("keras.layers", "keras.Layers"))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    during_check(monkeypatch, same_size_edit)
    assert "KL005" in codes(fix(path))
    assert "keras.Layers" in path.read_text()


def test_a_path_swapped_for_a_symlink_is_not_written_through(tmp_path, monkeypatch):
    path, victim = tmp_path / "a.py", tmp_path / "victim.txt"
    path.write_text(BAD)
    victim.write_text(BAD)

    def swap():
        path.unlink()
        path.symlink_to(victim)

    during_check(monkeypatch, swap)
    assert "KL005" in codes(fix(path))
    assert victim.read_text() == BAD


@pytest.mark.parametrize("source", [
    "# coding: unicode_escape\n" + BAD,
    "# coding: raw_unicode_escape\nname = '\\u00e9'\n" + BAD,
])
def test_an_encoding_that_does_not_round_trip_is_never_written(tmp_path, source):
    path = tmp_path / "a.py"
    data = source.encode("latin-1")
    path.write_bytes(data)
    result = fix(path)
    assert path.read_bytes() == data
    assert "KL005" in codes(result) and "KL101" in codes(result)


def test_setuid_setgid_and_sticky_bits_are_kept(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(BAD)
    os.chmod(path, 0o6755)
    assert fix(path).fixed == 1
    assert path.read_text() == GOOD
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o6755


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_owner_and_group_are_kept(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(BAD)
    os.chown(path, 12345, 54321)
    assert fix(path).fixed == 1
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (12345, 54321)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_a_file_whose_owner_cannot_be_kept_is_not_taken_over(tmp_path, monkeypatch):
    path = tmp_path / "a.py"
    path.write_text(BAD)
    os.chown(path, 12345, 54321)

    def refuse(*args):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refuse)  # as for a user who does not own the file
    result = fix(path)
    assert "KL005" in codes(result) and "another user" in result.diagnostics[-1].message
    assert path.read_text() == BAD and os.stat(path).st_uid == 12345


def test_extended_attributes_are_kept(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(BAD)
    try:
        os.setxattr(path, "user.origin", b"editor")
    except OSError:
        pytest.skip("this file system has no user extended attributes")
    assert fix(path).fixed == 1
    assert os.getxattr(path, "user.origin") == b"editor"


def test_hard_links_are_not_split(tmp_path):
    path, other = tmp_path / "a.py", tmp_path / "b.py"
    path.write_text(BAD)
    os.link(path, other)
    result = fix(path)
    assert "KL005" in codes(result) and "hard links" in result.diagnostics[-1].message
    assert os.stat(path).st_ino == os.stat(other).st_ino and other.read_text() == BAD


def test_read_only_files_are_not_rewritten(tmp_path):
    path = tmp_path / "a.py"
    path.write_text(BAD)
    os.chmod(path, 0o444)
    result = fix(path)
    assert "KL005" in codes(result) and "read-only" in result.diagnostics[-1].message
    assert path.read_text() == BAD


def test_a_failed_write_keeps_the_finding_and_says_why(tmp_path, monkeypatch):
    import tempfile

    path = tmp_path / "a.py"
    path.write_text(BAD)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", disk_full)
    result = fix(path)
    assert codes(result) == ["KL101", "KL005"] and "No space left" in result.diagnostics[-1].message
    assert path.read_text() == BAD


def test_a_long_file_name_is_fixed(tmp_path):
    path = tmp_path / ("m" * 250 + ".py")
    path.write_text(BAD)
    assert fix(path).fixed == 1 and path.read_text() == GOOD


def test_a_notebook_keeps_its_byte_order_mark():
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                           "source": ["import keras\n", "keras.layers.Dense(4, activation='sigmod')"]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    raw = json.dumps(notebook, indent=1) + "\n"
    fixed = check_bytes(b"\xef\xbb\xbf" + raw.encode(), "nb.ipynb", make_job(mode="fix")).fixed_data
    assert fixed == b"\xef\xbb\xbf" + raw.replace("'sigmod'", "'sigmoid'").encode()


@pytest.mark.parametrize("separator", ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_noqa_after_a_character_python_does_not_break_lines_on(separator):
    source = f'import keras\nx = 1 #{separator}\nkeras.layers.Dense(4, activation="sigmod")  # noqa\nkeras.layers.Dense(4, activation="ReLU")\n'
    result = check_bytes(source.encode(), "a.py", make_job(mode="fix"))
    assert codes(result) == [] and result.fixed_data.decode() == source.replace('"ReLU"', '"relu"')


def test_a_symlinked_cache_directory_is_not_used(tmp_path):
    outside, project = tmp_path / "outside", tmp_path / "project"
    outside.mkdir()
    project.mkdir()
    (project / "a.py").write_text(BAD)
    (project / ".keraslint_cache").symlink_to(outside)
    result = run("check", "a.py", cwd=project)
    assert result.exit_code == 1
    assert "cache not used" in result.stderr and list(outside.iterdir()) == []


def test_links_inside_the_cache_directory_are_never_followed(tmp_path):
    project, victim = tmp_path / "project", tmp_path / "victim"
    (project / ".keraslint_cache").mkdir(parents=True)
    (project / "a.py").write_text(BAD)
    (project / ".keraslint_cache" / ".gitignore").symlink_to(victim)
    result = run("check", "a.py", cwd=project)
    assert "contains symbolic links" in result.stderr and not victim.exists()


def test_the_scanned_repository_cannot_shadow_keraslints_imports(tmp_path):
    marker = tmp_path / "imported"
    for module in ("json", "click", "dataclasses"):
        (tmp_path / f"{module}.py").write_text(f"open({str(marker)!r}, 'a').write({module!r})\nraise SystemExit(99)\n")
    (tmp_path / "a.py").write_text(BAD)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    completed = subprocess.run([sys.executable, "-m", "keraslint", "check", "--no-cache", "a.py"], cwd=tmp_path,
                               capture_output=True, text=True, env=env)
    assert not marker.exists(), marker.read_text()
    assert completed.returncode == 1 and "KL101" in completed.stdout
