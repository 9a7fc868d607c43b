"""Step 8: exploring the latent space: the manifold, the scatter of codes, interpolation.

Uses the 2-D model of step 6 (trained here if --output-dir has none). Each
figure is one batched call to `vae.decode` or `vae.encode`.

Run: python tutorial/08_latent_space.py [--full --data-dir DIR] [--short]
"""

from statistics import NormalDist

import keras
import matplotlib.pyplot as plt
import numpy as np

import common

args = common.parse_args(__doc__)
print("backend:", keras.backend.backend())
data = common.load_data(args)
vae = common.trained_vae(args, data)

# --8<-- [start:manifold]
# A grid of codes at evenly spaced *probabilities* of the prior, mapped through
# the inverse normal CDF: each cell covers the same prior mass, so the picture
# is what sampling from p(z) would show, with no wasted empty margins.
n = 15
quantiles = np.linspace(0.05, 0.95, n)
values = np.array([NormalDist().inv_cdf(q) for q in quantiles], "float32")  # -1.64 ... 1.64
z1, z2 = np.meshgrid(values, values[::-1])              # z2 grows upwards, as on a plot
codes = np.stack([z1.ravel(), z2.ravel()], axis=1)      # (n * n, 2)
images = vae.decode(codes)[..., 0]                      # one call decodes the whole grid
manifold = images.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
# --8<-- [end:manifold]
fig, ax = plt.subplots(figsize=(6, 6), layout="constrained")
ax.imshow(manifold, cmap="gray_r", extent=(values[0], values[-1], values[0], values[-1]))
ax.set_xlabel("$z_1$")
ax.set_ylabel("$z_2$")
ax.set_title("decoded grid of the 2-D latent space")
common.save(fig, args, "08_manifold.png")

# --8<-- [start:scatter]
mean, log_var = vae.encode(data.x_test)                 # posterior means of every test image
fig, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
points = ax.scatter(mean[:, 0], mean[:, 1], c=data.y_test, cmap="tab10", s=4, alpha=0.7)
fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
ax.set_xlabel("$\\mu_1$")
ax.set_ylabel("$\\mu_2$")
ax.set_title("posterior means of the test images")
common.save(fig, args, "08_scatter.png")
print(f"posterior means: average {mean.mean(0).round(2)}, std {mean.std(0).round(2)}; "
      f"average posterior std {np.exp(0.5 * log_var).mean(0).round(3)}")
# --8<-- [end:scatter]

# --8<-- [start:interpolation]
a, b = data.x_test[3], data.x_test[2]                   # a 0 and a 1
(za, zb), _ = vae.encode(np.stack([a, b]))
t = np.linspace(0, 1, 10, dtype="float32")[:, None]
in_latent = vae.decode((1 - t) * za + t * zb)[..., 0]   # walk the straight line in z
in_pixels = ((1 - t[:, :, None]) * a[..., 0] + t[:, :, None] * b[..., 0])  # cross-fade pixels
# --8<-- [end:interpolation]
fig, axes = plt.subplots(2, 1, figsize=(10, 2.6), layout="constrained")
for ax, row, title in ((axes[0], in_latent, "interpolating the codes, then decoding"),
                       (axes[1], in_pixels, "interpolating the pixels")):
    ax.imshow(np.hstack(row), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
common.save(fig, args, "08_interpolation.png")
