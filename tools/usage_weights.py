"""Regenerate keraslint/catalog/usage.json: how often real Keras code uses each identifier string.

    python tools/usage_weights.py [--corpus DIR] [--output PATH]

Counts, in the shared corpus of published Keras packages (``../shared/corpus``, fetched by its
``fetch.sh`` into DIR/src), every string literal whose value is an identifier some Keras release
accepts (activations and every identifier family). Suggestions rank candidates by these counts
(a typo of a common name is likelier than a rare name typed right). Deterministic: the same
corpus gives a byte-identical file. Nothing is imported or executed.
"""
from __future__ import annotations

import argparse
import ast
import collections
import io
import json
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

from keraslint.catalog import load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path.home() / ".cache" / "keraslint-corpus")
    parser.add_argument("--output", type=Path, default=ROOT / "keraslint" / "catalog" / "usage.json")
    args = parser.parse_args()
    subprocess.run(["sh", str(SHARED / "fetch.sh"), str(SHARED / "packages.txt"), str(args.corpus)], check=True,
                   stdout=subprocess.DEVNULL)
    catalog = load()
    known = set(catalog.all_strings)
    for release in catalog.releases:
        for table in release.families.values():
            known |= table.names
    counts: collections.Counter = collections.Counter()
    for path in sorted((args.corpus / "src").rglob("*.py")):
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text("utf-8", "replace")).readline))
        except (tokenize.TokenError, SyntaxError):
            continue
        for token in tokens:
            if token.type == tokenize.STRING:
                try:
                    value = ast.literal_eval(token.string)
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    continue
                if isinstance(value, str) and value in known:
                    counts[value] += 1
    document = {
        "generated_by": "python tools/usage_weights.py (string literals in the shared corpus of published Keras packages)",
        "counts": dict(sorted(counts.items())),
    }
    args.output.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{len(counts)} identifiers, {sum(counts.values())} uses -> {args.output}")


if __name__ == "__main__":
    main()
