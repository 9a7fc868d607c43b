"""Regenerates every figure of the documentation site from scratch.

Usage: python scripts/make_docs_figures.py [--epochs 20] [--backend jax]
                                           [--data-dir ../shared/data/mnist]
                                           [--only tutorial|results|captions]

Two parts, each run through the package's and the tutorial's own commands:

1. tutorial: runs every `tutorial/NN_*.py` with its defaults (the bundled MNIST
   subset) into a fresh `runs/tutorial/`, and copies what each printed and drew
   into `docs/assets/tutorial/` (`NN_name.txt`, `NN_*.png`).
2. results: trains the latent-size sweep on the full MNIST,
   `python -m vae_keras.experiments --latent-dims 2 5 10 20 --epochs E`, whose
   runs are evaluated by `vae_keras.evaluate` (test ELBO, IWAE log p(x) with
   k = 100) and draw their figures and GIFs. The 2-D run gives the manifold,
   scatter, walks and animations; the 20-D run the best samples; the sweep
   its comparison figures and table. They are copied to `docs/assets/figures/`
   with `figures.json` (backend, epochs, latent size, test ELBO and IWAE per
   run) and `captions.md`, the figure blocks with captions made from that JSON,
   which the Results and Home pages include. The 2-D run is also exported by
   `python -m vae_keras.export_web` into `docs/assets/explorer/` for the
   in-browser latent explorer.

Everything runs under one backend (`--backend`, default jax), in subprocesses.
About 15 minutes on 2 CPU cores with the defaults.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL_ASSETS = ROOT / "docs" / "assets" / "tutorial"
FIGURE_ASSETS = ROOT / "docs" / "assets" / "figures"
EXPLORER_ASSETS = ROOT / "docs" / "assets" / "explorer"  # the latent explorer's model files
LATENT_DIMS = (2, 5, 10, 20)
# Files copied from each run folder's figures/ (all of the 2-D run's; a few of the 20-D's).
RUN_FIGURES = {
    2: ("reconstructions.png", "samples.png", "manifold.png", "latent_scatter.png",
        "latent_walks.png", "interpolation.png", "learning_curves.png",
        "reconstructions_progress.gif", "latent_scatter_progress.gif",
        "interpolation.gif", "latent_walk.gif"),
    20: ("reconstructions.png", "samples.png", "latent_scatter.png", "latent_walks.png",
         "interpolation.png", "interpolation.gif"),
}
SWEEP_FIGURES = ("samples.png", "reconstructions.png", "learning_curves.png")

# Alt text and what each figure shows, for the captions.
DESCRIPTIONS = {
    "reconstructions.png": ("Rows of test digits, each above its reconstruction",
                            "Test digits (rows marked data) and their reconstructions "
                            "(recon.), decoded from the posterior means."),
    "samples.png": ("A grid of generated digits",
                    "New digits: decoder means at codes drawn from the prior N(0, I)."),
    "manifold.png": ("A grid of digits decoded from a regular lattice of 2-D codes",
                     "The learned manifold: codes on a lattice of prior quantiles, decoded "
                     "in one batch."),
    "latent_scatter.png": ("Scatter plot of test-image codes coloured by digit",
                           "Posterior means of the test images, coloured by their label "
                           "(never seen in training)."),
    "latent_walks.png": ("Rows of digits changing gradually along latent directions",
                         "Latent walks: decoding codes along straight lines through a test "
                         "image's code."),
    "interpolation.png": ("Rows of digits morphing from one test digit into another",
                          "Interpolation between the codes of pairs of test digits."),
    "learning_curves.png": ("Learning curves of the training and test loss",
                            "Learning curves: negative ELBO and its two terms, train and test."),
    "reconstructions_progress.gif": ("Animation of reconstructions improving over training",
                                     "Reconstructions of the same test digits after each "
                                     "epoch."),
    "latent_scatter_progress.gif": ("Animation of the code scatter organising over training",
                                    "The posterior means of test digits after each epoch."),
    "interpolation.gif": ("Animation travelling through latent space between test digits",
                          "A tour by spherical interpolation through the codes of six test "
                          "digits."),
    "latent_walk.gif": ("Animation walking a circle in the 2-D latent space",
                        "A walk around a circle of radius 1.5 in latent space."),
}


def run(cmd, env, log=None):
    """Runs a command from the repository root; returns its stdout. Fails loudly."""
    print("$", " ".join(str(c) for c in cmd), flush=True)
    start = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if log is not None:
        log.write_text(result.stdout)
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-3000:])
        sys.exit(f"failed with exit code {result.returncode}: {' '.join(map(str, cmd))}")
    print(f"  done in {time.monotonic() - start:.0f} s", flush=True)
    return result.stdout


def make_tutorial(env):
    out = ROOT / "runs" / "tutorial"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(TUTORIAL_ASSETS, ignore_errors=True)
    TUTORIAL_ASSETS.mkdir(parents=True)
    for script in sorted((ROOT / "tutorial").glob("[0-9][0-9]_*.py")):
        run([sys.executable, script.relative_to(ROOT)], env,
            log=TUTORIAL_ASSETS / f"{script.stem}.txt")
    for png in sorted(out.glob("*.png")):
        shutil.copy2(png, TUTORIAL_ASSETS / png.name)


def make_results(env, args):
    sweep = ROOT / "runs" / "docs-sweep"
    shutil.rmtree(sweep, ignore_errors=True)
    shutil.rmtree(FIGURE_ASSETS, ignore_errors=True)
    cmd = [sys.executable, "-m", "vae_keras.experiments", "--data-dir", args.data_dir,
           "--epochs", str(args.epochs), "--output-dir", sweep.relative_to(ROOT),
           "--latent-dims", *map(str, LATENT_DIMS)]
    started = time.monotonic()
    run(cmd, env, log=ROOT / "runs" / "docs-sweep.log")
    minutes = (time.monotonic() - started) / 60

    runs = {}
    for d in LATENT_DIMS:
        run_dir = sweep / f"z{d}"
        config = json.loads((run_dir / "config.json").read_text())
        metrics = json.loads((run_dir / "metrics.json").read_text())
        runs[f"z{d}"] = {
            "latent_dim": d,
            "backend": config["backend"],
            "dataset": config.get("dataset_used", config["dataset"]),
            "train_size": config.get("train_size"),
            "epochs": metrics.get("epochs", config["epochs"]),
            "hidden_dim": config["hidden_dim"],
            "test_elbo": metrics["test_elbo"],
            "test_neg_elbo": metrics["test_neg_elbo"],
            "test_reconstruction_loss": metrics["test_reconstruction_loss"],
            "test_kl_loss": metrics["test_kl_loss"],
            "test_log_likelihood": metrics["test_log_likelihood"],
            "iwae_k": metrics["iwae_k"],
            "test_examples": metrics["test_examples"],
            "train_seconds": metrics.get("train_seconds"),
        }
        if d in RUN_FIGURES:
            (FIGURE_ASSETS / f"z{d}").mkdir(parents=True)
            for name in RUN_FIGURES[d]:
                shutil.copy2(run_dir / "figures" / name, FIGURE_ASSETS / f"z{d}" / name)
    make_explorer(env, sweep / "z2", args.data_dir)
    (FIGURE_ASSETS / "sweep").mkdir(parents=True)
    for name in SWEEP_FIGURES:
        shutil.copy2(sweep / name, FIGURE_ASSETS / "sweep" / name)
    shutil.copy2(sweep / "results.md", FIGURE_ASSETS / "sweep" / "results.md")
    record = {
        "command": "python scripts/make_docs_figures.py " + " ".join(sys.argv[1:]),
        "sweep_command": "python -m vae_keras.experiments " + " ".join(map(str, cmd[3:])),
        "backend": env["KERAS_BACKEND"],
        "hardware": args.hardware or f"CPU, {os.cpu_count()} cores, no GPU",
        "minutes": round(minutes, 1),
        "date": datetime.date.today().isoformat(),
        "runs": runs,
    }
    (FIGURE_ASSETS / "figures.json").write_text(json.dumps(record, indent=2) + "\n")
    write_captions(record)


def make_explorer(env, run_dir, data_dir):
    """The latent explorer's decoder and test codes (docs/explorer.md) from the 2-D run."""
    run([sys.executable, "-m", "vae_keras.export_web", run_dir.relative_to(ROOT),
         EXPLORER_ASSETS.relative_to(ROOT), "--data-dir", data_dir], env)


def caption(run, what):
    return (f"{what} Full MNIST, {run['backend']} backend, {run['epochs']} epochs, "
            f"latent size {run['latent_dim']}; this run's test ELBO is "
            f"{run['test_elbo']:.1f} nats and its IWAE bound on log p(x) "
            f"{run['test_log_likelihood']:.1f} nats (k = {run['iwae_k']}).")


def write_captions(record):
    """captions.md: one named snippet section per figure, for the pages to include."""
    blocks = []
    for key, names in (("z2", RUN_FIGURES[2]), ("z20", RUN_FIGURES[20])):
        run = record["runs"][key]
        for name in names:
            alt, what = DESCRIPTIONS[name]
            section = f"{key}-{name.replace('.', '-').replace('_', '-')}"
            blocks.append(figure_block(section, f"assets/figures/{key}/{name}", alt,
                                       caption(run, what)))
    sizes = ", ".join(str(r["latent_dim"]) for r in record["runs"].values())
    elbos = "; ".join(f"{r['latent_dim']}: {r['test_elbo']:.1f}" for r in record["runs"].values())
    first = next(iter(record["runs"].values()))
    sweep_caption = (f"Full MNIST, {first['backend']} backend, {first['epochs']} epochs per "
                     f"run, latent sizes {sizes}; test ELBO in nats by latent size: {elbos}.")
    for name, (alt, what) in {
        "samples.png": ("Generated digits for each latent size side by side",
                        "Samples from the prior for each latent size."),
        "reconstructions.png": ("Test digits and their reconstructions for each latent size",
                                "Test digits and their reconstructions for each latent size."),
        "learning_curves.png": ("Test loss against training progress for each latent size",
                                "Learning curves of the four runs."),
    }.items():
        section = f"sweep-{name.replace('.', '-').replace('_', '-')}"
        blocks.append(figure_block(section, f"assets/figures/sweep/{name}", alt,
                                   f"{what} {sweep_caption}"))
    text = ("<!-- Written by scripts/make_docs_figures.py from figures.json: do not edit. -->\n\n"
            + "\n".join(blocks))
    (FIGURE_ASSETS / "captions.md").write_text(text)
    (FIGURE_ASSETS / "command.md").write_text(
        f"```bash\nKERAS_BACKEND={record['backend']} {record['sweep_command']}\n```\n\n"
        f"The figures on this page were made on {record['date']} by "
        f"`{record['command'].strip()}`, which took {record['minutes']:.0f} minutes "
        f"for the sweep on {record['hardware']}.\n")


def figure_block(section, path, alt, text):
    return (f"<!-- --8<-- [start:{section}] -->\n"
            f'<figure markdown="span">\n'
            f"  [![{alt}]({path})]({path})\n"  # a click opens the full-size image
            f"  <figcaption>{text}</figcaption>\n"
            f"</figure>\n"
            f"<!-- --8<-- [end:{section}] -->\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20, help="epochs per full-MNIST run")
    parser.add_argument("--backend", default="jax", choices=("jax", "torch", "tensorflow"))
    parser.add_argument("--data-dir", default=os.environ.get("VAE_KERAS_DATA")
                        or str(ROOT.parent / "shared" / "data" / "mnist"),
                        help="folder of the full MNIST IDX files")
    parser.add_argument("--only", choices=("tutorial", "results", "captions"), default=None,
                        help="regenerate one part only (captions: rewrite captions.md "
                        "from the existing figures.json)")
    parser.add_argument("--hardware", default=None,
                        help="what ran it, for the record (default: CPU, N cores, no GPU)")
    args = parser.parse_args(argv)
    env = dict(os.environ, KERAS_BACKEND=args.backend, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("VAE_KERAS_TUTORIAL_SHORT", None)
    if args.only in (None, "tutorial"):
        make_tutorial(env)
    if args.only in (None, "results"):
        make_results(env, args)
    if args.only == "captions":
        write_captions(json.loads((FIGURE_ASSETS / "figures.json").read_text()))


if __name__ == "__main__":
    main()
