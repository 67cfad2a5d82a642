"""The first pass over a project: what one file cannot know about the others.

- Names registered with Keras anywhere (valid activation strings everywhere).
- Keras names that project modules re-export (``from .layers import Dense``), for the modules
  the checked files import; a module outside the scan is looked up on disk.

Results are cached while no file involved has changed.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from keraslint.cache import prepare, stamp
from keraslint.discover import Candidate
from keraslint.prefilter import needles, parse
from keraslint.registrations import may_register, registered_names
from keraslint.resolve import ModuleIndex, Resolver, absolute_module, module_name, package_of
from keraslint.sources import SourceError, decode_python, notebook_program, read_bytes, read_notebook

FACTS_FORMAT = 1


@dataclass(frozen=True)
class ProjectFacts:
    """What a first pass over every scanned file learns: registered names, Keras re-exports."""

    registered: frozenset[str] = frozenset()
    exports: dict = field(default_factory=dict)  # module name -> {name: qualified Keras name}
    consulted: tuple[str, ...] = ()  # files read besides the candidates (imported project modules)


def cached_project_facts(candidates: list[Candidate], directory: Path | None) -> ProjectFacts:
    """``project_facts``, reused from ``directory`` while no file it read has changed."""
    if directory is None:
        return project_facts(candidates)
    key = hashlib.sha256(json.dumps(
        [FACTS_FORMAT] + [(str(c.path), stamp(c.path)) for c in candidates]
    ).encode()).hexdigest()[:24]
    path = directory / f"facts-{key}.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        exports = document["exports"]
        well_formed = all(
            isinstance(module, str) and isinstance(names, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in names.items())
            for module, names in exports.items()
        )
        if well_formed and all(stamp(Path(p)) == s for p, s in document["consulted"]):
            return ProjectFacts(frozenset(map(str, document["registered"])), dict(document["exports"]),
                                tuple(p for p, _ in document["consulted"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    facts = project_facts(candidates)
    document = {"registered": sorted(facts.registered), "exports": facts.exports,
                "consulted": [(p, stamp(Path(p))) for p in facts.consulted]}
    try:
        prepare(directory)
        for stale in directory.glob("facts-*.json"):
            stale.unlink()
        path.write_text(json.dumps(document), encoding="utf-8")
    except OSError:
        pass
    return facts


_FROM_IMPORT = re.compile(r"^\s*from\s+(\.*[\w.]*)\s+import\b", re.MULTILINE)


def project_facts(candidates: list[Candidate]) -> ProjectFacts:
    """First pass: names any file registers with Keras, and the Keras names that project
    modules imported by a checked file re-export. Files are read one at a time (memory stays
    flat) and only registering files and imported modules are parsed."""
    registered: set[str] = set()
    imported: dict[str, Path] = {}  # project module -> a file that imports it (to find it on disk)
    modules: dict[str, Path] = {}
    for candidate in candidates:
        path = candidate.path
        if path.suffix not in (".py", ".ipynb"):
            continue
        text = _read_text(path)
        if text is None:
            continue
        if path.suffix == ".py":
            modules[module_name(path)] = path
        if may_register(text):
            tree = parse(text)
            if not isinstance(tree, tuple):
                registered |= registered_names(ModuleIndex(tree))
        if any(word in text for word in needles()):
            package = package_of(path)
            for module in _FROM_IMPORT.findall(text):
                imported.setdefault(absolute_module(module, package), path)
    exports: dict[str, dict[str, str]] = {}
    consulted = []
    for name, importer in imported.items():
        path = modules.get(name)
        if path is None:
            path = _module_file(name, importer)
            if path is not None:
                consulted.append(str(path))
        text = _read_text(path)
        if text is None or "keras" not in text:
            continue
        tree = parse(_top_level_imports(text))  # exports come from imports: parse only those
        if isinstance(tree, tuple):
            tree = parse(text)
        if not isinstance(tree, tuple):
            module_exports = Resolver(ModuleIndex(tree), package_of(path)).exports()
            if module_exports:
                exports[name] = module_exports
    return ProjectFacts(frozenset(registered), exports, tuple(sorted(consulted)))


def _module_file(module: str, importer: Path) -> Path | None:
    """The file of project module ``module``, looked up beside the importer's top-level package."""
    package = package_of(importer)
    if not package or not module:
        return None
    top = importer.absolute().parent
    for _ in package.split("."):
        top = top.parent
    base = top.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _read_text(path: Path | None) -> str | None:
    """A Python file's text, or a notebook's code cells joined; None when unreadable."""
    if path is None:
        return None
    try:
        data = read_bytes(path)
        if path.suffix == ".ipynb":
            return notebook_program(read_notebook(data), "")[0]
        return decode_python(data).text
    except (OSError, SourceError):
        return None


def _top_level_imports(text: str) -> str:
    """The module's top-level import statements (with continuation lines), as source."""
    lines = text.splitlines()
    statements, index = [], 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(("import ", "from ")):
            statement = [line]
            depth = line.count("(") - line.count(")")
            while (depth > 0 or statement[-1].rstrip().endswith("\\")) and index + 1 < len(lines):
                index += 1
                statement.append(lines[index])
                depth += lines[index].count("(") - lines[index].count(")")
            statements += statement
        index += 1
    return "\n".join(statements) + "\n"
