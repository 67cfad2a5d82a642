"""A small Language Server Protocol client over stdio, as an editor drives a server: JSON-RPC
messages with Content-Length headers, requests answered by id, notifications collected."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class LspClient:
    def __init__(self, cwd: Path, command: list[str] | None = None):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(command or [sys.executable, "-m", "keraslint", "server"], cwd=cwd, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.inbox: queue.Queue = queue.Queue()
        self.notifications: list[dict] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.inbox.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.inbox.put(json.loads(stream.read(length)))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict | None = None) -> None:
        self.send({"method": method, "params": params or {}})

    def request(self, method: str, params: dict | None = None, timeout: float = 60) -> dict | list | None:
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params or {}})
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline)
            if message.get("id") == ident and "method" not in message:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result")
            self._keep(message)

    def _next(self, deadline: float) -> dict:
        message = self.inbox.get(timeout=max(0.01, deadline - time.monotonic()))
        if message is None:
            raise EOFError("the server closed its output: " + self.process.stderr.read().decode(errors="replace")[-2000:])
        return message

    def _keep(self, message: dict) -> None:
        if "id" in message and "method" in message:  # a request from the server: answer it
            self.send({"id": message["id"], "result": None})
        self.notifications.append(message)

    def wait_for(self, method: str, predicate=lambda params: True, timeout: float = 60) -> dict:
        """The first notification ``method`` (already received or coming) whose params satisfy ``predicate``."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for message in self.notifications[seen:]:
                if message.get("method") == method and predicate(message.get("params")):
                    self.notifications.remove(message)
                    return message["params"]
            seen = len(self.notifications)
            self._keep(self._next(deadline))

    def initialize(self, root: Path) -> dict:
        result = self.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {"textDocument": {"publishDiagnostics": {"versionSupport": True},
                                              "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source"]}}}},
                             "notebookDocument": {"synchronization": {}}, "workspace": {"workspaceFolders": True}},
        })
        self.notify("initialized")
        return result

    def open(self, path: Path, text: str | None = None, language: str = "python") -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": language, "version": 1, "text": path.read_text() if text is None else text}})
        return uri

    def diagnostics(self, uri: str, timeout: float = 60) -> list[dict]:
        return self.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] == uri, timeout)["diagnostics"]

    def close(self) -> int:
        self.request("shutdown")
        self.notify("exit")
        return self.process.wait(timeout=30)


def apply_edits(text: str, edits: list[dict]) -> str:
    """Apply LSP TextEdits (ranges in UTF-16 code units of the original text), last first."""
    lines = text.splitlines(keepends=True) or [""]

    def offset(position: dict) -> int:
        line = lines[position["line"]] if position["line"] < len(lines) else ""
        before = sum(len(earlier) for earlier in lines[: position["line"]])
        units, index = 0, 0
        while index < len(line) and units < position["character"]:
            units += 2 if ord(line[index]) > 0xFFFF else 1
            index += 1
        return before + index

    for edit in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]), reverse=True):
        text = text[: offset(edit["range"]["start"])] + edit["newText"] + text[offset(edit["range"]["end"]):]
    return text
