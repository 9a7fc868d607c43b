"""Latent-size sweep: train one VAE per latent size, then compare them side by side.

Usage: python -m vae_keras.experiments [--latent-dims 2 5 10 20] [--epochs N] [train options]

Each size is trained by `vae_keras.train.main` (options this command does not
know, such as `--hidden-dim 256`, are passed on to it) into `OUTPUT_DIR/zN/`
and evaluated with `vae_keras.evaluate`. The sweep folder then holds
`samples.png` (a panel per run), `reconstructions.png` (a row per run),
`learning_curves.png` (every run on one plot) and `results.md` /
`results.json` (-ELBO, its terms, -L_k and active units per run, in nats).

With `--betas B1 B2 ...` every size is trained with each KL weight, into
`OUTPUT_DIR/zN-betaB/`, and `rate_distortion.png` plots each run's test KL
(rate) against its reconstruction loss (distortion).
"""

import datetime
import shlex
import sys
from pathlib import Path

import numpy as np

DEFAULT_LATENT_DIMS = (2, 5, 10, 20)


def build_parser():
    from vae_keras.cli import (
        ArgumentParser,
        existing_dir,
        non_negative_float,
        positive_int,
        seed_int,
    )
    from vae_keras.config import DATASETS
    from vae_keras.evaluate import DEFAULT_K

    parser = ArgumentParser(
        prog="python -m vae_keras.experiments",
        description="Train and compare VAEs of several latent sizes. Unknown options "
                    "(e.g. --hidden-dim 256) are passed to python -m vae_keras.train.",
    )
    parser.add_argument("--latent-dims", type=positive_int, nargs="+",
                        default=list(DEFAULT_LATENT_DIMS), help="latent sizes to train")
    parser.add_argument("--betas", type=non_negative_float, nargs="+", default=[1.0],
                        help="KL weights to train for each latent size; several give a "
                        "rate-distortion curve (rate_distortion.png)")
    parser.add_argument("--dataset", default="mnist", choices=DATASETS,
                        help="data set, as for vae_keras.train")
    parser.add_argument("--data-dir", type=existing_dir, default=None,
                        help="folder with the raw data files (default: as vae_keras.train)")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="epochs per size (default: vae_keras.train's default)")
    parser.add_argument("--output-dir", default=None,
                        help="sweep folder (default: runs/sweep-DATASET-BACKEND-TIME)")
    parser.add_argument("--k", type=positive_int, default=DEFAULT_K,
                        help="importance samples for log p(x)")
    parser.add_argument("--max-test", type=positive_int, default=None,
                        help="evaluate on the first N test images only (default: all)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of every run and figure")
    parser.add_argument("--summarize-only", action="store_true",
                        help="train nothing: redraw the comparison figures and table from "
                        "the finished runs in --output-dir")
    parser.add_argument("--no-run-figures", action="store_true",
                        help="skip each run's own figures (the comparison figures are kept)")
    return parser


def main(argv=None):
    """Runs the sweep; returns the sweep folder."""
    import keras

    from vae_keras import evaluate, train
    from vae_keras.data import load_dataset

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args, train_args = parser.parse_known_args(argv)
    if args.summarize_only:
        return _summarize_folder(parser, args, argv)
    backend = keras.backend.backend()
    out = Path(args.output_dir or f"runs/sweep-{args.dataset}-{backend}-"
               f"{datetime.datetime.now():%Y%m%d-%H%M%S}").expanduser()
    out.mkdir(parents=True, exist_ok=True)
    dataset = load_dataset(args.dataset, args.data_dir)
    eval_kwargs = {"k": args.k, "seed": args.seed, "figures": not args.no_run_figures,
                   "max_test": args.max_test}

    runs = {}
    for d, beta in [(d, b) for d in args.latent_dims for b in args.betas]:
        name = run_name(d, beta, args.betas)
        command = ["--dataset", args.dataset, "--latent-dim", str(d), "--seed", str(args.seed),
                   "--output-dir", str(out), "--run-name", name, "--no-evaluate"]
        command += ["--beta", f"{beta:g}"] if args.betas != [1.0] else []
        command += ["--data-dir", args.data_dir] if args.data_dir else []
        command += ["--epochs", str(args.epochs)] if args.epochs is not None else []
        print(f"=== {name}: python -m vae_keras.train {shlex.join(command + train_args)}",
              flush=True)
        run_dir = Path(train.main(command + train_args))
        evaluate.evaluate_run(run_dir, dataset=dataset, **eval_kwargs)
        runs[name] = run_dir
    results = summarize(runs, dataset, out, seed=args.seed)
    results["command"] = "python -m vae_keras.experiments " + shlex.join(argv)
    write_results(results, out)
    print((out / "results.md").read_text())
    return out


def run_name(latent_dim, beta, betas=(1.0,)):
    """`zN`, or `zN-betaB` when the sweep trains several KL weights."""
    return f"z{latent_dim}" if list(betas) == [1.0] else f"z{latent_dim}-beta{beta:g}"


def _summarize_folder(parser, args, argv):
    from vae_keras import runs as run_files
    from vae_keras.data import load_dataset

    out = Path(args.output_dir or "")
    found = [p.parent for p in sorted(out.glob(f"*/{run_files.METRICS}"))
             if (p.parent / run_files.MODEL).is_file()]
    if not args.output_dir or not found:
        parser.fail(f"--summarize-only needs --output-dir with finished runs, found none in {out}")

    def order(run_dir):
        config = run_files.read_config(run_dir)
        return config.get("latent_dim", 0), config.get("beta", 1.0)

    runs = {p.name: p for p in sorted(found, key=order)}
    config = run_files.read_config(next(iter(runs.values())))
    dataset = load_dataset(config.get("dataset", args.dataset), args.data_dir or config.get("data_dir"))
    results = summarize(runs, dataset, out, seed=args.seed)
    previous = run_files.read_json(out / "results.json")
    if isinstance(previous, dict):
        results["command"] = previous.get("command")
    write_results(results, out)
    print((out / "results.md").read_text())
    return out


def run_label(config, sizes, betas):
    """How a run is named in figures: by what the sweep varies."""
    parts = []
    if len(sizes) > 1 or len(betas) == 1:
        parts.append(f"latent size {config['latent_dim']}")
    if len(betas) > 1:
        parts.append(f"beta = {config.get('beta', 1.0):g}")
    return ", ".join(parts)


def summarize(runs, dataset, out, seed=0):
    """Writes the comparison figures of `runs` ({name: run folder}); returns the table.

    Figures: `samples.png` (one panel of 64 samples per run),
    `reconstructions.png` (a row per run under the test images),
    `learning_curves.png`, and, when the runs differ in beta,
    `rate_distortion.png` (test KL against test reconstruction loss).
    """
    from vae_keras import curves, plots, plots_deeper
    from vae_keras.runs import HISTORY, load_run, read_config

    configs = {name: read_config(r) for name, r in runs.items()}
    infos = {name: plots.RunInfo.from_run_dir(r) for name, r in runs.items()}
    sizes = sorted({c["latent_dim"] for c in configs.values()})
    betas = sorted({c.get("beta", 1.0) for c in configs.values()})
    labels = {name: run_label(configs[name], sizes, betas) for name in runs}
    first = next(iter(infos.values()))
    sweep_info = plots.RunInfo(first.dataset, "/".join(map(str, sizes)), first.backend,
                               first.epochs)
    models = {name: load_run(r)[0] for name, r in runs.items()}
    x = dataset.x_test[:12]
    figures = {
        "samples": plots_deeper.sample_panels(
            {labels[n]: vae.sample(64, seed=seed) for n, vae in models.items()}, sweep_info,
            f"64 samples per run: decoder means at z ~ N(0, I), seed {seed}"),
        "reconstructions": plots_deeper.image_rows(
            {"test images": x, **{labels[n]: vae.reconstruct(x) for n, vae in models.items()}},
            sweep_info, "the first 12 test images and their reconstructions by each run"),
        "learning_curves": curves.compare_learning_curves(
            {labels[n]: (curves.read_history(runs[n] / HISTORY), len(dataset.x_train))
             for n in runs}, sweep_info),
    }
    rows = []
    for name, info in infos.items():
        m = info.metrics
        rows.append({
            "name": name,
            "latent_dim": configs[name]["latent_dim"],
            "beta": configs[name].get("beta", 1.0),
            "epochs": info.epochs,
            "test_neg_elbo": m.get("test_neg_elbo"),
            "test_reconstruction_loss": m.get("test_reconstruction_loss"),
            "test_kl_loss": m.get("test_kl_loss"),
            "test_log_likelihood": m.get("test_log_likelihood"),
            "test_neg_iwae_bound": m.get("test_neg_iwae_bound"),
            "active_units": m.get("test_active_units"),
            "iwae_k": m.get("iwae_k"),
            "run_dir": str(runs[name]),
        })
    if len(betas) > 1:
        figures["rate_distortion"] = plots_deeper.rate_distortion(rows, sweep_info)
    plots.save_figures(figures, out)
    return {"dataset": first.dataset, "backend": first.backend,
            "test_examples": next(iter(infos.values())).metrics.get("test_examples"),
            "rows": rows}


def markdown_table(results):
    """The results as a Markdown table: every loss as positive nats per test image."""
    rows = results["rows"]
    k = rows[0]["iwae_k"] if rows else "?"
    several_betas = len({r.get("beta", 1.0) for r in rows}) > 1
    lines = [
        f"Sweep on {plots_name(results['dataset'])}, {results['backend']} backend, "
        f"{results.get('test_examples')} test images. All columns are positive nats per "
        f"image, lower is better: -ELBO = reconstruction + KL, and -L_{k} = -log of the "
        f"IWAE bound with K = {k} (an estimate of the bound, >= -log p(x)).",
        "",
        f"| latent size |{' beta |' if several_betas else ''} epochs | -ELBO | reconstruction "
        f"| KL | -L_{k} | active units |",
        f"|---:|{'---:|' if several_betas else ''}---:|---:|---:|---:|---:|---:|",
    ]

    def f(v):
        return "n/a" if v is None or not np.isfinite(v) else f"{v:.2f}"

    for r in rows:
        neg_bound = (r.get("test_neg_iwae_bound") if r.get("test_neg_iwae_bound") is not None
                     else None if r.get("test_log_likelihood") is None
                     else -r["test_log_likelihood"])
        active = "n/a" if r.get("active_units") is None else f"{r['active_units']} of {r['latent_dim']}"
        beta = f" {r.get('beta', 1.0):g} |" if several_betas else ""
        lines.append(f"| {r['latent_dim']} |{beta} {r['epochs']} | {f(r['test_neg_elbo'])} | "
                     f"{f(r['test_reconstruction_loss'])} | {f(r['test_kl_loss'])} | "
                     f"{f(neg_bound)} | {active} |")
    if results.get("command"):
        lines += ["", f"Command: `{results['command']}`"]
    return "\n".join(lines) + "\n"


def plots_name(dataset):
    from vae_keras.plots import DATASET_NAMES

    return DATASET_NAMES.get(dataset, dataset)


def write_results(results, out):
    from vae_keras.runs import write_json, write_text

    write_json(Path(out) / "results.json", results)
    write_text(Path(out) / "results.md", markdown_table(results))


if __name__ == "__main__":
    main()
