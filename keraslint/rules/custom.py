"""Custom activation functions that Keras accepts but that break training.

Only functions (``def`` or ``lambda``) that the same file passes as ``activation=`` or to
``Activation(...)`` are analysed; helpers used elsewhere are not.
"""
from __future__ import annotations

import ast

from keraslint.rules import Finding, Invalid, Rule, register
from keraslint.rules.activations import ACTIVATION_SITE

UNSTABLE = register(Rule(
    code="KL301",
    name="unstable-custom-activation",
    summary="Custom activation computes softplus or softmax in a way that overflows",
    site=ACTIVATION_SITE,
    explanation='''
## What it does
Finds custom activations that compute `log(1 + exp(x))` (with `tf.math`, `K`, `keras.ops`, `np`
or `math` spellings, also `log1p(exp(x))`) or `exp(x) / sum(exp(x))` without subtracting the
maximum first.

## Why is this bad?
`exp(x)` overflows to `inf` for inputs above about 88 (float32), and the result becomes `inf`
or `nan`; training then diverges silently.

## Example
```python
def my_softplus(x):
    return tf.math.log(1 + tf.math.exp(x))

layers.Dense(64, activation=my_softplus)
```

Use instead: the built-in `"softplus"` / `"softmax"` (or `keras.ops.logsumexp`), which are
computed stably.
''',
    valid=(
        "import keras\ndef ok(x):\n    e = keras.ops.exp(x - keras.ops.max(x))\n    return e\n"
        "keras.layers.Dense(4, activation=ok)\n",
        "import numpy as np\nimport keras\ndef helper(x):\n    return np.log(1 + np.exp(x))\n",
    ),
    invalid=(
        Invalid('import tensorflow as tf\nfrom tensorflow import keras\ndef sp(x):\n    return tf.math.log(1 + tf.math.exp(x))\nkeras.layers.Dense(4, activation=sp)\n'),
        Invalid('import keras\nfrom keras import ops\ndef sm(x):\n    return ops.exp(x) / ops.sum(ops.exp(x))\nkeras.layers.Activation(sm)\n'),
    ),
))

ZERO_GRADIENT = register(Rule(
    code="KL302",
    name="zero-gradient-custom-activation",
    summary="Custom activation is piecewise constant: its gradient is zero everywhere",
    site=ACTIVATION_SITE,
    explanation='''
## What it does
Finds custom activations whose output depends on the input only through `where` with constant
branches, `sign`, `round`, `floor`, `ceil`, comparisons or casts to int/bool, and that have no
custom gradient (`@tf.custom_gradient`, or the `stop_gradient` straight-through trick).

## Why is this bad?
The gradient is zero (or undefined) everywhere, so the layers before it never learn; Keras
raises nothing.

## Example
```python
def step(x):
    return tf.where(x < 0, 0.0, 1.0)
```

Use instead: a smooth approximation (`sigmoid`, `hard_sigmoid`), or a straight-through
estimator: `x + tf.stop_gradient(step(x) - x)`.
''',
    valid=(
        "import tensorflow as tf\nfrom tensorflow import keras\n@tf.custom_gradient\ndef step(x):\n"
        "    return tf.where(x < 0, 0.0, 1.0), lambda dy: dy\nkeras.layers.Dense(4, activation=step)\n",
        "import tensorflow as tf\nfrom tensorflow import keras\ndef ste(x):\n"
        "    return x + tf.stop_gradient(tf.sign(x) - x)\nkeras.layers.Dense(4, activation=ste)\n",
    ),
    invalid=(
        Invalid('import tensorflow as tf\nfrom tensorflow import keras\ndef step(x):\n    return tf.where(x < 0, 0.0, 1.0)\nkeras.layers.Dense(4, activation=step)\n'),
        Invalid('import tensorflow as tf\nfrom tensorflow import keras\nkeras.layers.Dense(4, activation=lambda x: tf.cast(x > 0, tf.float32))\n'),
    ),
))

NOT_ELEMENTWISE = register(Rule(
    code="KL303",
    name="reducing-custom-activation",
    summary="Custom activation reduces over the tensor, so its output shape differs",
    site=ACTIVATION_SITE,
    explanation='''
## What it does
Finds custom activations that return a reduction (`sum`, `mean`, `max`, `min`, `prod`, `norm`,
`std`, `var`, `logsumexp`, `reduce_*`) without keeping the reduced dimensions.

## Why is this bad?
Keras expects an activation to be element-wise and shape-preserving; a reduction changes the
output shape and breaks the next layer, or silently broadcasts.

## Example
```python
def pooled(x):
    return tf.reduce_mean(x, axis=-1)
```

Use instead: a custom `Layer` (or `keepdims=True` if a reduction really is meant).
''',
    valid=(
        "import tensorflow as tf\nfrom tensorflow import keras\ndef norm(x):\n"
        "    return x / tf.reduce_sum(x, axis=-1, keepdims=True)\nkeras.layers.Dense(4, activation=norm)\n",
    ),
    invalid=(
        Invalid('import tensorflow as tf\nfrom tensorflow import keras\ndef pooled(x):\n    return tf.reduce_mean(x, axis=-1)\nkeras.layers.Dense(4, activation=pooled)\n'),
    ),
))

PIECEWISE_CONSTANT = frozenset({"sign", "round", "floor", "ceil", "rint", "heaviside", "step"})
REDUCTIONS = frozenset({
    "sum", "mean", "max", "min", "prod", "norm", "std", "var", "logsumexp", "amax", "amin",
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_std",
    "reduce_variance", "reduce_logsumexp", "reduce_euclidean_norm",
})
DISCRETE_TYPES = ("int", "bool", "uint")


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def check_function(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, use_line: int) -> list[Finding]:
    """Findings for one function used as an activation on ``use_line``."""
    returns: list[ast.expr]
    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if any(_name(d) == "custom_gradient" for d in function.decorator_list):
            return []
        returns = [n.value for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None]
    else:
        returns = [function.body]
    body = function
    where = f" (used as an activation on line {use_line})"
    findings = []
    local = _single_assignments(body)
    for node in ast.walk(body):
        if isinstance(node, ast.expr) and (_unstable(node, local) or _softmax_division(node, local)):
            findings.append(Finding(UNSTABLE, node, "Custom activation overflows for large inputs: "
                                    f"use the built-in softplus/softmax or logsumexp{where}"))
    uses_stop_gradient = any(_name(n) == "stop_gradient" for n in ast.walk(body) if isinstance(n, ast.Call))
    if returns and not uses_stop_gradient and all(_piecewise_constant(r) for r in returns):
        findings.append(Finding(ZERO_GRADIENT, returns[0], "Custom activation is piecewise constant: "
                                f"its gradient is zero everywhere, so earlier layers never learn{where}"))
    for value in returns:
        if _reduced_shape(value, local):
            findings.append(Finding(NOT_ELEMENTWISE, value, "Custom activation reduces over the tensor and "
                                    f"changes its shape; Keras expects an element-wise function{where}"))
    return findings


def _single_assignments(body: ast.AST) -> dict[str, ast.AST]:
    """Local names the function binds exactly once, to the value they stand for
    (``e = K.exp(x)``); the rules read through them."""
    values: dict[str, ast.AST] = {}
    counts: dict[str, int] = {}
    for node in ast.walk(body):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.NamedExpr)) else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    counts[name.id] = counts.get(name.id, 0) + 1
                    if isinstance(node, ast.Assign) and target is name:
                        values[name.id] = node.value
    return {name: value for name, value in values.items() if counts[name] == 1}


def _through(node: ast.AST, local: dict[str, ast.AST]) -> ast.AST:
    """The expression a local name stands for (a few steps, never in a loop)."""
    for _ in range(8):
        if not (isinstance(node, ast.Name) and node.id in local):
            break
        node = local[node.id]
    return node


def _unstable(node: ast.AST, local: dict[str, ast.AST]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = _name(node)
    if name in ("log", "log1p") and node.args:
        argument = _through(node.args[0], local)
        if name == "log1p":
            return _name(argument) == "exp" and isinstance(argument, ast.Call) and not _shifted(argument)
        if isinstance(argument, ast.BinOp) and isinstance(argument.op, ast.Add):
            sides = (_through(argument.left, local), _through(argument.right, local))
            return any(isinstance(s, ast.Constant) and s.value == 1 for s in sides) and any(
                isinstance(s, ast.Call) and _name(s) == "exp" and not _shifted(s) for s in sides
            )
    return False


def _shifted(exp_call: ast.Call) -> bool:
    """``exp(x - max(x))`` is the stable form."""
    argument = exp_call.args[0] if exp_call.args else None
    return isinstance(argument, ast.BinOp) and isinstance(argument.op, ast.Sub) and _name(argument.right) in (
        "max", "reduce_max", "amax", "stop_gradient",
    )


def _softmax_division(node: ast.AST, local: dict[str, ast.AST]) -> bool:
    """``exp(x) / sum(exp(x))``, also through local names (``e = K.exp(x); return e / K.sum(e)``)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return False
    left, right = _through(node.left, local), _through(node.right, local)
    if not (isinstance(left, ast.Call) and _name(left) == "exp" and not _shifted(left)):
        return False
    if not (isinstance(right, ast.Call) and _name(right) in ("sum", "reduce_sum") and right.args):
        return False
    summed = _through(right.args[0], local)
    return isinstance(summed, ast.Call) and _name(summed) == "exp" and not _shifted(summed)


def _piecewise_constant(node: ast.AST) -> bool:
    """The expression depends on its inputs only through steps (so its derivative is 0)."""
    if isinstance(node, ast.Constant) or isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.UnaryOp):
        return _piecewise_constant(node.operand)
    if isinstance(node, ast.BinOp):
        return _piecewise_constant(node.left) and _piecewise_constant(node.right)
    if isinstance(node, ast.Call):
        name = _name(node)
        if name in PIECEWISE_CONSTANT:
            return True
        if name == "where" and len(node.args) == 3:
            return _piecewise_constant(node.args[1]) and _piecewise_constant(node.args[2])
        if name in ("cast", "astype") and node.args:
            dtype = node.args[-1] if len(node.args) > (1 if name == "cast" else 0) else None
            dtype_text = ast.unparse(dtype) if dtype is not None else ""
            if any(t in dtype_text for t in DISCRETE_TYPES):
                return True
            source = node.args[0] if name == "cast" else node.func.value if isinstance(node.func, ast.Attribute) else None
            return source is not None and _piecewise_constant(source)
    return False


# Element-wise functions: their output has their argument's shape.
ELEMENTWISE = frozenset({
    "sqrt", "rsqrt", "square", "exp", "log", "log1p", "abs", "negative", "reciprocal", "tanh", "sigmoid",
    "softplus", "relu", "sin", "cos", "sign", "cast", "clip", "clip_by_value", "maximum", "minimum",
})


def _reduces(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and _name(node) in REDUCTIONS):
        return False
    for keyword in node.keywords:
        if keyword.arg in ("keepdims", "keep_dims") and not (isinstance(keyword.value, ast.Constant) and not keyword.value.value):
            return False
    return True


def _reduced_shape(node: ast.AST, local: dict[str, ast.AST], depth: int = 0) -> bool:
    """The returned value has a reduction's shape: the reduction itself, or element-wise functions
    and arithmetic over reductions only (``sqrt(sum(square(x)))``), through local names. One
    operand with the input's shape (``x / sqrt(sum(...))``) broadcasts back: not reduced."""
    node = _through(node, local)
    if depth > 20:
        return False
    if _reduces(node):
        return True
    if isinstance(node, ast.Call) and _name(node) in ELEMENTWISE and node.args:
        operands = [a for a in node.args if not isinstance(a, ast.Constant)]
        return bool(operands) and all(_reduced_shape(a, local, depth + 1) for a in operands)
    if isinstance(node, ast.UnaryOp):
        return _reduced_shape(node.operand, local, depth + 1)
    if isinstance(node, ast.BinOp):
        operands = [o for o in (node.left, node.right) if not isinstance(o, ast.Constant)]
        return bool(operands) and all(_reduced_shape(o, local, depth + 1) for o in operands)
    return False

