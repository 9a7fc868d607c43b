"""Per-backend settings for fast training with Keras, each measured with benchmarks/bench.py.

The numbers quoted below are Keras-to-plain-loop time ratios (or Keras times)
measured in one process on the 2-core shared CPU described in
docs/performance.md; see that page for the full tables.
"""

import keras


def _backend(backend):
    return backend or keras.backend.backend()


def compile_kwargs(backend=None):
    """Keyword arguments for `VAE.compile` that make `fit` fast on `backend`.

    Example: `vae.compile(optimizer=keras.optimizers.Adam(1e-3), **compile_kwargs())`.
    """
    backend = _backend(backend)
    if backend == "tensorflow":
        # 32 steps per tf.function call: median epoch 8.97 s against 10.86 s
        # for the defaults (same run, full MNIST, 784-400-20), 7.59 s together
        # with the tf.data input of `training_data`. In benchmarks/bench.py,
        # Keras / plain tf.function loop: 1.13 with both (results.md) against
        # 1.31 with Keras's defaults (results-naive-tensorflow.md). XLA
        # (jit_compile=True) on CPU gave 9.95 s, within noise of the default:
        # left to Keras's "auto" (XLA on GPU only).
        return {"steps_per_execution": 32}
    # JAX: Keras's default (a jitted step) is already at plain-loop speed;
    # steps_per_execution made it slower (8: 9.10 s, 32: 12.5 s against 6.38 s
    # per epoch in the same run).
    # PyTorch: steps_per_execution is unsupported; jit_compile=True
    # (torch.compile) took 88 s to compile, recompiled for the last, smaller
    # batch of each epoch (70 s) and was still 1.54x the plain loop: eager
    # stays (Keras's "auto"). Not a compile setting, so not set here: on a
    # CPU shared with other jobs, torch's default of one OpenMP thread per
    # core made each step 5-20x slower than torch.set_num_threads(1).
    return {}


def training_data(x, batch_size, seed=None, backend=None):
    """Keyword arguments for `VAE.fit` that feed the in-memory images `x` fast.

    Use as `vae.fit(**training_data(x, batch_size, seed), epochs=...)`. The
    examples are reshuffled every epoch on every backend, and the last batch
    of an epoch may be smaller, as with `fit(x, batch_size=..., shuffle=True)`.

    On TensorFlow this is a `tf.data.Dataset` built from `x` held as one
    tensor: a shuffled index stream, batched, then gathered, with tf.data's
    autotuning off (with it on, dropping the previous epoch's iterator
    sometimes stalled for ~1.8 s). Elsewhere it is the array itself.
    """
    if _backend(backend) == "tensorflow":
        import tensorflow as tf

        images = tf.constant(x)
        order = tf.data.Dataset.range(len(x)).shuffle(
            len(x), seed=seed, reshuffle_each_iteration=True
        )
        dataset = order.batch(batch_size).map(lambda i: tf.gather(images, i))
        options = tf.data.Options()
        options.autotune.enabled = False
        # shuffle=False only stops Keras warning that it cannot shuffle a
        # dataset: this one reshuffles itself every epoch.
        return {"x": dataset.with_options(options), "shuffle": False}
    return {"x": x, "batch_size": batch_size, "shuffle": True}
