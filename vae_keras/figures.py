"""The figure tour of a trained VAE: every figure and animation of a run, in one call.

`write_figures` is what `python -m vae_keras.evaluate` (and the training CLI,
after training) draws into `RUN_DIR/figures/`; the figures themselves are in
`plots.py` and `animations.py`.
"""

from pathlib import Path

import numpy as np


def units_by_use(vae, x):
    """Latent units ordered by the variance of their posterior means over `x`, most used first.

    Returns `(order, means)`: the unit indices, and the posterior means of `x`.
    """
    mean, _ = vae.encode(x)
    return np.argsort(-mean.var(axis=0), kind="stable"), mean


def tour_images(labels, n, count=6):
    """Indices of `count` test images to interpolate through: one per class when labelled."""
    if labels is None:
        return list(range(min(count, n)))
    labels = np.asarray(labels[:n])
    firsts = [int(np.flatnonzero(labels == c)[0]) for c in dict.fromkeys(labels.tolist())]
    return sorted(firsts[:count])


def write_figures(vae, dataset, info, folder, seed=0, snapshots=None, scatter_method="pca",
                  tour_steps=8, circle_steps=36):
    """Draws every figure and animation of a trained model into `folder`; returns the paths.

    PNGs: reconstructions, samples, manifold, latent_scatter, latent_walks,
    interpolation, learning_curves (if `history.csv` is next to `folder`).
    GIFs: reconstructions_progress and latent_scatter_progress (if `snapshots`
    exists), interpolation (a slerp tour through six test images) and
    latent_walk (a circle in the two most used latent units).
    """
    from vae_keras import animations, curves, latent_plots, plots
    from vae_keras.snapshots import load_snapshots

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    x, labels = dataset.x_test, dataset.y_test
    order, means = units_by_use(vae, x[:2000])
    dims = (int(min(order[:2])), int(max(order[:2]))) if vae.latent_dim > 1 else (0, 0)
    figures = {
        "reconstructions": plots.reconstructions(vae, x[:20], info),
        "samples": plots.samples(vae, info, seed=seed),
        "latent_scatter": latent_plots.latent_scatter(vae, x, labels, info, method=scatter_method,
                                               max_points=5000 if scatter_method == "pca" else 2000,
                                               seed=seed),
        "latent_walks": latent_plots.latent_walks(vae, info, start=means[0], seed=seed,
                                           axes=sorted(order[:10]), start_name="test image 0's code"),
        "interpolation": latent_plots.interpolation(vae, x[0:6:2], x[1:6:2], info),
    }
    if vae.latent_dim > 1:
        figures["manifold"] = latent_plots.manifold(vae, info, dims=dims)
    curves.add_learning_curves(figures, folder, info, len(dataset.x_train))
    paths = plots.save_figures(figures, folder)
    snapshots = Path(snapshots) if snapshots is not None else None
    if snapshots is not None and snapshots.is_file():
        record = load_snapshots(snapshots)
        paths.append(folder / "reconstructions_progress.gif")
        animations.reconstruction_progress(record, info, paths[-1])
        paths.append(folder / "latent_scatter_progress.gif")
        animations.scatter_progress(record, info, paths[-1])
    background = dict(background=means, background_labels=None if labels is None
                      else np.asarray(labels[: len(means)]), dims=dims if dims[0] != dims[1]
                      else (0, 0))
    tour = tour_images(labels, len(means))
    spherical = vae.latent_dim > 2  # in 2-D a straight line reads more clearly
    paths.append(folder / "interpolation.gif")
    animations.path_animation(
        vae, animations.interpolation_codes(means[tour], tour_steps, spherical), info,
        paths[-1], f"{'spherical' if spherical else 'linear'} interpolation through the codes "
        f"of test images {', '.join(map(str, tour))}, shown in z[{dims[0]}], z[{dims[1]}]",
        **background)
    if vae.latent_dim > 1:
        paths.append(folder / "latent_walk.gif")
        animations.path_animation(
            vae, animations.circle_codes(np.zeros(vae.latent_dim), dims, 1.5, circle_steps),
            info, paths[-1], f"walk at constant speed around a circle of radius 1.5 in "
            f"z[{dims[0]}], z[{dims[1]}] (the most used units; others at 0)", **background)
    return paths
