"""[tool.keraslint] configuration and Keras version inference from project files."""
from __future__ import annotations

import textwrap

import pytest

from keraslint.catalog import load
from keraslint.settings import (
    Settings,
    SettingsError,
    choose_target,
    find_config,
    load_settings,
    read_project_requirements,
    target_from_requirements,
)

CATALOG = load()


def write(directory, name, text):
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def labels(target):
    return [r.label for r in target.releases]


def infer(tmp_path, monkeypatch, installed=None):
    monkeypatch.setattr("keraslint.settings.installed_keras_version", lambda: installed)
    target, _ = choose_target(Settings(), tmp_path)
    return target


def test_config_is_found_walking_up(tmp_path):
    config = write(tmp_path, "pyproject.toml", """
        [tool.keraslint]
        keras-version = "2.15"
        select = ["KL1"]
        per-file-ignores = {"tests/*" = ["KL101"]}
        extra-activations = ["mish_custom"]
    """)
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    assert find_config(tmp_path / "src" / "pkg") == config
    settings = load_settings(config)
    assert settings.keras_version == "2.15" and settings.select == ("KL1",)
    assert settings.per_file_ignores == ((f"{tmp_path.absolute().as_posix()}/tests/*", ("KL101",)),)
    assert settings.extra_activations == {"mish_custom"}


def test_unknown_key_is_a_clear_error(tmp_path):
    config = write(tmp_path, "pyproject.toml", '[tool.keraslint]\nkeras_version = "2.15"\n')
    with pytest.raises(SettingsError, match="unknown key 'keras_version'"):
        load_settings(config)


def test_wrong_type_is_a_clear_error(tmp_path):
    config = write(tmp_path, "pyproject.toml", '[tool.keraslint]\nselect = "KL1"\n')
    with pytest.raises(SettingsError, match="select must be a list"):
        load_settings(config)


def test_configured_version_wins(tmp_path, monkeypatch):
    write(tmp_path, "requirements.txt", "keras==2.3.1\n")
    monkeypatch.setattr("keraslint.settings.installed_keras_version", lambda: None)
    target, _ = choose_target(Settings(keras_version="3.6"), tmp_path)
    assert labels(target) == ["Keras 3.6.0"]
    assert "configured" in target.reason


@pytest.mark.parametrize("name,text,expected", [
    ("pyproject.toml", '[project]\ndependencies = ["keras==2.13.1"]\n', ["Keras 2.13.1"]),
    ("pyproject.toml", '[project.optional-dependencies]\ngpu = ["keras>=3.9,<3.10"]\n', ["Keras 3.9.0", "Keras 3.9.1", "Keras 3.9.2"]),
    ("pyproject.toml", '[tool.poetry.dependencies]\nkeras = "~2.12"\n', ["Keras 2.12.0"]),
    ("pyproject.toml", '[tool.poetry.dependencies]\nkeras = {version = "2.11.0"}\n', ["Keras 2.11.0"]),
    ("requirements.txt", "numpy\nkeras==2.2.4  # pinned\n", ["Keras 2.2.4"]),
    ("setup.cfg", "[options]\ninstall_requires =\n    numpy\n    keras==2.10.0\n", ["Keras 2.10.0"]),
    ("Pipfile", '[packages]\nkeras = "==2.9.0"\n', ["Keras 2.9.0"]),
    ("environment.yml", "dependencies:\n  - python=3.9\n  - keras=2.8\n", ["Keras 2.8.0"]),
    ("environment.yml", "dependencies:\n  - pip:\n    - keras==2.7.0\n", ["Keras 2.7.0"]),
    ("poetry.lock", '[[package]]\nname = "keras"\nversion = "3.3.3"\n', ["Keras 3.3.3"]),
    ("uv.lock", '[[package]]\nname = "keras"\nversion = "3.4.1"\n', ["Keras 3.4.1"]),
    ("pdm.lock", '[[package]]\nname = "keras"\nversion = "3.5.0"\n', ["Keras 3.5.0"]),
])
def test_inference_from_each_project_file(tmp_path, monkeypatch, name, text, expected):
    write(tmp_path, name, text)
    assert labels(infer(tmp_path, monkeypatch)) == expected


def test_requirement_includes_are_followed(tmp_path, monkeypatch):
    write(tmp_path, "requirements.txt", "-r requirements/base.txt\n")
    (tmp_path / "requirements").mkdir()
    write(tmp_path / "requirements", "base.txt", "keras==2.14.0\n")
    assert labels(infer(tmp_path, monkeypatch)) == ["Keras 2.14.0"]


def test_lock_pin_beats_declared_range(tmp_path, monkeypatch):
    write(tmp_path, "pyproject.toml", '[project]\ndependencies = ["keras>=3"]\n')
    write(tmp_path, "poetry.lock", '[[package]]\nname = "keras"\nversion = "3.2.1"\n')
    assert labels(infer(tmp_path, monkeypatch)) == ["Keras 3.2.1"]


@pytest.mark.parametrize("requirement,expected", [
    ("tensorflow==2.3.0", ["tf.keras in TensorFlow 2.3"]),
    ("tensorflow-cpu==2.5.1", ["tf.keras in TensorFlow 2.5"]),
    ("tensorflow==1.4.0", ["tf.keras in TensorFlow 1.4"]),
    ("tensorflow-gpu>=1.14,<2.1", ["tf.keras in TensorFlow 1.14", "tf.keras in TensorFlow 1.15", "tf.keras in TensorFlow 2.0"]),
    ("tensorflow==2.12.0", ["Keras 2.12.0"]),
    ("tensorflow-gpu>=2.14,<2.16", ["Keras 2.14.0", "Keras 2.15.0"]),
    ("tensorflow==2.16.1", [f"Keras {CATALOG.newest().version}"]),
])
def test_tensorflow_pins_map_to_the_keras_they_bundle(tmp_path, monkeypatch, requirement, expected):
    write(tmp_path, "requirements.txt", requirement + "\n")
    assert labels(infer(tmp_path, monkeypatch)) == expected


def test_tensorflow_216_with_tf_keras_keeps_keras_3_for_import_keras(tmp_path, monkeypatch):
    """Beside TF 2.16+, ``import keras`` (and ``tf.keras``) is Keras 3 even when tf-keras is pinned;
    only the files importing tf_keras are judged as tf-keras (an earlier release judged every file
    as tf-keras: dozens of wrong KL201 on Keras 3 code)."""
    write(tmp_path, "requirements.txt", "tensorflow==2.17.0\ntf-keras==2.17.0\n")
    monkeypatch.setattr("keraslint.settings.installed_keras_version", lambda: None)
    target, roots = choose_target(Settings(), tmp_path)
    assert labels(target)[0].startswith("Keras 3.") and labels(dict(roots)["tf_keras"]) == ["tf-keras 2.17.0"]
    assert labels(dict(roots)["tf.keras"])[0].startswith("Keras 3.")
    write(tmp_path, "requirements.txt", "tf_keras==2.15.0\ntensorflow\n")
    target, roots = choose_target(Settings(), tmp_path)
    assert labels(target)[0].startswith("Keras 3.") and labels(dict(roots)["tf_keras"]) == ["tf-keras 2.15.0"]


@pytest.mark.parametrize("pin, judged_against, noticed", [
    ("tensorflow==1.15.5", "tf.keras in TensorFlow 1.15", False),
    ("tensorflow-gpu==1.13.1", "tf.keras in TensorFlow 1.13", False),  # the catalog samples each minor's newest patch
    ("tensorflow==1.4.0", "tf.keras in TensorFlow 1.4", False), ("keras==1.2.2", "Keras 1.2.2", False),
    ("keras-core==0.1.7", "keras-core 0.1.7", False),
    ("keras==2.0.0a0", "Keras 2.0.0", True), ("keras==3.0.0rc1", "Keras 3.0.0", True),
    ("tensorflow==2.0.0b1", "tf.keras in TensorFlow 2.0", True), ("keras==2.16.1+cu121", "Keras 2.15.0", True),
    ("keras==99.0", "Keras 3.15.1", True), ("keras-core==0.1.8", "keras-core 0.1.7", True),
    ("tensorflow==1.2.1", "tf.keras in TensorFlow 1.4", True),  # TF 1.0-1.3 bundle no tf.keras
])
def test_no_pin_is_refused(tmp_path, monkeypatch, pin, judged_against, noticed):
    write(tmp_path, "requirements.txt", pin + "\n")
    monkeypatch.setattr("keraslint.settings.installed_keras_version", lambda: None)
    target, _ = choose_target(Settings(), tmp_path)
    assert labels(target) == [judged_against]
    if noticed:
        assert f"judged against the nearest release, {judged_against}" in target.notice
    else:
        assert target.notice is None


def test_tf_keras_files_get_the_projects_tf_keras(tmp_path, monkeypatch):
    write(tmp_path, "requirements.txt", "keras==3.6.0\ntf_keras==2.16.0\n")
    monkeypatch.setattr("keraslint.settings.installed_keras_version", lambda: None)
    target, roots = choose_target(Settings(), tmp_path)
    assert labels(target) == ["Keras 3.6.0"] and labels(dict(roots)["tf_keras"]) == ["tf-keras 2.16.0"]


@pytest.mark.parametrize("requirements, roots", [
    # a standalone Keras pin beside TF 2.4: ``import keras`` is Keras 2.4.3, ``tf.keras`` what TF 2.4 bundles
    ("keras==2.4.3\ntensorflow==2.4.1\n", {"keras": "Keras 2.4.3", "tf.keras": "tf.keras in TensorFlow 2.4"}),
    # TF 2.16+ with a Keras 3 pin: tf.keras is that Keras
    ("keras==3.6.0\ntensorflow==2.17.0\n", {"keras": "Keras 3.6.0", "tf.keras": "Keras 3.6.0"}),
    # no TensorFlow pin: tf.keras follows import keras
    ("keras==2.12.0\n", {"keras": "Keras 2.12.0", "tf.keras": "Keras 2.12.0"}),
    ("keras-core==0.1.5\ntensorflow==2.14.0\n", {"keras_core": "keras-core 0.1.5", "tf.keras": "Keras 2.14.0"}),
    ("tensorflow==2.15.0\n", {"keras_core": "keras-core 0.1.7", "tf_keras": "tf-keras 2.21.0"}),
])
def test_each_root_gets_its_own_target(tmp_path, monkeypatch, requirements, roots):
    write(tmp_path, "requirements.txt", requirements)
    monkeypatch.setattr("keraslint.settings.installed_keras_version", lambda: None)
    target, others = choose_target(Settings(), tmp_path)
    got = {"keras": labels(target)[0], **{root: labels(t)[0] for root, t in others}}
    assert {root: got[root] for root in roots} == roots


def test_tf_use_legacy_keras_makes_tf_keras_tf_keras(tmp_path, monkeypatch):
    write(tmp_path, "requirements.txt", "tensorflow==2.17.0\ntf-keras==2.17.0\n")
    monkeypatch.setattr("keraslint.settings.installed_keras_version", lambda: None)
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    target, others = choose_target(Settings(), tmp_path)
    assert labels(target)[0].startswith("Keras 3.") and labels(dict(others)["tf.keras"]) == ["tf-keras 2.17.0"]


def test_installed_distribution_then_newest(tmp_path, monkeypatch):
    assert labels(infer(tmp_path, monkeypatch, installed="3.1.0")) == ["Keras 3.1.0"]
    newest = infer(tmp_path, monkeypatch, installed=None)
    assert labels(newest) == [f"Keras {CATALOG.newest().version}"]
    assert "newest" in newest.reason


def test_unpinned_dependency_means_newest(tmp_path):
    write(tmp_path, "requirements.txt", "keras\n")
    requirements = read_project_requirements(tmp_path)
    assert labels(target_from_requirements(requirements, CATALOG)) == [f"Keras {CATALOG.newest().version}"]
