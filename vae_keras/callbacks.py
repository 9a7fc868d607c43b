"""Training callbacks: epoch timing, divergence guard, clean Ctrl-C stop, atomic checkpoints, TensorBoard logs."""

import math
import os
import signal
import socket
import threading
import time
from pathlib import Path

import keras

from vae_keras import runs

# Test-only fault injection: with this variable set to K, the training CLI
# sets a weight to NaN at the start of epoch K (1-based), so that the loss
# really becomes NaN and the divergence guard must act. Never set it otherwise.
INJECT_NAN_ENV = "VAE_KERAS_INJECT_NAN_EPOCH"


def save_checkpoint(model, run_dir, epochs_completed):
    """Saves model and optimizer state to `run_dir/checkpoint.keras`, atomically.

    The model goes to a temporary file, which is then renamed over the previous
    checkpoint: a crash in the middle of a save leaves the last good one intact.
    `status.json` is updated after the rename.
    """
    with runs.atomic_path(Path(run_dir) / runs.CHECKPOINT) as tmp:
        model.save(tmp)
    runs.write_status(run_dir, "running", epochs_completed)


class EpochTimer(keras.callbacks.Callback):
    """Adds `seconds` (wall time of the epoch, validation included) to the logs.

    Later callbacks in the list (e.g. `keras.callbacks.CSVLogger`) and the
    returned `History` then record it with the losses.

    Example:

    ```python
    import keras
    import numpy as np
    from vae_keras import VAE
    from vae_keras.callbacks import EpochTimer

    vae = VAE(latent_dim=2, hidden_dim=64, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = np.random.default_rng(0).random((256, 28, 28, 1), dtype="float32")
    history = vae.fit(x, epochs=2, batch_size=64, verbose=0, callbacks=[EpochTimer()])
    print(len(history.history["seconds"]))  # 2
    ```
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self._start


class StopOnDivergence(keras.callbacks.Callback):
    """Stops training when the epoch's loss is NaN or infinite.

    It checks once per epoch (a per-step check would force a device-to-host
    copy every step). Place it before `AtomicCheckpoint` so a diverged epoch
    is never saved over the last good checkpoint. It writes the reason to
    `run_dir/status.json` and sets `diverged_at` to the 1-based epoch.

    Args:
        run_dir: The run folder, where `status.json` is written.

    Example:

    ```python
    guard = StopOnDivergence("runs/my-run")
    callbacks = [guard, AtomicCheckpoint("runs/my-run", guard=guard)]
    ```
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
            runs.write_status(
                self.run_dir, "diverged", epoch,
                f"the loss became {loss} in epoch {epoch + 1}; the checkpoint holds "
                f"epoch {epoch}; try a smaller --learning-rate",
            )


class StopOnInterrupt(keras.callbacks.Callback):
    """Turns Ctrl-C during `fit` into a clean stop after the batch in progress.

    A `KeyboardInterrupt` raised at an arbitrary point inside a backend's
    runtime can leave it broken: TensorFlow was seen to abort with a corrupt
    heap. So during training, SIGINT only sets a flag; the batch in progress
    ends, Keras leaves the epoch's loop, and this callback raises
    `KeyboardInterrupt` from plain Python in `on_epoch_end`, before the
    partial epoch can be logged or checkpointed. Place it first in the list.
    A second Ctrl-C interrupts at once.

    Example:

    ```python
    try:
        vae.fit(x, epochs=30, callbacks=[StopOnInterrupt(), EpochTimer()])
    except KeyboardInterrupt:
        print("stopped after a whole batch; the last checkpoint is intact")
    ```
    """

    def __init__(self):
        super().__init__()
        self.requested = False
        self._previous = None

    def on_train_begin(self, logs=None):
        if threading.current_thread() is threading.main_thread():  # signals go there only
            self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def on_train_batch_end(self, batch, logs=None):
        if self.requested:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.requested:
            self._restore()
            raise KeyboardInterrupt

    def on_train_end(self, logs=None):
        self._restore()

    def _restore(self):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class AtomicCheckpoint(keras.callbacks.Callback):
    """Saves model and optimizer state at the end of every epoch, atomically.

    The model is written to a temporary file, then renamed over the previous
    checkpoint: a crash in the middle of a save leaves the last good one intact.
    `run_dir/status.json` then records the number of completed epochs.

    Args:
        run_dir: An existing folder; the checkpoint is `run_dir/checkpoint.keras`.
        guard: Optional `StopOnDivergence`: no save after it has stopped training.

    Example:

    ```python
    import keras
    import numpy as np
    from vae_keras import VAE
    from vae_keras.callbacks import AtomicCheckpoint

    vae = VAE(latent_dim=2, hidden_dim=64, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = np.random.default_rng(0).random((256, 28, 28, 1), dtype="float32")
    vae.fit(x, epochs=1, batch_size=64, verbose=0, callbacks=[AtomicCheckpoint(".")])
    print(keras.saving.load_model("checkpoint.keras").latent_dim)  # 2
    ```
    """

    def __init__(self, run_dir, guard=None):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.guard = guard

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.diverged_at is not None:
            return
        save_checkpoint(self.model, self.run_dir, epoch + 1)


class InjectNaN(keras.callbacks.Callback):
    """Test-only fault: sets the decoder's output bias to NaN at the start of an epoch.

    The decoder's raw outputs, and with them the loss, then become NaN
    through the model's real computation, on every backend. (A NaN in the
    encoder's first weight is not enough: on TensorFlow's CPU kernels a ReLU
    maps NaN to 0, and training went on with a finite loss.) Used by the
    training CLI only when `VAE_KERAS_INJECT_NAN_EPOCH` is set (by the tests
    of the divergence guard).

    Args:
        epoch: The 1-based epoch at whose start the fault is injected.
    """

    def __init__(self, epoch):
        super().__init__()
        self.epoch = int(epoch)

    def on_epoch_begin(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            weight = self.model.decoder.trainable_weights[-1]
            weight.assign(keras.ops.full(weight.shape, float("nan"), weight.dtype))


class TensorBoardScalars(keras.callbacks.Callback):
    """Writes each epoch's logs as TensorBoard scalars, without TensorFlow.

    Keras's own `keras.callbacks.TensorBoard` imports TensorFlow under every
    backend, which under JAX or PyTorch costs seconds of start-up and prints
    TensorFlow's CUDA and oneDNN log lines. This callback writes the same
    scalars to the same layout (`log_dir/train` and `log_dir/validation`, tags
    `epoch_loss`, `epoch_kl_loss`, ...; step = epoch index) with the
    `tensorboard` package's record writer and protocol buffers, which need no
    TensorFlow. `tensorboard --logdir log_dir` shows them as Keras's would.

    Args:
        log_dir: Folder for the event files (created if missing).

    Example:

    ```python
    import numpy as np
    import keras
    from vae_keras import VAE
    from vae_keras.callbacks import TensorBoardScalars

    vae = VAE(latent_dim=2, hidden_dim=64, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = np.random.default_rng(0).random((256, 28, 28, 1), dtype="float32")
    vae.fit(x, epochs=2, batch_size=64, verbose=0,
            callbacks=[TensorBoardScalars("logs")])
    # then: tensorboard --logdir logs
    ```
    """

    def __init__(self, log_dir):
        super().__init__()
        self.log_dir = Path(log_dir)
        self._writers = {}

    def _writer(self, split):
        if split not in self._writers:
            from tensorboard.compat.proto import event_pb2
            from tensorboard.summary.writer.record_writer import RecordWriter

            folder = self.log_dir / split
            folder.mkdir(parents=True, exist_ok=True)
            # TensorBoard's file name pattern: events.out.tfevents.<time>.<host>.<pid>...
            name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
                    f"{os.getpid()}.{len(self._writers)}.v2")
            writer = RecordWriter(open(folder / name, "wb"))
            # The first record of every event file names its format.
            writer.write(event_pb2.Event(wall_time=time.time(),
                                         file_version="brain.Event:2").SerializeToString())
            self._writers[split] = writer
        return self._writers[split]

    def on_epoch_end(self, epoch, logs=None):
        from tensorboard.compat.proto import event_pb2, summary_pb2

        by_split = {}
        for key, value in (logs or {}).items():
            split, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue  # not a scalar
            by_split.setdefault(split, []).append(
                summary_pb2.Summary.Value(tag=f"epoch_{name}", simple_value=value))
        for split, values in by_split.items():
            event = event_pb2.Event(wall_time=time.time(), step=epoch,
                                    summary=summary_pb2.Summary(value=values))
            writer = self._writer(split)
            writer.write(event.SerializeToString())
            writer.flush()  # one flush per epoch: the logs are readable while training runs

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
