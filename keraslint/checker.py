"""One Python source in, diagnostics out: parse, resolve, run the rules, attach positions and fixes.

Sites are found on CPython's ``ast`` (fast and robust on any file CPython accepts). Fixes for
string literals are rendered with libcst, which re-reads just that literal's source so its
prefix and quotes are kept exactly; libcst is imported only when a fix is rendered.
"""
from __future__ import annotations

import ast
import bisect
import collections
import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from keraslint.diagnostics import Diagnostic, Edit, Fix, Position
from keraslint.registrations import registered_names
from keraslint.resolve import (
    ACTIVATION_KEYWORDS,
    LOCAL_PREFIX,
    ROOTS,
    CallRole,
    KerasCall,
    ModuleIndex,
    Resolver,
    dotted_name,
    is_activations_attribute,
    keras_calls,
    keras_path,
    public_keras_path,
)
from keraslint.rules import Anchor, AttributeName, Context, Finding, ImportedName, KeywordName, Site, call_checks
from keraslint.rules.activations import ACTIVATION_SITE, check_config_dict, check_literal
from keraslint.rules.api import (
    ACTIVATION_KEYWORD_SITE,
    ACTIVATIONS_ATTRIBUTE_SITE,
    API_MODULES,
    API_NAME_SITE,
    LEARNING_RATE_KEYWORDS,
    LEARNING_RATE_SITE,
    absent_module,
    check_api_name,
    check_attribute,
    check_keywords,
    check_module_path,
    check_optimizer_keyword,
)
from keraslint.rules.custom import check_function
from keraslint.rules.files import INTERNAL_ERROR, SYNTAX_ERROR
from keraslint.rules.identifiers import (
    COMPILE_KEYWORDS,
    FAMILY_MODULES,
    FAMILY_WORDS,
    IDENTIFIER_SITE,
    check_identifier,
    keyword_family,
)
from keraslint.sources import parse

if TYPE_CHECKING:
    from keraslint.catalog import Target

LITERAL_TYPES = (str, bool, int, float)
SinksOf = Callable[[str], "dict[str, FunctionSinks]"]  # project module -> its functions' sinks


class _Pass:
    """One reading of a module for one target: a method per kind of site (``READERS``), sharing
    what must happen once per module (a literal judged once per family of rules, a custom
    function analysed once, the function parameters found at sites for the flows)."""

    def __init__(self, index: ModuleIndex, resolver: Resolver, context: Context, calls: list[KerasCall],
                 unrooted: bool, sinks_of: SinksOf | None = None):
        self.index, self.resolver, self.context, self.calls, self.unrooted = index, resolver, context, calls, unrooted
        self.sinks_of = sinks_of
        self.findings: list[Finding] = []
        self.judged: set[int] = set()
        self.judged_identifiers: set[int] = set()
        self.analysed: set[int] = set()
        self.definitions: dict[str, list] = {}
        for function in index.functions:
            self.definitions.setdefault(function.name, []).append(function)
        self.parameter_sites: list[tuple[ast.Name, str | None, int]] = []  # (name, family or None, line)

    def judge(self, node: ast.AST, where: str = "") -> None:
        """Run the literal (activation) rules once per literal; ``where`` says how an indirect value got there."""
        if id(node) in self.judged or not (isinstance(node, ast.Constant) and isinstance(node.value, LITERAL_TYPES)):
            return
        self.judged.add(id(node))
        finding = check_literal(node, node.value, self.context)
        if finding:
            self.findings.append(finding._replace(message=finding.message + where) if where else finding)

    def judge_identifier(self, node: ast.Constant, family: str, where: str = "") -> None:
        """Run the identifier rules once per literal (a literal can also be judged as an activation)."""
        if id(node) in self.judged_identifiers or not isinstance(node.value, str):
            return
        self.judged_identifiers.add(id(node))
        finding = check_identifier(node, family, node.value, self.context)
        if finding:
            self.findings.append(finding._replace(message=finding.message + where) if where else finding)

    def activations(self) -> None:
        """Activation values of Keras calls (KL1), the custom functions they name (KL3), and the
        keyword defaults that reach them."""
        for keras_call in self.calls:
            for value in activation_values(keras_call.node, keras_call.role, self.context.target):
                self._activation(value, keras_call.node)
        self.parameter_sites += _activation_parameters(self.calls, self.context.target)
        _keyword_defaults(self.index, self.calls, self.context.target, self.judge)

    def _activation(self, value: ast.AST, call: ast.Call) -> None:
        constant = _single_string_constant(self.index, value)
        if constant is not None:
            self.judge(constant, f" (reaches Keras as an activation on line {call.lineno})")
            return
        self.judge(value)
        if isinstance(value, ast.Dict):
            finding = check_config_dict(value, self.context)
            if finding:
                self.findings.append(finding)
        function = value if isinstance(value, ast.Lambda) else None
        if isinstance(value, ast.Name) and len(self.definitions.get(value.id, ())) == 1:
            function = self.definitions[value.id][0]
        self._analyse(function, call.lineno)
        # ``activation=lambda x: softplus_scaled(x)``: the function the lambda wraps is the activation.
        wrapped = function.body if isinstance(function, ast.Lambda) else None
        if isinstance(wrapped, ast.Call) and isinstance(wrapped.func, ast.Name) \
                and len(self.definitions.get(wrapped.func.id, ())) == 1:
            self._analyse(self.definitions[wrapped.func.id][0], call.lineno)

    def _analyse(self, function, line: int) -> None:
        """The custom activation rules, once per function."""
        if function is not None and id(function) not in self.analysed:
            self.analysed.add(id(function))
            self.findings.extend(check_function(function, line))

    def activation_keywords(self) -> None:
        """Keywords of activation functions and layers (KL201)."""
        for keras_call in self.calls:
            if keras_call.role.keyword_owner:
                owner, is_layer = keras_call.role.keyword_owner
                self.findings += check_keywords(owner, is_layer, keras_call.node.keywords, self.context)

    def learning_rates(self) -> None:
        """``lr=`` / ``learning_rate=`` of optimizer classes (KL204)."""
        for keras_call in self.calls:
            path, owner = keras_call.path, keras_call.role.owner
            if path.startswith("optimizers.") and path.count(".") == 1 and owner[:1].isupper():
                for keyword in keras_call.node.keywords:
                    if keyword.arg in LEARNING_RATE_KEYWORDS:
                        finding = check_optimizer_keyword(owner, keyword.arg, KeywordName(keyword), self.context)
                        if finding:
                            self.findings.append(finding)

    def identifiers(self) -> None:
        """Identifier strings at layer keywords, ``compile(...)`` and getters (KL4), and the strings
        that reach an activation or identifier site through the file's own functions."""
        self.parameter_sites += _identifier_sites(self.index, self.resolver, self.calls, self.unrooted,
                                                  self.judge_identifier)
        sinks = list(_parameter_sinks(self.index, self.parameter_sites))
        for function, parameter, family, line in sinks:
            default = _string_defaults(function).get(parameter)
            if default is not None and family is not None:
                self.judge_identifier(default, family, f" (default of {parameter!r} in {function.name}(), passed to "
                                                       f"Keras as {_a(FAMILY_WORDS[family])} on line {line})")
        for literal, family, where in _arguments_to_sinks(self._calls_to_sinks(_function_sinks(sinks))):
            if family is None:
                self.judge(literal, where)
            else:
                self.judge_identifier(literal, family, where)

    def _calls_to_sinks(self, local: dict[int, FunctionSinks]):
        """Calls by name of the file's own functions (``local``: their sinks by id of the ``def``),
        and of functions imported from project modules (``from .models import build_model``), that
        have sinks."""
        for call in self.index.calls:
            if not isinstance(call.func, ast.Name):
                continue
            name = call.func.id
            definitions = self.definitions.get(name, ())
            if len(definitions) == 1 and id(definitions[0]) in local:
                yield call, name, local[id(definitions[0])], ""
            elif not definitions and self.sinks_of is not None and name in self.resolver.bindings and any(
                    isinstance(a, ast.Constant) and isinstance(a.value, str)
                    for a in [*call.args, *(k.value for k in call.keywords)]):  # only then read the module
                module, _, function = self.resolver.bindings[name].rpartition(".")
                sinks = self.sinks_of(module).get(function) if module else None
                if sinks is not None:
                    yield call, function, sinks, f" of {sinks.module}"

    def activations_attributes(self) -> None:
        """``keras.activations.<name>``, its imports, and module paths no release has (KL202)."""
        for attribute, qualified in self.attributes:
            path = keras_path(qualified)
            if is_activations_attribute(path):
                finding = check_attribute(AttributeName(attribute), attribute.attr, self.context)
            else:
                finding = check_module_path(AttributeName(attribute), path, self.context) if path else None
            if finding:
                self.findings.append(finding)
        for statement, alias in self._imported():
            if keras_path(statement.module) == "activations":
                finding = check_attribute(ImportedName(statement, alias), alias.name, self.context)
                if finding:
                    self.findings.append(finding)

    def api_names(self) -> None:
        """Names of the public API modules a target lacks (KL203), outside compatibility code."""
        guarded = _guarded(self.index)
        for attribute, qualified in self.attributes:
            path = keras_path(qualified)
            public = (public_keras_path(qualified) or "").split(".")
            if is_activations_attribute(path) or (path and absent_module(path, self.context)):
                continue  # KL202's
            if len(public) == 2 and public[0] in API_MODULES and id(attribute) not in guarded \
                    and attribute.attr not in guarded:
                finding = check_api_name(AttributeName(attribute), public[0], public[1], self.context)
                if finding:
                    self.findings.append(finding)
        for statement, alias in self._imported():
            module = public_keras_path(statement.module)
            if keras_path(statement.module) != "activations" and module in API_MODULES and id(statement) not in guarded:
                finding = check_api_name(ImportedName(statement, alias), module, alias.name, self.context)
                if finding:
                    self.findings.append(finding)

    @functools.cached_property
    def attributes(self) -> list[tuple[ast.Attribute, str]]:
        """(attribute, its qualified name) of the attributes in scope that name something imported."""
        qualified = ((a, self.resolver.qualify(dotted_name(a))) for a in self.index.attributes)
        return [(a, q) for a, q in qualified if q is not None and self.resolver.scoped(q)]

    def _imported(self):
        """(statement, alias) of each name imported from an absolute module in scope (not ``*``)."""
        for statement in self.index.import_froms:
            if statement.level == 0 and self.resolver.scoped(statement.module):
                yield from ((statement, alias) for alias in statement.names if alias.name != "*")

    def call_rules(self) -> None:
        """Rules at kinds of site this module does not read bring their own check of each Keras call."""
        for check in call_checks():
            for keras_call in self.calls:
                self.findings.extend(check(keras_call, self.context))


# The kinds of site ``find`` reads, each by one method; a rule at any other kind brings its ``check_call``.
READERS: dict[Site, Callable[[_Pass], None]] = {
    ACTIVATION_SITE: _Pass.activations,
    ACTIVATION_KEYWORD_SITE: _Pass.activation_keywords,
    LEARNING_RATE_SITE: _Pass.learning_rates,
    IDENTIFIER_SITE: _Pass.identifiers,
    ACTIVATIONS_ATTRIBUTE_SITE: _Pass.activations_attributes,
    API_NAME_SITE: _Pass.api_names,
}
SITES_READ = frozenset(READERS)


def find(index: ModuleIndex, resolver: Resolver, context: Context, every_call: list[KerasCall],
         unrooted: bool = True, sinks_of: SinksOf | None = None) -> list[Finding]:
    """Every finding in a module, for the Keras roots in the resolver's scope; ``every_call``: the
    module's Keras calls, resolved once. ``unrooted``: also judge sites that belong to no root
    (``model.compile(...)``). ``sinks_of(module)``: the sinks of a project module's functions."""
    calls = [c for c in every_call if resolver.scoped(c.qualified)]
    reading = _Pass(index, resolver, context, calls, unrooted, sinks_of)
    for read in READERS.values():
        read(reading)
    reading.call_rules()
    return reading.findings


def _guarded(index: ModuleIndex) -> set:
    """What compatibility code checks for itself (KL203 stays silent there): the ids of nodes in
    ``try`` bodies that catch ImportError/AttributeError and in ``if`` blocks that test a version
    (``if tf.__version__ >= "2.11":``), and names tested with ``hasattr(module, "name")``."""
    guarded: set = {
        call.args[1].value for call in index.calls
        if isinstance(call.func, ast.Name) and call.func.id == "hasattr" and len(call.args) == 2
        and isinstance(call.args[1], ast.Constant) and isinstance(call.args[1].value, str)
    }
    for handled in index.guarding_tries:
        guarded |= {id(node) for part in handled.body for node in ast.walk(part)}
    for test in index.version_checks:
        guarded |= {id(node) for part in test.body + test.orelse for node in ast.walk(part)}
    return guarded


GETTERS = {f"{family}.get": family for family in FAMILY_MODULES}


def _identifier_sites(index: ModuleIndex, resolver: Resolver, keras_calls: list[KerasCall], unrooted: bool,
                      judge: Callable[..., None]) -> list[tuple[ast.Name, str, int]]:
    """Initializer/regularizer/constraint keywords of Keras calls, ``compile(...)`` keywords and
    ``keras.<family>.get("...")``: their literals are judged, and so are the literals that reach
    them through a name the file binds once; returns the function parameters found at those sites
    (name, family, line), for ``_parameter_sinks``."""
    names: list[tuple[ast.Name, str, int]] = []  # (name at a site, family, line of the site)

    def visit(value: ast.AST, family: str, nested: bool, line: int) -> None:
        for node in _strings(value, nested):
            judge(node, family)
        names.extend((name, family, line) for name in _strings(value, nested, ast.Name))

    for keras_call in keras_calls:
        call = keras_call.node
        for keyword in call.keywords:
            family = keyword_family(keyword.arg)
            if family:
                visit(keyword.value, family, False, call.lineno)
        family = GETTERS.get(keras_call.path)
        if family and call.args:
            visit(call.args[0], family, False, call.lineno)
    if unrooted and (keras_calls or resolver.uses_keras):  # compile() of what? only in files that use Keras
        for call in index.calls:
            if isinstance(call.func, ast.Attribute) and call.func.attr == "compile" and _may_be_model(call.func.value, resolver):
                for keyword in call.keywords:
                    if keyword.arg in COMPILE_KEYWORDS:
                        visit(keyword.value, COMPILE_KEYWORDS[keyword.arg], keyword.arg != "optimizer", call.lineno)
    for name, family, line in names:
        constant = _single_string_constant(index, name)
        if constant is not None:
            judge(constant, family, f" (reaches Keras as {_a(FAMILY_WORDS[family])} on line {line})")
    return [n for n in names if n[0].id.startswith(LOCAL_PREFIX)]


def _activation_parameters(calls: list[KerasCall], target: Target) -> list[tuple[ast.Name, str | None, int]]:
    """Function parameters given as activations to Keras calls: (name, None, line of the call)."""
    return [(value, None, call.node.lineno) for call in calls
            for value in activation_values(call.node, call.role, target)
            if isinstance(value, ast.Name) and value.id.startswith(LOCAL_PREFIX)]


def _parameter_sinks(index: ModuleIndex, sites: list[tuple[ast.Name, str | None, int]]):
    """(function, parameter, family or None for activations, line of the site) for each parameter
    whose every use in its function is a Keras site of one kind: a value given to it (a default,
    an argument at a call) reaches Keras as that kind. A parameter also compared, transformed or
    rebound is left alone: the code may handle the value."""
    grouped: dict[str, list[tuple[ast.Name, str | None, int]]] = {}
    for name, family, line in sites:
        grouped.setdefault(name.id[len(LOCAL_PREFIX):], []).append((name, family, line))
    if not grouped:
        return
    sites_by_line = {parameter: ByLine(found, lambda site: site[0].lineno) for parameter, found in grouped.items()}
    names_by_line: dict[str, ByLine] = {}
    for function in index.functions:
        first, last = function.lineno, function.end_lineno or function.lineno
        arguments = function.args
        for parameter in (a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs):
            used = sites_by_line[parameter].within(first, last) if parameter in sites_by_line else []
            if not used:
                continue
            if parameter not in names_by_line:
                names_by_line[parameter] = ByLine(index.names[parameter], lambda name: name.lineno)
            every = names_by_line[parameter].within(first, last)
            kinds = {family for _, family, _ in used}
            if len(used) == len(every) and len(kinds) == 1 and all(isinstance(n.ctx, ast.Load) for n in every):
                yield function, parameter, used[0][1], used[0][2]


class FunctionSinks(NamedTuple):
    """A function's positional parameters in order, and those whose value reaches Keras: parameter
    -> (the family, None for an activation; the line of the Keras site); the module it is defined
    in when not the file's own."""

    positional: tuple[str, ...]
    sinks: dict[str, tuple[str | None, int]]
    module: str = ""


def _function_sinks(sinks: Iterable[tuple[Any, str, str | None, int]]) -> dict[int, FunctionSinks]:
    """``FunctionSinks`` of the functions of ``_parameter_sinks``'s results (by id of the ``def``),
    methods aside: they are called through their instance, which is not followed."""
    found: dict[int, FunctionSinks] = {}
    for function, parameter, family, line in sinks:
        positional = tuple(a.arg for a in function.args.posonlyargs + function.args.args)
        if positional[:1] not in (("self",), ("cls",)):
            found.setdefault(id(function), FunctionSinks(positional, {})).sinks[parameter] = (family, line)
    return found


def module_sinks(text: str, module: str, package: str | None, context: Context) -> dict[str, FunctionSinks]:
    """The sinks of a module's top-level functions (defined once), for the files that import them.
    Keras names the module imports through other project modules are not followed."""
    tree = parse(text)
    if isinstance(tree, tuple):
        return {}
    index = ModuleIndex(tree)
    resolver = Resolver(index, package)
    calls = keras_calls(index, resolver, context.catalog.layer_names)
    sites = _activation_parameters(calls, context.target) + _identifier_sites(index, resolver, calls, True, lambda *_: None)
    functions = [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    counts = collections.Counter(f.name for f in functions)
    found = _function_sinks(_parameter_sinks(index, sites))
    return {f.name: found[id(f)]._replace(module=module) for f in functions if counts[f.name] == 1 and id(f) in found}


def _arguments_to_sinks(calls: Iterable[tuple[ast.Call, str, FunctionSinks, str]]):
    """``build_model(inputs, loss="dice_los")`` where ``build_model``'s ``loss`` reaches Keras as a
    loss: (literal, family or None for activations, where) for the string arguments of ``calls``,
    given as (call, the function's name, its sinks, where it is defined when not in this file)."""
    for call, name, function, defined_in in calls:
        given = []
        for index_, argument in enumerate(call.args):
            if isinstance(argument, ast.Starred) or index_ >= len(function.positional):
                break
            given.append((function.positional[index_], argument))
        given += [(k.arg, k.value) for k in call.keywords if k.arg]
        for parameter, argument in given:
            if parameter in function.sinks and isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                family, line = function.sinks[parameter]
                word = "an activation" if family is None else _a(FAMILY_WORDS[family])
                yield argument, family, (f" (passed to {name}() as {parameter!r}, which reaches Keras "
                                         f"as {word} on line {line}{defined_in})")


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _may_be_model(receiver: ast.AST, resolver: Resolver) -> bool:
    """``model.compile``: not ``re.compile`` or ``torch.compile`` (receivers imported from elsewhere)."""
    dotted = dotted_name(receiver)
    if dotted is None:
        return True
    head = dotted.partition(".")[0]
    return head not in resolver.imported_names or resolver.keras(dotted) is not None


def _strings(node: ast.AST, nested: bool, kind: type = ast.Constant) -> list:
    """String literals (or, with ``kind=ast.Name``, bare names) in a value: the value itself, or
    (``nested``) inside lists, tuples and dict values."""
    if kind is ast.Constant and isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if kind is ast.Name and isinstance(node, ast.Name):
        return [node]
    if nested and isinstance(node, (ast.List, ast.Tuple)):
        return [s for element in node.elts for s in _strings(element, nested, kind)]
    if nested and isinstance(node, ast.Dict):
        return [s for value in node.values if value is not None for s in _strings(value, nested, kind)]
    return []


def activation_values(call: ast.Call, role: CallRole, target: Target) -> list[ast.expr]:
    """Argument values of a Keras call that Keras resolves as activations."""
    values: list[ast.expr] = []
    for keyword in call.keywords:
        if keyword.arg in ACTIVATION_KEYWORDS:
            values.append(keyword.value)
        elif keyword.arg is None and isinstance(keyword.value, ast.Dict):  # **{"activation": "relu"}
            for key, value in zip(keyword.value.keys, keyword.value.values):
                if isinstance(key, ast.Constant) and key.value in ACTIVATION_KEYWORDS:
                    values.append(value)
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    if positional and role.positional_activation:
        values.append(positional[0])
    elif role.layer:  # ``Dense(64, "relu")``: where the target's signature takes it positionally
        index = target.positional_index(role.layer)
        before = call.args[: (index or 0) + 1]
        if index and len(call.args) > index and not any(isinstance(a, ast.Starred) for a in before):
            values.append(call.args[index])
    return values


def _single_string_constant(index: ModuleIndex, value: ast.AST) -> ast.Constant | None:
    """The literal behind ``NAME`` when the file binds NAME exactly once, to a string."""
    if isinstance(value, ast.Name) and index.binding_counts.get(value.id) == 1:
        return index.string_constants.get(value.id)
    return None


def _keyword_defaults(index: ModuleIndex, keras_calls: list[KerasCall], target: Target, judge) -> None:
    """``def block(x, activation="reul"): ... Dense(8, activation=activation)``: judge the default.

    Only a straight flow counts: every use of the parameter in the function is an activation
    argument of a Keras call, and the function never rebinds it. A parameter that is also
    compared, transformed or passed elsewhere may be handled by the code (silence).
    """
    calls_by_line = ByLine(keras_calls, lambda call: call.node.lineno)  # decorators come after bodies
    uses_by_line: dict[str, ByLine] = {}
    for function in index.functions:
        defaults = _string_defaults(function)
        if not defaults:
            continue
        first, last = function.lineno, function.end_lineno or function.lineno
        straight: dict[str, list[ast.Call]] = {}
        for keras_call in calls_by_line.within(first, last):
            for value in activation_values(keras_call.node, keras_call.role, target):
                name = value.id[len(LOCAL_PREFIX):] if isinstance(value, ast.Name) and value.id.startswith(LOCAL_PREFIX) else None
                if name in defaults:  # the parameter itself (its uses in the function are marked local)
                    straight.setdefault(name, []).append(keras_call.node)
        for parameter, calls in straight.items():
            if parameter not in uses_by_line:
                uses_by_line[parameter] = ByLine(index.names[parameter], lambda name: name.lineno)
            uses = uses_by_line[parameter].within(first, last)
            if len(uses) == len(calls) and all(isinstance(n.ctx, ast.Load) for n in uses):
                where = f" (default of {parameter!r} in {function.name}(), passed to Keras on line {calls[0].lineno})"
                judge(defaults[parameter], where)


class ByLine:
    """Items sorted by their line, for the items of a function's lines by bisection (a scan of
    every item per function is quadratic in a module of many functions)."""

    def __init__(self, items: Iterable, line: Callable[[Any], int]):
        self.items = sorted(items, key=line)
        self.lines = [line(item) for item in self.items]

    def within(self, first: int, last: int) -> list:
        return self.items[bisect.bisect_left(self.lines, first): bisect.bisect_right(self.lines, last)]


def _string_defaults(function) -> dict[str, ast.Constant]:
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    pairs = list(zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults))
    pairs += [(a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None]
    return {a.arg: d for a, d in pairs if isinstance(d, ast.Constant) and isinstance(d.value, str)}


def local_functions(index: ModuleIndex, resolver: Resolver) -> frozenset[str]:
    """Functions a string could mistakenly name: defined here, lambdas bound to a name, non-Keras imports."""
    names = {f.name for f in index.functions} | index.lambdas
    names |= {name for name, targets in index.imported.items() if all(keras_path(t) is None for t in targets)}
    return frozenset(names)


def check_text(
    text: str,
    filename: str,
    context_for: Callable[[str], Context],
    enabled: frozenset[str] | None = None,
    package: str | None = None,
    project_exports: dict | None = None,
    sinks_of: SinksOf | None = None,
) -> list[Diagnostic]:
    """Diagnostics for one source text. ``context_for(root)`` gives the target of each Keras root
    (``keras``, ``tf.keras``, ``tf_keras``, ``keras_core``) the file imports; ``sinks_of`` the
    sinks of the project modules it imports from."""
    tree = parse(text)
    if isinstance(tree, tuple):
        line, column, message = tree
        return [_file_error(SYNTAX_ERROR.code, f"SyntaxError: {message}", filename, line, column)]
    try:
        index = ModuleIndex(tree)
        resolver = Resolver(index, package, project_exports)
        findings = find_by_root(index, resolver, context_for, sinks_of)
        if enabled is not None:
            findings = [f for f in findings if f.rule.code in enabled]
        if not findings:
            return []
        lines = _Lines(text)
        return [_diagnostic(f, lines, filename) for f in findings]
    except RecursionError:
        message = "Too deeply nested for keraslint's analysis; please report it"
        return [_file_error(INTERNAL_ERROR.code, message, filename, 1, 1)]
    except Exception as error:  # a bug in keraslint must not stop the run
        message = f"Internal error ({type(error).__name__}: {error}); please report it with this file"
        return [_file_error(INTERNAL_ERROR.code, message, filename, 1, 1)]


def find_by_root(index: ModuleIndex, resolver: Resolver, context_for: Callable[[str], Context],
                 sinks_of: SinksOf | None = None) -> list[Finding]:
    """``find`` once per distinct target among the roots the file imports, each run seeing only
    its roots' names; the first run (the file's first root in ``ROOTS`` order) also judges sites
    of no root, and a site two runs report is kept once."""
    registered, functions = registered_names(index), local_functions(index, resolver)
    groups: dict[object, list[str]] = {}
    for root in sorted(resolver.roots, key=ROOTS.index) or ["keras"]:
        groups.setdefault(context_for(root).target.releases, []).append(root)
    findings: list[Finding] = []
    seen: set[tuple[str, Anchor]] = set()
    every_call = keras_calls(index, resolver, context_for("keras").catalog.layer_names)
    for number, roots in enumerate(groups.values()):
        context = context_for(roots[0])
        context = context._replace(extra_activations=context.extra_activations | registered, local_functions=functions)
        resolver.in_scope = frozenset(roots) if len(groups) > 1 else None
        for finding in find(index, resolver, context, every_call, unrooted=number == 0, sinks_of=sinks_of):
            key = (finding.rule.code, finding.node)
            if key not in seen:
                seen.add(key)
                findings.append(finding)
    resolver.in_scope = None
    return findings


class _Lines:
    """Convert ast positions (1-based rows, UTF-8 byte columns) to character columns."""

    def __init__(self, text: str):
        # CPython splits lines at \r\n, \r and \n only (not at \f or \x1c as str.splitlines does).
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def position(self, row: int | None, byte_column: int | None) -> Position:
        """Where a node's (end) line and UTF-8 byte column are, in characters (``ast.parse`` gives
        both; None counts as line 1, column 0)."""
        row, byte_column = row or 1, byte_column or 0
        line = self.lines[row - 1] if 0 < row <= len(self.lines) else ""
        prefix = line.encode("utf-8")[:byte_column].decode("utf-8", "replace")
        return Position(row, len(prefix) + 1)

    def segment(self, start: Position, end: Position) -> str:
        if start.row == end.row:
            return self.lines[start.row - 1][start.column - 1: end.column - 1]
        middle = self.lines[start.row: end.row - 1]
        return "\n".join([self.lines[start.row - 1][start.column - 1:], *middle, self.lines[end.row - 1][: end.column - 1]])


def _span(node: Anchor, lines: _Lines) -> tuple[Position, Position]:
    """Where to report: the literal, the keyword name, the attribute name or the imported name."""
    if isinstance(node, KeywordName):  # ``alpha=0.1``: the keyword name opens the node
        start = lines.position(node.keyword.lineno, node.keyword.col_offset)
        return start, Position(start.row, start.column + len(node.keyword.arg or ""))
    if isinstance(node, AttributeName):  # the attribute name closes the node
        attribute = node.attribute
        end = lines.position(attribute.end_lineno, attribute.end_col_offset)
        return Position(end.row, end.column - len(attribute.attr)), end
    if isinstance(node, ImportedName):
        return _alias_span(node.statement, node.alias, lines)
    if node is None:
        raise ValueError("a finding in source needs an anchor")
    start = lines.position(node.lineno, node.col_offset)
    return start, lines.position(node.end_lineno, node.end_col_offset)


def _alias_span(statement: ast.ImportFrom, alias: ast.alias, lines: _Lines) -> tuple[Position, Position]:
    if getattr(alias, "lineno", None) is not None:  # Python 3.10+
        start = lines.position(alias.lineno, alias.col_offset)
    else:  # Python 3.9: find the name after ``import`` in the statement's text
        first = lines.position(statement.lineno, statement.col_offset)
        last = lines.position(statement.end_lineno, statement.end_col_offset)
        text = lines.segment(first, last)
        offset = text.index(" import ") + len(" import ")
        offset = text.index(alias.name, offset)
        before = text[:offset].split("\n")
        column = (first.column if len(before) == 1 else 1) + len(before[-1])
        start = Position(first.row + len(before) - 1, column)
    return start, Position(start.row, start.column + len(alias.name))


def _replacement(finding: Finding, source: str) -> str | None:
    """New source text for the reported span: an identifier, or the literal re-quoted."""
    if finding.new_value is None:
        return None
    if not finding.literal:
        return finding.new_value
    return replace_string(source, finding.new_value)


def replace_string(source: str, value: str) -> str | None:
    """The literal ``source`` rewritten to hold ``value`` with its own prefix and quotes.

    None when that is not a plain rewrite: implicit concatenation, escapes in the body, or a
    value the quotes cannot hold.
    """
    import libcst as cst

    try:
        node = cst.parse_expression(source)
    except cst.ParserSyntaxError:
        return None
    if not isinstance(node, cst.SimpleString):
        return None
    prefix, quote = node.prefix, node.quote
    body = node.value[len(prefix) + len(quote): -len(quote)]
    if body != node.evaluated_value or any(c in value for c in quote + "\\\n\r"):
        return None
    return f"{prefix}{quote}{value}{quote}"


def _diagnostic(finding: Finding, lines: _Lines, filename: str) -> Diagnostic:
    start, end = _span(finding.node, lines)
    fix = None
    replacement = _replacement(finding, lines.segment(start, end))
    if replacement is not None:
        fix = Fix(finding.applicability, finding.fix_message, (Edit(replacement, start, end),))
    return Diagnostic(finding.rule.code, finding.message, filename, start, end, fix)


def _file_error(code: str, message: str, filename: str, line: int, column: int) -> Diagnostic:
    position = Position(max(line, 1), max(column, 1))
    return Diagnostic(code, message, filename, position, position)
