"""Static figures of what a VAE learned; each function returns a `matplotlib.figure.Figure`.

Figures are built on `matplotlib.figure.Figure` directly (no pyplot state), so
they work in scripts, tests and servers alike; saving is the caller's choice
(`fig.savefig(path)`). Every figure's title names the data set, latent size,
backend, number of epochs and the metric it shows, from a `RunInfo`. Latent
grids are decoded in one batched `vae.decode` call.
"""

import csv
import dataclasses
import json
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

DPI = 100
DATASET_NAMES = {
    "mnist": "MNIST",
    "mnist_subset": "MNIST subset",
    "fashion_mnist": "Fashion-MNIST",
    "frey_face": "Frey Face",
}
FASHION_CLASSES = ("T-shirt", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """What a figure is about: the run's data set, latent size, backend and epochs.

    `latent_dim` may be a string such as `"2/5/10"` for a figure comparing runs.
    `metrics` holds the run's evaluation numbers (from `metrics.json`), which
    titles quote when they have them.
    """

    dataset: str = "mnist"
    latent_dim: int | str = 2
    backend: str = "?"
    epochs: int | None = None
    metrics: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_run_dir(cls, run_dir):
        """Reads `config.json` (and `metrics.json`, if any) of a training run."""
        run_dir = Path(run_dir)
        config = json.loads((run_dir / "config.json").read_text())
        metrics_path = run_dir / "metrics.json"
        metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
        history = read_history(run_dir / "history.csv")
        epochs = len(history["epoch"]) if history else config.get("epochs")
        # The data the run really used (full MNIST may have fallen back to the
        # bundled subset); runs written before `dataset_used` existed: what was asked.
        dataset = config.get("dataset_used") or config.get("dataset", "mnist")
        return cls(
            dataset=dataset,
            latent_dim=int(config.get("latent_dim", 2)),
            backend=config.get("backend", "?"),
            epochs=epochs,
            metrics=metrics,
        )

    def describe(self):
        epochs = "untrained" if self.epochs == 0 else (
            f"{self.epochs} epoch{'s' * (self.epochs != 1)}" if self.epochs is not None else "? epochs")
        name = DATASET_NAMES.get(self.dataset, self.dataset)
        sizes = "latent sizes" if isinstance(self.latent_dim, str) else "latent size"
        return f"{name} · {sizes} {self.latent_dim} · {self.backend} backend · {epochs}"

    def title(self, metric):
        """Two lines: the metric shown, then the run it comes from."""
        return f"{metric}\n{self.describe()}"

    def quote(self, key, label):
        """`", label = value nats"` if the metric is known, else `""`."""
        value = self.metrics.get(key)
        return f", {label} = {value:.1f} nats" if value is not None else ""


def read_history(path):
    """Reads a Keras `CSVLogger` file into a dict of float arrays ({} if absent)."""
    path = Path(path)
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {key: np.array([float(r[key]) if r[key] not in ("", None) else np.nan for r in rows])
            for key in rows[0]}


def tile(images, ncols, pad=1, pad_value=1.0):
    """Arranges images `(n, H, W[, C])` into one array, row by row, with white gaps."""
    images = np.asarray(images, dtype="float32")
    if images.ndim == 4:
        images = images[..., 0] if images.shape[-1] == 1 else images
    n, h, w = images.shape[:3]
    nrows = -(-n // ncols)
    out = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad, *images.shape[3:]),
                  pad_value, dtype="float32")
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        out[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = image
    return out


def _image_axes(fig, rect=(0.02, 0.02, 0.96, 0.86)):
    ax = fig.add_axes(rect)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def wrap(text, width=90):
    """Wraps a long metric line so titles stay inside their figure."""
    return "\n".join(textwrap.wrap(text, width))


def _grid_figure(grid, info, metric, width=6.0, left=0.0, bottom=0.0):
    """A figure holding one tiled image, its pixels square, with room for the title.

    `left` and `bottom` reserve inches for tick labels.
    """
    title = info.title(wrap(metric, int(width * 14.5)))
    top = 0.2 * (title.count("\n") + 1) + 0.15
    h, w = grid.shape[:2]
    image_width = width - left - 0.1
    image_height = image_width * h / w
    height = image_height + top + bottom + 0.1
    fig = Figure(figsize=(width, height), dpi=DPI)
    ax = _image_axes(fig, (left / width, (bottom + 0.05) / height,
                           image_width / width, image_height / height))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    fig.suptitle(title, fontsize=9, y=1 - 0.05 / height, va="top")
    return fig, ax


def reconstructions(vae, x, info, ncols=10, rows=2):
    """Test images (odd rows) above their reconstructions (even rows).

    The reconstruction decodes the posterior mean of each image.
    """
    x = np.asarray(x[: ncols * rows], dtype="float32")
    recon = vae.reconstruct(x)
    pairs = []
    for r in range(0, len(x), ncols):
        pairs += [x[r: r + ncols], recon[r: r + ncols]]
    grid = tile(np.concatenate(pairs), ncols)
    metric = "reconstructions of test images (decoded posterior means)" + info.quote(
        "test_reconstruction_loss", "test -log p(x|z)")
    fig, ax = _grid_figure(grid, info, metric, left=0.5)
    h = x.shape[1] + 1
    ax.set_yticks([h * (i + 0.5) for i in range(len(pairs))],
                  ["data", "recon."] * (len(pairs) // 2), fontsize=7)
    return fig


def samples(vae, info, n=100, ncols=10, seed=0):
    """Decoded draws z ~ N(0, I): what the generative model imagines."""
    images = vae.sample(n, seed=seed)
    metric = f"{n} samples, decoder mean at z ~ N(0, I), seed {seed}" + info.quote(
        "test_neg_elbo", "test -ELBO")
    return _grid_figure(tile(images, ncols), info, metric)[0]


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
    fig, ax = _grid_figure(grid, info, f"learned manifold: decoder mean on a {n}x{n} "
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
        centred = points - points.mean(axis=0)
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        vt = vt * np.sign(vt[:, :1] + 1e-12)  # a fixed sign: same seed, same figure
        share = s**2 / np.sum(s**2)
        return centred @ vt[:2].T, tuple(f"PC {i + 1} ({share[i]:.0%} of variance)" for i in range(2))
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


def class_names(dataset, labels):
    classes = np.unique(labels)
    if dataset == "fashion_mnist":
        return {c: FASHION_CLASSES[c] for c in classes if 0 <= c < 10}
    return {c: str(c) for c in classes}


def scatter_axes(ax, points, labels, dataset, axis_labels, legend=True, limits=None):
    """Draws 2-D points coloured by label (one colour if `labels` is None)."""
    size = 3 if len(points) > 1000 else 10
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=size, alpha=0.6, color="tab:blue", linewidths=0)
    else:
        names = class_names(dataset, labels)
        for c, name in names.items():
            keep = labels == c
            ax.scatter(points[keep, 0], points[keep, 1], s=size, alpha=0.7, linewidths=0,
                       color=f"C{int(c) % 10}", label=name)
        if legend:
            ax.legend(markerscale=3, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5),
                      frameon=False)
    ax.set_xlabel(axis_labels[0], fontsize=8)
    ax.set_ylabel(axis_labels[1], fontsize=8)
    ax.tick_params(labelsize=7)
    if limits is not None:
        ax.set_xlim(limits[0])
        ax.set_ylim(limits[1])


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
    fig, ax = _grid_figure(tile(images, steps), info, metric, left=0.5, bottom=0.3)
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
    fig, ax = _grid_figure(tile(np.concatenate(rows), steps + 2), info,
                           "interpolation between test images' posterior means: "
                           "linear (lerp) and spherical (slerp) rows, real images at the ends",
                           left=0.5, bottom=0.3)
    h, w = x_a.shape[1:3]
    ax.set_yticks([(h + 1) * (i + 0.5) for i in range(len(rows))],
                  ["lerp", "slerp"] * len(x_a), fontsize=7)
    ax.set_xticks([(w + 1) * 0.5, (w + 1) * (steps + 1.5)], ["x_a", "x_b"], fontsize=7)
    return fig


def neg_elbo(history, prefix=""):
    """-ELBO per epoch: reconstruction + KL (the logged `loss` is beta-weighted)."""
    return history[prefix + "reconstruction_loss"] + history[prefix + "kl_loss"]


def examples_seen(history, train_size):
    """Training examples seen at the end of each logged epoch."""
    return (history["epoch"] + 1) * train_size


def learning_curves(history, info, train_size):
    """Train and test -ELBO against examples seen (log x-axis), and its two terms.

    `history` is the dict of `read_history`; the test curve uses the `val_`
    columns. Like Kingma & Welling's figure 2, but in nats per example.
    """
    seen = examples_seen(history, train_size)
    fig = Figure(figsize=(12, 4), dpi=DPI)
    panels = [("-ELBO (nats)", neg_elbo), ("reconstruction -log p(x|z) (nats)",
              lambda h, p: h[p + "reconstruction_loss"]),
              ("KL(q(z|x) || p(z)) (nats)", lambda h, p: h[p + "kl_loss"])]
    for i, (ylabel, value) in enumerate(panels):
        ax = fig.add_axes((0.06 + i * 0.33, 0.13, 0.26, 0.68))
        ax.plot(seen, value(history, ""), "o-", ms=3, label="train (mean over the epoch)")
        if "val_kl_loss" in history:
            ax.plot(seen, value(history, "val_"), "s--", ms=3, label="test")
        ax.set_xscale("log")
        ax.set_xlabel("training examples seen", fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.suptitle(info.title("learning curves: -ELBO and its reconstruction/KL split"
                            + info.quote("test_neg_elbo", "final test -ELBO")), fontsize=9)
    return fig


def add_learning_curves(figures, folder, info, train_size):
    """Adds `learning_curves` to `figures` if a `history.csv` sits next to `folder`."""
    history = read_history(Path(folder).parent / "history.csv")
    if history:
        figures["learning_curves"] = learning_curves(history, info, train_size)
    return figures


def save_figures(figures, folder):
    """Saves `{name: Figure}` as `folder/name.png` at each figure's dpi; returns the paths."""
    paths = []
    for name, fig in figures.items():
        paths.append(Path(folder) / f"{name}.png")
        fig.savefig(paths[-1], dpi=fig.dpi)
    return paths


def compare_learning_curves(runs, info):
    """Test (solid) and train (dashed) -ELBO of several runs on one log-x plot.

    `runs` maps a label (e.g. `"latent size 5"`) to `(history, train_size)`.
    """
    fig = Figure(figsize=(7, 5), dpi=DPI)
    ax = fig.add_axes((0.11, 0.1, 0.85, 0.74))
    for i, (label, (history, train_size)) in enumerate(runs.items()):
        seen = examples_seen(history, train_size)
        if "val_kl_loss" in history:
            ax.plot(seen, neg_elbo(history, "val_"), "-", color=f"C{i}", label=f"{label}, test")
        ax.plot(seen, neg_elbo(history), "--", color=f"C{i}", alpha=0.7, label=f"{label}, train")
    ax.set_xscale("log")
    ax.set_xlabel("training examples seen", fontsize=8)
    ax.set_ylabel("-ELBO (nats per example)", fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.suptitle(info.title("learning curves per run: test (solid) and train (dashed) -ELBO"),
                 fontsize=9)
    return fig
