"""What a quiet start saves: start-up time with TensorFlow hidden and with it imported.

Usage (from the repository root):

    python benchmarks/start_time.py --backends jax torch --runs 4

Each run is a fresh process that does what the training command does before
its first step: import Keras, seed, build a small `VAE` and save it. Half the
processes first call `vae_keras.fitting.hide_tensorflow()` (as the training
command does under JAX and PyTorch), half do not; the two alternate, so a
drift in machine speed hits both alike. Prints the median wall and CPU seconds
of each, and whether TensorFlow's log lines appeared.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START = """
import os, sys, tempfile
import keras
from vae_keras import fitting
if sys.argv[1] == "hidden":
    fitting.hide_tensorflow()
keras.utils.set_random_seed(0)
from vae_keras.models import VAE
VAE(latent_dim=2, hidden_dim=64, seed=0).save(os.path.join(tempfile.mkdtemp(), "m.keras"))
print("tensorflow imported:", sys.modules.get("tensorflow") is not None)
"""
TF_LINES = ("cuda drivers", "oneDNN custom operations", "absl::InitializeLog")


def one_start(backend, mode):
    """(wall seconds, CPU seconds, TensorFlow imported, TensorFlow log lines) of one start."""
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="0",
               PYTHONPATH=str(ROOT))
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", START, mode], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"{backend} {mode} failed:\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, "True" in proc.stdout, sum(line in proc.stderr for line in TF_LINES)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backends", nargs="+", default=["jax", "torch"], choices=["jax", "torch"])
    p.add_argument("--runs", type=int, default=4, help="starts of each kind per backend")
    args = p.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.runs} starts of each, alternating")
    print("| backend | TensorFlow | wall s (median) | CPU s (median) | TF log lines |")
    print("|---|---|---:|---:|---:|")
    for backend in args.backends:
        results = {"hidden": [], "imported": []}
        for _ in range(args.runs):
            for mode in results:
                results[mode].append(one_start(backend, mode))
        for mode, rows in results.items():
            assert all(imported == (mode == "imported") for _, _, imported, _ in rows)
            print(f"| {backend} | {mode} | {statistics.median(r[0] for r in rows):.2f} | "
                  f"{statistics.median(r[1] for r in rows):.2f} | {max(r[3] for r in rows)} |")


if __name__ == "__main__":
    main()
