"""The fast path: decide cheaply that a file has no finding, so libcst never sees it.

1. Text needles: a file that never says ``keras`` and an activation-related word has no finding.
2. The screen: CPython's ``ast`` (about ten times faster than libcst) with the same resolver
   and the same rule functions as the full path, over the same sites. A file with no finding
   here has none on the full path; a file with one goes to the libcst checker, which attaches
   exact positions and fixes. Files that fail to parse go there too (it reports the error).
"""
from __future__ import annotations

import ast
import functools
import warnings

from keraslint.catalog import load as load_catalog
from keraslint.resolve import (
    ACTIVATION_KEYWORDS, CallRole, ModuleIndex, Resolver, dotted_name, is_activations_attribute, keras_path,
)
from keraslint.rules import Context
from keraslint.rules.activations import check_literal
from keraslint.rules.api import check_attribute, check_keywords


@functools.lru_cache(maxsize=1)
def layer_names() -> frozenset[str]:
    """Activation layer classes of any release."""
    return frozenset().union(*(r.layers for r in load_catalog().releases))


@functools.lru_cache(maxsize=1)
def needles() -> tuple[str, ...]:
    """Words every file with a possible finding contains besides ``keras``."""
    return ("ctivation", *sorted(layer_names()))


def may_have_findings(text: str) -> bool:
    return "keras" in text and any(word in text for word in needles())


def parse(text: str) -> ast.Module | tuple[int, int, str]:
    """CPython's parse, or (line, column, message) for text it rejects.

    CPython rejects deep nesting and NUL bytes cleanly, so libcst only sees what it accepts.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except SyntaxError as error:
        return error.lineno or 1, error.offset or 1, error.msg
    except (ValueError, MemoryError, RecursionError) as error:
        return 1, 1, str(error) or type(error).__name__


def provably_clean(text: str, context_for) -> bool:
    """True when the full path would report nothing for ``text``."""
    tree = parse(text)
    if isinstance(tree, tuple):
        return False
    try:
        index = ModuleIndex(tree)
        resolver = Resolver(index)
        return not screen(index, resolver, context_for(resolver.imports_tf_keras))
    except RecursionError:
        return False


def _literal(node: ast.AST) -> tuple[bool, object]:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bool, int, float)):
        return True, node.value
    return False, None


def _flags(node: ast.AST, context: Context) -> bool:
    is_literal, value = _literal(node)
    return is_literal and check_literal(None, value, context) is not None


def screen(index: ModuleIndex, resolver: Resolver, context: Context) -> bool:
    """Whether any rule finds something; mirrors ``keraslint.checker._SiteVisitor``."""
    names = layer_names()
    for node in index.calls:
        path = resolver.keras(dotted_name(node.func))
        if path is None:
            continue
        role = CallRole(path, names)
        if any(k.arg in ACTIVATION_KEYWORDS and _flags(k.value, context) for k in node.keywords):
            return True
        positional = [a for a in node.args if not isinstance(a, ast.Starred)]
        if positional and role.positional_activation and _flags(positional[0], context):
            return True
        if role.keyword_owner:
            owner, is_layer = role.keyword_owner
            if check_keywords(owner, is_layer, [(k.arg, None) for k in node.keywords if k.arg], context):
                return True
    for node in index.attributes:
        if is_activations_attribute(resolver.keras(dotted_name(node))) and check_attribute(None, node.attr, context):
            return True
    for node in index.import_froms:
        if node.level == 0 and keras_path(node.module) == "activations":
            if any(a.name != "*" and check_attribute(None, a.name, context) for a in node.names):
                return True
    return False
