"""What one file cannot know about the others, learned only when a file needs it.

- Keras names that project modules re-export (``from .layers import Dense``): read from the
  top-level imports of the modules a file imports from, when that file is parsed; a module
  outside the scan is looked up on disk.
- Whether such a module binds a Keras name under another name (``Dense as D``): then the
  prefilter cannot find ``D(...)`` by its words, and the importing file is parsed.
- Names registered with Keras anywhere (valid activation strings everywhere): collected only
  when a file has a finding they could silence, and cached while no file changes.
"""
from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from keraslint.cache import prepare, stamp
from keraslint.discover import Candidate
from keraslint.registrations import may_register, registered_names
from keraslint.resolve import ModuleIndex, Resolver, absolute_module, module_name, package_of
from keraslint.rules import Context
from keraslint.sources import (
    SourceError,
    decode_python,
    notebook_program,
    parse,
    read_auxiliary_text,
    read_bytes,
    read_notebook,
)

if TYPE_CHECKING:
    from keraslint.checker import FunctionSinks

FACTS_FORMAT = 2
_FROM_IMPORT = re.compile(r"from[ \t]+(\.*[\w.]*)[ \t]+import\b")  # anywhere: a literal start is fast


# (path, target releases) -> (the module's stamp, its sinks): one entry per module, also in a
# language server that sees the module change many times
_SINKS: dict[tuple, tuple[tuple, dict[str, FunctionSinks]]] = {}


@dataclass(frozen=True)
class ModuleFacts:
    """What an importing file may need to know about one project module (read when asked)."""

    path: str
    stamp: tuple

    @functools.cached_property
    def _words(self) -> tuple[bool, frozenset[str], frozenset[str], bool]:
        """(whether ``keras`` is in its text, the root words in it, the names of its top-level
        functions and whether it renames a Keras name when ``keras`` is), from one read."""
        from keraslint.lexer import code_view, unix_newlines
        from keraslint.prefilter import ROOT_WORDS, TOP_LEVEL_DEF, renamed_on_import

        text = _read_text(Path(self.path))
        if text is None:
            return False, frozenset(), frozenset(), False
        keras = "keras" in text
        functions = frozenset(TOP_LEVEL_DEF.findall(unix_newlines(text))) if keras and "def" in text else frozenset()
        aliased = keras and renamed_on_import(*code_view(text))
        return keras, frozenset(w for w in ROOT_WORDS.values() if w in text), functions, aliased

    @property
    def functions(self) -> frozenset[str]:
        """Names of its top-level functions (maybe more: a ``def`` in a string counts), if it
        mentions Keras: the only ones whose parameters may reach a Keras site."""
        return self._words[2]

    @property
    def aliased(self) -> bool:
        """It imports a name that sites are found by under another name (``Dense as D``), so an
        importing file may call that name under one the prefilter does not look for."""
        return self._words[3]

    @property
    def root_words(self) -> frozenset[str]:
        """The words of Keras roots (``tensorflow``, ``tf_keras``, ``keras_core``) in the module's
        text: the roots whose names it may re-export."""
        return self._words[1]

    @functools.cached_property
    def textual_sinks(self) -> dict[str, tuple[tuple[str, ...], dict[str, str | None]]] | None:
        """What the prefilter may assume of ``sinks`` without parsing (``prefilter.textual_sinks``)."""
        from keraslint.prefilter import textual_sinks

        text = _read_text(Path(self.path)) if self._words[0] else None
        return textual_sinks(text) if text is not None else {}

    def sinks(self, context: Context) -> dict[str, FunctionSinks]:
        """The sinks of the module's top-level functions (``build_model(inputs, loss)`` whose
        ``loss`` reaches ``compile``), worked out once per target when a file calls them."""
        key = (self.path, context.target.releases)
        if key not in _SINKS or _SINKS[key][0] != self.stamp:
            from keraslint.checker import module_sinks

            path = Path(self.path)
            text = _read_text(path) if self._words[0] else None
            found = module_sinks(text, module_name(path), package_of(path), context) if text is not None else {}
            _SINKS[key] = (self.stamp, found)
        return _SINKS[key][1]

    @functools.cached_property
    def exports(self) -> dict[str, str]:
        """The Keras names the module binds (name -> qualified name), from its top-level imports."""
        text = _read_text(Path(self.path)) if self._words[0] else None
        if text is None or "keras" not in text:
            return {}
        tree = parse(_top_level_imports(text))
        return {} if isinstance(tree, tuple) else Resolver(ModuleIndex(tree), package_of(self.path)).exports()


@dataclass(frozen=True)
class Project:
    """The project's modules: the checked files (others are found on disk)."""

    files: tuple[str, ...]

    @classmethod
    def of(cls, candidates: list[Candidate]) -> Project:
        return cls(tuple(str(c.path) for c in candidates if c.path.suffix == ".py"))

    @functools.cached_property
    def modules(self) -> dict[str, str]:
        """Module name -> file, worked out when a file first needs it (a warm re-run never does)."""
        return {module_name(Path(path)): path for path in self.files}

    def imports(self, text: str, shown: str) -> dict[str, ModuleFacts]:
        """Facts of the project modules that ``text`` (the file ``shown``) imports names from."""
        if "from" not in text:
            return {}
        directory = os.path.dirname(os.path.abspath(shown))
        package = package_of(shown)
        from keraslint.lexer import join_continuations

        found = {}
        for base in _FROM_IMPORT.findall(join_continuations(text)):
            module = absolute_module(base, package)
            if module in found:
                continue
            path = self.modules.get(module) or _module_file(module, directory, package)
            if path:
                found[module] = module_facts(str(path), tuple(stamp(path) or ()))
            elif package and module:  # not there (yet): recorded, so a cache notices it appearing
                found[module] = module_facts(_top_of(directory, module, package) + ".py", ())
        return found


@functools.lru_cache(maxsize=4096)
def module_facts(path: str, file_stamp: tuple) -> ModuleFacts:
    """One module's facts, shared by every file that imports it (``file_stamp`` keys the memo)."""
    return ModuleFacts(path, file_stamp)


def registered_anywhere(candidates: list[Candidate], directory: Path | None) -> frozenset[str]:
    """Names any checked file registers with Keras; cached in ``directory`` while no file changes."""
    import hashlib

    stamps = [(str(c.path), stamp(c.path)) for c in candidates]
    key = hashlib.sha256(json.dumps([FACTS_FORMAT, stamps]).encode()).hexdigest()[:24]
    path = directory / f"facts-{key}.json" if directory is not None else None
    if path is not None:
        try:
            names = json.loads(read_auxiliary_text(path))["registered"]
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                return frozenset(names)
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            pass
    registered: set[str] = set()
    for candidate in candidates:
        if candidate.path.suffix not in (".py", ".ipynb"):
            continue
        text = _read_text(candidate.path)
        if text is not None and may_register(text):
            tree = parse(text)
            if not isinstance(tree, tuple):
                registered |= registered_names(ModuleIndex(tree))
    if directory is not None and path is not None:
        try:
            prepare(directory)
            for stale in directory.glob("facts-*.json"):
                stale.unlink()
            path.write_text(json.dumps({"registered": sorted(registered)}), encoding="utf-8")
        except OSError:
            pass
    return frozenset(registered)


def _module_file(module: str, directory: str, package: str | None) -> str | None:
    """The file of project module ``module``, looked up beside the top-level package of an
    importer in ``directory`` (which belongs to ``package``)."""
    if not package or not module:
        return None
    return _file_of(_top_of(directory, "", package), module)


def _top_of(directory: str, top_module: str, package: str) -> str:
    """The directory above ``package`` (a package in ``directory``), joined with ``top_module``."""
    for _ in package.split("."):
        directory = os.path.dirname(directory)
    return os.path.join(directory, *top_module.split(".")) if top_module else directory


@functools.lru_cache(maxsize=4096)
def _file_of(top: str, module: str) -> str | None:
    base = os.path.join(top, *module.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(path):
            return path
    return None


def _read_text(path: Path) -> str | None:
    """A Python file's text, or a notebook's code cells joined; None when unreadable."""
    try:
        data = read_bytes(path)
        if path.suffix == ".ipynb":
            return notebook_program(read_notebook(data), "")[0]
        return decode_python(data).text
    except (OSError, SourceError):
        return None


_GUARD = re.compile(r"(?:try|else|finally)\s*:|(?:except|if|elif)\b")  # blocks that still bind module names


def _top_level_imports(text: str) -> str:
    """The import statements that bind the module's names, as source: those at the top level and
    those in top-level ``try``/``except``/``if`` blocks (``try: from tensorflow.keras import layers
    except ImportError: from keras import layers``), brought to the top level; with their
    continuation lines."""
    lines = text.splitlines()
    statements, index, guarded = [], 0, False
    while index < len(lines):
        line = lines[index]
        top_level = line[:1].strip() != ""
        if top_level and not line.startswith("#"):  # which block opens here
            guarded = _GUARD.match(line) is not None
        stripped = line.lstrip()
        if stripped.startswith(("import ", "from ")) and (top_level or guarded):
            statement = [stripped]
            depth = line.count("(") - line.count(")")
            while (depth > 0 or statement[-1].rstrip().endswith("\\")) and index + 1 < len(lines):
                index += 1
                statement.append(lines[index])
                depth += lines[index].count("(") - lines[index].count(")")
            statements += statement
        index += 1
    return "\n".join(statements) + "\n"
