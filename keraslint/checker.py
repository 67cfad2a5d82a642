"""Parse one Python source and run every rule over it: source text in, diagnostics out."""
from __future__ import annotations

import ast
import warnings
from typing import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from keraslint.diagnostics import Diagnostic, Edit, Fix, Position
from keraslint.resolve import Resolver, dotted_name, keras_path
from keraslint.rules import Context, Finding
from keraslint.rules.activations import check_literal
from keraslint.rules.api import check_attribute, check_keywords
from keraslint.rules.files import INTERNAL_ERROR, SYNTAX_ERROR

ACTIVATION_KEYWORDS = frozenset({"activation", "recurrent_activation"})
ACTIVATION_GETTERS = frozenset({"activations.get", "activations.deserialize"})
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


class _SiteVisitor(cst.CSTVisitor):
    """Find the places where a value reaches Keras as an activation, and judge each one."""

    def __init__(self, resolver: Resolver, context: Context):
        self.resolver = resolver
        self.context = context
        self.layer_names = frozenset().union(*(r.layers for r in context.catalog.releases))
        self.findings: list[Finding] = []

    def _literal(self, node: cst.BaseExpression) -> None:
        value = literal_value(node)
        if value is not _NOT_A_LITERAL:
            finding = check_literal(node, value, self.context)
            if finding:
                self.findings.append(finding)

    def visit_Call(self, node: cst.Call) -> None:
        path = self.resolver.keras(node.func)
        if path is None:
            return
        owner = path.rpartition(".")[2]
        keywords = [a for a in node.args if a.keyword is not None]
        for arg in keywords:
            if arg.keyword.value in ACTIVATION_KEYWORDS:
                self._literal(arg.value)
        positional = [a for a in node.args if a.keyword is None and not a.star]
        if positional and (owner == "Activation" or path in ACTIVATION_GETTERS):
            self._literal(positional[0].value)
        if path.startswith("activations.") and path.count(".") == 1:
            self.findings += check_keywords(owner, False, keywords, self.context)
        elif path.startswith("layers.") and owner in self.layer_names:
            self.findings += check_keywords(owner, True, keywords, self.context)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        path = self.resolver.keras(node)
        if path and path.startswith("activations.") and path.count(".") == 1:
            finding = check_attribute(node.attr, node.attr.value, self.context)
            if finding:
                self.findings.append(finding)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.relative or isinstance(node.names, cst.ImportStar) or node.module is None:
            return False
        if keras_path(dotted_name(node.module)) == "activations":
            for alias in node.names:
                if isinstance(alias.name, cst.Name):
                    finding = check_attribute(alias.name, alias.name.value, self.context)
                    if finding:
                        self.findings.append(finding)
        return False


def syntax_error(text: str) -> tuple[int, int, str] | None:
    """CPython's verdict first: it rejects deep nesting and NUL bytes cleanly, before libcst."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as error:
        return error.lineno or 1, error.offset or 1, error.msg
    except (ValueError, MemoryError, RecursionError) as error:
        return 1, 1, str(error) or type(error).__name__
    return None


def check_text(
    text: str,
    filename: str,
    context_for: Callable[[bool], Context],
    enabled: set[str] | None = None,
    cell: int | None = None,
) -> list[Diagnostic]:
    """Diagnostics for one source text. ``context_for(uses_tf_keras)`` picks the target."""
    error = syntax_error(text)
    if error is not None:
        line, column, message = error
        return [_file_error(SYNTAX_ERROR.code, f"SyntaxError: {message}", filename, line, column, cell)]
    try:
        module = cst.parse_module(text)
        resolver = Resolver(module)
        visitor = _SiteVisitor(resolver, context_for(resolver.imports_tf_keras))
        module.visit(visitor)
        findings = [f for f in visitor.findings if enabled is None or f.rule.code in enabled]
        if not findings:
            return []
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    except RecursionError:
        return [_file_error(SYNTAX_ERROR.code, "Too deeply nested for keraslint's parser", filename, 1, 1, cell)]
    except cst.ParserSyntaxError as error:
        return [_file_error(SYNTAX_ERROR.code, f"SyntaxError: {error.message}", filename, error.raw_line, error.raw_column + 1, cell)]
    except Exception as error:  # a bug in keraslint must not stop the run
        message = f"Internal error ({type(error).__name__}: {error}); please report it with this file"
        return [_file_error(INTERNAL_ERROR.code, message, filename, 1, 1, cell)]
    return [_diagnostic(f, positions[f.node], filename, cell) for f in findings]


def _diagnostic(finding: Finding, code_range, filename: str, cell: int | None) -> Diagnostic:
    start = Position(code_range.start.line, code_range.start.column + 1)
    end = Position(code_range.end.line, code_range.end.column + 1)
    fix = None
    if finding.replacement is not None:
        fix = Fix(finding.applicability, finding.fix_message, (Edit(finding.replacement, start, end),))
    return Diagnostic(finding.rule.code, finding.message, filename, start, end, fix, cell)


def _file_error(code: str, message: str, filename: str, line: int, column: int, cell: int | None) -> Diagnostic:
    position = Position(max(line, 1), max(column, 1))
    return Diagnostic(code, message, filename, position, position, None, cell)
