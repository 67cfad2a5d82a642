"""Parse one Python source and run every rule over it: source text in, diagnostics out."""
from __future__ import annotations

from typing import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from keraslint.diagnostics import Diagnostic, Edit, Fix, Position
from keraslint.prefilter import layer_names, parse
from keraslint.resolve import ACTIVATION_KEYWORDS, CallRole, ModuleIndex, Resolver, is_activations_attribute, keras_path
from keraslint.rules import Context, Finding
from keraslint.rules.activations import check_literal
from keraslint.rules.api import check_attribute, check_keywords
from keraslint.rules.files import INTERNAL_ERROR, SYNTAX_ERROR

_NOT_A_LITERAL = object()


def literal_value(node: cst.BaseExpression) -> object:
    """The Python value of a literal node (strings, numbers, booleans), else a sentinel."""
    try:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            return value if isinstance(value, str) else _NOT_A_LITERAL
        if isinstance(node, (cst.Integer, cst.Float)):
            return node.evaluated_value
    except (ValueError, SyntaxError):
        return _NOT_A_LITERAL
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return _NOT_A_LITERAL


def cst_dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of libcst Name/Attribute nodes, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


class _SiteVisitor(cst.CSTVisitor):
    """Find the places where a value reaches Keras as an activation, and judge each one.

    ``keraslint.prefilter.screen`` walks the same sites on CPython's ast; keep the two in step
    (tests check they agree).
    """

    def __init__(self, resolver: Resolver, context: Context):
        self.resolver = resolver
        self.context = context
        self.layer_names = layer_names()
        self.findings: list[Finding] = []

    def _literal(self, node: cst.BaseExpression) -> None:
        value = literal_value(node)
        if value is not _NOT_A_LITERAL:
            finding = check_literal(node, value, self.context)
            if finding:
                self.findings.append(finding)

    def visit_Call(self, node: cst.Call) -> None:
        path = self.resolver.keras(cst_dotted_name(node.func))
        if path is None:
            return
        role = CallRole(path, self.layer_names)
        keywords = [a for a in node.args if a.keyword is not None]
        for arg in keywords:
            if arg.keyword.value in ACTIVATION_KEYWORDS:
                self._literal(arg.value)
        positional = [a for a in node.args if a.keyword is None and not a.star]
        if positional and role.positional_activation:
            self._literal(positional[0].value)
        if role.keyword_owner:
            owner, is_layer = role.keyword_owner
            named = [(a.keyword.value, a.keyword) for a in keywords]
            self.findings += check_keywords(owner, is_layer, named, self.context)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if is_activations_attribute(self.resolver.keras(cst_dotted_name(node))):
            finding = check_attribute(node.attr, node.attr.value, self.context)
            if finding:
                self.findings.append(finding)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative or isinstance(node.names, cst.ImportStar) or node.module is None:
            return False
        if keras_path(cst_dotted_name(node.module)) == "activations":
            for alias in node.names:
                if isinstance(alias.name, cst.Name):
                    finding = check_attribute(alias.name, alias.name.value, self.context)
                    if finding:
                        self.findings.append(finding)
        return False


def check_text(
    text: str,
    filename: str,
    context_for: Callable[[bool], Context],
    enabled: set[str] | None = None,
) -> list[Diagnostic]:
    """Diagnostics for one source text. ``context_for(uses_tf_keras)`` picks the target."""
    tree = parse(text)
    if isinstance(tree, tuple):
        line, column, message = tree
        return [_file_error(SYNTAX_ERROR.code, f"SyntaxError: {message}", filename, line, column)]
    try:
        module = cst.parse_module(text)
        resolver = Resolver(ModuleIndex(tree))
        visitor = _SiteVisitor(resolver, context_for(resolver.imports_tf_keras))
        module.visit(visitor)
        findings = [f for f in visitor.findings if enabled is None or f.rule.code in enabled]
        if not findings:
            return []
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    except RecursionError:
        return [_file_error(SYNTAX_ERROR.code, "Too deeply nested for keraslint's parser", filename, 1, 1)]
    except cst.ParserSyntaxError as error:
        return [_file_error(SYNTAX_ERROR.code, f"SyntaxError: {error.message}", filename, error.raw_line, error.raw_column + 1)]
    except Exception as error:  # a bug in keraslint must not stop the run
        message = f"Internal error ({type(error).__name__}: {error}); please report it with this file"
        return [_file_error(INTERNAL_ERROR.code, message, filename, 1, 1)]
    return [_diagnostic(f, positions[f.node], filename) for f in findings]


def replace_string(node: cst.BaseExpression, value: str) -> str | None:
    """The literal ``node`` rewritten to hold ``value``, keeping prefix and quotes; None if unsafe."""
    if not isinstance(node, cst.SimpleString):
        return None
    prefix, quote = node.prefix, node.quote
    body = node.value[len(prefix) + len(quote): -len(quote)]
    if body != node.evaluated_value or any(c in value for c in quote + "\\\n\r"):
        return None
    return f"{prefix}{quote}{value}{quote}"


def _replacement(finding: Finding) -> str | None:
    """Source text for the finding's node: a re-quoted string literal, or a plain identifier."""
    if finding.new_value is None:
        return None
    if isinstance(finding.node, cst.Name):
        return finding.new_value
    return replace_string(finding.node, finding.new_value)


def _diagnostic(finding: Finding, code_range, filename: str) -> Diagnostic:
    start = Position(code_range.start.line, code_range.start.column + 1)
    end = Position(code_range.end.line, code_range.end.column + 1)
    fix = None
    replacement = _replacement(finding)
    if replacement is not None:
        fix = Fix(finding.applicability, finding.fix_message, (Edit(replacement, start, end),))
    return Diagnostic(finding.rule.code, finding.message, filename, start, end, fix)


def _file_error(code: str, message: str, filename: str, line: int, column: int) -> Diagnostic:
    position = Position(max(line, 1), max(column, 1))
    return Diagnostic(code, message, filename, position, position)
