import keras
import numpy as np
import pytest

from vae_keras.models import VAE


@pytest.fixture(scope="module")
def trained(subset):
    """A small 2-D VAE trained for a few epochs on the bundled real MNIST subset."""
    keras.utils.set_random_seed(0)
    vae = VAE(latent_dim=2, hidden_dim=256, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = vae.evaluate(subset.x_test, batch_size=1000, verbose=0, return_dict=True)
    history = vae.fit(subset.x_train, epochs=5, batch_size=100, verbose=0)
    return vae, history.history, before


def test_loss_falls_and_test_negative_elbo_drops_below_a_threshold(trained, subset):
    vae, history, before = trained
    losses = history["loss"]
    assert losses[-1] < losses[0] < before["loss"]
    assert all(b <= a + 1.0 for a, b in zip(losses, losses[1:])), losses
    test = vae.evaluate(subset.x_test, batch_size=1000, verbose=0, return_dict=True)
    # An untrained model scores ~540 nats; the 784-256-2 model reaches ~175 here.
    assert before["loss"] > 500
    assert test["loss"] < 190, test
    assert test["kl_loss"] > 1.0, "the posterior collapsed onto the prior"
    np.testing.assert_allclose(
        test["loss"], test["reconstruction_loss"] + test["kl_loss"], rtol=1e-4
    )


def test_metrics_are_the_negative_elbo_and_its_two_terms(trained):
    _, history, _ = trained
    assert set(history) == {"loss", "reconstruction_loss", "kl_loss"}


def test_numpy_helpers_give_shapes_and_ranges(trained, subset):
    vae, _, _ = trained
    mean, log_var = vae.encode(subset.x_test[:10])
    assert mean.shape == log_var.shape == (10, 2)
    images = vae.decode(mean)
    assert images.shape == (10, 28, 28, 1)
    assert 0.0 <= images.min() and images.max() <= 1.0
    np.testing.assert_allclose(vae.reconstruct(subset.x_test[:10]), images, atol=1e-6)
    samples = vae.sample(6, seed=3)
    assert samples.shape == (6, 28, 28, 1)
    np.testing.assert_array_equal(samples, vae.sample(6, seed=3))
    # Reconstructions resemble their inputs better than random other digits do.
    x = subset.x_test[:200]
    recon = vae.reconstruct(x)
    own = np.mean((recon - x) ** 2)
    shuffled = np.mean((recon - x[::-1]) ** 2)
    assert own < 0.8 * shuffled


def test_save_and_load_give_identical_encodings_and_decodings(trained, subset, tmp_path):
    vae, _, _ = trained
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = keras.models.load_model(path)  # safe_mode is on by default
    assert isinstance(loaded, VAE) and loaded.get_config() == vae.get_config()
    x = subset.x_test[:50]
    np.testing.assert_array_equal(vae.encode(x)[0], loaded.encode(x)[0])
    z = np.linspace(-2, 2, 20, dtype="float32").reshape(10, 2)
    np.testing.assert_array_equal(vae.decode(z), loaded.decode(z))


@pytest.mark.parametrize("arch, latent_dim", [("mlp", 1), ("conv", 3)])
def test_any_latent_size_and_both_architectures_train(arch, latent_dim, subset):
    vae = VAE(latent_dim=latent_dim, hidden_dim=32, arch=arch, seed=1)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = vae.fit(subset.x_train[:192], epochs=2, batch_size=64, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert vae.encode(subset.x_test[:4])[0].shape == (4, latent_dim)
    assert vae.sample(3, seed=0).shape == (3, 28, 28, 1)


@pytest.mark.parametrize("decoder_std", [None, 0.1])
def test_gaussian_likelihood_on_28x20_faces(decoder_std):
    rng = np.random.default_rng(0)
    faces = rng.random((128, 28, 20, 1)).astype("float32")
    vae = VAE(image_shape=(28, 20, 1), latent_dim=2, hidden_dim=32, likelihood="gaussian",
              decoder_std=decoder_std, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = vae.fit(faces, epochs=2, batch_size=32, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    expected_channels = 2 if decoder_std is None else 1
    assert vae.decoder.output_shape == (None, 28, 20, expected_channels)
    assert vae.decode(np.zeros((2, 2))).shape == (2, 28, 20, 1)


def test_beta_weights_the_kl_term(subset):
    x = subset.x_test[:500]
    results = {}
    for beta in (1.0, 4.0):
        keras.utils.set_random_seed(0)
        vae = VAE(latent_dim=2, hidden_dim=32, beta=beta, seed=0)
        vae.compile(optimizer=keras.optimizers.Adam(1e-3))
        results[beta] = vae.evaluate(x, batch_size=500, verbose=0, return_dict=True)
    for beta, r in results.items():
        np.testing.assert_allclose(r["loss"], r["reconstruction_loss"] + beta * r["kl_loss"], rtol=1e-4)


def test_bad_images_and_arguments_raise_value_errors():
    vae = VAE(latent_dim=2, hidden_dim=8)
    with pytest.raises(ValueError, match=r"expected images of shape \(n, 28, 28, 1\)"):
        vae.encode(np.zeros((3, 784), "float32"))
    with pytest.raises(ValueError, match=r"in \[0, 1\].*divide uint8 images by 255"):
        vae.encode(np.full((2, 28, 28, 1), 255.0))
    with pytest.raises(ValueError, match="latent_dim must be an integer >= 1"):
        VAE(latent_dim=0)
    with pytest.raises(ValueError, match="likelihood must be one of"):
        VAE(likelihood="poisson")
    with pytest.raises(ValueError, match="multiples of 4"):
        VAE(image_shape=(30, 30, 1), arch="conv")
