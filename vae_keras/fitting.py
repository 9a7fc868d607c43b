"""Per-backend settings for fast training with Keras (each measured in benchmarks/)."""


def compile_kwargs(backend=None):
    """Keyword arguments for `VAE.compile` that make `fit` fast on `backend`."""
    return {}
