"""Step 1: loading the data.

MNIST as float32 images in [0, 1], shape (n, 28, 28, 1).
"""

# --8<-- [start:setup]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 01_data.py); otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

out = Path("runs/tutorial")  # where figures (and, from step 6, the model) go
out.mkdir(parents=True, exist_ok=True)
print("backend:", keras.backend.backend())
# --8<-- [end:setup]

# --8<-- [start:load]
from vae_keras import load_dataset

# 8,000 train + 2,000 test real digits, offline
data = load_dataset("mnist_subset")
# the full 60,000 + 10,000:
# data = load_dataset("mnist", data_dir="path/to/mnist")
# --8<-- [end:load]

# --8<-- [start:inspect]
x = data.x_train
print(f"train images: {x.shape} {x.dtype}, test images: {data.x_test.shape}")
print(f"pixel values in [{x.min():.1f}, {x.max():.1f}], mean {x.mean():.3f}")
near_binary = np.mean((x < 0.05) | (x > 0.95))
print(f"{near_binary:.1%} of pixels are within 0.05 of 0 or 1; "
      "the rest are grey")
print("digits per class:", np.bincount(data.y_train, minlength=10).tolist())
# --8<-- [end:inspect]

# --8<-- [start:figure]
fig, (left, right) = plt.subplots(
    1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [2, 1]},
    layout="constrained"
)
# 32 digits tiled 4 x 8:
# (4, 8, 28, 28) -> (4, 28, 8, 28) -> one (112, 224) image
tiles = (x[:32, :, :, 0].reshape(4, 8, 28, 28).transpose(0, 2, 1, 3)
         .reshape(4 * 28, 8 * 28))
left.imshow(tiles, cmap="gray_r")
left.set_title("the first 32 training digits")
left.axis("off")
right.hist(x.ravel(), bins=50, log=True)
right.set_title("pixel values (log count)")
right.set_xlabel("grey level")
fig.savefig(out / "01_data.png", dpi=100, bbox_inches="tight")
# --8<-- [end:figure]
