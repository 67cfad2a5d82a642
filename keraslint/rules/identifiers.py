"""Other strings Keras resolves by name: initializers, regularizers, constraints, losses,
metrics and optimizers (layer keywords, ``compile(...)`` and ``keras.<family>.get``)."""
from __future__ import annotations

import re

from packaging.version import Version

from keraslint.rules import Anchor, Context, Finding, Invalid, Rule, Site, register
from keraslint.rules.activations import unknown_with_suggestions

FAMILY_WORDS = {
    "initializers": "initializer", "regularizers": "regularizer", "constraints": "constraint",
    "losses": "loss", "metrics": "metric", "optimizers": "optimizer",
}
FAMILY_MODULES = tuple(FAMILY_WORDS)
# Layer keywords ending in ``_<word>`` take an identifier of the family (``kernel_initializer``).
KEYWORD_FAMILIES = {"initializer": "initializers", "regularizer": "regularizers", "constraint": "constraints"}
# Keras 1 names initializer keywords ``init`` and ``<what>_init`` (``inner_init``, ``alpha_init``);
# its ``W_regularizer``/``b_constraint`` end like the others.
KERAS1_INITIALIZER = "init"


def keyword_family(keyword: str | None) -> str | None:
    """The identifier family a layer keyword takes: ``kernel_initializer`` -> initializers,
    ``W_regularizer`` -> regularizers, Keras 1's ``init``/``inner_init`` -> initializers."""
    if not keyword:
        return None
    if keyword == KERAS1_INITIALIZER or keyword.endswith("_" + KERAS1_INITIALIZER):
        return "initializers"
    head, _, word = keyword.rpartition("_")
    return KEYWORD_FAMILIES.get(word) if head else None
COMPILE_KEYWORDS = {"optimizer": "optimizers", "loss": "losses", "metrics": "metrics", "weighted_metrics": "metrics"}
# Layer keywords (``kernel_initializer=``, Keras 1's ``init=``), ``compile(...)`` and ``<family>.get(...)``.
IDENTIFIER_SITE = Site("identifier", triggers=lambda context: ("_initializer", "_regularizer", "_constraint", "init",
                                                          "compile", "get"))

UNKNOWN_IDENTIFIER = register(Rule(
    code="KL401",
    name="unknown-identifier",
    summary="Initializer, regularizer, constraint, loss, metric or optimizer string no release accepts",
    site=IDENTIFIER_SITE,
    silenceable=True,
    explanation='''
## What it does
Finds strings that Keras resolves by name in the other identifier families and that no Keras
release accepts: `kernel_initializer="glorot_unifrom"`, `loss="categorical_crossentopy"`,
`metrics=["acuracy"]`, `keras.losses.get("mse_")`. Layer keywords ending in `_initializer`,
`_regularizer` and `_constraint` (Keras 1's `W_regularizer`, `b_constraint` too), Keras 1's
initializer keywords `init` and `<name>_init` (`inner_init`), and the `optimizer=`, `loss=`, `metrics=` and
`weighted_metrics=` keywords of `compile(...)` (strings, lists, dicts, nested) are checked.

## Why is this bad?
`ValueError: Unknown loss function` (or initializer, metric, ...) when the layer is built or the
model compiled, often after data loading.

## Example
```python
model.compile(optimizer="adam", loss="categorical_crossentopy", metrics=["acuracy"])
```

Use instead:
```python
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
```

## Fix safety
Safe when one accepted name is clearly the likeliest (edit distance 1-2) and the typo is longer
than 4 characters (`"rmse"` could be many things); otherwise the likeliest name is an unsafe fix.
''',
    valid=(
        'import keras\nmodel = keras.Sequential()\n'
        'model.compile(optimizer="Adam", loss="mse", metrics=["accuracy", "mae"])\n',
        'import keras\nkeras.layers.Dense(4, kernel_initializer="he_normal", kernel_regularizer="l2")\n',
        'import re\nre.compile("loss")\n',
    ),
    invalid=(
        Invalid('import keras\nmodel = keras.Sequential()\nmodel.compile(optimizer="adam", loss="categorical_crossentopy")\n',
                fixed='import keras\nmodel = keras.Sequential()\nmodel.compile(optimizer="adam", loss="categorical_crossentropy")\n'),
        Invalid('import keras\nkeras.layers.Dense(4, kernel_initializer="glorot_unifrom")\n',
                fixed='import keras\nkeras.layers.Dense(4, kernel_initializer="glorot_uniform")\n'),
        Invalid('from keras.layers import Dense\nDense(64, init="glorot_unifrom")\n',
                fixed='from keras.layers import Dense\nDense(64, init="glorot_uniform")\n'),
        Invalid('import keras\nmodel = keras.Sequential()\nmodel.compile(loss="mse", metrics={"out": ["acuracy"]})\n',
                fixed='import keras\nmodel = keras.Sequential()\nmodel.compile(loss="mse", metrics={"out": ["accuracy"]})\n'),
        Invalid('import keras\nmodel = keras.Sequential()\nmodel.compile(loss="transformer")\n'),  # nothing close
    ),
))

IDENTIFIER_CASE = register(Rule(
    code="KL402",
    name="identifier-case-mismatch",
    summary="Identifier string with the wrong casing where the lookup is case-sensitive",
    site=IDENTIFIER_SITE,
    silenceable=True,
    explanation='''
## What it does
Finds identifiers that exist with other casing or separators in a family whose lookup is
case-sensitive in the target: `kernel_regularizer="L2"` where the release only knows `"l2"`
and `"L1L2"`-style class names, `loss="MeanSquaredErrorr"` is KL401 instead. Optimizer lookups
ignore case in every release, so `optimizer="Adam"` is fine.

## Why is this bad?
Keras raises `Unknown ...` for the wrong casing.

## Example
```python
keras.layers.Dense(4, bias_initializer="Glorot_Uniform")
```

Use instead:
```python
keras.layers.Dense(4, bias_initializer="glorot_uniform")
```

## Fix safety
Safe: the fix writes the exact spelling of the same object. Implicitly concatenated or escaped
literals are reported without a fix.
''',
    valid=('import keras\nkeras.layers.Dense(4, kernel_regularizer="l2")\n',),
    invalid=(
        Invalid('import keras\nkeras.layers.Dense(4, bias_initializer="Glorot_Uniform")\n',
                fixed='import keras\nkeras.layers.Dense(4, bias_initializer="glorot_uniform")\n'),
        Invalid('import keras\nkeras.layers.Dense(4, bias_initializer="Glorot_" "Uniform")\n'),  # concatenated
    ),
))

IDENTIFIER_UNAVAILABLE = register(Rule(
    code="KL403",
    name="identifier-not-in-target",
    summary="Identifier string the targeted Keras release(s) do not accept",
    site=IDENTIFIER_SITE,
    silenceable=True,
    explanation='''
## What it does
Finds identifiers that some Keras releases accept but the target does not: `optimizer="adamw"`
on Keras 2.x (the string lookup never listed AdamW there), `loss="dice"` before Keras 3.
The message names the releases that accept it.

## Why is this bad?
The code works where the newer Keras is installed and fails elsewhere.

## Example
```python
# keras-version = "2.13"
model.compile(optimizer="adamw", loss="mse")
```

Use instead:
```python
model.compile(optimizer=keras.optimizers.AdamW(), loss="mse")
```

## Fix
Use an identifier the target has, pass the object (`keras.optimizers.AdamW()`), or raise the
minimum Keras version. A renamed identifier whose new name is the same function (a cited table
in `overrides.json`: `cosine_proximity` -> `cosine_similarity`, `logcosh` -> `log_cosh`,
`kullback_leibler_divergence` -> `kl_divergence`, `huber_loss` -> `huber`) gets the other name as
a safe fix, in either direction (`loss="log_cosh"` on Keras 2.3 is `"logcosh"` there).

## Fix safety
Safe for a cited rename (the same function under its other name); otherwise no fix.
''',
    options={"keras-version": "2.13"},
    valid=('import keras\nmodel = keras.Sequential()\nmodel.compile(optimizer="adam", loss="mse")\n',),
    invalid=(
        Invalid('import keras\nmodel = keras.Sequential()\nmodel.compile(optimizer="adamw", loss="mse")\n'),
        Invalid('import keras\nmodel = keras.Sequential()\nmodel.compile(loss="log_cosh")\n',
                fixed='import keras\nmodel = keras.Sequential()\nmodel.compile(loss="logcosh")\n',
                options={"keras-version": "2.3"}),
    ),
))


UNREGISTERED_IDENTIFIER = register(Rule(
    code="KL404",
    name="unregistered-custom-identifier",
    summary="Loss, metric, initializer, ... string naming a function of the file that Keras does not know",
    site=IDENTIFIER_SITE,
    silenceable=True,
    explanation='''
## What it does
Finds `loss="dice_loss"`, `metrics=["iou"]`, `kernel_initializer="my_init"` where the string names
a function defined or imported in the same file that is not registered with Keras
(`get_custom_objects()`, `@register_keras_serializable`, `custom_objects=`, `extra-activations`).

## Why is this bad?
Keras looks strings up in its own tables and the registered custom objects only: `compile`
raises `Unknown loss function` (or metric, initializer...).

## Example
```python
def dice_loss(y_true, y_pred):
    ...

model.compile(optimizer="adam", loss="dice_loss")
```

Use instead:
```python
model.compile(optimizer="adam", loss=dice_loss)
```

## Fix safety
Unsafe: passing the function works for training, but a model saved this way needs the function
registered (or passed as `custom_objects`) to load again.
''',
    valid=(
        'import keras\ndef dice_loss(y_true, y_pred):\n    return y_pred\nmodel = keras.Sequential()\n'
        'model.compile(optimizer="adam", loss=dice_loss)\n',
    ),
    invalid=(
        Invalid('import keras\ndef dice_loss(y_true, y_pred):\n    return y_pred\nmodel = keras.Sequential()\nmodel.compile(optimizer="adam", loss="dice_loss")\n',
                fixed='import keras\ndef dice_loss(y_true, y_pred):\n    return y_pred\nmodel = keras.Sequential()\nmodel.compile(optimizer="adam", loss=dice_loss)\n'),
    ),
))


def _normalise(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _names(family: str, context: Context) -> frozenset[str]:
    names = context.target.family_names(family) | context.extra_activations
    if family == "metrics":
        names |= frozenset(context.catalog.overrides["compile_metric_strings"]["names"])
    return names


def returning_the_class(family: str, value: str, context: Context) -> list:
    """Targeted releases whose ``get`` hands a class name back as the class itself, uninstantiated
    (Keras 3.0.2-3.2.1 ``losses.get("MeanSquaredError")``: compile accepts it, training fails)."""
    if not value[:1].isupper() or value in context.extra_activations:
        return []
    return [r for r in context.target.releases
            if r.families[family].returns_classes and value in r.families[family].names]


def identifier_accepted(family: str, value: str, context: Context) -> bool:
    """Every targeted release (or the project's registrations) accepts ``value`` in ``family`` and
    resolves it to something that works."""
    if returning_the_class(family, value, context):
        return False
    names = _names(family, context)
    return value in names or (
        context.target.family_ignores_case(family) and value.lower() in {n.lower() for n in names}
    ) or (family == "metrics" and _special_metric_in_any_case(value, context))


def _special_metric_in_any_case(value: str, context: Context) -> bool:
    """``compile(metrics=["ACCURACY"])``: the special strings are lower-cased first from Keras 2.6
    on, in tf-keras and in Keras 3 (a cited fact in overrides.json), not in Keras 2.0-2.5."""
    special = context.catalog.overrides["compile_metric_strings"]
    if value.lower() not in special["names"]:
        return False
    since = special["case_insensitive_from"]
    return all(r.distribution in since and r.version >= Version(since[r.distribution]) for r in context.target.releases)


def check_identifier(node: Anchor, family: str, value: str, context: Context) -> Finding | None:
    """Judge one string that Keras resolves in ``family``."""
    if identifier_accepted(family, value, context):
        return None
    broken = returning_the_class(family, value, context)
    if broken:
        return _uninstantiated(node, family, value, broken, context)
    if value in context.local_functions and family != "optimizers":
        word = FAMILY_WORDS[family]
        return Finding(
            UNREGISTERED_IDENTIFIER, node,
            f'Keras {word} "{value}" names a function of this file that Keras does not know by this name: '
            f"pass the function", new_value=value, applicability="unsafe", literal=False,
            fix_message=f"Pass the function object {value} instead of its name",
        )
    renamed = _renamed(node, family, value, context)
    if renamed is not None:
        return renamed
    target = context.target
    names = _names(family, context)
    ignores_case = target.family_ignores_case(family)
    word = FAMILY_WORDS[family]
    if not ignores_case:
        matches = sorted({n for n in names if _normalise(n) == _normalise(value) and n != value})
        lower = [m for m in matches if m.islower()] or matches
        if len(lower) == 1:
            # Only a change of case is sure to name the same object: "l1_l2" (a function with
            # l1=l2=0.01 in Keras 2) and "l1l2" (the class, l1=l2=0 by default in Keras 3) differ.
            same_object = lower[0].lower() == value.lower()
            return Finding(
                IDENTIFIER_CASE, node, f'Keras {word} "{value}" is spelled "{lower[0]}"'
                + ("" if same_object else " (check that it is the same object: its defaults may differ)"),
                new_value=lower[0], fix_message=f'Replace with "{lower[0]}"',
                applicability="safe" if same_object else "unsafe",
            )
    accepting = context.catalog.accepting_identifier(family, value)
    if accepting:
        where = target.describe()
        return Finding(
            IDENTIFIER_UNAVAILABLE, node,
            f'Keras {word} "{value}" is not accepted by {where}; {context.catalog.needs(accepting, target)}',
        )
    return unknown_with_suggestions(UNKNOWN_IDENTIFIER, node, word, value, sorted(names),
                                    note=_spelled_out(family, value, context))


def _uninstantiated(node: Anchor, family: str, value: str, broken: list, context: Context) -> Finding:
    """``loss="MeanSquaredError"`` where ``get`` returns the class: the snake_case function name
    (the same computation) as an unsafe fix, when every targeted release accepts it."""
    word = FAMILY_WORDS[family]
    snake = re.sub("([a-z0-9])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", value)).lower()
    where = context.catalog.timeline(broken)
    message = (f'Keras {word} "{value}" resolves to the class itself, not an instance, in {where}: compile '
               f"accepts it and training fails; pass keras.{family}.{value}() or the function name")
    if snake != value and identifier_accepted(family, snake, context):
        return Finding(IDENTIFIER_UNAVAILABLE, node, f'{message} "{snake}"', new_value=snake,
                       fix_message=f'Replace with "{snake}"', applicability="unsafe")
    return Finding(IDENTIFIER_UNAVAILABLE, node, message)


def _renamed(node: Anchor, family: str, value: str, context: Context) -> Finding | None:
    """``loss="logcosh"`` on Keras 3, which calls the same function ``"log_cosh"`` (a cited rename in
    overrides.json), or the new name on a release that only has the old one: the other name, as a
    safe fix, rather than the nearest string."""
    for rename in context.catalog.overrides["identifier_renames"]["renames"]:
        if rename["family"] != family or value not in (rename["old"], rename["new"]):
            continue
        other = rename["new"] if value == rename["old"] else rename["old"]
        if not identifier_accepted(family, other, context):
            continue
        word = FAMILY_WORDS[family]
        accepting = context.catalog.accepting_identifier(family, value)
        had = f"; {context.catalog.needs(accepting, context.target)}" if accepting else ""
        message = (f'Keras {word} "{value}" is not accepted by {context.target.describe()}; '
                   f'{"it was renamed" if value == rename["old"] else "this release calls it"} "{other}", '
                   f"the same function{had}")
        return Finding(IDENTIFIER_UNAVAILABLE if accepting else UNKNOWN_IDENTIFIER, node, message,
                       new_value=other, fix_message=f'Replace with "{other}"', applicability="safe")
    return None


def _spelled_out(family: str, value: str, context: Context) -> str:
    """`` ("RootMeanSquaredError" is a metric)`` when ``value`` is the initials of a name Keras has
    (in this family or another): the user meant that object, not the nearest string."""
    if len(value) < 2 or not value.isalpha():
        return ""
    found: dict[tuple[str, str], str] = {}  # one per object: "RootMeanSquaredError" and its snake_case alias
    for other, word in FAMILY_WORDS.items():
        for name in sorted(context.target.family_names(other)):
            words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name)
            if len(words) > 1 and "".join(w[0] for w in words).lower() == value.lower():
                found.setdefault((word, _normalise(name)), f'"{name}" is {"an" if word[0] in "aeiou" else "a"} {word}')
    return f" ({'; '.join(found.values())})" if found else ""
