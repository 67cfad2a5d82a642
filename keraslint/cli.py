"""Command line: a thin click layer over settings, discovery, the runner and the reporters.

Exit codes, as ruff's: 0 no problems, 1 problems found (a file that could not be read or parsed
is one; with --diff: changes to make), 2 usage, configuration or output error, an internal error,
or fixes that could not be written.
"""
from __future__ import annotations

import collections
import os
import sys
from pathlib import Path

import click

from keraslint import __version__
from keraslint.catalog import TargetError
from keraslint.catalog import load as load_catalog
from keraslint.diagnostics import printable
from keraslint.discover import DEFAULT_EXCLUDE, discover
from keraslint.rules import all_rules, by_code, is_file_error, select_layers
from keraslint.settings import (
    OUTPUT_FORMATS,
    SettingsError,
    choose_target,
    find_config,
    load_settings,
    merge,
    project_root,
    require_table,
)

EXIT_CLEAN, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
ROOT_LABELS = {"tf.keras": "tf.keras", "tf_keras": "import tf_keras", "keras_core": "import keras_core"}


def _codes(values: tuple[str, ...]) -> tuple[str, ...] | None:
    """``--select KL1,KL2 --select KL3`` -> ("KL1", "KL2", "KL3"); None when not given."""
    if not values:
        return None
    return tuple(c.strip() for v in values for c in v.split(",") if c.strip())


def entry() -> None:
    """The ``keraslint`` command: ``main``, then leave without tearing the interpreter down.

    Everything is written and flushed by then (reports, fixed files, the cache); skipping the
    final garbage collection and module teardown saves 10-20 ms on every run.
    """
    try:
        main()
        code = 0
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            code = exit.code or 0
        else:  # sys.exit("message")
            print(exit.code, file=sys.stderr)
            code = 1
    except BrokenPipeError:  # ``keraslint check | head``: the reader has seen enough
        code = EXIT_PROBLEMS
    except OSError as error:  # standard output is full, closed or fails
        _say(f"error: cannot write the report: {error.strerror or error}")
        code = EXIT_ERROR
    try:
        if sys.stdout is not None and not sys.stdout.closed:  # the language server closes it on exit
            sys.stdout.flush()
    except BrokenPipeError:
        code = code or EXIT_PROBLEMS
    except OSError as error:
        _say(f"error: cannot write the report: {error.strerror or error}")
        code = EXIT_ERROR
    os._exit(code)


def _say(message: str) -> None:
    """A last word on stderr, if there is one to write to."""
    try:
        if sys.stderr is not None:
            sys.stderr.write(message + "\n")
            sys.stderr.flush()
    except OSError:
        pass


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keraslint")
def main() -> None:
    """Find activation (and other identifier) strings Keras would reject, before the code runs."""


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--keras-version", help="Target Keras: a version (3.6, 2.15.0) or a range (>=2.12,<3).")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (KL1, KL101, ALL).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Add codes to the selection.")
@click.option("--exclude", multiple=True, help="Globs to skip, replacing the defaults.")
@click.option("--extend-exclude", multiple=True, help="Globs to skip in addition to the defaults.")
@click.option("--per-file-ignores", "cli_per_file_ignores", multiple=True, metavar="GLOB:CODES",
              help="Replace the configured per-file-ignores (e.g. 'tests/*:KL101,KL4').")
@click.option("--extend-per-file-ignores", multiple=True, metavar="GLOB:CODES", help="Add per-file-ignores.")
@click.option("--fix/--no-fix", default=None, help="Apply safe fixes in place.")
@click.option("--fix-only", is_flag=True, help="Apply fixes; report only what was fixed.")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied (or that --diff would apply).")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when files were fixed, even if nothing remains.")
@click.option("--force-exclude", is_flag=True, help="Apply excludes to files named on the command line too.")
@click.option("--show-files", is_flag=True, help="List the files that would be checked, and stop.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--add-noqa", is_flag=True, help="Add '# noqa: CODE' to each line with a finding.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour (auto: a terminal without NO_COLOR; FORCE_COLOR forces it).")
@click.option("--unsafe-fixes", is_flag=True, default=None, help="Also apply (or show) unsafe fixes.")
@click.option("--diff", is_flag=True, help="Print the diff --fix would apply; write nothing.")
@click.option("--output-format", type=click.Choice(OUTPUT_FORMATS))
@click.option("-o", "--output-file", type=click.Path(path_type=Path), help="Write the report to a file.")
@click.option("--statistics", is_flag=True, help="Print the number of problems per code.")
@click.option("-e", "--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option("-q", "--quiet", is_flag=True, help="Print diagnostics only, no summary.")
@click.option("-v", "--verbose", "--show-settings", "verbose", is_flag=True, help="Say which Keras target was chosen and why.")
@click.option("--stdin-filename", help="Name of the file read from stdin (path '-').")
@click.option("--config", "config_path", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="pyproject.toml to read.")
@click.option("-n", "--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Where to keep the cache (default .keraslint_cache).")
@click.option("--no-respect-gitignore", is_flag=True, help="Check files matched by .gitignore too.")
@click.option("--model-json", is_flag=True, default=None, help="Also check *.json files found in directories as model configs.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores on large scans).")
def check(paths, keras_version, select, ignore, extend_select, exclude, extend_exclude, cli_per_file_ignores,
          extend_per_file_ignores, fix, fix_only, show_fixes, exit_non_zero_on_fix, force_exclude, show_files,
          isolated, add_noqa, color, unsafe_fixes, diff, output_format, output_file, statistics, exit_zero, quiet,
          verbose, stdin_filename, config_path, no_cache, cache_dir, no_respect_gitignore, model_json, jobs) -> None:
    """Check Python files, notebooks and saved models under PATHS (default: the current directory)."""
    from dataclasses import replace

    from keraslint.cache import ResultCache, usable_directory
    from keraslint.reporters import HUMAN_FORMATS, renderer
    from keraslint.runner import Job, Mode, check_bytes, check_project

    reading_stdin = paths == ("-",)  # the text as given: "./-" is a file named "-"
    if "-" in paths and not reading_stdin:
        raise click.UsageError("'-' (standard input) cannot be combined with other paths")
    if reading_stdin and sys.stdin is None:
        raise click.UsageError("'-' was given but standard input is closed")
    paths = [Path(p) for p in paths] or [Path(".")]
    if output_file is not None:
        _prepare_output(output_file)
    elif sys.stdout is None:
        raise OutputError("cannot write the report: standard output is closed (use -o FILE)")
    start = Path(stdin_filename) if reading_stdin and stdin_filename else paths[0]
    try:
        config = None if isolated else config_path or find_config(start.absolute())
        if config_path is not None and not isolated:
            require_table(config_path)
        from_file = load_settings(config)
        settings = merge(
            from_file,
            keras_version=keras_version or os.environ.get("KERASLINT_KERAS_VERSION"),
            exclude=tuple(exclude) or None, extend_exclude=tuple(extend_exclude) or None,
            output_format=output_format or os.environ.get("KERASLINT_OUTPUT_FORMAT"), unsafe_fixes=unsafe_fixes,
            respect_gitignore=False if no_respect_gitignore else None, model_json=model_json,
            cache_dir=os.environ.get("KERASLINT_CACHE_DIR"),
            per_file_ignores=_per_file_ignores(cli_per_file_ignores) if cli_per_file_ignores else None,
        )
        if settings.output_format not in OUTPUT_FORMATS:
            raise SettingsError(f"KERASLINT_OUTPUT_FORMAT must be one of {', '.join(OUTPUT_FORMATS)}")
        if extend_per_file_ignores:
            settings = settings._replace(per_file_ignores=settings.per_file_ignores + _per_file_ignores(extend_per_file_ignores))
        notices: list[str] = []
        target, root_targets = choose_target(settings, start.absolute(), notices=notices)
        # As ruff: the configuration's selection, then the command line's on top of it.
        enabled = select_layers([(from_file.select, from_file.ignore, from_file.extend_select),
                                 (_codes(select), _codes(ignore), _codes(extend_select))])
    except (SettingsError, TargetError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    for notice in notices:
        click.echo(f"warning: {notice}", err=True)
    if verbose:
        click.echo(f"keraslint {__version__}; config: {settings.config_file or 'none'}", err=True)
        click.echo(f"target (import keras): {target.describe()} — {target.reason}", err=True)
        for root, root_target in root_targets:
            click.echo(f"target ({ROOT_LABELS[root]}): {root_target.describe()} — {root_target.reason}", err=True)

    fix = fix if fix is not None else False
    mode: Mode = "diff" if diff else "fix" if fix or fix_only or add_noqa else "check"
    job = Job(
        target, root_targets, frozenset(enabled), extra_activations=settings.extra_activations,
        per_file_ignores=settings.per_file_ignores, mode=mode, unsafe_fixes=settings.unsafe_fixes,
    )
    cache = None
    if mode == "check" and not (no_cache or reading_stdin):
        # As ruff: in the project root (the configuration's directory, else the nearest directory
        # with a project file), else the working directory.
        base = settings.config_file.parent if settings.config_file else project_root(start.absolute()) or Path(".")
        directory = cache_dir or Path(settings.cache_dir or base / ".keraslint_cache")
        # A location from the command line is the user's choice; one from the tree must stay in it.
        refused = usable_directory(directory, None if cache_dir else base)
        if refused:
            click.echo(f"warning: cache not used: {refused}", err=True)
        else:
            cache = ResultCache(directory, job)

    stdin_sources = {}
    if reading_stdin:
        data = sys.stdin.buffer.read()
        shown = stdin_filename or "-"
        results = [check_bytes(data, shown, job)]
        stdin_sources[shown] = data
        if mode == "fix":
            sys.stdout.buffer.write(results[0].fixed_data if results[0].fixed_data is not None else data)
            sys.stdout.flush()
    else:
        excludes = tuple(settings.exclude or DEFAULT_EXCLUDE) + settings.extend_exclude
        candidates = discover(paths, excludes, settings.respect_gitignore, settings.model_json, force_exclude)
        if show_files:
            click.echo("".join(f"{printable(str(c.path.absolute()))}\n" for c in candidates), nl=False)
            return
        if not candidates:
            click.echo("warning: No Python files found under the given path(s)", err=True)
        if add_noqa:
            from keraslint.runner import add_noqa as add_noqa_comments

            added = add_noqa_comments(candidates, replace(job, mode="check"))
            click.echo(f"Added {added} noqa directive{'s' * (added != 1)}.", err=True)
            sys.exit(EXIT_CLEAN)
        results = check_project(candidates, job, workers=jobs, progress=_progress(len(candidates)), cache=cache)

    diagnostics = sorted((d for r in results for d in r.diagnostics), key=lambda d: d.sort_key())
    if fix_only:  # as ruff: what could not be fixed is not reported (nor counted in the exit code)
        diagnostics = [d for d in diagnostics if is_file_error(d.code)]
    report_format = settings.output_format
    report_stream = sys.stderr if reading_stdin and mode == "fix" else sys.stdout
    use_color = _use_color(color, output_file is None and report_format in HUMAN_FORMATS and report_stream.isatty())
    if mode == "diff":
        for result in results:
            if result.diff:
                click.echo(result.diff, nl=False)
    if statistics:  # as ruff: the table replaces the report (as JSON in the JSON formats)
        report = _statistics(diagnostics, report_format, job.unsafe_fixes)
    else:
        report = renderer(report_format)(diagnostics, _line_reader(stdin_sources), use_color, unsafe_fixes=job.unsafe_fixes)
    summary = "" if quiet or report_format not in HUMAN_FORMATS or statistics else _summary(diagnostics, results, job, mode)
    if summary:  # a pin outside the catalog, judged against the nearest release: said every time
        summary += "".join(f"note: {notice}\n" for notice in dict.fromkeys(
            t.notice for t in (target, *(t for _, t in root_targets)) if t.notice))
    if show_fixes and mode != "check":
        summary = _fixes_applied(results, mode) + summary
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(report)
        except OSError as error:
            raise OutputError(f"cannot write {output_file}: {error.strerror or error}") from None
        if summary:
            click.echo(summary, file=sys.stderr)
    else:
        click.echo(report + summary, nl=False, file=report_stream, color=use_color)
    code = _exit_code(diagnostics, results, mode, exit_zero)
    if exit_non_zero_on_fix and code == EXIT_CLEAN and any(r.fixed for r in results):
        code = EXIT_PROBLEMS
    sys.exit(code)


class OutputError(click.ClickException):
    """The report could not be written: a one-line error and exit 2, as for bad usage."""

    exit_code = EXIT_ERROR


def _prepare_output(path: Path) -> None:
    """Check ``-o`` before any work (and create its directory, as ruff does)."""
    if path.is_dir():
        raise OutputError(f"cannot write the report to {path}: it is a directory")
    try:
        path.absolute().parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the directory of {path}: {error.strerror or error}") from None


def _exit_code(diagnostics, results, mode: str, exit_zero: bool) -> int:
    """As ruff: 2 for keraslint's own failures (an internal error, fixes it could not write);
    a file it could not read or parse is a finding like any other (1, or 0 with --exit-zero);
    with --diff, 1 when there is something to change."""
    if any(by_code(d.code).failure for d in diagnostics):
        return EXIT_ERROR
    if mode == "diff":
        return EXIT_PROBLEMS if any(r.diff for r in results) else EXIT_CLEAN
    if diagnostics and not exit_zero:
        return EXIT_PROBLEMS
    return EXIT_CLEAN


def _use_color(choice: str, terminal: bool) -> bool:
    """--color always/never; auto: FORCE_COLOR forces it, NO_COLOR (any value) stops it, else a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("FORCE_COLOR"):
        return True
    return terminal and not os.environ.get("NO_COLOR")


def _per_file_ignores(values) -> tuple:
    """``--per-file-ignores 'GLOB:CODE,CODE'`` as (glob, codes) pairs (globs relative to here)."""
    from keraslint.settings import per_file_ignores

    table: dict[str, list[str]] = {}
    for value in values:
        glob, separator, codes = value.rpartition(":")
        if not separator or not glob:
            raise SettingsError(f"--per-file-ignores takes GLOB:CODES, not {value!r}")
        table.setdefault(glob, []).extend(c.strip() for c in codes.split(",") if c.strip())
    return per_file_ignores(table, Path.cwd().as_posix(), "--per-file-ignores")


def _fixes_applied(results, mode: str) -> str:
    fixed = [(r.path, r.fixed) for r in results if r.fixed]
    if not fixed:
        return ""
    verb = "Would fix" if mode == "diff" else "Fixed"
    lines = [f"{verb} {count} problem{'s' * (count != 1)} in {printable(path)}" for path, count in fixed]
    return "\n".join(lines) + "\n"


def _summary(diagnostics, results, job, mode: str) -> str:
    from keraslint.fixer import fixable

    fixed = sum(r.fixed for r in results)
    if mode == "diff" and fixed:
        return f"Would fix {fixed} problem{'s' * (fixed != 1)} ({len(diagnostics)} remaining).\n"
    if not diagnostics:
        if mode == "fix" and fixed:
            return f"Found {fixed} problem{'s' * (fixed != 1)} ({fixed} fixed, 0 remaining).\n"
        return "All checks passed!\n"
    count = len(diagnostics)
    noun = f"problem{'s' * (count != 1)}"
    if mode == "fix":
        total = count + fixed
        text = f"Found {total} problem{'s' * (total != 1)} ({fixed} fixed, {count} remaining).\n"
    else:
        can_fix = sum(fixable(d, job.unsafe_fixes) for d in diagnostics)
        text = f"Found {count} {noun}" + (f" ({can_fix} fixable with --fix)" if can_fix else "") + ".\n"
    hidden = sum(d.fix is not None and d.fix.applicability == "unsafe" for d in diagnostics) if not job.unsafe_fixes else 0
    if hidden:
        text += f"({hidden} hidden fix{'es' * (hidden != 1)} can be enabled with the `--unsafe-fixes` option.)\n"
    return text


def _statistics(diagnostics, report_format: str, unsafe: bool) -> str:
    from keraslint.fixer import fixable

    counts = collections.Counter(d.code for d in diagnostics)
    can_fix = collections.Counter(d.code for d in diagnostics if fixable(d, unsafe))
    names = {r.code: r.name for r in all_rules()}
    rows = [{"code": code, "name": names.get(code, ""), "count": n, "fixable": can_fix[code] == n}
            for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    if report_format not in ("full", "concise", "grouped"):
        import json

        return json.dumps(rows, indent=2) + "\n"
    return "".join(f"{r['count']:>5}\t{r['code']}\t{'[*] ' if r['fixable'] else ''}{r['name']}\n" for r in rows)


def _line_reader(stdin_sources: dict):
    """Source line of a diagnostic for the full format (files are re-read, after any fix)."""
    from keraslint.sources import SourceError, decode_python, read_bytes, read_notebook, split_lines

    texts = {}

    def lines_of(diagnostic):
        """The lines of the file (or cell) a diagnostic is in, split once per file."""
        key = (diagnostic.filename, diagnostic.cell)
        if key not in texts:
            try:
                data = stdin_sources.get(diagnostic.filename)
                if data is None:
                    data = read_bytes(diagnostic.filename)
                if diagnostic.cell is not None:
                    cells = {c.number: c.source for c in read_notebook(data).cells}
                    texts[key] = split_lines(cells.get(diagnostic.cell, ""))
                else:
                    texts[key] = split_lines(decode_python(data).text)
            except (OSError, SourceError):
                texts[key] = None
        return texts[key]

    def read_line(diagnostic):
        if is_file_error(diagnostic.code) or diagnostic.config_path:  # a model's config is not source to show
            return None
        lines = lines_of(diagnostic)
        row = diagnostic.location.row
        return lines[row - 1] if lines is not None and 0 < row <= len(lines) else None

    return read_line


def _progress(total: int, width: int = 30):
    """A progress bar on stderr (``[######......]  412/834 files``), on a terminal only, for long
    scans; redrawn when the percentage changes."""
    if total < 500 or not sys.stderr.isatty():
        return None
    state = {"done": 0, "shown": -1}

    def tick():
        state["done"] += 1
        percent = state["done"] * 100 // total
        if percent != state["shown"]:
            state["shown"] = percent
            filled = state["done"] * width // total
            sys.stderr.write(f"\rkeraslint [{'#' * filled}{'.' * (width - filled)}] {state['done']}/{total} files")
            if state["done"] == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return tick


@main.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="List every rule.")
@click.option("--format", "--output-format", "output", type=click.Choice(["text", "markdown", "json"]), default="text")
def rule(code, show_all, output) -> None:
    """Explain a rule, by code or name (keraslint rule KL101, keraslint rule unknown-activation),
    or list them all (--all)."""
    rules = {r.code: r for r in all_rules()}
    if show_all or not code:
        if output == "json":
            import json

            click.echo(json.dumps([_rule_json(r) for r in rules.values()], indent=2))
            return
        click.echo(rule_table(list(rules.values())) if output == "markdown" else "".join(
            f"{r.code}  {r.name:<40} fix: {r.fixable}\n" for r in rules.values()
        ), nl=False)
        return
    by_name = {r.name: r for r in rules.values()}
    chosen = rules.get(code.upper()) or by_name.get(code.lower())
    if chosen is None:
        raise click.UsageError(f"unknown rule {code!r}; see `keraslint rule --all`")
    if output == "json":
        import json

        click.echo(json.dumps(_rule_json(chosen), indent=2))
        return
    click.echo(chosen.doc(), nl=False)


def _rule_json(rule) -> dict:
    """A rule as ruff's ``rule --output-format json`` describes one."""
    return {"code": rule.code, "name": rule.name, "summary": rule.summary, "fix": rule.fixable,
            "severity": rule.level, "explanation": rule.explanation.strip()}


@main.command()
def server() -> None:
    """Run the language server (LSP over stdin/stdout) for editors; see the README."""
    from keraslint.server import serve

    serve()


@main.command()
def clean() -> None:
    """Delete the caches (.keraslint_cache) below the current directory, as ruff clean does."""
    import shutil

    removed = 0
    for directory in sorted(Path(".").rglob(".keraslint_cache")):
        if directory.is_symlink():
            directory.unlink()  # a link is removed, never followed
        elif directory.is_dir() and (directory / "CACHEDIR.TAG").is_file():
            shutil.rmtree(directory)
        else:
            continue
        removed += 1
        click.echo(f"Removing cache at: {printable(str(directory))}", err=True)
    if not removed:
        click.echo("No cache found.", err=True)


def rule_table(rules) -> str:
    """The README's rule table (a test keeps the README in step with it)."""
    lines = ["| Code | Name | Fix | What it finds |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.code} | {r.name} | {r.fixable} | {r.summary} |" for r in rules]
    return "\n".join(lines) + "\n"


@main.command(name="catalog")
@click.argument("name", required=False)
def catalog_command(name) -> None:
    """Which Keras releases accept a name, in each lookup (activation, initializer, regularizer,
    constraint, loss, metric, optimizer) and as a class of keras.layers, keras.optimizers, ...;
    without NAME, every name the catalog knows."""
    from keraslint.rules.api import API_MODULES

    the_catalog = load_catalog()
    if name is None:
        names = set(the_catalog.all_strings)
        for release in the_catalog.releases:
            for table in release.families.values():
                names |= table.names
        for module in API_MODULES:
            names |= {n for n in the_catalog.api_names_anywhere(module) if n[:1].isupper()}  # classes
        lines = [line for n in sorted(names, key=lambda n: (n.lower(), n)) for line in _catalog_lines(the_catalog, n)]
    else:
        lines = _catalog_lines(the_catalog, name, detail=True)
    for line in lines:
        click.echo(line)
    if name and not lines:
        click.echo(f"{name}: no Keras release resolves this name in any lookup", err=True)
        sys.exit(EXIT_PROBLEMS)


def _catalog_lines(the_catalog, name: str, detail: bool = False) -> list[str]:
    """``adam (optimizer): Keras 1.0.0..3.15.1; ...``, one line per lookup that resolves ``name``."""
    from keraslint.rules.api import API_MODULES
    from keraslint.rules.identifiers import FAMILY_WORDS

    words = {"activations": "activation", **FAMILY_WORDS}
    lines = [f"{name} ({words[kind]}): {the_catalog.timeline(releases)}"
             for kind, releases in the_catalog.accepting_anywhere(name)]
    lines += [f"{name} (keras.{module}.{name}): {the_catalog.timeline(releases)}"
              for module in API_MODULES if (releases := the_catalog.having_api_name(module, name))]
    functions = [r for r in the_catalog.releases if name in r.functions]
    if detail and functions and functions != the_catalog.accepting(name):
        lines.append(f"keras.activations.{name}: {the_catalog.timeline(functions)}")
    special = the_catalog.overrides["compile_metric_strings"]["names"]
    if detail and name.lower() in special:
        lines.append(f"{name}: a compile(metrics=[...]) string Keras resolves itself (see overrides.json)")
    return lines
