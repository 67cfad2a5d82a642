"""The cheap first look: prove from the text alone that a file has no finding, parse the rest.

Two levels, both sound (a file is skipped only when parsing it would find nothing; tests
check this on the fixtures, the corpus and generated programs):

1. Words. Every site a rule looks at contains ``keras`` (or an import from a project module
   that re-exports Keras names) and an activation word, a layer that takes its activation
   positionally, an identifier-site word (``_initializer``, ``compile``, ``.get``), ...
2. Sites. Each site in the text is read with a small tokenizer and judged the way the rules
   would judge it: ``activation="relu"`` with a name every target accepts, ``activation=None``,
   ``activation=tf.nn.relu``, ``Dense(64)`` (nothing in the positional activation slot),
   ``kernel_initializer="he_normal"``, ``model.compile(loss="mse")`` are clean. A name passed
   as an activation is clean when the file never binds it to a doubtful string and defines no
   function of that name. Anything the tokenizer does not fully understand (aliases of the
   names it looks for, f-strings, escapes, lambdas, dict configs, numbers) counts as doubtful,
   and the file is parsed.

Literals are judged with the rules' own functions, so the two paths cannot disagree on what
a valid name is.
"""
from __future__ import annotations

import ast
import functools
import re
import warnings

from keraslint.catalog import load as load_catalog
from keraslint.rules import Context
from keraslint.rules.activations import check_literal
from keraslint.rules.api import check_attribute, check_keywords
from keraslint.rules.identifiers import COMPILE_KEYWORDS, FAMILY_MODULES, KEYWORD_FAMILIES, check_identifier



@functools.lru_cache(maxsize=1)
def layer_names() -> frozenset[str]:
    """Activation layer classes of any release."""
    return frozenset().union(*(r.layers for r in load_catalog().releases))


@functools.lru_cache(maxsize=1)
def positional_layers() -> frozenset[str]:
    """Layer classes that take ``activation`` positionally in some release (and ``Activation``)."""
    return frozenset().union(*(r.positional_activation for r in load_catalog().releases)) | {"Activation"}


@functools.lru_cache(maxsize=1)
def activation_functions() -> frozenset[str]:
    """Functions of ``keras.activations`` in any release (owners of keyword arguments)."""
    return frozenset().union(*(r.functions for r in load_catalog().releases))


def cover(names) -> tuple[str, ...]:
    """The names that contain no other name: a text has one of ``names`` only if it has one of these."""
    return tuple(sorted(n for n in names if not any(o != n and o in n for o in names)))


@functools.lru_cache(maxsize=1)
def positional_needles() -> tuple[str, ...]:
    return cover(positional_layers())


@functools.lru_cache(maxsize=1)
def needles() -> tuple[str, ...]:
    """Words without which a file has no activation site (KL201 owners aside, see ``Prefilter``)."""
    return cover({"ctivation", *positional_layers()})


IDENTIFIER_WORDS = ("_initializer", "_regularizer", "_constraint", "compile", "get")


# --- a tokenizer for the few places the second level reads --------------------------------
_TOKEN = re.compile(r"""
    (?P<space>(?:[ \t\f\r\n]|\\\r?\n)+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>(?P<prefix>[rRbBuUfF]{0,2})(?:
        \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      | '''(?:[^'\\]|\\.|'(?!''))*'''
      | "(?P<dq>[^"\\\r\n]*)"
      | '(?P<sq>[^'\\\r\n]*)'
      | "(?:[^"\\\r\n]|\\.)*"
      | '(?:[^'\\\r\n]|\\.)*'
    ))
  | (?P<name>[^\W\d]\w*)
  | (?P<open>[(\[{])
  | (?P<close>[)\]}])
  | (?P<op>==|!=|<=|>=|:=|->|\*\*|[,=*:.;])
  | (?P<other>[^\s"'\#()\[\]{},=*:.;\w]+|\d[\w.]*)
""", re.VERBOSE | re.DOTALL)


class Doubt(Exception):
    """The text is not simple enough to judge without parsing."""


def _tokens(text: str, position: int):
    """(kind, match) from ``position`` on, without spaces and comments; Doubt on anything odd."""
    end = position
    for match in iter(_TOKEN.scanner(text, position).match, None):
        end = match.end()
        kind = match.lastgroup
        if kind in ("space", "comment"):
            continue
        if kind == "string" and "f" in match.group("prefix").lower():
            raise Doubt  # f-strings may nest quotes (Python 3.12): the structure is no longer certain
        yield kind, match
    if end < len(text):
        raise Doubt  # a character no token starts with: an unterminated string


def _literal(match) -> str:
    """The value of a plain string token; Doubt for escapes, triple quotes and bytes."""
    value = match.group("dq")
    if value is None:
        value = match.group("sq")
    if value is None or "b" in match.group("prefix").lower():
        raise Doubt
    return value


def read_value(text: str, position: int, chained: bool = False) -> tuple[str, str | None]:
    """What the expression at ``position`` is, as far as the rules care.

    ("literal", value) for a plain string literal (possibly parenthesized), ("name", NAME) for
    a bare name, ("other", None) for ``None``, calls, subscripts and attributes, which no
    literal rule judges. ``chained`` first skips assignment targets (``a = b = "x"``). Doubt
    for anything else (numbers, booleans, lambdas, displays, implicitly concatenated strings).
    """
    tokens = _tokens(text, position)
    kind, match = next(tokens, (None, None))
    while kind == "open" and match.group() == "(":
        kind, match = next(tokens, (None, None))
    if kind == "string":
        value = _literal(match)
        if next(tokens, (None, None))[0] == "string":
            raise Doubt  # implicit concatenation: the value is not this literal
        return "literal", value
    if kind != "name" or match.group() in ("True", "False", "lambda"):
        raise Doubt
    following, after = next(tokens, (None, None))
    if chained and following == "op" and after.group() == "=":
        return read_value(text, after.end(), chained=True)
    if match.group() == "None" or (following == "open" and after.group() in "([") or (
        following == "op" and after.group() == "."
    ):
        return "other", None
    return "name", match.group()


def call_arguments(text: str, position: int) -> list[tuple[str | None, int, int]]:
    """Top-level arguments of the call whose ``(`` ends at ``position``, in source order.

    Each is (keyword, start, end): keyword None for a positional argument, ``*`` for
    ``*args``, ``**`` for ``**kwargs``; [start, end) is the value. Doubt when the call is not closed.
    """
    arguments = []
    depth = 1
    keyword, start = None, None  # start None: at the beginning of an argument
    tokens = _tokens(text, position)
    for kind, match in tokens:
        token = match.group()
        if depth == 1 and start is None:
            if kind == "close":
                return arguments
            start = match.start()
            if kind == "op" and token in ("*", "**"):
                keyword = token
                continue
            if kind == "name":
                following, after = next(tokens, (None, None))
                if following == "op" and after.group() == "=":
                    keyword, start = token, after.end()
                    continue
                kind, match, token = following, after, after.group() if after else ""
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 0:
                arguments.append((keyword, start, match.start()))
                return arguments
        elif depth == 1 and kind == "op" and token == ",":
            arguments.append((keyword, start, match.start()))
            keyword, start = None, None
    raise Doubt


def _words(names) -> str:
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))


def _identifier_start(text: str, position: int) -> int:
    """Where the identifier characters that end at ``position`` begin."""
    start = position
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return start


def _word_before(text: str, position: int) -> str:
    """The identifier that ends right before ``position`` (spaces and line continuations skipped)."""
    end = position
    while end > 0 and text[end - 1] in " \t\r\n\f\\":
        end -= 1
    return text[_identifier_start(text, end):end]


# Patterns start with a literal or a character class, so ``re`` can skip ahead quickly;
# word boundaries are checked on the (few) matches instead.
ACTIVATION_SITE = re.compile(r"""activation(?:\s*(?::[^=\n]*)?=(?!=)|["']\s*:)""")
CALL_PAREN = re.compile(r"\s*\(")
ACTIVATION_GETTER = re.compile(r"activations\s*\.\s*(?:get|deserialize)\s*\(")
ACTIVATIONS_ATTRIBUTE = re.compile(r"activations\s*\.\s*([^\W\d]\w*)")
IDENTIFIER_KEYWORD = re.compile(r"_(initializer|regularizer|constraint)\s*=(?!=)")
COMPILE_CALL = re.compile(r"\.\s*compile\s*\(")
GET_CALL = re.compile(r"\.\s*get\s*\(")
IMPORT = re.compile(r"import\b")
AS = re.compile(r" as\s")
AS_OPENING_LINE = re.compile(r"\n[ \t\f]*as\s")
AS_AFTER_TAB = re.compile(r"[\t\f]as\s")
# ``NAME = a.b.c`` on one line, also ``NAME = (`` / ``NAME = \`` continued on the next lines
ASSIGNED_NAME = re.compile(
    r"=[ \t]*(?:\\\r?\n[ \t]*)?(?:\((?:\s|\\|#[^\n]*)*)?([^\W\d][\w. \t]*?)[ \t)]*(?:[;#][^\n]*)?$", re.MULTILINE)
STATEMENT_START = re.compile(r"(?:^|;)[ \t]*[^\W\d]\w*[ \t]*\Z", re.MULTILINE)


class Prefilter:
    """Decides, from a file's text, that it cannot have a finding for these targets.

    ``contexts`` are the rule contexts of the main target and of the target for files that
    import tf_keras; a literal is clean when the rules find nothing in it for the target(s)
    the file may be checked against.
    """

    def __init__(self, contexts: tuple[Context, Context], enabled: frozenset[str] | None = None):
        self.contexts_of = {False: contexts[:1], True: contexts}
        self.families = {code[:3] for code in enabled} if enabled is not None else {"KL1", "KL2", "KL3", "KL4"}
        self.judged: dict[tuple, bool] = {}
        self.interesting = positional_layers() | layer_names() | activation_functions() | {"activations", *FAMILY_MODULES}
        self.absent_paths = [path.rsplit(".", 1) for path in load_catalog().overrides["absent_modules"]["paths"]]
        self.flagged_of = {tf_keras: _flagged_keywords(self.contexts_of[tf_keras]) for tf_keras in (False, True)}
        owners = set(self.flagged_of[True])
        self.owner_call = re.compile(rf"(?:{_words(owners)})(?=\s*\()") if owners else None
        self.needles = needles() + cover(owners)

    def may_have_findings(self, text: str, project_exports: dict | None = None) -> bool:
        """False only when no rule can find anything in ``text``.

        ``project_exports`` are the Keras names of the project modules the file imports from
        (module -> {name: Keras name}); without ``keras`` in its text a file can reach Keras
        only through them."""
        if "keras" not in text and not project_exports:
            return False
        activation_words = any(word in text for word in self.needles)
        identifier_words = "KL4" in self.families and any(word in text for word in IDENTIFIER_WORDS)
        if not (activation_words or identifier_words):
            return False
        self.contexts = self.contexts_of["tf_keras" in text]
        self.flagged = self.flagged_of["tf_keras" in text]
        try:
            if self._aliases(text, project_exports or {}):
                return True
            return (activation_words and self._activation_sites(text)) or (
                identifier_words and self._identifier_sites(text))
        except Doubt:
            return True

    def _aliases(self, text: str, project_exports: dict) -> bool:
        """Another name for a name the sites are found by: ``Dense as D``, ``D = layers.Dense``,
        or a name that a project module re-exports under another name."""
        patterns = (AS, AS_OPENING_LINE) + ((AS_AFTER_TAB,) if "\tas" in text or "\fas" in text else ())
        for pattern in patterns:
            for match in pattern.finditer(text):
                if _word_before(text, match.end() - 3) in self.interesting:
                    return True
        for match in ASSIGNED_NAME.finditer(text):
            last = match.group(1).rpartition(".")[2].split()
            line_start = text.rfind("\n", 0, match.start()) + 1
            if last and last[-1] in self.interesting and STATEMENT_START.search(text, line_start, match.start()):
                return True
        renamed = {name for names in project_exports.values() for name, target in names.items()
                   if target.rpartition(".")[2] != name}
        return any(re.search(rf"\b{name}\b", text) for name in renamed if name in text)

    # --- activation sites (KL1, KL2, KL3) ---
    def _activation_sites(self, text: str) -> bool:
        names = set()
        for site in ACTIVATION_SITE.finditer(text):
            if self._doubtful_activation(text, site.end(), names):
                return True
        calls = {}
        for word in positional_needles():
            if word in text:
                for match in re.finditer(rf"{word}\w*(?=\s*\()", text):
                    start = _identifier_start(text, match.start())
                    if text[start: match.end()] in positional_layers():
                        calls[start] = (text[start: match.end()], match.end())
        calls = list(calls.values()) + [("Activation", m.end() - 1) for m in ACTIVATION_GETTER.finditer(text)]
        for layer, end in calls:
            indices = {0} if layer == "Activation" else {c.target.positional_index(layer) for c in self.contexts} - {None}
            if not indices:
                continue
            opening = CALL_PAREN.match(text, end)
            positional = [(k, s) for k, s, _ in call_arguments(text, opening.end()) if k in (None, "*")]
            if any(k == "*" for k, _ in positional[: max(indices) + 1]):
                return True
            if any(self._doubtful_activation(text, positional[i][1], names) for i in indices if i < len(positional)):
                return True
        if any(self._carries_doubt(text, name) for name in names):
            return True
        return "KL2" in self.families and (self._keyword_sites(text) or self._attribute_sites(text))

    def _doubtful_activation(self, text: str, position: int, names: set) -> bool:
        """Is the value at ``position``, which reaches Keras as an activation, doubtful?
        Bare names are collected in ``names``; their bindings are looked at later."""
        kind, value = read_value(text, position)
        if kind == "literal":
            return not self._valid(check_literal, value)
        if kind == "name":
            names.add(value)
        return False

    def _valid(self, check, value: str, *family: str) -> bool:
        """The rule function ``check`` finds nothing in ``value`` for the file's target(s)."""
        key = (check.__name__, len(self.contexts), *family, value)
        if key not in self.judged:
            self.judged[key] = all(check(None, *family, value, c) is None for c in self.contexts)
        return self.judged[key]

    def _carries_doubt(self, text: str, name: str) -> bool:
        """``name`` is a function of this file, or is bound to a doubtful string somewhere."""
        if re.search(rf"def\s+{name}\b", text):
            return True
        for binding in re.finditer(rf"{name}\s*(?::[^=\n]*)?=(?!=)", text):
            kind, value = read_value(text, binding.end(), chained=True)
            if kind == "literal" and not self._valid(check_literal, value):
                return True
        return False

    def _keyword_sites(self, text: str) -> bool:
        """Keywords of activation functions and layers that a target does not take (KL201)."""
        if self.owner_call is None:
            return False
        for call in self.owner_call.finditer(text):
            if _identifier_start(text, call.start()) != call.start():
                continue  # ``my_relu(`` is not ``relu(``
            opening = CALL_PAREN.match(text, call.end())
            keywords = {k for k, _, _ in call_arguments(text, opening.end())}
            if keywords & self.flagged.get(call.group(), set()):
                return True
        return False

    def _attribute_sites(self, text: str) -> bool:
        """``activations.<name>`` a target lacks, imports from ``activations``, absent module paths (KL202)."""
        for attribute in ACTIVATIONS_ATTRIBUTE.finditer(text):
            if not self._valid(check_attribute, attribute.group(1)):
                return True
        for module, names in self._module_imports(text):
            if module == "activations" and any(
                    name in ("*", "get", "deserialize") or not self._valid(check_attribute, name) for name in names):
                return True
        for parent, name in self.absent_paths:
            for use in re.finditer(rf"\.\s*{name}\b", text):
                owner = _word_before(text, use.start())
                rebound = rf"\b{parent}\s+as\s+{owner}\b|^[ \t]*{owner}[ \t]*=[ \t]*[\w. \t]*\b{parent}[ \t]*$"
                if owner == parent or re.search(rebound, text, re.MULTILINE):
                    return True
        return False

    @staticmethod
    def _module_imports(text: str):
        """(module, imported names) of ``from ...activations import`` / ``from ...losses import`` ..."""
        for statement in IMPORT.finditer(text):
            module = _word_before(text, statement.start())
            if module in FAMILY_MODULES or module == "activations":
                yield module, _imported_names(text, statement.end())

    # --- identifier sites (KL4) ---
    def _identifier_sites(self, text: str) -> bool:
        for site in IDENTIFIER_KEYWORD.finditer(text):
            if self._doubtful_identifier(text, site.end(), KEYWORD_FAMILIES[site.group(1)]):
                return True
        for call in GET_CALL.finditer(text):
            family = _word_before(text, call.start())
            if family in FAMILY_MODULES:
                arguments = call_arguments(text, call.end())
                if arguments and arguments[0][0] is None and self._doubtful_identifier(text, arguments[0][1], family):
                    return True
        if any(module != "activations" and ("*" in names or "get" in names) for module, names in self._module_imports(text)):
            return True
        for call in COMPILE_CALL.finditer(text):
            for keyword, start, end in call_arguments(text, call.end()):
                if keyword in COMPILE_KEYWORDS and self._doubtful_strings(text, start, end, COMPILE_KEYWORDS[keyword]):
                    return True
        return False

    def _doubtful_identifier(self, text: str, position: int, family: str) -> bool:
        kind, value = read_value(text, position)
        return kind == "literal" and not self._valid(check_identifier, value, family)

    def _doubtful_strings(self, text: str, start: int, end: int, family: str) -> bool:
        """Any string in ``text[start:end]`` (dict keys aside) that ``family`` does not accept."""
        pending = None  # a literal waiting to see whether ``:`` (a dict key) follows
        for kind, match in _tokens(text, start):
            if match.start() >= end:
                break
            if pending is not None and kind == "string":
                raise Doubt  # implicit concatenation
            if pending is not None and not (kind == "op" and match.group() == ":"):
                if not self._valid(check_identifier, pending, family):
                    return True
            pending = _literal(match) if kind == "string" else None
        return pending is not None and not self._valid(check_identifier, pending, family)


def _flagged_keywords(contexts) -> dict[str, set[str]]:
    """Owner (activation function or layer) -> keywords that KL201 reports for some context."""
    flagged = {}
    for owner in layer_names() | activation_functions():
        kinds = [is_layer for is_layer, names in ((True, layer_names()), (False, activation_functions())) if owner in names]
        for is_layer in kinds:
            candidates = [(k, k) for k in _keywords_of(owner, is_layer)]
            for context in contexts:
                for finding in check_keywords(owner, is_layer, candidates, context):
                    flagged.setdefault(owner, set()).add(finding.node)
    return flagged


def _keywords_of(owner: str, is_layer: bool) -> set[str]:
    """Every keyword any release names for ``owner``, and their renamed forms."""
    names = set()
    for release in load_catalog().releases:
        if is_layer:
            layer = release.layers.get(owner, {})
            names.update(layer.get("keywords", []), layer.get("deprecated", []))
        else:
            names.update(release.functions.get(owner) or [])
    return names


def _imported_names(text: str, position: int) -> list[str]:
    """The names after ``import`` at ``position`` (parenthesized or not, ``as`` aliases dropped)."""
    names, parenthesized, expect_name = [], False, True
    for kind, match in _tokens(text, position):
        token = match.group()
        if kind == "open" and token == "(" and not names:
            parenthesized = True
        elif kind == "name" and expect_name:
            names.append(token)
            expect_name = False
        elif kind == "name" and token == "as":
            expect_name = None  # the alias comes next
        elif kind == "name" and expect_name is None:
            expect_name = False
        elif kind == "op" and token == "*":
            names.append("*")
        elif kind == "op" and token == ",":
            expect_name = True
        elif parenthesized and kind == "close":
            break
        elif not parenthesized:
            break
    return names


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
