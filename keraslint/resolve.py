"""Which names in a module refer to Keras: resolved from its import statements, never by importing.

Policy (documented in the README):
- A callee counts as Keras when its dotted name, after replacing the first component by what
  the module's imports bind it to, starts with a Keras root (``KERAS_ROOTS``).
- Imports anywhere in the file count (module level, inside functions, in ``try``/``except``).
- ``x = tf.keras`` style aliases to a Keras path count when the name is bound once.
- A name that the module also defines (``def``, ``class``, assignment, parameter, loop or
  ``with``/``except`` target) is ambiguous and never counts as Keras.
- ``from <keras module> import *`` makes otherwise unbound names resolve into that module.
- Layers of ``keras_hub``, ``keras_cv`` and ``keras_nlp`` count as Keras layers.
- Re-exports through the project's own modules count: ``from .layers import Dense`` where
  ``layers.py`` imports ``Dense`` from Keras (``project.py`` reads the imported modules on demand).
- Project shims count: ``from pkg.backend import keras``, ``import pkg.keras2 as keras`` and
  module paths with a ``keras`` component (``pkg.backend.keras.layers``) are taken as Keras.

The bindings are collected in one walk over CPython's ``ast`` (``ModuleIndex``), which also
collects the calls, attributes and imports the rules look at.
"""
from __future__ import annotations

import ast
import functools
import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

KERAS_ROOTS = (
    "keras",
    "tf_keras",
    "keras_core",
    "tensorflow.keras",
    "tensorflow.python.keras",
    "tensorflow.compat.v1.keras",
    "tensorflow.compat.v2.keras",
)
# Modules above a Keras root (``tensorflow`` holds ``tensorflow.keras``).
ROOT_PARENTS = frozenset(root.rsplit(".", i)[0] for root in KERAS_ROOTS for i in range(1, root.count(".") + 1))
# The roots under which ``<root>.layers`` is the public ``keras.layers`` of a release (not
# ``tensorflow.python.keras``, a private tree, nor a project's shim).
PUBLIC_KERAS_ROOTS = ("keras", "tf_keras", "keras_core", "tensorflow.keras", "tensorflow.compat.v1.keras",
                      "tensorflow.compat.v2.keras")
# Libraries whose layers hand ``activation=`` straight to ``keras.activations.get``.
KERAS_LAYER_LIBRARIES = ("keras_hub.layers", "keras_cv.layers", "keras_nlp.layers")
# Their task models (``keras_hub.models.ImageClassifier.from_preset(..., activation=...)``) pass
# ``activation=`` to a Keras Dense head.
KERAS_MODEL_LIBRARIES = ("keras_hub.models", "keras_cv.models", "keras_nlp.models")
ACTIVATION_KEYWORDS = frozenset({"activation", "recurrent_activation"})
ACTIVATION_GETTERS = frozenset({"activations.get", "activations.deserialize"})


def keras_path(qualified: str | None) -> str | None:
    """``tensorflow.keras.layers.Dense`` -> ``layers.Dense``; None when not under a Keras root.

    A project's own Keras shim counts too: a ``keras`` component deeper in a module path
    (``keras_cv.src.backend.keras.layers``) is taken as the root.
    """
    if not qualified:
        return None
    for root in KERAS_ROOTS:
        if qualified == root:
            return ""
        if qualified.startswith(root + "."):
            return qualified[len(root) + 1:]
    for library in KERAS_LAYER_LIBRARIES:
        if qualified.startswith(library + "."):
            return "layers." + qualified[len(library) + 1:]
    for library in KERAS_MODEL_LIBRARIES:
        if qualified.startswith(library + "."):
            return "models." + qualified[len(library) + 1:]
    parts = qualified.split(".")
    if "keras" in parts[1:]:
        return ".".join(parts[parts.index("keras", 1) + 1:])
    return None


ROOTS = ("keras", "tf.keras", "tf_keras", "keras_core")


def import_root(qualified: str) -> str:
    """Which Keras a qualified name belongs to, for choosing its target: ``tf_keras``,
    ``keras_core``, ``tf.keras`` (anything under ``tensorflow``) or ``keras`` (the standalone
    package, and libraries and shims built on it)."""
    head = qualified.partition(".")[0]
    if head in ("tf_keras", "keras_core"):
        return head
    return "tf.keras" if head == "tensorflow" else "keras"


def public_keras_path(qualified: str | None) -> str | None:
    """``tensorflow.keras.optimizers.AdamW`` -> ``optimizers.AdamW``, under a public Keras root only."""
    for root in PUBLIC_KERAS_ROOTS:
        if qualified and qualified.startswith(root + "."):
            return qualified[len(root) + 1:]
    return None


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of Name/Attribute nodes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


LOCAL_PREFIX = "<parameter>"  # marks a Name that refers to a function's parameter (never a module binding)


def _parameters_of(node: ast.AST, outer: frozenset) -> frozenset | None:
    """The parameter names in effect in the body of a function or lambda, else None."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return None
    arguments = node.args
    every = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
    every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    return outer | {a.arg for a in every}


# Handlers that make a ``try`` body compatibility code: a missing import or attribute is expected.
GUARDING_EXCEPTIONS = frozenset({"ImportError", "ModuleNotFoundError", "AttributeError", "Exception", "BaseException"})
# Singleton nodes (Load, Store, Add, ...) that never hold anything a rule looks at.
_LEAF_TOKENS = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


class ModuleIndex:
    """One walk over a module: what names are bound to, and the nodes rules look at."""

    def __init__(self, tree: ast.AST):
        self.imported: dict[str, set[str]] = defaultdict(set)
        self.defined: set[str] = set()
        self.aliases: list[tuple[str, str]] = []
        self.star_modules: list[str] = []
        self.calls: list[ast.Call] = []
        self.attributes: list[ast.Attribute] = []
        self.import_froms: list[ast.ImportFrom] = []
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.classes: list[ast.ClassDef] = []
        self.string_constants: dict[str, ast.Constant] = {}  # NAME = "literal"
        self.subscript_assigns: list[ast.Assign] = []
        self.lambdas: set[str] = set()  # NAME = lambda ...
        self.binding_counts: dict[str, int] = defaultdict(int)  # how often each name is bound
        self.names: dict[str, list[ast.Name]] = defaultdict(list)  # every Name node, by identifier
        self.parameters: set[str] = set()  # names some function takes as a parameter
        self.guarding_tries: list[ast.Try] = []  # try: ... except ImportError/AttributeError: ...
        self.version_checks: list[ast.If] = []  # if tf.__version__ >= ...: (compatibility code)
        handlers: dict[type, Callable[[Any], object]] = {
            ast.Try: self._try,
            ast.If: self._if,
            ast.Call: self.calls.append,
            ast.Attribute: self.attributes.append,
            ast.Import: self._import,
            ast.ImportFrom: self._import_from,
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.ClassDef: self._class,
            ast.arg: self._parameter,
            ast.Assign: self._assign,
            ast.AnnAssign: lambda node: self._define_all(node.target),
            ast.AugAssign: lambda node: self._define_all(node.target),
            ast.For: lambda node: self._define_all(node.target),
            ast.AsyncFor: lambda node: self._define_all(node.target),
            ast.withitem: self._with_item,
            ast.ExceptHandler: self._except_handler,
        }
        names = self.names
        shadowed: list[ast.Name] = []  # uses of a name inside a function that has it as a parameter
        stack: list[tuple[ast.AST, frozenset]] = [(tree, frozenset())]
        while stack:  # a pre-order walk in source order, cheaper than ast.walk's generators
            node, parameters = stack.pop()
            kind = type(node)
            if isinstance(node, ast.Name):
                names[node.id].append(node)
                if node.id in parameters:
                    shadowed.append(node)
                continue
            handler = handlers.get(kind)
            if handler is not None:
                handler(node)
            inner = _parameters_of(node, parameters)
            children: list[tuple[ast.AST, frozenset]] = []
            for field in node._fields:
                value = getattr(node, field, None)
                scope = inner if field == "body" and inner is not None else parameters
                if isinstance(value, list):
                    children.extend((item, scope) for item in value if isinstance(item, ast.AST))
                elif isinstance(value, ast.AST) and not isinstance(value, _LEAF_TOKENS):
                    children.append((value, scope))
            stack.extend(reversed(children))
        # A parameter is local to its function: its uses there do not refer to the module's
        # binding of that name (``def __init__(self, layers)`` leaves ``from keras import layers``
        # Keras everywhere else). They are marked, never resolved.
        for node in shadowed:
            node.id = LOCAL_PREFIX + node.id

    def _try(self, node: ast.Try) -> None:
        """Remember ``try`` blocks whose handlers catch a missing name (compatibility code)."""
        for handler in node.handlers:
            caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            if any(c is None or dotted_name(c) in GUARDING_EXCEPTIONS for c in caught):
                self.guarding_tries.append(node)
                return

    def _if(self, node: ast.If) -> None:
        """Remember ``if`` blocks that test a version (``version.parse(tf.__version__) >= ...``)."""
        for part in ast.walk(node.test):
            word = part.id if isinstance(part, ast.Name) else part.attr if isinstance(part, ast.Attribute) else ""
            if "version" in word.lower():
                self.version_checks.append(node)
                return

    def _with_item(self, node: ast.withitem) -> None:
        if node.optional_vars is not None:
            self._define_all(node.optional_vars)

    def _except_handler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._define(node.name)

    def _define(self, name: str) -> None:
        self.defined.add(name)
        self.binding_counts[name] += 1

    def _parameter(self, node: ast.arg) -> None:
        """A parameter binds a name in its function only (see the end of ``__init__``)."""
        self.binding_counts[node.arg] += 1
        self.parameters.add(node.arg)

    def _import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.binding_counts[alias.asname or alias.name.partition(".")[0]] += 1
            if alias.asname:
                # ``import project.backend.keras2 as keras``: a Keras shim by its name.
                self.imported[alias.asname].add("keras" if alias.asname == "keras" else alias.name)
            else:
                top = alias.name.partition(".")[0]
                self.imported[top].add(top)

    def _import_from(self, node: ast.ImportFrom) -> None:
        self.import_froms.append(node)
        base = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.star_modules.append(base)
            else:
                separator = "." if node.module else ""
                self.imported[alias.asname or alias.name].add(f"{base}{separator}{alias.name}")
                self.binding_counts[alias.asname or alias.name] += 1

    def _function(self, node) -> None:
        self.functions.append(node)
        self._define(node.name)

    def _class(self, node: ast.ClassDef) -> None:
        self.classes.append(node)
        self._define(node.name)

    def _assign(self, node: ast.Assign) -> None:
        source = dotted_name(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name) and source is not None and len(node.targets) == 1:
                self.aliases.append((target.id, source))
                self.binding_counts[target.id] += 1
            else:
                self._define_all(target)
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                self.string_constants[target.id] = node.value
            elif isinstance(target, ast.Name) and isinstance(node.value, ast.Lambda):
                self.lambdas.add(target.id)
            elif isinstance(target, ast.Subscript):
                self.subscript_assigns.append(node)

    def _define_all(self, target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self._define(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._define_all(element)
        elif isinstance(target, ast.Starred):
            self._define_all(target.value)


def package_of(path: Path | str) -> str | None:
    """Dotted package a file belongs to, from the ``__init__.py`` files above it (None outside one)."""
    return _package_of_directory(os.path.dirname(os.path.abspath(path)))


@functools.lru_cache(maxsize=4096)
def _package_of_directory(directory: str) -> str | None:
    if not os.path.isfile(os.path.join(directory, "__init__.py")):
        return None
    parent_directory, name = os.path.split(directory)
    parent = _package_of_directory(parent_directory) if parent_directory != directory else None
    return f"{parent}.{name}" if parent else name


def module_name(path: Path) -> str:
    package = package_of(path)
    own = [] if path.name == "__init__.py" else [path.stem]
    return ".".join(([package] if package else []) + own)


def absolute_module(base: str, package: str | None) -> str:
    """``..layers`` seen from package ``pkg.sub`` -> ``pkg.layers``; absolute names unchanged."""
    level = len(base) - len(base.lstrip("."))
    if not level:
        return base
    if package is None:
        return base
    parent = package.split(".")
    parent = parent[: len(parent) - (level - 1)] if level > 1 else parent
    rest = base[level:]
    return ".".join(parent + ([rest] if rest else []))


class Resolver:
    """Answers "what does this dotted name refer to?" for one module.

    ``project_exports`` maps project modules to the Keras names they bind (``from .layers
    import Dense`` then resolves through ``layers.py``); ``package`` places relative imports.
    """

    def __init__(self, collector: ModuleIndex, package: str | None = None, project_exports: dict | None = None):
        defined = set(collector.defined)
        bindings: dict[str, str] = {}
        for name, targets in collector.imported.items():
            targets = {_through_project(absolute_module(t, package), project_exports) for t in targets}
            if len(targets) == 1:
                bindings[name] = next(iter(targets))
            elif all(keras_path(t) is not None for t in targets):
                # try: import keras / except ImportError: from tensorflow import keras
                bindings[name] = sorted(targets)[0]
        alias_counts: dict[str, int] = defaultdict(int)
        for name, _ in collector.aliases:
            alias_counts[name] += 1
        for name, source in collector.aliases:
            resolved = self._qualify(source, bindings)
            if resolved is not None and alias_counts[name] == 1 and name not in collector.imported \
                    and keras_path(resolved) is not None:
                bindings[name] = resolved
            else:
                defined.add(name)
        self.bindings = {name: target for name, target in bindings.items() if name not in defined}
        self.ambiguous = defined | set(collector.imported)
        imported = set().union(*collector.imported.values(), collector.star_modules) | set(self.bindings.values())
        self.roots = frozenset(  # ``import tensorflow as tf`` reaches tf.keras too
            import_root(q) for q in imported if q in ROOT_PARENTS or keras_path(q) is not None
        )
        self.in_scope: frozenset[str] | None = None  # the roots whose names ``keras`` resolves (None: every root)
        self.star_modules = [m for m in collector.star_modules if keras_path(m) is not None]
        self.imported_names = frozenset(collector.imported)
        self.uses_keras = bool(self.star_modules) or any(keras_path(t) is not None for t in self.bindings.values())

    @staticmethod
    def _qualify(dotted: str, bindings: dict[str, str]) -> str | None:
        head, _, rest = dotted.partition(".")
        if head not in bindings:
            return None
        return bindings[head] + ("." + rest if rest else "")

    def qualify(self, dotted: str | None) -> str | None:
        """Fully qualified name of a dotted name, or None when unknown."""
        if dotted is None:
            return None
        head = dotted.partition(".")[0]
        if head in self.bindings:
            return self._qualify(dotted, self.bindings)
        if head in self.ambiguous or not self.star_modules or head.startswith(LOCAL_PREFIX):
            return None
        return f"{self.star_modules[0]}.{dotted}"

    def keras(self, dotted: str | None) -> str | None:
        """The path below the Keras root (``layers.Dense``) when ``dotted`` refers to Keras under
        one of the roots in scope."""
        qualified = self.qualify(dotted)
        return keras_path(qualified) if self.scoped(qualified) else None

    def scoped(self, qualified: str | None) -> bool:
        """``qualified`` is under a root in scope: a file that mixes roots (``import keras`` and
        ``tf.keras``) is judged root by root, each against its own target."""
        return self.in_scope is None or qualified is None or import_root(qualified) in self.in_scope

    def exports(self) -> dict[str, str]:
        """The Keras names this module binds, for modules that import them from it."""
        return {name: target for name, target in self.bindings.items() if keras_path(target) is not None}


def _through_project(qualified: str, project_exports: dict | None) -> str:
    """``pkg.layers.Dense`` -> ``keras.layers.Dense`` when project module ``pkg.layers`` re-exports it."""
    if not project_exports:
        return qualified
    module, _, name = qualified.rpartition(".")
    return project_exports.get(module, {}).get(name, qualified)


class CallRole:
    """What a Keras call's arguments mean, from its path below the Keras root."""

    def __init__(self, path: str, layer_names: frozenset[str]):
        self.owner = path.rpartition(".")[2]
        self.layer = self.owner if path.startswith("layers.") else None
        self.positional_activation = self.owner == "Activation" or path in ACTIVATION_GETTERS
        self.keyword_owner: tuple[str, bool] | None = None  # (activation function or layer, is a layer)
        if path.startswith("activations.") and path.count(".") == 1:
            self.keyword_owner = (self.owner, False)
        elif path.startswith("layers.") and self.owner in layer_names:
            self.keyword_owner = (self.owner, True)


class KerasCall(NamedTuple):
    """A call of a Keras name, resolved once: the node, the full dotted name it refers to, its
    path below the Keras root (``layers.Dense``) and what its arguments mean."""

    node: ast.Call
    qualified: str
    path: str
    role: CallRole


def keras_calls(index: ModuleIndex, resolver: Resolver, layer_names: frozenset[str]) -> list[KerasCall]:
    """Every call in the module that refers to Keras under any root, in source order."""
    calls = []
    for call in index.calls:
        qualified = resolver.qualify(dotted_name(call.func))
        path = keras_path(qualified)
        if qualified is not None and path is not None:
            calls.append(KerasCall(call, qualified, path, CallRole(path, layer_names)))
    return calls


def is_activations_attribute(path: str | None) -> bool:
    """``activations.relu`` (an attribute of the activations module)."""
    return path is not None and path.startswith("activations.") and path.count(".") == 1
