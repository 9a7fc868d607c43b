"""The reference VAE as a plain `jax.jit` loop (parameters in a dict, Adam written out)."""

import functools
import time

import jax
import jax.numpy as jnp
import numpy as np


def init_params(key, sizes):
    """Glorot-uniform kernels and zero biases (Keras's defaults) for each (fan_in, fan_out)."""
    params = {}
    for (name, (fan_in, fan_out)), k in zip(sizes.items(), jax.random.split(key, len(sizes))):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params[name] = {"w": jax.random.uniform(k, (fan_in, fan_out), minval=-limit, maxval=limit),
                        "b": jnp.zeros(fan_out)}
    return params


def dense(p, x):
    return x @ p["w"] + p["b"]


def negative_elbo(params, x, key):
    """BCE summed over pixels + analytic KL, averaged over the batch."""
    h = jax.nn.relu(dense(params["fc1"], x))
    mean, log_var = dense(params["fc_mean"], h), dense(params["fc_log_var"], h)
    z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, mean.shape)
    logits = dense(params["fc4"], jax.nn.relu(dense(params["fc3"], z)))
    bce = jnp.sum(jax.nn.relu(logits) - logits * x + jnp.log1p(jnp.exp(-jnp.abs(logits))), axis=-1)
    kl = -0.5 * jnp.sum(1 + log_var - mean**2 - jnp.exp(log_var), axis=-1)
    return jnp.mean(bce + kl)


def adam(grads, state, lr, b1=0.9, b2=0.999, eps=1e-8):
    """One Adam update: returns (updates to add, new state)."""
    step = state["step"] + 1
    m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, state["m"], grads)
    v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, state["v"], grads)
    scale = lr * jnp.sqrt(1 - b2**step) / (1 - b1**step)
    updates = jax.tree.map(lambda m, v: -scale * m / (jnp.sqrt(v) + eps), m, v)
    return updates, {"step": step, "m": m, "v": v}


@functools.partial(jax.jit, static_argnames="lr", donate_argnums=(0, 1, 2))
def train_step(params, opt_state, key, x, lr):
    key, noise_key = jax.random.split(key)
    loss, grads = jax.value_and_grad(negative_elbo)(params, x, noise_key)
    updates, opt_state = adam(grads, opt_state, lr)
    return jax.tree.map(jnp.add, params, updates), opt_state, key, loss


@jax.jit
def eval_step(params, x, key):
    return negative_elbo(params, x, key) * x.shape[0]


class PlainJax:
    """Holds the data in memory; `train_epoch()` shuffles and runs one epoch.

    Each step slices a batch on the host and hands it to the jitted step, which
    also splits the random key: no other JAX operation runs between steps.
    """

    name = "plain JAX jit loop"

    def __init__(self, x_train, x_test, hidden_dim=400, latent_dim=20, batch_size=128,
                 learning_rate=1e-3, seed=0):
        self.x_train = np.ascontiguousarray(x_train.reshape(len(x_train), -1))
        self.x_test = jnp.asarray(x_test.reshape(len(x_test), -1))
        pixels = self.x_train.shape[1]
        self.key, init_key = jax.random.split(jax.random.key(seed))
        self.params = init_params(init_key, {
            "fc1": (pixels, hidden_dim), "fc_mean": (hidden_dim, latent_dim),
            "fc_log_var": (hidden_dim, latent_dim), "fc3": (latent_dim, hidden_dim),
            "fc4": (hidden_dim, pixels)})
        self.opt_state = {"step": jnp.zeros((), jnp.int32),
                          "m": jax.tree.map(jnp.zeros_like, self.params),
                          "v": jax.tree.map(jnp.zeros_like, self.params)}
        self.batch_size, self.lr = batch_size, learning_rate
        self.rng = np.random.default_rng(seed)

    def train_epoch(self):
        start = time.perf_counter()
        order = self.rng.permutation(len(self.x_train))
        for i in range(0, len(order), self.batch_size):
            x = self.x_train[order[i : i + self.batch_size]]
            self.params, self.opt_state, self.key, loss = train_step(
                self.params, self.opt_state, self.key, x, self.lr)
        jax.block_until_ready(self.params)
        return time.perf_counter() - start

    def evaluate(self, batch_size=1024):
        """Test negative ELBO per example (one z per example), in nats."""
        total = 0.0
        for i in range(0, len(self.x_test), batch_size):
            self.key, key = jax.random.split(self.key)
            total += float(eval_step(self.params, self.x_test[i : i + batch_size], key))
        return total / len(self.x_test)

