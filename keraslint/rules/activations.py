"""Activation identifiers passed as strings: unknown, wrongly cased, unavailable, invalid."""
from __future__ import annotations

import ast
import math
from typing import NamedTuple

from keraslint.rules import Anchor, Context, Finding, Invalid, Rule, Site, register

# ``activation=``, ``Activation(...)``, ``activations.get(...)`` and a layer's positional activation
# slot (``Dense(64, "relu")``); custom activation functions (KL3) are read where they reach one.
ACTIVATION_SITE = Site("activation", triggers=lambda context: ("ctivation", *context.catalog.positional_layers))

UNKNOWN = register(Rule(
    code="KL101",
    name="unknown-activation",
    summary="Activation string that no Keras release accepts",
    site=ACTIVATION_SITE,
    silenceable=True,
    explanation='''
## What it does
Finds string activation identifiers that no Keras release accepts, such as
`Dense(64, activation="reul")`, and names the nearest valid identifiers of the target release.

## Why is this bad?
Keras resolves the string only when the layer is built or a saved model is loaded, so the
mistake surfaces as `ValueError: Unknown activation function` long after the code was written,
often after data loading or on another machine. Names that Keras 2's lookup happens to find
but that are not activations (`"get"`, `"serialize"`, `"deserialize"`) are reported too: they
fail later in stranger ways.

## Example
```python
layers.Dense(64, activation="reul")
```

Use instead:
```python
layers.Dense(64, activation="relu")
```

## Fix safety
The fix is safe when one valid identifier is clearly the likeliest (an edit distance of 1-2, well
ahead of the others by typo kind and usage) and the typo is longer than 4 characters: a name as
short as `"reul"` or `"rmse"` is one edit from too many others for the intent to be certain, so its
fix is unsafe (`--unsafe-fixes`). Otherwise the likeliest candidate is an unsafe fix, and the
suggestions are listed.
''',
    valid=(
        'import keras\nkeras.layers.Dense(8, activation="relu")\n',
        'from sklearn.neural_network import MLPClassifier\nMLPClassifier(activation="logistic")\n',
        'from keras import layers\ndef conv_block(activation="ReLU"):\n    pass\nconv_block(activation="reul")\n',
    ),
    invalid=(
        Invalid('import keras\nkeras.layers.Dense(8, activation="reul")\n',
                fixed='import keras\nkeras.layers.Dense(8, activation="relu")\n'),
        Invalid('from tensorflow.keras.layers import Activation\nActivation("sigmod")\n',
                fixed='from tensorflow.keras.layers import Activation\nActivation("sigmoid")\n'),
        Invalid('import keras\nkeras.layers.Dense(8, activation="serialize")\n'),
    ),
))

CASE_MISMATCH = register(Rule(
    code="KL102",
    name="activation-case-mismatch",
    summary="Activation string with the wrong casing or separators",
    site=ACTIVATION_SITE,
    silenceable=True,
    explanation='''
## What it does
Finds activation identifiers that exist in the target Keras with other casing or separators:
`"ReLU"`, `"Sigmoid"`, `"TANH"`, `"leakyrelu"` / `"LeakyReLU"` for `"leaky_relu"`.

## Why is this bad?
The lookup is case-sensitive. Some Keras 2 releases accept the *layer class* names
(`"ReLU"`, `"LeakyReLU"`) as strings, Keras 3 does not, so such code breaks when upgrading.

## Example
```python
layers.Dense(64, activation="ReLU")
```

Use instead:
```python
layers.Dense(64, activation="relu")
```

## Fix safety
Safe: the fix writes the exact spelling of the same activation. Implicitly concatenated or
escaped literals are reported without a fix.
''',
    valid=('import keras\nkeras.layers.Activation("softmax")\n',),
    invalid=(
        Invalid('import keras\nkeras.layers.Dense(8, activation="ReLU")\n',
                fixed='import keras\nkeras.layers.Dense(8, activation="relu")\n'),
        Invalid('from keras import layers\nlayers.Dense(8, activation="leakyrelu")\n',
                fixed='from keras import layers\nlayers.Dense(8, activation="leaky_relu")\n'),
        Invalid('from keras import layers\nlayers.Dense(8, activation="Re" "LU")\n'),
    ),
))

UNAVAILABLE = register(Rule(
    code="KL103",
    name="activation-not-in-target",
    summary="Activation string the targeted Keras release(s) do not have",
    site=ACTIVATION_SITE,
    silenceable=True,
    explanation='''
## What it does
Finds activation identifiers that some Keras releases accept but the targeted release(s) do
not: `"gelu"` when targeting Keras 2.3, `"hard_swish"` on any Keras 2, `"ReLU"`-style layer
names on Keras 3. The message names the releases that accept it (from the catalog).

## Why is this bad?
The code works on the developer's machine and fails where the other Keras is installed, or when
a model saved on a newer Keras is loaded by an older one.

## Example
```python
# keras-version = "2.3"
layers.Dense(64, activation="gelu")
```

Use instead: raise the minimum Keras version, or define the function and register it
(`custom_objects={"gelu": gelu}`).

## Fix safety
No fix is offered: every other activation is a different function and would change the model
(`relu6` is not `relu`).
''',
    options={"keras-version": "2.3"},
    valid=('import keras\nkeras.layers.Dense(8, activation="relu")\n',),
    invalid=(
        Invalid('import keras\nkeras.layers.Dense(8, activation="gelu")\n'),
    ),
))

UNREGISTERED_CUSTOM = register(Rule(
    code="KL104",
    name="unregistered-custom-activation",
    summary="String naming a custom function that Keras does not know",
    site=ACTIVATION_SITE,
    silenceable=True,
    explanation='''
## What it does
Finds `activation="custom_activation"` where `custom_activation` is a function defined or
imported in the same file but never registered with Keras (`get_custom_objects()`,
`@register_keras_serializable`, `custom_objects=`, `CustomObjectScope`, or `extra-activations`
in the configuration) anywhere in the scanned project.

## Why is this bad?
Keras looks strings up in its own table and in registered custom objects only, so the layer
fails with `Unknown activation function` when it is built or when the model is loaded.

## Example
```python
def custom_activation(x):
    return x * keras.ops.sigmoid(x)

layers.Dense(64, activation="custom_activation")
```

Use instead:
```python
layers.Dense(64, activation=custom_activation)
```
or register the function (`@keras.saving.register_keras_serializable()`) so that saved models
can name it.

## Fix safety
Unsafe: passing the function object works for building and training, but a model saved this
way needs the function registered (or passed as `custom_objects`) to load again.
''',
    valid=(
        'import keras\ndef mish(x):\n    return x\nkeras.utils.get_custom_objects().update({"mish": mish})\n'
        'keras.layers.Dense(4, activation="mish")\n',
        'import keras\ndef mine(x):\n    return x\nkeras.layers.Dense(4, activation=mine)\n',
    ),
    invalid=(
        Invalid('import keras\ndef mine(x):\n    return x\nkeras.layers.Dense(4, activation="mine")\n',
                fixed='import keras\ndef mine(x):\n    return x\nkeras.layers.Dense(4, activation=mine)\n'),
    ),
))

INVALID_VALUE = register(Rule(
    code="KL105",
    name="invalid-activation-value",
    summary="Literal that Keras cannot interpret as an activation",
    site=ACTIVATION_SITE,
    silenceable=True,
    explanation='''
## What it does
Finds literals Keras cannot interpret as an activation: numbers, booleans, an empty string, a
valid name with stray whitespace (`"relu "`), or a config dict literal whose `class_name` (or,
for Keras 3's `{"class_name": "function", "config": NAME}` form, whose `config`) names no
activation of the target.

## Why is this bad?
`activations.get` raises `ValueError: Could not interpret activation function identifier` (or
`Unknown activation function`) when the layer is built.

## Example
```python
layers.Dense(64, activation="relu ")
```

Use instead:
```python
layers.Dense(64, activation="relu")
```

## Fix safety
Stripping whitespace around a valid identifier is safe; other cases have no fix.
''',
    valid=('import keras\nkeras.layers.Dense(8, activation=None)\n',),
    invalid=(
        Invalid('import keras\nkeras.layers.Dense(8, activation="relu ")\n',
                fixed='import keras\nkeras.layers.Dense(8, activation="relu")\n'),
        Invalid('import keras\nkeras.layers.Dense(8, activation=True)\n'),
        Invalid('import keras\nkeras.layers.Dense(8, activation="")\n'),
        Invalid('import keras\nkeras.layers.Dense(8, activation={"class_name": "reul", "config": {}})\n'),
    ),
))

MAX_DISTANCE = 2
CERTAIN = 3.0  # the best suggestion must be this many times likelier than the next to be the fix
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


class Suggestion(NamedTuple):
    name: str
    distance: int  # edits between it and the typed string (a transposition counts once)
    likelihood: float  # how likely typing it gives the typed string, times how often it is used


def nearest(name: str, candidates: list[str]) -> list[Suggestion]:
    """Up to three candidates within a small edit distance, likeliest first.

    Ranked as people mistype: a transposition, a doubled or dropped letter, or a neighbouring
    key is likelier than any other edit, and a typo of a common name (``relu``) likelier than a
    rare name typed right; the weights come from ``tools/usage_weights.py``. Case is ignored.
    """
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    from keraslint.catalog import usage_counts

    cutoff = min(MAX_DISTANCE, max(1, len(name) // 3))
    typed = name.lower()
    hits = process.extract(typed, candidates, scorer=OSA.distance, processor=str.lower, score_cutoff=cutoff, limit=None)
    usage = usage_counts()
    found = [Suggestion(hit[0], int(hit[1]),
                        _typo_likelihood(typed, hit[0].lower(), int(hit[1])) * (1 + math.log1p(usage.get(hit[0], 0))))
             for hit in hits]
    ranked, seen = [], set()
    for suggestion in sorted(found, key=lambda s: (-s.likelihood, s.distance, not s.name.islower(), s.name)):
        if _normalise(suggestion.name) not in seen:  # "mse" and "MSE", "non_neg" and "NonNeg": one suggestion
            seen.add(_normalise(suggestion.name))
            ranked.append(suggestion)
    return ranked[:3]


def _typo_likelihood(typed: str, meant: str, distance: int) -> float:
    """How likely a slip turns ``meant`` into ``typed`` (one edit, by its kind; two edits, rarely)."""
    if distance != 1:
        return 0.01
    if len(typed) == len(meant):
        at = next(i for i in range(len(typed)) if typed[i] != meant[i])
        if typed[at + 1: at + 2] == meant[at: at + 1] and typed[at: at + 1] == meant[at + 1: at + 2]:
            return 1.0  # transposition
        return 0.8 if _neighbours(typed[at], meant[at]) else 0.3
    if len(typed) < len(meant):
        return 0.8  # a dropped letter
    at = next((i for i in range(len(meant)) if typed[i] != meant[i]), len(meant))
    doubled = typed[at] in (typed[at - 1: at] + typed[at + 1: at + 2])
    return 0.9 if doubled else 0.4  # a doubled letter, or another one slipped in


def _neighbours(a: str, b: str) -> bool:
    """Keys next to each other on a QWERTY keyboard (same row, or the rows above and below)."""
    where = {key: (row, column) for row, keys in enumerate(_KEYBOARD) for column, key in enumerate(keys)}
    if a not in where or b not in where:
        return False
    (row_a, col_a), (row_b, col_b) = where[a], where[b]
    return abs(row_a - row_b) <= 1 and abs(col_a - col_b) <= 1 and (row_a, col_a) != (row_b, col_b)


def unambiguous(hits: list[Suggestion]) -> str | None:
    """The likeliest candidate when it is clearly likelier than the next (or the only one)."""
    if hits and (len(hits) == 1 or hits[0].likelihood >= CERTAIN * hits[1].likelihood):
        return hits[0].name
    return None


def _normalise(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


def accepted(value: str, context: Context) -> bool:
    """Every targeted release (or the project's registrations) accepts the activation string."""
    return value in context.target.strings or value in context.extra_activations


def check_literal(node: Anchor, value: object, context: Context) -> Finding | None:
    """Judge one literal that reaches Keras as an activation identifier."""
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return Finding(INVALID_VALUE, node, f"Invalid activation value {value!r}: Keras expects a name or a callable")
    if not isinstance(value, str) or accepted(value, context):
        return None
    target = context.target
    if value.strip() != value and value.strip() in target.strings:
        return Finding(
            INVALID_VALUE, node, f'Activation "{value}" has stray whitespace',
            new_value=value.strip(), fix_message=f'Replace with "{value.strip()}"',
        )
    if not value.strip():
        return Finding(INVALID_VALUE, node, "Empty activation name")
    if value in context.local_functions:
        registered_as = sorted(n for n in context.extra_activations if n.endswith(f">{value}"))
        hint = f' (it is registered as "{registered_as[0]}")' if registered_as else ""
        return Finding(
            UNREGISTERED_CUSTOM, node,
            f'"{value}" names a function of this file that Keras does not know by this name{hint}; '
            f"Keras will raise Unknown activation function",
            new_value=value, applicability="unsafe", literal=False,
            fix_message=f"Pass the function object {value} instead of its name",
        )
    case_fix = _case_fix(value, target)
    if case_fix:
        return Finding(
            CASE_MISMATCH, node, f'Keras activation "{value}" is spelled "{case_fix}"',
            new_value=case_fix, fix_message=f'Replace with "{case_fix}"',
        )
    accepting = context.catalog.accepting(value)
    if accepting:
        return _unavailable(node, value, accepting, context)
    return _unknown(node, value, context)


def check_config_dict(node: ast.Dict, context: Context) -> Finding | None:
    """``{"class_name": "relu", "config": {}}`` literals: the named activation must exist."""
    entries = {getattr(k, "value", None): v for k, v in zip(node.keys, node.values)
               if getattr(k, "value", None) in ("class_name", "config")}
    name = getattr(entries.get("class_name"), "value", None)
    if name == "function":
        name = getattr(entries.get("config"), "value", None)
    if not isinstance(name, str) or check_literal(node, name, context) is None:
        return None
    return Finding(INVALID_VALUE, node, f'Activation config dict names "{name}", which is not an activation of '
                   f"{context.target.describe()}")


def _case_fix(value: str, target) -> str | None:
    wanted = _normalise(value)
    matches = sorted({n for n in target.function_names if _normalise(n) == wanted})
    return matches[0] if len(matches) == 1 else None


def _unavailable(node: Anchor, value: str, accepting: list, context: Context) -> Finding:
    target = context.target
    rejecting = target.rejecting(value)
    where = rejecting[0].label if len(rejecting) == 1 else f"{len(rejecting)} of the targeted releases ({rejecting[0].label} ..)"
    message = f'Keras activation "{value}" is not available in {where}; {context.catalog.needs(accepting, target)}'
    raise_it = "" if context.catalog.removed_after(accepting, target) else "raise the minimum Keras version, or "
    # Another activation would change the model ("relu6" is not "relu"): no replacement is offered.
    return Finding(UNAVAILABLE, node, f"{message}; {raise_it}define {value} yourself and "
                                      f'register it (custom_objects={{"{value}": {value}}})')


def _unknown(node: Anchor, value: str, context: Context) -> Finding:
    if any(value in r.quirks for r in context.target.releases):
        return Finding(
            UNKNOWN, node,
            f'"{value}" is a helper of keras.activations, not an activation; Keras finds it and then fails',
        )
    return unknown_with_suggestions(
        UNKNOWN, node, "activation", value, context.target.function_names + sorted(context.extra_activations),
    )


# A typo of a name this short never gets a safe fix: one edit of "rmse" or "reul" reaches too
# many other names for the intent to be certain.
SHORT_NAME = 4


def unknown_with_suggestions(rule: Rule, node: Anchor, word: str, value: str, candidates: list[str],
                             note: str = "") -> Finding:
    """``Unknown Keras <word> "x"; did you mean ...?``, likeliest first. The likeliest is the fix:
    safe when it is clearly the intent (and no note says another object was meant), else unsafe."""
    hits = nearest(value, candidates)
    if not hits:
        return Finding(rule, node, f'Unknown Keras {word} "{value}"{note}')
    quoted = " or ".join(f'"{hit.name}"' for hit in hits)
    message = f'Unknown Keras {word} "{value}"; did you mean {quoted}?{note}'
    certain = unambiguous(hits) is not None and not note and len(value) > SHORT_NAME
    best = hits[0].name
    return Finding(rule, node, message, new_value=best, applicability="safe" if certain else "unsafe",
                   fix_message=f'Replace with "{best}"' + ("" if certain else " (check that this is what was meant)"))