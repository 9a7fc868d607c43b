"""Latent-size sweep: train one VAE per latent size, then compare them side by side.

Usage: python -m vae_keras.experiments [--latent-dims 2 5 10 20] [--epochs N] [train options]

Each size is trained by `vae_keras.train.main` (options this command does not
know, such as `--hidden-dim 256`, are passed on to it) into `OUTPUT_DIR/zN/`
and evaluated with `vae_keras.evaluate`. The sweep folder then holds
`samples.png` and `reconstructions.png` (one panel per size),
`learning_curves.png` (every size on one plot) and `results.md` /
`results.json` (test ELBO and IWAE log-likelihood per size, in nats).
"""

import argparse
import datetime
import shlex
import sys
from pathlib import Path

import numpy as np

DEFAULT_LATENT_DIMS = (2, 5, 10, 20)


def build_parser():
    from vae_keras.evaluate import DEFAULT_K, HelpFormatter

    parser = argparse.ArgumentParser(
        prog="python -m vae_keras.experiments",
        description="Train and compare VAEs of several latent sizes. Unknown options "
                    "(e.g. --hidden-dim 256) are passed to python -m vae_keras.train.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--latent-dims", type=int, nargs="+", default=list(DEFAULT_LATENT_DIMS),
                        help="latent sizes to train")
    parser.add_argument("--dataset", default="mnist", help="data set, as for vae_keras.train")
    parser.add_argument("--data-dir", default=None, help="folder with the raw data files (default: as vae_keras.train)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per size (default: vae_keras.train's default)")
    parser.add_argument("--output-dir", default=None,
                        help="sweep folder (default: runs/sweep-DATASET-BACKEND-TIME)")
    parser.add_argument("--k", type=int, default=DEFAULT_K,
                        help="importance samples for log p(x)")
    parser.add_argument("--max-test", type=int, default=None,
                        help="evaluate on the first N test images only (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every run and figure")
    parser.add_argument("--no-run-figures", action="store_true",
                        help="skip each run's own figures (the comparison figures are kept)")
    return parser


def main(argv=None):
    """Runs the sweep; returns the sweep folder."""
    import keras

    from vae_keras import evaluate, train
    from vae_keras.data import load_dataset

    argv = sys.argv[1:] if argv is None else list(argv)
    args, train_args = build_parser().parse_known_args(argv)
    if any(d < 1 for d in args.latent_dims):
        print(f"experiments: error: --latent-dims must be >= 1, got {args.latent_dims}",
              file=sys.stderr)
        sys.exit(2)
    backend = keras.backend.backend()
    out = Path(args.output_dir or f"runs/sweep-{args.dataset}-{backend}-"
               f"{datetime.datetime.now():%Y%m%d-%H%M%S}").expanduser()
    out.mkdir(parents=True, exist_ok=True)
    dataset = load_dataset(args.dataset, args.data_dir)
    eval_kwargs = {"k": args.k, "seed": args.seed, "figures": not args.no_run_figures,
                   "max_test": args.max_test}

    runs = {}
    for d in args.latent_dims:
        command = ["--dataset", args.dataset, "--latent-dim", str(d), "--seed", str(args.seed),
                   "--output-dir", str(out), "--run-name", f"z{d}", "--no-evaluate"]
        command += ["--data-dir", args.data_dir] if args.data_dir else []
        command += ["--epochs", str(args.epochs)] if args.epochs is not None else []
        print(f"=== latent size {d}: python -m vae_keras.train {shlex.join(command + train_args)}",
              flush=True)
        run_dir = Path(train.main(command + train_args))
        evaluate.evaluate_run(run_dir, dataset=dataset, **eval_kwargs)
        runs[d] = run_dir
    results = summarize(runs, dataset, out, seed=args.seed)
    results["command"] = "python -m vae_keras.experiments " + shlex.join(argv)
    write_results(results, out)
    print((out / "results.md").read_text())
    return out


def summarize(runs, dataset, out, seed=0):
    """Writes the comparison figures of `runs` ({latent size: run folder}); returns the table."""
    from vae_keras import plots
    from vae_keras.evaluate import load_run

    infos = {d: plots.RunInfo.from_run_dir(run_dir) for d, run_dir in runs.items()}
    first = next(iter(infos.values()))
    sweep_info = plots.RunInfo(first.dataset, "/".join(str(d) for d in runs), first.backend,
                               first.epochs)
    models = {d: load_run(run_dir)[0] for d, run_dir in runs.items()}
    x = dataset.x_test[:30]
    figures = {
        "samples": plots.side_by_side(
            {f"latent size {d}": vae.sample(64, seed=seed) for d, vae in models.items()},
            sweep_info, f"64 samples per latent size, decoder mean at z ~ N(0, I), seed {seed}",
            ncols=8),
        "reconstructions": plots.side_by_side(
            {"test images": x, **{f"latent size {d}": vae.reconstruct(x)
                                  for d, vae in models.items()}},
            sweep_info, "test images and their reconstructions per latent size", ncols=5),
        "learning_curves": plots.compare_learning_curves(
            {f"latent size {d}": (plots.read_history(runs[d] / "history.csv"),
                                  len(dataset.x_train)) for d in runs},
            sweep_info),
    }
    for name, fig in figures.items():
        fig.savefig(out / f"{name}.png", dpi=fig.dpi)
    rows = []
    for d, info in infos.items():
        m = info.metrics
        rows.append({
            "latent_dim": d,
            "epochs": info.epochs,
            "test_neg_elbo": m.get("test_neg_elbo"),
            "test_reconstruction_loss": m.get("test_reconstruction_loss"),
            "test_kl_loss": m.get("test_kl_loss"),
            "test_log_likelihood": m.get("test_log_likelihood"),
            "iwae_k": m.get("iwae_k"),
            "run_dir": str(runs[d]),
        })
    return {"dataset": first.dataset, "backend": first.backend,
            "test_examples": next(iter(infos.values())).metrics.get("test_examples"),
            "rows": rows}


def markdown_table(results):
    """The results as a Markdown table (nats per test image)."""
    k = results["rows"][0]["iwae_k"] if results["rows"] else "?"
    lines = [
        f"Latent-size sweep on {plots_name(results['dataset'])}, {results['backend']} backend, "
        f"{results.get('test_examples')} test images (nats per image; lower -ELBO and "
        "higher log p(x) are better).",
        "",
        f"| latent size | epochs | test -ELBO | reconstruction | KL | test log p(x), IWAE k={k} |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["rows"]:
        def f(v):
            return "n/a" if v is None or not np.isfinite(v) else f"{v:.2f}"
        lines.append(f"| {r['latent_dim']} | {r['epochs']} | {f(r['test_neg_elbo'])} | "
                     f"{f(r['test_reconstruction_loss'])} | {f(r['test_kl_loss'])} | "
                     f"{f(r['test_log_likelihood'])} |")
    if results.get("command"):
        lines += ["", f"Command: `{results['command']}`"]
    return "\n".join(lines) + "\n"


def plots_name(dataset):
    from vae_keras.plots import DATASET_NAMES

    return DATASET_NAMES.get(dataset, dataset)


def write_results(results, out):
    from vae_keras.evaluate import write_json_atomically

    write_json_atomically(Path(out) / "results.json", results)
    (Path(out) / "results.md").write_text(markdown_table(results))


if __name__ == "__main__":
    main()
