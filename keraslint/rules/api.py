"""The keras.activations API and activation layers: keywords and attributes a release lacks."""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from keraslint.catalog import NO_SIGNATURE
from keraslint.rules import Anchor, Context, Finding, Invalid, KeywordName, Rule, Site, register
from keraslint.rules.activations import nearest, unambiguous

if TYPE_CHECKING:
    from keraslint.catalog import Catalog
    from keraslint.diagnostics import Applicability

MODULE_HELPERS = {"get", "serialize", "deserialize"}
API_MODULES = ("layers", "optimizers", "losses", "metrics", "initializers", "regularizers", "constraints")
LEARNING_RATE_KEYWORDS = ("lr", "learning_rate")

# A keyword of an activation function or layer (``LeakyReLU(alpha=...)``): the owners whose
# keywords some targeted release rejects.
ACTIVATION_KEYWORD_SITE = Site("activation-keyword", triggers=lambda context: flagged_keywords(context))
# ``activations.<name>``, ``from keras.activations import <name>``, module paths no release has.
ACTIVATIONS_ATTRIBUTE_SITE = Site("activations-attribute", triggers=lambda context: (
    "activations", *(path.rpartition(".")[2] for path in context.catalog.overrides["absent_modules"]["paths"])))
# ``layers.<name>``, ``from keras.optimizers import <name>``, ... (the public API modules).
API_NAME_SITE = Site("api-name", triggers=lambda context: API_MODULES)
# ``lr=`` / ``learning_rate=`` of an optimizer.
LEARNING_RATE_SITE = Site("optimizer-keyword", triggers=lambda context: LEARNING_RATE_KEYWORDS)

KEYWORD_UNAVAILABLE = register(Rule(
    code="KL201",
    name="activation-keyword-not-in-target",
    summary="Keyword of an activation function or layer that the target renamed or lacks",
    site=ACTIVATION_KEYWORD_SITE,
    explanation='''
## What it does
Finds keyword arguments of `keras.activations.*` functions and activation layers that the
targeted release does not take but another release does: `activations.relu(x, alpha=0.1)` or
`layers.LeakyReLU(alpha=0.3)` on Keras 3 (which calls it `negative_slope`), and the reverse
when targeting Keras 2.

## Why is this bad?
A renamed keyword raises `TypeError: got an unexpected keyword argument` (or, for Keras 3's
`LeakyReLU(alpha=...)`, a deprecation warning before its removal).

## Example
```python
# keras-version = "3.6"
keras.activations.relu(x, alpha=0.1)
```

Use instead:
```python
keras.activations.relu(x, negative_slope=0.1)
```

## Fix safety
Safe when the keyword was renamed with the same meaning (`alpha` -> `negative_slope`); other
cases have no fix.
''',
    options={"keras-version": "3.6"},
    valid=('import keras\nkeras.activations.relu(x, negative_slope=0.1)\n',),
    invalid=(
        Invalid('import keras\nkeras.activations.relu(x, alpha=0.1)\n',
                fixed='import keras\nkeras.activations.relu(x, negative_slope=0.1)\n'),
        Invalid('from keras import layers\nlayers.LeakyReLU(alpha=0.3)\n',
                fixed='from keras import layers\nlayers.LeakyReLU(negative_slope=0.3)\n'),
        Invalid('from keras import layers\nlayers.Softmax(robust_masking=True)\n'),  # added later, no other name
    ),
))

ATTRIBUTE_UNAVAILABLE = register(Rule(
    code="KL202",
    name="activations-attribute-not-in-target",
    summary="keras.activations attribute that the target does not have",
    site=ACTIVATIONS_ATTRIBUTE_SITE,
    explanation='''
## What it does
Finds `keras.activations.NAME` (attribute access or `from keras.activations import NAME`)
where the targeted release has no such function: typos such as `activations.swishh`, and
functions added later, such as `tf.keras.activations.gelu` on TensorFlow 2.3. Also module paths
no release has, such as `keras.layers.activations.ReLU` (the layers are `keras.layers.ReLU`).

## Why is this bad?
`AttributeError` or `ImportError` at import or model-building time.

## Example
```python
keras.layers.Dense(8, activation=keras.activations.swishh)
```

Use instead:
```python
keras.layers.Dense(8, activation=keras.activations.swish)
```

## Fix safety
A typo fix to the single nearest name is safe; replacing a function the target lacks is unsafe.
''',
    valid=('import keras\nkeras.activations.swish\n', 'from keras.activations import relu\n'),
    invalid=(
        Invalid('import keras\nkeras.activations.swishh\n',
                fixed='import keras\nkeras.activations.swish\n'),
        Invalid('from keras.activations import sigmod\n',
                fixed='from keras.activations import sigmoid\n'),
        Invalid('import keras\nkeras.layers.activations.ReLU()\n'),
    ),
))



OPTIMIZER_KEYWORD = register(Rule(
    code="KL204",
    name="optimizer-keyword-not-in-target",
    summary="Optimizer learning-rate keyword (lr / learning_rate) the target rejects or ignores",
    site=LEARNING_RATE_SITE,
    explanation='''
## What it does
Finds the learning-rate keyword of `keras.optimizers.<Class>(...)` spelled the way the targeted
release does not take it: `lr=` on Keras 3 (`ValueError: Argument(s) not recognized`), `lr=` on
Keras 2.11-2.15 and tf-keras (a warning, and the value is dropped: training runs at the default
learning rate), `learning_rate=` on Keras 1.x-2.2 (ignored in 1.0, `TypeError` later). Facts
per release are cited in `overrides.json`; `keras.optimizers.legacy.*` and the tf.keras of
TensorFlow are not judged.

## Why is this bad?
An error when the optimizer is built, or, worse, a model silently trained at another learning
rate than the one written.

## Example
```python
# keras-version = "3.6"
optimizer = keras.optimizers.Adam(lr=1e-4)
```

Use instead:
```python
optimizer = keras.optimizers.Adam(learning_rate=1e-4)
```

## Fix safety
Safe: the same parameter under the name every targeted release takes. No fix when the targeted
releases disagree (a range from Keras 2.2 to 3).
''',
    options={"keras-version": "3.6"},
    valid=('import keras\nkeras.optimizers.Adam(learning_rate=1e-4)\n', 'import keras\nlr = 0.1\nkeras.optimizers.SGD(lr)\n'),
    invalid=(
        Invalid('import keras\nkeras.optimizers.Adam(lr=1e-4)\n',
                fixed='import keras\nkeras.optimizers.Adam(learning_rate=1e-4)\n'),
        # Keras 2.2-2.x warns and 3 rejects `lr`, while 2.2's optimizers take no `learning_rate`
        Invalid('import keras\nkeras.optimizers.Adam(lr=1e-4)\n', options={"keras-version": ">=2.2,<4"}),
    ),
))

API_NAME_UNAVAILABLE = register(Rule(
    code="KL203",
    name="api-name-not-in-target",
    summary="Class or function of keras.layers, optimizers, losses, metrics, ... that the target lacks",
    site=API_NAME_SITE,
    explanation='''
## What it does
Finds names imported from, or read as attributes of, the public `keras.layers`,
`keras.optimizers`, `keras.losses`, `keras.metrics`, `keras.initializers`, `keras.regularizers`
and `keras.constraints` (under `keras`, `tf.keras`, `tf_keras`, `keras_core`) that a targeted
release does not have while another release does: `from keras.layers import ReLU` on Keras
2.1.5, `tf.keras.optimizers.AdamW` with TensorFlow 2.10, `keras.layers.experimental` on Keras 3.
The message names the releases that have it, or the last one that had it. Each release's
public names are generated from its source (`tools/build_catalog.py`); names no release has
are left to Python, and a release whose public module the catalog cannot follow is not judged.

## Why is this bad?
`ImportError` or `AttributeError` when the module is imported or the model built, on the
machine that runs the older (or newer) Keras.

## Example
```python
# keras-version = "2.10"
optimizer = tf.keras.optimizers.AdamW(learning_rate=1e-3)
```

Use instead: raise the minimum Keras version, or use what the target has
(`tf.keras.optimizers.experimental.AdamW` on TensorFlow 2.10).
''',
    options={"keras-version": "2.10"},
    valid=(
        'import tensorflow as tf\ntf.keras.optimizers.Adam(1e-3)\n',
        'from keras.layers import ReLU, Dense\n',
        'from keras.optimizers import Adamm\n',  # no release has it: Python says so
    ),
    invalid=(
        Invalid('import tensorflow as tf\ntf.keras.optimizers.AdamW(1e-3)\n'),
        Invalid('from keras.layers import Dense, GroupNormalization\n'),
    ),
))


def api_name_accepted(module: str, name: str, context: Context) -> bool:
    """``keras.<module>.<name>`` exists in every targeted release the catalog can judge, or in none
    of the catalog's releases (then it is not a version question)."""
    lacking = [r for r in context.target.releases if r.lacks(module, name)]
    return not lacking or name.startswith("_") or not context.catalog.having_api_name(module, name)


def check_api_name(node: Anchor, module: str, name: str, context: Context) -> Finding | None:
    """``keras.<module>.<name>`` (``node`` is the name's token: an attribute or an imported alias)."""
    if api_name_accepted(module, name, context):
        return None
    target = context.target
    lacking = [r for r in target.releases if r.lacks(module, name)]
    where = lacking[0].label if len(lacking) == 1 else f"{len(lacking)} of the targeted releases ({lacking[0].label} ..)"
    having = context.catalog.having_api_name(module, name)
    return Finding(API_NAME_UNAVAILABLE, node,
                   f"keras.{module}.{name} is not available in {where}; {context.catalog.needs(having, target)}")


def _learning_rate_problem(release, keyword: str, facts: dict) -> str | None:
    """How ``release``'s optimizers treat ``keyword`` (``lr``/``learning_rate``), when wrongly."""
    from packaging.specifiers import SpecifierSet

    def within(key: str) -> bool:
        spec = facts[key].get(release.distribution)
        return spec is not None and release.version in SpecifierSet(spec)

    if keyword == "learning_rate":
        if within("learning_rate_ignored"):
            return "is ignored (the learning rate stays at its default) by"
        return "is not accepted by" if within("learning_rate_rejected") else None
    if within("lr_rejected"):
        return "is not accepted by"
    return "is ignored (a warning; the learning rate stays at its default) by" if within("lr_ignored") else None


def optimizer_keyword_accepted(keyword: str, context: Context) -> bool:
    """Every targeted release's optimizers take ``keyword`` (``lr``/``learning_rate``) as meant."""
    facts = context.catalog.overrides["optimizer_learning_rate"]
    return not any(_learning_rate_problem(r, keyword, facts) for r in context.target.releases)


def check_optimizer_keyword(owner: str, keyword: str, node: Anchor, context: Context) -> Finding | None:
    """``keras.optimizers.<owner>(lr=...)`` or ``(learning_rate=...)`` where the target mishandles it."""
    facts = context.catalog.overrides["optimizer_learning_rate"]
    problems = [(r, _learning_rate_problem(r, keyword, facts)) for r in context.target.releases]
    problems = [(r, p) for r, p in problems if p]
    if not problems:
        return None
    release, problem = problems[0]
    other = "learning_rate" if keyword == "lr" else "lr"
    message = f"Keyword {keyword!r} of optimizer {owner} {problem} {release.label}"
    if not optimizer_keyword_accepted(other, context):
        return Finding(OPTIMIZER_KEYWORD, node, message)
    return Finding(OPTIMIZER_KEYWORD, node, f"{message}; use {other!r}", new_value=other,
                   fix_message=f"Rename {keyword!r} to {other!r}", literal=False)


def _available(name: str, releases) -> bool:
    return all(name in r.functions or name in MODULE_HELPERS for r in releases)


def attribute_accepted(name: str, context: Context) -> bool:
    """``keras.activations.<name>`` exists in every targeted release (private names are not judged)."""
    return name.startswith("_") or _available(name, context.target.releases)


def check_attribute(node: Anchor, name: str, context: Context) -> Finding | None:
    """``keras.activations.<name>``: ``node`` is the attribute's name token."""
    target = context.target
    if attribute_accepted(name, context):
        return None
    having = [r for r in context.catalog.releases if name in r.functions]
    best = unambiguous(nearest(name, target.function_names))
    applicability: Applicability
    if having:
        message = (
            f"keras.activations.{name} is not available in {target.describe()}; "
            f"{context.catalog.needs(having, target)}"
        )
        applicability, fix_message = "unsafe", f"Use activations.{best} (changes behaviour)"
    else:
        message = f"keras.activations has no attribute {name!r}"
        applicability, fix_message = "safe", f"Use activations.{best}"
    if best is None:
        return Finding(ATTRIBUTE_UNAVAILABLE, node, message)
    return Finding(
        ATTRIBUTE_UNAVAILABLE, node, f"{message}; did you mean {best!r}?", new_value=best,
        applicability=applicability, fix_message=fix_message, literal=False,
    )


def check_module_path(node: Anchor, path: str, context: Context) -> Finding | None:
    """``keras.layers.activations`` and other module paths no release has."""
    message = absent_module(path, context)
    return Finding(ATTRIBUTE_UNAVAILABLE, node, message, literal=False) if message else None


def absent_module(path: str, context: Context) -> str | None:
    """Why no release has the module ``path`` (below the Keras root), or None."""
    return context.catalog.overrides["absent_modules"]["paths"].get(path)


def check_keywords(owner: str, is_layer: bool, keywords: list[ast.keyword], context: Context) -> list[Finding]:
    """The keyword arguments of an activation function call or an activation layer constructor."""
    findings = []
    renames = context.catalog.keyword_renames()
    for node in keywords:
        keyword = node.arg
        if keyword is None or not keyword_rejected(owner, is_layer, keyword, context):
            continue
        missing = [r for r in context.target.releases if not _accepts(r, owner, is_layer, keyword)]
        kind = "layer" if is_layer else "activation"
        deprecated = is_layer and all(keyword in r.layers.get(owner, NO_SIGNATURE)["deprecated"] for r in missing)
        state = "is deprecated in" if deprecated else "is not accepted by"
        message = f"Keyword {keyword!r} of {kind} {owner} {state} {missing[0].label}"
        new = renames.get((owner, keyword))
        if new and all(_takes(r, owner, is_layer, new) for r in context.target.releases):
            findings.append(Finding(
                KEYWORD_UNAVAILABLE, KeywordName(node), f"{message}; use {new!r}", new_value=new,
                fix_message=f"Rename {keyword!r} to {new!r}", literal=False,
            ))
        else:
            findings.append(Finding(KEYWORD_UNAVAILABLE, KeywordName(node), message))
    return findings


def keyword_rejected(owner: str, is_layer: bool, keyword: str, context: Context) -> bool:
    """Some targeted release rejects (or deprecates) ``keyword`` of ``owner`` that another release takes."""
    return any(not _accepts(r, owner, is_layer, keyword) for r in context.target.releases) and any(
        _takes(r, owner, is_layer, keyword) for r in context.catalog.releases)


def _takes(release, owner: str, is_layer: bool, keyword: str) -> bool:
    """The release names ``keyword`` as a parameter of ``owner``."""
    if is_layer:
        return keyword in release.layers.get(owner, NO_SIGNATURE)["keywords"]
    return keyword in (release.functions.get(owner) or [])


def _accepts(release, owner: str, is_layer: bool, keyword: str) -> bool:
    """Whether ``keyword`` works without warning; unknown signatures are given the benefit of the doubt."""
    if is_layer:
        layer = release.layers.get(owner)
        return layer is None or keyword in layer["keywords"]
    params = release.functions.get(owner)
    return params is None or keyword in params


def flagged_keywords(context: Context) -> dict[str, set[str]]:
    """Owner (activation function or layer) -> keywords that KL201 reports in ``context`` (worked
    out once per target)."""
    key = context.target.releases
    if key not in _FLAGGED:
        _FLAGGED[key] = _flagged_keywords(context)
    return _FLAGGED[key]


_FLAGGED: dict[tuple, dict[str, set[str]]] = {}


def _flagged_keywords(context: Context) -> dict[str, set[str]]:
    flagged: dict[str, set[str]] = {}
    catalog = context.catalog
    for owner in catalog.layer_names | catalog.activation_functions:
        kinds = [is_layer for is_layer, names in ((True, catalog.layer_names), (False, catalog.activation_functions))
                 if owner in names]
        for is_layer in kinds:
            for keyword in _keywords_of(catalog, owner, is_layer):
                if keyword_rejected(owner, is_layer, keyword, context):
                    flagged.setdefault(owner, set()).add(keyword)
    return flagged


def _keywords_of(catalog: Catalog, owner: str, is_layer: bool) -> set[str]:
    """Every keyword any release names for ``owner`` (KL201 only reports keywords some release takes)."""
    names: set[str] = set()
    for release in catalog.releases:
        if is_layer:
            layer = release.layers.get(owner, NO_SIGNATURE)
            names.update(layer["keywords"], layer["deprecated"])
        else:
            names.update(release.functions.get(owner) or [])
    return names
