"""Step 4: the encoder q(z | x) and the decoder p(x | z) as Keras models.

Builds both networks of the paper's MLP from Keras layers, shows their shapes,
then checks that they compute exactly what the package's `build_encoder` and
`build_decoder` compute once they share weights.
"""

# --8<-- [start:setup]
import os

# Keras reads the backend once, when it is imported. setdefault keeps a backend
# already set outside (KERAS_BACKEND=torch python 04_networks.py);
# otherwise JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")  # or "torch", "tensorflow"

import keras
import numpy as np
from keras import layers

from vae_keras import build_decoder, build_encoder, load_dataset

data = load_dataset("mnist_subset")
latent_dim, hidden_dim = 2, 512
print("backend:", keras.backend.backend())
# --8<-- [end:setup]

# --8<-- [start:encoder]
# q(z | x): image -> hidden layer -> two heads, the mean and the log-variance of
# a diagonal Gaussian. Predicting log sigma^2 (any real number) rather than
# sigma^2 (positive) lets the last layer stay linear.
image = keras.Input(shape=(28, 28, 1))
h = layers.Flatten()(image)                                   # 784 pixels
h = layers.Dense(hidden_dim, activation="relu")(h)
z_mean = layers.Dense(latent_dim)(h)
z_log_var = layers.Dense(latent_dim)(h)
encoder = keras.Model(image, [z_mean, z_log_var], name="encoder")
# --8<-- [end:encoder]

# --8<-- [start:decoder]
# p(x | z): code -> hidden layer -> one logit per pixel. The sigmoid of a logit
# is the pixel's Bernoulli probability; the loss takes the logits themselves.
z = keras.Input(shape=(latent_dim,))
h = layers.Dense(hidden_dim, activation="relu")(z)
logits = layers.Dense(28 * 28)(h)
logits = layers.Reshape((28, 28, 1))(logits)
decoder = keras.Model(z, logits, name="decoder")
# --8<-- [end:decoder]

# --8<-- [start:shapes]
x = data.x_test[:8]
mean, log_var = encoder(x)
out = decoder(mean)
print(f"x {tuple(x.shape)} -> mean {tuple(mean.shape)}, "
      f"log_var {tuple(log_var.shape)}"
      f" -> logits {tuple(out.shape)}")
print(f"parameters: encoder {encoder.count_params():,}, "
      f"decoder {decoder.count_params():,}")
# --8<-- [end:shapes]

# --8<-- [start:check]
package_encoder = build_encoder((28, 28, 1), latent_dim, hidden_dim=hidden_dim)
package_decoder = build_decoder((28, 28, 1), latent_dim, hidden_dim=hidden_dim)
encoder.set_weights(package_encoder.get_weights())
decoder.set_weights(package_decoder.get_weights())
for mine, theirs in zip(encoder(x), package_encoder(x)):
    np.testing.assert_allclose(keras.ops.convert_to_numpy(mine),
                               keras.ops.convert_to_numpy(theirs),
                               rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(keras.ops.convert_to_numpy(decoder(mean)),
                           keras.ops.convert_to_numpy(package_decoder(mean)),
                           rtol=1e-5, atol=1e-5)
print("same outputs as vae_keras.build_encoder / build_decoder "
      "with the same weights")
# --8<-- [end:check]
