"""The conditional VAE: shapes, loss, that the label matters, fit/evaluate, saving, the CLI."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from clitools import ROOT, assert_one_line_error, cli_env, run
from vae_keras import evaluate, train
from vae_keras.conditional import ConditionalVAE, model_inputs, one_hot
from vae_keras.fitting import compile_kwargs, training_data
from vae_keras.losses import bernoulli_nll, kl_divergence
from vae_keras.models import VAE
from vae_keras.saving import load_vae

BACKENDS = ("jax", "torch", "tensorflow")
RNG = np.random.default_rng(0)
IMAGES = RNG.random((6, 28, 28, 1), dtype="float32")
LABELS = np.array([0, 1, 2, 3, 4, 9])
CODES = RNG.standard_normal((6, 2)).astype("float32")


def small(**kwargs):
    return ConditionalVAE(**{"num_classes": 10, "latent_dim": 2, "hidden_dim": 16, "seed": 0,
                             **kwargs})


@pytest.fixture(scope="module")
def trained(subset):
    """A 2-D conditional VAE trained 4 epochs on the subset, through `training_data`."""
    keras.utils.set_random_seed(0)
    model = small(hidden_dim=128)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), **compile_kwargs())
    history = model.fit(**training_data(subset.x_train, 256, seed=0,
                                        labels=one_hot(subset.y_train, 10)),
                        epochs=4, verbose=0,
                        validation_data=(model_inputs(model, subset.x_test, subset.y_test),))
    return model, history.history


def test_a_conditional_vae_is_a_vae_whose_networks_also_take_the_label():
    model = small(arch="conv")
    assert isinstance(model, VAE)
    out = model((IMAGES, one_hot(LABELS, 10)))
    assert [tuple(out[k].shape) for k in ("mean", "log_var", "z", "params")] == [
        (6, 2), (6, 2), (6, 2), (6, 28, 28, 1)]
    assert [tuple(i.shape) for i in model.encoder.inputs] == [(None, 28, 28, 1), (None, 10)]
    assert [tuple(i.shape) for i in model.decoder.inputs] == [(None, 2), (None, 10)]
    mean, log_var = model.encode(IMAGES, LABELS)
    assert mean.shape == log_var.shape == (6, 2)
    assert model.decode(CODES, LABELS).shape == (6, 28, 28, 1)
    assert model.sample(4, labels=7, seed=0).shape == (4, 28, 28, 1)
    assert model.reconstruct(IMAGES, one_hot(LABELS, 10)).shape == (6, 28, 28, 1)


def test_get_config_rebuilds_the_same_model():
    model = small(hidden_dim=8, num_hidden_layers=2, beta=0.5, num_classes=3)
    config = model.get_config()
    assert config["num_classes"] == 3 and config["beta"] == 0.5
    clone = ConditionalVAE.from_config(config)
    assert clone.get_config() == config
    assert [tuple(w.shape) for w in clone.weights] == [tuple(w.shape) for w in model.weights]


def test_the_loss_is_the_conditional_elbo_computed_by_hand():
    model = small()
    y = one_hot(LABELS, 10)
    out = model((IMAGES, y))
    loss = model.compute_loss((IMAGES, y), None, out)
    # -log p(x | z, y) at the sampled z, plus KL(q(z | x, y) || N(0, I)), batch mean.
    by_hand = np.mean(keras.ops.convert_to_numpy(
        bernoulli_nll(IMAGES, out["params"]) + kl_divergence(out["mean"], out["log_var"])))
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(loss)), by_hand, rtol=1e-5)


def test_the_label_changes_the_encoding_and_the_decoding():
    model = small()
    assert not np.allclose(model.encode(IMAGES, 0)[0], model.encode(IMAGES, 5)[0])
    assert not np.allclose(model.decode(CODES, 0), model.decode(CODES, 5))


def test_bad_inputs_are_refused_with_a_message():
    model = small()
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="pass the labels too"):
        model.fit(IMAGES, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="integer labels from 0 to 9"):
        model.decode(CODES, [0, 1, 2, 3, 4, 10])
    with pytest.raises(ValueError, match=r"expected 6 labels"):
        model.encode(IMAGES, [0, 1])
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        ConditionalVAE(num_classes=1)


def test_after_brief_training_each_label_draws_its_own_digit(trained, subset):
    """The same 20 prior codes decoded with each label: the images match that label's digits.

    Each decoded image is assigned to the nearest class-mean test image; an untrained
    model scores chance (10%), a trained one must say the digit it was asked for.
    """
    model, history = trained
    assert history["loss"][-1] < history["loss"][0]
    class_means = np.stack([subset.x_test[subset.y_test == c].mean(0) for c in range(10)])
    z = np.random.default_rng(1).standard_normal((20, 2)).astype("float32")
    labels = np.tile(np.arange(10), 20)
    images = model.decode(np.repeat(z, 10, axis=0), labels)
    nearest = ((images[:, None] - class_means[None]) ** 2).sum(axis=(2, 3, 4)).argmin(axis=1)
    assert (nearest == labels).mean() > 0.5


def test_evaluate_and_the_iwae_estimator_agree_on_the_conditional_elbo(trained, subset):
    model, _ = trained
    x, y = subset.x_test[:500], subset.y_test[:500]
    keras_loss = model.evaluate((x, one_hot(y, 10)), batch_size=250, verbose=0,
                                return_dict=True)["loss"]
    metrics = evaluate.test_metrics(model, x, k=20, elbo_draws=5, labels=one_hot(y, 10))
    assert abs(metrics["neg_elbo"] - keras_loss) < 2.0  # one draw of z against five
    assert metrics["neg_iwae_bound"] <= metrics["neg_elbo"] + 0.5  # the IWAE bound is tighter
    # The labels are used: the wrong ones make the test images much less likely.
    wrong = evaluate.test_metrics(model, x, k=1, elbo_draws=1, labels=one_hot((y + 1) % 10, 10))
    assert wrong["neg_elbo"] > metrics["neg_elbo"] + 5


def test_save_and_load_round_trip(trained, tmp_path):
    model, _ = trained
    model.save(tmp_path / "c.keras")
    loaded = load_vae(tmp_path / "c.keras")
    assert type(loaded) is ConditionalVAE and loaded.num_classes == 10
    np.testing.assert_allclose(loaded.decode(CODES, LABELS), model.decode(CODES, LABELS),
                               rtol=1e-6, atol=1e-6)


LOAD_ELSEWHERE = """
import sys, numpy as np
from vae_keras.saving import load_vae
model = load_vae(sys.argv[1])
with np.load(sys.argv[2]) as f:
    mean, _ = model.encode(f["images"], f["labels"])
    np.savez(sys.argv[3], mean=mean, decoded=model.decode(f["codes"], f["labels"]),
             kind=type(model).__name__)
"""


def test_a_model_saved_here_loads_under_the_other_backends(tmp_path, backend):
    model = small(hidden_dim=32)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit((IMAGES, one_hot(LABELS, 10)), epochs=1, batch_size=6, verbose=0)
    model.save(tmp_path / "c.keras")
    np.savez(tmp_path / "inputs.npz", images=IMAGES, labels=LABELS, codes=CODES)
    expected_mean = model.encode(IMAGES, LABELS)[0]
    expected = model.decode(CODES, LABELS)
    others = [b for b in BACKENDS if b != backend]
    procs = {b: subprocess.Popen(
        [sys.executable, "-c", LOAD_ELSEWHERE, str(tmp_path / "c.keras"),
         str(tmp_path / "inputs.npz"), str(tmp_path / f"{b}.npz")], cwd=ROOT,
        env=cli_env(b), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for b in others}
    for b, proc in procs.items():
        log = proc.communicate(timeout=300)[0]
        assert proc.returncode == 0, log[-3000:]
        with np.load(tmp_path / f"{b}.npz") as f:
            assert str(f["kind"]) == "ConditionalVAE"
            np.testing.assert_allclose(f["mean"], expected_mean, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(f["decoded"], expected, rtol=1e-5, atol=1e-5)


def test_cli_trains_saves_evaluates_and_draws_the_conditional_figures(tmp_path, capsys):
    run_dir = train.main(["--conditional", "--dataset", "mnist_subset", "--hidden-dim", "64",
                          "--batch-size", "256", "--epochs", "2", "--no-evaluate",
                          "--no-tensorboard", "--verbose", "0",
                          "--output-dir", str(tmp_path), "--run-name", "c"])
    out = capsys.readouterr().out
    assert "test negative ELBO (conditional on the label)" in out
    config = json.loads((run_dir / "config.json").read_text())
    assert config["conditional"] is True and config["num_classes"] == 10
    assert not (run_dir / "snapshots.npz").exists()
    assert type(load_vae(run_dir / "model.keras")) is ConditionalVAE

    metrics = evaluate.main([str(run_dir), "--k", "5", "--draws", "2", "--max-test", "300"])
    assert "IWAE log p(x | y)" in capsys.readouterr().out
    assert 100 < metrics["test_neg_elbo"] < 300
    for name in ("class_by_style", "style_transfer", "latent_scatter", "learning_curves"):
        assert (run_dir / "figures" / f"{name}.png").is_file(), name


def test_cli_refuses_a_data_set_without_labels(tmp_path):
    proc = run(["--conditional", "--dataset", "frey_face", "--output-dir", tmp_path])
    assert_one_line_error(proc, "--conditional", "frey_face has no labels")
    assert not any(tmp_path.iterdir())
