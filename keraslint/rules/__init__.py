"""Rule metadata and the registry binding codes to rules.

A rule is one unit: code, name, summary, explanation (what / why / example / fix / fix safety),
and VALID / INVALID examples that the test-suite runs. Detection code lives beside it in its
family module and returns ``Finding`` objects; positions and suppression are handled centrally.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


class Rule(NamedTuple):
    code: str
    name: str
    summary: str
    explanation: str
    fixable: str  # "always", "sometimes" or "never"
    valid: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()
    options: Mapping = MappingProxyType({})  # per-example settings, e.g. {"keras-version": "2.3"}

    def doc(self) -> str:
        return f"# {self.name} ({self.code})\n\nFix is {self.fixable} available.\n\n{self.explanation.strip()}\n"


class Finding(NamedTuple):
    """What a rule found, before positions are attached: a node, a message, maybe a new value."""

    rule: Rule
    node: object  # what to report and replace: an ast node, or (node, name) for a name within it
    message: str
    new_value: str | None = None  # the fixed content: of the string literal, or code when not ``literal``
    applicability: str = "safe"
    fix_message: str = ""
    literal: bool = True  # new_value goes inside the literal's quotes; False: it replaces the node as code


REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in REGISTRY:
        raise ValueError(f"duplicate rule code {rule.code}")
    REGISTRY[rule.code] = rule
    return rule


def all_rules() -> list[Rule]:
    """Every rule, in code order (importing the family modules registers them)."""
    from keraslint.rules import activations, api, custom, files, identifiers, models  # noqa: F401

    return [REGISTRY[code] for code in sorted(REGISTRY)]


def expand_selectors(selectors) -> set[str]:
    """The rule codes ruff-style selectors name (``KL1``, ``KL101``, ``ALL``); ValueError for a
    selector that names none."""
    codes = [r.code for r in all_rules()]
    expanded: set[str] = set()
    for selector in selectors:
        prefix = selector.strip().upper()
        hit = set(codes) if prefix == "ALL" else {c for c in codes if c.startswith(prefix)}
        if not hit:
            raise ValueError(f"unknown rule selector {selector.strip()!r}")
        expanded |= hit
    return expanded


def select_codes(select: list[str], ignore: list[str], extend_select: list[str] = ()) -> set[str]:
    """Codes enabled by ruff-style prefixes (``KL1``, ``KL101``, ``ALL``)."""
    enabled = expand_selectors(list(select) + list(extend_select)) - expand_selectors(ignore)
    return enabled | _always_on([r.code for r in all_rules()])


def _always_on(codes: list[str]) -> set[str]:
    """File errors (unreadable, unparsable, internal) are never silenced by selection."""
    return {c for c in codes if c.startswith("KL0")}


class Context(NamedTuple):
    """What a rule needs to judge a site: the target releases, the catalog, project extras."""

    target: object  # keraslint.catalog.Target
    catalog: object  # keraslint.catalog.Catalog
    extra_activations: frozenset = frozenset()  # configured and registered names
    local_functions: frozenset = frozenset()  # functions defined or imported in the file
