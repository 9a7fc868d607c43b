"""Step 9: generating new digits.

Decode codes drawn from the prior p(z) = N(0, I).

Shows the decoder's mean (what figures usually show) next to actual draws from
the Bernoulli distribution p(x | z), to make the point of "blurry samples".
"""

# --8<-- [start:setup]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 09_generation.py);
# otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

from pathlib import Path

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

# --8<-- [start:sample]
rng = np.random.default_rng(0)
# z ~ p(z) = N(0, I)
z = rng.standard_normal((16, vae.latent_dim)).astype("float32")
# the mean of p(x | z): one probability per pixel
probabilities = vae.decode(z)
# this is what vae.sample does
assert np.allclose(probabilities, vae.sample(16, seed=0))
# x ~ p(x | z)
draws = (rng.random(probabilities.shape) < probabilities).astype("float32")
# --8<-- [end:sample]

# --8<-- [start:figure]
fig, axes = plt.subplots(2, 1, figsize=(10, 2.8), layout="constrained")
rows = ((probabilities,
         "16 new digits: the decoder's mean, p(x = 1 | z) per pixel"),
        (draws, "a draw x ~ p(x | z) for each: "
                "independent pixels give salt-and-pepper noise"))
for ax, (images, title) in zip(axes, rows):
    ax.imshow(np.hstack(images[..., 0]), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
fig.savefig(out / "09_samples.png", dpi=100, bbox_inches="tight")
print(f"mean pixel value: test images {data.x_test.mean():.3f}, "
      f"generated means {probabilities.mean():.3f}, "
      f"Bernoulli draws {draws.mean():.3f}")
# --8<-- [end:figure]
