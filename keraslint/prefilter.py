"""The cheap first look: prove from the text alone that a file has no finding, parse the rest.

Two levels, both sound (a file is skipped only when parsing it would find nothing; tests
check this on the fixtures, the corpus and generated programs):

1. Words. Each kind of site declares its trigger words beside its rules (``Site.triggers``): a
   file with none of the words of any enabled rule's site, and no import from a project module
   that renames a Keras name (``Dense as D``), is clean. So is a file without ``keras`` that
   imports nothing Keras from the project. A file with the words of a kind of site this module
   has no judge for is parsed: a new rule is sound before anyone writes a judge for it.
2. Sites. Each site of a kind with a judge is read with the lexer (``keraslint/lexer.py``) and
   judged the way the rules would judge it: ``activation="relu"`` with a name every target
   accepts, ``activation=None``, ``activation=tf.nn.relu``, ``Dense(64)`` (nothing in the
   positional activation slot), ``kernel_initializer="he_normal"``, ``model.compile(loss="mse")``
   are clean. A name passed as an activation is clean when the file never binds it to a doubtful
   string and defines no function of that name. Sites inside strings and comments do not count.
   Anything the lexer does not fully understand (aliases of the names sites are found by,
   f-strings whose quotes may nest, escapes, lambdas, dict configs, numbers) counts as doubtful,
   and the file is parsed.

Literals are judged with the rules' own functions, so the two paths cannot disagree on what
a valid name is. The state of one file lives in a ``FileJudge``, made per call.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator

from keraslint.catalog import load as load_catalog
from keraslint.lexer import (
    MAX_LINE,
    CodeRegions,
    Doubt,
    call_arguments,
    code_view,
    dotted_before,
    first_word,
    identifier_start,
    imported_bindings,
    imported_names,
    join_continuations,
    literal,
    read_value,
    skip_space_before,
    tokens_from,
    word_before,
)
from keraslint.rules import FILE, MODEL_FILE, Context, Site, all_rules
from keraslint.rules.activations import ACTIVATION_SITE, accepted
from keraslint.rules.api import (
    ACTIVATION_KEYWORD_SITE,
    ACTIVATIONS_ATTRIBUTE_SITE,
    API_MODULES,
    API_NAME_SITE,
    LEARNING_RATE_KEYWORDS,
    LEARNING_RATE_SITE,
    api_name_accepted,
    attribute_accepted,
    flagged_keywords,
    optimizer_keyword_accepted,
)
from keraslint.rules.identifiers import (
    COMPILE_KEYWORDS,
    FAMILY_MODULES,
    IDENTIFIER_SITE,
    identifier_accepted,
    keyword_family,
)


def cover(names) -> tuple[str, ...]:
    """The names that contain no other name: a text has one of ``names`` only if it has one of these."""
    return tuple(sorted(n for n in names if not any(o != n and o in n for o in names)))


# A file can reach a root's Keras only if it contains the root's word (or imports from project
# modules, which may re-export it): ``tf.keras`` needs ``tensorflow`` (``import tensorflow as tf``).
ROOT_WORDS = {"tf.keras": "tensorflow", "tf_keras": "tf_keras", "keras_core": "keras_core"}


def _words(names) -> str:
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))


# Patterns made for the names of a file or of the targets (cached: a name recurs across files).
@functools.lru_cache(maxsize=4096)
def calls_of(names: Iterable[str], prefix: bool = False) -> re.Pattern[str]:
    """A call of one of ``names`` (``prefix``: of a name starting with one of them), up to its ``(``."""
    rest = r"\w*" if prefix else ""
    return re.compile(rf"""
        (?: {_words(names)} ) {rest}    # the name
        (?= \s* \( )                    # called
    """, re.VERBOSE)


@functools.lru_cache(maxsize=4096)
def attribute_named(name: str) -> re.Pattern[str]:
    """``.name`` as a whole attribute name."""
    return re.compile(rf"\. \s* {re.escape(name)} \b", re.VERBOSE)


@functools.lru_cache(maxsize=4096)
def binding_of(owner: str, module: str) -> re.Pattern[str]:
    """A statement that may bind ``owner`` to (something of) ``module``."""
    owner, module = re.escape(owner), re.escape(module)
    return re.compile(rf"""
        {module} [\w.]* \s+ as \s+ {owner} \b        # import tensorflow.keras as K
      | {owner} [ \t]* = [^=\n] [^\n]* {module}      # K = tf.keras
    """, re.VERBOSE)


@functools.lru_cache(maxsize=4096)
def imported_by_name(name: str) -> re.Pattern[str]:
    """An import that may bind ``name`` (in a code view: continuations joined), or a star import."""
    name = re.escape(name)
    return re.compile(rf"""
        import \b
        (?: [^\n]* \b {name} \b             # from m import a, name / import name / ... as name
          | \s* \( [^)]* \b {name} \b        # from m import (a,\n name)
          | [^\n]* \*                       # from m import *
        )
    """, re.VERBOSE)


COMMENT = re.compile(r"\# [^\n]*", re.VERBOSE)


# The site patterns start with a literal or a character class, so ``re`` can skip ahead quickly;
# word boundaries are checked on the (few) matches instead. ``tests/test_lexer.py`` holds a table
# of texts each must and must not match.
ACTIVATION_KEYWORD = re.compile(r"""
    activation
    (?:
        \s* (?: : [^=\n]* )? = (?!=)          # activation=  (also annotated, in a signature)
      | ["'] (?: [\s)"'] | \#[^\n]*(?![^\n]) )* :   # a dict key "activation": (also triple-quoted,
    )                                           #   parenthesized, a comment before the colon)
""", re.VERBOSE)
CALL_PAREN = re.compile(r"\s* \(", re.VERBOSE)  # the ``(`` that opens a call, after spaces
ACTIVATION_GETTER = re.compile(r"activations \s*\.\s* (?:get|deserialize) \s*\(", re.VERBOSE)
ACTIVATIONS_ATTRIBUTE = re.compile(r"activations \s*\.\s* ([^\W\d]\w*)", re.VERBOSE)  # group 1: the name
CALL_NAME = re.compile(r"""
    (?<!\w) (\w+)         # a whole identifier (from its start only: linear in long names)
    \s* \(               # called
""", re.VERBOSE)
BINDING = re.compile(r"""
    (?<!\w) (\w+)         # a whole identifier
    \s* ([:=])            # then = or : (assignments, keyword arguments, annotations, dict keys, slices)
""", re.VERBOSE)
DEFINITION = re.compile(r"""
    def \s+ (\w+) \s* \(           # def NAME(
    ( \s* (?:self|cls) \b )?       # group 2: a method's first parameter
""", re.VERBOSE)
LEARNING_RATE_SITES = tuple((k, re.compile(rf"{k} \s* = (?!=)", re.VERBOSE)) for k in LEARNING_RATE_KEYWORDS)
# ``layers.<name>``: one pattern per module word (a literal start is scanned for quickly).
API_ATTRIBUTES = tuple((module, re.compile(rf"{module} \s*\.\s* ([^\W\d]\w*)", re.VERBOSE)) for module in API_MODULES)
IDENTIFIER_KEYWORDS = (  # two patterns, each with a literal start ``re`` can scan for quickly
    re.compile(r"_ (?:initializer|regularizer|constraint) \s* = (?!=)", re.VERBOSE),  # kernel_initializer=
    re.compile(r"init \s* = (?!=)", re.VERBOSE),  # Keras 1's init=, inner_init= (the word is checked on the match)
)
COMPILE_CALL = re.compile(r"\. \s* compile \s* \(", re.VERBOSE)  # .compile(
GET_CALL = re.compile(r"\. \s* get \s* \(", re.VERBOSE)  # .get(
IMPORT = re.compile(r"import \b", re.VERBOSE)
AS = re.compile(r"[ ] as [\s\\]", re.VERBOSE)  # `` as`` then a space or a line continuation
AS_OPENING_LINE = re.compile(r"\n [ \t\f]* as [\s\\]", re.VERBOSE)  # ``as`` opening a line
AS_AFTER_TAB = re.compile(r"[\t\f] as [\s\\]", re.VERBOSE)
ALIAS_NAME = re.compile(r"(?: \s | \\ )* ([^\W\d]\w*)", re.VERBOSE)  # the name after ``as``
ASSIGNED_NAME = re.compile(r"""
    = [ \t]* (?: \\\r?\n [ \t]* )?              # NAME =, maybe continued on the next line
    (?:
        \( (?: \s | \\ | \#[^\n]* )*             # group 1: a parenthesized dotted value, which may
        ( [^\W\d] (?: [\w.] | \s+(?=[\w.\#]) | \#[^\n]*(?![^\n]) )* )   # span lines and hold comments:
        \s* \) [ \t)]*                          #   D = (layers\n    .Dense)
      | ( [^\W\d] [\w.\ \t]* ) [ \t)]*             # group 2: a dotted value on the line (spaces
    )                                          #   around its dots allowed)
    (?: [;\#] [^\n]* )? $                      # the end of the line (a comment, another statement)
""", re.MULTILINE | re.VERBOSE)
BROKEN_LINE = re.compile(r"""
    \n [ \t\f]*                 # a line that opens with
    (?: = (?!=) | : | \.[^\W\d] | as [\s\\] )   # =, :, .name or as: a statement broken where the
""", re.VERBOSE)                # site patterns expect it whole (``activation  # note\n = "reul"``)
MAX_ANNOTATION = 300  # characters (or tokens) of an annotation read before calling it doubtful
STATEMENT_START = re.compile(r"""
    (?: ^ | ; ) [ \t]*           # the start of a line or of a statement after ;
    [^\W\d]\w* [ \t]* \Z        # one name, up to where the search ends
""", re.MULTILINE | re.VERBOSE)


def call_opening(text: str, position: int) -> int:
    """Where the arguments of the call whose name ends at ``position`` begin (after its ``(``);
    Doubt when no ``(`` follows."""
    opening = CALL_PAREN.match(text, position)
    if opening is None:
        raise Doubt
    return opening.end()


class Prefilter:
    """Decides, from a file's text, that it cannot have a finding for these targets and rules.

    ``main`` is the rule context of the target of ``import keras``; ``by_root`` the contexts of
    each Keras root (``tf.keras``, ``tf_keras``, ``keras_core``). A literal is clean when the rules
    accept it for every target the file may be checked against: the main one, and those of the
    roots whose word the file contains (all of them when it imports from project modules).
    """

    def __init__(self, main: Context, by_root: dict[str, Context], enabled: frozenset[str] | None = None):
        self.main = main
        self.by_root = {root: c for root, c in by_root.items() if c.target.releases != main.target.releases}
        contexts = [main, *self.by_root.values()]
        sites = {r.site for r in all_rules()
                 if (enabled is None or r.code in enabled) and r.site is not None and r.site not in (FILE, MODEL_FILE)}
        self.sites = [(site, cover({w for c in contexts for w in (site.triggers(c) if site.triggers else ())}))
                      for site in sorted(sites, key=lambda site: site.name)]
        self.judged: dict[tuple, bool] = {}
        self.absent_paths = [path.rsplit(".", 1) for path in main.catalog.overrides["absent_modules"]["paths"]]
        self.flagged_by_root = {root: flagged_keywords(c) for root, c in [("keras", main), *self.by_root.items()]}
        self.selections: dict[frozenset[str], tuple] = {}
        owners = set().union(*self.flagged_by_root.values())
        self.owner_call = calls_of(frozenset(owners)) if owners else None
        self.positional_words = cover(main.catalog.positional_layers)
        # strings handed to project functions whose parameters reach activation or identifier sites
        self.reads_flows = bool(sites & {ACTIVATION_SITE, IDENTIFIER_SITE})

    def may_have_findings(self, text: str, imports=None) -> bool:
        """False only when no rule can find anything in ``text``.

        ``imports()``, when given, returns the facts (``project.ModuleFacts``) of the project
        modules the file imports from (it may be called more than once: it should remember its
        answer). A file without ``keras`` in its text reaches Keras only through their exports,
        and a module that imports a Keras name under another name (``Dense as D``) hides that
        name from the word test: the importing file is parsed.
        """
        modules = imports or dict
        present = [site for site, words in self.sites if any(word in text for word in words)]
        flows = self.reads_flows and "import" in text  # strings handed to the project's functions
        if not present and not (flows and _calls_project_sinks(text, modules)):
            return "import" in text and any(m.aliased for m in modules().values())  # unless a name it imports hides a word
        if "keras" not in text and not any(m.exports for m in modules().values()) and not (
                flows and _calls_project_sinks(text, modules)):
            return False
        if any(site not in JUDGES for site in present):
            return True  # a kind of site no judge reads: parse
        selection = self._select(text, modules)
        if len(text) > MAX_LINE and max(map(len, text.split("\n"))) > MAX_LINE:
            return True  # the patterns below read a line once per site on it: keep that linear
        text, code = code_view(text)
        judge = FileJudge(self, code, modules, *selection)
        try:
            return (
                judge.broken_statements(text) or aliased(text, code)
                or any(JUDGES[site](judge, text) for site in present)
                or (flows and judge.project_flows(text))
                or any(m.aliased for m in modules().values())
            )
        except Doubt:  # a statement the lexer cannot read outside a site (a broken import list)
            return True

    def _select(self, text: str, modules) -> tuple:
        """The roots, contexts and flagged activation keywords this file may be checked against."""
        roots = frozenset(r for r in self.by_root if ROOT_WORDS[r] in text)
        if len(roots) < len(self.by_root):  # a project module it imports from may re-export that root
            roots |= {r for r in self.by_root if any(ROOT_WORDS[r] in m.root_words for m in modules().values())}
        if roots not in self.selections:
            chosen = ["keras", *sorted(roots)]
            flagged: dict[str, set[str]] = {}
            for root in chosen:
                for owner, keywords in self.flagged_by_root[root].items():
                    flagged.setdefault(owner, set()).update(keywords)
            contexts = (self.main, *(self.by_root[r] for r in chosen[1:]))
            self.selections[roots] = (roots, contexts, flagged)
        return self.selections[roots]


class FileJudge:
    """The site judges, and what they learn about one file (made per ``may_have_findings`` call).
    Methods take the file's code view (``code_view``); ``code`` tells code from strings and comments."""

    def __init__(self, gate: Prefilter, code: CodeRegions, modules, selection: frozenset[str], contexts: tuple,
                 flagged: dict[str, set[str]]):
        self.gate = gate
        self.code = code
        self.modules = modules
        self.selection, self.contexts, self.flagged = selection, contexts, flagged
        self.named: dict[tuple[str, str], bool] = {}
        self.imported_names: list[tuple[int, str, list[str]]] | None = None
        self.parameters: dict[str, list[tuple[str, int]]] | None = None
        self.calls_of: dict[str, list[int]] | None = None  # function -> ends of its calls' ``(``
        self.carrying: dict[tuple[str, str | None], bool] = {}
        self.binding_index: dict[str, list[tuple[int, int, str]]] = {}
        self.indexed = False  # every binding of the file is in ``binding_index``
        self.definition_index: dict[str, list[re.Match]] | None = None

    def broken_statements(self, text: str) -> bool:
        """A statement broken where the site patterns expect it whole: a line of code opening
        with ``=``, ``:`` (not a slice: ``x[\\n :, 1]``) or ``.name``, or with ``as`` right after a
        comment (``as`` after code is read by ``renamed_on_import``)."""
        for match in BROKEN_LINE.finditer(text):
            opening = match.group().lstrip()
            previous_line = text[text.rfind("\n", 0, match.start()) + 1: match.start()]
            if opening.startswith("as") and "#" not in previous_line:
                continue
            if opening == ":" and previous_line.rstrip().endswith(("[", ",")) and "#" not in previous_line:
                continue
            if self.code(match.end() - len(opening)):
                return True
        return False

    # --- activation sites (KL1, KL2, KL3) ---
    def _doubt(self, position: int, judge, *arguments) -> bool:
        """``judge(*arguments)`` finds the site at ``position`` doubtful (or unreadable), and
        the site is code, not text inside a string or a comment."""
        try:
            doubtful = judge(*arguments)
        except Doubt:
            doubtful = True
        return doubtful and self.code(position)

    def activation_sites(self, text: str) -> bool:
        names: set[str] = set()
        for site in ACTIVATION_KEYWORD.finditer(text):
            if self._doubt(site.end(), self._doubtful_activation, text, site.end(), names):
                return True
        calls = {}
        layers = self.gate.main.catalog.positional_layers
        for word in self.gate.positional_words:
            if word in text:
                for match in calls_of((word,), prefix=True).finditer(text):
                    start = identifier_start(text, match.start())
                    if text[start: match.end()] in layers:
                        calls[start] = (text[start: match.end()], match.end())
        calls.update((m.start(), ("Activation", m.end() - 1)) for m in ACTIVATION_GETTER.finditer(text))
        for start, (layer, end) in calls.items():
            if self._doubt(start, self._doubtful_positional, text, layer, end, names):
                return True
        return any(self._carries_doubt(text, name) for name in names)

    def _doubtful_positional(self, text: str, layer: str, end: int, names: set) -> bool:
        """A call of ``layer`` (``Activation`` for the getters) ending at ``end`` with a doubtful
        value where the target takes the activation positionally."""
        indices = {0} if layer == "Activation" else {c.target.positional_index(layer) for c in self.contexts} - {None}
        if not indices:
            return False
        # the arguments before the first keyword: a ``*args`` after it fills no slot the checker judges
        positional = [(k, s) for k, s, _ in call_arguments(text, call_opening(text, end), positional=True)]
        if any(k == "*" for k, _ in positional[: max(indices) + 1]):
            return True
        return any(self._doubtful_activation(text, positional[i][1], names) for i in indices if i < len(positional))

    def _doubtful_activation(self, text: str, position: int, names: set) -> bool:
        """Is the value at ``position``, which reaches Keras as an activation, doubtful?
        Bare names are collected in ``names``; their bindings are looked at later."""
        kind, value = read_value(text, position)
        if kind == "literal":
            return not self._valid(accepted, value)
        if kind == "name":
            names.add(value)
        return False

    def _valid(self, accepts, value: str, *family: str) -> bool:
        """The rules' ``accepts`` function accepts ``value`` for the file's target(s)."""
        key = (accepts.__name__, self.selection, *family, value)
        if key not in self.gate.judged:
            self.gate.judged[key] = all(accepts(*family, value, c) for c in self.contexts)
        return self.gate.judged[key]

    def _carries_doubt(self, text: str, name: str, family: str | None = None) -> bool:
        """``_doubtful_name``, once per name and family in a file."""
        key = (name, family)
        if key not in self.carrying:
            self.carrying[key] = self._doubtful_name(text, name, family)
        return self.carrying[key]

    def _doubtful_name(self, text: str, name: str, family: str | None) -> bool:
        """``name`` is a function of this file (activations only), or is bound to a string that is
        doubtful as an activation (or, given ``family``, as an identifier of it) somewhere (also
        where its annotation goes on past the line, so its default is not seen: ``name: Dict[str,``).

        Each ``name =`` / ``name:`` is looked at once, and the ``=`` that ends an annotation is
        searched for once per line, so a line full of ``name:`` costs linear time.
        """
        if family is None and any(self.code(d.start()) for d in self._definitions(text).get(name, ())):
            return True
        line_end = equals = -1  # the line of the last ``name:`` and its next ``=`` (-1: none on the line)
        for start, after, operator in self._bindings(text, name):
            if operator == "=":
                value = None if text.startswith("=", after) else after  # ``==`` binds nothing
            else:
                if after > line_end:
                    line_end = text.find("\n", after)
                    line_end = len(text) if line_end < 0 else line_end
                    equals = text.find("=", after, line_end)
                elif equals != -1 and equals < after:
                    equals = text.find("=", after, line_end)
                if equals == -1:
                    if self._open_annotation(text, start, after, line_end, family):
                        return True
                    continue
                value = None if text.startswith("=", equals + 1) else equals + 1
            if value is not None and self._doubt(start, self._doubtful_binding, text, value, family):
                return True
        return self._doubt_passed_positionally(text, name, family)

    def _bindings(self, text: str, name: str) -> list[tuple[int, int, str]]:
        """(start, end, ``=`` or ``:``) of each ``name =`` / ``name:`` of the file. The first few
        names are searched for themselves; past ``MANY_NAMES``, every binding of the file is
        indexed in one pass (a search per name is quadratic in many names)."""
        if name not in self.binding_index and len(self.binding_index) >= MANY_NAMES and not self.indexed:
            self.indexed = True
            found: dict[str, list[tuple[int, int, str]]] = {}
            for occurrence in BINDING.finditer(text):
                if identifier_start(text, occurrence.start()) == occurrence.start():  # not ``l2_reg`` for ``reg``
                    found.setdefault(occurrence.group(1), []).append(
                        (occurrence.start(), occurrence.end(), occurrence.group(2)))
            self.binding_index.update(found)
        if name not in self.binding_index:
            self.binding_index[name] = [] if self.indexed else list(bindings_by_search(text, name))
        return self.binding_index[name]

    def _definitions(self, text: str) -> dict[str, list[re.Match]]:
        """Every ``def name(`` of the file by name, found in one pass."""
        if self.definition_index is None:
            self.definition_index = {}
            for definition in DEFINITION.finditer(text) if "def" in text else ():
                self.definition_index.setdefault(definition.group(1), []).append(definition)
        return self.definition_index

    def _doubt_passed_positionally(self, text: str, name: str, family: str | None) -> bool:
        """``name`` is a parameter of a function of this file that some call gives a doubtful
        literal positionally (``def build(inputs, loss): ...`` and ``build(x, "dice_los")``;
        keyword arguments are bindings ``loss=`` that ``_carries_doubt`` reads). As the checker,
        only functions defined once and called by their bare name count (no methods)."""
        parameters = self._parameters(text)
        if "" in parameters:
            return True
        for function, position in parameters.get(name, ()):
            try:
                calls = self._positional_arguments(text, function)
            except Doubt:
                return True
            if any(position < len(given) and self._doubtful_binding(text, given[position], family) for given in calls):
                return True
        return False

    def _parameters(self, text: str) -> dict[str, list[tuple[str, int]]]:
        """Parameter name -> (function, position) for the file's plain ``def``s (not methods, not
        defined twice), read once per file. Whether a ``def`` is code (not in a string) is asked
        only when a name has two: a signature read from a docstring only adds doubt."""
        if self.parameters is None:
            self.parameters = {}
            for function, definitions in self._definitions(text).items():
                if len(definitions) > 1:
                    definitions = [d for d in definitions if self.code(d.start())]
                if len(definitions) != 1 or definitions[0].group(2):
                    continue  # defined twice, or a method: calls of it are not followed
                try:
                    entries = call_arguments(text, definitions[0].end())
                except Doubt:
                    self.parameters.setdefault("", []).append((function, -1))  # unreadable: every name doubts
                    continue
                for position, (keyword, start, _) in enumerate(entries):
                    self.parameters.setdefault(keyword or first_word(text, start), []).append((function, position))
        return self.parameters

    def _positional_arguments(self, text: str, function: str) -> list[list[int]]:
        """Where each positional argument starts, for every bare-name call of ``function``. The
        calls of every function with parameters are found in one pass over the file."""
        if self.calls_of is None:
            functions = {f for sites in self._parameters(text).values() for f, _ in sites}
            self.calls_of = {f: [] for f in functions}
            for use in CALL_NAME.finditer(text):
                name = use.group(1)
                if name not in functions or identifier_start(text, use.start(1)) != use.start(1):
                    continue
                before = skip_space_before(text, use.start())
                if text[before - 1: before] == "." or text[identifier_start(text, before): before] == "def":
                    continue  # (a call inside a string or comment is read too: more doubt, never less)
                self.calls_of[name].append(use.end())
        return [[start for keyword, start, _ in call_arguments(text, end, positional=True) if keyword is None]
                for end in self.calls_of.get(function, ())]

    def _open_annotation(self, text: str, start: int, colon_end: int, line_end: int, family: str | None = None) -> bool:
        """``name:`` at ``start`` has an annotation that is empty or unclosed at the end of its line,
        and may have a doubtful default on a later line. (A very long rest of line is doubt enough.)"""
        if identifier_start(text, start) != start:
            return False
        if line_end - colon_end > MAX_ANNOTATION:
            return self.code(start)
        annotation = text[colon_end:line_end].partition("#")[0]
        unclosed = annotation.count("[") > annotation.count("]") or annotation.count("(") > annotation.count(")")
        return (unclosed or not annotation.strip()) and self._doubt(start, self._doubtful_default, text, colon_end, family)

    def _doubtful_default(self, text: str, position: int, family: str | None = None) -> bool:
        """The default after the annotation that starts at ``position`` (it may span lines) is doubtful."""
        depth = 0
        for count, (kind, match) in enumerate(tokens_from(text, position)):
            if kind == "open":
                depth += 1
            elif kind == "close":
                depth -= 1
                if depth < 0:  # the parameter list closes: no default
                    return False
            elif depth == 0 and match.group() in (",", "="):
                return match.group() == "=" and self._doubtful_binding(text, match.end(), family)
            if count > MAX_ANNOTATION:
                break
        return True

    def _doubtful_binding(self, text: str, position: int, family: str | None = None) -> bool:
        try:
            kind, value = read_value(text, position, chained=True)
        except Doubt:
            # A display or a number (``INIT = {"class_name": ...}``, ``reg=2.5e-4``) is no string an
            # identifier site could take; anything else unreadable stays doubtful.
            if family is not None and text[position:position + 64].lstrip()[:1] in tuple("{[0123456789-."):
                return False
            raise
        if kind != "literal":
            return False
        return not (self._valid(accepted, value) if family is None else self._valid(identifier_accepted, value, family))

    def project_flows(self, text: str) -> bool:
        """A string literal handed to a function of a project module the file imports from, at a
        parameter that the module may pass to a Keras activation or identifier site (``textual_sinks``),
        that the site's family does not accept."""
        if not any(m.functions for m in self.modules().values()):
            return False
        bound = project_imports(text)
        if bound is None:
            return True  # an import list the lexer cannot read
        called = {alias: (facts, name) for facts in self.modules().values() for name in facts.functions & bound.keys()
                  for alias in bound[name]}  # ``from .models import build_model as build``: calls of ``build``
        return any(self._doubt(opening, self._doubtful_flow, text, opening, *called[alias])
                   for alias, opening in calls_by_name(text, called))

    def _doubtful_flow(self, text: str, opening: int, facts, name: str) -> bool:
        """The call of ``name`` (of the project module ``facts``) whose arguments start at
        ``opening`` gives a string the sink's family does not accept. The module's sinks are
        read only for a call with a string argument."""
        given: list[tuple[int | str, str | None]] = []  # (position or keyword, the string; None: unreadable)
        number, in_order = 0, True
        for keyword, start, _ in call_arguments(text, opening):
            if keyword in ("*", "**"):
                in_order = in_order and keyword == "**"  # positions after ``*args`` are unknown
                continue
            where: int | str | None = keyword if keyword is not None else number if in_order else None
            number += keyword is None
            try:
                kind, value = read_value(text, start)
            except Doubt:  # implicitly concatenated strings among others: maybe a string
                kind, value = "literal", None
            if where is not None and kind == "literal":
                given.append((where, value))
        if not given:
            return False
        functions = facts.textual_sinks
        if functions is None:
            return True  # a module the lexer cannot read: its functions may be sinks
        positional, sinks = functions.get(name, ((), {}))
        for where, value in given:
            if isinstance(where, int):  # arguments past the positional parameters are not followed
                where = positional[where] if where < len(positional) else ""
            if where not in sinks:
                continue
            family = sinks[where]
            if value is None or family == ANY_FAMILY or not (
                    self._valid(accepted, value) if family is None else self._valid(identifier_accepted, value, family)):
                return True
        return False

    def keyword_sites(self, text: str) -> bool:
        """Keywords of activation functions and layers that a target does not take (KL201)."""
        if self.gate.owner_call is None:
            return False
        for call in self.gate.owner_call.finditer(text):
            if identifier_start(text, call.start()) == call.start() and self._doubt(
                    call.start(), self._flagged_call, text, call):
                return True
        return False

    def _flagged_call(self, text: str, call) -> bool:
        keywords = {k for k, _, _ in call_arguments(text, call_opening(text, call.end()))}
        return bool(keywords & self.flagged.get(call.group(), set()))

    def attribute_sites(self, text: str) -> bool:
        """``activations.<name>`` a target lacks, imports from ``activations``, absent module paths (KL202)."""
        for attribute in ACTIVATIONS_ATTRIBUTE.finditer(text):
            if not self._valid(attribute_accepted, attribute.group(1)) and self._may_be_keras(text, attribute.start()):
                return True
        for statement, module, names in self._module_imports(text):
            if module == "activations" and any(
                    name in ("*", "get", "deserialize") or not self._valid(attribute_accepted, name) for name in names
            ) and self.code(statement):
                return True
        for parent, name in self.gate.absent_paths:
            for use in attribute_named(name).finditer(text):
                if self._may_name(text, word_before(text, use.start()), parent) and self.code(use.start()):
                    return True
        return False

    def learning_rate_sites(self, text: str) -> bool:
        """``lr=``/``learning_rate=`` where a targeted release's optimizers mishandle it (KL204)."""
        return any(
            not self._valid(optimizer_keyword_accepted, keyword) and any(
                identifier_start(text, site.start() + len(keyword)) == site.start() and self.code(site.start())
                for site in pattern.finditer(text))
            for keyword, pattern in LEARNING_RATE_SITES
        )

    def api_name_sites(self, text: str) -> bool:
        """``layers.<name>``, ``from keras.optimizers import <name>`` ... a target lacks (KL203)."""
        for module, pattern in API_ATTRIBUTES:
            for attribute in pattern.finditer(text) if module in text else ():
                name = attribute.group(1)
                if not self._valid(api_name_accepted, name, module) and self._may_be_keras(text, attribute.start()):
                    return True
        return any(
            module in API_MODULES and any(n != "*" and not self._valid(api_name_accepted, n, module) for n in names)
            and self.code(position)
            for position, module, names in self._module_imports(text)
        )

    def _may_be_keras(self, text: str, position: int) -> bool:
        """``activations`` at ``position`` may be Keras's: bare, after ``keras.``, or after a name
        the file binds to a Keras module (``import tensorflow.keras as K``) or imports from the project."""
        if not self.code(position):
            return False
        dot = skip_space_before(text, position) - 1
        if dot < 0 or text[dot] != ".":
            return True
        return self._may_name(text, word_before(text, dot), "keras")

    def _may_name(self, text: str, owner: str, module: str) -> bool:
        """``owner`` may name the Keras module ``module`` (``keras``, ``layers``): it is that name,
        an alias of it in this file (``keras as K``, ``K = tf.keras``), or a name a project module exports."""
        if (owner, module) not in self.named:  # once per file: the search reads the whole text
            self.named[owner, module] = owner == module or binding_of(owner, module).search(text) is not None or (
                imported_by_name(owner).search(text) is not None  # then the project's modules it may come from
                and any(owner in m.exports for m in self.modules().values()))
        return self.named[owner, module]

    def _module_imports(self, text: str) -> list[tuple[int, str, list[str]]]:
        """(position, module, imported names) of ``from <Keras>.activations import`` / ``.losses`` ...
        (relative imports count: the package may be a Keras shim). Read once per file."""
        if self.imported_names is None:
            self.imported_names = []
            for statement in IMPORT.finditer(text):
                module = word_before(text, statement.start())
                if module not in FAMILY_MODULES and module not in ("activations", "layers"):
                    continue
                dotted = dotted_before(text, statement.start())
                if "keras" in dotted or dotted.startswith("."):
                    self.imported_names.append((statement.start(), module, imported_names(text, statement.end())))
        return self.imported_names

    # --- identifier sites (KL4) ---
    def identifier_sites(self, text: str) -> bool:
        for pattern in IDENTIFIER_KEYWORDS:
            for site in pattern.finditer(text):
                family = keyword_family(word_before(text, site.end() - 1))
                if family and self._doubt(site.start(), self._doubtful_identifier, text, site.end(), family):
                    return True
        for call in GET_CALL.finditer(text):
            family = word_before(text, call.start())
            if family in FAMILY_MODULES and self._doubt(call.start(), self._doubtful_getter, text, call.end(), family):
                return True
        if any(module in FAMILY_MODULES and ("*" in names or "get" in names) and self.code(position)
               for position, module, names in self._module_imports(text)):
            return True
        for call in COMPILE_CALL.finditer(text):
            if self._doubt(call.start(), self._doubtful_compile, text, call.end()):
                return True
        return False

    def _doubtful_getter(self, text: str, end: int, family: str) -> bool:
        arguments = call_arguments(text, end, positional=True)
        return bool(arguments) and arguments[0][0] is None and self._doubtful_identifier(text, arguments[0][1], family)

    def _doubtful_compile(self, text: str, end: int) -> bool:
        return any(
            keyword in COMPILE_KEYWORDS and self._doubtful_strings(text, start, stop, COMPILE_KEYWORDS[keyword])
            for keyword, start, stop in call_arguments(text, end)
        )

    def _doubtful_identifier(self, text: str, position: int, family: str) -> bool:
        """A literal the family does not accept, or a name bound to one (``INIT = "he_normall"``,
        a keyword default)."""
        kind, value = read_value(text, position)
        if kind == "name":
            return self._carries_doubt(text, value, family)
        return kind == "literal" and not self._valid(identifier_accepted, value, family)

    def _doubtful_strings(self, text: str, start: int, end: int, family: str) -> bool:
        """Any string of the value ``text[start:end]`` that ``family`` does not accept: the value
        itself or one inside list, tuple and dict displays (dict keys and call arguments aside)."""
        in_call: list[bool] = []  # for each open bracket: does it belong to a call or a subscript?
        pending: str | None = None  # a literal waiting to see whether ``:`` (a dict key) follows
        name: str | None = None  # a name waiting to see whether it is a bare value (not ``a.b``, ``f(``, a key)
        previous = previous_token = None
        for kind, match in tokens_from(text, start):
            if match.start() >= end:
                break
            token = match.group()
            if pending is not None and not (kind == "op" and token == ":") and not self._valid(
                    identifier_accepted, pending, family):
                return True
            if name is not None and not (kind == "op" and token in (".", ":")) and kind != "open" \
                    and self._carries_doubt(text, name, family):
                return True
            pending = name = None
            if kind == "name" and not any(in_call) and previous_token != ".":
                name = token
            previous_token = token
            if kind == "string":
                if previous == "string":
                    raise Doubt  # implicit concatenation
                if not any(in_call):
                    pending = literal(match)
            elif kind == "open":
                in_call.append(previous in ("name", "close", "string"))
            elif kind == "close" and in_call:
                in_call.pop()
            previous = kind
        if name is not None and self._carries_doubt(text, name, family):
            return True
        return pending is not None and not self._valid(identifier_accepted, pending, family)


@functools.lru_cache(maxsize=1)
def interesting() -> frozenset[str]:
    """The names sites are found by: layers, activation functions, the identifier modules."""
    catalog = load_catalog()
    return catalog.positional_layers | catalog.layer_names | catalog.activation_functions | {"activations", *FAMILY_MODULES}


def renamed_on_import(text: str, code: CodeRegions) -> bool:
    """A name sites are found by, imported under another name: ``Dense as D`` (not ``optimizers
    as optimizers``, which binds the very name the sites are found by)."""
    names = interesting()
    patterns = (AS, AS_OPENING_LINE) + ((AS_AFTER_TAB,) if "\tas" in text or "\fas" in text else ())
    for pattern in patterns:
        for match in pattern.finditer(text):
            name = word_before(text, match.end() - 3)
            if name in names and not _alias_is(text, match.end() - 1, name) and code(match.start()):
                return True
    return False


def _alias_is(text: str, position: int, name: str) -> bool:
    """The alias after ``as`` (which ends at ``position``) is ``name`` itself."""
    alias = ALIAS_NAME.match(text, position)
    return alias is not None and alias.group(1) == name


def aliased(text: str, code: CodeRegions) -> bool:
    """Another name for a name sites are found by: ``Dense as D``, ``D = layers.Dense``."""
    if renamed_on_import(text, code):
        return True
    names = interesting()
    if names.isdisjoint(_last_name(bracketed or plain) for bracketed, plain in ASSIGNED_NAME.findall(text)):
        return False
    for match in ASSIGNED_NAME.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        value = match.group(1) or match.group(2)
        if _last_name(value) in names and STATEMENT_START.search(text, line_start, match.start()) and code(
                match.start()):
            return True
    return False


def _last_name(dotted: str) -> str:
    """``layers . Dense `` -> ``Dense`` (comments inside a parenthesized name dropped)."""
    if "#" in dotted:
        dotted = COMMENT.sub("", dotted)
    return dotted.rpartition(".")[2].strip()


# The judge of each kind of site (a kind without one is parsed whenever its words are in a file).
JUDGES: dict[Site, Callable[[FileJudge, str], bool]] = {
    ACTIVATION_SITE: FileJudge.activation_sites,
    ACTIVATION_KEYWORD_SITE: FileJudge.keyword_sites,
    ACTIVATIONS_ATTRIBUTE_SITE: FileJudge.attribute_sites,
    API_NAME_SITE: FileJudge.api_name_sites,
    LEARNING_RATE_SITE: FileJudge.learning_rate_sites,
    IDENTIFIER_SITE: FileJudge.identifier_sites,
}


ANY_FAMILY = "?"  # a parameter named at sites of two kinds: any literal given to it is doubtful
TOP_LEVEL_DEF = re.compile(r"""
    ^ (?: async [ \t]+ )? def [ \t]+   # a def at the start of a line (not a method)
    (\w+) [ \t]* \(                   # group 1: its name, then its parameters
""", re.MULTILINE | re.VERBOSE)


def textual_sinks(text: str) -> dict[str, tuple[tuple[str, ...], dict[str, str | None]]] | None:
    """What ``checker.module_sinks`` may find in a module, from its text: top-level function ->
    (its positional parameters in order, {parameter named at an activation or identifier site of
    the module: its family, None for an activation, ``ANY_FAMILY`` for both}). None when the text
    cannot be read. Names at sites anywhere in the module count for every function (more doubt,
    never less)."""
    if "keras" not in text or "def" not in text:
        return {}
    text, code = code_view(text)
    try:
        named = _names_at_sites(text)
        functions: dict[str, tuple[tuple[str, ...], dict[str, str | None]]] = {}
        for definition in TOP_LEVEL_DEF.finditer(text):
            if not code(definition.start()):
                continue
            positional, sinks, in_order = [], {}, True
            for keyword, start, _ in call_arguments(text, definition.end()):
                if keyword in ("*", "**"):
                    in_order = False
                parameter = keyword if keyword not in (None, "*", "**") else first_word(text, start)
                if in_order and parameter:  # ``loss`` and ``loss="mse"`` alike, until ``*``
                    positional.append(parameter)
                if parameter in named:
                    families = named[parameter]
                    sinks[parameter] = next(iter(families)) if len(families) == 1 else ANY_FAMILY
            if sinks:
                functions[definition.group(1)] = (tuple(positional), sinks)
        return functions
    except Doubt:
        return None


def _names_at_sites(text: str) -> dict[str, set[str | None]]:
    """Bare names given at activation sites (family None) and identifier sites in ``text``."""
    named: dict[str, set[str | None]] = {}

    def note(position: int, family: str | None) -> None:
        try:
            kind, value = read_value(text, position)
        except Doubt:  # a number, a display, a lambda: not a bare name
            return
        if kind == "name":
            named.setdefault(value, set()).add(family)

    for site in ACTIVATION_KEYWORD.finditer(text):
        note(site.end(), None)
    indices = load_catalog().positional_indices
    for call in calls_of(frozenset(indices)).finditer(text):
        layer = text[identifier_start(text, call.start()):call.end()]
        positional = [s for k, s, _ in call_arguments(text, call_opening(text, call.end())) if k is None]
        for index in indices.get(layer, ()):
            if index < len(positional):
                note(positional[index], None)
    for call in calls_of(frozenset({"get", "deserialize"})).finditer(text):  # activations.get, losses.get, ...
        owner = word_before(text, skip_space_before(text, call.start()) - 1)
        family = None if owner == "activations" else owner if owner in FAMILY_MODULES else ANY_FAMILY
        arguments = call_arguments(text, call_opening(text, call.end()))
        if arguments and arguments[0][0] is None:
            note(arguments[0][1], family)
    for pattern in IDENTIFIER_KEYWORDS:
        for site in pattern.finditer(text):
            family = keyword_family(word_before(text, site.end() - 1))
            if family:
                note(site.end(), family)
    for call in COMPILE_CALL.finditer(text):
        for keyword, start, stop in call_arguments(text, call.end()):
            if keyword in COMPILE_KEYWORDS:
                for kind, match in tokens_from(text, start):
                    if match.start() >= stop:
                        break
                    if kind == "name":
                        named.setdefault(match.group(), set()).add(COMPILE_KEYWORDS[keyword])
    return named


def _calls_project_sinks(text: str, modules) -> bool:
    """The file may call a top-level function of a project module it imports from that mentions Keras."""
    functions = frozenset().union(*(m.functions for m in modules().values()))
    if not functions:
        return False
    bound = project_imports(join_continuations(text))
    return bound is None or not functions.isdisjoint(bound)


MANY_NAMES = 16  # more names are found in one pass over every call (or binding) of the text


def whole_name(text: str, name: str) -> Iterator[tuple[int, int]]:
    """(start, where the spaces after it end) of each occurrence of ``name`` as a whole identifier."""
    position = text.find(name)
    while position >= 0:
        end = position + len(name)
        if identifier_start(text, position) == position and not (end < len(text) and (text[end].isalnum() or text[end] == "_")):
            while end < len(text) and text[end].isspace():
                end += 1
            yield position, end
        position = text.find(name, position + len(name))


def bindings_by_search(text: str, name: str) -> Iterator[tuple[int, int, str]]:
    """``BINDING``'s matches for the whole name ``name``: (start, end, ``=`` or ``:``), found by
    searching the name itself."""
    for start, after in whole_name(text, name):
        if after < len(text) and text[after] in ":=":
            yield start, after + 1, text[after]


def calls_by_name(text: str, names: Collection[str]) -> Iterator[tuple[str, int]]:
    """(name, where its arguments start: after the ``(``) for each call of one of ``names`` (also
    ``obj.name(``, never ``def name(``): a few names are searched for themselves, many are
    looked up among every call in one pass (a search per name is quadratic in many names)."""
    if len(names) > MANY_NAMES:
        for use in CALL_NAME.finditer(text):
            if use.group(1) in names and word_before(text, use.start(1)) != "def":
                yield use.group(1), use.end()
        return
    for name in names:
        for start, opening in whole_name(text, name):
            if text.startswith("(", opening) and word_before(text, start) != "def":
                yield name, opening + 1


FROM_IMPORT = re.compile(r"from \s+ [.\w]+ \s+ import \b", re.VERBOSE)  # ``from .models import``


def project_imports(text: str) -> dict[str, set[str]] | None:
    """Each name of the ``from ... import`` statements -> the names it is bound to (itself, or
    its ``as`` aliases): the checker follows calls of project functions imported so. None when a
    statement cannot be read."""
    bound: dict[str, set[str]] = {}
    for statement in FROM_IMPORT.finditer(text):
        try:
            for name, alias in imported_bindings(text, statement.end()):
                bound.setdefault(name, set()).add(alias)
        except Doubt:
            return None
    return bound
