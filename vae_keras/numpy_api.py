"""The VAE's NumPy face: checked inputs for `fit`, `evaluate` and `predict`,
and `encode`, `decode`, `sample` and `reconstruct` for figures, notebooks and
evaluation (NumPy in, NumPy out)."""

import numpy as np
from keras import ops


class NumpyAPI:
    """Mixed into `VAE` before `keras.Model`; uses its encoder, decoder and shapes."""

    # fit, evaluate and predict check arrays of images first: a wrong shape or
    # range gets a ValueError naming the expected one, not an error from deep
    # inside a backend (or, for the range, no error at all).

    def fit(self, x=None, y=None, *args, validation_data=None, **kwargs):
        x = self._check_input(x)
        if isinstance(validation_data, (tuple, list)) and len(validation_data):
            validation_data = (self._check_input(validation_data[0]), *validation_data[1:])
        return super().fit(x, y, *args, validation_data=validation_data, **kwargs)

    def evaluate(self, x=None, *args, **kwargs):
        return super().evaluate(self._check_input(x), *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        return super().predict(self._check_input(x), *args, **kwargs)

    def _check_input(self, x):
        if isinstance(x, np.ndarray):
            return check_images(x, self.image_shape, self.likelihood)
        if ops.is_tensor(x):
            check_images(ops.convert_to_numpy(x), self.image_shape, self.likelihood)
        return x  # a dataset or generator: Keras checks what it yields


    def encode(self, x, batch_size=1024):
        """Returns the posterior `(mean, log_var)` of images `x` as NumPy arrays."""
        x = check_images(x, self.image_shape, self.likelihood)
        parts = [self.encoder(x[i : i + batch_size], training=False)
                 for i in range(0, len(x), batch_size)]
        mean = np.concatenate([ops.convert_to_numpy(m) for m, _ in parts])
        log_var = np.concatenate([ops.convert_to_numpy(v) for _, v in parts])
        return mean, log_var

    def decode(self, z, batch_size=1024):
        """Returns pixel probabilities (or means) for latent codes `z`, as NumPy."""
        z = np.asarray(z, dtype="float32")
        if z.shape[-1:] != (self.latent_dim,):
            raise ValueError(
                f"expected latent codes of shape (n, {self.latent_dim}), "
                f"got an array of shape {z.shape}"
            )
        z = z.reshape(-1, self.latent_dim)
        parts = [
            ops.convert_to_numpy(self.decoder_mean(self.decoder(z[i : i + batch_size], training=False)))
            for i in range(0, len(z), batch_size)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, *self.image_shape), "float32")

    def sample(self, n, seed=None):
        """Decodes `n` draws of z ~ N(0, I) into images (NumPy)."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim))
        return self.decode(z.astype("float32"))

    def reconstruct(self, x):
        """Decodes the posterior mean of each image: a deterministic reconstruction."""
        mean, _ = self.encode(x)
        return self.decode(mean)


def check_images(x, image_shape, likelihood="bernoulli"):
    """Returns `x` as float32 after checking its shape (and range for Bernoulli).

    Raises:
        ValueError: naming the expected shape or range, if `x` does not fit.
    """
    x = np.asarray(x, dtype="float32")
    if x.ndim == len(image_shape) and x.shape == tuple(image_shape):
        x = x[None]
    if x.shape[1:] != tuple(image_shape):
        raise ValueError(
            f"expected images of shape (n, {', '.join(map(str, image_shape))}), "
            f"got an array of shape {x.shape}"
        )
    if likelihood == "bernoulli" and x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(
            "expected pixel values in [0, 1] for the Bernoulli likelihood, got "
            f"values in [{x.min():g}, {x.max():g}]: divide uint8 images by 255"
        )
    return x
