"""Loading a saved `VAE` or `ConditionalVAE` safely."""

import keras

from vae_keras.conditional import ConditionalVAE  # noqa: F401  (registers it, a VAE)
from vae_keras.models import VAE


def load_vae(path):
    """Loads a `VAE` saved with `save`, with Keras's safe mode on.

    Safe mode refuses to deserialize Python code (a `Lambda` layer, a lambda
    loss) and any class that is neither Keras's nor registered: a `.keras` file
    from elsewhere can carry weights, never code to run.

    Raises:
        ValueError: with a one-line reason, if the file cannot be loaded
            safely or does not hold a `VAE`.
    """
    try:
        model = keras.models.load_model(path, safe_mode=True)
    except Exception as e:
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        reason = reason.split(" Full object config:")[0]  # Keras appends the whole config
        raise ValueError(f"cannot load {path} safely: {reason}") from e
    if not isinstance(model, VAE):
        raise ValueError(f"{path} holds a {type(model).__name__}, not a vae_keras VAE")
    return model
