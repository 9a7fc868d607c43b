"""The experiments behind the "Going deeper" pages, on tiny runs of the bundled subset."""

import json

import numpy as np
import pytest

from vae_keras import aggregate, collapse, evaluate, exact, experiments, train
from vae_keras.runs import load_run
from vis_helpers import check_image

TINY = ["--dataset", "mnist_subset", "--epochs", "1", "--hidden-dim", "32", "--batch-size", "500",
        "--no-snapshots", "--no-tensorboard", "--no-evaluate", "--verbose", "0"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("deeper")
    # 2 epochs of 80 steps: trained enough that its posteriors are compact.
    z2 = train.main(TINY + ["--latent-dim", "2", "--output-dir", str(out), "--run-name", "z2",
                            "--batch-size", "100", "--epochs", "2", "--hidden-dim", "64"])
    fb = train.main(TINY + ["--latent-dim", "3", "--output-dir", str(out), "--run-name", "fb",
                            "--beta", "50", "--free-bits", "1", "--kl-warmup", "1", "--binarize"])
    return out, z2, fb


def test_exact_log_likelihood_bounds_and_cli(runs, capsys):
    _, z2, _ = runs
    result = exact.main([str(z2), "--images", "12", "--spacing", "0.03", "--ks", "10", "1000",
                         "--posteriors", "2"])
    nats = {r["bound"]: r["nats"] for r in result["rows"]}
    # -ELBO >= -L_10 >= -L_1000 >= -log p(x), up to the estimators' noise.
    assert nats["ELBO (L_1)"] >= nats["L_10"] - 0.05 >= nats["L_1000"] - 0.1
    assert nats["L_1000"] >= nats["exact log p(x)"] - 0.1
    assert abs(nats["L_1000"] - nats["exact log p(x)"]) < 0.5 * result["gap_nats"] + 0.05
    # The two checks of the grid (the largest change over the 12 images).
    assert result["spacing_error_nats"] < 0.1 and result["extent_error_nats"] < 0.05
    check_image(z2 / "exact" / "posteriors.png")
    assert json.loads((z2 / "exact" / "exact.json").read_text())["images"] == 12
    assert "exact log p(x)" in capsys.readouterr().out


def test_importance_bounds_approach_the_grid_integral_from_below(runs):
    # Two independent routes to log p(x): a grid sum, and L_k, which rises to it with k.
    model, _ = load_run(runs[1])
    x = np.asarray(__import__("vae_keras").load_dataset("mnist_subset").x_test[:4])
    grid_value = exact.log_marginal(model, x, exact.auto_extent(model, x), 0.03).mean()
    l10, l5000 = (evaluate.iwae_log_likelihood(model, x, k=k, seed=3).mean() for k in (10, 5000))
    assert l10 < l5000 <= grid_value + 0.05
    assert grid_value - l5000 < 0.5 * (grid_value - l10)


def test_exact_refuses_other_latent_sizes(runs, capsys):
    _, _, fb = runs
    with pytest.raises(SystemExit) as e:
        exact.main([str(fb)])
    assert e.value.code == 2 and "--latent-dim 2" in capsys.readouterr().err


def test_aggregate_posterior_is_a_density_and_the_cli_writes_shares(runs, capsys):
    _, z2, _ = runs
    rng = np.random.default_rng(0)
    mean, log_var = rng.normal(size=(50, 2)), rng.normal(-1, 0.3, size=(50, 2))
    labels = rng.integers(0, 10, 50)
    axis = np.linspace(-7, 7, 281)
    codes = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    dens = aggregate.class_densities(mean, log_var, labels, codes)
    area = (axis[1] - axis[0]) ** 2
    np.testing.assert_allclose(dens.sum() * area, 1.0, atol=1e-3)
    np.testing.assert_allclose(dens.sum(axis=0) * area, np.bincount(labels, minlength=10) / 50,
                               atol=1e-3)
    shares, _, _ = aggregate.prior_shares(mean, log_var, labels, num_draws=500)
    np.testing.assert_allclose(shares.sum(), 1.0)
    numbers = aggregate.main([str(z2), "--images", "300"])
    assert numbers["kl_aggregate_to_prior"] >= 0
    assert sum(numbers["prior_shares"].values()) == pytest.approx(1.0)
    check_image(z2 / "aggregate" / "aggregate_posterior.png")


def test_collapse_comparison_counts_active_units(runs, tmp_path, capsys):
    _, z2, fb = runs
    evaluate.main([str(fb), "--no-figures", "--k", "5", "--draws", "2", "--max-test", "50"])
    metrics = json.loads((fb / "metrics.json").read_text())
    assert 0 <= metrics["test_active_units"] <= 3 == metrics["latent_dim"]
    assert len(metrics["test_posterior_mean_variances"]) == 3
    assert metrics["test_neg_iwae_bound"] == pytest.approx(-metrics["test_log_likelihood"])
    rows = collapse.main([str(z2), str(fb), "--output-dir", str(tmp_path), "--images", "100"])
    assert [r["latent_dim"] for r in rows] == [2, 3]
    assert rows[1]["label"] == "beta = 50, free bits 1, KL warm-up 1 epochs"
    for name in ("reconstructions", "kl_per_unit"):
        check_image(tmp_path / f"{name}.png")
    assert "| run |" in (tmp_path / "collapse.md").read_text()


def test_beta_sweep_draws_a_rate_distortion_curve(tmp_path, backend, capsys):
    out = experiments.main([
        "--dataset", "mnist_subset", "--latent-dims", "2", "--betas", "0.5", "4", "--epochs", "1",
        "--k", "3", "--max-test", "40", "--no-run-figures", "--output-dir", str(tmp_path),
        "--hidden-dim", "16", "--batch-size", "500", "--no-snapshots", "--no-tensorboard",
        "--verbose", "0"])
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["beta"] for r in rows] == [0.5, 4.0]
    assert rows[0]["test_kl_loss"] > rows[1]["test_kl_loss"]  # a higher beta buys less rate
    for name in ("rate_distortion", "samples", "reconstructions"):
        check_image(out / f"{name}.png")
    assert (out / "z2-beta0.5" / "model.keras").is_file()
    table = (out / "results.md").read_text()
    assert "| latent size | beta |" in table and "positive nats" in table
    (out / "rate_distortion.png").unlink()
    experiments.main(["--output-dir", str(out), "--dataset", "mnist_subset", "--summarize-only"])
    check_image(out / "rate_distortion.png")


def test_large_k_is_batched_without_changing_the_numbers(runs, monkeypatch):
    model, _ = load_run(runs[1])
    x = np.asarray(__import__("vae_keras").load_dataset("mnist_subset").x_test[:5])
    whole = evaluate.estimate(model, x, k=40, batch_size=5, seed=1)
    monkeypatch.setattr(evaluate, "MAX_CODES_PER_BATCH", 16)  # 1 image per call, k in 3 chunks
    chunked = evaluate.estimate(model, x, k=40, batch_size=5, seed=1)
    for key in whole:
        np.testing.assert_allclose(chunked[key], whole[key], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("option, value", [("--free-bits", "-1"), ("--kl-warmup", "nan")])
def test_bad_objective_options_exit_2(option, value, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        train.main(TINY + [option, value, "--output-dir", str(tmp_path)])
    assert e.value.code == 2 and option in capsys.readouterr().err


def test_train_options_reach_the_saved_model(runs):
    model, config = load_run(runs[2])
    assert config["free_bits"] == 1.0 and config["binarize"] and config["kl_warmup"] == 1.0
    # 8,000 subset images in batches of 500: one epoch of warm-up is 16 steps.
    assert model.free_bits == 1.0 and model.binarize and model.kl_warmup_steps == 16
    assert float(np.asarray(model.warmup_step.value)) == 16.0  # counted, and saved
