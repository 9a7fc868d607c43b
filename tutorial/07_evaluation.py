"""Step 7: evaluating with the importance-weighted bound.

The ELBO is a lower bound on log p(x); averaging k importance weights inside
the log gives a tighter bound L_k that approaches log p(x) as k grows. This
script computes L_k for several k from scratch, and checks the largest
against the package's `vae_keras.evaluate.iwae_log_likelihood`.
"""

# --8<-- [start:setup]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 07_evaluation.py);
# otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

import math
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from vae_keras import VAE, bernoulli_nll, load_dataset
from vae_keras.evaluate import iwae_log_likelihood

data = load_dataset("mnist_subset")
out = Path("runs/tutorial")  # step 6 saved its model here; figures go here too
out.mkdir(parents=True, exist_ok=True)
print("backend:", keras.backend.backend())

# The 2-D model that step 6 saved; if step 6 has not run here, train the same
# model now (20 epochs, under a minute on a laptop CPU).
if (out / "vae_2d.keras").exists():
    vae = keras.models.load_model(out / "vae_2d.keras")
else:
    keras.utils.set_random_seed(0)
    vae = VAE(latent_dim=2, hidden_dim=512, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3))
    vae.fit(data.x_train, epochs=20, batch_size=128, verbose=0)
    vae.save(out / "vae_2d.keras")
# --8<-- [end:setup]

# --8<-- [start:iwae]
LOG_2PI = math.log(2 * math.pi)


def log_weights(vae, x, k, seed):
    """log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x).

    For k draws per image: (k, batch).
    """
    mean, log_var = vae.encoder(x)
    eps = keras.random.normal((k, *ops.shape(mean)), seed=seed)
    z = mean + ops.exp(0.5 * log_var) * eps                    # (k, batch, d)
    # all k * batch codes at once
    logits = vae.decoder(ops.reshape(z, (-1, vae.latent_dim)))
    log_px_z = -bernoulli_nll(ops.tile(x, (k, 1, 1, 1)), logits)
    log_pz = -0.5 * ops.sum(ops.square(z) + LOG_2PI, axis=-1)   # log N(z; 0, I)
    # log q(z|x), using (z - mu)/sigma = eps
    log_qz = -0.5 * ops.sum(ops.square(eps) + log_var + LOG_2PI, axis=-1)
    return ops.reshape(log_px_z, (k, -1)) + log_pz - log_qz


def iwae_bound(vae, x, k, seed=0):
    """L_k per image: log (1/k) sum_i w_i.

    Computed stably as logsumexp(log w) - log k.
    """
    return ops.logsumexp(log_weights(vae, x, k, seed), axis=0) - math.log(k)
# --8<-- [end:iwae]


# --8<-- [start:run]
# the first 500 of the 2,000 test images
x = ops.convert_to_tensor(data.x_test[:500])
ks = (1, 10, 100)
bounds = {}
for k in ks:
    # 100 images at a time keep k * 100 codes in memory
    per_image = np.concatenate([
        ops.convert_to_numpy(iwae_bound(vae, x[i: i + 100], k, seed=k))
        for i in range(0, len(x), 100)
    ])
    bounds[k] = per_image.mean()
    print(f"L_{k:<4} = {bounds[k]:8.2f} nats per image"
          + ("   (the ELBO)" if k == 1 else ""))
package = iwae_log_likelihood(vae, data.x_test[:500], k=100).mean()
print(f"vae_keras.evaluate.iwae_log_likelihood, k = 100: {package:.2f}")
assert bounds[100] > bounds[1], "the bound must tighten with k"
assert abs(package - bounds[100]) < 1.0, (package, bounds[100])
# --8<-- [end:run]

# --8<-- [start:figure]
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.semilogx(list(bounds), list(bounds.values()), "o-")
ax.set_xlabel("importance samples k")
ax.set_ylabel("$\\mathcal{L}_k$ (nats per image)")
ax.set_title(f"{len(x):,} test images, {vae.latent_dim}-D latent space")
fig.savefig(out / "07_iwae.png", dpi=100, bbox_inches="tight")
# --8<-- [end:figure]
