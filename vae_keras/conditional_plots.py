"""Figures of a trained `ConditionalVAE`; each function returns a `matplotlib.figure.Figure`.

The class-by-style grid decodes every label with the same style codes, style
transfer decodes a test digit's code with every label, and the latent scatter
shows what z holds once the label is given. Grids are decoded in one batched
call; titles come from a `plots.RunInfo`, as for the VAE's figures.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from vae_keras import curves, latent_plots, plots


def class_by_style(vae, info, codes=None, n_styles=10, seed=0, code_name=None):
    """Row c decodes every style code with label c: digits down, styles across.

    Args:
        vae: A trained `ConditionalVAE`.
        info: The run's `plots.RunInfo`.
        codes: Style codes `(n, latent_dim)`; default `n_styles` draws from
            the prior N(0, I) with `seed`.
        code_name: What the columns are, for the title.
    """
    if codes is None:
        codes = np.random.default_rng(seed).standard_normal((n_styles, vae.latent_dim))
        code_name = code_name or f"z ~ N(0, I), seed {seed}"
    codes = np.asarray(codes, dtype="float32")
    n, classes = len(codes), vae.num_classes
    z = np.tile(codes, (classes, 1))                  # row c: codes 0..n-1
    labels = np.repeat(np.arange(classes), n)         # row c: label c
    images = vae.decode(z, labels)                    # one batched call
    metric = (f"conditional VAE: each row one label y, each column one style code "
              f"({code_name}), decoder mean of p(x | z, y)"
              + info.quote("test_neg_elbo", "test -ELBO (given y)"))
    fig, ax = plots.grid_figure(plots.tile(images, n), info, metric, left=0.35, bottom=0.3)
    h, w = images.shape[1:3]
    ax.set_yticks([(h + 1) * (c + 0.5) for c in range(classes)],
                  [f"y={c}" for c in range(classes)], fontsize=7)
    ax.set_xticks([(w + 1) * (j + 0.5) for j in range(n)], [str(j) for j in range(n)],
                  fontsize=7)
    ax.set_xlabel("style code", fontsize=8)
    return fig


def style_transfer(vae, x, labels, info):
    """Each row: a test image, then its code (encoded with its own label) decoded with every label.

    The cell of the image's own label (its reconstruction) is framed in red.
    """
    x = np.asarray(x, dtype="float32")
    labels = np.asarray(labels)
    classes = vae.num_classes
    mean, _ = vae.encode(x, labels)                          # q(z | x, y): the style
    decoded = vae.decode(np.repeat(mean, classes, axis=0),   # the same code ...
                         np.tile(np.arange(classes), len(x)))  # ... with every label
    decoded = decoded.reshape(len(x), classes, *decoded.shape[1:])
    blank = np.ones_like(x[:, None])
    rows = np.concatenate([x[:, None], blank, decoded], axis=1)  # input, gap, labels
    ncols = classes + 2
    metric = ("conditional VAE style transfer: a test digit (left), its posterior mean "
              "E[z | x, y] decoded with every label y (red: its own label)"
              + info.quote("test_reconstruction_loss", "test -log p(x|z,y)"))
    fig, ax = plots.grid_figure(plots.tile(rows.reshape(-1, *x.shape[1:]), ncols), info,
                                 metric, left=0.1, bottom=0.3)
    h, w = x.shape[1:3]
    columns = [0, *range(2, ncols)]  # column 1 is the gap
    ax.set_xticks([(w + 1) * (j + 0.5) for j in columns],
                  ["input"] + [f"y={c}" for c in range(classes)], fontsize=7)
    for r, y in enumerate(labels):
        ax.add_patch(Rectangle(((w + 1) * (int(y) + 2) - 1, (h + 1) * r - 1), w + 1, h + 1,
                               fill=False, edgecolor="red", linewidth=1.2))
    return fig


def latent_scatter(vae, x, labels, info, method="pca", max_points=5000, seed=0):
    """Posterior means E[z | x, y] of test images coloured by label (2-D, or embedded)."""
    x, labels = np.asarray(x), np.asarray(labels)
    if len(x) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(x), max_points, replace=False))
        x, labels = x[keep], labels[keep]
    mean, _ = vae.encode(x, labels)
    points, axis_labels = latent_plots.embed_2d(mean, method, seed)
    fig = Figure(figsize=(6.5, 5.5), dpi=plots.DPI)
    ax = fig.add_axes((0.11, 0.09, 0.72, 0.76))
    plots.scatter_axes(ax, points, labels, info.dataset, axis_labels)
    how = "" if vae.latent_dim <= 2 else f", {'PCA' if method == 'pca' else 't-SNE'}"
    fig.suptitle(info.title(plots.wrap(
        f"conditional VAE: posterior means E[z|x,y] of {len(x)} test images{how}; "
        "the label is given, so z need not separate the digits"
        + info.quote("test_kl_loss", "test KL"))), fontsize=9)
    return fig


def first_of_each_class(labels, classes):
    """Index of the first example of each class present in `labels`, in class order."""
    labels = np.asarray(labels)
    return [int(np.flatnonzero(labels == c)[0]) for c in range(classes) if (labels == c).any()]


def write_figures(vae, dataset, info, folder, seed=0):
    """Draws the conditional run's figures into `folder`; returns the paths.

    PNGs: class_by_style, style_transfer (the first test image of each class),
    latent_scatter, and learning_curves if `history.csv` is next to `folder`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    x, y = dataset.x_test, dataset.y_test
    rows = first_of_each_class(y, vae.num_classes)
    figures = {
        "class_by_style": class_by_style(vae, info, seed=seed),
        "style_transfer": style_transfer(vae, x[rows], y[rows], info),
        "latent_scatter": latent_scatter(vae, x, y, info, seed=seed),
    }
    curves.add_learning_curves(figures, folder, info, len(dataset.x_train))
    paths = plots.save_figures(figures, folder)
    return paths
