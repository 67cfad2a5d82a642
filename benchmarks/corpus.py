"""Run keraslint on real published Keras packages, each with the Keras line it targets.

    python benchmarks/corpus.py [--cache DIR]

Downloads the pinned packages of ../shared/corpus/packages.txt with its fetch.sh (nothing is
installed or executed), then checks each package against the Keras releases its own metadata
allows (``TARGETS``) and prints: package, target, files, findings by code, seconds. Published,
working code: every finding is a false positive until shown to be a real bug.
"""
from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"

# The Keras line each package declares (its Requires-Dist and release date), as keraslint ranges.
TARGETS = {
    "keras-cv-0.9.0": ">=3.0.1",              # keras-core / Keras 3; uses hard_swish (3.0.1+)
    "keras-tuner-1.4.8": ">=2.13",            # tf.keras 2.13+ or Keras 3
    "autokeras-3.0.0": ">=3.0.0",             # keras>=3.0.0
    "tensorflow-addons-0.23.0": ">=2.13,<2.16",  # tensorflow>=2.13,<2.16
    "segmentation-models-1.0.1": ">=2.2.4,<2.4",  # keras-applications<=1.0.8 era standalone Keras
    "efficientnet-1.1.1": ">=2.2.4,<2.4",    # same
    "spektral-1.3.1": ">=2.6,<3",             # tensorflow>=2.2 (tf.keras), released for TF 2.x
    "keras-unet-collection-0.1.13": ">=2.6,<3",  # tf.keras; uses gelu
    "larq-0.14.0": ">=2.8,<3",                # tensorflow>=2.8.4
    "keras-rl2-1.0.5": ">=2.6,<3",            # tensorflow (Keras 2)
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "keraslint-corpus")
    args = parser.parse_args()
    subprocess.run(["sh", str(SHARED / "fetch.sh"), str(SHARED / "packages.txt"), str(args.cache)], check=True,
                   stdout=subprocess.DEVNULL)
    source = args.cache / "src"
    print("| package | Keras target | files | findings | seconds |")
    print("| --- | --- | --- | --- | --- |")
    total = collections.Counter()
    for package in sorted(p.name for p in source.iterdir() if p.is_dir()):
        target = TARGETS.get(package)
        if target is None:
            print(f"| {package} | (no target known: add it to TARGETS) | | | |")
            continue
        files = sum(1 for p in (source / package).rglob("*") if p.suffix in (".py", ".ipynb"))
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "keraslint", "check", "--no-cache", "--output-format", "json",
             "--keras-version", target, package],
            cwd=source, capture_output=True, text=True,
        )
        seconds = time.perf_counter() - started
        findings = collections.Counter(d["code"] for d in json.loads(completed.stdout or "[]"))
        total += findings
        shown = ", ".join(f"{code}: {n}" for code, n in sorted(findings.items())) or "none"
        print(f"| {package} | `{target}` | {files} | {shown} | {seconds:.2f} |")
    print(f"\ntotal findings: {sum(total.values())}")


if __name__ == "__main__":
    main()
