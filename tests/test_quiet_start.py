"""A quiet start: training under JAX or PyTorch never imports TensorFlow, and its
TensorBoard logs (written without TensorFlow) open in TensorBoard's own reader."""

import re
import subprocess
import sys

import numpy as np
import pytest

from clitools import ROOT, SMALL_RUN, cli_env
from vae_keras.callbacks import TensorBoardScalars
from vae_keras.models import VAE

# What TensorFlow, absl and CUDA print when TensorFlow is imported on a machine like this.
NOISE = re.compile(r"cuda|cuInit|oneDNN|absl|tensorflow|TF-TRT|^[IWE]\d{4} ", re.I | re.M)
# Trains two epochs with the real CLI, TensorBoard logs on, then reports whether
# TensorFlow was imported (hide_tensorflow leaves None in sys.modules under JAX/PyTorch).
RUN = """
import sys
from vae_keras.train import main
run_dir = main(sys.argv[1:])
print("TF-IMPORTED" if sys.modules.get("tensorflow") is not None else "TF-NOT-IMPORTED")
"""


def read_scalars(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder))
    accumulator.Reload()
    return {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)]
            for tag in accumulator.Tags()["scalars"]}


def test_tensorboard_scalars_open_in_tensorboard(tmp_path, subset):
    vae = VAE(latent_dim=2, hidden_dim=16, seed=0)
    vae.compile(optimizer="adam")
    x = subset.x_train[:256]
    history = vae.fit(x, validation_data=(subset.x_test[:128],), epochs=2, batch_size=64,
                      verbose=0, callbacks=[TensorBoardScalars(tmp_path / "tb")]).history
    train, validation = read_scalars(tmp_path / "tb" / "train"), read_scalars(tmp_path / "tb" / "validation")
    assert sorted(train) == ["epoch_kl_loss", "epoch_loss", "epoch_reconstruction_loss"]
    assert sorted(validation) == sorted(train)
    for tag, points in train.items():
        assert [s for s, _ in points] == [0, 1]
        np.testing.assert_allclose([v for _, v in points], history[tag[len("epoch_"):]], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in validation["epoch_loss"]], history["val_loss"], rtol=1e-6)


def test_a_training_run_prints_no_tensorflow_lines(tmp_path, backend):
    args = [a for a in SMALL_RUN if a != "--no-tensorboard"]
    env = cli_env()
    env.pop("TF_CPP_MIN_LOG_LEVEL")  # would silence TensorFlow: this test must see its lines
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *args, "--epochs", "1", "--output-dir", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_dir,) = tmp_path.iterdir()
    assert read_scalars(run_dir / "tensorboard" / "train")["epoch_loss"][0][0] == 0
    if backend == "tensorflow":
        pytest.skip("TensorFlow is the backend: its log lines are its own")
    assert proc.stdout.endswith("TF-NOT-IMPORTED\n"), proc.stdout[-500:]
    output = proc.stdout.replace("TF-NOT-IMPORTED", "") + proc.stderr
    assert not NOISE.findall(output), output
