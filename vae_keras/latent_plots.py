"""Figures of the latent space: the manifold, the scatter of codes, walks and interpolations.

Like `plots.py`, each function returns a `matplotlib.figure.Figure` whose title
names the run (a `plots.RunInfo`); latent grids are decoded in one batched
`vae.decode` call.
"""

import numpy as np
from matplotlib.figure import Figure

from vae_keras.plots import DPI, grid_figure, scatter_axes, tile


def manifold_lattice(n=20, spacing="normal", extent=3.0, quantile=0.05):
    """The coordinates of one lattice axis.

    `"normal"` maps equally spaced probabilities in `[quantile, 1 - quantile]`
    through the Gaussian inverse CDF (Kingma & Welling, figure 4), so each cell
    holds the same prior mass; `"linear"` spaces `n` points evenly in
    `[-extent, extent]`.
    """
    if spacing == "normal":
        from scipy.stats import norm

        return norm.ppf(np.linspace(quantile, 1 - quantile, n))
    if spacing == "linear":
        return np.linspace(-extent, extent, n)
    raise ValueError(f"spacing must be 'normal' or 'linear', got {spacing!r}")


def manifold(vae, info, n=20, spacing="normal", extent=3.0, dims=(0, 1)):
    """Decodes a lattice of latent points: the learned data manifold.

    For a 2-D latent space this is the whole manifold. For larger ones the
    lattice spans latent units `dims` with the other units at 0 (the prior's
    mean); the axis labels say which.
    """
    values = manifold_lattice(n, spacing, extent)
    d0, d1 = dims
    z = np.zeros((n, n, vae.latent_dim), "float32")
    z[..., d0] = values[None, :]          # columns: z[d0] grows to the right
    z[..., d1] = values[::-1, None]       # rows: z[d1] grows upwards
    images = vae.decode(z.reshape(-1, vae.latent_dim))  # one batched call
    grid = tile(images, n, pad=0)
    spacing_text = ("Gaussian inverse-CDF lattice" if spacing == "normal"
                    else f"linear lattice in [-{extent:g}, {extent:g}]")
    others = "" if vae.latent_dim == 2 else f", other {vae.latent_dim - 2} units at 0"
    fig, ax = grid_figure(grid, info, f"learned manifold: decoder mean on a {n}x{n} "
                           f"{spacing_text}{others}", width=7.0, left=0.6, bottom=0.5)
    h, w = images.shape[1:3]
    ticks = np.arange(n)[:: max(1, n // 7)]
    ax.set_xticks(w * (ticks + 0.5), [f"{values[t]:.2g}" for t in ticks], fontsize=7)
    ax.set_yticks(h * (ticks + 0.5), [f"{values[::-1][t]:.2g}" for t in ticks], fontsize=7)
    ax.set_xlabel(f"z[{d0}]", fontsize=8)
    ax.set_ylabel(f"z[{d1}]", fontsize=8)
    return fig


def embed_2d(points, method="pca", seed=0, tsne_iterations=1000):
    """Projects latent codes to 2-D: `"pca"` (NumPy SVD) or `"tsne"` (scikit-learn).

    Returns `(embedding, axis_labels)`. 1- and 2-D codes are shown as they are.
    """
    points = np.asarray(points, dtype="float64")
    if points.shape[1] == 1:
        jitter = np.random.default_rng(seed).uniform(-0.5, 0.5, len(points))
        return np.column_stack([points[:, 0], jitter]), ("z[0]", "random jitter")
    if points.shape[1] == 2:
        return points, ("z[0]", "z[1]")
    if method == "pca":
        project, share = pca_2d(points)
        return project(points), tuple(f"PC {i + 1} ({share[i]:.0%} of variance)" for i in range(2))
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            raise ImportError("t-SNE needs scikit-learn: pip install scikit-learn") from None
        perplexity = min(30.0, max(2.0, (len(points) - 1) / 3))
        tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed,
                    max_iter=tsne_iterations)
        return tsne.fit_transform(points), ("t-SNE 1", "t-SNE 2")
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def pca_2d(points):
    """Fits a 2-D PCA to `points` (n, d); returns `(project, share)`.

    `project(p)` maps other points of the same size d onto the two principal
    axes (fitted once, so frames of an animation share them); `share` is each
    axis's fraction of the variance. Each axis's sign is fixed (same data,
    same figure).
    """
    points = np.asarray(points, dtype="float64")
    centre = points.mean(axis=0)
    _, s, vt = np.linalg.svd(points - centre, full_matrices=False)
    axes = (vt * np.sign(vt[:, :1] + 1e-12))[:2]
    share = s**2 / np.sum(s**2)
    return (lambda p: (np.asarray(p, dtype="float64") - centre) @ axes.T), share[:2]


def latent_scatter(vae, x, labels, info, method="pca", max_points=5000, seed=0,
                   tsne_iterations=1000):
    """Posterior means of test images, coloured by label, in 2-D.

    Latent sizes above 2 are embedded with `method`: `"pca"` or `"tsne"`
    (t-SNE is slow: give it at most a few thousand points; at most
    `max_points` are shown, chosen with `seed`).
    """
    x = np.asarray(x)
    if len(x) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(x), max_points, replace=False))
        x = x[keep]
        labels = None if labels is None else np.asarray(labels)[keep]
    mean, _ = vae.encode(x)
    points, axis_labels = embed_2d(mean, method, seed, tsne_iterations)
    fig = Figure(figsize=(6.5, 5.5), dpi=DPI)
    ax = fig.add_axes((0.11, 0.09, 0.72, 0.76))
    scatter_axes(ax, points, None if labels is None else np.asarray(labels), info.dataset,
                 axis_labels)
    how = "" if vae.latent_dim <= 2 else f", {'PCA' if method == 'pca' else 't-SNE'} of the means"
    fig.suptitle(info.title(f"posterior means E[z|x] of {len(x)} test images{how}"
                            + info.quote("test_kl_loss", "test KL")), fontsize=9)
    return fig


def walk_directions(latent_dim, num_random=4, seed=0):
    """Unit vectors: each latent axis, then `num_random` seeded random directions."""
    axes = np.eye(latent_dim)
    random = np.random.default_rng(seed).standard_normal((num_random, latent_dim))
    random /= np.linalg.norm(random, axis=1, keepdims=True)
    return np.concatenate([axes, random]).astype("float32")


def walk_codes(start, directions, steps=11, distance=3.0):
    """Codes along straight walks through `start`, at constant speed.

    Row i walks from `start - distance * u_i` to `start + distance * u_i` in
    `steps` equal steps (odd `steps` put `start` in the middle column).
    Returns an array `(len(directions), steps, latent_dim)`.
    """
    t = np.linspace(-distance, distance, steps, dtype="float32")
    return np.asarray(start, "float32")[None, None] + t[None, :, None] * directions[:, None, :]


def latent_walks(vae, info, start=None, steps=11, distance=3.0, axes=None, seed=0,
                 start_name="the origin"):
    """Walks through `start` along latent axes and in four random directions.

    Every row moves at the same speed (`2 * distance / (steps - 1)` per image).
    `axes` lists the latent units to walk along (default: all, at most 10).
    """
    start = np.zeros(vae.latent_dim, "float32") if start is None else np.asarray(start, "float32")
    axes = list(range(min(vae.latent_dim, 10))) if axes is None else [int(a) for a in axes]
    directions = walk_directions(vae.latent_dim, 4, seed)
    names = [f"z[{i}]" for i in axes] + [f"u{i + 1}" for i in range(4)]
    directions = np.concatenate([directions[axes], directions[-4:]])
    codes = walk_codes(start, directions, steps, distance)
    images = vae.decode(codes.reshape(-1, vae.latent_dim))  # one batched call
    walked = ("each axis" if len(axes) == vae.latent_dim
              else f"{len(axes)} of the {vae.latent_dim} axes")
    metric = (f"latent walks through {start_name}: {walked}, then 4 random unit directions "
              f"u1-u4 (seed {seed}); step {2 * distance / (steps - 1):.2g}")
    fig, ax = grid_figure(tile(images, steps), info, metric, left=0.5, bottom=0.3)
    h, w = images.shape[1:3]
    ax.set_yticks([(h + 1) * (i + 0.5) for i in range(len(names))], names, fontsize=7)
    ticks = [0, steps // 2, steps - 1]
    ax.set_xticks([(w + 1) * (t + 0.5) for t in ticks],
                  [f"{-distance:+g}", "start", f"{distance:+g}"], fontsize=7)
    return fig


def slerp(a, b, t):
    """Spherical interpolation between vectors `a` and `b` at fractions `t`.

    Moves along the great circle through `a` and `b` (scaling the radius
    linearly), which keeps intermediate codes at a typical distance from the
    origin for a Gaussian prior. Falls back to straight lines when `a` and `b`
    are nearly parallel. Returns `(len(t), dim)`.
    """
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    t = np.asarray(t, "float64")[:, None]
    cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return ((1 - t) * a + t * b).astype("float32")
    return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype("float32")


def lerp(a, b, t):
    """Straight-line interpolation between vectors `a` and `b` at fractions `t`."""
    t = np.asarray(t, "float32")[:, None]
    return (1 - t) * np.asarray(a, "float32") + t * np.asarray(b, "float32")


def interpolation(vae, x_a, x_b, info, steps=10):
    """Decodes linear and spherical paths between the codes of pairs of test images.

    For each pair `(x_a[i], x_b[i])`: a row of linear, then a row of spherical
    interpolation between their posterior means, framed by the two real images.
    """
    x_a, x_b = np.asarray(x_a), np.asarray(x_b)
    mean_a, _ = vae.encode(x_a)
    mean_b, _ = vae.encode(x_b)
    t = np.linspace(0, 1, steps)
    codes = np.concatenate([f(a, b, t) for a, b in zip(mean_a, mean_b) for f in (lerp, slerp)])
    decoded = vae.decode(codes).reshape(len(x_a) * 2, steps, *x_a.shape[1:])  # one call
    rows = [np.concatenate([x_a[i // 2][None], decoded[i], x_b[i // 2][None]])
            for i in range(len(decoded))]
    fig, ax = grid_figure(tile(np.concatenate(rows), steps + 2), info,
                           "interpolation between test images' posterior means: "
                           "linear (lerp) and spherical (slerp) rows, real images at the ends",
                           left=0.5, bottom=0.3)
    h, w = x_a.shape[1:3]
    ax.set_yticks([(h + 1) * (i + 0.5) for i in range(len(rows))],
                  ["lerp", "slerp"] * len(x_a), fontsize=7)
    ax.set_xticks([(w + 1) * 0.5, (w + 1) * (steps + 1.5)], ["x_a", "x_b"], fontsize=7)
    return fig
