"""What every tutorial script shares: its command line, the data and a trained model.

Each script runs on its own (`python tutorial/06_training.py`) under whatever
backend `KERAS_BACKEND` names. By default it uses the 8,000 + 2,000 real MNIST
digits bundled with the package and finishes in well under a minute on a
laptop CPU.

    --full          use the full MNIST (60,000 + 10,000): give --data-dir or
                    set VAE_KERAS_DATA to the folder of the four IDX files
    --short         tiny settings, for tests (or VAE_KERAS_TUTORIAL_SHORT=1)
    --output-dir    where figures and the trained model go (runs/tutorial)
"""

import argparse
import dataclasses
import os
from pathlib import Path

SHORT_ENV = "VAE_KERAS_TUTORIAL_SHORT"
MODEL_FILE = "vae_2d.keras"


def parse_args(description, argv=None):
    """Parses the options every tutorial script understands."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--short", action="store_true", default=os.environ.get(SHORT_ENV) == "1",
        help=f"tiny settings for tests (also {SHORT_ENV}=1)",
    )
    parser.add_argument(
        "--full", action="store_true",
        help="full MNIST instead of the bundled subset (needs --data-dir or VAE_KERAS_DATA)",
    )
    parser.add_argument("--data-dir", default=None, help="folder of the MNIST IDX files")
    parser.add_argument(
        "--output-dir", type=Path, default=Path("runs/tutorial"),
        help="where figures and the trained model are written (default: runs/tutorial)",
    )
    args = parser.parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    return args


def load_data(args):
    """The bundled subset, or the full MNIST with --full; cut down with --short."""
    from vae_keras import load_dataset

    if args.full or args.data_dir:
        data = load_dataset("mnist", data_dir=args.data_dir)
    else:
        data = load_dataset("mnist_subset")
    if args.short:
        data = dataclasses.replace(
            data,
            x_train=data.x_train[:2000], y_train=data.y_train[:2000],
            x_test=data.x_test[:500], y_test=data.y_test[:500],
        )
    return data


def train_epochs(args):
    """Epochs for the 2-D model: 1 in short mode, 10 on full MNIST, 20 on the subset."""
    if args.short:
        return 1
    return 10 if (args.full or args.data_dir) else 20


def trained_vae(args, data):
    """The 2-D model that 06_training.py saved, or a fresh one trained the same way."""
    import keras

    from vae_keras import VAE

    path = args.output_dir / MODEL_FILE
    if path.is_file():
        return keras.models.load_model(path)
    vae = VAE(latent_dim=2, hidden_dim=512, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae.fit(data.x_train, epochs=train_epochs(args), batch_size=128, verbose=0)
    vae.save(path)
    return vae


def save(fig, args, name):
    """Saves a matplotlib figure under --output-dir and says where."""
    path = args.output_dir / name
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"saved {path}")
