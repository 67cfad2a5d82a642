"""Saved models and configs: ``.keras`` zips, legacy ``.h5``/``.hdf5`` files and JSON configs.

A model file is data from a stranger: only the JSON configuration is read. Nothing is
unpickled, no Lambda layer is deserialized, no weights are loaded, at most ``MAX_CONFIG_BYTES``
are decompressed and at most ``MAX_CONFIG_NODES`` values of a config are visited. Files are
opened by path (a 1 GB checkpoint is not read into memory). HDF5 is read by libhdf5 in a child
process with a time limit: a damaged checkpoint that crashes or hangs libhdf5 costs that one file
a KL004, never the run.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from keraslint.diagnostics import Diagnostic, Position
from keraslint.rules import Context
from keraslint.rules.activations import UNKNOWN, check_literal
from keraslint.rules.identifiers import (
    FAMILY_WORDS,
    UNKNOWN_IDENTIFIER,
    check_identifier,
    identifier_accepted,
    keyword_family,
)
from keraslint.rules.models import CUSTOM_OBJECT, NEWER_SAVE, UNREADABLE_MODEL

MAX_CONFIG_BYTES = 16 * 1024 * 1024  # the largest real configs are a few MB
MAX_CONFIG_NODES = 1_000_000  # values visited in one config (a 16 MB flat list holds 8 million)
HDF5_SECONDS = 30  # for the child process that reads an HDF5 file's attributes
ACTIVATION_KEYS = ("activation", "recurrent_activation")
TOP = Position(1, 1)


class ModelError(Exception):
    """The file is not a readable model or config."""


@dataclass(frozen=True)
class SavedModel:
    config: object
    keras_version: str | None
    backend: str | None
    training: tuple[str, object] | None = None  # ("training_config" or "compile_config", its value)


def read_model(source: bytes | str, name: str) -> SavedModel:
    """The model in ``source``: its bytes, or (better for large files) its path."""
    if name.endswith(".keras"):
        return _read_keras_zip(source)
    if name.endswith((".h5", ".hdf5")):
        return _read_hdf5(source)
    if isinstance(source, str):
        source = _read_capped(source)
    if len(source) > MAX_CONFIG_BYTES:
        raise ModelError(f"JSON config is larger than {MAX_CONFIG_BYTES} bytes; not read")
    config = _json(source, "JSON config")
    # ``model.to_json()`` records the saving Keras beside the config.
    about = config if isinstance(config, dict) else {}
    return SavedModel(config, _text(about.get("keras_version")), _text(about.get("backend")))


def _read_capped(path: str) -> bytes:
    from keraslint.sources import SourceError, read_bytes

    try:
        return read_bytes(path, MAX_CONFIG_BYTES)
    except SourceError as error:
        raise ModelError(error.message) from None
    except OSError as error:
        raise ModelError(f"Cannot read file: {error.strerror or error}") from None


def _json(data: bytes, what: str):
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ModelError(f"Malformed {what}: {error}") from None


def _read_keras_zip(source: bytes | str) -> SavedModel:
    try:
        with zipfile.ZipFile(source if isinstance(source, str) else io.BytesIO(source)) as archive:
            config = _json(_read_member(archive, "config.json"), "config.json")
            metadata = {}
            if "metadata.json" in archive.namelist():
                metadata = _json(_read_member(archive, "metadata.json"), "metadata.json")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, ValueError,
            RuntimeError) as error:  # RuntimeError: an encrypted member
        raise ModelError(f"Corrupt .keras archive: {error}") from None
    metadata = metadata if isinstance(metadata, dict) else {}
    compiled = config.get("compile_config") if isinstance(config, dict) else None
    return SavedModel(config, _text(metadata.get("keras_version")), _text(metadata.get("backend")),
                      ("compile_config", compiled) if compiled is not None else None)


def _read_member(archive: zipfile.ZipFile, member: str) -> bytes:
    """Read one member, refusing to decompress more than MAX_CONFIG_BYTES (zip bombs)."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise ModelError(f"Not a Keras model archive: no {member}") from None
    if info.file_size > MAX_CONFIG_BYTES:
        raise ModelError(f"{member} declares {info.file_size} bytes; refusing more than {MAX_CONFIG_BYTES}")
    with archive.open(info) as handle:
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ModelError(f"{member} is larger than {MAX_CONFIG_BYTES} bytes; not read")
    return data


# Run in a child process (isolated: no working directory on sys.path): prints the attributes.
_HDF5_READER = """
import json, sys
import h5py
with h5py.File(sys.argv[1], "r") as handle:
    attributes = {}
    for key in ("model_config", "training_config", "keras_version", "backend"):
        if key in handle.attrs:
            value = handle.attrs[key]
            if isinstance(value, bytes):
                value = value.decode("utf-8", "surrogateescape")
            elif not isinstance(value, str):
                value = value.tobytes().decode("utf-8", "surrogateescape") if hasattr(value, "tobytes") else None
            attributes[key] = value
sys.stdout.write(json.dumps(attributes))
"""


def _read_hdf5(source: bytes | str) -> SavedModel:
    try:
        import h5py  # noqa: F401  (only whether it is installed; the child reads the file)
    except ImportError:
        raise ModelError("Reading .h5 models needs h5py: pip install 'keraslint[h5]'") from None
    if isinstance(source, bytes):
        with tempfile.TemporaryDirectory(prefix="keraslint-") as directory:
            path = os.path.join(directory, "model.h5")
            with open(path, "wb") as handle:
                handle.write(source)
            return _read_hdf5(path)
    try:
        child = subprocess.run([sys.executable, "-I", "-c", _HDF5_READER, os.path.abspath(source)],
                               capture_output=True, timeout=HDF5_SECONDS, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ModelError(f"Damaged HDF5 file: libhdf5 did not finish reading it in {HDF5_SECONDS} s") from None
    if child.returncode < 0:
        raise ModelError(f"Damaged HDF5 file: libhdf5 crashed reading it (signal {-child.returncode})")
    if child.returncode != 0:
        last = (child.stderr.decode("utf-8", "replace").strip().splitlines() or ["unknown error"])[-1]
        raise ModelError(f"Corrupt or truncated HDF5 file: {last[:300]}")
    try:
        attributes = json.loads(child.stdout)
    except ValueError:
        raise ModelError("Corrupt or truncated HDF5 file: unreadable attributes") from None
    raw = attributes.get("model_config")
    if raw is None:
        raise ModelError("HDF5 file has no model_config attribute (weights only?)")
    config = _json(raw.encode("utf-8", "surrogateescape"), "model_config")
    training = attributes.get("training_config")
    if training is not None:
        try:
            training = ("training_config", _json(training.encode("utf-8", "surrogateescape"), "training_config"))
        except ModelError:  # the layers are still checked; only the compile settings are not
            training = None
    return SavedModel(config, _text(attributes.get("keras_version")), _text(attributes.get("backend")), training)


def _text(value) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def looks_like_config(config) -> bool:
    return isinstance(config, dict) and "class_name" in config and "config" in config


def layer_sites(config):
    """(config path, kind, serialized value) for every activation (kind ``"activation"``) and
    initializer, regularizer and constraint (kind: the family, from the key: ``kernel_initializer``)
    in nested layer configs.

    Visited lazily (a path string is built only for a site) and at most ``MAX_CONFIG_NODES``
    values: ModelError beyond that.
    """
    stack = [iter([("", config)])]
    paths = [""]
    visited = 0
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            paths.pop()
            continue
        key, node = step
        visited += 1
        if visited > MAX_CONFIG_NODES:
            raise ModelError(f"Config has more than {MAX_CONFIG_NODES} values; not checked")
        where = _join(paths[-1], key)
        if isinstance(node, dict):
            layer = node.get("config") if "class_name" in node else None
            if isinstance(layer, dict):
                prefix = f"{where}.config" if where else "config"
                for name, value in layer.items():
                    kind = "activation" if name in ACTIVATION_KEYS else keyword_family(name)
                    if kind is not None and value is not None:
                        yield f"{prefix}.{name}", kind, value
            stack.append(iter(node.items()))
            paths.append(where)
        elif isinstance(node, list):
            stack.append(enumerate(node))
            paths.append(where)


# Where a compiled model's identifiers are saved: Keras 2's ``training_config`` (an HDF5 root
# attribute) and Keras 3's ``compile_config`` (in config.json).
TRAINING_FAMILIES = {"loss": "losses", "metrics": "metrics", "weighted_metrics": "metrics",
                     "optimizer": "optimizers", "optimizer_config": "optimizers"}


def training_sites(training: tuple[str, object]):
    """(config path, family, serialized identifier) for the loss, metrics and optimizer a compiled
    model saved: strings or serialized objects, per output in lists and dicts; a metric wrapper
    (``MeanMetricWrapper``) stands for the function it wraps."""
    root, config = training
    if not isinstance(config, dict):
        return
    visited = 0
    for key, family in TRAINING_FAMILIES.items():
        stack = [(f"{root}.{key}", config.get(key))]
        while stack:
            where, value = stack.pop()
            visited += 1
            if visited > MAX_CONFIG_NODES:
                raise ModelError(f"training configuration has more than {MAX_CONFIG_NODES} values; not checked")
            if isinstance(value, list):
                stack += [(f"{where}[{i}]", v) for i, v in reversed(list(enumerate(value)))]
            elif isinstance(value, dict) and "class_name" not in value:
                stack += [(_join(where, k), v) for k, v in reversed(list(value.items()))]
            elif isinstance(value, dict) and value.get("class_name") == "MeanMetricWrapper":
                inner = value.get("config")
                if isinstance(inner, dict) and isinstance(inner.get("fn"), (str, dict)):
                    stack.append((f"{where}.config.fn", inner["fn"]))
            elif isinstance(value, (str, dict)):
                yield where, family, value


def _join(parent: str, key) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def serialized_name(value) -> tuple[str | None, bool]:
    """(identifier, is_builtin_form) of a serialized activation: Keras 2 strings or Keras 3 dicts."""
    if isinstance(value, str):
        return value, True
    if isinstance(value, dict):
        inner = value.get("config")
        registered = value.get("registered_name")
        module = value["module"] if isinstance(value.get("module"), str) else ""
        if value.get("class_name") == "function" and registered in (None, "function") and isinstance(inner, str) \
                and not module.startswith("keras"):
            return inner, False  # Keras 3's plain function: {"class_name": "function", "config": "scaled_tanh"}
        if isinstance(registered, str) and (not module.startswith("keras") or ">" in registered):
            return registered, False
        if isinstance(inner, str):
            return inner, module.startswith("keras")
        if isinstance(value.get("class_name"), str):
            return value["class_name"], False
    return None, False


def check_model(source: bytes | str, shown: str, context: Context) -> list[Diagnostic]:
    """Diagnostics of a saved model, given its bytes or its path."""
    try:
        model = read_model(source, shown)
        config = model.config
        if not looks_like_config(config):
            raise ModelError("Not a Keras model or layer config (no class_name/config)")
        return _model_diagnostics(model, shown, context)
    except ModelError as error:
        return [Diagnostic(UNREADABLE_MODEL.code, str(error), shown, TOP, TOP)]


def _model_diagnostics(model: SavedModel, shown: str, context: Context) -> list[Diagnostic]:
    config = model.config
    saved = f"saved by Keras {model.keras_version}" if model.keras_version else "saving version unknown"
    if model.backend:
        saved += f", backend {model.backend}"
    diagnostics = []
    for where, kind, value in layer_sites(config):
        if kind != "activation":
            diagnostics += _identifier_diagnostics(where, kind, value, saved, shown, context)
            continue
        name, builtin = serialized_name(value)
        if name is None:
            continue
        if not builtin and name not in context.target.strings:
            diagnostics.append(_custom_object(name, where, shown, context))
            continue
        finding = check_literal(None, name, context)
        if finding is not None and finding.rule is UNKNOWN and (">" in name or "did you mean" not in finding.message):
            # A name no Keras release knows and that is no near miss of one, saved in a model, is a
            # custom function the saving code registered (Keras 2 saves it as a plain string:
            # "custom_activation", "Addons>mish"); a near miss ("sigmod") stays a typo (KL101).
            diagnostics.append(_custom_object(name, where, shown, context))
            continue
        if finding is not None:
            message = f"{finding.message} ({saved})"
            diagnostics.append(Diagnostic(finding.rule.code, message, shown, TOP, TOP, config_path=where))
    if model.training is not None:
        diagnostics += _training_diagnostics(model.training, saved, shown, context)
    diagnostics += _newer_major(model, shown, context, diagnostics)
    return diagnostics


def _training_diagnostics(training: tuple[str, object], saved: str, shown: str, context: Context) -> list[Diagnostic]:
    """The saved loss, metrics and optimizer, judged like the source strings: a built-in name the
    loading Keras lacks (KL4xx), or a custom object ``custom_objects`` must hold (KL501)."""
    diagnostics = []
    for where, family, value in training_sites(training):
        diagnostics += _identifier_diagnostics(where, family, value, saved, shown, context)
    return diagnostics


def _identifier_diagnostics(where: str, family: str, value, saved: str, shown: str, context: Context) -> list[Diagnostic]:
    """One saved initializer, regularizer, constraint, loss, metric or optimizer."""
    name, builtin = serialized_name(value)
    if name is None:
        return []
    name = name.removeprefix("Custom>")  # register_keras_serializable's default package
    word = FAMILY_WORDS[family]
    if not builtin and not identifier_accepted(family, name, context) and not context.catalog.accepting_identifier(family, name):
        return [_custom_object(name, where, shown, context, word)]
    finding = check_identifier(None, family, name, context)
    if finding is not None and finding.rule is UNKNOWN_IDENTIFIER and "did you mean" not in finding.message:
        return [_custom_object(name, where, shown, context, word)]  # the saving code's own
    if finding is not None:
        return [Diagnostic(finding.rule.code, f"{finding.message} ({saved})", shown, TOP, TOP, config_path=where)]
    return []


def _custom_object(name: str, where: str, shown: str, context: Context, kind: str = "activation") -> Diagnostic:
    if name in context.extra_activations:
        hint = "the scanned project registers it, so loading code that imports that module works"
    else:
        hint = f"pass custom_objects={{{name!r}: {'fn' if kind in ('activation', 'loss', 'metric') else 'cls'}}} " \
               "to load_model or register it"
    message = f'Custom {kind} "{name}" is not a Keras built-in: {hint}'
    return Diagnostic(CUSTOM_OBJECT.code, message, shown, TOP, TOP, config_path=where)


def _newer_major(model: SavedModel, shown: str, context: Context, found: list[Diagnostic]) -> list[Diagnostic]:
    try:
        saved = Version(model.keras_version or "")
    except InvalidVersion:
        return []
    oldest = min(r.version for r in context.target.releases)
    if saved.major <= oldest.major:
        return []
    failing = sorted({d.config_path for d in found if d.config_path})
    detail = f"; will fail at: {', '.join(failing[:5])}" if failing else "; the config format itself differs"
    message = f"Model saved by Keras {saved} cannot be loaded by {context.target.describe()}{detail}"
    return [Diagnostic(NEWER_SAVE.code, message, shown, TOP, TOP)]
