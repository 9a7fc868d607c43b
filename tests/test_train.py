"""The training CLI end to end on the bundled subset, in-process and as `python -m`."""

import csv
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from vae_keras import evaluate, train

FAST = ["--dataset", "mnist_subset", "--hidden-dim", "64", "--batch-size", "256",
        "--no-evaluate", "--no-snapshots", "--verbose", "0"]


def test_cli_writes_a_complete_run_folder(tmp_path, backend, capsys):
    run_dir = train.main([*FAST, "--epochs", "2", "--latent-dim", "3",
                          "--output-dir", str(tmp_path), "--run-name", "r"])
    assert run_dir == tmp_path / "r"
    for name in ("model.keras", "checkpoint.keras", "config.json", "history.csv",
                 "metrics.json", "status.json"):
        assert (run_dir / name).is_file(), name
    assert any((run_dir / "tensorboard").rglob("*tfevents*"))

    config = json.loads((run_dir / "config.json").read_text())
    assert config["backend"] == backend and config["latent_dim"] == 3
    assert config["dataset_used"] == "mnist_subset" and config["train_size"] == 8000

    with open(run_dir / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    assert {"loss", "reconstruction_loss", "kl_loss", "val_loss", "seconds"} <= set(rows[0])
    assert float(rows[1]["loss"]) < float(rows[0]["loss"])

    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert 100 < metrics["test_loss"] < 400
    # the objective is the sum of its terms (beta = 1), as Keras's evaluate measured them
    assert abs(metrics["test_loss"] - metrics["test_loss_reconstruction"]
               - metrics["test_loss_kl"]) < 1e-3 * metrics["test_loss"]
    assert json.loads((run_dir / "status.json").read_text())["state"] == "completed"

    # Evaluating the run adds its keys beside training's and replaces none of them.
    evaluated = evaluate.main([str(run_dir), "--k", "2", "--elbo-draws", "1", "--max-test", "30",
                               "--no-figures"])
    merged = json.loads((run_dir / "metrics.json").read_text())
    assert {k: merged[k] for k in metrics} == metrics
    assert {k: merged[k] for k in evaluated} == evaluated

    out = capsys.readouterr().out
    assert f"backend {backend} on cpu" in out
    assert str(run_dir) in out and "test negative ELBO" in out

    model = keras.models.load_model(run_dir / "model.keras")
    assert model.latent_dim == 3
    x = np.zeros((2, 28, 28, 1), "float32")
    assert model.encode(x)[0].shape == (2, 3)


def test_help_shows_every_option_with_its_default(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--latent-dim", "--hidden-dim", "--epochs", "--batch-size",
                   "--learning-rate", "--dataset", "--data-dir", "--arch", "--beta",
                   "--seed", "--output-dir", "--resume"):
        assert option in text, option
    assert "(default: 2)" in text and "(default: 0.001)" in text


def test_python_dash_m_runs_and_says_where_the_run_is(tmp_path, backend):
    env = dict(os.environ, KERAS_BACKEND=backend)
    result = subprocess.run(
        [sys.executable, "-m", "vae_keras.train", *FAST, "--epochs", "1",
         "--output-dir", str(tmp_path), "--run-name", "cli", "--no-tensorboard"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"saved: {tmp_path / 'cli' / 'model.keras'}" in result.stdout
    assert "Traceback" not in result.stderr
