"""vae-keras: the variational autoencoder in Keras 3, on JAX, PyTorch and TensorFlow.

The public names are imported on first use, so that `python -m vae_keras.train`
can check its options (and `KERAS_BACKEND`) before Keras is loaded.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "VAE": "vae_keras.models",
    "ConditionalVAE": "vae_keras.conditional",
    "Sampling": "vae_keras.layers",
    "bernoulli_nll": "vae_keras.losses",
    "gaussian_nll": "vae_keras.losses",
    "kl_divergence": "vae_keras.losses",
    "build_decoder": "vae_keras.networks",
    "build_encoder": "vae_keras.networks",
    "load_dataset": "vae_keras.data",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'vae_keras' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
