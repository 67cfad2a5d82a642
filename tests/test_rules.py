"""Every rule's own VALID / INVALID examples, and focused unit tests of the rule logic."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES, codes, lint, make_job
from keraslint.catalog import load
from keraslint.checker import SITES_READ
from keraslint.rules import FILE, MODEL_FILE, Context, all_rules, select_codes
from keraslint.rules.activations import nearest, unambiguous
from keraslint.runner import check_bytes

RULES = all_rules()


def _cases(kind):
    for rule in RULES:
        for index, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.code}-{kind}-{index}")


def _run(rule, source: str, options=None, **job):
    """Check an example as the rule's options (and the example's) say: its target and the kind of
    file it is; ``codes`` limits the enabled rules."""
    options = {**rule.options, **(options or {})}
    spec = options.get("keras-version", "3.15")
    return check_bytes(source.encode("utf-8"), options.get("file", "example.py"), make_job(spec, **job))


def _example_codes(rule, source, options=None, **job) -> list[str]:
    return [d.code for d in _run(rule, source, options, **job).diagnostics]


@pytest.mark.parametrize("rule,example", list(_cases("invalid")))
def test_invalid_examples_are_reported_and_fixed_as_expected(rule, example):
    if rule.code not in _example_codes(rule, example.source, example.options):
        if rule.code in _example_codes(rule, example.source, example.options, prefilter=False):
            pytest.fail(f"{rule.code}: the prefilter skips this INVALID example: the trigger words of its "
                        f"site {rule.site.name!r} are not in it, or that site's judge calls it clean")
        pytest.fail(f"{rule.code}: no check reports this INVALID example (is its site {rule.site.name!r} read "
                    f"by checker.find, or does the rule bring its check_call?)")
    result = _run(rule, example.source, example.options, mode="fix", unsafe=True, codes={rule.code})
    fixed = None if result.fixed_data is None else result.fixed_data.decode("utf-8")
    assert fixed == example.fixed, f"{rule.code}: the fix differs from the example's expected fix"


@pytest.mark.parametrize("rule,source", list(_cases("valid")))
def test_valid_examples_are_silent(rule, source):
    assert rule.code not in _example_codes(rule, source)


def test_nearest_prefers_single_edit():
    assert [(s.name, s.distance) for s in nearest("reul", ["relu", "elu", "tanh"])] == [("relu", 1)]
    assert unambiguous(nearest("reul", ["relu", "elu", "tanh"])) == "relu"


@pytest.mark.parametrize("typed", ["rlu", "erlu", "felu"])
def test_suggestions_rank_as_people_mistype(typed):
    """A dropped letter, a transposition, a neighbouring key, on the most used name: "relu" first
    (an earlier release put "elu" first and offered no fix on a tie)."""
    candidates = ["celu", "elu", "gelu", "glu", "relu", "selu", "silu", "tanh"]
    assert nearest(typed, candidates)[0].name == "relu"
    (diagnostic,) = lint(f'import keras\nkeras.layers.Dense(1, activation="{typed}")\n')
    assert diagnostic.message.startswith(f'Unknown Keras activation "{typed}"; did you mean "relu"')
    assert diagnostic.fix is not None and diagnostic.fix.edits[0].content == '"relu"'


def test_camel_case_names_get_suggestions_and_initials_are_spelled_out():
    (typo, initials) = lint('import keras\nm = keras.Sequential()\n'
                            'm.compile(loss="rmse", metrics=["RootMeanSquareedError"])\n')
    assert initials.message.endswith('did you mean "RootMeanSquaredError"?') and initials.fix.applicability == "safe"
    assert typo.message == 'Unknown Keras loss "rmse"; did you mean "mse"? ("RootMeanSquaredError" is a metric)'
    assert typo.fix.applicability == "unsafe"  # "mse" is another training objective


def test_an_activation_the_target_lacks_is_not_replaced_by_another():
    (diagnostic,) = lint('import keras\nkeras.layers.Dense(1, activation="relu6")\n', "2.3")
    assert diagnostic.code == "KL103" and diagnostic.fix is None and '"relu"' not in diagnostic.message
    assert 'custom_objects={"relu6": relu6}' in diagnostic.message and "Keras 2.6.0" in diagnostic.message


def test_nothing_close_means_no_suggestion():
    assert nearest("transformer", ["relu", "tanh"]) == []
    (diagnostic,) = lint('import keras\nkeras.layers.Dense(1, activation="transformer")\n')
    assert diagnostic.message == 'Unknown Keras activation "transformer"'
    assert diagnostic.fix is None


def test_selection_by_prefix_and_all():
    assert select_codes(["KL1"], []) >= {"KL101", "KL102", "KL103", "KL105"}
    assert "KL201" not in select_codes(["KL1"], [])
    assert "KL101" not in select_codes(["ALL"], ["KL101"])
    assert {"KL000", "KL001", "KL002"} <= select_codes(["KL2"], [])  # file errors always on
    with pytest.raises(ValueError):
        select_codes(["XX9"], [])


def test_selection_limits_reported_codes():
    source = 'import keras\nkeras.layers.Dense(1, activation="reul")\nkeras.layers.Dense(1, activation="ReLU")\n'
    job_codes = [d.code for d in lint(source)]
    assert job_codes == ["KL101", "KL102"]


@pytest.mark.parametrize("source,expected", [
    ('from keras import layers\nlayers.Dense(4, activation="ReLU")\n', "relu"),
    ('from keras import layers\nlayers.Dense(4, activation="LeakyReLU")\n', "leaky_relu"),
    ('from keras import layers\nlayers.Dense(4, activation="SiLU")\n', "silu"),
    ('from keras import layers\nlayers.Dense(4, activation="hardswish")\n', "hard_swish"),
])
def test_case_mismatch_fixes_to_exact_spelling(source, expected):
    (diagnostic,) = lint(source)
    assert diagnostic.code == "KL102"
    assert diagnostic.fix.edits[0].content == f'"{expected}"'
    assert diagnostic.fix.applicability == "safe"


def test_case_mismatch_keeps_quotes_and_prefix():
    (diagnostic,) = lint("from keras import layers\nlayers.Dense(4, activation=r'ReLU')\n")
    assert diagnostic.fix.edits[0].content == "r'relu'"


def test_concatenated_or_escaped_literals_get_no_fix():
    (concatenated,) = lint('from keras import layers\nlayers.Dense(4, activation="Re" "LU")\n')
    assert concatenated.code == "KL102" and concatenated.fix is None
    (escaped,) = lint('from keras import layers\nlayers.Dense(4, activation="Re\\x4cU")\n')
    assert escaped.code == "KL102" and escaped.fix is None


def test_unavailable_fix_is_unsafe():
    (diagnostic,) = lint('from keras import layers\nlayers.Dense(4, activation="hard_swish")\n', "2.15")
    assert diagnostic.code == "KL103"
    assert "Keras 3.0.1..3.15.1" in diagnostic.message


def test_layer_class_strings_valid_in_keras2_rejected_in_keras3():
    source = 'from keras import layers\nlayers.Dense(4, activation="LeakyReLU")\n'
    assert codes(source, "2.15") == []
    assert codes(source, "3.0") == ["KL102"]
    assert codes(source, "2.3") == ["KL103"]  # no leaky_relu before 2.6: nothing to re-case to


def test_range_target_reports_where_it_breaks():
    source = 'from keras import layers\nlayers.Dense(4, activation="gelu")\n'
    (diagnostic,) = lint(source, ">=2.3,<2.7")
    assert diagnostic.code == "KL103"
    assert "of the targeted releases (Keras 2.3.0" in diagnostic.message


def test_keyword_rename_reverse_direction_on_keras2():
    source = "import keras\nkeras.activations.relu(x, negative_slope=0.1)\n"
    (diagnostic,) = lint(source, "2.15")
    assert diagnostic.code == "KL201"
    assert diagnostic.fix.edits[0].content == "alpha"


def test_attribute_added_later_is_reported_for_old_tensorflow():
    source = "import tensorflow as tf\nf = tf.keras.activations.gelu\n"
    assert codes(source, "2.3") == ["KL202"]
    assert codes(source, "2.6") == []


def test_extra_activations_from_config_are_valid():
    source = 'from keras import layers\nlayers.Dense(4, activation="mish_custom")\n'
    assert codes(source) == ["KL101"]
    assert codes(source, extra_activations=frozenset({"mish_custom"})) == []


def test_keras_hub_and_keras_cv_layers_count():
    assert codes('import keras_hub\nkeras_hub.layers.TransformerEncoder(64, 2, activation="reul")\n') == ["KL101"]
    assert codes('from keras_cv.layers import SqueezeAndExcite2D\nSqueezeAndExcite2D(8, activation="Sigmoid")\n') == ["KL102"]


def test_indirect_flows_stay_silent_when_uncertain():
    source = (
        "from keras import layers\n"
        "act = 'reul'\nact = 'relu'\nlayers.Dense(4, activation=act)\n"
        "def f(activation='reul'):\n    activation = activation.lower()\n    return layers.Dense(4, activation=activation)\n"
        "name = 'reul'\nlayers.Dense(4, activation=name.upper())\n"
    )
    assert codes(source) == []


def test_unregistered_custom_function_fix_passes_the_object():
    source = "import keras\ndef mine(x):\n    return x\nkeras.layers.Dense(4, activation='mine')\n"
    (diagnostic,) = lint(source)
    assert diagnostic.code == "KL104"
    assert diagnostic.fix.applicability == "unsafe" and diagnostic.fix.edits[0].content == "mine"


def test_positional_activation_follows_the_targets_signature():
    source = "from keras import layers\nlayers.Dense(64, 'reul')\n"
    assert codes(source, "3.6") == ["KL101"]
    assert codes(source, "2.6") == ["KL101"]
    # Keras 2.0-2.2 accepted only ``units`` positionally (legacy interface): not an activation there
    assert codes(source, "2.2.4") == []


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_ships_its_documentation(rule):
    """``keraslint/rules/docs/CODE.md`` is what ``keraslint rule CODE`` prints (the URL in JSON,
    SARIF and the language server points at it); regenerate with KERASLINT_UPDATE_FIXTURES=1."""
    import os
    from urllib.request import url2pathname

    path = Path(url2pathname(rule.url[len("file://"):]))
    if os.environ.get("KERASLINT_UPDATE_FIXTURES"):
        path.write_text(rule.doc(), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == rule.doc(), f"{path} drifted"


def test_every_rule_module_is_discovered():
    """A module in keraslint/rules/ is found without being listed anywhere."""
    import pkgutil

    import keraslint.rules as package

    modules = {info.name for info in pkgutil.iter_modules(package.__path__)}
    registered_from = {rule_module(rule) for rule in all_rules()}
    assert modules <= registered_from | {"docs"}, f"rule modules with no rule: {modules - registered_from}"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_is_complete(rule):
    """Each rule has every part of its unit, and a missing one is named."""
    missing = rule_parts_missing(rule)
    assert not missing, f"{rule.code} lacks: {', '.join(missing)}"


def test_behaviour_is_asked_of_the_rule_not_of_a_code():
    """Outside ``rules/``, no code literal carries behaviour (which codes are file errors, can be
    silenced, make the exit code 2): those are properties of the rule."""
    import keraslint

    package = Path(keraslint.__file__).parent
    for path in sorted(package.rglob("*.py")):
        if "rules" in path.relative_to(package).parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            literal = re.search(r"""["']KL\d{1,3}["']""", code)
            assert literal is None or "e.g." in code or '"""' in code, f"{path.name}:{number}: {line.strip()}"


def test_a_missing_part_is_named():
    """Leaving out any part of a rule unit names that part."""
    from keraslint.rules import REGISTRY

    rule = REGISTRY["KL101"]
    without = {
        "site": rule._replace(site=None),
        "trigger words of its site": rule._replace(site=rule.site._replace(triggers=None)),
        "VALID examples": rule._replace(valid=()),
        "INVALID examples": rule._replace(invalid=()),
        "explanation section '## Example'": rule._replace(explanation=rule.explanation.replace("## Example", "")),
        "a check for its site (checker.find reads it, or the rule's check_call)":
            rule._replace(site=rule.site._replace(name="new-kind")),
        "a fixture reporting it (fixtures/*.expected)": rule._replace(code="KL199"),
    }
    assert rule_parts_missing(rule) == []
    for part, incomplete in without.items():
        assert part in rule_parts_missing(incomplete), part


EXPECTED_FIXTURE_CODES = "".join(p.read_text(encoding="utf-8") for p in FIXTURES.glob("*.expected"))


def rule_parts_missing(rule) -> list[str]:
    """The parts of a rule unit that are absent or malformed, by name."""
    in_source = rule.site not in (FILE, MODEL_FILE, None)
    sections = ["## What it does"] + (["## Why is this bad?", "## Example"] if in_source else [])
    sections += ["## Fix safety"] if rule.fixable != "never" else []
    context = Context(load().target(rule.options.get("keras-version", "3.15"), "rule"), load())
    parts = (
        ("code", re.fullmatch(r"KL\d{3}", rule.code)), ("name", re.fullmatch(r"[a-z][a-z0-9-]*", rule.name)),
        ("summary", rule.summary), ("level", rule.level in ("error", "warning")),
        *((f"explanation section {s!r}", s in rule.explanation) for s in sections),
        ("site", rule.site is not None),
        ("trigger words of its site", not in_source or (rule.site.triggers and list(rule.site.triggers(context)))),
        ("a check for its site (checker.find reads it, or the rule's check_call)",
         not in_source or rule.site in SITES_READ or rule.check_call is not None),
        ("VALID examples", rule.valid or rule.site == FILE),  # a file that cannot be checked has no example
        ("INVALID examples", rule.invalid or rule.site == FILE),
        ("a fixture reporting it (fixtures/*.expected)", not in_source or f" {rule.code} " in EXPECTED_FIXTURE_CODES),
    )
    return [part for part, present in parts if not present]


def rule_module(rule) -> str:
    import sys

    for name, module in sys.modules.items():
        if name.startswith("keraslint.rules.") and any(v is rule for v in vars(module).values()):
            return name.rsplit(".", 1)[1]
    return "?"
