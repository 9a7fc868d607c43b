"""The training CLI run for real, in subprocesses: interrupted (Ctrl-C, SIGKILL) and
resumed, diverging, and run twice with the same seed.

All the runs start together in one module fixture so that they overlap on the
shared cores; each test then checks what one of them left behind. They run on
the backend of this pytest process.
"""

import math
import signal
import time

import keras
import numpy as np
import pytest

from clitools import (
    SMALL_RUN, STEPS_PER_EPOCH, assert_one_line_error, cli_env, leftovers, read_history,
    read_status, run, start,
)
from vae_keras.callbacks import INJECT_NAN_ENV, StopOnDivergence, save_checkpoint
from vae_keras.models import VAE
from vae_keras.saving import load_vae

EPOCHS = 3
LOSS_COLUMNS = ("loss", "reconstruction_loss", "kl_loss",
                "val_loss", "val_reconstruction_loss", "val_kl_loss")
# Largest relative difference allowed between two runs with the same seed on the
# same backend and machine (docs/reproducibility.md). 0 means bit-identical.
REPRODUCIBILITY_RTOL = {"jax": 0.0, "torch": 0.0, "tensorflow": 0.0}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")

    def args(name, epochs=EPOCHS):
        return [*SMALL_RUN, "--epochs", epochs, "--output-dir", root, "--run-name", name]

    procs = {name: start(args(name), root / f"{name}.log")
             for name in ("sigint", "sigkill", "same_seed_1", "same_seed_2")}
    procs["diverged"] = start(args("diverged", epochs=2), root / "diverged.log",
                              env=cli_env(**{INJECT_NAN_ENV: "2"}))
    # Interrupt each run once an epoch is saved and the next one has begun (Keras
    # prints "Epoch k/N" as it begins, and its results line as it ends).
    pending = {"sigint": signal.SIGINT, "sigkill": signal.SIGKILL}
    saved_before_signal = {}
    deadline = time.monotonic() + 300
    while pending:
        if time.monotonic() > deadline:
            pytest.fail(f"no epoch ended in 300 s in the runs {sorted(pending)}")
        for name, sig in list(pending.items()):
            status = read_status(root / name)
            if (status and status["epochs_completed"] >= 1
                    and f"Epoch {status['epochs_completed'] + 1}/{EPOCHS}"
                    in (root / f"{name}.log").read_text()):
                procs[name].send_signal(sig)
                saved_before_signal[name] = status["epochs_completed"]
                del pending[name]
            elif procs[name].poll() is not None:
                pytest.fail(f"the {name} run ended before it could be interrupted: "
                            + (root / f"{name}.log").read_text())
        time.sleep(0.02)
    interrupted = {}
    for name in ("sigint", "sigkill"):
        code = procs[name].wait(timeout=240)
        interrupted[name] = {"code": code, "log": (root / f"{name}.log").read_text(),
                             "status": read_status(root / name),
                             "leftovers_before_resume": leftovers(root / name),
                             "history_before_resume": read_history(root / name)}
        procs[f"{name}_resumed"] = start(["--resume", root / name, "--verbose", "2",
                                          "--no-evaluate"], root / f"{name}_resumed.log")
    codes = {name: proc.wait(timeout=300) for name, proc in procs.items()}
    logs = {name: (root / f"{name}.log").read_text() for name in procs}
    return {"root": root, "codes": codes, "logs": logs, "interrupted": interrupted,
            "saved_before_signal": saved_before_signal}


def optimizer_steps(path):
    return int(keras.ops.convert_to_numpy(load_vae(path).optimizer.iterations))


def check_interrupted_mid_epoch(runs, name):
    """The signal came after epoch k+1 began and before it ended; k epochs are saved."""
    interrupted = runs["interrupted"][name]
    done = interrupted["status"]["epochs_completed"]
    assert done >= runs["saved_before_signal"][name] >= 1
    assert f"Epoch {done + 1}/{EPOCHS}" in interrupted["log"]
    ended = [line for line in interrupted["log"].splitlines()
             if line.startswith(f"{STEPS_PER_EPOCH}/{STEPS_PER_EPOCH} ")]
    assert len(ended) == done, interrupted["log"]
    assert len(interrupted["history_before_resume"]) == done  # the partial epoch is not logged


def check_resumed_run(runs, name):
    run_dir = runs["root"] / name
    assert runs["codes"][f"{name}_resumed"] == 0, runs["logs"][f"{name}_resumed"]
    done = runs["interrupted"][name]["status"]["epochs_completed"]
    assert done >= 1
    assert f"resuming after epoch {done} of {EPOCHS}" in runs["logs"][f"{name}_resumed"]
    # The same history file, one row per epoch, as long as an uninterrupted run's.
    history = read_history(run_dir)
    assert [int(row["epoch"]) for row in history] == list(range(EPOCHS))
    assert history[:done] == runs["interrupted"][name]["history_before_resume"][:done]
    assert read_status(run_dir)["state"] == "completed"
    # The optimizer went on counting from the checkpoint: a restarted optimizer
    # would have taken only the resumed epochs' steps.
    assert optimizer_steps(run_dir / "model.keras") == EPOCHS * STEPS_PER_EPOCH
    assert optimizer_steps(run_dir / "checkpoint.keras") == EPOCHS * STEPS_PER_EPOCH
    assert leftovers(run_dir) == []


def test_ctrl_c_stops_cleanly_and_resume_finishes_the_run(runs):
    run_dir = runs["root"] / "sigint"
    interrupted = runs["interrupted"]["sigint"]
    assert interrupted["code"] == 130, interrupted["log"]
    assert "Traceback" not in interrupted["log"]
    done = interrupted["status"]["epochs_completed"]
    assert interrupted["status"]["state"] == "interrupted"
    check_interrupted_mid_epoch(runs, "sigint")
    assert (f"interrupted: {done} of {EPOCHS} epochs are saved in {run_dir}; continue "
            f"with: python -m vae_keras.train --resume {run_dir}") in interrupted["log"]
    assert interrupted["leftovers_before_resume"] == []  # Ctrl-C cleans up after itself
    check_resumed_run(runs, "sigint")


def test_sigkill_loses_at_most_the_epoch_in_progress(runs):
    interrupted = runs["interrupted"]["sigkill"]
    assert interrupted["code"] == -signal.SIGKILL
    # Nothing ran after the kill: the files say what was saved last.
    assert interrupted["status"]["state"] == "running"
    check_interrupted_mid_epoch(runs, "sigkill")
    check_resumed_run(runs, "sigkill")


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(runs):
    run_dir = runs["root"] / "diverged"
    log = runs["logs"]["diverged"]
    assert runs["codes"]["diverged"] == 1, log
    assert "Traceback" not in log
    assert (f"error: training diverged (non-finite loss) in epoch 2; the last good "
            f"checkpoint, {run_dir / 'checkpoint.keras'}, holds epoch 1") in log
    status = read_status(run_dir)
    assert status["state"] == "diverged" and status["epochs_completed"] == 1
    assert "the loss became nan in epoch 2" in status["message"]
    assert not (run_dir / "model.keras").exists()
    history = read_history(run_dir)  # the history shows what happened
    assert math.isfinite(float(history[0]["loss"])) and math.isnan(float(history[1]["loss"]))
    checkpoint = load_vae(run_dir / "checkpoint.keras")
    assert int(keras.ops.convert_to_numpy(checkpoint.optimizer.iterations)) == STEPS_PER_EPOCH
    assert all(np.isfinite(keras.ops.convert_to_numpy(w)).all() for w in checkpoint.weights)
    # Resuming would only diverge again: refused, in one line.
    assert_one_line_error(run(["--resume", run_dir]), "--resume", "diverged", "start a new run")


def test_an_absurd_learning_rate_really_diverges_and_is_caught(subset, tmp_path):
    # The same guard on a real divergence, no fault injected: Adam with a step
    # of 1e12 sends the KL term to infinity within the first epoch.
    vae = VAE(latent_dim=2, hidden_dim=32, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e12))
    guard = StopOnDivergence(tmp_path)
    vae.fit(subset.x_train[:512], epochs=3, batch_size=128, callbacks=[guard], verbose=0)
    assert guard.diverged_at == 1
    assert read_status(tmp_path)["state"] == "diverged"


@pytest.mark.parametrize("fault", [OSError("No space left on device"), KeyboardInterrupt()])
def test_a_crash_during_a_save_keeps_the_last_good_checkpoint(tmp_path, fault):
    vae = VAE(latent_dim=2, hidden_dim=8, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae.optimizer.build(vae.trainable_variables)
    save_checkpoint(vae, tmp_path, 1)
    good = (tmp_path / "checkpoint.keras").read_bytes()

    class CrashingModel:
        def save(self, path):  # half a file written, then the fault
            with open(path, "wb") as f:
                f.write(good[: len(good) // 2])
            raise fault

    with pytest.raises(type(fault)):
        save_checkpoint(CrashingModel(), tmp_path, 2)
    assert (tmp_path / "checkpoint.keras").read_bytes() == good
    assert leftovers(tmp_path) == [] and read_status(tmp_path)["epochs_completed"] == 1
    assert isinstance(load_vae(tmp_path / "checkpoint.keras"), VAE)


def test_same_seed_gives_the_same_loss_curve(runs, backend):
    first, second = (read_history(runs["root"] / f"same_seed_{i}") for i in (1, 2))
    assert runs["codes"]["same_seed_1"] == runs["codes"]["same_seed_2"] == 0
    assert len(first) == len(second) == EPOCHS
    rtol = REPRODUCIBILITY_RTOL[backend]
    for row_1, row_2 in zip(first, second):
        for column in LOSS_COLUMNS:
            if rtol == 0:
                assert row_1[column] == row_2[column], (column, row_1, row_2)
            else:
                np.testing.assert_allclose(float(row_1[column]), float(row_2[column]), rtol=rtol)
    # The interrupted runs had the same seed: their epochs before the signal agree too.
    for name in ("sigint", "sigkill"):
        before = runs["interrupted"][name]["history_before_resume"]
        for row_1, row_2 in zip(first, before):
            for column in LOSS_COLUMNS:
                np.testing.assert_allclose(float(row_1[column]), float(row_2[column]),
                                           rtol=rtol)
