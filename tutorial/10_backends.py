"""Step 10: switching backends and running on a GPU.

The backend is chosen once, before Keras is first imported, by the variable
KERAS_BACKEND (or the "backend" field of ~/.keras/keras.json). Everything else
in this tutorial, and in the package, is written with keras.ops and
keras.random only, so it runs unchanged on each. This script reports the
backend and the devices it sees, and times a few training steps.
"""

# --8<-- [start:choose]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 10_backends.py);
# otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

import keras

print("backend:", keras.backend.backend())
# --8<-- [end:choose]

# --8<-- [start:setup]
import time

from vae_keras import VAE, load_dataset
# --8<-- [end:setup]

# --8<-- [start:devices]
def devices():
    """The devices the active backend can compute on.

    This is the one backend-specific function.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax
        return [f"{d.platform}:{d.id}" for d in jax.devices()]
    if backend == "torch":
        import torch
        gpus = [f"cuda:{i} ({torch.cuda.get_device_name(i)})"
                for i in range(torch.cuda.device_count())]
        return gpus + ["cpu"]
    if backend == "tensorflow":
        import tensorflow as tf
        return [d.name for d in tf.config.list_logical_devices()]
    return ["?"]


print("devices:", ", ".join(devices()))
# --8<-- [end:devices]

# --8<-- [start:train]
data = load_dataset("mnist_subset")
x = data.x_train[:7936]  # whole batches: one compiled step shape
vae = VAE(latent_dim=2, hidden_dim=512, seed=0)
vae.compile(optimizer=keras.optimizers.Adam(1e-3))
# the first call compiles: not timed
vae.fit(x[:256], epochs=1, batch_size=128, verbose=0)
start = time.perf_counter()
history = vae.fit(x, epochs=1, batch_size=128, verbose=0)
seconds = time.perf_counter() - start
print(f"one epoch of {len(x)} images: {seconds:.2f} s "
      f"({len(x) / seconds:,.0f} images/s), "
      f"loss {history.history['loss'][-1]:.1f}")
# --8<-- [end:train]
