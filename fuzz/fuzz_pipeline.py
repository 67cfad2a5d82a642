"""Fuzz the whole pipeline: bytes -> read -> parse -> rules -> fix -> every reporter.

    python fuzz/fuzz_pipeline.py --inputs 100000 --seed 1 [--seeds-dir DIR ...] [--workers 2]

Inputs are arbitrary bytes and mutations (bit flips, token splices, truncation, duplication,
Keras-flavoured insertions) of the fixtures and of any extra seed directories (for example the
shared corpus). A crash is an exception escaping the pipeline or an internal-error diagnostic
(KL000), a ``--fix`` that does not settle, or the prefilter changing the findings of a file
(differential: every Python input is also checked with the prefilter off; syntax errors aside,
the results must be identical); each one is saved under ``fuzz/crashes/`` to become a
regression fixture.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from keraslint.catalog import load  # noqa: E402
from keraslint.reporters import FORMATS, renderer  # noqa: E402
from keraslint.rules import is_file_error, select_codes  # noqa: E402
from keraslint.runner import Job, check_bytes  # noqa: E402

CRASHES = ROOT / "fuzz" / "crashes"
TOKENS = [
    b"activation=", b'"reul"', b"'ReLU'", b"keras.layers.Dense(", b"Activation(", b"import keras\n",
    b"from tensorflow import keras\n", b"import tf_keras\n", b"import keras_core\n", b"keras.activations.", b"alpha=", b"(", b")",
    b"[", b"]", b"{", b"}", b'"""', b"'''", b"\\", b"\r", b"\r\n", b"\n", b"\t", b"\x0c", b"\x00", b"#",
    b"# noqa", b"# keraslint: skip-file", b"%%bash\n", b"!ls\n", b"\xef\xbb\xbf", b"# -*- coding: latin-1 -*-\n",
    b"\xff", b"\xe9", b"lambda x: x", b"def f(:", b'"cells"', b'"source"', b"true", b"null", b"\"", b",",
    b"f\"", b"rb'", b"u'", b"LeakyReLU(alpha=0.2)", b"keras.activations.relu(x, alpha=1)",
]


def make_job(mode: str, prefilter: bool = True) -> Job:
    catalog = load()
    return Job(
        catalog.target("3.15", "fuzz"),
        (("tf.keras", catalog.target("2.5", "fuzz", "tensorflow")), ("tf_keras", catalog.target("2.15", "fuzz", "tf-keras")),
         ("keras_core", catalog.target("0.1.7", "fuzz", "keras-core"))),
        frozenset(select_codes(["ALL"], [])), mode=mode, unsafe_fixes=True, prefilter=prefilter,
    )


def _rule_findings(diagnostics) -> list:
    """Diagnostics besides syntax errors (reported only for the files keraslint parses)."""
    return [d for d in diagnostics if d.code != "KL002"]


def mutate(data: bytes, rng: random.Random, seeds: list[bytes]) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.random()
        position = rng.randint(0, len(data)) if data else 0
        if choice < 0.25 and data:
            index = rng.randrange(len(data))
            data[index] ^= 1 << rng.randrange(8)
        elif choice < 0.5:
            data[position:position] = rng.choice(TOKENS)
        elif choice < 0.6 and data:
            end = min(len(data), position + rng.randint(1, 64))
            del data[position:end]
        elif choice < 0.7 and data:
            data = data[: rng.randint(0, len(data))]
        elif choice < 0.8:
            other = rng.choice(seeds)
            start = rng.randint(0, len(other))
            data[position:position] = other[start: start + rng.randint(1, 200)]
        elif choice < 0.9 and data:
            end = min(len(data), position + rng.randint(1, 40))
            data[position:position] = data[position:end] * rng.randint(2, 50)
        else:
            data[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(data)


MODEL_SEED = json.dumps({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "Dense", "config": {"activation": "reul", "recurrent_activation": {"module": None,
     "class_name": "function", "config": "x", "registered_name": "P>x"}}},
    {"class_name": "TimeDistributed", "config": {"layer": {"class_name": "Dense", "config": {"activation": "gelu"}}}},
]}}).encode()


def _zip_config(data: bytes) -> bytes:
    """Put (mutated) bytes in a .keras archive as its config.json."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", data)
        archive.writestr("metadata.json", b'{"keras_version": "3.6.0"}')
    return buffer.getvalue()


def _hdf5_config(data: bytes) -> bytes:
    """Put (mutated) bytes in an HDF5 file's model_config attribute (when h5py is installed)."""
    try:
        import io

        import h5py
        import numpy
    except ImportError:
        return data
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        try:
            handle.attrs["model_config"] = numpy.void(data) if b"\x00" in data else data
        except OSError:  # HDF5 keeps attributes under 64 KiB (Keras cannot save such a model either)
            return data
        handle.attrs["keras_version"] = "2.15.0"
    return buffer.getvalue()


def _damage(data: bytes, rng: random.Random) -> bytes:
    """A few bytes of a file overwritten at random (what a broken disk or transfer does)."""
    damaged = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if damaged:
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
    return bytes(damaged)


def one_input(data: bytes, name: str, jobs: dict) -> str | None:
    """Run the whole pipeline on one input; a description of the failure, or None."""
    try:
        if "full" in jobs and name.endswith((".py", ".ipynb")):
            fast = _rule_findings(check_bytes(data, name, jobs["check"]).diagnostics)
            full = _rule_findings(check_bytes(data, name, jobs["full"]).diagnostics)
            if fast != full:
                return f"the prefilter changed the findings: {fast} != {full}"
        for job in jobs.values():
            result = check_bytes(data, name, job)
            if any(d.code == "KL000" for d in result.diagnostics):
                return "internal error: " + next(d.message for d in result.diagnostics if d.code == "KL000")
            for render in map(renderer, FORMATS):
                render(result.diagnostics, lambda d: None, False)
            if job.mode == "fix" and result.fixed_data is not None:
                again = check_bytes(result.fixed_data, name, job)
                before = sorted((d.code, d.cell) for d in result.diagnostics if is_file_error(d.code))
                after = sorted((d.code, d.cell) for d in again.diagnostics if is_file_error(d.code))
                if after != before:
                    return f"fix changed file errors from {before} to {after}"
                if again.fixed_data is not None:
                    return "a second --fix changed the file again"
    except Exception:  # noqa: BLE001 - the point is to catch anything
        return traceback.format_exc()
    return None


def worker(arguments) -> tuple[int, list[tuple[str, str, bytes]]]:
    seed, count, seed_files = arguments
    rng = random.Random(seed)
    seeds = [Path(p).read_bytes() for p in seed_files] + [MODEL_SEED]
    jobs = {"check": make_job("check"), "fix": make_job("fix"), "full": make_job("check", prefilter=False)}
    crashes = []
    for _ in range(count):
        if rng.random() < 0.1:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
        else:
            data = mutate(rng.choice(seeds), rng, seeds)
        roll = rng.random()
        if roll < 0.05:
            name, data = "fuzz.keras", _zip_config(data) if rng.random() < 0.7 else data
        elif roll < 0.1:
            name = "fuzz.json"
        elif roll < 0.13:
            name, data = "fuzz.h5", _hdf5_config(data) if rng.random() < 0.5 else data
            if rng.random() < 0.5:  # a valid HDF5 file with damaged bytes: libhdf5's own parsing
                data = _damage(_hdf5_config(MODEL_SEED), rng)
        elif roll < 0.15:
            name, data = "fuzz.keras", _damage(_zip_config(MODEL_SEED), rng)
        else:
            name = "fuzz.ipynb" if data.lstrip()[:1] == b"{" or roll < 0.2 else "fuzz.py"
        failure = one_input(data, name, jobs)
        if failure:
            crashes.append((name, failure, data))
    return count, crashes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds-dir", type=Path, action="append", default=[])
    args = parser.parse_args()
    seed_files = sorted(str(p) for p in (ROOT / "fixtures").iterdir() if p.suffix in (".py", ".ipynb"))
    for directory in args.seeds_dir:
        seed_files += sorted(
            str(p) for p in directory.rglob("*.py")
            if p.stat().st_size < 200_000 and b"ctivation" in p.read_bytes()
        )
    per_worker = -(-args.inputs // args.workers)
    started = time.perf_counter()
    total, crashes = 0, []
    with ProcessPoolExecutor(args.workers) as pool:
        tasks = [(args.seed * 1000 + w, per_worker, seed_files) for w in range(args.workers)]
        for count, found in pool.map(worker, tasks):
            total += count
            crashes += found
    elapsed = time.perf_counter() - started
    CRASHES.mkdir(parents=True, exist_ok=True)
    for name, failure, data in crashes:
        digest = hashlib.sha256(data).hexdigest()[:16]
        suffix = Path(name).suffix
        (CRASHES / f"crash-{digest}{suffix}").write_bytes(data)
        (CRASHES / f"crash-{digest}.txt").write_text(failure)
    print(json.dumps({"inputs": total, "crashes": len(crashes), "seconds": round(elapsed, 1),
                      "inputs_per_second": round(total / elapsed), "seed_files": len(seed_files)}))
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
