"""The variational autoencoder as a `keras.Model` that runs on JAX, PyTorch and TensorFlow."""

import math

import keras
from keras import ops

from vae_keras import losses
from vae_keras.layers import Sampling
from vae_keras.networks import build_decoder, build_encoder
from vae_keras.numpy_api import NumpyAPI

LIKELIHOODS = ("bernoulli", "gaussian")
# Floor on a learned decoder log-variance: without it the Gaussian likelihood
# on Frey Face can grow without bound by shrinking the variance of a few pixels.
MIN_DECODER_LOG_VAR = -7.0


@keras.saving.register_keras_serializable(package="vae_keras")
class VAE(NumpyAPI, keras.Model):
    """Variational autoencoder (Kingma & Welling, 2014) that trains on JAX, PyTorch and TensorFlow.

    The encoder maps an image to the mean and log-variance of a diagonal
    Gaussian q(z | x); a `Sampling` layer draws z from it with the
    reparameterization trick; the decoder maps z to the parameters of
    p(x | z). `compile` and `fit` work as for any Keras model: the loss, the
    negative ELBO, is written in `compute_loss`, the one override that Keras
    runs in `fit` and `evaluate` on every backend, so no labels are passed.
    `fit` and `evaluate` report `loss`, `reconstruction_loss` and `kl_loss`,
    each in nats per example.

    Args:
        image_shape: `(height, width, channels)` of the data.
        latent_dim: Size of z, any integer >= 1.
        hidden_dim: Width of the hidden dense layers.
        num_hidden_layers: Number of hidden dense layers in encoder and decoder.
        arch: `"mlp"` or `"conv"`.
        likelihood: `"bernoulli"` (binary cross-entropy on logits; MNIST-like
            data in [0, 1]) or `"gaussian"` (real log-density; e.g. Frey Face).
        decoder_std: For `"gaussian"`: a fixed standard deviation, or `None`
            to learn a per-pixel variance.
        beta: Weight of the KL term (1.0 is the ELBO; other values give a
            beta-VAE objective, and `loss` is then that objective).
        seed: Seed of the sampling noise.
        free_bits: Free bits (Kingma et al., 2016): a floor, in nats, on each
            latent unit's KL averaged over the batch; the objective's KL term
            is `sum_j max(free_bits, mean_batch KL_j)`, so a unit may carry up
            to `free_bits` nats at no cost. 0 (the default) is the ELBO.
        kl_warmup_steps: KL warm-up: the KL weight rises linearly from 0 to
            `beta` over this many training steps (0: `beta` from the start).
        binarize: Dynamic binarization: in training, each batch's grey
            pixels are replaced by a fresh Bernoulli draw (pixel = 1 with
            probability its grey level), inside the step, on every backend.
        **kwargs: Base `keras.Model` keyword arguments, such as `name`.

    Call arguments:
        - `inputs`: images of shape `(batch_size, height, width, channels)`.
        - `training`: Python boolean, passed to the encoder and decoder.

        It returns a dict of tensors `mean`, `log_var`, `z` and `params`
        (see `call`).

    Example:

    ```python
    import keras
    import numpy as np
    from vae_keras import VAE

    vae = VAE(latent_dim=2, hidden_dim=64, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = np.random.default_rng(0).random((256, 28, 28, 1), dtype="float32")
    history = vae.fit(x, epochs=1, batch_size=64, verbose=0)
    print(sorted(history.history))  # ['kl_loss', 'loss', 'reconstruction_loss']
    ```
    """

    def __init__(
        self,
        image_shape=(28, 28, 1),
        latent_dim=2,
        hidden_dim=512,
        num_hidden_layers=1,
        arch="mlp",
        likelihood="bernoulli",
        decoder_std=None,
        beta=1.0,
        seed=None,
        free_bits=0.0,
        kl_warmup_steps=0,
        binarize=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}"
            )
        if not (math.isfinite(beta) and beta >= 0):
            raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")
        if decoder_std is not None and not (
            math.isfinite(decoder_std) and decoder_std > 0
        ):
            raise ValueError(f"decoder_std must be > 0 or None, got {decoder_std!r}")
        self.image_shape = tuple(int(d) for d in image_shape)
        self.latent_dim = int(latent_dim)
        self.hidden_dim = int(hidden_dim)
        self.num_hidden_layers = int(num_hidden_layers)
        self.arch = arch
        self.likelihood = likelihood
        self.decoder_std = decoder_std
        self.beta = float(beta)
        self.seed = seed
        if not (math.isfinite(free_bits) and free_bits >= 0):
            raise ValueError(f"free_bits must be a finite number >= 0, got {free_bits!r}")
        if int(kl_warmup_steps) < 0:
            raise ValueError(f"kl_warmup_steps must be >= 0, got {kl_warmup_steps!r}")
        self.free_bits = float(free_bits)
        self.kl_warmup_steps = int(kl_warmup_steps)
        self.binarize = bool(binarize)
        learned_variance = likelihood == "gaussian" and decoder_std is None
        size = dict(hidden_dim=hidden_dim, num_hidden_layers=num_hidden_layers, arch=arch)
        self.encoder, self.decoder = self._build_networks(
            latent_dim, size, params_per_pixel=2 if learned_variance else 1)
        self.sampling = Sampling(seed=seed, name="sampling")
        # Assigned metrics are tracked by Keras, reset every epoch and reported
        # next to `loss` by fit() and evaluate().
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")
        if self.kl_warmup_steps:
            # Counted by the model itself: a non-trainable variable is threaded
            # through the compiled step on every backend (the optimizer's own
            # counter is not visible inside JAX's stateless loss).
            self.warmup_step = self.add_weight(
                shape=(), initializer="zeros", trainable=False, name="kl_warmup_step")
        if self.binarize:
            self.binarize_seed = keras.random.SeedGenerator(
                None if seed is None else seed + 1, name="binarize_seed")
        self.built = True

    def _build_networks(self, latent_dim, size, params_per_pixel):
        """The encoder q(z | x) and decoder p(x | z); `ConditionalVAE` overrides it."""
        encoder = build_encoder(self.image_shape, latent_dim, **size)
        decoder = build_decoder(self.image_shape, latent_dim,
                                params_per_pixel=params_per_pixel, **size)
        return encoder, decoder

    def call(self, inputs, training=None):
        """Encodes `inputs`, draws one z per image and decodes it.

        Args:
            inputs: Images of shape `(batch_size, height, width, channels)`;
                for the Bernoulli likelihood, values in [0, 1].
            training: Python boolean, passed to the encoder and decoder
                (`fit` sets it to `True`, `evaluate` and `predict` to `False`).
                The noise is drawn either way.

        Returns:
            A dict of four tensors, which `compute_loss` receives as `y_pred`:

            - `"mean"` and `"log_var"`, the parameters of q(z | x), each of
              shape `(batch_size, latent_dim)`;
            - `"z"`, one draw from it, of the same shape;
            - `"params"`, the decoder's raw output for that z, of shape
              `(batch_size, height, width, channels * k)`: logits
              (Bernoulli), or means before the sigmoid (Gaussian), followed
              on the channel axis by raw log-variances when the variance is
              learned (k = 2; otherwise k = 1);
            - `"x"`, only in training with `binarize=True`: the binary draw
              of the images that the encoder saw and the loss scores.

        Example:

        ```python
        import numpy as np
        from vae_keras import VAE

        vae = VAE(latent_dim=2, hidden_dim=64, seed=0)
        out = vae(np.zeros((3, 28, 28, 1), "float32"))
        print({k: tuple(v.shape) for k, v in out.items()})
        # {'mean': (3, 2), 'log_var': (3, 2), 'z': (3, 2), 'params': (3, 28, 28, 1)}
        ```
        """
        binarized = bool(training) and self.binarize
        if binarized:  # a fresh binary image per step; compute_loss scores the same draw
            noise = keras.random.uniform(ops.shape(inputs), seed=self.binarize_seed)
            inputs = ops.cast(noise < inputs, inputs.dtype)
        mean, log_var = self.encoder(inputs, training=training)
        z = self.sampling([mean, log_var])
        params = self.decoder(z, training=training)
        outputs = {"mean": mean, "log_var": log_var, "z": z, "params": params}
        if binarized:
            outputs["x"] = inputs
        return outputs

    def reconstruction_loss(self, x, params):
        """-log p(x | z) in nats per example, from the decoder's raw output."""
        if self.likelihood == "bernoulli":
            return losses.bernoulli_nll(x, params)
        mean, log_var = self._gaussian_params(params)
        return losses.gaussian_nll(x, mean, log_var)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The negative ELBO of the batch, in nats per example: what `fit` minimises.

        Keras calls this in `fit` and `evaluate` with the output of `call`; it
        also updates the `reconstruction_loss` and `kl_loss` metrics.

        Args:
            x: The input images.
            y: Unused (a VAE has no targets; `fit(x)` passes none).
            y_pred: The dict returned by `call` on `x`.
            sample_weight: Optional per-example weights, shape `(batch_size,)`.
            training: Whether Keras is training (unused).

        Returns:
            A scalar tensor, the batch average of
            `-log p(x | z) + beta * KL(q(z | x) || p(z))`, each term summed
            over its dimensions, plus any weight regularization losses.

        Example:

        ```python
        import keras
        import numpy as np
        from vae_keras import VAE

        vae = VAE(latent_dim=2, hidden_dim=64, seed=0)
        x = np.full((8, 28, 28, 1), 0.5, "float32")
        loss = vae.compute_loss(x, y_pred=vae(x))
        print(keras.ops.convert_to_numpy(loss) > 0)  # True
        ```
        """
        # The negative ELBO: E_q[-log p(x|z)] + KL(q(z|x) || p(z)), estimated
        # with the single z drawn in call(). Each term is summed over its
        # dimensions (pixels, latent units) and averaged over the batch only.
        if "x" in y_pred:  # dynamic binarization: the draw the encoder saw
            x = y_pred["x"]
        reconstruction = self.reconstruction_loss(x, y_pred["params"])
        kl_units = losses.kl_divergence_per_unit(y_pred["mean"], y_pred["log_var"])
        if sample_weight is not None:
            w = ops.cast(ops.reshape(sample_weight, (-1,)), kl_units.dtype)
        else:
            w = ops.ones_like(reconstruction)
        reconstruction_mean = ops.sum(reconstruction * w) / ops.sum(w)
        kl_unit_means = ops.sum(kl_units * w[:, None], axis=0) / ops.sum(w)
        kl_mean = ops.sum(kl_unit_means)
        # Keras weights its `loss` tracker by the batch size: so must these,
        # or with a short last batch `loss` != reconstruction + beta * KL.
        batch_size = ops.cast(ops.shape(reconstruction)[0], kl_mean.dtype)
        self.reconstruction_tracker.update_state(reconstruction_mean, sample_weight=batch_size)
        self.kl_tracker.update_state(kl_mean, sample_weight=batch_size)
        if self.free_bits:
            kl_term = ops.sum(ops.maximum(kl_unit_means, self.free_bits))
        else:
            kl_term = kl_mean
        loss = reconstruction_mean + self.kl_weight(training) * kl_term
        if self.losses:  # weight regularizers a user may add to the networks
            loss = loss + ops.sum(ops.stack(self.losses))
        return loss

    def kl_weight(self, training=False):
        """The KL weight now: `beta`, or during KL warm-up `beta * step / kl_warmup_steps`.

        Each training step advances the warm-up; evaluation uses the weight
        reached so far (0 for an untrained model with warm-up).
        """
        if not self.kl_warmup_steps:
            return self.beta
        step = ops.convert_to_tensor(self.warmup_step)
        if training:
            self.warmup_step.assign(step + 1.0)
        return self.beta * ops.minimum(1.0, step / float(self.kl_warmup_steps))

    def _gaussian_params(self, params):
        channels = self.image_shape[-1]
        mean = ops.sigmoid(params[..., :channels])
        if self.decoder_std is not None:
            log_var = ops.convert_to_tensor(2.0 * math.log(self.decoder_std), mean.dtype)
        else:
            raw = params[..., channels:]
            log_var = MIN_DECODER_LOG_VAR + ops.softplus(raw - MIN_DECODER_LOG_VAR)
        return mean, log_var

    def decoder_mean(self, params):
        """Pixel probabilities (Bernoulli) or means (Gaussian) from raw params."""
        if self.likelihood == "bernoulli":
            return ops.sigmoid(params)
        return self._gaussian_params(params)[0]

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_shape": list(self.image_shape),
            "latent_dim": self.latent_dim,
            "hidden_dim": self.hidden_dim,
            "num_hidden_layers": self.num_hidden_layers,
            "arch": self.arch,
            "likelihood": self.likelihood,
            "decoder_std": self.decoder_std,
            "beta": self.beta,
            "seed": self.seed,
            "free_bits": self.free_bits,
            "kl_warmup_steps": self.kl_warmup_steps,
            "binarize": self.binarize,
        }

