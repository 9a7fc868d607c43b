"""Step 3: the KL term.

KL(N(mean, diag(exp(log_var))) || N(0, I)) in closed form.

Writes the closed form derived on the theory page, checks it against the
package's `kl_divergence` and against a Monte-Carlo estimate of
E_q[log q(z) - log p(z)], then plots it for a one-dimensional z.
"""

# --8<-- [start:setup]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 03_kl_divergence.py);
# otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

import math
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from vae_keras import kl_divergence

out = Path("runs/tutorial")  # where the figures go
out.mkdir(parents=True, exist_ok=True)
print("backend:", keras.backend.backend())
# --8<-- [end:setup]


# --8<-- [start:kl]
def my_kl_divergence(mean, log_var):
    """-1/2 * sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2).

    One value per example.
    """
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var),
                          axis=-1)
# --8<-- [end:kl]


# --8<-- [start:check]
rng = np.random.default_rng(0)
# 4 examples, 3 latent dims
mean = ops.convert_to_tensor(rng.normal(size=(4, 3)), "float32")
log_var = ops.convert_to_tensor(rng.normal(size=(4, 3)), "float32")
closed_form = ops.convert_to_numpy(my_kl_divergence(mean, log_var))
package = ops.convert_to_numpy(kl_divergence(mean, log_var))


# Monte Carlo: average log q(z) - log p(z) over many z ~ q.
def log_normal(z, mean, log_var):
    return -0.5 * ops.sum(
        math.log(2 * math.pi) + log_var
        + ops.square(z - mean) / ops.exp(log_var),
        axis=-1
    )


k = 20_000
eps = keras.random.normal((k, 4, 3), seed=0)
z = mean + ops.exp(0.5 * log_var) * eps  # (k, 4, 3): k draws per example
log_q = log_normal(z, mean, log_var)
log_p = log_normal(z, ops.zeros_like(z), ops.zeros_like(z))
monte_carlo = ops.convert_to_numpy(ops.mean(log_q - log_p, axis=0))

print("closed form :", closed_form.round(3))
print("package     :", package.round(3))
print(f"Monte Carlo : {monte_carlo.round(3)}  ({k} draws each)")
assert np.allclose(closed_form, package, rtol=1e-5)
assert np.allclose(closed_form, monte_carlo, rtol=0.1, atol=0.1)
# --8<-- [end:check]

# --8<-- [start:figure]
# In one dimension: KL is 0 only at mu = 0, sigma = 1, and grows as mu^2 / 2.
mus = np.linspace(-3, 3, 121, dtype="float32")
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
for sigma in (0.25, 0.5, 1.0, 2.0):
    lv = ops.full((121, 1), 2 * math.log(sigma))
    kl = ops.convert_to_numpy(
        my_kl_divergence(ops.convert_to_tensor(mus[:, None]), lv))
    ax.plot(mus, kl, label=f"$\\sigma$ = {sigma}")
ax.set_xlabel("posterior mean $\\mu$")
ax.set_ylabel("KL (nats)")
ax.set_title("KL($\\mathcal{N}(\\mu, \\sigma^2)$ || $\\mathcal{N}(0, 1)$)")
ax.set_ylim(0, 5)
ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
fig.savefig(out / "03_kl.png", dpi=100, bbox_inches="tight")
# --8<-- [end:figure]
