"""Models travel across backends: saved under one, loaded under the others, same numbers.

This pytest process saves two small models (an MLP and a conv net with a Gaussian
decoder, each trained one step so that the file holds optimizer state too) and
its two sibling backends, each in its own process, load them and compute encoder
means, log-variances and decoder outputs on fixed NumPy inputs. The suite runs
once per backend (tests/run_backends.py), so the three runs cover each of the
six ordered pairs (saver -> loader) exactly once; the third parameter of each run
reloads in this process, under the saver's own backend.
"""

import subprocess
import sys

import keras
import numpy as np
import pytest

from clitools import ROOT, cli_env
from portable_models import load_models, save_models

BACKENDS = ("jax", "torch", "tensorflow")
TOLERANCE = dict(rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("portable")
    save_models(folder)
    here = keras.backend.backend()
    procs = {other: subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "portable_models.py"), str(folder)], cwd=ROOT,
        env=cli_env(other), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for other in BACKENDS if other != here}
    logs = {other: proc.communicate(timeout=300)[0] for other, proc in procs.items()}
    codes = {other: proc.returncode for other, proc in procs.items()}
    return folder, logs, codes


@pytest.mark.parametrize("loader", BACKENDS)
def test_a_model_saved_here_gives_the_same_outputs_under_each_backend(saved, loader, backend):
    folder, logs, codes = saved
    if loader == backend:
        loaded = load_models(folder, saved_by=backend)
    else:
        assert codes[loader] == 0, logs[loader]
        with np.load(folder / f"loaded-by-{loader}.npz") as f:
            loaded = {key: f[key] for key in f.files if key.startswith(backend)}
    assert sorted({key.split("/")[0] for key in loaded}) == [f"{backend}-conv", f"{backend}-mlp"]
    for kind in ("mlp", "conv"):
        with np.load(folder / f"{backend}-{kind}.npz") as reference:
            assert int(loaded[f"{backend}-{kind}/steps"]) == int(reference["steps"]) == 1
            for key in ("mean", "log_var", "decoded"):
                np.testing.assert_allclose(loaded[f"{backend}-{kind}/{key}"], reference[key],
                                           err_msg=f"{kind} {key}: saved by {backend}, "
                                           f"loaded by {loader}", **TOLERANCE)
