"""Step 11: the conditional VAE. Encoder and decoder also see the label y.

Trains the package's `ConditionalVAE` with the settings of step 6 (2-D latent
space, 512 hidden units, 20 epochs on the bundled subset), draws every digit in
the same styles, transfers a test digit's style to every label, and compares
its test bound on log p(x | y) with the step-6 VAE's bound on log p(x).
"""

# --8<-- [start:setup]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 11_conditional.py);
# otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

from vae_keras import VAE, ConditionalVAE, load_dataset
from vae_keras.conditional import one_hot
from vae_keras.evaluate import test_metrics
from vae_keras.losses import bernoulli_nll, kl_divergence

data = load_dataset("mnist_subset")
epochs = 20  # as in step 6, so that the two models can be compared
out = Path("runs/tutorial")  # step 6 saved its model here; figures go here too
out.mkdir(parents=True, exist_ok=True)
print("backend:", keras.backend.backend())
# --8<-- [end:setup]

# --8<-- [start:labels]
# digit 3 -> [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
y_train = one_hot(data.y_train, 10)
y_test = one_hot(data.y_test, 10)
print("labels", data.y_train[:5], "-> one-hot rows of shape", y_train.shape)
# --8<-- [end:labels]

# --8<-- [start:model]
keras.utils.set_random_seed(0)
cvae = ConditionalVAE(num_classes=10, latent_dim=2, hidden_dim=512, seed=0)
print("encoder q(z | x, y) takes",
      [tuple(i.shape) for i in cvae.encoder.inputs])
print("decoder p(x | z, y) takes",
      [tuple(i.shape) for i in cvae.decoder.inputs])
# --8<-- [end:model]

# --8<-- [start:elbo]
x = keras.ops.convert_to_tensor(data.x_train[:256])
y = keras.ops.convert_to_tensor(y_train[:256])
mean, log_var = cvae.encoder([x, y])             # q(z | x, y)
eps = keras.random.normal(keras.ops.shape(mean), seed=0)
z = mean + keras.ops.exp(0.5 * log_var) * eps   # one draw z ~ q(z | x, y)
logits = cvae.decoder([z, y])                    # p(x | z, y), as logits
reconstruction = bernoulli_nll(x, logits)        # -log p(x | z, y), per image
# KL(q(z | x, y) || p(z)), per image
kl = kl_divergence(mean, log_var)
neg_elbo = keras.ops.mean(reconstruction + kl)   # the loss: -ELBO, batch mean
numbers = keras.ops.convert_to_numpy(  # to NumPy, to print them
    keras.ops.stack([neg_elbo, keras.ops.mean(reconstruction),
                     keras.ops.mean(kl)]))
print("-ELBO by hand {:.1f} nats (reconstruction {:.1f} + KL {:.2f})".format(
    *numbers))
# The model's own loss: the same terms, with its own draw of z.
loss = cvae.compute_loss((x, y), None, cvae((x, y)))
print(f"-ELBO by the model {keras.ops.convert_to_numpy(loss):.1f} nats")
# --8<-- [end:elbo]

# --8<-- [start:fit]
cvae.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3))
report = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: print(
    f"epoch {epoch + 1:2d}: loss {logs['loss']:.1f} (reconstruction "
    f"{logs['reconstruction_loss']:.1f}, KL {logs['kl_loss']:.1f}), "
    f"test loss {logs['val_loss']:.1f}") if (epoch + 1) % 5 == 0 else None)
cvae.fit(
    (data.x_train, y_train),          # x is a pair: the images and their labels
    validation_data=((data.x_test, y_test),),
    epochs=epochs, batch_size=128, verbose=0, callbacks=[report],
)
cvae.save(out / "cvae_2d.keras")
# --8<-- [end:fit]

# --8<-- [start:grid]
rng = np.random.default_rng(0)
styles = rng.standard_normal((10, 2)).astype("float32")  # 10 codes z ~ N(0, I)
z = np.tile(styles, (10, 1))                  # row c: the 10 style codes ...
labels = np.repeat(np.arange(10), 10)         # ... each with label c
images = cvae.decode(z, labels).reshape(10, 10, 28, 28)  # one batched call
fig, ax = plt.subplots(figsize=(6, 6.3), layout="constrained")
ax.imshow(images.transpose(0, 2, 1, 3).reshape(280, 280), cmap="gray_r",
          vmin=0, vmax=1)
ax.set_yticks(np.arange(10) * 28 + 14, [f"y = {c}" for c in range(10)])
ax.set_xticks(np.arange(10) * 28 + 14, [f"z{j}" for j in range(10)])
ax.set_title("each row one label y, each column one style code z ~ N(0, I)")
fig.savefig(out / "11_class_by_style.png", dpi=100, bbox_inches="tight")
# --8<-- [end:grid]

# --8<-- [start:transfer]
# one test image per digit
first = [int(np.flatnonzero(data.y_test == c)[0]) for c in range(10)]
x, y = data.x_test[first], data.y_test[first]
style, _ = cvae.encode(x, y)  # E[z | x, y]: encoded with the true label
transferred = cvae.decode(np.repeat(style, 10, axis=0),
                          np.tile(np.arange(10), 10))
rows = np.concatenate([x[:, None, ..., 0],
                       transferred.reshape(10, 10, 28, 28)], axis=1)
fig, ax = plt.subplots(figsize=(6.6, 6.3), layout="constrained")
ax.imshow(rows.transpose(0, 2, 1, 3).reshape(280, 308), cmap="gray_r",
          vmin=0, vmax=1)
ax.axvline(27.5, color="tab:red", linewidth=2)
ax.set_xticks(np.arange(11) * 28 + 14,
              ["input"] + [f"y = {c}" for c in range(10)])
ax.set_yticks([])
ax.set_title("left: a test digit; "
             "right: its code E[z | x, y] decoded with every label")
fig.savefig(out / "11_style_transfer.png", dpi=100, bbox_inches="tight")
# --8<-- [end:transfer]

# --8<-- [start:compare]
# The VAE of step 6 (same data, size and epochs), trained here if step 6 has
# not run.
if (out / "vae_2d.keras").exists():
    vae = keras.models.load_model(out / "vae_2d.keras")
else:
    keras.utils.set_random_seed(0)
    vae = VAE(latent_dim=2, hidden_dim=512, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3))
    vae.fit(data.x_train, epochs=epochs, batch_size=128, verbose=0)
    vae.save(out / "vae_2d.keras")
# Test ELBO (5 draws of z per image) and IWAE bound (k = 20) of step 7.
plain = test_metrics(vae, data.x_test, k=20, elbo_draws=5)  # log p(x)
given = test_metrics(cvae, data.x_test, k=20, elbo_draws=5,
                     labels=y_test)                         # log p(x|y)
print(f"{'test, nats per image':22s} {'-ELBO':>7s} {'reconstr.':>9s} "
      f"{'KL':>5s} {'-L_20':>8s}")
for name, m in (("VAE: -log p(x)", plain), ("CVAE: -log p(x | y)", given)):
    print(f"{name:22s} {m['neg_elbo']:7.1f} {m['reconstruction_loss']:9.1f} "
          f"{m['kl_loss']:5.1f} {m['neg_iwae_bound']:8.1f}")
print(f"difference of the IWAE bounds: "
      f"{plain['neg_iwae_bound'] - given['neg_iwae_bound']:.1f} nats; "
      f"log 10 = {np.log(10):.2f}")
# --8<-- [end:compare]

# --8<-- [start:scatter]
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), layout="constrained")
codes = {"VAE: E[z | x]": vae.encode(data.x_test)[0],
         "conditional VAE: E[z | x, y]":
             cvae.encode(data.x_test, data.y_test)[0]}
for ax, (title, mean) in zip(axes, codes.items()):
    points = ax.scatter(mean[:, 0], mean[:, 1], c=data.y_test, cmap="tab10",
                        s=3)
    ax.set_title(f"{title} of 2,000 test digits")
    ax.set_xlabel("z[0]")
axes[0].set_ylabel("z[1]")
fig.colorbar(points, ax=axes, label="digit", ticks=range(10))
fig.savefig(out / "11_scatter.png", dpi=100, bbox_inches="tight")
# --8<-- [end:scatter]
