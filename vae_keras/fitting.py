"""Per-backend settings for fast training with Keras, each measured with benchmarks/bench.py.

The numbers quoted below are Keras-to-plain-loop time ratios (or Keras times)
measured in one process on the 2-core shared CPU described in
docs/performance.md; see that page for the full tables.
"""

import sys

import keras


def hide_tensorflow(backend=None):
    """Makes `import tensorflow` fail in this process, unless the backend is TensorFlow.

    Keras imports TensorFlow whenever it is installed, even under JAX and
    PyTorch: `keras.utils.set_random_seed` seeds it (for tf.data pipelines,
    which this package uses only on TensorFlow) and `Model.save` checks
    whether objects are TensorFlow shapes or dtypes. That import costs
    seconds and prints TensorFlow's CUDA, oneDNN and absl log lines. A `None`
    in `sys.modules` makes Python raise `ImportError` for the module, which
    Keras (and the `tensorboard` package) treat as "TensorFlow is not
    installed". Call it before Keras first looks for TensorFlow; it lasts for
    the rest of the process. Does nothing if TensorFlow is already imported.
    The training command calls it.
    """
    if _backend(backend) != "tensorflow" and "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None


def _backend(backend):
    return backend or keras.backend.backend()


def compile_kwargs(backend=None):
    """Keyword arguments for `VAE.compile` that make `fit` fast on `backend`.

    Example: `vae.compile(optimizer=keras.optimizers.Adam(1e-3), **compile_kwargs())`.
    """
    backend = _backend(backend)
    if backend in ("tensorflow", "jax"):
        # TensorFlow: 32 steps per tf.function call: median epoch 8.97 s
        # against 10.86 s for the defaults (same run, full MNIST, 784-400-20),
        # 7.59 s together with the tf.data input of `training_data` (loaded
        # machine). In benchmarks/bench.py on a quiet machine, Keras / plain
        # tf.function loop: 0.80 with both (results.md) against 1.17 with
        # Keras's defaults (results-naive-tensorflow.md). XLA
        # (jit_compile=True) on CPU gave 9.95 s, within noise of the default:
        # left to Keras's "auto" (XLA on GPU only).
        # JAX: Keras 3.15 runs steps_per_execution as a Python loop over its
        # jitted step, so it saves fit's per-step Python work (callbacks,
        # logs) 31 times in 32: Keras / plain CPU time 1.07 against 1.15 for
        # the default, in each of two runs (benchmarks/levers-jax*.md, loaded
        # machine). jit_compile=True is what "auto" already means on JAX.
        return {"steps_per_execution": 32}
    # PyTorch: steps_per_execution is unsupported; jit_compile=True
    # (torch.compile) spent 70 s compiling and recompiling (the last batch
    # of an epoch is smaller) and its epochs were no faster than eager, so
    # eager stays (Keras's "auto"). Keras / plain is 1.7-1.8: Keras's per-step
    # Python work, not a setting (benchmarks/levers-torch.md: one fused
    # encoder head, no metric updates or no random draw change nothing
    # measurable). Not set here either: on a CPU shared with
    # other jobs, torch's default of one OpenMP thread per core made each
    # step 5-20x slower than torch.set_num_threads(1).
    return {}


def training_data(x, batch_size, seed=None, backend=None, labels=None):
    """Keyword arguments for `VAE.fit` that feed the in-memory images `x` fast.

    Use as `vae.fit(**training_data(x, batch_size, seed), epochs=...)`. The
    examples are reshuffled every epoch on every backend, and the last batch
    of an epoch may be smaller, as with `fit(x, batch_size=..., shuffle=True)`.

    On TensorFlow this is a `tf.data.Dataset` built from `x` held as one
    tensor: a shuffled index stream, batched, then gathered, with tf.data's
    autotuning off (with it on, dropping the previous epoch's iterator
    sometimes stalled for ~1.8 s). Elsewhere it is the array itself.

    With `labels` (e.g. one-hot rows for a `ConditionalVAE`), each batch is
    the pair `(images, labels)`, shuffled together: the model's `x`.
    """
    if _backend(backend) == "tensorflow":
        import tensorflow as tf

        images = tf.constant(x)
        order = tf.data.Dataset.range(len(x)).shuffle(
            len(x), seed=seed, reshuffle_each_iteration=True
        )
        if labels is None:
            dataset = order.batch(batch_size).map(lambda i: tf.gather(images, i))
        else:  # a 1-tuple: Keras reads its one element, the pair, as x (not as x, y)
            targets = tf.constant(labels)
            dataset = order.batch(batch_size).map(
                lambda i: ((tf.gather(images, i), tf.gather(targets, i)),))
        options = tf.data.Options()
        options.autotune.enabled = False
        # shuffle=False only stops Keras warning that it cannot shuffle a
        # dataset: this one reshuffles itself every epoch.
        return {"x": dataset.with_options(options), "shuffle": False}
    return {"x": x if labels is None else (x, labels), "batch_size": batch_size,
            "shuffle": True}


def describe_device():
    """The device the backend computes on, e.g. 'cpu:0' or 'cuda:0'."""
    if keras.backend.backend() == "torch":
        import torch  # keras.distribution has no device list on torch

        return "cuda:0" if torch.cuda.is_available() else "cpu"
    devices = keras.distribution.list_devices()
    gpus = [d for d in devices if not d.lower().startswith("cpu")]
    return ", ".join(gpus or devices[:1])
