"""Step 7: evaluating with the importance-weighted bound.

The ELBO is a lower bound on log p(x); averaging k importance weights inside
the log gives a tighter bound L_k that approaches log p(x) as k grows. This
script computes L_k for several k from scratch, and checks the largest
against the package's `vae_keras.evaluate.iwae_log_likelihood`.

Run: python tutorial/07_evaluation.py [--full --data-dir DIR] [--short]
"""

import math

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

import common
from vae_keras import bernoulli_nll
from vae_keras.evaluate import iwae_log_likelihood

args = common.parse_args(__doc__)
print("backend:", keras.backend.backend())
data = common.load_data(args)
vae = common.trained_vae(args, data)  # the 2-D model of step 6 (trained here if missing)

# --8<-- [start:iwae]
LOG_2PI = math.log(2 * math.pi)


def log_weights(vae, x, k, seed):
    """log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x) for k draws per image: (k, batch)."""
    mean, log_var = vae.encoder(x)
    eps = keras.random.normal((k, *ops.shape(mean)), seed=seed)
    z = mean + ops.exp(0.5 * log_var) * eps                    # (k, batch, d)
    logits = vae.decoder(ops.reshape(z, (-1, vae.latent_dim)))  # all k * batch codes at once
    log_px_z = -bernoulli_nll(ops.tile(x, (k, 1, 1, 1)), logits)
    log_pz = -0.5 * ops.sum(ops.square(z) + LOG_2PI, axis=-1)   # log N(z; 0, I)
    log_qz = -0.5 * ops.sum(ops.square(eps) + log_var + LOG_2PI, axis=-1)  # (z - mu)/sigma = eps
    return ops.reshape(log_px_z, (k, -1)) + log_pz - log_qz


def iwae_bound(vae, x, k, seed=0):
    """L_k per image: log (1/k) sum_i w_i, computed stably as logsumexp(log w) - log k."""
    return ops.logsumexp(log_weights(vae, x, k, seed), axis=0) - math.log(k)
# --8<-- [end:iwae]


# --8<-- [start:run]
x = ops.convert_to_tensor(data.x_test[: 100 if args.short else 500])
ks = (1, 10) if args.short else (1, 10, 100)
bounds = {}
for k in ks:
    per_image = np.concatenate([      # 100 images at a time keep k * 100 codes in memory
        ops.convert_to_numpy(iwae_bound(vae, x[i: i + 100], k, seed=k))
        for i in range(0, len(x), 100)
    ])
    bounds[k] = per_image.mean()
    print(f"L_{k:<4} = {bounds[k]:8.2f} nats per image" + ("   (the ELBO)" if k == 1 else ""))
package = iwae_log_likelihood(vae, data.x_test[: len(x)], k=ks[-1]).mean()
print(f"vae_keras.evaluate.iwae_log_likelihood, k = {ks[-1]}: {package:.2f}")
# --8<-- [end:run]
assert bounds[ks[-1]] > bounds[1], "the bound must tighten with k"
assert abs(package - bounds[ks[-1]]) < 2.0, (package, bounds[ks[-1]])

fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.semilogx(list(bounds), list(bounds.values()), "o-")
ax.set_xlabel("importance samples k")
ax.set_ylabel("$\\mathcal{L}_k$ (nats per image)")
ax.set_title(f"test images, {vae.latent_dim}-D latent space")
common.save(fig, args, "07_iwae.png")
