"""Figures that compare runs (sweeps, collapse) and the reparameterization diagram.

Like `vae_keras.plots`, every function returns a `matplotlib.figure.Figure`,
drawn at twice the screen resolution so that titles and ticks stay legible.
"""

import math

import numpy as np
from matplotlib.figure import Figure

from vae_keras.plots import tile

DPI = 200


def sample_panels(grids, info, metric, ncols=8, panels_per_row=3):
    """One panel of images per run (`grids` maps a title to images), in rows of panels."""
    count = len(grids)
    cols = min(count, panels_per_row if count != 4 else 2)
    rows = math.ceil(count / cols)
    fig = Figure(figsize=(3.3 * cols, 3.55 * rows + 0.7), dpi=DPI)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.75 / (3.55 * rows + 0.7),
                        wspace=0.04, hspace=0.16)
    for i, (title, images) in enumerate(grids.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(tile(images, ncols), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.suptitle(info.title(metric), fontsize=10, y=0.995, va="top")
    return fig


def image_rows(rows, info, metric):
    """One row of images per entry of `rows` (label -> images), the label on the left."""
    count = len(rows)
    n = max(len(v) for v in rows.values())
    height = 0.75 * count + 0.75
    left = 0.9 + 0.075 * max(len(label) for label in rows)  # inches for the row labels
    width = left + 0.1 + 0.68 * n
    fig = Figure(figsize=(width, height), dpi=DPI)
    for r, (label, images) in enumerate(rows.items()):
        top = 1 - (0.7 + 0.75 * r) / height
        ax = fig.add_axes((left / width, top - 0.7 / height, 0.68 * n / width, 0.7 / height))
        ax.imshow(tile(images, n), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.suptitle(info.title(metric), fontsize=9, y=0.995, va="top")
    return fig


def rate_distortion(rows, info):
    """Test KL (rate) against reconstruction loss (distortion), a point per beta.

    `rows` are dicts with `beta`, `test_kl_loss`, `test_reconstruction_loss`.
    Dashed lines are constant -ELBO = distortion + rate: the ELBO (beta = 1)
    prefers the point on the lowest of them.
    """
    rows = sorted(rows, key=lambda r: r["beta"])
    rate = np.array([r["test_kl_loss"] for r in rows])
    distortion = np.array([r["test_reconstruction_loss"] for r in rows])
    fig = Figure(figsize=(6.4, 4.6), dpi=DPI // 1.5)
    ax = fig.add_axes((0.12, 0.12, 0.84, 0.72))
    ax.plot(rate, distortion, "o-", color="tab:blue")
    for r, d, row in zip(rate, distortion, rows):
        ax.annotate(f"beta = {row['beta']:g}\n-ELBO {r + d:.1f}", (r, d), textcoords="offset points",
                    xytext=(6, 4), fontsize=8)
    best = float(np.min(rate + distortion))
    span = np.linspace(0, rate.max() * 1.15, 50)
    for level in (best, best + 10, best + 30):
        ax.plot(span, level - span, "--", color="0.6", lw=0.8)
    ax.text(span[-1], best - span[-1], "  -ELBO = D + R\n  constant", fontsize=7, color="0.4",
            va="center")
    ax.set(xlim=(0, rate.max() * 1.35), ylim=(distortion.min() - 5, distortion.max() + 10))
    ax.set_xlabel("rate R: KL(q(z|x) || p(z)), nats per test image", fontsize=9)
    ax.set_ylabel("distortion D: -E_q log p(x|z), nats", fontsize=9)
    ax.grid(alpha=0.3)
    fig.suptitle(info.title("rate against distortion: one training run per beta"), fontsize=9)
    return fig


def kl_per_unit(runs, info):
    """Sorted per-unit KL on the test images for several runs (`runs`: label -> (latent,) KLs)."""
    fig = Figure(figsize=(7.0, 4.0), dpi=DPI // 1.5)
    ax = fig.add_axes((0.14, 0.3, 0.83, 0.55))
    width = 0.8 / len(runs)
    for i, (label, kl) in enumerate(runs.items()):
        kl = np.sort(np.asarray(kl))[::-1]
        ax.bar(np.arange(1, len(kl) + 1) + (i - (len(runs) - 1) / 2) * width, kl, width,
               label=label)
        size = len(kl)
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_xticks(range(1, size + 1, max(1, size // 10)))
    ax.set_xlabel("latent units, sorted by their KL (1 = the largest)", fontsize=9)
    ax.set_ylabel("KL per unit, nats\n(linear below 0.01, log above)", fontsize=9)
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.grid(alpha=0.3, axis="y")
    fig.suptitle(info.title("the KL of each latent unit, averaged over test images"), fontsize=9)
    return fig


def reparameterization_graph():
    """The computational graph of z ~ q(z|x), without and with the reparameterization trick."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fig = Figure(figsize=(11.0, 4.4), dpi=DPI // 1.25)
    styles = {"det": dict(fc="#e8eefc", ec="#3553a5"), "rand": dict(fc="#fde8e4", ec="#b2432f"),
              "in": dict(fc="#eeeeee", ec="#555555"), "loss": dict(fc="#e9f6e9", ec="#2e7d32")}

    def panel(ax, title, nodes, edges, grads, note):
        ax.set_xlim(0, 12.9)
        ax.set_ylim(0, 6)
        ax.axis("off")
        ax.set_title(title, fontsize=11)
        for key, (x, y, text, kind) in nodes.items():
            w = 0.16 * len(text) + 0.5
            ax.add_patch(FancyBboxPatch((x - w / 2, y - 0.32), w, 0.64,
                                        boxstyle="round,pad=0.2", lw=1.4,
                                        ls="-" if kind != "rand" else (0, (3, 1.5)),
                                        **styles[kind]))
            ax.text(x, y, text, ha="center", va="center", fontsize=9)
        points = 0.49 * 11.0 * 72 / 12.9  # points per data unit, for the arrows' ends

        def shrink(key, y_other):
            x, y, text, _ = nodes[key]
            half = (0.16 * len(text) + 0.9) / 2 if abs(y - y_other) < 0.1 else 0.6
            return half * points

        for a, b in edges:
            (x0, y0), (x1, y1) = nodes[a][:2], nodes[b][:2]
            ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12,
                                         shrinkA=shrink(a, y1), shrinkB=shrink(b, y0), lw=1.2,
                                         color="0.25"))
        for a, b, ok in grads:
            (x0, y0), (x1, y1) = nodes[a][:2], nodes[b][:2]
            ax.add_patch(FancyArrowPatch((x0 + 0.15, y0 - 0.45), (x1 + 0.15, y1 - 0.45),
                                         arrowstyle="-|>", mutation_scale=10, shrinkA=18,
                                         shrinkB=18, lw=1.4, ls="--",
                                         color="tab:green" if ok else "tab:red",
                                         connectionstyle="arc3,rad=-0.25"))
        ax.text(6.45, 0.25, note, ha="center", va="bottom", fontsize=8.5, wrap=True)

    left = fig.add_axes((0.0, 0.04, 0.49, 0.8))
    right = fig.add_axes((0.51, 0.04, 0.49, 0.8))
    common = {"x": (1.1, 3.5, "image x", "in"), "enc": (3.5, 3.5, "encoder", "det"),
              "dec": (9.2, 3.5, "decoder", "det"), "loss": (11.6, 3.5, "-ELBO", "loss")}
    panel(left, "sampling z directly: no path for gradients",
          {**common, "z": (6.3, 3.5, "z ~ N(μ, σ²)", "rand")},
          [("x", "enc"), ("enc", "z"), ("z", "dec"), ("dec", "loss")],
          [("loss", "dec", True), ("dec", "z", True), ("z", "enc", False)],
          "z is a random node: ∂z/∂μ and ∂z/∂σ are undefined for a draw,\n"
          "so the encoder gets no gradient from the reconstruction term.")
    panel(right, "reparameterized: z = μ + σ ⊙ ε",
          {**common, "mu": (5.4, 5.0, "μ, log σ²", "det"), "eps": (5.4, 1.9, "ε ~ N(0, I)", "rand"),
           "z": (7.5, 3.5, "z = μ + σ ⊙ ε", "det"), "dec": (10.1, 3.5, "decoder", "det"),
           "loss": (12.1, 3.5, "-ELBO", "loss")},
          [("x", "enc"), ("enc", "mu"), ("mu", "z"), ("eps", "z"), ("z", "dec"), ("dec", "loss")],
          [("loss", "dec", True), ("dec", "z", True), ("z", "mu", True), ("mu", "enc", True)],
          "The noise ε is an input, not a node to differentiate: z is a deterministic,\n"
          "differentiable function of μ and σ, so ∂z/∂μ = 1 and ∂z/∂σ = ε.")
    fig.text(0.5, 0.985, "The reparameterization trick. Solid arrows: the forward computation. "
             "Dashed arrows: gradients flowing back (green: defined, red: blocked).\n"
             "Red boxes (dashed outline) are random draws; blue boxes are deterministic "
             "functions that backpropagation can differentiate.",
             ha="center", va="top", fontsize=10)
    return fig
