"""Which names in a module refer to Keras: resolved from its import statements, never by importing.

Policy (documented in the README):
- A callee counts as Keras when its dotted name, after replacing the first component by what
  the module's imports bind it to, starts with a Keras root (``KERAS_ROOTS``).
- Imports anywhere in the file count (module level, inside functions, in ``try``/``except``).
- ``x = tf.keras`` style aliases to a Keras path count when the name is bound once.
- A name that the module also defines (``def``, ``class``, assignment, parameter) or imports
  from elsewhere is ambiguous and never counts as Keras.
- ``from <keras module> import *`` makes otherwise unbound names resolve into that module.
"""
from __future__ import annotations

from collections import defaultdict

import libcst as cst

KERAS_ROOTS = (
    "keras",
    "tf_keras",
    "keras_core",
    "tensorflow.keras",
    "tensorflow.python.keras",
    "tensorflow.compat.v1.keras",
    "tensorflow.compat.v2.keras",
)


def keras_path(qualified: str | None) -> str | None:
    """``tensorflow.keras.layers.Dense`` -> ``layers.Dense``; None when not under a Keras root."""
    if not qualified:
        return None
    for root in KERAS_ROOTS:
        if qualified == root:
            return ""
        if qualified.startswith(root + "."):
            return qualified[len(root) + 1:]
    return None


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of Name/Attribute nodes, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _module_name(node: cst.BaseExpression | None) -> str:
    return dotted_name(node) if node is not None else ""


class _BindingCollector(cst.CSTVisitor):
    """Collect what each name may be bound to by imports, aliases and local definitions."""

    def __init__(self) -> None:
        self.imported: dict[str, set[str]] = defaultdict(set)
        self.defined: set[str] = set()
        self.aliases: list[tuple[str, str]] = []
        self.star_modules: list[str] = []

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            full = _module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.imported[alias.asname.name.value].add(full)
            else:
                top = full.split(".")[0]
                self.imported[top].add(top)
        return False  # aliases below are not definitions

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative:
            base = "." * len(node.relative) + _module_name(node.module)
        else:
            base = _module_name(node.module)
        if isinstance(node.names, cst.ImportStar):
            self.star_modules.append(base)
            return False
        for alias in node.names:
            name = _module_name(alias.name)
            bound = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
            self.imported[bound].add(f"{base}.{name}")
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.defined.add(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.defined.add(node.name.value)

    def visit_Param(self, node: cst.Param) -> None:
        self.defined.add(node.name.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        source = dotted_name(node.value)
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                if source is not None and len(node.targets) == 1:
                    self.aliases.append((target.target.value, source))
                else:
                    self.defined.add(target.target.value)
            else:
                self._define_all(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._define_all(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._define_all(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._define_all(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        # ``with ... as x`` and ``except ... as x``; import aliases never reach here.
        if isinstance(node.name, cst.Name):
            self.defined.add(node.name.value)

    def _define_all(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.defined.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._define_all(element.value)


class Resolver:
    """Answers "what does this dotted name refer to?" for one module."""

    def __init__(self, module: cst.Module):
        collector = _BindingCollector()
        module.visit(collector)
        defined = set(collector.defined)
        bindings: dict[str, str] = {}
        for name, targets in collector.imported.items():
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
            if alias_counts[name] == 1 and name not in collector.imported and keras_path(resolved) is not None:
                bindings[name] = resolved
            else:
                defined.add(name)
        self.bindings = {name: target for name, target in bindings.items() if name not in defined}
        self.ambiguous = defined | set(collector.imported)
        self.imports_tf_keras = any(
            q == "tf_keras" or q.startswith("tf_keras.")
            for q in set().union(*collector.imported.values(), collector.star_modules)
        )
        self.star_modules = [m for m in collector.star_modules if keras_path(m) is not None]

    @staticmethod
    def _qualify(dotted: str, bindings: dict[str, str]) -> str | None:
        head, _, rest = dotted.partition(".")
        if head not in bindings:
            return None
        return bindings[head] + ("." + rest if rest else "")

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """Fully qualified name of a Name/Attribute chain, or None when unknown."""
        dotted = dotted_name(node)
        if dotted is None:
            return None
        head = dotted.partition(".")[0]
        if head in self.bindings:
            return self._qualify(dotted, self.bindings)
        if head in self.ambiguous or not self.star_modules:
            return None
        return f"{self.star_modules[0]}.{dotted}"

    def keras(self, node: cst.BaseExpression) -> str | None:
        """The path below the Keras root (``layers.Dense``) when ``node`` refers to Keras."""
        return keras_path(self.qualify(node))

