"""Compare runs for posterior collapse: reconstructions, KL per latent unit, active units.

Usage: python -m vae_keras.collapse RUN_DIR [RUN_DIR ...] --output-dir DIR [--labels ...]

Each run folder (from `python -m vae_keras.train`, evaluated by
`python -m vae_keras.evaluate`) gives a row of reconstructions of the same test
images, its KL per latent unit averaged over the test images, and its active
units (Burda et al. 2016: units whose posterior mean varies across images,
Cov_x(E_q[z_u]) > 0.01). Writes `reconstructions.png`, `kl_per_unit.png`,
`collapse.json` and `collapse.md` into DIR.
"""

from pathlib import Path

import numpy as np

if __name__ == "__main__":  # an unknown KERAS_BACKEND: one line, before Keras loads
    from vae_keras.cli import check_backend

    check_backend()


def describe(config):
    """A run's objective in words, e.g. `beta = 784, free bits 2`."""
    parts = [f"beta = {config.get('beta', 1.0):g}"]
    if config.get("free_bits"):
        parts.append(f"free bits {config['free_bits']:g}")
    if config.get("kl_warmup"):
        parts.append(f"KL warm-up {config['kl_warmup']:g} epochs")
    return ", ".join(parts)


def unit_kls(vae, x):
    """KL(q(z_u|x) || N(0, 1)) per latent unit u, averaged over images `x` (NumPy, nats)."""
    mean, log_var = vae.encode(x)
    return (0.5 * (mean ** 2 + np.exp(log_var) - 1.0 - log_var)).mean(axis=0)


def compare(run_dirs, x, labels=None):
    """Rows of numbers per run, and the models (NumPy only, no figures)."""
    from vae_keras.evaluate import ACTIVE_UNIT_THRESHOLD, posterior_mean_variances
    from vae_keras.runs import load_run, read_metrics

    rows, models = [], {}
    for i, run_dir in enumerate(run_dirs):
        vae, config = load_run(run_dir)
        metrics = read_metrics(run_dir)
        label = labels[i] if labels else describe(config)
        recon = vae.reconstruct(x)
        rows.append({
            "label": label,
            "run_dir": str(run_dir),
            "latent_dim": vae.latent_dim,
            "epochs": config.get("epochs"),
            "test_reconstruction_loss": metrics.get("test_reconstruction_loss"),
            "test_kl_loss": metrics.get("test_kl_loss"),
            "test_neg_elbo": metrics.get("test_neg_elbo"),
            "active_units": int(np.sum(posterior_mean_variances(vae, x) > ACTIVE_UNIT_THRESHOLD)),
            "kl_per_unit": [round(float(v), 4) for v in unit_kls(vae, x)],
            # How much reconstructions differ between images: 0 when all are one image.
            "reconstruction_spread": float(recon.reshape(len(x), -1).std(axis=0).mean()),
        })
        models[label] = vae
    return rows, models


def markdown(rows, images):
    lines = [f"Test images: {images}. Nats per image; active units: Cov_x(E_q[z_u]) > 0.01; "
             "spread: the pixel std across the images' reconstructions (0 = all alike).", "",
             "| run | reconstruction | KL | -ELBO | active units | spread |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        def f(v):
            return "n/a" if v is None else f"{v:.2f}"
        lines.append(f"| {r['label']} | {f(r['test_reconstruction_loss'])} | "
                     f"{f(r['test_kl_loss'])} | {f(r['test_neg_elbo'])} | "
                     f"{r['active_units']} of {r['latent_dim']} | {r['reconstruction_spread']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    from vae_keras.cli import (
        ArgumentParser,
        existing_dir,
        load_run_or_fail,
        positive_int,
    )

    parser = ArgumentParser(prog="python -m vae_keras.collapse",
                            description="Compare training runs for posterior collapse.")
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run folders to compare")
    parser.add_argument("--output-dir", required=True, help="where the comparison is written")
    parser.add_argument("--labels", nargs="+", default=None,
                        help="one label per run (default: its beta, free bits and warm-up)")
    parser.add_argument("--images", type=positive_int, default=2000,
                        help="test images for the KL per unit and the active units")
    parser.add_argument("--data-dir", type=existing_dir, default=None,
                        help="as for vae_keras.evaluate")
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.run_dirs):
        parser.fail(f"{len(args.labels)} --labels for {len(args.run_dirs)} runs")
    from vae_keras import plots, plots_deeper, runs
    from vae_keras.plots import RunInfo

    _, config, dataset = load_run_or_fail(parser, args.run_dirs[0], args.data_dir)
    x = dataset.x_test[: args.images]
    try:
        rows, models = compare(args.run_dirs, x, args.labels)
    except runs.RunError as e:
        parser.fail(str(e))
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    info = RunInfo.from_run_dir(args.run_dirs[0])
    shown = x[:12]
    figures = {
        "reconstructions": plots_deeper.image_rows(
            {"test images": shown, **{label: vae.reconstruct(shown)
                                      for label, vae in models.items()}},
            info, "the first 12 test images and their reconstructions by each run"),
        "kl_per_unit": plots_deeper.kl_per_unit(
            {r["label"]: r["kl_per_unit"] for r in rows}, info),
    }
    plots.save_figures(figures, out)
    runs.write_json(out / "collapse.json", {"images": len(x), "rows": rows})
    runs.write_text(out / "collapse.md", markdown(rows, len(x)))
    print(markdown(rows, len(x)))
    return rows


if __name__ == "__main__":
    main()
