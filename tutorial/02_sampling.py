"""Step 2: the sampling layer and the reparameterization trick.

Builds the layer that draws z = mean + sigma * eps, checks its statistics
against the package's `Sampling`, then compares the two gradient estimators
of the theory page (score function and pathwise) on a problem whose exact
gradient is known.
"""

# --8<-- [start:setup]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 02_sampling.py);
# otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from vae_keras import Sampling

out = Path("runs/tutorial")  # where the figures go
out.mkdir(parents=True, exist_ok=True)
print("backend:", keras.backend.backend())
# --8<-- [end:setup]


# --8<-- [start:layer]
class MySampling(keras.layers.Layer):
    """z = mean + exp(log_var / 2) * eps, eps ~ N(0, I).

    A differentiable draw.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        # The layer owns its random state, so a compiled JAX step can carry it.
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps
# --8<-- [end:layer]


# --8<-- [start:check]
n = 200_000
mean = np.full((n, 2), [1.0, -2.0], "float32")          # mu = (1, -2)
log_var = np.full((n, 2), np.log([4.0, 0.25]), "float32")  # sigma = (2, 0.5)
for layer in (MySampling(seed=0), Sampling(seed=0)):
    z = ops.convert_to_numpy(layer([mean, log_var]))
    print(f"{type(layer).__name__:>11}: sample mean {z.mean(0).round(2)}, "
          f"sample std {z.std(0).round(2)}  (exact: [1. -2.], [2. 0.5])")
    assert np.allclose(z.mean(0), [1.0, -2.0], atol=0.03)
    assert np.allclose(z.std(0), [2.0, 0.5], atol=0.03)
# --8<-- [end:check]


# --8<-- [start:estimators]
# Gradient of E_{z ~ N(mu, sigma^2)}[z^2] with respect to mu. The expectation is
# mu^2 + sigma^2, so the exact gradient is 2 * mu.
mu, sigma = 1.5, 1.0
eps = keras.random.normal((n,), seed=1)
z = mu + sigma * eps
f = ops.square(z)
score_function = f * (z - mu) / sigma**2  # f(z) * d/dmu log q(z)
pathwise = 2.0 * z                        # f'(z) * dz/dmu, with dz/dmu = 1
sf, pw = ops.convert_to_numpy(score_function), ops.convert_to_numpy(pathwise)
for name, g in (("score function", sf), ("pathwise", pw)):
    print(f"{name:>14}: mean {g.mean():.3f} (exact {2 * mu}), "
          f"std of one draw {g.std():.2f}")
# --8<-- [end:estimators]

# --8<-- [start:figure]
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
bins = np.linspace(-15, 25, 121)
ax.hist(sf, bins=bins, alpha=0.6, density=True,
        label=f"score function (std {sf.std():.1f})")
ax.hist(pw, bins=bins, alpha=0.6, density=True,
        label=f"pathwise (std {pw.std():.1f})")
ax.axvline(2 * mu, color="k", linestyle="--",
           label="exact gradient 2$\\mu$ = 3")
ax.set_xlabel("one-sample estimate of the gradient")
ax.set_yticks([])
ax.legend()
fig.savefig(out / "02_estimators.png", dpi=100, bbox_inches="tight")
# --8<-- [end:figure]
