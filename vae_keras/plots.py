"""Figures of what a VAE learned, and the pieces every figure shares.

Here: `RunInfo` (what a figure's title says about its run), image grids, the
reconstructions and samples figures, the labelled scatter, saving. The
latent-space figures are in `latent_plots.py`, the learning curves in
`curves.py`, the animations in `animations.py`. Each figure function returns a
`matplotlib.figure.Figure`.

Figures are built on `matplotlib.figure.Figure` directly (no pyplot state), so
they work in scripts, tests and servers alike; saving is the caller's choice
(`fig.savefig(path)`). Every figure's title names the data set, latent size,
backend, number of epochs and the metric it shows, from a `RunInfo`. Latent
grids are decoded in one batched `vae.decode` call.
"""

import dataclasses
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from vae_keras import runs

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
        from vae_keras.curves import read_history

        config = runs.read_config(run_dir)
        metrics = runs.read_metrics(run_dir)
        history = read_history(run_dir / runs.HISTORY)
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


def interleave_rows(top, bottom, ncols):
    """Rows of `top` images, each followed by the matching row of `bottom` (e.g. data, recon.)."""
    pairs = []
    for r in range(0, len(top), ncols):
        pairs += [top[r: r + ncols], bottom[r: r + ncols]]
    return np.concatenate(pairs)


def image_axes(fig, rect=(0.02, 0.02, 0.96, 0.86)):
    """Axes at `rect` (figure fractions) for an image: no ticks, no frame."""
    ax = fig.add_axes(rect)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def wrap(text, width=90):
    """Wraps a long metric line so titles stay inside their figure."""
    return "\n".join(textwrap.wrap(text, width))


def grid_figure(grid, info, metric, width=6.0, left=0.0, bottom=0.0):
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
    ax = image_axes(fig, (left / width, (bottom + 0.05) / height,
                           image_width / width, image_height / height))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    fig.suptitle(title, fontsize=9, y=1 - 0.05 / height, va="top")
    return fig, ax


def reconstructions(vae, x, info, ncols=10, rows=2):
    """Test images (odd rows) above their reconstructions (even rows).

    The reconstruction decodes the posterior mean of each image.
    """
    x = np.asarray(x[: ncols * rows], dtype="float32")
    grid = tile(interleave_rows(x, vae.reconstruct(x), ncols), ncols)
    metric = "reconstructions of test images (decoded posterior means)" + info.quote(
        "test_reconstruction_loss", "test -log p(x|z)")
    fig, ax = grid_figure(grid, info, metric, left=0.5)
    h, rows = x.shape[1] + 1, -(-len(x) // ncols)
    ax.set_yticks([h * (i + 0.5) for i in range(2 * rows)], ["data", "recon."] * rows, fontsize=7)
    return fig


def samples(vae, info, n=100, ncols=10, seed=0):
    """Decoded draws z ~ N(0, I): what the generative model imagines."""
    images = vae.sample(n, seed=seed)
    metric = f"{n} samples, decoder mean at z ~ N(0, I), seed {seed}" + info.quote(
        "test_neg_elbo", "test -ELBO")
    return grid_figure(tile(images, ncols), info, metric)[0]


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


def save_figures(figures, folder):
    """Saves `{name: Figure}` as `folder/name.png` at each figure's dpi; returns the paths.

    Each file is written whole or not at all (`runs.atomic_path`).
    """
    from vae_keras import runs

    paths = []
    for name, fig in figures.items():
        paths.append(Path(folder) / f"{name}.png")
        with runs.atomic_path(paths[-1]) as tmp:
            fig.savefig(tmp, dpi=fig.dpi, format="png")
    return paths
