"""The reported loss equals its terms, and the training options behind the collapse page."""

import keras
import numpy as np
import pytest

from vae_keras.models import VAE


def _model(**kwargs):
    vae = VAE(latent_dim=3, hidden_dim=32, seed=0, **kwargs)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    return vae


@pytest.mark.parametrize("beta", [1.0, 4.0])
def test_loss_is_reconstruction_plus_beta_kl_with_a_short_last_batch(subset, beta):
    # 250 images in batches of 100: the last batch has 50. Keras weights its
    # `loss` by batch size; trackers weighted per batch gave 282.1 against
    # 260.0 + 21.6 in the first epoch of full-MNIST training.
    x = subset.x_train[:250]
    vae = _model(beta=beta)
    history = vae.fit(x, epochs=2, batch_size=100, verbose=0, shuffle=False).history
    for epoch in range(2):
        np.testing.assert_allclose(
            history["loss"][epoch],
            history["reconstruction_loss"][epoch] + beta * history["kl_loss"][epoch],
            rtol=1e-5)
    test = vae.evaluate(subset.x_test[:130], batch_size=100, verbose=0, return_dict=True)
    np.testing.assert_allclose(test["loss"], test["reconstruction_loss"] + beta * test["kl_loss"],
                               rtol=1e-5)
    # And the reported terms are the per-image means over all 130 images.
    outputs = vae(subset.x_test[:130], training=False)
    kl = keras.ops.convert_to_numpy(
        keras.ops.sum(0.5 * (outputs["mean"] ** 2 + keras.ops.exp(outputs["log_var"])
                             - 1.0 - outputs["log_var"]), axis=-1))
    np.testing.assert_allclose(test["kl_loss"], kl.mean(), rtol=1e-4)


def test_kl_warmup_ramps_the_weight_from_zero_to_beta(subset):
    vae = _model(beta=2.0, kl_warmup_steps=4)
    assert float(keras.ops.convert_to_numpy(vae.kl_weight())) == 0.0
    x = subset.x_train[:200]
    weights = []
    for _ in range(3):  # 2 steps per epoch
        vae.fit(x, epochs=1, batch_size=100, verbose=0)
        weights.append(float(keras.ops.convert_to_numpy(vae.kl_weight())))
    assert weights == pytest.approx([1.0, 2.0, 2.0])  # beta * min(1, steps / 4)
    # The step count is saved with the model: a resumed run goes on from it.
    assert vae.get_config()["kl_warmup_steps"] == 4


def test_free_bits_floor_each_units_kl(subset):
    x = subset.x_test[:64]
    plain, floored = _model(), _model(free_bits=5.0)
    floored.set_weights(plain.get_weights())
    a = plain.evaluate(x, batch_size=64, verbose=0, return_dict=True)
    b = floored.evaluate(x, batch_size=64, verbose=0, return_dict=True)
    # Untrained, each of the 3 units carries well under 5 nats: the objective
    # counts 3 * 5 = 15 nats of KL, while kl_loss still reports the true KL.
    assert a["kl_loss"] < 5.0
    np.testing.assert_allclose(b["kl_loss"], a["kl_loss"], rtol=1e-5)
    np.testing.assert_allclose(b["loss"], b["reconstruction_loss"] + 15.0, rtol=1e-5)


def test_free_bits_keep_a_heavily_weighted_kl_alive(subset):
    # beta = 784 (the pixel-averaged loss) collapses the posterior; 2 free nats
    # per unit let the units carry information again.
    x = subset.x_train[:1000]
    kls = {}
    for free_bits in (0.0, 2.0):
        keras.utils.set_random_seed(0)
        vae = _model(beta=784.0, free_bits=free_bits)
        vae.fit(x, epochs=3, batch_size=100, verbose=0)
        kls[free_bits] = vae.evaluate(x[:500], batch_size=250, verbose=0,
                                      return_dict=True)["kl_loss"]
    assert kls[0.0] < 0.1 and kls[2.0] > 0.5, kls


def test_binarize_trains_on_fresh_binary_draws(subset):
    vae = _model(binarize=True)
    x = subset.x_train[:8]
    a = vae(x, training=True)["x"]
    b = vae(x, training=True)["x"]
    a, b = keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b)
    assert set(np.unique(a)) <= {0.0, 1.0}
    assert (a != b).any()  # a new draw every step
    assert "x" not in vae(x, training=False)  # evaluation scores the images given
    # Each pixel is 1 with probability its grey level.
    draws = np.mean([keras.ops.convert_to_numpy(vae(x, training=True)["x"])
                     for _ in range(200)], axis=0)
    assert np.abs(draws - x).max() < 0.15
    history = vae.fit(subset.x_train[:300], epochs=2, batch_size=100, verbose=0).history
    assert history["loss"][1] < history["loss"][0]


@pytest.mark.parametrize("bad", [dict(free_bits=-1.0), dict(free_bits=float("nan")),
                                 dict(kl_warmup_steps=-2)])
def test_bad_objective_options_raise(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        VAE(latent_dim=2, hidden_dim=8, **bad)
