"""The generated catalog across every era, and version specifiers."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import codes
from keraslint.catalog import DATA_DIR, TargetError, load

CATALOG = load()


def strings(spec, distribution="keras"):
    (release,) = CATALOG.target(spec, "test", distribution).releases
    return release.strings


BASE_KERAS2 = {"elu", "hard_sigmoid", "linear", "relu", "sigmoid", "softmax", "softplus", "softsign", "tanh"}


@pytest.mark.parametrize("spec,present,absent", [
    ("2.0.0", BASE_KERAS2, {"selu", "exponential", "swish", "gelu", "ReLU"}),
    ("2.2.4", BASE_KERAS2 | {"selu", "exponential"}, {"swish", "gelu", "ReLU", "leaky_relu"}),
    ("2.3", BASE_KERAS2 | {"selu", "exponential"}, {"swish", "gelu", "get", "serialize"}),
    ("2.4", BASE_KERAS2 | {"swish"}, {"gelu", "leaky_relu"}),
    ("2.6", BASE_KERAS2 | {"swish", "gelu", "leaky_relu", "relu6", "silu", "log_softmax", "ReLU", "LeakyReLU"}, {"mish", "hard_swish"}),
    ("2.13", {"mish", "gelu", "ReLU", "ThresholdedReLU"}, {"hard_swish", "hard_silu"}),
    ("2.15", {"mish", "gelu", "swish", "Softmax"}, {"hard_swish"}),
    ("3.0.0", {"relu6", "silu", "swish", "gelu", "mish", "log_softmax"}, {"hard_swish", "hard_silu", "ReLU", "LeakyReLU"}),
    ("3.6", {"hard_swish", "hard_silu", "swish", "silu"}, {"ReLU", "sparsemax", "celu"}),
    ("3.15", {"hard_swish", "celu", "glu", "sparsemax", "squareplus", "threshold"}, {"ReLU", "get"}),
])
def test_accepted_strings_per_era(spec, present, absent):
    accepted = strings(spec)
    assert present <= accepted
    assert not (absent & accepted)


def test_tf_keras_is_keras2_with_layer_names():
    accepted = strings("2.15", "tf-keras")
    assert {"ReLU", "LeakyReLU", "gelu", "mish"} <= accepted
    assert "hard_swish" not in accepted


@pytest.mark.parametrize("spec,name,accepted", [
    ("2.1", "swish", False), ("2.2", "swish", True), ("2.3", "gelu", False), ("2.4", "gelu", True),
    ("2.4", "ReLU", False), ("2.5", "ReLU", True),
])
def test_tensorflow_bundled_tf_keras(spec, name, accepted):
    assert (name in strings(spec, "tensorflow")) is accepted


def test_quirks_are_recorded_not_accepted():
    (release,) = CATALOG.target("2.3", "test").releases
    assert {"get", "serialize", "deserialize"} <= release.quirks
    assert not (release.quirks & release.strings)


def test_keyword_parameters():
    (keras2,) = CATALOG.target("2.15", "test").releases
    (keras3,) = CATALOG.target("3.6", "test").releases
    assert "alpha" in keras2.functions["relu"] and "negative_slope" in keras3.functions["relu"]
    assert keras3.layers["LeakyReLU"] == {"keywords": ["negative_slope"], "deprecated": ["alpha"]}
    assert keras2.layers["LeakyReLU"]["keywords"] == ["alpha"]


def test_version_specifiers():
    assert [str(r.version) for r in CATALOG.target("2.3", "t").releases] == ["2.3.1"]
    assert [str(r.version) for r in CATALOG.target("3.6.0", "t").releases] == ["3.6.0"]
    ranged = CATALOG.target(">=2.12,<3", "t").releases
    assert [str(r.version) for r in ranged] == ["2.12.0", "2.13.1", "2.14.0", "2.15.0"]
    nearest = CATALOG.target("2.5", "t")  # there is no standalone Keras 2.5 release: the one before it
    assert [str(r.version) for r in nearest.releases] == ["2.4.3"] and "nearest release, Keras 2.4.3" in nearest.notice
    assert [str(r.version) for r in CATALOG.target("3.0.0rc1", "t").releases] == ["3.0.0"]  # a pre-release: its final
    assert [str(r.version) for r in CATALOG.target("<1.0", "t").releases] == ["1.0.0"]  # older than the catalog: the oldest
    assert [str(r.version) for r in CATALOG.target("1.2", "t").releases] == ["1.2.2"]
    with pytest.raises(TargetError):
        CATALOG.target("banana", "t")


def test_timeline_compacts_runs():
    assert CATALOG.timeline(CATALOG.accepting("hard_swish")) == "Keras 3.0.1..3.15.1"
    gaps = CATALOG.timeline(CATALOG.accepting("ReLU"))
    assert gaps.startswith("Keras 2.6.0..2.15.0; tf-keras")


def test_catalog_data_is_sorted_and_headed():
    document = json.loads((DATA_DIR / "releases.json").read_text())
    assert document["generated_by"] == "python tools/build_catalog.py"
    for strings in document["tables"]["strings"]:
        assert strings == sorted(strings)
    for entry in document["releases"]:  # every table a release refers to exists
        assert all(0 <= entry[field] < len(document["tables"][field]) for field in document["tables"])
    api = json.loads((DATA_DIR / "api.json").read_text())
    assert api["generated_by"] == "python tools/build_catalog.py"
    assert sorted(api["releases"]) == sorted(f"{e['distribution']} {e['version']}" for e in document["releases"])
    for modules in api["releases"].values():
        assert all(n is None or 0 <= n < len(api["lists"]) for n in modules.values())
    assert all(names == sorted(names) for names in api["lists"])


@given(st.sampled_from(sorted(CATALOG.all_strings)), st.sampled_from([r for r in CATALOG.releases]))
def test_a_release_pinned_is_that_release(name, release):
    """Pinning a release's own version selects that release (TensorFlow: the minor it samples),
    and a string is rejected exactly when that release's table lacks it."""
    target = CATALOG.target(str(release.version), "t", release.distribution)
    assert target.releases == (release,)
    assert target.rejecting(name) == ([] if name in release.strings else [release])


@given(st.sampled_from(sorted(CATALOG.all_strings)),
       st.lists(st.sampled_from([r.version for r in CATALOG.of("keras")]), min_size=2, max_size=2, unique=True))
def test_a_range_accepts_what_every_release_in_it_accepts(name, bounds):
    """The releases between the bounds, picked here by version, decide: accepted by all of them,
    or rejected by exactly those that lack it."""
    low, high = sorted(bounds)
    target = CATALOG.target(f">={low},<={high}", "t")
    inside = [r for r in CATALOG.of("keras") if low <= r.version <= high]
    assert list(target.releases) == inside
    assert target.rejecting(name) == [r for r in inside if name not in r.strings]
    assert (name in target.strings) == all(name in r.strings for r in inside)


def test_positional_activation_indices_per_era():
    (legacy,) = CATALOG.target("2.2.4", "t").releases
    (keras2,) = CATALOG.target("2.15", "t").releases
    (keras3,) = CATALOG.target("3.6", "t").releases
    assert "Dense" not in legacy.positional_activation  # legacy interface: only ``units`` positional
    assert keras2.positional_activation["Dense"] == keras3.positional_activation["Dense"] == 1
    assert keras3.positional_activation["Conv2D"] == 7
    assert CATALOG.target(">=2.12,<3", "t").positional_index("Dense") == 1


@pytest.mark.parametrize("family,name,spec,accepted", [
    ("optimizers", "adamw", "2.13", False), ("optimizers", "adamw", "3.0", True),
    ("optimizers", "ADAM", "2.0.0", True), ("optimizers", "Adam", "3.6", True),  # case-insensitive lookup
    ("losses", "dice", "3.1", False), ("losses", "dice", "3.2", True),
    ("losses", "huber", "2.3", False), ("losses", "huber", "2.6", True),
    ("metrics", "auc", "2.15", False), ("metrics", "auc", "3.0", True), ("metrics", "AUC", "2.15", True),
    ("constraints", "nonneg", "2.15", True), ("constraints", "nonneg", "3.0", False),
    ("initializers", "he_normal", "2.0.0", True), ("initializers", "he_normal", "2.2", True),
    ("initializers", "variance_scaling", "2.3", False), ("initializers", "variance_scaling", "3.0", True),
    ("regularizers", "l1l2", "2.15", False), ("regularizers", "l1l2", "3.0", True),
])
def test_identifier_families_per_era(family, name, spec, accepted):
    distribution = "tensorflow" if spec == "2.2" else "keras"
    target = CATALOG.target(spec, "t", distribution)
    names = target.family_names(family)
    found = name.lower() in {n.lower() for n in names} if target.family_ignores_case(family) else name in names
    assert found is accepted


def test_regularizer_snake_case_follows_each_era():
    """Keras 3's to_snake_case leaves "L1L2" as "l1l2" and its get() knows no "l1_l2"; Keras 2 has
    the function l1_l2 and no "l1l2" (an earlier catalog gave Keras 3 both spellings)."""
    for release in CATALOG.releases:
        names = release.families["regularizers"].names
        if release.distribution == "keras-core" or release.distribution == "keras" and release.version.major != 2:
            assert "l1l2" in names and "l1_l2" not in names, release.label  # Keras 1: a function l1l2
        elif release.families["regularizers"].names:
            assert "l1_l2" in names and "l1l2" not in names, release.label


@pytest.mark.parametrize("version, accepted", [("2.3", False), ("2.4", False), ("2.6", True), ("2.15", True), ("3.0", True), ("3.15", True)])
def test_compile_metric_strings_ignore_case_from_keras_2_6(version, accepted):
    source = 'import keras\nm = keras.Sequential()\nm.compile(loss="mse", metrics=["ACCURACY", "Acc", "CE"])\n'
    assert (codes(source, version) == []) == accepted


def test_a_name_the_target_dropped_is_removed_not_needed():
    """Keras 1.2's "fmeasure" metric: raising the minimum version would not bring it back."""
    keras215 = CATALOG.target("2.15", "t")
    dropped = CATALOG.accepting_identifier("metrics", "fmeasure")
    assert CATALOG.needs(dropped, keras215) == "it was removed after Keras 1.2.2 (in Keras 1.1.2..1.2.2)"
    added = CATALOG.accepting_identifier("optimizers", "adamw")
    assert CATALOG.needs(added, keras215).startswith("it needs Keras 3.0.0..")
    assert CATALOG.removed_after(dropped, CATALOG.target("1.1.2", "t")) is None


def test_keras1_lookups_are_module_globals_as_written():
    (keras122,) = CATALOG.target("1.2.2", "t").releases
    assert not keras122.families["optimizers"].case_insensitive  # get_from_module, no .lower()
    assert {"Adam", "adam", "rmsprop"} <= keras122.families["optimizers"].names
    assert {"glorot_uniform", "orthogonal", "zero"} <= keras122.families["initializers"].names
    assert "selu" not in keras122.strings and "elu" in keras122.strings
    (keras100,) = CATALOG.target("1.0.0", "t").releases
    assert not keras100.families["metrics"].names  # metrics.py had no get(): only accuracy/acc worked
    assert keras122.positional_activation["Dense"] == 2  # Dense(output_dim, init, activation)


@pytest.mark.parametrize("module, name, timeline", [
    ("layers", "ReLU", "Keras 2.2.0..3.15.1"),  # `from keras.layers import ReLU` fails on Keras 2.1.5
    ("optimizers", "AdamW", "Keras 2.12.0..3.15.1"),  # TF 2.10/2.11 had only optimizers.experimental.AdamW
    ("layers", "experimental", "Keras 2.4.0..2.15.0"),  # gone in Keras 3
    ("layers", "CuDNNLSTM", "Keras 2.0.9..2.15.0;"),  # 2.6-2.15 through the v1 API (tf.compat.v1.keras)
])
def test_public_api_names_per_release(module, name, timeline):
    assert CATALOG.timeline(CATALOG.having_api_name(module, name)).startswith(timeline)


def test_public_api_of_keras_1_has_no_initializers_module():
    (keras122,) = CATALOG.target("1.2.2", "t").releases
    assert keras122.public_names("initializers") is None and "Dense" in keras122.public_names("layers")
