"""Rules as units, and the registry binding codes to rules.

A rule is one unit: code, name, summary, explanation (what / why / example / fix safety), the
kind of site it reads (with the words without which a text has none), VALID examples and INVALID
ones with their expected fix, and the properties other stages ask of it (level, silenceable,
failure). Detection code lives beside it in its family module and returns ``Finding`` objects;
a rule at a kind of site the checker does not read brings ``check_call``. Every module of this
package is imported by ``all_rules()``; positions and suppression are handled centrally.
"""
from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, NamedTuple, Union

if TYPE_CHECKING:  # the catalog is data below the rules; imported for types only (start-up cost)
    from keraslint.catalog import Catalog, Target
    from keraslint.diagnostics import Applicability
    from keraslint.resolve import KerasCall


class Site(NamedTuple):
    """A kind of place rules read.

    ``triggers(context)`` gives the words without one of which a source text has no such site
    under that target: the prefilter skips a file that has none of an enabled rule's words, and
    parses one that has them unless its textual judge for this kind of site proves the file clean
    (a kind it has no judge for is always parsed). None for places outside Python source (the
    file itself, saved models).
    """

    name: str
    triggers: Callable[[Context], Iterable[str]] | None = None


class Invalid(NamedTuple):
    """An example a rule must report, and the source once its fix is applied (unsafe fixes too);
    ``fixed`` None: the rule offers no fix for it."""

    source: str
    fixed: str | None = None
    options: Mapping = MappingProxyType({})  # settings of this example over the rule's (``keras-version``)


class Rule(NamedTuple):
    """One rule, whole: what it is called and says, where it looks, what it must and must not
    report and how it fixes. ``tests/test_rules.py`` names any part a rule leaves out."""

    code: str
    name: str
    summary: str
    explanation: str
    site: Site | None = None
    valid: tuple[str, ...] = ()
    invalid: tuple[Invalid, ...] = ()
    options: Mapping = MappingProxyType({})  # per-example settings, e.g. {"keras-version": "2.3"}
    level: Literal["error", "warning"] = "error"  # how machine formats (SARIF, JSON, GitLab) rate it
    silenceable: bool = False  # a name registered with Keras (configured or in the project) silences it
    failure: bool = False  # keraslint itself failed (the exit code is 2)
    check_call: Callable[[KerasCall, Context], Iterable[Finding]] | None = None  # findings at one Keras call

    @property
    def fixable(self) -> Literal["always", "sometimes", "never"]:
        """Whether the rule fixes, as its INVALID examples show."""
        fixed = {example.fixed is not None for example in self.invalid}
        return "always" if fixed == {True} else "sometimes" if fixed == {True, False} else "never"

    @property
    def always_on(self) -> bool:
        """File errors (unreadable, unparsable, internal) are never silenced by selection."""
        return self.site is FILE

    def doc(self) -> str:
        return f"# {self.name} ({self.code})\n\nFix is {self.fixable} available.\n\n{self.explanation.strip()}\n"

    @property
    def url(self) -> str:
        """The rule's documentation, as installed with keraslint (``keraslint rule CODE`` prints it)."""
        from pathlib import Path

        return (Path(__file__).parent / "docs" / f"{self.code}.md").as_uri()


FILE = Site("file")  # the file as a whole: read, decoded, parsed (reported by the pipeline itself)
MODEL_FILE = Site("model-file")  # a saved model or its JSON configuration


class KeywordName(NamedTuple):
    """The name of a keyword argument: ``alpha`` in ``relu(x, alpha=0.1)``."""

    keyword: ast.keyword


class AttributeName(NamedTuple):
    """The name an attribute access ends with: ``swishh`` in ``activations.swishh``."""

    attribute: ast.Attribute


class ImportedName(NamedTuple):
    """One name of a ``from ... import`` statement."""

    statement: ast.ImportFrom
    alias: ast.alias


# What a finding reports and replaces: a value's node (a string literal, a name), or a name
# within a node; None for a value with no place in source (a saved model's configuration).
Anchor = Union[ast.expr, ast.stmt, KeywordName, AttributeName, ImportedName, None]


class Finding(NamedTuple):
    """What a rule found, before positions are attached: an anchor, a message, maybe a new value."""

    rule: Rule
    node: Anchor
    message: str
    new_value: str | None = None  # the fixed content: of the string literal, or code when not ``literal``
    applicability: Applicability = "safe"
    fix_message: str = ""
    literal: bool = True  # new_value goes inside the literal's quotes; False: it replaces the node as code


REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in REGISTRY:
        raise ValueError(f"duplicate rule code {rule.code}")
    REGISTRY[rule.code] = rule
    return rule


def all_rules() -> list[Rule]:
    """Every rule, in code order: each module of this package is imported (which registers its
    rules), so a rule module dropped into ``rules/`` cannot be left out."""
    _import_rule_modules()
    return [REGISTRY[code] for code in sorted(REGISTRY)]


@functools.cache
def _import_rule_modules() -> None:
    import importlib
    import pkgutil

    for module in sorted(info.name for info in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")


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


def select_codes(select, ignore=(), extend_select=()) -> set[str]:
    """Codes enabled by one layer of ruff-style selectors (``KL1``, ``KL101``, ``ALL``)."""
    return select_layers([(select, ignore, extend_select)])


def select_layers(layers) -> set[str]:
    """Codes enabled by layers of (select, ignore, extend_select), as ruff resolves them: the
    configuration's layer, then the command line's. In a layer, ``select`` (when given, not None)
    starts again from nothing; for each code the most specific matching selector of the layer
    decides (``--select KL102`` beats an ``ignore`` of ``KL1``; at equal length ``ignore`` wins);
    a code no selector of the layer names keeps what the layers before decided."""
    codes = [r.code for r in all_rules()]
    expand_selectors([s for layer in layers for part in layer for s in (part or ())])  # unknown ones: ValueError
    enabled = set(codes)
    for select, ignore, extend_select in layers:
        base = enabled if select is None else set()
        verdicts: dict[str, tuple[int, bool]] = {}
        for selectors, verdict in ((list(select or ()) + list(extend_select or ()), True), (list(ignore or ()), False)):
            for selector in selectors:
                prefix = selector.strip().upper()
                weight = -1 if prefix == "ALL" else len(prefix)
                for code in codes:
                    if prefix == "ALL" or code.startswith(prefix):
                        best = verdicts.get(code)
                        if best is None or weight > best[0] or (weight == best[0] and not verdict):
                            verdicts[code] = (weight, verdict)
        enabled = {c for c in codes if (verdicts[c][1] if c in verdicts else c in base)}
    return enabled | {r.code for r in all_rules() if r.always_on}


def call_checks() -> list[Callable[[KerasCall, Context], Iterable[Finding]]]:
    """The checks of the rules that judge each Keras call themselves (``Rule.check_call``)."""
    return [rule.check_call for rule in all_rules() if rule.check_call is not None]


def is_file_error(code: str) -> bool:
    """Read, decode, parse and internal errors: the file was not (fully) checked."""
    return by_code(code).site == FILE


def by_code(code: str) -> Rule:
    """The registered rule of ``code``."""
    _import_rule_modules()
    return REGISTRY[code]


class Context(NamedTuple):
    """What a rule needs to judge a site: the target releases, the catalog, project extras."""

    target: Target
    catalog: Catalog
    extra_activations: frozenset[str] = frozenset()  # configured and registered names
    local_functions: frozenset[str] = frozenset()  # functions defined or imported in the file
