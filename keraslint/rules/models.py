"""Saved models and configs (``.keras``, ``.h5``, JSON): what loading them will need."""
from __future__ import annotations

from keraslint.rules import FILE, MODEL_FILE, Invalid, Rule, register

UNREADABLE_MODEL = register(Rule(
    code="KL004",
    name="unreadable-model-file",
    summary="Model file or config could not be read",
    site=FILE,
    explanation='''
## What it does
Reports a `.keras`, `.h5`/`.hdf5` or JSON model file whose configuration could not be read: a
corrupt or truncated archive, a config larger than 16 MiB or with more than 1,000,000 values
(zip bombs are not decompressed), malformed JSON, an HDF5 file without `model_config` (weights
only) or one that crashes or hangs libhdf5 (read in a child process), or `h5py` missing (install
`keraslint[h5]`). Its activations were not checked.
''',
))

CUSTOM_OBJECT = register(Rule(
    code="KL501",
    name="saved-custom-activation",
    summary="Saved model names a custom activation, loss, metric or optimizer that loading must provide",
    site=MODEL_FILE,
    silenceable=True,
    level="warning",
    explanation='''
## What it does
Lists activations in a saved model's configuration that are not Keras built-ins of the target
(`"custom_activation"`, `"Addons>mish"`, registered `"package>name"` objects, Keras 3's plain
functions named by their `config`), initializer, regularizer and constraint classes of saved
layers (`kernel_initializer`, ...), and the loss, metrics, weighted metrics and optimizer of a
compiled model (Keras 2's `training_config` HDF5 attribute, Keras 3's `compile_config` in
`config.json`; a `MeanMetricWrapper` stands for the function it wraps) that are not built-ins,
with the config path where each occurs and the `custom_objects` key loading needs, spelled as
saved; it says whether the scanned project registers it. Saved built-in names the loading Keras
lacks are KL401-KL403 with the config path (`"AdamW"` saved by Keras 3, loaded by Keras 2.12).

## Why is this bad?
`load_model` raises `Unknown activation function` (or `Unknown loss function`, `Unknown metric
function`, `Unknown optimizer`) unless the loading code passes the object in `custom_objects=`
or registers it before loading.

## Example
`model.keras:config.layers[1].config.activation: KL501 Custom activation "custom_activation" ...`

## Fix
Pass `custom_objects={"custom_activation": custom_activation}` to `load_model`, or decorate the
function with `@keras.saving.register_keras_serializable()` in a module the loader imports.
''',
    options={"file": "model.json"},
    valid=('{"class_name": "Dense", "config": {"activation": "relu"}}',),
    invalid=(
        Invalid('{"class_name": "Dense", "config": {"activation": "custom_activation"}}'),
        Invalid('{"class_name": "Dense", "config": {"activation": {"module": "builtins", "class_name": "function", "config": "scaled_tanh", "registered_name": "MyPackage>scaled_tanh"}}}'),
    ),
))

NEWER_SAVE = register(Rule(
    code="KL502",
    name="model-saved-by-newer-keras",
    summary="Model saved by a newer major Keras than the target",
    site=MODEL_FILE,
    silenceable=True,
    explanation='''
## What it does
Reports a model whose metadata says it was saved by a newer major version of Keras (for example
Keras 3) than the release it will be loaded with (for example Keras 2.15), and names the
config paths that will fail.

## Why is this bad?
Keras 2 cannot read the Keras 3 format, and identifiers added later are unknown to it.

## Fix
Load with the Keras that saved the model, or re-export the model in a format the target reads.
''',
    options={"file": "model.json", "keras-version": "2.15"},
    valid=('{"class_name": "Dense", "config": {"activation": "relu"}, "keras_version": "2.15.0"}',),
    invalid=(
        Invalid('{"class_name": "Dense", "config": {"activation": "relu"}, "keras_version": "3.1.0"}'),
    ),
))
