"""Exact log p(x) of a 2-D VAE by integrating over a latent grid, beside the ELBO and IWAE bounds.

Usage: python -m vae_keras.exact RUN_DIR [--images 1000] [--spacing 0.025]

With two latent units the marginal likelihood

    p(x) = integral p(x|z) p(z) dz

is a 2-D integral, which a fine grid computes to a small fraction of a nat:
decode every grid code once, then for a Bernoulli decoder with logits l,

    log p(x|z) = sum_i x_i l_i - softplus(l_i)   (a matrix product over pixels)

gives log p(x, z) for all images and all codes at once. The same grid gives the
true posterior p(z|x) = p(x, z) / p(x), which `posterior_figure` draws against
the encoder's q(z|x). Writes `RUN_DIR/exact/exact.json` and `posteriors.png`.
"""

import math
import sys
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # an unknown KERAS_BACKEND: one line, before Keras loads
    from vae_keras.cli import check_backend

    check_backend()

from vae_keras import runs  # noqa: E402
from vae_keras.cli import (  # noqa: E402
    ArgumentParser,
    existing_dir,
    load_run_or_fail,
    positive_float,
    positive_int,
    seed_int,
)

LOG_2PI = math.log(2.0 * math.pi)
DEFAULT_SPACING = 0.025  # about 6 grid codes per posterior standard deviation (0.15 here)
MIN_EXTENT = 5.0         # the grid spans at least [-5, 5]^2: prior mass outside is 1e-6
MAX_EXTENT = 8.0         # and at most [-8, 8]^2: the prior density there is e^-32 of its peak
DEFAULT_KS = (10, 100, 1000)


def _check(vae):
    if vae.latent_dim != 2 or vae.likelihood != "bernoulli":
        raise ValueError("exact integration needs a 2-D latent space and a Bernoulli decoder, "
                         f"got latent size {vae.latent_dim} and a {vae.likelihood} decoder")


def auto_extent(vae, x):
    """Half-width of a square grid: the prior's [-5, 5]^2 and every q(z|x) to 8 std, at most 8.

    The cap keeps the grid small for an untrained encoder, whose q(z|x) can be
    far wider than the true posterior; `bounds_table` measures what a wider
    grid would add.
    """
    mean, log_var = vae.encode(x)
    reach = float(np.max(np.abs(mean) + 8.0 * np.exp(0.5 * log_var)))
    return min(MAX_EXTENT, max(MIN_EXTENT, reach))


def grid(extent, spacing=DEFAULT_SPACING):
    """`(axis, codes, cell_area)`: codes `spacing` apart on [-extent, extent]^2, row-major in z[1]."""
    n = 2 * int(math.ceil(extent / spacing)) + 1
    axis = np.linspace(-(n // 2) * spacing, (n // 2) * spacing, n)
    z1, z0 = np.meshgrid(axis, axis, indexing="ij")
    return axis, np.stack([z0.ravel(), z1.ravel()], axis=-1), (axis[1] - axis[0]) ** 2


def log_joint(vae, x, codes, chunk=4096):
    """log p(x_n, z_g) for images `x` (N) and codes `z_g` (G), shape `(N, G)`, float64.

    Decodes the codes in chunks; log p(x|z) is one matrix product per chunk.
    """
    from keras import ops

    _check(vae)
    x = np.asarray(x, "float32").reshape(len(x), -1)
    out = np.empty((len(x), len(codes)))
    for i in range(0, len(codes), chunk):
        z = np.asarray(codes[i: i + chunk], "float32")
        logits = ops.convert_to_numpy(vae.decoder(z, training=False)).reshape(len(z), -1)
        softplus = np.logaddexp(0.0, logits.astype("float64")).sum(axis=1)
        log_prior = -0.5 * np.sum(z.astype("float64") ** 2, axis=1) - LOG_2PI
        out[:, i: i + len(z)] = (x @ logits.T).astype("float64") - softplus + log_prior
    return out


def log_marginal(vae, x, extent, spacing=DEFAULT_SPACING, chunk=4096):
    """log p(x) per image (NumPy, nats), by the grid sum of p(x, z) times the cell area.

    Streams over the grid with a running log-sum-exp: memory grows with the
    number of images, not with the grid.
    """
    _, codes, area = grid(extent, spacing)
    x = np.asarray(x, "float32")
    top = np.full(len(x), -np.inf)
    total = np.zeros(len(x))
    for i in range(0, len(codes), chunk):
        values = log_joint(vae, x, codes[i: i + chunk], chunk)
        new_top = np.maximum(top, values.max(axis=1))
        total = total * np.exp(top - new_top) + np.exp(values - new_top[:, None]).sum(axis=1)
        top = new_top
    return top + np.log(total) + math.log(area)


def true_posterior(vae, image, extent, spacing=DEFAULT_SPACING):
    """`(axis, density)`: p(z | x) of one image on the grid, density shape `(n, n)`, [z1, z0]."""
    axis, codes, area = grid(extent, spacing)
    values = log_joint(vae, np.asarray(image)[None], codes)[0]
    density = np.exp(values - values.max())
    return axis, (density / (density.sum() * area)).reshape(len(axis), len(axis))


def bounds_table(vae, x, ks=DEFAULT_KS, spacing=DEFAULT_SPACING, extent=None, seed=0,
                 elbo_draws=100):
    """Per-image ELBO, L_k for each k, and exact log p(x) (dict of NumPy arrays, nats).

    Two checks of the integral: `log_px_coarse`, on a grid twice as coarse,
    and `log_px_wider`, on a grid 20% wider; their differences to `log_px`
    bound the error of the grid's spacing and of its extent.
    """
    extent = extent or auto_extent(vae, x)
    from vae_keras.evaluate import elbo, iwae_log_likelihood

    out = {"elbo": elbo(vae, x, elbo_draws, seed=seed)["elbo"]}
    for k in ks:
        out[f"L_{k}"] = iwae_log_likelihood(vae, x, k, seed=seed + k)
    out["log_px"] = log_marginal(vae, x, extent, spacing)
    out["log_px_coarse"] = log_marginal(vae, x, extent, 2 * spacing)
    out["log_px_wider"] = log_marginal(vae, x, 1.2 * extent, spacing)
    return out, extent


def summarize(table):
    """Means as positive nats (-ELBO, -L_k, -log p(x)) and the share of the gap each L_k closes."""
    mean = {key: float(np.mean(v)) for key, v in table.items()}
    gap = mean["log_px"] - mean["elbo"]
    rows = [{"bound": "ELBO (L_1)", "nats": -mean["elbo"], "gap_closed": 0.0}]
    for key in table:
        if key.startswith("L_"):
            rows.append({"bound": key, "nats": -mean[key],
                         "gap_closed": (mean[key] - mean["elbo"]) / gap})
    rows.append({"bound": "exact log p(x)", "nats": -mean["log_px"], "gap_closed": 1.0})
    return {
        "rows": rows,
        "gap_nats": gap,
        "spacing_error_nats": float(np.max(np.abs(table["log_px"] - table["log_px_coarse"]))),
        "extent_error_nats": float(np.max(np.abs(table["log_px"] - table["log_px_wider"]))),
        "elbo_above_exact": int(np.sum(table["elbo"] > table["log_px"])),
        "max_L_above_exact": {k: int(np.sum(table[k] > table["log_px"]))
                              for k in table if k.startswith("L_")},
    }


def posterior_figure(vae, x, labels, info, spacing=DEFAULT_SPACING, extent=None,
                     elbo_draws=2000, seed=0):
    """True posterior p(z|x) (filled contours) against q(z|x) (ellipses) for a few images."""
    from matplotlib.figure import Figure

    from vae_keras.evaluate import elbo

    mean, log_var = vae.encode(x)
    std = np.exp(0.5 * log_var)
    extent = extent or auto_extent(vae, x)
    log_px = log_marginal(vae, x, extent, spacing)
    elbos = elbo(vae, x, elbo_draws, seed=seed)["elbo"]
    fig = Figure(figsize=(3.0 * len(x), 3.55), dpi=160)
    fig.subplots_adjust(left=0.05, right=0.99, top=0.74, bottom=0.13, wspace=0.3)
    for i in range(len(x)):
        ax = fig.add_subplot(1, len(x), i + 1)
        axis, density = true_posterior(vae, x[i], extent, spacing)
        p0 = density.sum(axis=0)
        p1 = density.sum(axis=1)
        c0 = np.sum(axis * p0) / p0.sum()
        c1 = np.sum(axis * p1) / p1.sum()
        s0 = math.sqrt(np.sum((axis - c0) ** 2 * p0) / p0.sum())
        s1 = math.sqrt(np.sum((axis - c1) ** 2 * p1) / p1.sum())
        half = 4.0 * max(s0, s1, std[i].max())
        centre = ((c0 + mean[i, 0]) / 2, (c1 + mean[i, 1]) / 2)
        window = (abs(axis - centre[0]) < half + abs(c0 - mean[i, 0]),
                  abs(axis - centre[1]) < half + abs(c1 - mean[i, 1]))
        ax.contourf(axis[window[0]], axis[window[1]], density[np.ix_(window[1], window[0])],
                    levels=8, cmap="Blues")
        t = np.linspace(0, 2 * np.pi, 200)
        for r in (1, 2, 3):
            ax.plot(mean[i, 0] + r * std[i, 0] * np.cos(t), mean[i, 1] + r * std[i, 1] * np.sin(t),
                    color="tab:red", lw=1.0, ls="-" if r == 1 else "--")
        ax.set_aspect("equal")
        ax.tick_params(labelsize=7)
        ax.set_xlabel("z[0]", fontsize=8)
        ax.set_ylabel("z[1]", fontsize=8, labelpad=1)
        digit = "" if labels is None else f" (a {int(labels[i])})"
        ax.set_title(f"image {i}{digit}\nlog p(x) = {log_px[i]:.1f}, ELBO = {elbos[i]:.1f}\n"
                     f"KL(q || p(z|x)) = {log_px[i] - elbos[i]:.2f} nats", fontsize=8)
        inset = ax.inset_axes((0.0, 0.78, 0.22, 0.22))
        inset.imshow(np.asarray(x[i])[..., 0], cmap="gray_r", vmin=0, vmax=1)
        inset.set_xticks([])
        inset.set_yticks([])
    fig.suptitle(info.title("true posterior p(z|x) (blue, filled) against q(z|x) "
                            "(red: 1, 2, 3 std)"), fontsize=9, y=0.995, va="top")
    return fig


def main(argv=None):
    parser = ArgumentParser(
        prog="python -m vae_keras.exact",
        description="Exact log p(x) of a 2-D VAE by integration over a latent grid, "
                    "beside its ELBO and IWAE bounds, and its true posteriors.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a 2-D run of vae_keras.train")
    parser.add_argument("--images", type=positive_int, default=1000, help="first N test images")
    parser.add_argument("--spacing", type=positive_float, default=DEFAULT_SPACING,
                        help="distance between grid codes (below 1)")
    parser.add_argument("--extent", type=positive_float, default=None,
                        help="the grid spans [-extent, extent] on each axis (default: "
                        "every q(z|x) to 8 standard deviations, within 5 to 8)")
    parser.add_argument("--ks", type=positive_int, nargs="+", default=list(DEFAULT_KS),
                        help="importance samples of the IWAE bounds")
    parser.add_argument("--posteriors", type=positive_int, default=4,
                        help="test images whose posteriors are drawn (one per digit class)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the draws")
    parser.add_argument("--data-dir", type=existing_dir, default=None,
                        help="as for vae_keras.evaluate")
    args = parser.parse_args(argv)
    if args.spacing >= 1:
        parser.fail(f"argument --spacing: expected a number below 1, got {args.spacing:g}")
    model, config, dataset = load_run_or_fail(parser, args.run_dir, args.data_dir)
    if model.latent_dim != 2 or model.likelihood != "bernoulli":
        parser.fail(f"{args.run_dir} has latent size {model.latent_dim} and a "
                    f"{model.likelihood} decoder; exact integration needs --latent-dim 2 and "
                    "Bernoulli data (MNIST, Fashion-MNIST)")
    from vae_keras.figures import tour_images
    from vae_keras.plots import RunInfo, save_figures

    out = Path(args.run_dir) / "exact"
    out.mkdir(exist_ok=True)
    x = dataset.x_test[: args.images]
    table, extent = bounds_table(model, x, args.ks, args.spacing, args.extent, args.seed)
    result = {**summarize(table), "images": len(x), "spacing": args.spacing, "extent": extent,
              "command": "python -m vae_keras.exact " + " ".join(
                  map(str, argv if argv is not None else sys.argv[1:]))}
    runs.write_json(out / "exact.json", result)
    picks = tour_images(dataset.y_test, len(dataset.x_test), args.posteriors)
    labels = None if dataset.y_test is None else dataset.y_test[picks]
    fig = posterior_figure(model, dataset.x_test[picks], labels, RunInfo.from_run_dir(args.run_dir),
                           args.spacing, extent, seed=args.seed)
    save_figures({"posteriors": fig}, out)
    for row in result["rows"]:
        print(f"{row['bound']:>15}: {row['nats']:8.2f} nats  ({100 * row['gap_closed']:.0f}% "
              "of the gap closed)")
    print(f"grid [-{extent:.2f}, {extent:.2f}]^2, spacing {args.spacing}: changes of at most "
          f"{result['spacing_error_nats']:.3f} nats (spacing doubled) and "
          f"{result['extent_error_nats']:.3f} nats (grid 20% wider); written to {out}")
    return result


if __name__ == "__main__":
    main()
