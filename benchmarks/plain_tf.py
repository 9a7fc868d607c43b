"""The reference VAE as a plain `tf.function` loop (tf.Variables, Adam written out, no Keras)."""

import time

import numpy as np
import tensorflow as tf


def dense_variables(fan_in, fan_out, name):
    """Glorot-uniform kernel and zero bias (Keras's defaults)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    w = tf.Variable(tf.random.uniform((fan_in, fan_out), -limit, limit), name=f"{name}_w")
    return w, tf.Variable(tf.zeros(fan_out), name=f"{name}_b")


class PlainTF:
    """Holds the data as tensors in memory; `train_epoch()` shuffles and runs one epoch."""

    name = "plain TF tf.function loop"

    def __init__(self, x_train, x_test, hidden_dim=400, latent_dim=20, batch_size=128,
                 learning_rate=1e-3, seed=0):
        tf.random.set_seed(seed)
        self.x_train = tf.constant(x_train.reshape(len(x_train), -1))
        self.x_test = tf.constant(x_test.reshape(len(x_test), -1))
        pixels = int(self.x_train.shape[1])
        self.layers = {name: dense_variables(*shape, name) for name, shape in {
            "fc1": (pixels, hidden_dim), "fc_mean": (hidden_dim, latent_dim),
            "fc_log_var": (hidden_dim, latent_dim), "fc3": (latent_dim, hidden_dim),
            "fc4": (hidden_dim, pixels)}.items()}
        self.variables = [v for pair in self.layers.values() for v in pair]
        self.m = [tf.Variable(tf.zeros_like(v)) for v in self.variables]
        self.v = [tf.Variable(tf.zeros_like(v)) for v in self.variables]
        self.step = tf.Variable(0.0)
        self.lr, self.batch_size = learning_rate, batch_size
        self.noise = tf.random.Generator.from_seed(seed)
        self.rng = np.random.default_rng(seed)

    def dense(self, name, x):
        w, b = self.layers[name]
        return tf.matmul(x, w) + b

    def negative_elbo(self, x):
        """BCE summed over pixels + analytic KL, averaged over the batch."""
        h = tf.nn.relu(self.dense("fc1", x))
        mean, log_var = self.dense("fc_mean", h), self.dense("fc_log_var", h)
        z = mean + tf.exp(0.5 * log_var) * self.noise.normal(tf.shape(mean))
        logits = self.dense("fc4", tf.nn.relu(self.dense("fc3", z)))
        bce = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), -1)
        kl = -0.5 * tf.reduce_sum(1 + log_var - tf.square(mean) - tf.exp(log_var), -1)
        return tf.reduce_mean(bce + kl)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def train_step(self, indices):
        x = tf.gather(self.x_train, indices)
        with tf.GradientTape() as tape:
            loss = self.negative_elbo(x)
        grads = tape.gradient(loss, self.variables)
        self.step.assign_add(1.0)
        b1, b2, eps = 0.9, 0.999, 1e-8
        scale = self.lr * tf.sqrt(1 - b2**self.step) / (1 - b1**self.step)
        for var, g, m, v in zip(self.variables, grads, self.m, self.v):
            m.assign(b1 * m + (1 - b1) * g)
            v.assign(b2 * v + (1 - b2) * tf.square(g))
            var.assign_sub(scale * m / (tf.sqrt(v) + eps))
        return loss

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def eval_step(self, x):
        return self.negative_elbo(x) * tf.cast(tf.shape(x)[0], tf.float32)

    def train_epoch(self):
        start = time.perf_counter()
        order = self.rng.permutation(len(self.x_train)).astype("int32")
        for i in range(0, len(order), self.batch_size):
            self.train_step(order[i : i + self.batch_size])
        self.step.numpy()  # wait for the last step
        return time.perf_counter() - start

    def evaluate(self, batch_size=1024):
        """Test negative ELBO per example (one z per example), in nats."""
        total = 0.0
        for i in range(0, len(self.x_test), batch_size):
            total += float(self.eval_step(self.x_test[i : i + batch_size]))
        return total / len(self.x_test)
