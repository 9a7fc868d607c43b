"""The aggregate posterior q(z) of a 2-D VAE against its prior: which digits the prior samples.

Usage: python -m vae_keras.aggregate RUN_DIR [--images 10000]

The aggregate posterior is the mixture of every image's posterior,

    q(z) = (1/N) sum_n q(z | x_n),

the distribution of codes the decoder was trained on. Sampling z ~ p(z) = N(0, I)
draws the decoder's input from the prior instead; where q(z) and p(z) differ,
samples come out unlike the data. Splitting q(z) by label gives, for a prior
draw z, the share of each digit's posteriors at z,

    P(digit c | z) = sum_{n: y_n = c} q(z|x_n) / sum_n q(z|x_n),

and its average over the prior is the share of prior samples that look like
each digit. Writes `RUN_DIR/aggregate/aggregate.json` and `aggregate_posterior.png`.
"""

import math
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # an unknown KERAS_BACKEND: one line, before Keras loads
    from vae_keras.cli import check_backend

    check_backend()

LOG_2PI = math.log(2.0 * math.pi)


def class_densities(mean, log_var, labels, codes, num_classes=10, chunk=2048):
    """`(G, num_classes)`: (1/N) sum over images of class c of q(z_g | x_n), per code z_g.

    Summed over classes it is the aggregate posterior q(z_g). NumPy, float64.
    """
    mean = np.asarray(mean, "float64")
    var = np.exp(np.asarray(log_var, "float64"))
    onehot = np.eye(num_classes)[np.asarray(labels, int)] / len(mean)
    log_norm = -0.5 * np.sum(np.log(var) + LOG_2PI, axis=1)
    out = np.empty((len(codes), num_classes))
    for i in range(0, len(codes), chunk):
        z = np.asarray(codes[i: i + chunk], "float64")
        d2 = ((z[:, None, :] - mean[None]) ** 2 / var[None]).sum(axis=-1)
        out[i: i + len(z)] = np.exp(log_norm[None] - 0.5 * d2) @ onehot
    return out


def prior_shares(mean, log_var, labels, num_draws=10000, seed=0, num_classes=10):
    """Share of each class among prior draws: the mean over z ~ N(0, I) of P(class | z)."""
    z = np.random.default_rng(seed).standard_normal((num_draws, mean.shape[1]))
    dens = class_densities(mean, log_var, labels, z, num_classes)
    total = dens.sum(axis=1, keepdims=True)
    return (dens / np.maximum(total, 1e-300)).mean(axis=0), z, dens


def kl_to_prior(mean, log_var, extent=6.0, n=241):
    """KL(q(z) || p(z)) of the aggregate posterior, by a 2-D grid sum (nats)."""
    axis = np.linspace(-extent, extent, n)
    z1, z0 = np.meshgrid(axis, axis, indexing="ij")
    codes = np.stack([z0.ravel(), z1.ravel()], axis=-1)
    q = class_densities(mean, log_var, np.zeros(len(mean), int), codes, 1)[:, 0]
    log_p = -0.5 * np.sum(codes ** 2, axis=1) - LOG_2PI
    area = (axis[1] - axis[0]) ** 2
    keep = q > 0
    return float(np.sum(q[keep] * (np.log(q[keep]) - log_p[keep])) * area), axis, q.reshape(n, n)


def figure(mean, log_var, labels, info, class_names, seed=0):
    """Three panels: q(z) with the prior's circles; prior draws by likeliest digit; shares."""
    from matplotlib.figure import Figure

    kl, axis, q = kl_to_prior(mean, log_var)
    shares, z, dens = prior_shares(mean, log_var, labels, seed=seed)
    data_shares = np.bincount(labels, minlength=len(class_names)) / len(labels)
    fig = Figure(figsize=(13.5, 4.6), dpi=150)
    fig.subplots_adjust(left=0.05, right=0.98, top=0.80, bottom=0.12, wspace=0.28)
    ax = fig.add_subplot(1, 3, 1)
    image = ax.imshow(np.log10(np.maximum(q, 1e-6)), origin="lower", cmap="magma",
                      extent=(axis[0], axis[-1], axis[0], axis[-1]), vmin=-4)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03, label="log10 q(z)")
    t = np.linspace(0, 2 * np.pi, 200)
    for r in (1, 2, 3):
        ax.plot(r * np.cos(t), r * np.sin(t), color="white", lw=0.8, ls="--")
    ax.set(xlim=(-4, 4), ylim=(-4, 4), xlabel="z[0]", ylabel="z[1]")
    ax.set_title(f"aggregate posterior q(z) of {len(mean)} test images\n"
                 f"prior N(0, I): circles at 1, 2, 3 std; KL(q(z) || p(z)) = {kl:.2f} nats",
                 fontsize=9)
    ax = fig.add_subplot(1, 3, 2)
    shown = z[:1500]
    likeliest = dens[:1500].argmax(axis=1)
    cmap = __import__("matplotlib").colormaps["tab10"]
    for c, name in enumerate(class_names):
        pick = likeliest == c
        ax.scatter(shown[pick, 0], shown[pick, 1], s=5, color=cmap(c), label=name)
    ax.set(xlim=(-4, 4), ylim=(-4, 4), xlabel="z[0]", ylabel="z[1]", aspect="equal")
    ax.legend(fontsize=7, markerscale=2.5, loc="upper right", ncol=2, handletextpad=0.1,
              columnspacing=0.5)
    ax.set_title("1,500 draws z ~ N(0, I), coloured by the digit\n"
                 "whose posteriors dominate q(z) there", fontsize=9)
    ax = fig.add_subplot(1, 3, 3)
    positions = np.arange(len(class_names))
    ax.bar(positions - 0.2, 100 * data_shares, 0.4, label="test images", color="0.6")
    ax.bar(positions + 0.2, 100 * shares, 0.4, label="prior draws (P(digit | z), averaged)",
           color="tab:blue")
    ax.set_xticks(positions, class_names)
    ax.set_ylabel("share, %")
    ax.legend(fontsize=8)
    ax.set_title("which digits the prior samples", fontsize=9)
    fig.suptitle(info.title("the aggregate posterior against the prior"), fontsize=10, y=0.99,
                 va="top")
    return fig, {"kl_aggregate_to_prior": kl,
                 "prior_shares": {str(n): float(s) for n, s in zip(class_names, shares)},
                 "data_shares": {str(n): float(s) for n, s in zip(class_names, data_shares)}}


def main(argv=None):
    from vae_keras.cli import (
        ArgumentParser,
        existing_dir,
        load_run_or_fail,
        positive_int,
        seed_int,
    )

    parser = ArgumentParser(
        prog="python -m vae_keras.aggregate",
        description="The aggregate posterior of a 2-D VAE against its prior, by digit.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a 2-D run of vae_keras.train")
    parser.add_argument("--images", type=positive_int, default=10000, help="first N test images")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the prior draws")
    parser.add_argument("--data-dir", type=existing_dir, default=None,
                        help="as for vae_keras.evaluate")
    args = parser.parse_args(argv)
    model, _, dataset = load_run_or_fail(parser, args.run_dir, args.data_dir)
    if model.latent_dim != 2 or dataset.y_test is None:
        parser.fail(f"{args.run_dir} needs a 2-D latent space and labelled data, "
                    f"got latent size {model.latent_dim}")
    from vae_keras import runs
    from vae_keras.plots import RunInfo, class_names, save_figures

    x, labels = dataset.x_test[: args.images], np.asarray(dataset.y_test[: args.images], int)
    mean, log_var = model.encode(x)
    names = list(class_names(RunInfo.from_run_dir(args.run_dir).dataset, np.arange(10)).values())
    fig, numbers = figure(mean, log_var, labels, RunInfo.from_run_dir(args.run_dir), names,
                          seed=args.seed)
    out = Path(args.run_dir) / "aggregate"
    out.mkdir(exist_ok=True)
    save_figures({"aggregate_posterior": fig}, out)
    numbers.update(images=len(x), seed=args.seed)
    runs.write_json(out / "aggregate.json", numbers)
    top = sorted(numbers["prior_shares"].items(), key=lambda kv: -kv[1])[:3]
    print(f"KL(q(z) || p(z)) = {numbers['kl_aggregate_to_prior']:.2f} nats; prior draws most "
          f"often look like {', '.join(f'{n} ({100 * s:.0f}%)' for n, s in top)}; "
          f"written to {out}")
    return numbers


if __name__ == "__main__":
    main()
