"""The conditional VAE: encoder and decoder both see the label y (Sohn et al., 2015; Kingma et al., 2014).

The model maximises a lower bound on log p(x | y) instead of log p(x):

    log p(x | y) >= E_q(z|x,y)[log p(x | z, y)] - KL(q(z | x, y) || p(z)),

with the same standard normal prior p(z) as the VAE. Knowing y, the decoder
no longer needs z to say which digit to draw, so z is free to hold the style.
"""

import keras
import numpy as np
from keras import layers

from vae_keras.models import VAE
from vae_keras.numpy_api import check_images
from vae_keras.networks import _check, build_decoder


def one_hot(labels, num_classes):
    """Integer labels `(n,)` as float32 one-hot rows `(n, num_classes)` (NumPy).

    Example:

    ```python
    from vae_keras import one_hot

    print(one_hot([2, 0], 3).tolist())  # [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    ```

    Raises:
        ValueError: if a label is not an integer in `[0, num_classes)`.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and (
            not np.issubdtype(labels.dtype, np.integer)
            or labels.min() < 0 or labels.max() >= num_classes)):
        raise ValueError(f"expected integer labels from 0 to {num_classes - 1} of shape "
                         f"(n,), got an array of shape {labels.shape} and dtype {labels.dtype}")
    return np.eye(num_classes, dtype="float32")[labels]


def build_conditional_encoder(input_shape, num_classes, latent_dim, hidden_dim=512,
                              num_hidden_layers=1, arch="mlp"):
    """Builds q(z | x, y): a model from `[images, one_hot_labels]` to `[mean, log_var]`.

    The same network as `build_encoder`, with the one-hot label joined to the
    image's features (after the convolutions, for `arch="conv"`) before the
    dense layers.
    """
    _check(input_shape, latent_dim, hidden_dim, num_hidden_layers, arch)
    x = image = keras.Input(shape=tuple(input_shape), name="image")
    label = keras.Input(shape=(num_classes,), name="label")
    if arch == "conv":
        for filters in (32, 64):
            x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu",
                              data_format="channels_last")(x)
    x = layers.Concatenate(name="image_and_label")([layers.Flatten()(x), label])
    for i in range(num_hidden_layers):
        x = layers.Dense(hidden_dim, activation="relu", name=f"hidden_{i}")(x)
    mean = layers.Dense(latent_dim, name="z_mean")(x)
    log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    return keras.Model([image, label], [mean, log_var], name="encoder")


def build_conditional_decoder(output_shape, num_classes, latent_dim, params_per_pixel=1,
                              **size):
    """Builds p(x | z, y): `build_decoder`'s network fed the concatenation `[z, y]`."""
    z = keras.Input(shape=(latent_dim,), name="z")
    label = keras.Input(shape=(num_classes,), name="label")
    body = build_decoder(output_shape, latent_dim + num_classes,
                         params_per_pixel=params_per_pixel, **size)
    body.name = "decoder_body"
    params = body(layers.Concatenate(name="z_and_label")([z, label]))
    return keras.Model([z, label], params, name="decoder")


@keras.saving.register_keras_serializable(package="vae_keras")
class ConditionalVAE(VAE):
    """A VAE whose encoder and decoder also see the one-hot label y.

    Trained on `x=(images, one_hot_labels)`; `call` returns the same dict as
    `VAE.call` and the loss is `VAE`'s, now the negative conditional ELBO
    (a bound on -log p(x | y)). The NumPy helpers take integer labels:
    `encode(x, labels)`, `decode(z, labels)`, `sample(n, labels)`,
    `reconstruct(x, labels)`. Saved models load with `load_vae` on every
    backend, like a `VAE`.

    Args:
        num_classes: Number of labels (10 for MNIST).
        **kwargs: As for `VAE` (`image_shape`, `latent_dim`, `hidden_dim`, ...).

    Example:

    ```python
    import keras
    import numpy as np
    from vae_keras import ConditionalVAE, one_hot

    cvae = ConditionalVAE(num_classes=10, latent_dim=2, hidden_dim=64, seed=0)
    cvae.compile(optimizer=keras.optimizers.Adam(1e-3))
    rng = np.random.default_rng(0)
    x = rng.random((256, 28, 28, 1), dtype="float32")
    y = one_hot(rng.integers(0, 10, 256), 10)
    history = cvae.fit((x, y), epochs=1, batch_size=64, verbose=0)
    print(cvae.sample(3, labels=[7, 7, 7]).shape)  # (3, 28, 28, 1)
    ```
    """

    def __init__(self, num_classes=10, **kwargs):
        if int(num_classes) != num_classes or num_classes < 2:
            raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
        self._num_classes = int(num_classes)  # read by _build_networks in VAE.__init__
        super().__init__(**kwargs)

    @property
    def num_classes(self):
        return self._num_classes

    def _build_networks(self, latent_dim, size, params_per_pixel):
        encoder = build_conditional_encoder(self.image_shape, self.num_classes, latent_dim,
                                            **size)
        decoder = build_conditional_decoder(self.image_shape, self.num_classes, latent_dim,
                                            params_per_pixel=params_per_pixel, **size)
        return encoder, decoder

    def call(self, inputs, training=None):
        images, labels = inputs
        mean, log_var = self.encoder([images, labels], training=training)  # q(z | x, y)
        z = self.sampling([mean, log_var])  # z = mean + std * eps
        params = self.decoder([z, labels], training=training)  # p(x | z, y)
        return {"mean": mean, "log_var": log_var, "z": z, "params": params}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # -log p(x | z, y) + KL(q(z | x, y) || p(z)): the VAE's two terms, computed
        # by VAE.compute_loss on the images alone, from the conditional outputs.
        images, _ = x
        return super().compute_loss(images, y, y_pred, sample_weight, training)

    def _check_input(self, x):
        if isinstance(x, (tuple, list)) and len(x) == 2:
            images, labels = x
            if isinstance(images, np.ndarray):
                images = check_images(images, self.image_shape, self.likelihood)
                labels = self._one_hot(labels, len(images))
            return (images, labels)
        if isinstance(x, np.ndarray) or keras.ops.is_tensor(x):
            raise ValueError("a ConditionalVAE takes x=(images, one_hot_labels), got images "
                             "alone: pass the labels too, e.g. fit((x, one_hot(y, 10)))")
        return x  # a dataset or generator: Keras checks what it yields

    def _one_hot(self, labels, n):
        """Integer labels `(n,)` or one-hot rows `(n, num_classes)`, as one-hot float32."""
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = np.full(n, labels)
        if labels.ndim == 1:
            labels = one_hot(labels, self.num_classes)
        if labels.shape != (n, self.num_classes):
            raise ValueError(f"expected {n} labels, as integers (n,) or one-hot rows "
                             f"(n, {self.num_classes}), got an array of shape {labels.shape}")
        return labels.astype("float32")

    # NumPy helpers: `labels` are integers (one per row, or one for all) or one-hot rows.

    def encode(self, x, labels, batch_size=1024):
        """The posterior `(mean, log_var)` of q(z | x, y) for images `x`, as NumPy."""
        x = check_images(x, self.image_shape, self.likelihood)
        y = self._one_hot(labels, len(x))
        parts = [self.encoder([x[i: i + batch_size], y[i: i + batch_size]], training=False)
                 for i in range(0, len(x), batch_size)]
        mean = np.concatenate([keras.ops.convert_to_numpy(m) for m, _ in parts])
        log_var = np.concatenate([keras.ops.convert_to_numpy(v) for _, v in parts])
        return mean, log_var

    def decode(self, z, labels, batch_size=1024):
        """Pixel probabilities (or means) of p(x | z, y) for codes `z`, as NumPy."""
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected latent codes of shape (n, {self.latent_dim}), "
                             f"got an array of shape {z.shape}")
        y = self._one_hot(labels, len(z))
        parts = [keras.ops.convert_to_numpy(self.decoder_mean(
            self.decoder([z[i: i + batch_size], y[i: i + batch_size]], training=False)))
            for i in range(0, len(z), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, *self.image_shape), "float32")

    def sample(self, n, labels, seed=None):
        """Decodes `n` draws of z ~ N(0, I), each with its label, into images (NumPy)."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim))
        return self.decode(z.astype("float32"), labels)

    def reconstruct(self, x, labels):
        """Decodes the posterior mean of each image with its own label."""
        mean, _ = self.encode(x, labels)
        return self.decode(mean, labels)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def model_inputs(model, images, labels):
    """What `model` takes as `x`: the images, or `(images, one_hot_labels)` for a ConditionalVAE."""
    if isinstance(model, ConditionalVAE):
        return (images, one_hot(labels, model.num_classes))
    return images
