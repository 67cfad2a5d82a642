"""keraslint server, driven over stdio by a real LSP client as an editor drives it."""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import FIXTURES
from lsp_client import LspClient, apply_edits
from test_cli import run

BAD = 'import keras\nkeras.layers.Dense(4, activation="sigmod")\nkeras.layers.Dense(4, activation="ReLU")\n'
CONFIG = '[tool.keraslint]\nkeras-version = "3.15"\n'


@pytest.fixture
def workspace(tmp_path):
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    return tmp_path


@pytest.fixture
def client(workspace):
    lsp = LspClient(workspace)
    capabilities = lsp.initialize(workspace)["capabilities"]
    assert capabilities["codeActionProvider"] and capabilities["notebookDocumentSync"]
    yield lsp
    if lsp.process.poll() is None:
        lsp.process.kill()


def test_the_same_findings_as_check_on_every_fixture(workspace, client):
    for fixture in sorted(FIXTURES.glob("*.py")):
        shutil.copy(fixture, workspace / fixture.name)
    expected = {}
    for entry in json.loads(run("check", "-n", "--output-format", "json", ".", cwd=workspace).stdout):
        if entry["cell"] is None:
            start, end = entry["location"], entry["end_location"]
            expected.setdefault(entry["filename"], []).append(
                (entry["code"], start["row"] - 1, start["column"] - 1, end["row"] - 1, end["column"] - 1))
    assert len(expected) > 10
    for fixture in sorted(workspace.glob("*.py")):
        found = client.diagnostics(client.open(fixture))
        shown = [(d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"],
                  d["range"]["end"]["line"], d["range"]["end"]["character"]) for d in found]
        assert sorted(shown) == sorted(expected.get(str(fixture), [])), fixture.name
    assert client.close() == 0


def test_open_change_save_and_the_documentation_link(workspace, client):
    path = workspace / "model.py"
    path.write_text(BAD)
    uri = client.open(path)
    first = client.diagnostics(uri)
    assert [d["code"] for d in first] == ["KL101", "KL102"]
    assert first[0]["range"] == {"start": {"line": 1, "character": 33}, "end": {"line": 1, "character": 41}}
    assert first[0]["source"] == "keraslint" and first[0]["codeDescription"]["href"].endswith("KL101.md")
    for version, text in enumerate(["import keras\nkeras.layers.Dense(4, activation='relu')\n", "import keras\n"], start=2):
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [{"text": text}]})
    assert client.diagnostics(uri) == []  # one check after the typing paused, on the last text
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    assert client.diagnostics(uri) == []
    assert client.close() == 0


def test_quick_fixes_noqa_and_fix_all(workspace, client):
    path = workspace / "model.py"
    text = 'import keras\nkeras.layers.Dense(4, activation="sigmod")\nm = keras.Sequential()\nm.compile(loss="rmse")\n'
    (workspace / "pyproject.toml").write_text('[tool.keraslint]\nkeras-version = "2.3"\n')
    uri = client.open(path, text)
    found = client.diagnostics(uri)
    assert [d["code"] for d in found] == ["KL101", "KL401"]
    actions = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": found[0]["range"],
                                                         "context": {"diagnostics": [found[0]]}})
    quick = [a for a in actions if a["kind"] == "quickfix"]
    assert quick[0]["isPreferred"] and apply_edits(text, quick[0]["edit"]["changes"][uri]) == text.replace('"sigmod"', '"sigmoid"')
    noqa = next(a for a in quick if "noqa" in a["title"])
    assert apply_edits(text, noqa["edit"]["changes"][uri]).splitlines()[1].endswith('"sigmod")  # noqa: KL101')
    unsafe = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": found[1]["range"],
                                                        "context": {"diagnostics": [found[1]]}})
    assert any(a["title"].endswith("(unsafe fix)") and not a.get("isPreferred") for a in unsafe)
    fix_all = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": found[0]["range"],
                                                         "context": {"diagnostics": [], "only": ["source.fixAll.keraslint"]}})
    (action,) = fix_all
    assert apply_edits(text, action["edit"]["changes"][uri]) == text.replace('"sigmod"', '"sigmoid"')  # safe fixes only
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 35}})
    assert "Keras target: Keras 2.3" in hover["contents"]["value"] and "unknown-activation (KL101)" in hover["contents"]["value"]
    assert client.close() == 0


def test_notebooks_are_one_namespace_with_findings_in_their_cell(workspace, client):
    notebook = (workspace / "nb.ipynb").as_uri()
    cells = ["!pip install keras\nimport keras", "# a markdown cell", "  keras.layers.Dense(1, activation='sigmod')"]
    kinds = [2, 1, 2]
    client.notify("notebookDocument/didOpen", {
        "notebookDocument": {"uri": notebook, "notebookType": "jupyter-notebook", "version": 1,
                             "cells": [{"kind": kind, "document": f"{notebook}#cell{i}"} for i, kind in enumerate(kinds)]},
        "cellTextDocuments": [{"uri": f"{notebook}#cell{i}", "languageId": "python" if kind == 2 else "markdown",
                               "version": 1, "text": text} for i, (kind, text) in enumerate(zip(kinds, cells))]})
    found = client.diagnostics(f"{notebook}#cell2")
    assert [(d["code"], d["range"]["start"]) for d in found] == [("KL101", {"line": 0, "character": 35})]
    assert client.diagnostics(f"{notebook}#cell0") == []
    assert client.close() == 0


def test_a_broken_configuration_is_reported_and_the_server_stays_up(workspace, client):
    (workspace / "pyproject.toml").write_text('[tool.keraslint]\nselect = [1]\n')
    uri = client.open(workspace / "model.py", BAD)
    message = client.wait_for("window/showMessage")
    assert message["type"] == 1 and "select must be a list of strings" in message["message"]
    assert [d["code"] for d in client.diagnostics(uri)] == ["KL101", "KL102"]  # checked with the defaults
    (workspace / "pyproject.toml").write_text('[tool.keraslint]\nignore = ["KL102"]\n')
    client.notify("textDocument/didSave", {"textDocument": {"uri": (workspace / "pyproject.toml").as_uri()}})
    assert [d["code"] for d in client.diagnostics(uri)] == ["KL101"]  # the changed settings, re-read
    broken = client.open(workspace / "broken.py", "def f(:\n  pass\n\x00")
    assert [d["code"] for d in client.diagnostics(broken)] == ["KL001"]
    assert client.close() == 0


def test_the_target_is_logged_per_configuration(workspace, client):
    client.open(workspace / "model.py", BAD)
    log = client.wait_for("window/logMessage", lambda p: "target" in p["message"])
    assert "3.15" in log["message"] and "pyproject.toml" in log["message"]
    assert client.close() == 0
