"""The three terms of the ELBO, in nats per example (summed, never averaged, over dimensions)."""

import math

from keras import ops


def kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) in closed form, one value per example.

    For a diagonal Gaussian posterior and a standard normal prior
    (Kingma & Welling 2014, appendix B):

        KL = -1/2 * sum_j (1 + log_var_j - mean_j**2 - exp(log_var_j))

    Args:
        mean: Posterior means, shape `(batch_size, latent_dim)`.
        log_var: Posterior log-variances, same shape.

    Returns:
        A tensor of shape `(batch_size,)`: nats per example.

    Example:

    ```python
    import numpy as np
    from vae_keras import kl_divergence

    # q(z | x) equal to the prior N(0, I): nothing to pay.
    print(float(kl_divergence(np.zeros((1, 3)), np.zeros((1, 3)))[0]))  # 0.0
    ```
    """
    mean, log_var = ops.convert_to_tensor(mean), ops.convert_to_tensor(log_var)
    # The same sum with the sign moved inside: mu^2 + sigma^2 - 1 - log sigma^2
    # per unit (an exact 0 for the prior comes out as 0.0, not -0.0).
    return 0.5 * ops.sum(
        ops.square(mean) + ops.exp(log_var) - 1.0 - log_var, axis=-1
    )


def kl_divergence_per_unit(mean, log_var):
    """The terms of `kl_divergence`, one per latent unit: shape `(batch_size, latent_dim)`.

    Their sum over the last axis is `kl_divergence`. Per unit they show which
    units are used (free bits floors each one; an unused unit's KL is ~0).
    """
    mean, log_var = ops.convert_to_tensor(mean), ops.convert_to_tensor(log_var)
    return 0.5 * (ops.square(mean) + ops.exp(log_var) - 1.0 - log_var)


def _flatten_examples(values):
    """Reshapes to `(batch_size, values_per_example)`.

    The losses flatten their inputs before any arithmetic, then sum over the
    last axis. Summing over the image axes instead, or flattening only the
    per-pixel result, gives the same number, but XLA on CPU (JAX) then
    compiles the per-pixel terms over the 4-D image shape, and they ran 25x
    slower (3.8 ms against 0.15 ms for 128 MNIST images); the whole training
    step was 1.7x slower (benchmarks/bench.py, docs/performance.md).
    """
    return ops.reshape(values, (ops.shape(values)[0], -1))


def bernoulli_nll(x, logits):
    """-log p(x | z) for a Bernoulli decoder, from logits, summed over pixels.

    This is the binary cross-entropy
    `-sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)]` with `p_i = sigmoid(logits_i)`,
    written in the stable form `max(l, 0) - l * x + log(1 + exp(-|l|))`.
    `x` may be grey levels in [0, 1] (the "continuous MNIST" convention); the
    value is then a cross-entropy rather than a log-likelihood of binary data.

    Args:
        x: Targets in [0, 1], shape `(batch_size, ...)`.
        logits: Decoder logits, same shape.

    Returns:
        A tensor of shape `(batch_size,)`: nats per example.

    Example:

    ```python
    import numpy as np
    from vae_keras import bernoulli_nll

    # Logits of 0 give p = 0.5 per pixel: log 2 nats each, whatever x is.
    x = np.ones((1, 28, 28, 1), "float32")
    print(round(float(bernoulli_nll(x, np.zeros_like(x))[0]), 2))  # 543.43
    ```
    """
    logits = _flatten_examples(ops.convert_to_tensor(logits))
    x = ops.cast(_flatten_examples(x), logits.dtype)
    per_pixel = (
        ops.relu(logits) - logits * x + ops.log1p(ops.exp(-ops.abs(logits)))
    )
    return ops.sum(per_pixel, axis=-1)


def gaussian_nll(x, mean, log_var):
    """-log N(x; mean, exp(log_var)) summed over pixels: a real log-density.

    Per pixel: `1/2 * (log(2 pi) + log_var + (x - mean)**2 / exp(log_var))`.
    With a fixed variance this is a scaled squared error plus a constant; the
    constant is kept so the number is comparable with published log-likelihoods.

    Args:
        x: Targets, shape `(batch_size, ...)`.
        mean: Decoder means, same shape.
        log_var: Decoder log-variances, broadcastable to the same shape
            (a scalar for a fixed variance, a tensor for a learned one).

    Returns:
        A tensor of shape `(batch_size,)`: nats per example.

    Example:

    ```python
    import numpy as np
    from vae_keras import gaussian_nll

    # x equal to the mean, unit variance: log(2 pi) / 2 nats per pixel.
    x = np.zeros((1, 4), "float32")
    print(round(float(gaussian_nll(x, x, 0.0)[0]), 3))  # 3.676
    ```
    """
    mean = ops.convert_to_tensor(mean)
    log_var = _flatten_examples(
        ops.broadcast_to(ops.cast(log_var, mean.dtype), ops.shape(mean))
    )
    mean = _flatten_examples(mean)
    x = ops.cast(_flatten_examples(x), mean.dtype)
    per_pixel = 0.5 * (
        math.log(2.0 * math.pi)
        + log_var
        + ops.square(x - mean) * ops.exp(-log_var)
    )
    return ops.sum(per_pixel, axis=-1)
