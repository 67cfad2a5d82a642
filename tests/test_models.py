"""Saved models and configs: .keras zips, .h5 files and JSON, checked against the target."""
from __future__ import annotations

import io
import json
import os
import zipfile

import h5py
import pytest

from conftest import make_job
from keraslint.cli import main
from keraslint.models import MAX_CONFIG_BYTES
from keraslint.runner import check_bytes, check_file
from test_cli import make_runner


def dense(name, activation, **extra):
    return {"module": "keras.layers", "class_name": "Dense", "config": {"name": name, "units": 4, "activation": activation, **extra}}


def keras3_activation(name, registered=None, module="keras.activations"):
    return {"module": module, "class_name": "function", "config": name, "registered_name": registered or name}


def sequential(*layers):
    return {"module": "keras", "class_name": "Sequential", "config": {"name": "seq", "layers": list(layers)}}


def keras_zip(config, keras_version="3.6.0", extra_members=None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("metadata.json", json.dumps({"keras_version": keras_version, "date_saved": "2024-01-01"}))
        archive.writestr("model.weights.h5", b"\x00" * 16)
        for name, data in (extra_members or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def h5_file(config, keras_version="2.15.0") -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        handle.attrs["model_config"] = json.dumps(config)
        handle.attrs["keras_version"] = keras_version
        handle.attrs["backend"] = "tensorflow"
    return buffer.getvalue()


def found(data, name, spec="3.15", **job):
    return [(d.code, d.config_path) for d in check_bytes(data, name, make_job(spec, **job)).diagnostics]


def test_gelu_model_against_keras_23():
    config = sequential(dense("a", "relu"), dense("b", "gelu"))
    data = h5_file(config, keras_version="2.15.0")
    assert found(data, "model.h5", "2.15") == []
    result = check_bytes(data, "model.h5", make_job("2.3")).diagnostics
    assert [(d.code, d.config_path) for d in result] == [("KL103", "config.layers[1].config.activation")]
    assert "saved by Keras 2.15.0, backend tensorflow" in result[0].message


def test_keras3_zip_with_dict_activations_and_wrappers():
    inner = {"module": "keras.layers", "class_name": "LSTM",
             "config": {"activation": "tanh", "recurrent_activation": keras3_activation("sigmoid")}}
    wrapped = {"module": "keras.layers", "class_name": "Bidirectional", "config": {"layer": inner}}
    distributed = {"module": "keras.layers", "class_name": "TimeDistributed", "config": {"layer": dense("t", keras3_activation("reul"))}}
    nested = sequential(dense("n", "Softmax"))
    config = sequential(wrapped, distributed, nested)
    assert found(keras_zip(config), "model.keras") == [
        ("KL101", "config.layers[1].config.layer.config.activation"),
        ("KL102", "config.layers[2].config.layers[0].config.activation"),
    ]


def test_unregistered_custom_activation_is_listed():
    config = sequential(dense("a", keras3_activation("custom_activation", module=None)), dense("b", keras3_activation("mish", "Addons>mish", module="addons")))
    result = check_bytes(keras_zip(config), "model.keras", make_job()).diagnostics
    assert [(d.code, d.config_path) for d in result] == [
        ("KL501", "config.layers[0].config.activation"), ("KL501", "config.layers[1].config.activation"),
    ]
    assert "custom_objects={'custom_activation': fn}" in result[0].message
    registered = check_bytes(keras_zip(config), "model.keras", make_job(extra_activations=frozenset({"Addons>mish"})))
    assert "the scanned project registers it" in registered.diagnostics[1].message


def test_keras3_model_loaded_by_keras2_is_reported():
    config = sequential(dense("a", "hard_swish"))
    codes = found(keras_zip(config, keras_version="3.6.0"), "model.keras", "2.15")
    assert codes == [("KL103", "config.layers[0].config.activation"), ("KL502", None)]


def test_json_config_from_to_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(sequential(dense("a", "sigmod"))))
    (tmp_path / "other.json").write_text('{"not": "a model"}')
    runner = make_runner()
    explicit = runner.invoke(main, ["check", "--no-cache", "--keras-version", "3.15", "--output-format", "concise", "model.json"])
    assert "model.json:config.layers[0].config.activation: KL101" in explicit.stdout
    scan = runner.invoke(main, ["check", "--no-cache", "--output-format", "concise", "."])
    assert scan.exit_code == 0  # JSON is opt-in while scanning directories
    opted = runner.invoke(main, ["check", "--no-cache", "--model-json", "--output-format", "concise", "."])
    assert "KL101" in opted.stdout and "other.json:1:1: KL004 Not a Keras model or layer config" in opted.stdout


def test_sarif_names_the_config_path(tmp_path):
    (tmp_path / "model.keras").write_bytes(keras_zip(sequential(dense("a", "reul"))))
    result = make_runner().invoke(main, ["check", "--no-cache", "--output-format", "sarif", str(tmp_path)])
    location = json.loads(result.stdout)["runs"][0]["results"][0]["locations"][0]
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "config.layers[0].config.activation"


@pytest.mark.parametrize("data,name,message", [
    (b"PK\x03\x04 truncated", "m.keras", "Corrupt .keras archive"),
    (keras_zip(sequential())[:200], "m.keras", "Corrupt .keras archive"),
    (b"\x89HDF\r\n\x1a\n" + b"\x00" * 50, "m.h5", "Corrupt or truncated HDF5"),
    (b"{ nope", "m.json", "Malformed JSON config"),
])
def test_corrupt_files_are_one_diagnostic(data, name, message):
    (diagnostic,) = check_bytes(data, name, make_job()).diagnostics
    assert diagnostic.code == "KL004" and message in diagnostic.message


def test_hdf5_without_config_is_weights_only():
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        handle.create_dataset("w", data=[1, 2, 3])
    (diagnostic,) = check_bytes(buffer.getvalue(), "w.h5", make_job()).diagnostics
    assert "no model_config" in diagnostic.message


def test_zip_bomb_is_not_decompressed():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b" " * (MAX_CONFIG_BYTES + 10))
    assert len(buffer.getvalue()) < 1_000_000
    (diagnostic,) = check_bytes(buffer.getvalue(), "bomb.keras", make_job()).diagnostics
    assert diagnostic.code == "KL004" and "refusing" in diagnostic.message


def test_lambda_layers_are_never_deserialized(monkeypatch):
    import marshal
    import pickle

    def forbidden(*args, **kwargs):
        raise AssertionError("model files must never be unpickled or unmarshalled")

    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(marshal, "loads", forbidden)
    lambda_layer = {"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}}}
    assert found(keras_zip(sequential(lambda_layer, dense("a", "relu"))), "m.keras") == []


def test_missing_h5py_is_a_clear_message(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("no h5py")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_h5py)
    (diagnostic,) = check_bytes(h5_file(sequential()), "m.h5", make_job()).diagnostics
    assert diagnostic.code == "KL004" and "pip install 'keraslint[h5]'" in diagnostic.message


def test_a_checkpoint_that_crashes_libhdf5_costs_one_file(tmp_path, monkeypatch):
    pytest.importorskip("h5py")
    from keraslint import models

    monkeypatch.setattr(models, "_HDF5_READER", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    (tmp_path / "damaged.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    (diagnostic,) = check_file(tmp_path / "damaged.h5", make_job()).diagnostics
    assert diagnostic.code == "KL004" and "crashed" in diagnostic.message


def test_a_checkpoint_that_hangs_libhdf5_costs_one_file(tmp_path, monkeypatch):
    pytest.importorskip("h5py")
    from keraslint import models

    monkeypatch.setattr(models, "_HDF5_READER", "while True:\n    pass\n")
    monkeypatch.setattr(models, "HDF5_SECONDS", 1)
    (tmp_path / "damaged.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    (diagnostic,) = check_file(tmp_path / "damaged.h5", make_job()).diagnostics
    assert diagnostic.code == "KL004" and "did not finish" in diagnostic.message


def test_model_files_are_opened_by_path_not_read_whole(tmp_path, monkeypatch):
    from keraslint import runner

    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps({"class_name": "Dense", "config": {"activation": "reul"}}))
    monkeypatch.setattr(runner, "read_snapshot", lambda *args: pytest.fail("the model was read into memory"))
    assert [d.code for d in check_file(path, make_job()).diagnostics] == ["KL101"]


def test_a_huge_flat_config_is_refused_not_expanded(tmp_path):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", '{"class_name": "Sequential", "config": {"layers": [' + "0," * 2_000_000 + "0]}}")
    assert path.stat().st_size < 100_000
    (diagnostic,) = check_file(path, make_job()).diagnostics
    assert diagnostic.code == "KL004" and "more than 1000000 values" in diagnostic.message


def test_a_fifo_named_like_a_model_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "model.keras")
    (diagnostic,) = check_file(tmp_path / "model.keras", make_job()).diagnostics
    assert diagnostic.code == "KL001"


@pytest.mark.parametrize("activation, named", [
    ("custom_activation", "custom_activation"), ("Addons>mish", "Addons>mish"),
    ({"module": "builtins", "class_name": "function", "config": "scaled_tanh", "registered_name": "function"}, "scaled_tanh"),
])
def test_custom_functions_in_saved_configs_say_what_custom_objects_must_hold(activation, named):
    config = {"class_name": "Dense", "config": {"activation": activation}}
    (diagnostic,) = check_bytes(json.dumps(config).encode(), "model.json", make_job()).diagnostics
    assert diagnostic.code == "KL501" and f"custom_objects={{{named!r}: fn}}" in diagnostic.message


def test_a_near_miss_of_a_builtin_in_a_config_stays_a_typo():
    config = {"class_name": "Dense", "config": {"activation": "sigmod"}}
    (diagnostic,) = check_bytes(json.dumps(config).encode(), "model.json", make_job()).diagnostics
    assert diagnostic.code == "KL101" and 'did you mean "sigmoid"' in diagnostic.message


def h5_compiled(config, training, keras_version="2.15.0") -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        handle.attrs["model_config"] = json.dumps(config)
        handle.attrs["training_config"] = json.dumps(training)
        handle.attrs["keras_version"] = keras_version
    return buffer.getvalue()


def test_saved_training_config_names_what_custom_objects_must_hold():
    """The most common load_model failure: "Unknown loss function: dice_loss" (Keras 2 h5)."""
    training = {
        "loss": "dice_loss",
        "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "iou", "fn": "iou_score"}},
                     {"class_name": "MeanMetricWrapper", "config": {"name": "acc", "fn": "categorical_accuracy"}}]],
        "weighted_metrics": None,
        "optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 0.001}},
    }
    result = check_bytes(h5_compiled(sequential(dense("a", "relu")), training), "model.h5", make_job("2.15")).diagnostics
    assert [(d.code, d.config_path) for d in result] == [
        ("KL501", "training_config.loss"), ("KL501", "training_config.metrics[0][0].config.fn"),
    ]
    assert result[0].message.startswith('Custom loss "dice_loss" is not a Keras built-in: pass '
                                        "custom_objects={'dice_loss': fn}")


def test_saved_training_config_builtins_are_judged_against_the_loading_keras():
    training = {"loss": {"out": "categorical_crossentropy", "aux": "binary_crossentropy"},
                "metrics": ["acc", "fmeasure"], "optimizer_config": {"class_name": "AdamW", "config": {}}}
    data = h5_compiled(sequential(dense("a", "relu")), training)
    assert found(data, "model.h5", "2.10") == [("KL403", "training_config.metrics[1]"),
                                               ("KL403", "training_config.optimizer_config")]
    assert found(data, "model.h5", "1.2.2") == [("KL403", "training_config.optimizer_config"), ("KL502", None)]


def test_keras3_compile_config_custom_loss_and_builtin_objects():
    config = dict(sequential(dense("a", "relu")), compile_config={
        "optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {}, "registered_name": None},
        "loss": {"module": "builtins", "class_name": "function", "config": "focal_loss", "registered_name": "function"},
        "metrics": ["accuracy", {"module": "keras.metrics", "class_name": "AUC", "config": {}, "registered_name": None}],
        "weighted_metrics": None,
    })
    result = check_bytes(keras_zip(config), "model.keras", make_job("3.6")).diagnostics
    assert [(d.code, d.config_path) for d in result] == [("KL501", "compile_config.loss")]
    assert "custom_objects={'focal_loss': fn}" in result[0].message


def test_saved_initializer_regularizer_constraint_classes():
    layer = dense("a", "relu", kernel_initializer={"class_name": "GlorotUniform", "config": {"seed": None}},
                  kernel_regularizer={"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}},
                  bias_initializer={"class_name": "ScaledNormal", "config": {}}, kernel_constraint=None)
    result = check_bytes(h5_file(sequential(layer)), "model.h5", make_job("2.15")).diagnostics
    assert [(d.code, d.config_path) for d in result] == [("KL501", "config.layers[0].config.bias_initializer")]
    assert result[0].message.startswith('Custom initializer "ScaledNormal" is not a Keras built-in: pass '
                                        "custom_objects={'ScaledNormal': cls}")


def test_a_renamed_loss_saved_in_a_model_gets_its_new_name():
    """Luca96/face-clustering#4 and teticio/Deej-AI#35: "Unknown loss function: cosine_proximity"
    at load_model on TF 2.x; the function is called cosine_similarity there."""
    training = {"loss": "cosine_proximity", "metrics": [], "optimizer_config": {"class_name": "Adam", "config": {}}}
    result = check_bytes(h5_compiled(sequential(dense("a", "relu")), training, "2.2.4"), "model.h5",
                         make_job("2.4")).diagnostics
    assert [(d.code, d.config_path) for d in result] == [("KL403", "training_config.loss")]
    assert 'it was renamed "cosine_similarity", the same function' in result[0].message


def test_a_malformed_training_config_leaves_the_layers_checked():
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        handle.attrs["model_config"] = json.dumps(sequential(dense("a", "sigmod")))
        handle.attrs["training_config"] = "{not json"
    assert found(buffer.getvalue(), "model.h5", "2.15") == [("KL101", "config.layers[0].config.activation")]
    for training in ([1, 2], {"loss": 3, "metrics": {"a": [None, 5]}, "optimizer_config": []}):
        assert found(h5_compiled(sequential(dense("a", "relu")), training), "model.h5", "2.15") == []
