"""The cheap first look: skip files that cannot produce a finding, and parse the rest safely.

A file that never says ``keras`` and an activation-related word (``activation``,
``Activation``, ``activations``, an activation layer class name, or a layer class that takes
its activation positionally, such as ``Dense``) has no finding: every site the rules look at
contains one of these words. Tests check that skipping gives exactly the
findings of parsing every file.
"""
from __future__ import annotations

import ast
import functools
import re
import warnings

from keraslint.catalog import load as load_catalog


@functools.lru_cache(maxsize=1)
def layer_names() -> frozenset[str]:
    """Activation layer classes of any release."""
    return frozenset().union(*(r.layers for r in load_catalog().releases))


FAMILY_MODULES = ("initializers", "regularizers", "constraints", "losses", "metrics", "optimizers")
# A string literal passed to a ``*_initializer``/``*_regularizer``/``*_constraint`` keyword.
IDENTIFIER_KEYWORD = re.compile(r"_(?:initializer|regularizer|constraint)\s*=\s*[rRuUbBfF]{0,2}[\"']")
COMPILE_CALL = re.compile(r"\.\s*compile\s*\(")
GET_CALL = re.compile(r"\.\s*get\s*\(")


@functools.lru_cache(maxsize=1)
def needles() -> tuple[str, ...]:
    """Activation words: a file with any of them may have an activation finding."""
    return ("ctivation", *sorted(layer_names()))


def may_have_identifier_findings(text: str) -> bool:
    """A layer keyword given a literal, a ``.compile(`` call, or a family module and a ``.get(``."""
    return (
        COMPILE_CALL.search(text) is not None or IDENTIFIER_KEYWORD.search(text) is not None
        or (any(module in text for module in FAMILY_MODULES) and GET_CALL.search(text) is not None)
    )


@functools.lru_cache(maxsize=1)
def positional_calls() -> tuple[tuple[str, ...], re.Pattern]:
    """Layers taking ``activation`` positionally, and a pattern for a call passing something there."""
    names = sorted(set().union(*(r.positional_activation for r in load_catalog().releases)) - layer_names())
    alternatives = "|".join(sorted(names, key=len, reverse=True))
    pattern = re.compile(
        rf"\b(?:{alternatives})\s*\((?:[^()=]|\([^()]*\))*?,\s*(?:[rRuUbBfF]{{0,2}}[\"']|[A-Za-z_][\w.]*\s*[,)])"
    )
    return tuple(names), pattern


@functools.lru_cache(maxsize=64)
def _importing(modules: tuple[str, ...]) -> re.Pattern | None:
    if not modules:
        return None
    alternatives = "|".join(re.escape(m) for m in modules)
    return re.compile(rf"^[ \t]*from[ \t]+[\w.]*\b(?:{alternatives})\b[\w.]*[ \t]+import\b", re.MULTILINE)


def may_have_findings(text: str, reexporting_modules: tuple[str, ...] = ()) -> bool:
    """False when no rule can find anything in ``text`` (see the module docstring)."""
    importing = _importing(reexporting_modules)
    if "keras" not in text and not (importing and importing.search(text)):
        return False
    if any(word in text for word in needles()) or may_have_identifier_findings(text):
        return True
    names, pattern = positional_calls()
    return any(name in text for name in names) and pattern.search(text) is not None


def parse(text: str) -> ast.Module | tuple[int, int, str]:
    """CPython's parse, or (line, column, message) for text it rejects (never raises)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except SyntaxError as error:
        return error.lineno or 1, error.offset or 1, error.msg
    except (ValueError, MemoryError, RecursionError) as error:
        return 1, 1, str(error) or type(error).__name__
