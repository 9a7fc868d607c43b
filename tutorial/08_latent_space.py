"""Step 8: exploring the latent space.

The manifold, the scatter of codes, interpolation.

Each figure is one batched call to `vae.decode` or `vae.encode`.
"""

# --8<-- [start:setup]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 08_latent_space.py);
# otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

from pathlib import Path
from statistics import NormalDist

import keras
import matplotlib.pyplot as plt
import numpy as np

from vae_keras import VAE, load_dataset

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

# --8<-- [start:manifold]
# A grid of codes at evenly spaced *probabilities* of the prior, mapped through
# the inverse normal CDF: each cell covers the same prior mass, so the picture
# is what sampling from p(z) would show, with no wasted empty margins.
n = 15
quantiles = np.linspace(0.05, 0.95, n)      # 5% ... 95% of the prior, per axis
# the codes at those quantiles: -1.64 ... 1.64
values = np.array([NormalDist().inv_cdf(q) for q in quantiles], "float32")
z1, z2 = np.meshgrid(values, values[::-1])  # z2 grows upwards, as on a plot
codes = np.stack([z1.ravel(), z2.ravel()], axis=1)  # (n * n, 2)
images = vae.decode(codes)[..., 0]          # one call decodes the whole grid
manifold = (images.reshape(n, n, 28, 28).transpose(0, 2, 1, 3)
            .reshape(n * 28, n * 28))
print(f"codes from {values[0]:.2f} to {values[-1]:.2f} on each axis: a square "
      f"holding {(quantiles[-1] - quantiles[0]) ** 2:.0%} of the prior's mass")
# --8<-- [end:manifold]

# --8<-- [start:manifold_figure]
fig, ax = plt.subplots(figsize=(6, 6), layout="constrained")
ax.imshow(manifold, cmap="gray_r")
centres = 28 * np.arange(n) + 14  # each cell's centre, in pixels
# ticks labelled with z1 (x axis) and z2 (y axis) of the cell
ax.set_xticks(centres[::2], [f"{v:.2f}" for v in values[::2]])
ax.set_yticks(centres[::2], [f"{v:.2f}" for v in values[::-1][::2]])
ax.set_xlabel("$z_1$")
ax.set_ylabel("$z_2$")
ax.set_title("decoded grid of the 2-D latent space")
fig.savefig(out / "08_manifold.png", dpi=100, bbox_inches="tight")
# --8<-- [end:manifold_figure]

# --8<-- [start:scatter]
mean, log_var = vae.encode(data.x_test)  # posterior means of every test image
fig, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
points = ax.scatter(mean[:, 0], mean[:, 1], c=data.y_test, cmap="tab10",
                    s=4, alpha=0.7)
fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
ax.set_xlabel("$\\mu_1$")
ax.set_ylabel("$\\mu_2$")
ax.set_title("posterior means of the test images")
fig.savefig(out / "08_scatter.png", dpi=100, bbox_inches="tight")
sigma = np.exp(0.5 * log_var)  # each image's posterior std
print(f"posterior means: average {mean.mean(0).round(2)}, "
      f"std {mean.std(0).round(2)}")
print(f"posterior std of one image: average {sigma.mean(0).round(3)}")
print(f"all codes together (variance of the means + average posterior "
      f"variance): variance {(mean.var(0) + (sigma ** 2).mean(0)).round(2)}; "
      f"the prior's is [1. 1.]")
# --8<-- [end:scatter]

# --8<-- [start:interpolation]
a, b = data.x_test[3], data.x_test[2]                   # a 0 and a 1
(za, zb), _ = vae.encode(np.stack([a, b]))
t = np.linspace(0, 1, 10, dtype="float32")[:, None]
# walk the straight line in z
in_latent = vae.decode((1 - t) * za + t * zb)[..., 0]
# cross-fade pixels
in_pixels = ((1 - t[:, :, None]) * a[..., 0] + t[:, :, None] * b[..., 0])

fig, axes = plt.subplots(2, 1, figsize=(10, 2.6), layout="constrained")
for ax, row, title in ((axes[0], in_latent,
                        "interpolating the codes, then decoding"),
                       (axes[1], in_pixels, "interpolating the pixels")):
    ax.imshow(np.hstack(row), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
fig.savefig(out / "08_interpolation.png", dpi=100, bbox_inches="tight")
# --8<-- [end:interpolation]
