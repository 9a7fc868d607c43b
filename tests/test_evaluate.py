"""Evaluation: IWAE >= ELBO and grows with k; evaluate_run writes metrics and every figure."""

import json

import numpy as np
import pytest
import scipy.io

from vae_keras import VAE, animations, evaluate, latent_plots, load_dataset, plots
from vis_helpers import EPOCHS, check_image, figure_size, tiny_run


@pytest.fixture(scope="session")
def run():
    return tiny_run()


def test_iwae_bound_is_above_the_elbo_and_grows_with_k(run):
    _, vae, data = run
    x = data.x_test[:100]
    elbo = evaluate.elbo(vae, x, num_draws=10, seed=0)["elbo"]
    bounds = {k: evaluate.iwae_log_likelihood(vae, x, k=k, seed=1) for k in (1, 10, 100)}
    assert np.all(np.isfinite(elbo)) and elbo.mean() < 0
    # k = 1 is a one-draw estimate of the ELBO itself.
    assert abs(bounds[1].mean() - elbo.mean()) < 0.05 * abs(elbo.mean())
    assert bounds[10].mean() > bounds[1].mean()
    assert bounds[100].mean() > bounds[10].mean() >= elbo.mean()
    assert np.mean(bounds[100] >= elbo) > 0.9


def test_log_weights_match_the_training_loss(run):
    _, vae, data = run
    x = data.x_test[:50]
    estimates = evaluate.estimate(vae, x, k=200, seed=0)
    # The average log-weight estimates the ELBO, which has a closed-form KL.
    mean, log_var = vae.encode(x)
    kl = -0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=1)
    np.testing.assert_allclose(estimates["kl_loss"], kl, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(estimates["elbo"],
                               -(estimates["reconstruction_loss"] + estimates["kl_loss"]))


def test_same_seed_same_numbers(run):
    _, vae, data = run
    a = evaluate.iwae_log_likelihood(vae, data.x_test[:20], k=5, seed=3)
    b = evaluate.iwae_log_likelihood(vae, data.x_test[:20], k=5, seed=3)
    np.testing.assert_array_equal(a, b)


def test_evaluate_run_writes_metrics_and_figures(run, tmp_path):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(run[0], run_dir)
    (run_dir / "metrics.json").write_text(json.dumps({"train_seconds": 1.0}))
    metrics = evaluate.evaluate_run(run_dir, dataset=run[2], k=10, elbo_draws=2,
                                    tour_steps=2, circle_steps=5)
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["train_seconds"] == 1.0  # kept from training
    for key in ("test_neg_elbo", "test_log_likelihood", "test_kl_loss", "iwae_k"):
        assert saved[key] == metrics[key]
    assert metrics["test_log_likelihood"] >= metrics["test_elbo"]
    figures = run_dir / "figures"
    for name in ("reconstructions", "samples", "manifold", "latent_scatter", "latent_walks",
                 "interpolation", "learning_curves"):
        check_image(figures / f"{name}.png", min_variance=0.005)
    check_image(figures / "reconstructions_progress.gif", frames=EPOCHS)
    check_image(figures / "latent_scatter_progress.gif", frames=EPOCHS)
    check_image(figures / "interpolation.gif", frames=6 * 2)
    check_image(figures / "latent_walk.gif", frames=5)


def test_cli_writes_metrics(run, tmp_path, capsys):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(run[0], run_dir)
    metrics = evaluate.main([str(run_dir), "--k", "3", "--elbo-draws", "1", "--max-test", "40",
                             "--no-figures"])
    assert metrics["iwae_k"] == 3 and metrics["test_examples"] == 40
    assert "IWAE log p(x)" in capsys.readouterr().out
    assert json.loads((run_dir / "metrics.json").read_text())["iwae_k"] == 3
    assert not (run_dir / "figures").exists()


@pytest.mark.parametrize("problem", ["missing", "not_a_run", "bad_k", "other_data"])
def test_cli_errors_are_one_line_with_exit_2(problem, tmp_path, capsys, run):
    if problem == "other_data":  # trained on 60,000 images, but only the subset is found
        import shutil

        shutil.copytree(run[0], tmp_path / "run")
        config = json.loads((tmp_path / "run" / "config.json").read_text())
        (tmp_path / "run" / "config.json").write_text(json.dumps({**config, "train_size": 60000}))
    argv = {"missing": [str(tmp_path / "nope")], "not_a_run": [str(tmp_path)],
            "bad_k": [str(run[0]), "--k", "0"], "other_data": [str(tmp_path / "run")]}[problem]
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("python -m vae_keras.evaluate: error:") and "\n" not in err
    assert "Traceback" not in err


def test_frey_face_gaussian_figures(tmp_path, backend):
    faces = np.random.default_rng(0).integers(0, 256, size=(560, 1965), dtype=np.uint8)
    faces[:280] //= 2  # some structure: a darker top half
    scipy.io.savemat(tmp_path / "frey_rawface.mat", {"ff": faces})
    data = load_dataset("frey_face", data_dir=tmp_path)
    assert data.image_shape == (28, 20, 1) and data.y_test is None
    vae = VAE(image_shape=data.image_shape, latent_dim=2, hidden_dim=16,
              likelihood="gaussian", seed=0)
    info = plots.RunInfo("frey_face", 2, backend, 0)
    metrics = evaluate.test_metrics(vae, data.x_test[:20], k=4, elbo_draws=2)
    assert np.isfinite(metrics["log_likelihood"]) and metrics["iwae_k"] == 4
    figures = {
        "samples": plots.samples(vae, info, n=4, ncols=2),
        "reconstructions": plots.reconstructions(vae, data.x_test[:6], info, ncols=3),
        "manifold": latent_plots.manifold(vae, info, n=5),
        "scatter": latent_plots.latent_scatter(vae, data.x_test, None, info),
    }
    assert "Frey Face" in figures["samples"]._suptitle.get_text()
    for name, fig in figures.items():
        fig.savefig(tmp_path / f"{name}.png", dpi=fig.dpi)
        check_image(tmp_path / f"{name}.png", size=figure_size(fig))
    frames = animations.path_animation(vae, animations.circle_codes(np.zeros(2), steps=3), info,
                                       tmp_path / "walk.gif", "walk")
    check_image(tmp_path / "walk.gif", frames=frames)
