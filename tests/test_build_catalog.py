"""The catalog builder's readers, on small synthetic releases (no network: the archives are
replaced by the source texts they would hold)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import build_catalog  # noqa: E402


def test_public_names_follow_star_imports_and_all():
    sources = {
        "keras/layers/__init__.py": "from .core import *\nfrom .advanced import *\nfrom ..engine import Layer\n",
        "keras/layers/core.py": "from .. import activations\nimport numpy as np\nclass Dense: pass\nclass _Hidden: pass\n",
        "keras/layers/advanced.py": "__all__ = ['ReLU']\nclass ReLU: pass\nclass NotExported: pass\n",
        "keras/layers/recurrent/__init__.py": "",
    }
    names = build_catalog.public_names("keras", "layers", sources)
    assert names == ["Dense", "Layer", "ReLU", "activations", "advanced", "core", "np", "recurrent"]


def test_public_names_are_the_union_of_every_route():
    sources = {
        "keras/api/layers/__init__.py": "from keras.src.layers.core import Dense\n",
        "keras/api/_tf_keras/keras/layers/__init__.py": "from keras.src.layers.preprocessing import RandomHeight\n",
    }
    assert build_catalog.public_names("keras", "layers", sources) == ["Dense", "RandomHeight"]


@pytest.mark.parametrize("init", [
    "from tensorflow.keras.layers import *\n",  # Keras 2.4: a star import of a module the release lacks
    "def __getattr__(name):\n    return None\n",  # a lazy module: its names cannot be read
])
def test_public_names_unknown_when_a_binding_cannot_be_followed(init):
    assert build_catalog.public_names("keras", "layers", {"keras/layers/__init__.py": init}) is None


def test_public_names_unknown_when_the_module_is_absent():
    assert build_catalog.public_names("keras", "initializers", {"keras/initializations.py": ""}) is None


@pytest.mark.parametrize("member, private_tree, path", [
    ("tensorflow-1.4.1.data/purelib/tensorflow/python/keras/_impl/keras/activations.py", True,
     "tensorflow/python/keras/activations.py"),
    ("tensorflow-1.4.1.data/purelib/tensorflow/python/keras/layers/__init__.py", True,
     "tensorflow/python/keras/api/keras/layers/__init__.py"),
    ("tensorflow_core/python/keras/activations.py", False, "tensorflow/python/keras/activations.py"),
    ("tensorflow/python/keras/layers/__init__.py", False, "tensorflow/python/keras/layers/__init__.py"),
    ("tensorflow-2.5.3.dist-info/METADATA", False, None),
])
def test_tensorflow_wheel_paths(member, private_tree, path):
    assert build_catalog.tensorflow_path(member, private_tree) == path


def test_keras1_getters_read_globals_as_written():
    import ast

    keras1 = "def get(identifier, kwargs=None):\n    return get_from_module(identifier, globals(), 'optimizer')\n"
    keras2 = "def get(identifier):\n    return deserialize({'class_name': str(identifier), 'config': {}})\n"
    assert build_catalog._get_reads_globals(ast.parse(keras1))
    assert not build_catalog._get_reads_globals(ast.parse(keras2))


def test_keras1_family_modules_have_their_old_names():
    sources = {"keras/objectives.py": "def mse(y_true, y_pred): pass\nmean_squared_error = mse\n"
                                      "def get(identifier):\n    return get_from_module(identifier, globals(), 'objective')\n"}
    table = build_catalog.family_table("keras", "losses", sources)
    assert table["source"] == "keras/objectives.py" and table["names"] == ["mean_squared_error", "mse"]
