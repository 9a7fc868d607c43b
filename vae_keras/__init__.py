"""vae-keras: the variational autoencoder in Keras 3, on JAX, PyTorch and TensorFlow.

The public names are imported on first use, so that `python -m vae_keras.train`
can check its options (and `KERAS_BACKEND`) before Keras is loaded.

`import vae_keras` is enough for `keras.saving.load_model("model.keras")`:
the package's Keras classes are registered as soon as Keras is imported,
before or after this package (see `_register_with_keras`).
"""

import importlib
import importlib.util
import sys

__version__ = "0.1.0"

# Public name -> the module that defines it. docs/reference/api.md renders
# exactly these (tests/test_api_docs.py checks it). The modules of the
# capitalised names (the classes) are imported once Keras is, which registers
# their Keras classes for loading.
_EXPORTS = {
    "VAE": "vae_keras.models",
    "ConditionalVAE": "vae_keras.conditional",
    "one_hot": "vae_keras.conditional",
    "Sampling": "vae_keras.layers",
    "bernoulli_nll": "vae_keras.losses",
    "gaussian_nll": "vae_keras.losses",
    "kl_divergence": "vae_keras.losses",
    "build_decoder": "vae_keras.networks",
    "build_encoder": "vae_keras.networks",
    "Dataset": "vae_keras.data",
    "load_dataset": "vae_keras.data",
    "elbo": "vae_keras.evaluate",
    "evaluate_run": "vae_keras.evaluate",
    "iwae_log_likelihood": "vae_keras.evaluate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'vae_keras' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)


def _register_with_keras():
    """Imports the modules of the exported classes: they register with Keras's saving."""
    for module in dict.fromkeys(m for name, m in _EXPORTS.items() if name[0].isupper()):
        importlib.import_module(module)


class _AfterKerasImport:  # a meta path finder (not importlib.abc's: that import costs 15 ms)
    """Runs `_register_with_keras` right after `import keras` completes, then steps aside.

    Importing Keras takes seconds (it loads a backend), so this package does
    not import it; a finder in `sys.meta_path` wraps the loader of the
    top-level `keras` module instead, and registers once it has run.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)  # the real finders locate keras; this one only wraps
        spec = importlib.util.find_spec("keras")
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_register(module):
            exec_module(module)
            try:
                _register_with_keras()
            except Exception as e:  # never break `import keras` itself
                import warnings

                warnings.warn(f"vae_keras: its Keras classes are not registered ({e!r}); "
                              "import vae_keras.models before loading a model", stacklevel=2)

        spec.loader.exec_module = exec_then_register
        return spec


if "keras" in sys.modules:
    _register_with_keras()
elif not any(isinstance(f, _AfterKerasImport) for f in sys.meta_path):
    sys.meta_path.insert(0, _AfterKerasImport())
