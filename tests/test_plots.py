"""Static figures: pixel size, not blank, labelled, reproducible; embeddings and interpolation."""

import dataclasses

import numpy as np
import pytest
from matplotlib.figure import Figure
from scipy.stats import norm

from vae_keras import VAE, curves, latent_plots, plots
from vis_helpers import check_image, figure_size, tiny_run


@pytest.fixture(scope="session")
def run():
    return tiny_run()


@pytest.fixture(scope="session")
def info(run, backend):
    return plots.RunInfo.from_run_dir(run[0])


FIGURES = {
    "reconstructions": lambda vae, data, info: plots.reconstructions(vae, data.x_test[:20], info),
    "samples": lambda vae, data, info: plots.samples(vae, info, n=36, ncols=6, seed=1),
    "manifold": lambda vae, data, info: latent_plots.manifold(vae, info, n=8),
    "manifold_linear": lambda vae, data, info: latent_plots.manifold(vae, info, n=8, spacing="linear",
                                                              extent=2.0),
    "latent_scatter": lambda vae, data, info: latent_plots.latent_scatter(vae, data.x_test,
                                                                   data.y_test, info),
    "latent_walks": lambda vae, data, info: latent_plots.latent_walks(vae, info, steps=7),
    "interpolation": lambda vae, data, info: latent_plots.interpolation(
        vae, data.x_test[:2], data.x_test[2:4], info, steps=6),
    "learning_curves": lambda vae, data, info: curves.learning_curves(
        curves.read_history(info_dir(info) / "history.csv"), info, len(data.x_train)),
}


def info_dir(info):
    return tiny_run()[0]


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_is_sized_labelled_and_not_blank(name, run, info, backend, tmp_path):
    _, vae, data = run
    fig = FIGURES[name](vae, data, info)
    assert isinstance(fig, Figure)
    title = fig._suptitle.get_text()
    for part in ("MNIST subset", "latent size 2", f"{backend} backend", "2 epochs"):
        assert part in title, f"{name}: {part!r} missing from the title {title!r}"
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=fig.dpi)
    check_image(path, size=figure_size(fig), min_variance=0.005)


def test_same_seed_same_figure(run, info):
    _, vae, _ = run
    first, second, other = (plots.samples(vae, info, n=16, ncols=4, seed=s) for s in (3, 3, 4))
    from vae_keras.animations import figure_to_array

    assert np.array_equal(figure_to_array(first), figure_to_array(second))
    assert not np.array_equal(figure_to_array(first), figure_to_array(other))


def test_manifold_lattices():
    normal = latent_plots.manifold_lattice(5, "normal", quantile=0.1)
    np.testing.assert_allclose(normal, norm.ppf(np.linspace(0.1, 0.9, 5)))
    np.testing.assert_allclose(latent_plots.manifold_lattice(3, "linear", extent=2.0), [-2, 0, 2])
    with pytest.raises(ValueError, match="spacing"):
        latent_plots.manifold_lattice(3, "log")


def test_manifold_decodes_the_lattice_in_one_call(run, info):
    _, vae, _ = run
    calls = []

    class Counting:
        def __getattr__(self, name):
            return getattr(vae, name)

        def decode(self, z):
            calls.append(np.asarray(z).shape)
            return vae.decode(z)

    latent_plots.manifold(Counting(), info, n=6)
    assert calls == [(36, 2)]


def test_slerp_and_lerp():
    a, b = np.array([3.0, 0.0]), np.array([0.0, 3.0])
    t = np.linspace(0, 1, 5)
    path = latent_plots.slerp(a, b, t)
    np.testing.assert_allclose(path[0], a, atol=1e-6)
    np.testing.assert_allclose(path[-1], b, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 3.0, rtol=1e-5)  # on the circle
    np.testing.assert_allclose(latent_plots.lerp(a, b, t)[2], [1.5, 1.5])
    np.testing.assert_allclose(latent_plots.slerp(a, 2 * a, t)[2], 1.5 * a, rtol=1e-6)  # parallel


def test_walks_move_at_constant_speed():
    directions = latent_plots.walk_directions(5, num_random=4, seed=0)
    assert directions.shape == (9, 5)
    np.testing.assert_allclose(np.linalg.norm(directions, axis=1), 1.0, rtol=1e-5)
    codes = latent_plots.walk_codes(np.ones(5), directions, steps=7, distance=3.0)
    speeds = np.linalg.norm(np.diff(codes, axis=1), axis=-1)
    np.testing.assert_allclose(speeds, 1.0, rtol=1e-5)
    np.testing.assert_allclose(codes[:, 3], 1.0)  # the start point is the middle column


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_scatter_embeds_larger_latent_spaces(method, run, info, tmp_path):
    _, _, data = run
    vae = VAE(latent_dim=4, hidden_dim=16, seed=0)
    fig = latent_plots.latent_scatter(vae, data.x_test[:60], data.y_test[:60],
                               dataclasses.replace(info, latent_dim=4), method=method,
                               tsne_iterations=250)
    ax = fig.axes[0]
    assert ("PC 1" if method == "pca" else "t-SNE 1") in ax.get_xlabel()
    assert len(ax.get_legend().get_texts()) == len(np.unique(data.y_test[:60]))
    fig.savefig(tmp_path / "scatter.png", dpi=fig.dpi)
    check_image(tmp_path / "scatter.png", size=figure_size(fig))


def test_pca_embedding_keeps_the_most_variance():
    rng = np.random.default_rng(0)
    points = rng.standard_normal((500, 5)) * np.array([5.0, 0.1, 3.0, 0.1, 0.1])
    embedded, labels = latent_plots.embed_2d(points, "pca")
    assert embedded.shape == (500, 2)
    assert embedded[:, 0].var() > embedded[:, 1].var() > 5
    assert "PC 2" in labels[1]
    with pytest.raises(ValueError, match="method"):
        latent_plots.embed_2d(points, "umap")


def test_scatter_without_labels_has_no_legend(run, info):
    _, vae, data = run
    fig = latent_plots.latent_scatter(vae, data.x_test[:50], None, info)
    assert fig.axes[0].get_legend() is None


def test_tile_layout():
    images = np.zeros((5, 3, 2, 1))
    grid = plots.tile(images, ncols=2, pad=1)
    assert grid.shape == (3 * 3 + 2, 2 * 2 + 1)


@pytest.mark.parametrize("config, shown", [
    ({"dataset": "mnist", "dataset_used": "mnist_subset", "train_size": 8000}, "mnist_subset"),
    # The size alone decides nothing: a run on 8,000 images of real full MNIST data is MNIST.
    ({"dataset": "mnist", "dataset_used": "mnist", "train_size": 8000}, "mnist"),
    ({"dataset": "fashion_mnist"}, "fashion_mnist"),  # runs from before dataset_used
])
def test_run_info_names_the_data_the_run_used(tmp_path, config, shown):
    import json

    (tmp_path / "config.json").write_text(json.dumps({"latent_dim": 2, **config}))
    assert plots.RunInfo.from_run_dir(tmp_path).dataset == shown
