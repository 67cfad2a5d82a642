"""Names a project registers with Keras, which are then valid activation strings.

Recognised: ``get_custom_objects().update({...})`` / ``.update(name=fn)``,
``get_custom_objects()["name"] = fn``, ``@register_keras_serializable(package="P", name="N")``
(registered as ``"P>N"``; the defaults are package ``"Custom"`` and the function's name; also
``keras.utils.register_keras_serializable``), ``custom_objects={...}`` passed to any call
(``load_model``, ``model_from_json``, ``from_config``, ``deserialize``, ...), and
``CustomObjectScope({...})`` / ``custom_object_scope({...})``.
"""
from __future__ import annotations

import ast

from keraslint.resolve import ModuleIndex

WORDS = ("custom_object", "CustomObjectScope", "register_keras_serializable")
SCOPES = frozenset({"CustomObjectScope", "custom_object_scope"})


def may_register(text: str) -> bool:
    return any(word in text for word in WORDS)


def _last_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _is_custom_objects(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _last_name(node.func) == "get_custom_objects"


def _constant(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def dict_keys(node: ast.AST) -> set[str]:
    """String keys of ``{"a": f}`` or ``dict(a=f)``."""
    if isinstance(node, ast.Dict):
        return {key for key in map(_constant, node.keys) if key}
    if isinstance(node, ast.Call) and _last_name(node.func) == "dict":
        return {k.arg for k in node.keywords if k.arg}
    return set()


def registered_names(index: ModuleIndex) -> set[str]:
    names: set[str] = set()
    for call in index.calls:
        callee = _last_name(call.func)
        if callee == "update" and isinstance(call.func, ast.Attribute) and _is_custom_objects(call.func.value):
            for argument in call.args:
                names |= dict_keys(argument)
            names |= {k.arg for k in call.keywords if k.arg}
        elif callee in SCOPES:
            for argument in call.args:
                names |= dict_keys(argument)
        for keyword in call.keywords:
            if keyword.arg == "custom_objects":
                names |= dict_keys(keyword.value)
    for assign in index.subscript_assigns:
        for target in assign.targets:
            if isinstance(target, ast.Subscript) and _is_custom_objects(target.value):
                key = _constant(target.slice)
                if key:
                    names.add(key)
    for definition in index.functions + index.classes:
        for decorator in definition.decorator_list:
            names |= _serializable_name(decorator, definition.name)
    return names


def _serializable_name(decorator: ast.AST, default_name: str) -> set[str]:
    function = decorator.func if isinstance(decorator, ast.Call) else decorator
    if _last_name(function) != "register_keras_serializable":
        return set()
    arguments = decorator.args if isinstance(decorator, ast.Call) else []
    keywords = {k.arg: k.value for k in decorator.keywords} if isinstance(decorator, ast.Call) else {}
    package = _constant(keywords.get("package", arguments[0] if arguments else None)) or "Custom"
    name = _constant(keywords.get("name", arguments[1] if len(arguments) > 1 else None)) or default_name
    return {f"{package}>{name}"}
