"""Helpers for tests that run the command-line tools in subprocesses (not a test module)."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import keras

ROOT = Path(__file__).resolve().parents[1]
TRAIN = [sys.executable, "-m", "vae_keras.train"]
# A small, quick run of the real CLI on the bundled MNIST subset (32 steps per epoch).
SMALL_RUN = ["--dataset", "mnist_subset", "--hidden-dim", "64", "--batch-size", "256",
             "--no-evaluate", "--no-snapshots", "--no-tensorboard", "--verbose", "2"]
STEPS_PER_EPOCH = 32  # ceil(8000 / 256)


def cli_env(backend=None, **extra):
    """The environment of a CLI subprocess: the given (default: this test's) backend.

    Each subprocess computes on one thread: on 2 shared cores, PyTorch's default
    of one thread per core made an epoch 30x slower, and runs are compared only
    with runs made with the same settings.
    """
    env = dict(os.environ)
    env.update(
        KERAS_BACKEND=backend or keras.backend.backend(), PYTHONUNBUFFERED="1",
        TF_CPP_MIN_LOG_LEVEL="3", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
        TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1",
        XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    )
    env.pop("VAE_KERAS_DATA", None)
    env.update(extra)
    return env


def run(args, env=None, timeout=300, module="vae_keras.train"):
    """Runs `python -m module args` to completion; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=ROOT,
                          env=env or cli_env(), capture_output=True, text=True,
                          timeout=timeout)


def start(args, log, env=None):
    """Starts `python -m vae_keras.train args` with its output going to the file `log`."""
    with open(log, "w") as out:
        return subprocess.Popen([*TRAIN, *map(str, args)], cwd=ROOT, env=env or cli_env(),
                                stdout=out, stderr=subprocess.STDOUT, text=True)


def assert_one_line_error(proc, *fragments, code=2):
    """Asserts exit `code`, a single line on stderr holding each fragment, no traceback."""
    err = proc.stderr
    assert proc.returncode == code, (proc.returncode, err)
    assert "Traceback" not in err + proc.stdout, err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def read_status(run_dir):
    try:
        return json.loads((Path(run_dir) / "status.json").read_text())
    except (OSError, ValueError):  # not written yet
        return None


def read_history(run_dir):
    with open(Path(run_dir) / "history.csv", newline="") as f:
        return list(csv.DictReader(f))


def leftovers(run_dir):
    """Temporary files that an interrupted save could leave behind."""
    return sorted(p.name for p in Path(run_dir).iterdir() if ".tmp-" in p.name)


def run_many(jobs, timeout=300):
    """Runs several `(args, env)` jobs of the training CLI at once; returns their results."""
    procs = [subprocess.Popen([*TRAIN, *map(str, args)], cwd=ROOT, env=env or cli_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for args, env in jobs]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results
