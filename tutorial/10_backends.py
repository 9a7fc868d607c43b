"""Step 10: switching backends and running on a GPU.

The backend is chosen once, before Keras is first imported, by the variable
KERAS_BACKEND (or the "backend" field of ~/.keras/keras.json). Everything else
in this tutorial, and in the package, is written with keras.ops and
keras.random only, so it runs unchanged on each. This script reports the
backend and the devices it sees, and times a few training steps.

Run: KERAS_BACKEND=torch python tutorial/10_backends.py [--short]
"""

# --8<-- [start:choose]
import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # must happen before `import keras`

import keras  # noqa: E402

print("backend:", keras.backend.backend())
# --8<-- [end:choose]

import time  # noqa: E402

import common  # noqa: E402
from vae_keras import VAE  # noqa: E402

args = common.parse_args(__doc__)


# --8<-- [start:devices]
def devices():
    """The devices the active backend can compute on (the one backend-specific function)."""
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
data = common.load_data(args)
x = data.x_train[: 1920 if args.short else 7936]  # whole batches: one compiled step shape
vae = VAE(latent_dim=2, hidden_dim=512, seed=0)
vae.compile(optimizer=keras.optimizers.Adam(1e-3))
vae.fit(x[:256], epochs=1, batch_size=128, verbose=0)  # first call compiles: not timed
start = time.perf_counter()
history = vae.fit(x, epochs=1, batch_size=128, verbose=0)
seconds = time.perf_counter() - start
print(f"one epoch of {len(x)} images: {seconds:.2f} s ({len(x) / seconds:,.0f} images/s), "
      f"loss {history.history['loss'][-1]:.1f}")
# --8<-- [end:train]
