"""How long ``keraslint server`` takes to re-check an open file, as an editor sees it.

    python benchmarks/server_latency.py [FILE] [--runs 200]

Opens FILE (default: a 500-line file of the shared corpus, or a generated one) over stdio with
the test-suite's LSP client, then saves it ``--runs`` times (a save is checked at once; a change
waits for the typing to pause first) with a typo toggled in, and prints the median and 95th
percentile of the time from the notification to the diagnostics, and one cold open.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from lsp_client import LspClient  # noqa: E402

CORPUS_FILE = Path.home() / ".cache/keraslint-corpus/src/keras-unet-collection-0.1.13/keras_unet_collection/_model_u2net_2d.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=CORPUS_FILE if CORPUS_FILE.exists() else None)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    text = args.file.read_text() if args.file else "import keras\n" + "keras.layers.Dense(8, activation='relu')\n" * 499
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "pyproject.toml").write_text('[tool.keraslint]\nkeras-version = "2.15"\n')
        path = root / "model.py"
        client = LspClient(root)
        client.initialize(root)
        started = time.perf_counter()
        uri = client.open(path, text)
        client.diagnostics(uri)
        cold = time.perf_counter() - started
        times = []
        for run in range(args.runs):
            changed = text + ("\nimport keras\nkeras.layers.Dense(1, activation='reul')\n" if run % 2 else "\n")
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": run + 2},
                                                     "contentChanges": [{"text": changed}]})
            started = time.perf_counter()
            client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
            client.diagnostics(uri)
            times.append(time.perf_counter() - started)
            client.diagnostics(uri)  # the debounced check of the change
        client.close()
    lines = text.count("\n") + 1
    times.sort()
    print(f"{lines} lines, {args.runs} re-checks: median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {times[int(0.95 * len(times)) - 1] * 1000:.1f} ms; first open {cold * 1000:.0f} ms")


if __name__ == "__main__":
    main()
