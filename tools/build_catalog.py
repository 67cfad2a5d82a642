"""Regenerate keraslint/catalog/releases.json (activations, identifier families, layer signatures) from PyPI.

    python tools/build_catalog.py [--cache DIR] [--output PATH]

Every final release of ``keras`` (1.0.0 and newer), ``tf-keras`` and ``keras-core`` (0.1.0 and
newer) is downloaded (cached by sha256), and the tf.keras bundled in TensorFlow 1.4-2.5 is read
from the newest patch release of each minor (only the needed members of the wheel are fetched,
with HTTP range requests; TensorFlow 1.4-1.9 keep it under ``python/keras/_impl/keras/``).
The source is read statically with ``ast``; nothing is imported or executed. The output is
deterministic: rerunning on the same PyPI data gives a byte-identical file.

Lookup mechanics modelled per era:
- Keras 1: ``activations.get(str)`` (and ``initializations``, ``objectives``, ``metrics``,
  ``optimizers``, ``regularizers``, ``constraints``) is ``get_from_module(str, globals())``:
  the module's globals, as written.
- Keras 2 (standalone and tf.keras): ``activations.get(str)`` looks the name up in the module's
  globals (``deserialize_keras_object(module_objects=globals())``); from the releases whose
  ``deserialize`` also merges the activation *layer* modules, layer class names such as
  ``"LeakyReLU"`` resolve too (instantiated with no arguments).
- Keras 3 and keras-core: an explicit table ``ALL_OBJECTS_DICT`` keyed by each function's
  ``__name__`` plus aliases assigned into it (``swish``, ``hard_swish``).
Callable globals that are not activations (``get``, ``serialize``, imported helpers) are
recorded as quirks: Keras finds them, then fails in odd ways, so keraslint treats them as errors.
"""
from __future__ import annotations

import argparse
import ast
import io
import json
import re
import sys
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from packaging.version import Version

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pypi_archives  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "keraslint" / "catalog" / "releases.json"
MINIMUM_VERSIONS = {"keras": Version("1.0.0"), "tf-keras": Version("0"), "keras-core": Version("0.1.0")}
PACKAGES = {"keras": "keras", "tf-keras": "tf_keras", "keras-core": "keras_core", "tensorflow": "keras"}
# The TensorFlow minors that bundle tf.keras (1.4 is the first with ``tf.keras``; 2.6 on depend on keras).
TENSORFLOW_MINORS = [f"1.{m}" for m in range(4, 16)] + [f"2.{m}" for m in range(6)]
NOT_ACTIVATIONS = {"get", "serialize", "deserialize"}
ACTIVATION_MODULES = [
    "{pkg}/src/activations/__init__.py",
    "{pkg}/src/activations.py",
    "{pkg}/activations.py",
    "tensorflow/python/keras/activations.py",
]
LAYER_PACKAGES = [
    "{pkg}/src/layers/activations/",
    "{pkg}/src/layers/activation/",
    "{pkg}/layers/activation/",
    "{pkg}/layers/advanced_activations.py",
    "tensorflow/python/keras/layers/advanced_activations.py",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "keraslint-build")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()

    entries = []
    for distribution in ("keras", "tf-keras", "keras-core"):
        for version, record in sorted(pypi_archives.release_files(distribution).items()):
            if version < MINIMUM_VERSIONS[distribution]:
                continue
            print(f"reading {distribution} {version}", file=sys.stderr)
            archive = pypi_archives.fetch(record, args.cache)
            sources = pypi_archives.python_sources(archive, record["filename"])
            entries.append(describe_release(distribution, str(version), sources))
    entries.extend(tensorflow_entries())
    resolve_delegations(entries)
    api = render_api(entries)  # apart: read only when a file names something of keras.layers & co.
    text = render(entries)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    args.output.with_name(API_FILE).write_text(api, encoding="utf-8")
    print(f"wrote {len(entries)} releases to {args.output} and {API_FILE}", file=sys.stderr)


API_FILE = "api.json"


def render_api(entries: list[dict]) -> str:
    """The public names of each release's modules (taken out of the entries): each distinct name
    list once, releases mapping module -> list index (null: not known)."""
    lists: list = []
    index: dict[str, int] = {}
    releases = {}
    for entry in entries:
        releases[f"{entry['distribution']} {entry['version']}"] = {
            module: None if names is None else _interned(names, lists, index) for module, names in entry.pop("api").items()
        }
    document = {
        "generated_by": "python tools/build_catalog.py",
        "note": "GENERATED FILE - do not edit. Public names of keras.<module> per release (null: not known).",
        "lists": lists,
        "releases": releases,
    }
    return json.dumps(document, indent=0, sort_keys=True) + "\n"


SHARED_FIELDS = ("families", "functions", "layers", "positional_activation", "quirks", "strings")


def _interned(value, table: list, index: dict[str, int]) -> int:
    """The position of ``value`` in ``table``, appended the first time it is seen."""
    key = json.dumps(value, sort_keys=True)
    if key not in index:
        index[key] = len(table)
        table.append(value)
    return index[key]


def render(entries: list[dict]) -> str:
    """The catalog file: each distinct table once (most patch releases share them), releases
    referring to tables by index, so that it loads fast on every run."""
    tables: dict[str, list] = {field: [] for field in SHARED_FIELDS}
    index: dict[str, dict[str, int]] = {field: {} for field in SHARED_FIELDS}
    releases = []
    for entry in entries:
        release = dict(entry)
        for field in SHARED_FIELDS:
            release[field] = _interned(entry[field], tables[field], index[field])
        releases.append(release)
    document = {
        "generated_by": "python tools/build_catalog.py",
        "note": "GENERATED FILE - do not edit; hand-kept facts live in overrides.json. Releases refer to tables by index.",
        "tables": tables,
        "releases": releases,
    }
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


def tensorflow_entries() -> list[dict]:
    """Describe the tf.keras inside the newest patch of each TensorFlow minor that bundles one."""
    index = {}
    for distribution in ("tensorflow-cpu", "tensorflow"):
        with urllib.request.urlopen(pypi_archives.PYPI_JSON.format(name=distribution), timeout=120) as r:
            index[distribution] = json.load(r)["releases"]
    entries = []
    for minor in TENSORFLOW_MINORS:
        record = newest_linux_wheel(index, minor)
        print(f"reading tensorflow {minor} from {record['filename']}", file=sys.stderr)
        sources = remote_zip_members(record["url"], needed=_tensorflow_member)
        version = record["filename"].split("-")[1]
        entries.append(describe_release("tensorflow", version, sources))
    return entries


def newest_linux_wheel(index: dict, minor: str) -> dict:
    """The smallest manylinux wheel (``tensorflow-cpu`` or ``tensorflow``) of the newest final patch
    of TensorFlow ``minor``."""
    wheels: dict[Version, list[dict]] = {}
    for distribution in ("tensorflow-cpu", "tensorflow"):
        for raw, files in index[distribution].items():
            version = Version(raw)
            if raw.startswith(minor + ".") and not version.is_prerelease:
                for record in files:
                    if "manylinux" in record["filename"] and "x86_64" in record["filename"] and not record.get("yanked"):
                        record["url"] = urllib.parse.urljoin(pypi_archives.PYPI_JSON.format(name=distribution), record["url"])
                        wheels.setdefault(version, []).append(record)
    if not wheels:
        raise RuntimeError(f"no TensorFlow {minor} wheel found")
    return min(wheels[max(wheels)], key=lambda f: (f["size"], f["filename"]))


def _tensorflow_member(name: str) -> bool:
    """tf.keras's activations, identifier families and layer modules, by path below ``tensorflow/``."""
    inner = name.split("/", 1)[-1]
    family_files = {f"python/keras/{f}.py" for f in FAMILIES} | {f"python/keras/{f}/__init__.py" for f in FAMILIES}
    wanted = inner == "python/keras/activations.py" or inner in family_files or (
        inner.startswith(("python/keras/layers/", "python/keras/initializers/", "python/keras/utils/generic_utils"))
        and name.endswith(".py")
    ) or any(name == t.format(pkg="keras", m=m) for t in API_MODULE_FILES for m in API_MODULES)
    return wanted and "/tests/" not in name and not name.endswith("_test.py")


def tensorflow_path(member: str, private_tree: bool) -> str | None:
    """A wheel member's path below ``tensorflow/`` (``tensorflow-1.4.1.data/purelib/tensorflow/``,
    ``tensorflow_core/`` in TF 1.15-2.1), with TF 1.4-1.9's ``python/keras/_impl/keras/`` read as
    ``python/keras/`` and their public ``python/keras/`` modules as ``python/keras/api/keras/`` (where
    later releases generate the public API); None for members outside ``tensorflow/``."""
    parts = member.split("/")
    start = next((i for i, part in enumerate(parts) if part in ("tensorflow", "tensorflow_core")), None)
    if start is None:
        return None
    inner = "/".join(parts[start + 1:])
    if private_tree and inner.startswith("python/keras/"):
        if inner.startswith("python/keras/_impl/keras/"):
            inner = "python/keras/" + inner[len("python/keras/_impl/keras/"):]
        else:  # TF 1.4-1.9's public tf.keras modules re-export the private tree
            inner = "python/keras/api/keras/" + inner[len("python/keras/"):]
    return "tensorflow/" + inner

class _RangeReader(io.RawIOBase):
    """A seekable file over HTTP range requests, so zipfile reads only the members it needs."""

    def __init__(self, url: str):
        self.url, self.position = url, 0
        request = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(request, timeout=120) as response:
            self.size = int(response.headers["Content-Length"])

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.size}[whence]
        self.position = base + offset
        return self.position

    def readinto(self, buffer) -> int:
        if self.position >= self.size or not len(buffer):
            return 0
        end = min(self.position + len(buffer), self.size) - 1
        request = urllib.request.Request(self.url, headers={"Range": f"bytes={self.position}-{end}"})
        with urllib.request.urlopen(request, timeout=300) as response:
            data = response.read()
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def remote_zip_members(url: str, needed) -> dict[str, str]:
    """Read the members ``needed`` selects from a remote wheel, keyed by ``tensorflow_path``."""
    reader = io.BufferedReader(_RangeReader(url), buffer_size=1 << 20)
    with zipfile.ZipFile(reader) as zf:
        names = zf.namelist()
        private_tree = any("/python/keras/_impl/keras/" in n for n in names)
        paths = {n: tensorflow_path(n, private_tree) for n in names}
        return {path: zf.read(n).decode("utf-8", "replace") for n, path in sorted(paths.items()) if path and needed(path)}


def describe_release(distribution: str, version: str, sources: dict[str, str]) -> dict:
    package = PACKAGES[distribution]
    module_path = next(
        p for p in (t.format(pkg=package) for t in ACTIVATION_MODULES) if p in sources
    )
    module = ast.parse(sources[module_path])
    entry = {"distribution": distribution, "version": version, "source": module_path}
    layers = layer_classes(package, sources)
    entry["layers"] = layers
    entry["positional_activation"] = positional_activations(package, sources)
    entry["families"] = {family: family_table(package, family, sources) for family in FAMILIES}
    entry["api"] = {module_name: public_names(package, module_name, sources) for module_name in API_MODULES}
    if _delegates_to_tensorflow(module):
        entry["delegates_to"] = "tensorflow"
        return entry
    if "ALL_OBJECTS_DICT" in sources[module_path]:
        functions, strings = keras3_table(module, module_path, sources)
        quirks = []
    else:
        functions, strings, quirks = keras2_globals(module)
        if _deserialize_merges_layers(module):
            strings |= set(layers)
    entry["functions"] = functions
    entry["strings"] = sorted(strings)
    entry["quirks"] = sorted(quirks)
    return entry


def _delegates_to_tensorflow(module: ast.Module) -> bool:
    """Keras 2.4.x re-exports tf.keras.activations wholesale."""
    return any(
        isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tensorflow.keras")
        for node in module.body
    )


def _deserialize_merges_layers(module: ast.Module) -> bool:
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name == "deserialize":
            text = ast.dump(node)
            return "advanced_activations" in text or "activation_layers" in text
    return False


def _parameters(function: ast.FunctionDef) -> list[str]:
    args = function.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    return [n for n in names if n not in ("self", "x", "features", "inputs")]


def _is_activation_def(node: ast.FunctionDef) -> bool:
    positional = node.args.posonlyargs + node.args.args
    return bool(positional) and positional[0].arg in ("x", "features") and not node.name.startswith("_")


def keras2_globals(module: ast.Module):
    """Activations and quirks among the callable globals of a Keras 2 activations module."""
    functions, quirks = {}, set()
    for node in module.body:
        if isinstance(node, ast.FunctionDef):
            if node.name in NOT_ACTIVATIONS or not _is_activation_def(node):
                quirks.add(node.name)
            else:
                functions[node.name] = _parameters(node)
        elif isinstance(node, ast.ClassDef):
            quirks.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute):
            # ``leaky_relu = tf.nn.leaky_relu``: a callable global; its keywords are TensorFlow's.
            for target in node.targets:
                if isinstance(target, ast.Name):
                    functions[target.id] = None
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                name = alias.asname or alias.name
                if name[:1].islower() and name not in ("backend", "K", "tf") or name[:1].isupper() and name != "K":
                    quirks.add(name)
    quirks -= set(functions)
    return functions, set(functions), quirks


def keras3_table(module: ast.Module, module_path: str, sources: dict[str, str]):
    """Names in ALL_OBJECTS_DICT: each listed function's ``__name__`` plus assigned aliases."""
    definitions = {}
    for node in module.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith(".activations"):
            origin = node.module.replace(".", "/") + ".py"
            tree = ast.parse(sources[origin])
            defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
            for alias in node.names:
                if alias.name in defs:
                    definitions[alias.asname or alias.name] = defs[alias.name]
    listed, aliases = set(), {}
    for node in module.body:
        if isinstance(node, ast.Assign):
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == "ALL_OBJECTS" and isinstance(node.value, (ast.Set, ast.List, ast.Tuple)):
                listed = {e.id for e in node.value.elts if isinstance(e, ast.Name)}
            elif (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "ALL_OBJECTS_DICT"
                and isinstance(target.slice, ast.Constant)
                and isinstance(node.value, ast.Name)
            ):
                aliases[target.slice.value] = node.value.id
    functions = {definitions[n].name: _parameters(definitions[n]) for n in listed}
    for alias, target in aliases.items():
        functions.setdefault(alias, functions.get(definitions[target].name if target in definitions else target))
    return functions, set(functions)


def layer_classes(package: str, sources: dict[str, str]) -> dict[str, list[str] | dict]:
    """Activation layer classes with their constructor keywords (and deprecated ones)."""
    paths = []
    for template in LAYER_PACKAGES:
        prefix = template.format(pkg=package)
        paths += sorted(p for p in sources if p == prefix or (prefix.endswith("/") and p.startswith(prefix)))
        if paths:
            break
    classes = {}
    for path in paths:
        if "/tests/" in path or path.endswith("_test.py"):
            continue
        for node in ast.parse(sources[path]).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                init = next((b for b in node.body if isinstance(b, ast.FunctionDef) and b.name == "__init__"), None)
                if init is None:
                    continue
                deprecated = sorted({
                    c.left.value for c in ast.walk(init)
                    if isinstance(c, ast.Compare) and isinstance(c.left, ast.Constant)
                    and isinstance(c.left.value, str) and any(isinstance(op, ast.In) for op in c.ops)
                })
                classes[node.name] = {"keywords": _parameters(init), "deprecated": deprecated}
    return classes


FAMILIES = ("initializers", "regularizers", "constraints", "losses", "metrics", "optimizers")
FAMILY_MODULES = ("{pkg}/src/{f}/__init__.py", "{pkg}/src/{f}.py", "{pkg}/{f}/__init__.py", "{pkg}/{f}.py",
                  "tensorflow/python/keras/{f}/__init__.py", "tensorflow/python/keras/{f}.py")
# Keras 1 names two of the family modules differently (Keras 2.0-2.2 keep ``objectives`` as an alias).
KERAS1_FAMILY_MODULES = {"initializers": "initializations", "losses": "objectives"}
NOT_IDENTIFIERS = {"get", "serialize", "deserialize"}
HELPER_MODULES = ("utils", "util", "framework", "backend", "export", "saving", "engine", "dtensor", "platform",
                  "doc_controls", "dispatch", "__future__")


def snake_case(name: str, keras3: bool) -> str:
    """``to_snake_case`` as the release defines it: Keras 2's ``generic_utils`` splits before a
    capital followed by lowercase letters or digits (``L1L2`` -> ``l1_l2``), Keras 3's ``naming``
    only before one followed by lowercase letters (``L1L2`` -> ``l1l2``)."""
    if keras3:
        cleaned = re.sub(r"\W+", "", name)
        snake = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", cleaned)).lower()
    else:
        snake = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)).lower()
    return "private" + snake if snake.startswith("_") else snake


def family_table(package: str, family: str, sources: dict[str, str]) -> dict:
    """Strings ``keras.<family>.get`` accepts in one release, and whether the lookup ignores case.

    The union of what each lookup mechanism found in the module contributes: Keras 2 module
    globals (definitions, aliases, imported names that are not modules); Keras 3 tables
    (``ALL_OBJECTS`` by ``__name__``, snake_case or lowercase, plus literal aliases); Keras 2
    optimizer ``all_classes`` dicts; Keras 2.6+ initializer ``populate_deserializable_objects``
    (classes of the populated modules, their snake_case aliases and literal keys).
    """
    module_names = (family, KERAS1_FAMILY_MODULES.get(family, family))
    path = next((t.format(pkg=package, f=name) for name in module_names for t in FAMILY_MODULES
                 if t.format(pkg=package, f=name) in sources), None)
    if path is None:
        return {"names": [], "case_insensitive": False, "source": None}
    text = sources[path]
    tree = ast.parse(text)
    names: set[str] = set()
    listed: list[str] = []
    for node in _outside_classes(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Set, ast.List, ast.Tuple)):
            if any(isinstance(t, ast.Name) and t.id == "ALL_OBJECTS" for t in node.targets):
                listed = [e.id for e in node.value.elts if isinstance(e, ast.Name)]
        if isinstance(node, ast.Dict) and node.values and all(
            isinstance(v, (ast.Name, ast.Attribute)) for v in node.values
        ):  # lookup tables map names to objects; config dicts do not
            names |= {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
                        and isinstance(target.slice.value, str):
                    names.add(target.slice.value)
    if listed:
        if "cls.__name__:" in text or "__name__: cls" in text or "fn.__name__" in text:
            names |= set(listed)
        if "to_snake_case(cls.__name__)" in text:
            keras3 = "naming import to_snake_case" in text
            names |= {snake_case(n, keras3) for n in listed}
        if "__name__.lower()" in text:
            names |= {n.lower() for n in listed}
    if "globals()" in text:
        names |= _module_globals(tree, path, sources)
    if "populate_dict_with_module_objects" in text:
        for module in _populated_modules(tree, path, sources):
            classes = {n.name for n in ast.parse(sources[module]).body if isinstance(n, ast.ClassDef)}
            names |= classes | {snake_case(c, keras3=False) for c in classes}
    # Keras 2 and 3 lower-case an optimizer name before the lookup; Keras 1's ``get`` looks it up in
    # the module globals as written (only its ``optimizer_from_config`` lower-cases).
    case_insensitive = ".lower()" in text and family == "optimizers" and not _get_reads_globals(tree)
    names = {n for n in names if n and not n.startswith("_") and n not in NOT_IDENTIFIERS}
    table = {"names": sorted(names), "case_insensitive": case_insensitive, "source": path}
    if _get_returns_classes(tree):
        table["returns_classes"] = True
    return table


def _get_returns_classes(tree: ast.Module) -> bool:
    """Keras 3.0's ``get``: ``obj = ALL_OBJECTS_DICT.get(identifier)`` then ``if callable(obj): return
    obj``: a class name (``"MeanSquaredError"``) comes back as the class, not an instance (later
    releases instantiate it: ``if inspect.isclass(obj): obj = obj()``)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "get":
            text = ast.dump(node)
            return "ALL_OBJECTS_DICT" in text and "callable" in text and "isclass" not in text
    return False


def _get_reads_globals(tree: ast.Module) -> bool:
    """Keras 1: ``def get(identifier): return get_from_module(identifier, globals(), ...)``."""
    return any(
        isinstance(node, ast.FunctionDef) and node.name == "get" and "get_from_module" in ast.dump(node)
        for node in tree.body
    )


def _outside_classes(tree: ast.Module):
    """Every node except those inside classes (``get_config`` dicts) and ``get``/``serialize``."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.ClassDef) or (isinstance(node, ast.FunctionDef) and node.name in ("get", "serialize")):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _module_file(dotted: str, sources: dict[str, str]) -> str | None:
    base = dotted.replace("._impl.keras", "").replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate in sources:
            return candidate
    return None


def _module_globals(tree: ast.Module, path: str, sources: dict[str, str]) -> set[str]:
    """Module-level callables a ``globals()`` lookup finds: definitions, aliases of them, and imported
    names (``from .accuracy_metrics import Accuracy``, ``from ...ops.init_ops import he_normal``),
    except submodules and helpers imported from utility modules."""
    names = set()
    parts = path.rsplit("/", 1)[0].split("/")
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, (ast.Name, ast.Attribute)):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base_parts = parts[: len(parts) - node.level + 1] if node.level else []
            base = ".".join(base_parts + ([node.module] if node.module else []))
            if any(helper in base for helper in HELPER_MODULES):
                continue
            for alias in node.names:
                if _module_file(f"{base}.{alias.name}", sources) is None:
                    names.add(alias.asname or alias.name)
    return names


def _populated_modules(tree: ast.Module, path: str, sources: dict[str, str]) -> list[str]:
    """Source files of the modules passed to ``populate_dict_with_module_objects``."""
    imported = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imported[alias.asname or alias.name.split(".")[0]] = alias.name
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "populate_dict_with_module_objects":
            for argument in node.args[1:2]:
                for element in getattr(argument, "elts", []):
                    dotted = imported.get(getattr(element, "id", None) or "")
                    found = dotted and _module_file(dotted, sources)
                    if found:
                        modules.append(found)
    return modules


API_MODULES = ("layers", "optimizers", "losses", "metrics", "initializers", "regularizers", "constraints")
# Every file that can be the public ``keras.<module>`` of some release or route (``import keras``,
# ``tf.keras``, Keras 3's ``keras._tf_keras``, the v1/v2 API trees TensorFlow generates).
API_MODULE_FILES = (
    "{pkg}/{m}/__init__.py", "{pkg}/{m}.py", "{pkg}/api/{m}/__init__.py",
    "{pkg}/api/keras/{m}/__init__.py", "{pkg}/api/_v1/keras/{m}/__init__.py", "{pkg}/api/_v2/keras/{m}/__init__.py",
    "{pkg}/_tf_keras/keras/{m}/__init__.py", "{pkg}/api/_tf_keras/keras/{m}/__init__.py",
    "tensorflow/python/keras/api/keras/{m}/__init__.py", "tensorflow/python/keras/api/_v1/keras/{m}/__init__.py",
    "tensorflow/python/keras/api/_v2/keras/{m}/__init__.py", "tensorflow/_api/v1/keras/{m}/__init__.py",
    "tensorflow/_api/v2/keras/{m}/__init__.py", "tensorflow/keras/{m}/__init__.py",
)


def public_names(package: str, module: str, sources: dict[str, str]) -> list[str] | None:
    """Public names ``keras.<module>`` binds in a release, over every file that can be that module
    (a name any route has counts: the rule only flags names no route of the target has), plus its
    submodules. None when a binding cannot be followed (a star import of a module the release does
    not ship, a module ``__getattr__``): the release is then not judged."""
    paths = [t.format(pkg=package, m=module) for t in API_MODULE_FILES]
    found = [p for p in dict.fromkeys(paths) if p in sources]
    if not found:
        return None
    names: set[str] = set()
    for path in found:
        bound = _bindings(path, sources, set())
        if bound is None:
            return None
        names |= bound
        if path.endswith("/__init__.py"):
            directory = path[: -len("__init__.py")]
            names |= {p[len(directory):].split("/")[0].removesuffix(".py") for p in sources if p.startswith(directory)}
    return sorted(n for n in names if not n.startswith("_"))


def _bindings(path: str, sources: dict[str, str], seen: set[str], exported: bool = False) -> set[str] | None:
    """Names module ``path`` binds at module level (its ``__all__`` when ``exported``, as ``import *``
    takes them), following star imports; None when one cannot be followed."""
    if path in seen:
        return set()
    seen.add(path)
    try:
        tree = ast.parse(sources[path])
    except SyntaxError:
        return None
    package = path.rsplit("/", 1)[0].split("/")
    names: set[str] = set()
    listed = None
    statements = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            statements += [s for part in ("body", "orelse", "finalbody", "handlers") for s in getattr(node, part, [])]
        elif isinstance(node, ast.ExceptHandler):
            statements += node.body
        elif isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join((package[: len(package) - node.level + 1] if node.level else []) + ([node.module] if node.module else []))
            for alias in node.names:
                if alias.name != "*":
                    names.add(alias.asname or alias.name)
                    continue
                target = _module_file(base, sources)
                inner = _bindings(target, sources, seen, exported=True) if target else None
                if inner is None:
                    return None
                names |= inner
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if node.name == "__getattr__":
                return None
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    names.add(target.id)
                    if target.id == "__all__" and isinstance(node.value, (ast.List, ast.Tuple)):
                        listed = {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    if exported:
        return listed if listed is not None else {n for n in names if not n.startswith("_")}
    return names


LAYER_ROOTS = ("{pkg}/layers/", "{pkg}/src/layers/", "tensorflow/python/keras/layers/")


def positional_activations(package: str, sources: dict[str, str]) -> dict[str, int]:
    """Layer classes whose ``activation`` can be passed positionally, with its index (after self).

    Keras 2.0-2.2 wrap many constructors in ``legacy.interfaces`` decorators that accept only
    the first positional arguments (``Dense(64, "relu")`` raises TypeError there): those limits
    are honoured, so such layers are absent. A class name defined with different indices in
    different modules is left out.
    """
    limits = _legacy_positional_limits(sources.get(f"{package}/legacy/interfaces.py", ""))
    roots = tuple(root.format(pkg=package) for root in LAYER_ROOTS)
    found: dict[str, set[int]] = {}
    for path in sorted(sources):
        if not path.startswith(roots) or "/tests/" in path or path.endswith("_test.py"):
            continue
        try:
            tree = ast.parse(sources[path])
        except SyntaxError:
            continue
        for node in tree.body:
            if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
                continue
            init = next((b for b in node.body if isinstance(b, ast.FunctionDef) and b.name == "__init__"), None)
            if init is None:
                continue
            positional = [a.arg for a in init.args.posonlyargs + init.args.args][1:]
            if "activation" not in positional:
                continue
            index = positional.index("activation")
            limit = min(
                (limits[d.attr] for d in init.decorator_list if isinstance(d, ast.Attribute) and d.attr in limits),
                default=len(positional),
            )
            if index < limit:
                found.setdefault(node.name, set()).add(index)
    return {name: indices.pop() for name, indices in sorted(found.items()) if len(indices) == 1}


def _legacy_positional_limits(text: str) -> dict[str, int]:
    """``legacy_dense_support = generate_legacy_interface(allowed_positional_args=["units"])`` -> 1."""
    if not text:
        return {}
    limits = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.targets[0], ast.Name):
            for keyword in node.value.keywords:
                if keyword.arg == "allowed_positional_args" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                    limits[node.targets[0].id] = len(keyword.value.elts)
    return limits


def resolve_delegations(entries: list[dict]) -> None:
    """Keras 2.4.x runs on the tf.keras of its minimum TensorFlow (2.2): copy that table."""
    tensorflow = {e["version"][:3]: e for e in entries if e["distribution"] == "tensorflow"}
    for entry in entries:
        if entry.pop("delegates_to", None):
            base = tensorflow["2.2"]
            entry.update({k: base[k] for k in ("functions", "strings", "quirks", "positional_activation", "families")})
            entry["api"] = {m: names if names is not None else base["api"][m] for m, names in entry["api"].items()}
            entry["via"] = f"tensorflow {base['version']}"


if __name__ == "__main__":
    main()
