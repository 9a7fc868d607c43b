"""Training callbacks: epoch timing, divergence guard and atomic per-epoch checkpoints."""

import json
import math
import os
import time
from pathlib import Path

import keras

CHECKPOINT = "checkpoint.keras"
STATUS = "status.json"


def write_json(path, data):
    """Writes JSON through a temporary file and a rename: never half a file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def write_status(run_dir, state, epochs_completed, message=""):
    write_json(Path(run_dir) / STATUS,
               {"state": state, "epochs_completed": epochs_completed, "message": message})


class EpochTimer(keras.callbacks.Callback):
    """Adds `seconds` (wall time of the epoch, validation included) to the logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self._start


class StopOnDivergence(keras.callbacks.Callback):
    """Stops training when the epoch's loss is NaN or infinite.

    It checks once per epoch (a per-step check would force a device-to-host
    copy every step). Place it before `AtomicCheckpoint` so a diverged epoch
    is never saved over the last good checkpoint.
    """

    def __init__(self, run_dir):
        super().__init__()
        self.run_dir = run_dir
        self.diverged_at = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.diverged_at = epoch + 1
            self.model.stop_training = True
            write_status(
                self.run_dir, "diverged", epoch,
                f"the loss became {loss} in epoch {epoch + 1}; the checkpoint holds "
                f"epoch {epoch}; try a smaller --learning-rate",
            )


class AtomicCheckpoint(keras.callbacks.Callback):
    """Saves model and optimizer state at the end of every epoch, atomically.

    The model is written to a temporary file, then renamed over the previous
    checkpoint: a crash in the middle of a save leaves the last good one intact.
    """

    def __init__(self, run_dir, guard=None):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.guard = guard

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.diverged_at is not None:
            return
        tmp = self.run_dir / f"checkpoint.tmp-{os.getpid()}.keras"
        self.model.save(tmp)
        os.replace(tmp, self.run_dir / CHECKPOINT)
        write_status(self.run_dir, "running", epoch + 1)
