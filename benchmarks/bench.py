"""Benchmark keraslint against ruff on the shared corpus of published Keras code.

    pip install ruff && python benchmarks/bench.py [--runs 5] [--cache DIR] [--scales 1,10,50]

Fetches the corpus with ../shared/corpus/fetch.sh (once), then runs keraslint and ruff
alternately in one process so both see the same machine state, and prints medians of
``--runs`` runs: cold full scan (no cache) against ``ruff check --no-cache --select E9
--exit-zero``, warm re-run (cache on, nothing changed) against ruff's cached re-run, one clean
file against ``python -c pass``, peak memory, files/s and MB/s, and the cold time on the corpus
replicated to check that time grows linearly with the bytes scanned.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"


def fetch(cache: Path) -> Path:
    subprocess.run(["sh", str(SHARED / "fetch.sh"), str(SHARED / "packages.txt"), str(cache)], check=True,
                   stdout=subprocess.DEVNULL)
    return cache / "src"


def measure(command: list[str], cwd: Path) -> tuple[float, int, float]:
    """(wall seconds, peak RSS in KiB, CPU seconds) of one run: a monotonic clock around the
    process, and the peak memory and user+system time the kernel reports for it (``wait4``, as
    GNU time does; its worker processes included)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = 0  # reaped here; keeps Popen from waiting again
    return seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def median_pair(first: list[str], second: list[str], cwd: Path, runs: int, prime: bool = False):
    """Run two commands alternately ``runs`` times; (median wall, peak memory, median CPU) of each."""
    if prime:
        measure(first, cwd)
        measure(second, cwd)
    a, b = [], []
    for _ in range(runs):
        a.append(measure(first, cwd))
        b.append(measure(second, cwd))
    def summary(results):
        return statistics.median(r[0] for r in results), max(r[1] for r in results), statistics.median(r[2] for r in results)

    return summary(a), summary(b)


def tree_size(directory: Path) -> tuple[int, int]:
    files = [p for p in directory.rglob("*") if p.suffix in (".py", ".ipynb") and p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "keraslint-corpus")
    parser.add_argument("--scales", default="1,10,50")
    args = parser.parse_args()
    # ruff installed beside this interpreter first: a version-manager shim (pyenv) on PATH would
    # add its own start-up to every ruff run.
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    if ruff is None:
        sys.exit("ruff is not installed: pip install ruff")
    corpus = fetch(args.cache)
    keraslint = [sys.executable, "-m", "keraslint", "check", "-q", "--exit-zero"]
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as users run it: with cached bytecode
    subprocess.run(keraslint + ["--no-cache", str(ROOT / "keraslint")], stdout=subprocess.DEVNULL)  # write .pyc
    files, size = tree_size(corpus)
    print(f"corpus: {files} files, {size / 1e6:.1f} MB; {os.cpu_count()} cores; medians of {args.runs} runs\n")

    with tempfile.TemporaryDirectory() as scratch:
        cache_dir = Path(scratch) / "kl-cache"
        ruff_cache = Path(scratch) / "ruff-cache"
        (kl_cold, kl_memory, kl_cold_cpu), (ruff_cold, _, ruff_cold_cpu) = median_pair(
            keraslint + ["--no-cache", "."], [ruff, "check", "--no-cache", "--select", "E9", "--exit-zero", "-q", "."],
            corpus, args.runs)
        (kl_warm, _, kl_warm_cpu), (ruff_warm, _, ruff_warm_cpu) = median_pair(
            keraslint + ["--cache-dir", str(cache_dir), "."],
            [ruff, "check", "--cache-dir", str(ruff_cache), "--select", "E9", "--exit-zero", "-q", "."],
            corpus, args.runs, prime=True)
        clean_file = ROOT / "keraslint" / "cli.py"
        (kl_one, _, kl_one_cpu), (python_pass, _, pass_cpu) = median_pair(
            keraslint + ["--no-cache", str(clean_file)], [sys.executable, "-c", "pass"], ROOT, args.runs)

    rows = [
        ("cold full scan", kl_cold, ruff_cold, kl_cold_cpu, ruff_cold_cpu, "ruff --no-cache --select E9"),
        ("warm re-run (cache)", kl_warm, ruff_warm, kl_warm_cpu, ruff_warm_cpu, "ruff cached re-run"),
        ("one clean file", kl_one, python_pass, kl_one_cpu, pass_cpu, "python -c pass"),
    ]
    print("| measurement | keraslint wall s | reference wall s | ratio | keraslint CPU s | reference CPU s | CPU ratio | reference |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, ours, theirs, our_cpu, their_cpu, reference in rows:
        print(f"| {name} | {ours:.3f} | {theirs:.3f} | {ours / theirs:.1f}x | {our_cpu:.3f} | {their_cpu:.3f} | "
              f"{our_cpu / max(their_cpu, 1e-6):.1f}x | {reference} |")
    print(f"\ncold scan: {files / kl_cold:.0f} files/s, {size / 1e6 / kl_cold:.1f} MB/s; peak memory {kl_memory / 1024:.0f} MiB")

    print("\n| corpus copies | files | MB | cold s | s per MB |")
    print("| --- | --- | --- | --- | --- |")
    for scale in (int(s) for s in args.scales.split(",")):
        with tempfile.TemporaryDirectory() as scratch:
            for copy in range(scale):
                shutil.copytree(corpus, Path(scratch) / f"copy{copy}", symlinks=True)
            copies_files, copies_size = tree_size(Path(scratch))
            seconds = statistics.median(measure(keraslint + ["--no-cache", "."], Path(scratch))[0] for _ in range(3))
            _, memory, _ = measure(keraslint + ["--no-cache", "."], Path(scratch))
            print(f"| {scale}x | {copies_files} | {copies_size / 1e6:.0f} | {seconds:.3f} | {seconds / (copies_size / 1e6):.3f} |"
                  f" (peak {memory / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
