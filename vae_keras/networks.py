"""Encoder and decoder builders: an MLP (the paper's) and a small convolutional variant."""

import math

import keras
from keras import layers

from vae_keras.config import ARCHITECTURES, conv_shape_error


def _check(input_shape, latent_dim, hidden_dim, num_hidden_layers, arch):
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {ARCHITECTURES}, got {arch!r}")
    if int(latent_dim) != latent_dim or latent_dim < 1:
        raise ValueError(f"latent_dim must be an integer >= 1, got {latent_dim!r}")
    if int(hidden_dim) != hidden_dim or hidden_dim < 1:
        raise ValueError(f"hidden_dim must be an integer >= 1, got {hidden_dim!r}")
    if int(num_hidden_layers) != num_hidden_layers or num_hidden_layers < 1:
        raise ValueError(
            f"num_hidden_layers must be an integer >= 1, got {num_hidden_layers!r}"
        )
    if len(input_shape) != 3:
        raise ValueError(
            f"input_shape must be (height, width, channels), got {tuple(input_shape)}"
        )
    if arch == "conv" and conv_shape_error(input_shape):
        raise ValueError(conv_shape_error(input_shape))


def build_encoder(
    input_shape, latent_dim, hidden_dim=512, num_hidden_layers=1, arch="mlp"
):
    """Builds q(z | x): a model from images to `(mean, log_var)`.

    Args:
        input_shape: `(height, width, channels)`.
        latent_dim: Size of z (any integer >= 1).
        hidden_dim: Width of each hidden dense layer.
        num_hidden_layers: Number of hidden dense layers.
        arch: `"mlp"` (dense layers on flattened pixels) or `"conv"` (two
            stride-2 convolutions, then the dense layers).

    Returns:
        A functional `keras.Model` with outputs `[mean, log_var]`, each of shape
        `(batch_size, latent_dim)`.

    Example:

    ```python
    import numpy as np
    from vae_keras import build_encoder

    encoder = build_encoder((28, 28, 1), latent_dim=2, hidden_dim=64)
    mean, log_var = encoder(np.zeros((5, 28, 28, 1), "float32"))
    print(tuple(mean.shape), tuple(log_var.shape))  # (5, 2) (5, 2)
    ```
    """
    _check(input_shape, latent_dim, hidden_dim, num_hidden_layers, arch)
    x = inputs = keras.Input(shape=tuple(input_shape), name="image")
    if arch == "conv":
        for filters in (32, 64):
            x = layers.Conv2D(
                filters, 3, strides=2, padding="same", activation="relu",
                data_format="channels_last",
            )(x)
    x = layers.Flatten()(x)
    for i in range(num_hidden_layers):
        x = layers.Dense(hidden_dim, activation="relu", name=f"hidden_{i}")(x)
    mean = layers.Dense(latent_dim, name="z_mean")(x)
    log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    return keras.Model(inputs, [mean, log_var], name="encoder")


def build_decoder(
    output_shape,
    latent_dim,
    hidden_dim=512,
    num_hidden_layers=1,
    arch="mlp",
    params_per_pixel=1,
):
    """Builds p(x | z): a model from latent codes to distribution parameters.

    Args:
        output_shape: `(height, width, channels)` of the images.
        latent_dim: Size of z.
        hidden_dim: Width of each hidden dense layer.
        num_hidden_layers: Number of hidden dense layers.
        arch: `"mlp"` or `"conv"` (dense layers, then two stride-2 transposed
            convolutions).
        params_per_pixel: 1 for Bernoulli logits or Gaussian means, 2 for a
            Gaussian with a learned per-pixel log-variance (stacked on the
            channel axis: means first).

    Returns:
        A functional `keras.Model` whose output has shape
        `(batch_size, height, width, channels * params_per_pixel)`, unactivated.

    Example:

    ```python
    import numpy as np
    from vae_keras import build_decoder

    decoder = build_decoder((28, 28, 1), latent_dim=2, hidden_dim=64)
    logits = decoder(np.zeros((5, 2), "float32"))
    print(tuple(logits.shape))  # (5, 28, 28, 1)
    ```
    """
    _check(output_shape, latent_dim, hidden_dim, num_hidden_layers, arch)
    height, width, channels = output_shape
    out_channels = channels * params_per_pixel
    x = inputs = keras.Input(shape=(latent_dim,), name="z")
    for i in range(num_hidden_layers):
        x = layers.Dense(hidden_dim, activation="relu", name=f"hidden_{i}")(x)
    if arch == "mlp":
        x = layers.Dense(math.prod((height, width, out_channels)), name="params")(x)
        outputs = layers.Reshape((height, width, out_channels))(x)
    else:
        x = layers.Dense(height // 4 * width // 4 * 64, activation="relu")(x)
        x = layers.Reshape((height // 4, width // 4, 64))(x)
        for filters in (64, 32):
            x = layers.Conv2DTranspose(
                filters, 3, strides=2, padding="same", activation="relu",
                data_format="channels_last",
            )(x)
        outputs = layers.Conv2D(
            out_channels, 3, padding="same", data_format="channels_last",
            name="params",
        )(x)
    return keras.Model(inputs, outputs, name="decoder")
