"""Small saved VAEs for the cross-backend tests (a helper, not a test module).

`python tests/portable_models.py FOLDER` (with KERAS_BACKEND set) loads every
`*.keras` file in FOLDER that another backend saved and writes what this backend
computes with it to `FOLDER/loaded-by-<backend>.npz`.
"""

import sys
from pathlib import Path

import keras
import numpy as np

from vae_keras.models import VAE
from vae_keras.saving import load_vae

# Deterministic inputs from NumPy: the same on every backend.
RNG = np.random.default_rng(0)
IMAGES = {"mlp": RNG.random((6, 28, 28, 1), dtype="float32"),
          "conv": RNG.random((6, 28, 20, 1), dtype="float32")}
CODES = RNG.standard_normal((5, 2)).astype("float32")


def build(kind):
    """An MLP with a Bernoulli decoder, or a conv net with a learned-variance Gaussian one."""
    if kind == "mlp":
        return VAE(image_shape=(28, 28, 1), latent_dim=2, hidden_dim=16, seed=0)
    return VAE(image_shape=(28, 20, 1), latent_dim=2, hidden_dim=16, arch="conv",
               likelihood="gaussian", seed=0)


def outputs(model, kind):
    """Encoder means and log-variances, decoder outputs and the optimizer's step count."""
    mean, log_var = model.encode(IMAGES[kind])
    return {"mean": mean, "log_var": log_var, "decoded": model.decode(CODES),
            "steps": np.asarray(int(keras.ops.convert_to_numpy(model.optimizer.iterations)))}


def save_models(folder):
    """Saves one model of each kind, trained for one step, with what it computes."""
    backend = keras.backend.backend()
    for kind in IMAGES:
        keras.utils.set_random_seed(0)
        model = build(kind)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(IMAGES[kind], epochs=1, batch_size=6, verbose=0)  # optimizer state too
        model.save(Path(folder) / f"{backend}-{kind}.keras")
        np.savez(Path(folder) / f"{backend}-{kind}.npz", **outputs(model, kind))


def load_models(folder, saved_by=None):
    """What this backend computes with the models saved by `saved_by` (default: the others)."""
    backend = keras.backend.backend()
    results = {}
    for path in sorted(Path(folder).glob("*.keras")):
        saver, kind = path.stem.split("-")
        if saver != backend if saved_by is None else saver == saved_by:
            for key, value in outputs(load_vae(path), kind).items():
                results[f"{path.stem}/{key}"] = value
    return results


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    np.savez(folder / f"loaded-by-{keras.backend.backend()}.npz", **load_models(folder))
