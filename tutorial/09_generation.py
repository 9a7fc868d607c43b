"""Step 9: generating new digits. Decode codes drawn from the prior p(z) = N(0, I).

Uses the 2-D model of step 6 (trained here if --output-dir has none). Shows the
decoder's mean (what figures usually show) next to actual draws from the
Bernoulli distribution p(x | z), to make the point of "blurry samples".

Run: python tutorial/09_generation.py [--full --data-dir DIR] [--short]
"""

import keras
import matplotlib.pyplot as plt
import numpy as np

import common

args = common.parse_args(__doc__)
print("backend:", keras.backend.backend())
data = common.load_data(args)
vae = common.trained_vae(args, data)

# --8<-- [start:sample]
rng = np.random.default_rng(0)
z = rng.standard_normal((16, vae.latent_dim)).astype("float32")   # z ~ p(z) = N(0, I)
probabilities = vae.decode(z)          # the mean of p(x | z): one probability per pixel
assert np.allclose(probabilities, vae.sample(16, seed=0))  # what vae.sample does
draws = (rng.random(probabilities.shape) < probabilities).astype("float32")  # x ~ p(x | z)
# --8<-- [end:sample]

# --8<-- [start:figure]
fig, axes = plt.subplots(2, 1, figsize=(10, 2.8), layout="constrained")
rows = ((probabilities, "16 new digits: the decoder's mean, p(x = 1 | z) per pixel"),
        (draws, "a draw x ~ p(x | z) for each: independent pixels give salt-and-pepper noise"))
for ax, (images, title) in zip(axes, rows):
    ax.imshow(np.hstack(images[..., 0]), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
common.save(fig, args, "09_samples.png")
# --8<-- [end:figure]
print(f"mean pixel value: test images {data.x_test.mean():.3f}, "
      f"generated means {probabilities.mean():.3f}, Bernoulli draws {draws.mean():.3f}")
