"""The reparameterization trick as a Keras layer."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="vae_keras")
class Sampling(keras.layers.Layer):
    """Draws `z ~ N(mean, exp(log_var))` with the reparameterization trick.

    The noise `eps ~ N(0, I)` comes from `keras.random.normal` driven by a
    `keras.random.SeedGenerator` that the layer owns, so the layer works inside
    a compiled JAX step (the generator's state is threaded through it) and a
    given seed gives a reproducible stream on a given backend. The output
    `z = mean + exp(0.5 * log_var) * eps` is a differentiable function of
    `mean` and `log_var`, which is what lets gradients reach the encoder.

    The layer samples in training and in inference alike: the ELBO that
    `evaluate` reports is a Monte-Carlo estimate and needs a real draw. Use the
    mean itself (`VAE.reconstruct`) when you want a deterministic code.

    Args:
        seed: Optional integer seed for the noise.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        - `inputs`: a pair `(mean, log_var)` of tensors of the same shape
          `(batch_size, latent_dim)`.

        It returns a tensor `z` of that shape: one draw per row.

    Example:

    ```python
    import numpy as np
    from vae_keras import Sampling

    mean = np.zeros((4, 2), "float32")
    log_var = np.zeros((4, 2), "float32")
    z = Sampling(seed=0)([mean, log_var])
    print(tuple(z.shape))  # (4, 2)
    ```
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(
            ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator
        )
        return mean + ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config
