"""Reading Python source as text, without parsing it: tokens, where code is (not strings or
comments), line continuations, argument lists and simple values.

The prefilter's judges read sites with these. Anything they cannot read exactly raises
``Doubt``, and the file is parsed instead. Each pattern is tested against a table of texts it
must and must not match (``tests/test_lexer.py``).
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

# Python string literals: a prefix, then triple-quoted, or single-line with escapes allowed.
_PREFIX = r"(?P<prefix>[rRbBuUfF]{0,2})"
_TRIPLE_QUOTED = r'"""(?:[^"\\]|\\.|"(?!""))*"""' + r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
_QUOTED = r'"(?:[^"\\\r\n]|\\.)*"' + r"|'(?:[^'\\\r\n]|\\.)*'"
_TOKEN = re.compile(rf"""
    (?P<space>(?:[ \t\f\r\n]|\\\r?\n)+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>{_PREFIX}(?:{_TRIPLE_QUOTED}|"(?P<dq>[^"\\\r\n]*)"|'(?P<sq>[^'\\\r\n]*)'|{_QUOTED}))
  | (?P<name>[^\W\d]\w*)
  | (?P<open>[(\[{{])
  | (?P<close>[)\]}}])
  | (?P<op>==|!=|<=|>=|:=|->|\*\*|[,=*:.;])
  | (?P<other>[^\s"'\#()\[\]{{}},=*:.;\w]+|\d[\w.]*)
""", re.VERBOSE | re.DOTALL)


class Doubt(Exception):
    """The text is not simple enough to judge without parsing."""


Token = tuple[str, "re.Match[str]"]  # (kind: a group name of ``_TOKEN``, the match)
END: Token = ("end", next(re.finditer("", "")))  # what ``next(tokens, END)`` gives after the last token


def tokens_from(text: str, position: int) -> Iterator[Token]:
    """(kind, match) from ``position`` on, without spaces and comments; Doubt on anything odd."""
    match = _TOKEN.match(text, position)
    while match is not None:
        position = match.end()
        kind = match.lastgroup or ""
        if kind == "string" and not well_formed(match):
            raise Doubt
        if kind not in ("space", "comment"):
            yield kind, match
        match = _TOKEN.match(text, position)
    if position < len(text):
        raise Doubt  # a character no token starts with: an unterminated string


def well_formed(match: re.Match[str]) -> bool:
    """False for an f-string token that may have ended early: Python 3.12 lets a replacement
    field reuse the string's quotes (``f"{d["k"]}"``), which leaves a ``{`` unclosed here."""
    if "f" not in match.group("prefix").lower():
        return True
    token = match.group().replace("{{", "").replace("}}", "")
    return token.count("{") == token.count("}")


def literal(match: re.Match[str]) -> str | None:
    """The value of a plain string token; None for an f-string (never a constant); Doubt for
    escapes, triple quotes and bytes."""
    prefix = match.group("prefix").lower()
    if "f" in prefix:
        return None
    value = match.group("dq")
    if value is None:
        value = match.group("sq")
    if value is None or "b" in prefix:
        raise Doubt
    return value


_STRING_OR_COMMENT = re.compile(rf"""
    (?P<comment> \#[^\r\n]* )
  | (?P<string> {_PREFIX} (?: {_TRIPLE_QUOTED} | {_QUOTED} ) )
  | (?P<stray> ["'] )            # a quote that opens no string: the text does not parse
""", re.VERBOSE | re.DOTALL)


class CodeRegions:
    """Tells whether a position of a text is code, not inside a string or a comment (where a
    string opens is code: a value starts there).

    Strings and comments are read from the start as far as a question needs. From a quote that
    starts no string (the text does not parse) or an f-string that may have ended early, every
    position counts as code.
    """

    def __init__(self, text: str):
        self.spans: Iterator[re.Match[str]] | None = _STRING_OR_COMMENT.finditer(text)
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.reliable = True

    def __call__(self, position: int) -> bool:
        while self.spans is not None and (not self.starts or self.starts[-1] < position):
            match = next(self.spans, None)
            if match is None:
                self.spans = None
            elif match.lastgroup == "stray" or (match.lastgroup == "string" and not well_formed(match)):
                self.spans, self.reliable = None, False
            else:
                self.starts.append(match.start())
                self.ends.append(match.end())
        if not self.reliable:
            return True
        index = bisect.bisect_left(self.starts, position) - 1  # the last string opening before
        return index < 0 or position >= self.ends[index]


def unix_newlines(text: str) -> str:
    """``text`` with ``\\r\\n`` as ``\\n `` and a lone ``\\r`` as ``\\n`` (same length, so positions
    hold), for patterns that end a line at ``\\n``."""
    return text.replace("\r\n", "\n ").replace("\r", "\n") if "\r" in text else text


CONTINUATION = re.compile(r"\\ (?: \r\n | \r | \n )", re.VERBOSE)  # a backslash ending a line


def join_continuations(text: str, code: CodeRegions | None = None) -> str:
    """``text`` with every line continuation (backslash-newline) in code turned into as many
    spaces, so patterns read a continued statement as one line; positions stay the same.

    Without ``code`` every continuation is joined (for patterns that may find too much, never
    too little). With it, those in strings and comments stay: a backslash does not continue a
    comment, and joining one would hide the next line in it.
    """
    if "\\\n" not in text and "\\\r" not in text:
        return text
    pieces, last = [], 0
    for continuation in CONTINUATION.finditer(text):
        if code is None or code(continuation.start()):
            pieces += [text[last: continuation.start()], " " * (continuation.end() - continuation.start())]
            last = continuation.end()
    return "".join(pieces) + text[last:]


def code_view(text: str) -> tuple[str, CodeRegions]:
    """The text as the site patterns read it (LF line endings, continuations in code joined; the
    same positions), and where its code is."""
    text = unix_newlines(text)
    code = CodeRegions(text)
    return join_continuations(text, code), code


def read_value(text: str, position: int, chained: bool = False) -> tuple[str, str]:
    """What the expression at ``position`` is, as far as the rules care.

    ("literal", value) for a plain string literal (possibly parenthesized), ("name", NAME) for
    a bare name, ("other", "") for ``None``, f-strings, calls, subscripts and attributes,
    which no literal rule judges. ``chained`` first skips assignment targets (``a = b = "x"``). Doubt
    for anything else (numbers, booleans, lambdas, displays, implicitly concatenated strings).
    """
    for _ in range(MAX_CHAINED_TARGETS):
        tokens = tokens_from(text, position)
        kind, match = next(tokens, END)
        while kind == "open" and match.group() == "(":
            kind, match = next(tokens, END)
        if kind == "string":
            value = literal(match)
            if next(tokens, END)[0] == "string":
                raise Doubt  # implicit concatenation: the value is not this literal
            return ("other", "") if value is None else ("literal", value)
        if kind != "name" or match.group() in ("True", "False", "lambda"):
            raise Doubt
        following, after = next(tokens, END)
        if chained and following == "op" and after.group() == "=":
            position = after.end()  # ``a = b = "x"``: on to the next target
            continue
        if match.group() == "None" or (following == "open" and after.group() in "([") or (
            following == "op" and after.group() == "."
        ):
            return "other", ""
        return "name", match.group()
    raise Doubt  # more assignment targets in a row than any program has


MAX_CHAINED_TARGETS = 32
MAX_NESTING = 50  # brackets inside one call's arguments; deeper ones are rare enough to parse
MAX_LINE = 10_000  # characters: a longer line (generated data, minified code) is parsed, not read

FIRST_WORD = re.compile(r"\s* (\w+)", re.VERBOSE)  # group 1: the identifier after spaces


def first_word(text: str, position: int) -> str:
    """The identifier at ``position`` (a parameter's name in a signature), or ``""``."""
    match = FIRST_WORD.match(text, position)
    return match.group(1) if match else ""


def call_arguments(text: str, position: int, positional: bool = False) -> list[tuple[str | None, int, int]]:
    """Top-level arguments of the call whose ``(`` ends at ``position``, in source order.

    Each is (keyword, start, end): keyword None for a positional argument, ``*`` for
    ``*args``, ``**`` for ``**kwargs``; [start, end) is the value. Doubt when the call is not
    closed. ``positional``: only the arguments before the first keyword (``name=`` or ``**``),
    which are all the positional arguments but a ``*args`` after them.
    """
    arguments: list[tuple[str | None, int, int]] = []
    depth = 1
    keyword: str | None = None
    start = -1  # -1: at the beginning of an argument
    tokens = tokens_from(text, position)
    for kind, match in tokens:
        token = match.group()
        if depth == 1 and start < 0:
            if kind == "close":
                return arguments
            start = match.start()
            if kind == "op" and token in ("*", "**"):
                if positional and token == "**":
                    return arguments
                keyword = token
                continue
            if kind == "name":
                following, after = next(tokens, END)
                if following == "op" and after.group() == "=":
                    if positional:
                        return arguments
                    keyword, start = token, after.end()
                    continue
                kind, match, token = following, after, after.group()
        if kind == "open":
            depth += 1
            if depth > MAX_NESTING:  # reading on would cost time per call site nested in this one
                raise Doubt
        elif kind == "close":
            depth -= 1
            if depth == 0:
                arguments.append((keyword, start, match.start()))
                return arguments
        elif depth == 1 and kind == "op" and token == ",":
            arguments.append((keyword, start, match.start()))
            keyword, start = None, -1
    raise Doubt


def identifier_start(text: str, position: int) -> int:
    """Where the identifier characters that end at ``position`` begin."""
    start = position
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return start


def skip_space_before(text: str, position: int) -> int:
    """Where the spaces and line continuations that end at ``position`` begin."""
    while position > 0 and text[position - 1] in " \t\r\n\f\\":
        position -= 1
    return position


def dotted_before(text: str, position: int) -> str:
    """The dotted name that ends right before ``position`` (``tensorflow.keras.activations``),
    also with spaces around its dots; a relative import keeps its leading dots (``..layers``)."""
    names = []
    end = position
    while True:
        end = skip_space_before(text, end)
        start = identifier_start(text, end)
        names.append(text[start:end])
        end, dots = skip_space_before(text, start), 0
        while end > 0 and text[end - 1] == ".":
            end, dots = skip_space_before(text, end - 1), dots + 1
        before = text[identifier_start(text, end):end]
        if dots != 1 or before in ("", "from"):
            return "." * dots + ".".join(reversed(names))


def word_before(text: str, position: int) -> str:
    """The identifier that ends right before ``position`` (spaces and line continuations skipped)."""
    end = skip_space_before(text, position)
    return text[identifier_start(text, end):end]


def imported_names(text: str, position: int) -> list[str]:
    """The names after ``import`` at ``position`` (parenthesized or not, ``as`` aliases dropped)."""
    return [name for name, _ in imported_bindings(text, position)]


def imported_bindings(text: str, position: int) -> list[tuple[str, str]]:
    """(name, the name it is bound to: its ``as`` alias or itself) after ``import`` at ``position``."""
    names: list[tuple[str, str]] = []
    parenthesized = False
    expect_name: bool | None = True  # None: the alias after ``as`` comes next
    for kind, match in tokens_from(text, position):
        token = match.group()
        if kind == "open" and token == "(" and not names:
            parenthesized = True
        elif kind == "name" and expect_name:
            names.append((token, token))
            expect_name = False
        elif kind == "name" and token == "as":
            expect_name = None  # the alias comes next
        elif kind == "name" and expect_name is None:
            names[-1] = (names[-1][0], token)
            expect_name = False
        elif kind == "op" and token == "*":
            names.append(("*", "*"))
        elif kind == "op" and token == ",":
            expect_name = True
        elif parenthesized and kind == "close":
            break
        elif not parenthesized:
            break
    return names
