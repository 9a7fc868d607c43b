"""Shared fixtures. Each pytest process runs under the backend in KERAS_BACKEND."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Tests never reach the network or a user's data folder.
os.environ.pop("VAE_KERAS_DATA", None)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def backend():
    return keras.backend.backend()


@pytest.fixture(scope="session")
def subset():
    """The bundled real MNIST subset (8,000 train / 2,000 test)."""
    from vae_keras import load_dataset

    return load_dataset("mnist_subset")


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)
    np.random.seed(0)
