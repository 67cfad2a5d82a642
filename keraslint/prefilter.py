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
import warnings

from keraslint.catalog import load as load_catalog


@functools.lru_cache(maxsize=1)
def layer_names() -> frozenset[str]:
    """Activation layer classes of any release."""
    return frozenset().union(*(r.layers for r in load_catalog().releases))


@functools.lru_cache(maxsize=1)
def needles() -> tuple[str, ...]:
    """Words every file with a possible finding contains besides ``keras``: an activation word,
    an activation layer class, or a layer that takes its activation positionally."""
    positional = set().union(*(r.positional_activation for r in load_catalog().releases))
    return ("ctivation", *sorted(layer_names() | positional))


def may_have_findings(text: str, reexporting_modules: tuple[str, ...] = ()) -> bool:
    """False for text without an activation word, or that names neither ``keras`` nor a project
    module re-exporting Keras names (importing from one names it: ``from .layers import Dense``)."""
    mentions_keras = "keras" in text or any(module in text for module in reexporting_modules)
    return mentions_keras and any(word in text for word in needles())


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
