"""A Keras callback that records, every epoch, how a fixed batch is encoded and reconstructed."""

from pathlib import Path

import keras
import numpy as np

from vae_keras import runs


class TrainingSnapshots(keras.callbacks.Callback):
    """Saves the posterior means and reconstructions of a fixed batch after each epoch.

    The snapshots become the training-progress animations (`vae_keras.animations`).
    They are taken in `on_epoch_end`: on JAX, Keras copies the trained weights
    back into the model's variables only at the end of an epoch. After every
    epoch the whole record is rewritten to `path` (a `.npz` file) through a
    temporary file and a rename, so an interrupted run keeps what it had.

    Args:
        x: Fixed images `(n, H, W, C)`, e.g. the first test images.
        labels: Their labels `(n,)`, or `None` (Frey Face).
        path: Where to write the `.npz` file.
        num_reconstructions: How many of the images are reconstructed each epoch
            (all `n` are encoded: their means make the latent scatter).

    The file holds `x` (the reconstructed originals), `labels` (or an empty
    array), `epochs` (1-based epoch numbers), `means` `(epochs, n, latent_dim)`,
    `reconstructions` `(epochs, num_reconstructions, H, W, C)`, and the epoch's
    logged `loss` and `val_loss` (NaN when not logged).

    Example:

    >>> snapshots = TrainingSnapshots(data.x_test[:1000], data.y_test[:1000],
    ...                               run_dir / "snapshots.npz")  # doctest: +SKIP
    >>> vae.fit(data.x_train, epochs=5, callbacks=[snapshots])  # doctest: +SKIP
    """

    def __init__(self, x, labels, path, num_reconstructions=32):
        super().__init__()
        self.x = np.asarray(x, dtype="float32")
        self.labels = None if labels is None else np.asarray(labels)
        if self.labels is not None and len(self.labels) != len(self.x):
            raise ValueError(f"got {len(self.x)} images but {len(self.labels)} labels")
        self.path = Path(path)
        self.num_reconstructions = min(int(num_reconstructions), len(self.x))
        self.epochs, self.means, self.reconstructions = [], [], []
        self.losses, self.val_losses = [], []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        mean, _ = self.model.encode(self.x)
        self.epochs.append(epoch + 1)
        self.means.append(mean)
        self.reconstructions.append(self.model.decode(mean[: self.num_reconstructions]))
        self.losses.append(float(logs.get("loss", np.nan)))
        self.val_losses.append(float(logs.get("val_loss", np.nan)))
        self.save()

    def save(self):
        """Writes every snapshot so far to `path`, atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with runs.atomic_path(self.path) as tmp, open(tmp, "wb") as f:
            np.savez(
                f,
                x=self.x[: self.num_reconstructions],
                labels=np.array([]) if self.labels is None else self.labels,
                epochs=np.array(self.epochs, dtype="int64"),
                means=np.stack(self.means).astype("float32"),
                reconstructions=np.stack(self.reconstructions).astype("float32"),
                loss=np.array(self.losses),
                val_loss=np.array(self.val_losses),
            )


def load_snapshots(path):
    """Reads a snapshots file into a dict of arrays (`labels` is `None` if there were none)."""
    with np.load(path, allow_pickle=False) as f:
        data = {key: f[key] for key in f.files}
    if data["labels"].size == 0:
        data["labels"] = None
    return data
