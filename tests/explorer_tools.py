"""Helpers for the explorer's tests (not a test module): a tiny trained 2-D run folder."""

import json
import shutil
import subprocess
from pathlib import Path

import keras

from vae_keras.models import VAE

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
GOLDEN = ROOT / "tests" / "explorer_golden.mjs"


def tiny_run(folder, dataset, images=512, epochs=1, **model_kwargs):
    """Trains a small VAE on the first subset images; saves it as a run folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(0)  # module fixtures run before conftest's seeding
    options = dict(latent_dim=2, hidden_dim=32, num_hidden_layers=2, seed=0)
    options.update(model_kwargs)
    vae = VAE(**options)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae.fit(dataset.x_train[:images], epochs=epochs, batch_size=64, verbose=0)
    vae.save(folder / "model.keras")
    config = {"dataset": "mnist_subset", "data_dir": None, "arch": vae.arch,
              "latent_dim": vae.latent_dim, "hidden_dim": vae.hidden_dim, "epochs": epochs,
              "backend": keras.backend.backend(), "train_size": images}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "metrics.json").write_text(json.dumps({"test_neg_elbo": 300.5, "epochs": 1}))
    return vae


def node_decode(export_dir, codes, tmp_path):
    """Runs the page's JavaScript decoder (with node) on `codes`; returns its JSON answer."""
    path = Path(tmp_path) / "codes.json"
    path.write_text(json.dumps([[float(a), float(b)] for a, b in codes]))
    result = subprocess.run([NODE, str(GOLDEN), str(export_dir), str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)
