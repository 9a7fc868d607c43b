"""Step 6: training.

compile, fit, watch the two terms of the loss, save the model.

Trains the package's `VAE` with a 2-D latent space (so that step 8 can draw it)
and saves it as runs/tutorial/vae_2d.keras, where steps 7 to 9 pick it up.
"""

# --8<-- [start:setup]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 06_training.py);
# otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

from vae_keras import VAE, load_dataset

# or load_dataset("mnist", data_dir=...) and 10 epochs
data = load_dataset("mnist_subset")
epochs = 20
out = Path("runs/tutorial")  # where the figures and the model go
out.mkdir(parents=True, exist_ok=True)
print("backend:", keras.backend.backend())
# --8<-- [end:setup]

# --8<-- [start:fit]
# same initial weights and shuffling on every run
keras.utils.set_random_seed(0)
vae = VAE(latent_dim=2, hidden_dim=512, seed=0)
vae.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3))
report = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: print(
    f"epoch {epoch + 1:2d}: loss {logs['loss']:.1f} (reconstruction "
    f"{logs['reconstruction_loss']:.1f}, KL {logs['kl_loss']:.1f}), "
    f"test loss {logs['val_loss']:.1f}"
))
history = vae.fit(
    data.x_train,                          # no targets: x is its own target
    validation_data=(data.x_test,),
    epochs=epochs,
    batch_size=128,
    verbose=0,
    callbacks=[report],                    # one short line per epoch
)
# --8<-- [end:fit]

# --8<-- [start:evaluate]
metrics = vae.evaluate(data.x_test, batch_size=500, verbose=0, return_dict=True)
print(f"test: negative ELBO {metrics['loss']:.1f} nats = reconstruction "
      f"{metrics['reconstruction_loss']:.1f} + KL {metrics['kl_loss']:.1f}")
vae.save(out / "vae_2d.keras")  # steps 7 to 9 load this file
restored = keras.models.load_model(out / "vae_2d.keras")
np.testing.assert_allclose(restored.encode(data.x_test[:5])[0],
                           vae.encode(data.x_test[:5])[0],
                           rtol=1e-5, atol=1e-6)
print(f"saved and reloaded {out / 'vae_2d.keras'}")
# --8<-- [end:evaluate]

# --8<-- [start:curves]
h = history.history
fig, axes = plt.subplots(1, 3, figsize=(10, 3), layout="constrained")
for ax, key, title in zip(axes, ("loss", "reconstruction_loss", "kl_loss"),
                          ("negative ELBO", "reconstruction: -log p(x|z)",
                           "KL(q(z|x) || p(z))")):
    ax.plot(range(1, epochs + 1), h[key], "o-", label="train")
    ax.plot(range(1, epochs + 1), h["val_" + key], "o-", label="test")
    ax.set_title(title)
    ax.set_xlabel("epoch")
axes[0].set_ylabel("nats per image")
axes[0].legend()
fig.savefig(out / "06_learning_curves.png", dpi=100, bbox_inches="tight")
# --8<-- [end:curves]

# --8<-- [start:reconstructions]
x = data.x_test[:10]
fig, axes = plt.subplots(2, 1, figsize=(10, 2.6), layout="constrained")
for ax, images, title in ((axes[0], x, "test images"),
                          (axes[1], vae.reconstruct(x),
                           "reconstructions: decoded posterior means")):
    # 10 images in a row
    ax.imshow(np.hstack(images[..., 0]), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
fig.savefig(out / "06_reconstructions.png", dpi=100, bbox_inches="tight")
# --8<-- [end:reconstructions]
