"""Saved models and configs: ``.keras`` zips, legacy ``.h5``/``.hdf5`` files and JSON configs.

A model file is data from a stranger: only the JSON configuration is read. Nothing is
unpickled, no Lambda layer is deserialized, no weights are loaded, and at most
``MAX_CONFIG_BYTES`` are decompressed.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from keraslint.diagnostics import Diagnostic, Position
from keraslint.rules import Context
from keraslint.rules.activations import check_literal
from keraslint.rules.models import CUSTOM_OBJECT, NEWER_SAVE, UNREADABLE_MODEL

MAX_CONFIG_BYTES = 64 * 1024 * 1024
ACTIVATION_KEYS = ("activation", "recurrent_activation")
TOP = Position(1, 1)


class ModelError(Exception):
    """The file is not a readable model or config."""


@dataclass(frozen=True)
class SavedModel:
    config: object
    keras_version: str | None
    backend: str | None


def read_model(data: bytes, name: str) -> SavedModel:
    if name.endswith(".keras"):
        return _read_keras_zip(data)
    if name.endswith((".h5", ".hdf5")):
        return _read_hdf5(data)
    return SavedModel(_json(data, "JSON config"), None, None)


def _json(data: bytes, what: str):
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ModelError(f"Malformed {what}: {error}") from None


def _read_keras_zip(data: bytes) -> SavedModel:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            config = _json(_read_member(archive, "config.json"), "config.json")
            metadata = {}
            if "metadata.json" in archive.namelist():
                metadata = _json(_read_member(archive, "metadata.json"), "metadata.json")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as error:
        raise ModelError(f"Corrupt .keras archive: {error}") from None
    metadata = metadata if isinstance(metadata, dict) else {}
    return SavedModel(config, _text(metadata.get("keras_version")), _text(metadata.get("backend")))


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


def _read_hdf5(data: bytes) -> SavedModel:
    try:
        import h5py
    except ImportError:
        raise ModelError("Reading .h5 models needs h5py: pip install 'keraslint[h5]'") from None
    try:
        with h5py.File(io.BytesIO(data), "r") as handle:
            attributes = dict(handle.attrs)
    except (OSError, ValueError, KeyError) as error:
        raise ModelError(f"Corrupt or truncated HDF5 file: {error}") from None
    raw = attributes.get("model_config")
    if raw is None:
        raise ModelError("HDF5 file has no model_config attribute (weights only?)")
    config = _json(_attribute_bytes(raw), "model_config")
    return SavedModel(config, _text(attributes.get("keras_version")), _text(attributes.get("backend")))


def _attribute_bytes(raw) -> bytes:
    """An HDF5 attribute as bytes: h5py gives str, bytes or numpy scalars depending on the writer."""
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    if hasattr(raw, "tobytes"):
        return raw.tobytes()
    raise ModelError(f"model_config attribute is not text ({type(raw).__name__})")


def _text(value) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def looks_like_config(config) -> bool:
    return isinstance(config, dict) and "class_name" in config and "config" in config


def activation_sites(config, path: str = ""):
    """(config path, serialized activation) for every activation in nested layer configs."""
    stack = [(config, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            layer = node.get("config") if "class_name" in node else None
            if isinstance(layer, dict):
                prefix = f"{where}.config" if where else "config"
                for key in ACTIVATION_KEYS:
                    if key in layer:
                        yield f"{prefix}.{key}", layer[key]
            for key, value in reversed(list(node.items())):
                stack.append((value, f"{where}.{key}" if where else str(key)))
        elif isinstance(node, list):
            for index, value in reversed(list(enumerate(node))):
                stack.append((value, f"{where}[{index}]"))


def serialized_name(value) -> tuple[str | None, bool]:
    """(identifier, is_builtin_form) of a serialized activation: Keras 2 strings or Keras 3 dicts."""
    if isinstance(value, str):
        return value, True
    if isinstance(value, dict):
        inner = value.get("config")
        registered = value.get("registered_name")
        module = value.get("module") or ""
        if isinstance(registered, str) and (not module.startswith("keras") or ">" in registered):
            return registered, False
        if isinstance(inner, str):
            return inner, module.startswith("keras")
        if isinstance(value.get("class_name"), str):
            return value["class_name"], False
    return None, False


def check_model(data: bytes, shown: str, context: Context) -> list[Diagnostic]:
    try:
        model = read_model(data, shown)
    except ModelError as error:
        return [Diagnostic(UNREADABLE_MODEL.code, str(error), shown, TOP, TOP)]
    config = model.config
    if not looks_like_config(config):
        return [Diagnostic(UNREADABLE_MODEL.code, "Not a Keras model or layer config (no class_name/config)", shown, TOP, TOP)]
    saved = f"saved by Keras {model.keras_version}" if model.keras_version else "saving version unknown"
    if model.backend:
        saved += f", backend {model.backend}"
    diagnostics = []
    for where, value in activation_sites(config):
        name, builtin = serialized_name(value)
        if name is None:
            continue
        if not builtin and name not in context.target.strings:
            diagnostics.append(_custom_object(name, where, shown, context))
            continue
        finding = check_literal(None, name, context)
        if finding is not None:
            message = f"{finding.message} ({saved})"
            diagnostics.append(Diagnostic(finding.rule.code, message, shown, TOP, TOP, config_path=where))
    diagnostics += _newer_major(model, shown, context, diagnostics)
    return diagnostics


def _custom_object(name: str, where: str, shown: str, context: Context) -> Diagnostic:
    if name in context.extra_activations:
        hint = "the scanned project registers it, so loading code that imports that module works"
    else:
        hint = f"pass custom_objects={{{name!r}: fn}} to load_model or register the function"
    message = f'Custom activation "{name}" is not a Keras built-in: {hint}'
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
