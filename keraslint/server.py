"""``keraslint server``: a Language Server (LSP over stdio, on pygls) for scripts and notebooks.

The editor gets what ``keraslint check`` reports on the same text and settings: diagnostics on
open, on change (debounced) and on save; quick fixes (the safe one preferred, unsafe ones
labelled), ``# noqa`` suppressions and ``source.fixAll.keraslint``; notebooks through LSP 3.17
notebook sync, one namespace per notebook, findings in the right cell. Settings come from the
``pyproject.toml`` governing each file (re-read when it changes); a broken one is reported to the
client and the defaults are used. The catalog and the rules are loaded once per server.
"""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import NamedTuple

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from keraslint import __version__
from keraslint.catalog import TargetError
from keraslint.diagnostics import Diagnostic, Position
from keraslint.fixer import fixable
from keraslint.rules import REGISTRY, all_rules, is_file_error, select_layers
from keraslint.runner import Job, check_bytes
from keraslint.settings import SettingsError, choose_target, find_config, load_settings

DEBOUNCE_SECONDS = 0.25  # after the last keystroke
SOURCE = "keraslint"
FIX_ALL = "source.fixAll.keraslint"


class Checked(NamedTuple):
    """What was last reported for one document (a file, or a notebook cell)."""

    version: int | None
    diagnostics: list[Diagnostic]


class KeraslintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "keraslint", __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[types.NotebookDocumentFilterWithCells(
                    cells=[types.NotebookCellLanguage(language="python")], notebook="jupyter-notebook")],
                save=True,
            ),
        )
        self.jobs: dict[tuple, Job] = {}  # by (configuration file, its mtime): re-read when it changes
        self.told: set[tuple] = set()  # the targets already announced in the log
        self.checked: dict[str, Checked] = {}  # by document URI
        self.pending: dict[str, asyncio.TimerHandle] = {}

    # --- settings ------------------------------------------------------------------------

    def job_for(self, path: Path) -> Job:
        """The job ``keraslint check`` would use for ``path``; defaults (and a message to the
        client) when its configuration is broken."""
        try:
            config = find_config(path.absolute())
            key = (str(config), os.stat(config).st_mtime_ns if config else None, str(path.parent))
            if key not in self.jobs:
                self.jobs[key] = self._job(config, path)
            return self.jobs[key]
        except (SettingsError, TargetError, ValueError, OSError) as error:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"keraslint: {error}"))
            return self._job(None, path)

    def _job(self, config: Path | None, path: Path) -> Job:
        settings = load_settings(config)
        target, root_targets = choose_target(settings, path.absolute())
        enabled = select_layers([(settings.select, settings.ignore, settings.extend_select)])
        job = Job(target, root_targets, frozenset(enabled), extra_activations=settings.extra_activations,
                  per_file_ignores=settings.per_file_ignores, unsafe_fixes=settings.unsafe_fixes)
        announcement = (str(config), target.describe())
        if announcement not in self.told:
            self.told.add(announcement)
            where = config or "no configuration"
            self.window_log_message(types.LogMessageParams(
                types.MessageType.Info, f"keraslint {__version__} ({where}): target {target.describe()}: {target.reason}"))
        return job

    # --- checking --------------------------------------------------------------------------

    def check_text_document(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:
            self.check_notebook(notebook.uri)
            return
        path = Path(to_fs_path(uri) or "untitled.py")
        if path.suffix not in (".py", ".pyi", ".ipynb") and document.language_id != "python":
            return
        result = check_bytes(document.source.encode("utf-8", "surrogatepass"), str(path), self.job_for(path))
        self.publish(uri, document.version, result.diagnostics)

    def check_notebook(self, notebook_uri: str) -> None:
        """All cells as one program, as ``check`` reads an ``.ipynb``; findings go to their cell."""
        notebook = self.workspace.get_notebook_document(notebook_uri=notebook_uri)
        if notebook is None:
            return
        cells = notebook.cells
        document = {"cells": [
            {"cell_type": "code" if cell.kind == types.NotebookCellKind.Code else "markdown", "metadata": {},
             "source": self.workspace.get_text_document(cell.document).source,
             **({"outputs": [], "execution_count": None} if cell.kind == types.NotebookCellKind.Code else {})}
            for cell in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        path = Path(to_fs_path(notebook_uri) or "untitled.ipynb")
        result = check_bytes(json.dumps(document).encode(), str(path.with_suffix(".ipynb")), self.job_for(path))
        by_cell: dict[int, list[Diagnostic]] = {index: [] for index in range(1, len(cells) + 1)}
        for diagnostic in result.diagnostics:
            by_cell.setdefault(diagnostic.cell or 1, []).append(diagnostic)
        for index, cell in enumerate(cells, start=1):
            text = self.workspace.get_text_document(cell.document)
            self.publish(cell.document, text.version, by_cell.get(index, []))

    def publish(self, uri: str, version: int | None, found: list[Diagnostic]) -> None:
        self.checked[uri] = Checked(version, found)
        document = self.workspace.get_text_document(uri)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=[to_lsp(d, document) for d in found]))

    def recheck_all(self) -> None:
        """Settings may have changed: read them again and check every open document."""
        self.jobs.clear()
        for uri in list(self.workspace.text_documents):
            if not uri.endswith("pyproject.toml"):
                self.check_text_document(uri)

    def forget(self, uri: str) -> None:
        """A closed document: nothing more is reported for it."""
        self.checked.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def schedule(self, uri: str) -> None:
        """Check ``uri`` once the typing pauses (each change restarts the wait)."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(DEBOUNCE_SECONDS, self._run_scheduled, uri)

    def _run_scheduled(self, uri: str) -> None:
        self.pending.pop(uri, None)
        if uri in self.workspace.text_documents:
            self.check_text_document(uri)
        elif self.workspace.get_notebook_document(notebook_uri=uri) is not None:
            self.check_notebook(uri)


def to_lsp(diagnostic: Diagnostic, document) -> types.Diagnostic:
    rule = REGISTRY.get(diagnostic.code)
    severity = types.DiagnosticSeverity.Warning if rule and rule.level == "warning" else types.DiagnosticSeverity.Error
    return types.Diagnostic(
        range=lsp_range(diagnostic.location, diagnostic.end_location, document),
        message=diagnostic.message, severity=severity, code=diagnostic.code, source=SOURCE,
        code_description=types.CodeDescription(href=rule.url) if rule else None,
        data={"fix": diagnostic.fix is not None},
    )


def lsp_range(start, end, document) -> types.Range:
    """keraslint's 1-based positions (columns in characters) as the client's range (UTF-16 by default)."""
    server = types.Range(types.Position(start.row - 1, start.column - 1), types.Position(end.row - 1, end.column - 1))
    return document.range_to_client_units(server)


# --- the features ------------------------------------------------------------------------------

server = KeraslintServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: KeraslintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.check_text_document(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: KeraslintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: KeraslintServer, params: types.DidSaveTextDocumentParams) -> None:
    if params.text_document.uri.endswith("pyproject.toml"):
        ls.recheck_all()
    else:
        ls.check_text_document(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: KeraslintServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.forget(params.text_document.uri)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: KeraslintServer, params: types.DidChangeWatchedFilesParams) -> None:
    ls.recheck_all()


@server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
def notebook_open(ls: KeraslintServer, params: types.DidOpenNotebookDocumentParams) -> None:
    ls.check_notebook(params.notebook_document.uri)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
def notebook_change(ls: KeraslintServer, params: types.DidChangeNotebookDocumentParams) -> None:
    ls.schedule(params.notebook_document.uri)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
def notebook_save(ls: KeraslintServer, params: types.DidSaveNotebookDocumentParams) -> None:
    ls.check_notebook(params.notebook_document.uri)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
def notebook_close(ls: KeraslintServer, params: types.DidCloseNotebookDocumentParams) -> None:
    for cell in params.cell_text_documents:
        ls.forget(cell.uri)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False),
)
def code_actions(ls: KeraslintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    checked = ls.checked.get(uri)
    if checked is None:
        return []
    document = ls.workspace.get_text_document(uri)
    wanted = params.context.only
    actions = []
    if not wanted or types.CodeActionKind.QuickFix in wanted:
        for diagnostic in checked.diagnostics:
            shown = to_lsp(diagnostic, document)
            if not _overlaps(shown.range, params.range):
                continue
            if diagnostic.fix is not None:
                safe = diagnostic.fix.applicability == "safe"
                actions.append(types.CodeAction(
                    title=f"{diagnostic.fix.message} ({diagnostic.code})" + ("" if safe else " (unsafe fix)"),
                    kind=types.CodeActionKind.QuickFix, diagnostics=[shown], is_preferred=safe,
                    edit=_workspace_edit(uri, document, [diagnostic])))
            if not is_file_error(diagnostic.code):
                actions.append(_noqa_action(uri, document, diagnostic, shown))
    if not wanted or any(kind == FIX_ALL or FIX_ALL.startswith(kind) for kind in wanted):
        fixes = [d for d in checked.diagnostics if fixable(d, False)]
        if fixes:
            actions.append(types.CodeAction(title="Fix all safe keraslint problems in this file", kind=FIX_ALL,
                                            edit=_workspace_edit(uri, document, fixes)))
    return actions


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: KeraslintServer, params: types.HoverParams) -> types.Hover | None:
    """Over a finding: its rule's documentation and the Keras target it was judged against."""
    checked = ls.checked.get(params.text_document.uri)
    if checked is None:
        return None
    document = ls.workspace.get_text_document(params.text_document.uri)
    point = types.Range(params.position, params.position)
    for diagnostic in checked.diagnostics:
        shown = to_lsp(diagnostic, document)
        if _overlaps(shown.range, point):
            rule = REGISTRY.get(diagnostic.code)
            path = Path(to_fs_path(params.text_document.uri) or ".")
            notebook = ls.workspace.get_notebook_document(cell_uri=params.text_document.uri)
            if notebook is not None:
                path = Path(to_fs_path(notebook.uri) or ".")
            target = ls.job_for(path).target
            text = f"**{diagnostic.code}** {diagnostic.message}\n\nKeras target: {target.describe()} ({target.reason})"
            if rule is not None:
                text += "\n\n---\n\n" + rule.doc()
            return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=shown.range)
    return None


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def _workspace_edit(uri: str, document, found: list[Diagnostic]) -> types.WorkspaceEdit:
    edits: list[types.TextEdit] = []
    taken: list[tuple[Position, Position]] = []
    for diagnostic in found:
        for edit in diagnostic.fix.edits if diagnostic.fix is not None else ():
            span = (edit.location, edit.end_location)
            if any(span[0] < other[1] and other[0] < span[1] for other in taken):
                continue  # overlapping edits: the first wins, as in --fix
            taken.append(span)
            edits.append(types.TextEdit(range=lsp_range(edit.location, edit.end_location, document), new_text=edit.content))
    return types.WorkspaceEdit(changes={uri: edits})


def _noqa_action(uri: str, document, diagnostic: Diagnostic, shown: types.Diagnostic) -> types.CodeAction:
    """``# noqa: CODE`` at the end of the finding's last line (merged into a ``# noqa:`` there)."""
    from keraslint.runner import NOQA

    row = diagnostic.end_location.row - 1
    line = document.lines[row].rstrip("\r\n") if row < len(document.lines) else ""
    match = NOQA.search(line)
    if match and match.group("codes"):
        codes = sorted({c.strip().upper() for c in match.group("codes").split(",")} | {diagnostic.code})
        start, new_text = match.start(), f"# noqa: {', '.join(codes)}"
    else:
        start, new_text = len(line), f"  # noqa: {diagnostic.code}"
    server_range = types.Range(types.Position(row, start), types.Position(row, len(line)))
    edit = types.TextEdit(range=document.range_to_client_units(server_range), new_text=new_text)
    return types.CodeAction(title=f"Suppress {diagnostic.code} with # noqa", kind=types.CodeActionKind.QuickFix,
                            diagnostics=[shown], edit=types.WorkspaceEdit(changes={uri: [edit]}))


def serve() -> None:
    """Run the server on stdin/stdout until the client exits."""
    all_rules()  # the rules and the catalog once, before the first request
    server.start_io()
