"""Settings: ``[tool.keraslint]`` in the nearest pyproject.toml, command-line overrides, and the
Keras version the project targets (configured, or inferred from its project files).

Files are read as data (TOML, INI, YAML-ish lines, requirement lines); nothing is executed.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from packaging.version import Version

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

from keraslint import catalog as catalog_module
from keraslint.catalog import Catalog, Target
from keraslint.sources import read_auxiliary_text

KNOWN_KEYS = {
    "keras-version": str,
    "select": list,
    "ignore": list,
    "extend-select": list,
    "per-file-ignores": dict,
    "exclude": list,
    "extend-exclude": list,
    "extra-activations": list,
    "respect-gitignore": bool,
    "model-json": bool,
    "output-format": str,
    "cache-dir": str,
    "unsafe-fixes": bool,
}
KERAS_DISTRIBUTIONS = {"keras": "keras", "tf-keras": "tf-keras", "tf_keras": "tf-keras"}
TENSORFLOW_DISTRIBUTIONS = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos", "tf-nightly"}
LOCK_FILES = ("poetry.lock", "uv.lock", "pdm.lock")
_KERAS_REQUIREMENT = re.compile(r"\s*(keras([-_]core)?|tf[-_]keras|tensorflow([-_](cpu|gpu|macos))?|tf-nightly)\s*([^\w.-]|$)", re.IGNORECASE)
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "Pipfile", "environment.yml", "setup.py") + LOCK_FILES


class SettingsError(ValueError):
    """Bad configuration: reported as a usage error (exit 2)."""


def _read_toml(path: Path) -> dict:
    """A TOML file's document. Raises OSError, or ValueError (``TOMLDecodeError`` and
    ``UnicodeDecodeError`` are ValueErrors); the parser is imported only when a file is read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11 only
        import tomli as tomllib
    try:
        return tomllib.loads(read_auxiliary_text(path))
    except RecursionError:  # arrays nested thousands deep
        raise ValueError("nested too deeply") from None


class Settings(NamedTuple):
    keras_version: str | None = None
    select: tuple[str, ...] | None = None  # None: not given (every rule)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    extra_activations: frozenset[str] = frozenset()
    respect_gitignore: bool = True
    model_json: bool = False
    output_format: str = "full"
    cache_dir: str | None = None
    unsafe_fixes: bool = False
    config_file: Path | None = None


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.keraslint] table, walking up from ``start``."""
    directory = start if start.is_dir() else start.parent
    for parent in [directory.absolute(), *directory.absolute().parents]:
        candidate = parent / "pyproject.toml"
        try:
            if "keraslint" not in read_auxiliary_text(candidate, errors="replace"):
                continue  # most pyproject.tomls: no TOML parse
        except (OSError, ValueError):
            continue
        try:
            document = _read_toml(candidate)
        except (OSError, ValueError) as error:  # as ruff: a broken configuration is an error
            raise SettingsError(f"{candidate}: cannot parse: {error}") from None
        tool = document.get("tool", {})
        if isinstance(tool, dict) and "keraslint" in tool:
            return candidate
    return None


def load_settings(config: Path | None) -> Settings:
    if config is None:
        return Settings()
    try:
        document = _read_toml(config)
    except (OSError, ValueError) as error:
        raise SettingsError(f"{config}: cannot read configuration: {error}") from None
    tool = document.get("tool", {})
    table = tool.get("keraslint", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise SettingsError(f"{config}: [tool.keraslint] must be a table")
    values = {}
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            known = ", ".join(sorted(KNOWN_KEYS))
            raise SettingsError(f"{config}: unknown key {key!r} in [tool.keraslint] (known keys: {known})")
        values[key.replace("-", "_")] = _checked(config, key, value)
    for key in ("select", "ignore", "extend_select", "exclude", "extend_exclude"):
        if key in values:
            values[key] = tuple(values[key])
    if "extra_activations" in values:
        values["extra_activations"] = frozenset(values["extra_activations"])
    if "per_file_ignores" in values:
        # Globs with a "/" are relative to the configuration file's directory, as in ruff.
        anchor = config.parent.absolute().as_posix()
        values["per_file_ignores"] = per_file_ignores(values["per_file_ignores"], anchor, str(config))
    return Settings(**values, config_file=config)


OUTPUT_FORMATS = ("full", "concise", "grouped", "json", "json-lines", "github", "gitlab", "azure", "pylint",
                  "rdjson", "sarif", "junit")


def require_table(config: Path) -> None:
    """``--config FILE``: the file must parse and have a [tool.keraslint] table (ruff refuses too)."""
    try:
        document = _read_toml(config)
    except (OSError, ValueError) as error:
        raise SettingsError(f"{config}: cannot read configuration: {error}") from None
    tool = document.get("tool")
    if not (isinstance(tool, dict) and "keraslint" in tool):
        raise SettingsError(f"{config}: no [tool.keraslint] table (--config names the file to read settings from)")


def _checked(config: Path, key: str, value):
    """``value`` if it has the type ``key`` takes, else a SettingsError naming both."""
    expected = KNOWN_KEYS[key]
    where = f"{config}: [tool.keraslint] {key}"
    if expected is list and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise SettingsError(f"{where} must be a list of strings")
    if expected is dict and not (isinstance(value, dict) and all(
            isinstance(codes, list) and all(isinstance(c, str) for c in codes) for codes in value.values())):
        raise SettingsError(f'{where} must map globs to lists of rule codes, e.g. {{"tests/*" = ["KL101"]}}')
    if not isinstance(value, expected) or (expected is str and isinstance(value, bool)):
        raise SettingsError(f"{where} must be a {'boolean' if expected is bool else 'string'}")
    if key == "output-format" and value not in OUTPUT_FORMATS:
        raise SettingsError(f"{where} must be one of {', '.join(OUTPUT_FORMATS)}, not {value!r}")
    return value


def per_file_ignores(table: dict[str, list[str]], anchor: str, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(glob, codes) pairs: selectors expanded to codes (``ALL``, ``KL1``), an unknown one is an
    error; globs with a ``/`` anchored at ``anchor`` (the configuration's directory), as in ruff."""
    from keraslint.rules import expand_selectors

    pairs = []
    for glob, selectors in table.items():
        try:
            codes = tuple(sorted(expand_selectors(selectors)))
        except ValueError as error:
            raise SettingsError(f"{where}: per-file-ignores {glob!r}: {error}") from None
        negated, bare = ("!", glob[1:]) if glob.startswith("!") else ("", glob)
        pairs.append((negated + (f"{anchor}/{bare}" if "/" in bare and not bare.startswith("/") else bare), codes))
    return tuple(pairs)


def merge(settings: Settings, **overrides) -> Settings:
    """Command-line values win over the file; None means "not given"."""
    return settings._replace(**{k: v for k, v in overrides.items() if v is not None})


# --- target inference -----------------------------------------------------------------------


class Requirements(NamedTuple):
    """Version constraints on Keras-carrying distributions found in one project."""

    source: str
    keras: SpecifierSet | None = None
    tf_keras: SpecifierSet | None = None
    tensorflow: SpecifierSet | None = None
    pinned: bool = False
    keras_core: SpecifierSet | None = None

    @property
    def empty(self) -> bool:
        return self.keras is None and self.tf_keras is None and self.tensorflow is None and self.keras_core is None


def project_root(start: Path) -> Path | None:
    directory = start if start.is_dir() else start.parent
    for parent in [directory.absolute(), *directory.absolute().parents]:
        if any((parent / m).is_file() for m in PROJECT_MARKERS) or any(parent.glob("requirements*.txt")):
            return parent
    return None


RootTargets = tuple  # ((root, Target), ...) for the roots judged apart from ``import keras``


def choose_target(settings: Settings, start: Path, the_catalog: Catalog | None = None,
                  notices: list[str] | None = None) -> tuple[Target, RootTargets]:
    """(target for ``import keras``, the targets of the other roots: ``tf.keras``, ``tf_keras``,
    ``keras_core``); project files that could not be read are named in ``notices``."""
    the_catalog = the_catalog or catalog_module.load()
    requirements = None
    if settings.keras_version:
        where = "--keras-version" if settings.config_file is None else f"keras-version in {settings.config_file}"
        target = the_catalog.target(settings.keras_version, f"configured: {where} = {settings.keras_version!r}")
    else:
        root = project_root(start)
        requirements = read_project_requirements(root, notices) if root else None
        if requirements and not requirements.empty:
            target = target_from_requirements(requirements, the_catalog)
        else:
            requirements = None
            installed = installed_keras_version()
            target = (the_catalog.target(installed, f"installed keras distribution {installed} (package metadata)")
                      if installed else the_catalog.default_target())
    return target, (
        ("tf.keras", _tf_dot_keras_target(the_catalog, requirements, target)),
        ("tf_keras", _tf_keras_target(the_catalog, requirements)),
        ("keras_core", _keras_core_target(the_catalog, requirements)),
    )


def _tf_dot_keras_target(the_catalog: Catalog, requirements: Requirements | None, keras: Target) -> Target:
    """``tf.keras`` is what the pinned TensorFlow bundles (TF 2.16+: Keras 3, the project's keras pin
    when it has one, or tf-keras when ``TF_USE_LEGACY_KERAS`` is set); without a TensorFlow pin, the
    target of ``import keras``."""
    if requirements is None or requirements.tensorflow is None:
        return keras
    keras3 = list(keras.releases) if requirements.keras is not None else None
    if os.environ.get("TF_USE_LEGACY_KERAS", "").lower() in ("1", "true"):
        keras3 = list(_tf_keras_target(the_catalog, requirements).releases)
    releases = tensorflow_releases(requirements.tensorflow, the_catalog, keras3)
    if not releases:
        return the_catalog.nearest_target(str(requirements.tensorflow), f"tensorflow{requirements.tensorflow} from "
                                          f"{requirements.source}", "tensorflow")
    return Target(tuple(releases), f"tensorflow{requirements.tensorflow} from {requirements.source} (the Keras it bundles)")


def _keras_core_target(the_catalog: Catalog, requirements: Requirements | None) -> Target:
    """Files importing keras_core: the project's keras-core pin, else the newest keras-core."""
    return _own_line_target(the_catalog, "keras-core", "keras_core", requirements and requirements.keras_core,
                            requirements)


def _tf_keras_target(the_catalog: Catalog, requirements: Requirements | None) -> Target:
    """Files importing tf_keras are Keras 2 code: the project's tf-keras pin, else the newest tf-keras."""
    return _own_line_target(the_catalog, "tf-keras", "tf_keras", requirements and requirements.tf_keras, requirements)


def _own_line_target(the_catalog: Catalog, distribution: str, root: str, specifier: SpecifierSet | None,
                     requirements: Requirements | None) -> Target:
    """A root with a distribution of its own: the project's pin of it, else its newest release."""
    if requirements is not None and specifier is not None:
        releases = _select(the_catalog.of(distribution), specifier)
        if releases:
            return Target(tuple(releases), f"{distribution} {specifier or '(any)'} from {requirements.source}")
    newest = the_catalog.newest(distribution)
    return Target((newest,), f"file imports {root}: newest {distribution} in the catalog ({newest.version})")


def _select(releases: list, specifier: SpecifierSet) -> list:
    """Releases allowed by ``specifier``; an empty specifier means "whatever pip installs": the newest."""
    if not str(specifier):
        return releases[-1:]
    return [r for r in releases if specifier.contains(r.version, prereleases=True)]


def target_from_requirements(requirements: Requirements, the_catalog: Catalog) -> Target:
    """Map keras / tf-keras / tensorflow constraints to catalog releases."""
    reason = f"from {requirements.source}"
    if requirements.keras is not None:
        releases = _select(the_catalog.of("keras"), requirements.keras)
        if releases:
            return Target(tuple(releases), f"keras{requirements.keras} {reason}")
    if requirements.tensorflow is not None:
        releases = tensorflow_releases(requirements.tensorflow, the_catalog)
        if releases:
            return Target(tuple(releases), f"tensorflow{requirements.tensorflow} {reason} (the Keras it bundles)")
    if requirements.keras_core is not None:
        releases = _select(the_catalog.of("keras-core"), requirements.keras_core)
        if releases:
            return Target(tuple(releases), f"keras-core{requirements.keras_core} {reason}")
    if requirements.tf_keras is not None and requirements.keras is None:
        # ``import keras`` is the standalone Keras (3 beside TF 2.16+), whatever tf-keras is pinned to;
        # files importing tf_keras get the tf-keras target of their own.
        newest = the_catalog.newest("keras")
        return Target((newest,), f"keras not pinned {reason} (tf-keras{requirements.tf_keras} is, for files "
                                 f"importing tf_keras): newest Keras in the catalog, {newest.version}")
    # Nothing in the catalog satisfies the pins: the nearest release, never a refusal.
    for distribution, specifier in (("keras", requirements.keras), ("tensorflow", requirements.tensorflow),
                                    ("keras-core", requirements.keras_core), ("tf-keras", requirements.tf_keras)):
        if specifier is not None and str(specifier):
            return the_catalog.nearest_target(str(specifier), f"{distribution}{specifier} {reason}", distribution)
    return the_catalog.default_target()


def tensorflow_releases(specifier: SpecifierSet, the_catalog: Catalog, keras3: list | None = None) -> list:
    """The Keras each TensorFlow minor allowed by ``specifier`` runs with.

    TF 1.4-2.5 bundle tf.keras (TF 1.0-1.3 have none: such pins find nothing here and are judged
    against the nearest bundle); TF 2.6-2.15 depend on keras of the same minor; TF 2.16+ use
    Keras 3 (``keras3`` when given: the project's keras pin or tf-keras, else the newest, as pip
    resolves it).
    """
    overrides = the_catalog.overrides["tensorflow_bundles"]
    bundled_until = Version(overrides["bundled_until"])
    keras2_until = Version(overrides["keras2_until"]).minor
    newest_minor = max(keras2_until + 1, the_catalog.newest("tf-keras").version.minor)
    bundles = the_catalog.of("tensorflow")
    minors = sorted({r.version.release[:2] for r in bundles} | {(2, m) for m in range(newest_minor + 1)})
    minors = [(major, minor) for major, minor in minors
              if any(specifier.contains(f"{major}.{minor}.{p}") for p in range(10))]
    if not str(specifier):
        minors = minors[-1:]
    chosen = []
    for major, minor in minors:
        if (major, minor) <= bundled_until.release[:2]:
            chosen += [r for r in bundles if r.version.release[:2] == (major, minor)]
        elif minor <= keras2_until:
            chosen += [r for r in the_catalog.of("keras") if r.version.major == 2 and r.version.minor == minor][-1:]
        else:  # TF 2.16+: ``tf.keras`` and ``import keras`` are Keras 3 (tf_keras files have their own target)
            chosen += keras3 or [the_catalog.newest("keras")]
    unique = []
    for release in chosen:
        if release not in unique:
            unique.append(release)
    return unique


def read_project_requirements(root: Path, notices: list[str] | None = None) -> Requirements:
    """Lock-file pins first (exact), then declared dependencies, in the order the issue lists.

    A file that cannot be read is passed over, with a line in ``notices`` saying why.
    """
    notices = [] if notices is None else notices
    for name in LOCK_FILES:
        path = root / name
        if path.is_file():
            try:
                found = _from_lock(path)
            except (TypeError, AttributeError, KeyError) as error:
                notices.append(f"{path} ignored for the Keras version: {type(error).__name__}: {error}")
                continue
            if not found.empty:
                return found
    readers = (
        ("pyproject.toml", _from_pyproject),
        ("requirements*.txt", _from_requirements_files),
        ("setup.cfg", _from_setup_cfg),
        ("Pipfile", _from_pipfile),
        ("environment.yml", _from_environment),
    )
    for pattern, reader in readers:
        paths = sorted(root.glob(pattern))
        if paths:
            try:
                found = reader(paths)
            except (OSError, ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
                # A project file of an unexpected shape: the next reader decides.
                notices.append(f"{paths[0]} ignored for the Keras version: {type(error).__name__}: {error}")
                continue
            if not found.empty:
                return found
    return Requirements(source=str(root))


def _collect(source: str, lines, pinned: bool = False) -> Requirements:
    """Combine requirement strings (PEP 508) into one Requirements."""
    lines = [line for line in lines if _KERAS_REQUIREMENT.match(line)]
    if not lines:
        return Requirements(source, pinned=pinned)
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import SpecifierSet

    specs: dict[str, SpecifierSet] = {}
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        name = requirement.name.lower().replace("_", "-")
        if name in TENSORFLOW_DISTRIBUTIONS:
            name = "tensorflow"
        if name in ("keras", "tf-keras", "tensorflow", "keras-core"):
            specs[name] = specs.get(name, SpecifierSet()) & requirement.specifier
    return Requirements(source, specs.get("keras"), specs.get("tf-keras"), specs.get("tensorflow"), pinned,
                        specs.get("keras-core"))


def _from_lock(path: Path) -> Requirements:
    try:
        document = _read_toml(path)
    except (OSError, ValueError):
        return Requirements(str(path))
    lines = [
        f"{p['name']}=={p['version']}" for p in document.get("package", [])
        if isinstance(p, dict) and "name" in p and "version" in p
    ]
    return _collect(str(path), lines, pinned=True)


def _from_pyproject(paths: list[Path]) -> Requirements:
    document = _read_toml(paths[0])
    project = document.get("project", {})
    lines = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        lines += group
    poetry = document.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {})] + [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
    for table in tables:
        for name, value in table.items():
            version = value.get("version", "") if isinstance(value, dict) else value
            lines.append(f"{name}{_poetry_specifier(str(version))}")
    return _collect(str(paths[0]), lines)


def _poetry_specifier(version: str) -> str:
    """Poetry's ``^2.15`` / ``~2.15`` / ``2.15.0`` / ``*`` as a PEP 440 specifier."""
    version = version.strip()
    if version in ("", "*"):
        return ""
    if version.startswith("^"):
        base = Version(version[1:])
        upper = f"{base.major + 1}" if base.major else f"0.{base.minor + 1}"
        return f">={base},<{upper}"
    if version.startswith("~") and not version.startswith("~="):
        base = Version(version[1:])
        return f">={base},<{base.major}.{base.minor + 1}"
    if version[0].isdigit():
        return f"=={version}"
    return version


def _from_requirements_files(paths: list[Path]) -> Requirements:
    lines: list[str] = []
    seen: set[Path] = set()
    for path in paths:
        _requirement_lines(path, lines, seen)
    return _collect(", ".join(str(p) for p in paths), lines)


def _requirement_lines(path: Path, lines: list[str], seen: set[Path]) -> None:
    """The requirement lines of ``path`` and the files it includes with ``-r`` (each read once,
    however deep the chain: read from a work list, not by recursion)."""
    todo = [path]
    while todo:
        path = todo.pop().absolute()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        included = []
        for raw in read_auxiliary_text(path, errors="replace").splitlines():
            line = raw.split(" #", 1)[0].strip()
            if line.startswith(("-r ", "--requirement ")) and len(line.split(None, 1)) == 2:
                included.append(path.parent / line.split(None, 1)[1].strip())
            elif line and not line.startswith(("#", "-")):
                lines.append(line)
        todo.extend(reversed(included))


def _from_setup_cfg(paths: list[Path]) -> Requirements:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)  # setuptools does not interpolate "%"
    try:
        parser.read_string(read_auxiliary_text(paths[0]))
    except configparser.Error as error:
        raise ValueError(error) from None
    lines = parser.get("options", "install_requires", fallback="").splitlines()
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            lines += value.splitlines()
    return _collect(str(paths[0]), [line.strip() for line in lines if line.strip()])


def _from_pipfile(paths: list[Path]) -> Requirements:
    document = _read_toml(paths[0])
    lines = []
    for section in ("packages", "dev-packages"):
        for name, value in document.get(section, {}).items():
            version = value.get("version", "*") if isinstance(value, dict) else value
            lines.append(name + ("" if version == "*" else version))
    return _collect(str(paths[0]), lines)


_CONDA_ENTRY = re.compile(r"^\s*-\s*([A-Za-z0-9_.\-]+)\s*(?:==\s*|=\s*|([<>!~]=?)\s*)?([0-9][^\s#]*)?")


def _from_environment(paths: list[Path]) -> Requirements:
    """conda ``environment.yml``: ``- keras=2.15`` (conda) and ``- keras==2.15.0`` (pip) entries."""
    lines = []
    for raw in read_auxiliary_text(paths[0]).splitlines():
        match = _CONDA_ENTRY.match(raw)
        if not match:
            continue
        name, operator, version = match.groups()
        if version is None:
            lines.append(name)
        elif operator:
            lines.append(f"{name}{operator}{version}")
        elif "*" in version or version.count(".") < 2:
            lines.append(f"{name}=={version.rstrip('.*')}.*")
        else:
            lines.append(f"{name}=={version}")
    return _collect(str(paths[0]), lines)


def installed_keras_version() -> str | None:
    """The installed ``keras`` distribution's version, from its ``.dist-info`` folder name.

    Neither keras nor importlib.metadata is imported: a glob over ``sys.path`` is enough.
    """
    for entry in sys.path:
        for info in sorted(Path(entry or ".").glob("keras-*.dist-info")):
            version = info.name[len("keras-"): -len(".dist-info")]
            if version[:1].isdigit():
                return version
    return None
