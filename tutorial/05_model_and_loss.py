"""Step 5: the VAE model and its loss, the negative ELBO.

Writes the Bernoulli and Gaussian reconstruction terms, checks them against the
package, assembles a complete VAE as a `keras.Model` whose only override
besides `call` is `compute_loss` (which is what makes one model train on every
backend), and shows why the loss is summed (not averaged) over pixels.
"""

# --8<-- [start:setup]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 05_model_and_loss.py);
# otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

import math

import keras
import numpy as np
from keras import ops

from vae_keras import (
    VAE, Sampling, bernoulli_nll, build_decoder, build_encoder, gaussian_nll,
    kl_divergence, load_dataset,
)

data = load_dataset("mnist_subset")
x = ops.convert_to_tensor(data.x_test[:256])  # a batch of 256 test images
print("backend:", keras.backend.backend())
# --8<-- [end:setup]


# --8<-- [start:bernoulli]
def my_bernoulli_nll(x, logits):
    """-sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)], p_i = sigmoid(logit_i)."""
    # One row of 784 pixels per image.
    x = ops.reshape(x, (ops.shape(x)[0], -1))
    logits = ops.reshape(logits, (ops.shape(logits)[0], -1))
    # Stable form of the same value: max(l, 0) - l * x + log(1 + exp(-|l|)).
    per_pixel = (ops.relu(logits) - logits * x
                 + ops.log1p(ops.exp(-ops.abs(logits))))
    return ops.sum(per_pixel, axis=-1)  # sum over pixels, not mean
# --8<-- [end:bernoulli]


# --8<-- [start:gaussian]
def my_gaussian_nll(x, mean, sigma):
    """-log N(x; mean, sigma^2 I)
    = ||x - mean||^2 / (2 sigma^2) + D/2 log(2 pi sigma^2)."""
    d = math.prod(x.shape[1:])  # D, the number of pixels
    x, mean = (ops.reshape(x, (ops.shape(x)[0], -1)),
               ops.reshape(mean, (ops.shape(x)[0], -1)))
    squared_error = ops.sum(ops.square(x - mean), axis=-1)
    return (squared_error / (2 * sigma**2)
            + 0.5 * d * math.log(2 * math.pi * sigma**2))
# --8<-- [end:gaussian]


# --8<-- [start:check_terms]
logits = keras.random.normal(ops.shape(x), stddev=2.0, seed=0)
p = ops.sigmoid(logits)
textbook = -ops.sum(
    ops.reshape(x * ops.log(p) + (1 - x) * ops.log(1 - p), (256, -1)), -1)
for name, value in (("stable form", my_bernoulli_nll(x, logits)),
                    ("package", bernoulli_nll(x, logits))):
    np.testing.assert_allclose(ops.convert_to_numpy(value),
                               ops.convert_to_numpy(textbook),
                               rtol=1e-3)  # float32 rounding in log(1 - p)
print(f"Bernoulli, random logits: -log p(x|z) = "
      f"{float(ops.mean(textbook)):.1f} nats per image, the same three ways")

sigma = 0.1
mine = my_gaussian_nll(x, p, sigma)
# the package takes log sigma^2
package = gaussian_nll(x, p, 2 * math.log(sigma))
np.testing.assert_allclose(ops.convert_to_numpy(mine),
                           ops.convert_to_numpy(package), rtol=1e-4)
print(f"Gaussian, sigma = {sigma}, the same predictions: -log p(x|z) = "
      f"{float(ops.mean(mine)):.1f} nats per image, the same two ways")
# --8<-- [end:check_terms]


# --8<-- [start:elbo]
def negative_elbo(x, outputs):
    """E_q[-log p(x|z)] + KL(q(z|x) || p(z)) estimated with one z per image,
    each term summed over its dimensions, then averaged over the batch."""
    reconstruction = my_bernoulli_nll(x, outputs["params"])   # (batch,)
    # KL per image, (batch,): the closed form of step 3
    kl = -0.5 * ops.sum(1.0 + outputs["log_var"] - ops.square(outputs["mean"])
                        - ops.exp(outputs["log_var"]), axis=-1)
    return ops.mean(reconstruction + kl)
# --8<-- [end:elbo]


# --8<-- [start:model]
class MyVAE(keras.Model):
    """A complete VAE: encoder, sampling layer, decoder, negative ELBO."""

    def __init__(self, latent_dim=2, hidden_dim=512, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = build_encoder((28, 28, 1), latent_dim, hidden_dim)
        self.decoder = build_decoder((28, 28, 1), latent_dim, hidden_dim)
        self.sampling = Sampling(seed=seed)

    def call(self, x):
        mean, log_var = self.encoder(x)
        z = self.sampling([mean, log_var])  # the reparameterization trick
        return {"mean": mean, "log_var": log_var, "params": self.decoder(z)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        # Keras calls this in fit() and evaluate() on every backend; there is no
        # target y, the input x is its own target.
        return negative_elbo(x, y_pred)
# --8<-- [end:model]


# --8<-- [start:train]
keras.utils.set_random_seed(0)  # the same initial weights on every run
model = MyVAE(seed=0)
model.compile(optimizer=keras.optimizers.Adam(1e-3))
before = float(model.evaluate(data.x_test, batch_size=500, verbose=0))
model.fit(data.x_train, epochs=5, batch_size=128, verbose=0)
after = float(model.evaluate(data.x_test, batch_size=500, verbose=0))
print(f"MyVAE negative ELBO on test images: {before:.1f} -> {after:.1f} nats "
      "after 5 epochs")
# --8<-- [end:train]

# --8<-- [start:package]
vae = VAE(latent_dim=2, hidden_dim=512, seed=0)   # the package's model
outputs = vae(x)
mine = ops.convert_to_numpy(negative_elbo(x, outputs))
theirs = ops.convert_to_numpy(vae.compute_loss(x, y_pred=outputs))
np.testing.assert_allclose(mine, theirs, rtol=1e-5)
print("negative_elbo agrees with vae_keras.VAE.compute_loss")
# --8<-- [end:package]

# --8<-- [start:sum_vs_mean]
# What does the code z buy? Compare with the best decoder that ignores z: it
# predicts the same image for everyone, the average training image.
outputs = model(data.x_test)  # MyVAE after its 5 epochs of training
reconstruction = float(ops.mean(bernoulli_nll(data.x_test, outputs["params"])))
kl = float(ops.mean(kl_divergence(outputs["mean"], outputs["log_var"])))
p_mean = np.clip(data.x_train.mean(axis=0), 1e-4, 1 - 1e-4)
constant_logits = np.broadcast_to(np.log(p_mean / (1 - p_mean)),
                                  data.x_test.shape)
no_code = float(ops.mean(bernoulli_nll(data.x_test, constant_logits)))
per_nat = (no_code - reconstruction) / kl
print(f"without a code: reconstruction {no_code:.1f} nats per image")
print(f"with the code:  reconstruction {reconstruction:.1f} + KL {kl:.1f} nats")
print(f"each nat of KL buys {per_nat:.1f} nats of reconstruction "
      f"summed over pixels, {per_nat / 784:.3f} averaged over them")
# --8<-- [end:sum_vs_mean]
