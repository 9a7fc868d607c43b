"""Command-line options of the training CLI, each checked with a one-line error."""

import argparse
import math
import os
import sys

BACKENDS = ("jax", "torch", "tensorflow")
DATASETS = ("mnist", "fashion_mnist", "frey_face", "mnist_subset")
ARCHITECTURES = ("mlp", "conv")


class ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _finite_float(text, lowest, strict):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    ok = math.isfinite(value) and (value > lowest if strict else value >= lowest)
    if not ok:
        bound = f"> {lowest:g}" if strict else f">= {lowest:g}"
        raise argparse.ArgumentTypeError(f"expected a finite number {bound}, got {text!r}")
    return value


def positive_float(text):
    return _finite_float(text, 0.0, strict=True)


def non_negative_float(text):
    return _finite_float(text, 0.0, strict=False)


def build_parser(prog="python -m vae_keras.train"):
    p = ArgumentParser(
        prog=prog,
        description="Train a variational autoencoder. The backend comes from "
        "KERAS_BACKEND (jax, torch or tensorflow). Each run writes a folder with "
        "the model, config.json, history.csv, TensorBoard logs, metrics.json and figures.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--dataset", default="mnist", choices=DATASETS,
                   help="data set; mnist falls back to the bundled subset when the "
                   "full set can be neither found nor downloaded")
    p.add_argument("--data-dir", default=None,
                   help="folder with the raw files (IDX or frey_rawface.mat); "
                   "default: $VAE_KERAS_DATA, else download into ~/.keras/datasets")
    p.add_argument("--arch", default="mlp", choices=ARCHITECTURES, help="encoder/decoder type")
    p.add_argument("--latent-dim", type=positive_int, default=2, help="size of z")
    p.add_argument("--hidden-dim", type=positive_int, default=512, help="width of hidden layers")
    p.add_argument("--hidden-layers", type=positive_int, default=1,
                   help="number of hidden dense layers in encoder and decoder")
    p.add_argument("--epochs", type=positive_int, default=30, help="training epochs")
    p.add_argument("--batch-size", type=positive_int, default=128, help="examples per step")
    p.add_argument("--learning-rate", type=positive_float, default=1e-3, help="Adam step size")
    p.add_argument("--beta", type=non_negative_float, default=1.0,
                   help="weight of the KL term (1 = the ELBO)")
    p.add_argument("--decoder-std", type=positive_float, default=None,
                   help="fixed std of the Gaussian decoder (frey_face); default: learned")
    p.add_argument("--seed", type=int, default=0, help="seed for weights, noise and shuffling")
    p.add_argument("--output-dir", default="runs", help="where run folders are created")
    p.add_argument("--run-name", default=None,
                   help="name of the run folder (default: dataset-arch-zN-backend-time)")
    p.add_argument("--resume", metavar="RUN_DIR", default=None,
                   help="continue an interrupted run from its last completed epoch "
                   "(all other options come from its config.json)")
    p.add_argument("--no-evaluate", dest="evaluate", action="store_false",
                   help="skip the final evaluation and figures")
    p.add_argument("--no-snapshots", dest="snapshots", action="store_false",
                   help="skip the per-epoch snapshots behind the progress GIFs")
    p.add_argument("--no-tensorboard", dest="tensorboard", action="store_false",
                   help="skip the TensorBoard logs")
    p.add_argument("--verbose", type=int, default=None, choices=(0, 1, 2),
                   help="Keras progress: 0 silent, 1 progress bar, 2 one line per epoch "
                   "(default: 1 in a terminal, else 2)")
    return p


def check_backend():
    """Returns KERAS_BACKEND (default tensorflow, as Keras) or exits with a one-line error."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend not in BACKENDS:
        sys.stderr.write(
            f"error: KERAS_BACKEND={backend!r} is not supported; "
            f"use one of {', '.join(BACKENDS)}\n"
        )
        sys.exit(2)
    return backend
