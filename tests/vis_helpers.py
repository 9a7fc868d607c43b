"""A tiny trained run folder shared by the figure, animation and evaluation tests.

Built once per pytest process (each process runs one backend) with the VAE API
directly, in the layout `python -m vae_keras.train` writes.
"""

import functools
import json
import tempfile
from pathlib import Path

import keras
import numpy as np
from PIL import Image, ImageSequence

EPOCHS = 2
NUM_SNAPSHOT_IMAGES = 300


@functools.cache
def tiny_run():
    """Returns `(run_dir, vae, dataset)`: a 2-D VAE trained 2 epochs on 2,000 digits."""
    from vae_keras import VAE, load_dataset
    from vae_keras.data import Dataset
    from vae_keras.snapshots import TrainingSnapshots

    full = load_dataset("mnist_subset")
    data = Dataset("mnist", full.x_train[:2000], full.x_test[:400], full.y_train[:2000],
                   full.y_test[:400])
    run_dir = Path(tempfile.mkdtemp(prefix=f"vae-vis-{keras.backend.backend()}-"))
    keras.utils.set_random_seed(0)
    vae = VAE(latent_dim=2, hidden_dim=64, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    vae.fit(
        data.x_train, epochs=EPOCHS, batch_size=100, verbose=0,
        validation_data=(data.x_test,),
        callbacks=[
            keras.callbacks.CSVLogger(str(run_dir / "history.csv")),
            TrainingSnapshots(data.x_test[:NUM_SNAPSHOT_IMAGES], data.y_test[:NUM_SNAPSHOT_IMAGES],
                              run_dir / "snapshots.npz", num_reconstructions=16),
        ],
    )
    vae.save(run_dir / "model.keras")
    config = {"dataset": "mnist_subset", "data_dir": None, "latent_dim": 2, "hidden_dim": 64,
              "epochs": EPOCHS, "seed": 0, "backend": keras.backend.backend()}
    (run_dir / "config.json").write_text(json.dumps(config))
    return run_dir, vae, data


def pixels(path):
    """An image file's frames as float arrays in [0, 1] (one frame for a PNG)."""
    with Image.open(path) as im:
        return [np.asarray(f.convert("L"), dtype="float32") / 255.0
                for f in ImageSequence.Iterator(im)]


def check_image(path, size=None, frames=1, min_variance=1e-3):
    """Asserts that an image file exists, has `size` (w, h) and `frames`, and is not blank."""
    assert Path(path).is_file(), f"{path} was not written"
    with Image.open(path) as im:
        if size is not None:
            assert abs(im.size[0] - size[0]) <= 1 and abs(im.size[1] - size[1]) <= 1, \
                f"{path}: {im.size} != {size}"
        found = getattr(im, "n_frames", 1)
    assert found == frames, f"{path}: {found} frames, expected {frames}"
    for i, frame in enumerate(pixels(path)):
        assert frame.var() > min_variance, f"{path}: frame {i} is blank (variance {frame.var()})"


def figure_size(fig):
    """A figure's size in pixels when saved at its own dpi."""
    w, h = fig.get_size_inches() * fig.dpi
    return round(w), round(h)
