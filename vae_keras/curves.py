"""Learning curves: the ELBO per epoch, read from a run's `history.csv`, like the paper's figure 2."""

import csv
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from vae_keras import runs
from vae_keras.plots import DPI


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
    history = read_history(Path(folder).parent / runs.HISTORY)
    if history:
        figures["learning_curves"] = learning_curves(history, info, train_size)
    return figures


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
