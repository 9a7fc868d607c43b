"""vae-keras: the variational autoencoder in Keras 3, on JAX, PyTorch and TensorFlow."""

from vae_keras.data import load_dataset
from vae_keras.layers import Sampling
from vae_keras.losses import bernoulli_nll, gaussian_nll, kl_divergence
from vae_keras.models import VAE
from vae_keras.networks import build_decoder, build_encoder

__version__ = "0.1.0"

__all__ = [
    "VAE",
    "Sampling",
    "bernoulli_nll",
    "build_decoder",
    "build_encoder",
    "gaussian_nll",
    "kl_divergence",
    "load_dataset",
]
