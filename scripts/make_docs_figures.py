"""Regenerates every figure of the documentation site from scratch.

Usage: python scripts/make_docs_figures.py [--epochs 20] [--backend jax]
                                           [--data-dir ../shared/data/mnist]
                                           [--only tutorial|results|captions]

Two parts, each run through the package's and the tutorial's own commands:

1. tutorial: runs every `tutorial/NN_*.py` as written (the bundled MNIST
   subset), section by section, into a fresh `runs/tutorial/`, and copies what
   each section printed and each script drew into `docs/assets/tutorial/`
   (`out/NN_name.SECTION.txt`, `NN_*.png`).
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

3. deeper: the experiments of the "Going deeper" pages, on full MNIST: a
   beta sweep (784-512-20, 10 epochs per beta) as a rate-distortion curve,
   the collapse study (beta = 784, free bits, KL warm-up), a binarized run
   evaluated with k = 5000, and, on the 2-D run of part 2, the exact
   log-likelihood (`vae_keras.exact`) and the aggregate posterior
   (`vae_keras.aggregate`); plus the reparameterization diagram. Figures go to
   `docs/assets/figures/deeper/` with `deeper.json`, `captions.md` and
   `tables.md`.

Everything runs under one backend (`--backend`, default jax), in subprocesses.
On the shared 2-core CPU here, part 2 took about 50 minutes and part 3 about
an hour under load; `--only results-figures` and `--only deeper-figures`
redraw from the finished runs in `runs/`.
"""

import argparse
import datetime
import json
import os
import shlex
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
DEEPER = ROOT / "runs" / "deeper"
DEEPER_ASSETS = FIGURE_ASSETS / "deeper"
BETAS = ("0.25", "0.5", "1", "2", "4", "8")
# (run name, label, train options) of the collapse study; all 784-512-20, 10 epochs.
COLLAPSE_RUNS = (
    ("beta784", "beta = 784 (pixel-averaged loss)", ["--beta", "784"]),
    ("freebits2", "beta = 784 with 2 free bits per unit", ["--beta", "784", "--free-bits", "2"]),
    ("warmup5", "beta = 1 with a 5-epoch KL warm-up", ["--kl-warmup", "5"]),
)
BINARIZED = ["--binarize", "--hidden-dim", "200", "--num-hidden-layers", "2", "--latent-dim", "50"]
QUIET = ["--no-snapshots", "--no-tensorboard", "--verbose", "2"]

# Alt text and what each figure shows, for the captions; `{...}` fields are
# filled from the run's record in figures.json (see `caption`).
DESCRIPTIONS = {
    "reconstructions.png": ("Rows of test digits, each above its reconstruction",
                            "Test digits (rows marked data) above their reconstructions "
                            "(recon.), decoded from the posterior means; reconstruction term "
                            "{test_reconstruction_loss:.1f} nats per test image."),
    "samples.png": ("A grid of generated digits",
                    "100 new digits: decoder means at codes drawn from the prior N(0, I)."),
    "manifold.png": ("A grid of digits decoded from a regular lattice of 2-D codes",
                     "The decoder's output on a 20 x 20 lattice of codes at the prior's 5% to "
                     "95% quantiles per axis (the square holds 81% of the prior's mass), "
                     "decoded in one batch."),
    "latent_scatter.png": ("Scatter plot of test-image codes coloured by digit",
                           "Posterior means of the test images, coloured by their label, "
                           "which training never saw; KL term {test_kl_loss:.1f} nats."),
    "latent_walks.png": ("Rows of digits changing gradually along latent directions",
                         "Decoding codes along straight lines through test image 0's code, "
                         "one row per latent direction."),
    "interpolation.png": ("Rows of digits morphing from one test digit into another",
                          "Decoded codes on the way between the codes of three pairs of "
                          "test digits."),
    "learning_curves.png": ("Learning curves of the training and test loss",
                            "-ELBO and its two terms per epoch, train and test; after the "
                            "last epoch, train {train_neg_elbo:.1f} and test "
                            "{val_neg_elbo:.1f} nats (the train value is averaged over the "
                            "epoch while the weights improve; test is measured after it)."),
    "reconstructions_progress.gif": ("Animation of reconstructions improving over training",
                                     "The same 16 test digits reconstructed after each of "
                                     "the {epochs} epochs."),
    "latent_scatter_progress.gif": ("Animation of the code scatter organising over training",
                                    "The posterior means of 2,000 test digits after each of "
                                    "the {epochs} epochs."),
    "interpolation.gif": ("Animation travelling through latent space between test digits",
                          "A tour by spherical interpolation through the codes of six test "
                          "digits, one of each of the first six classes."),
    "latent_walk.gif": ("Animation walking a circle in the 2-D latent space",
                        "A walk at constant speed around a circle of radius 1.5 in latent "
                        "space, over the test digits' codes."),
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
    """Runs every tutorial script section by section, as its page shows it.

    The outputs shown under each code block are what that block printed
    (docs/assets/tutorial/out/NN_name.SECTION.txt); the figures are copied from
    runs/tutorial/. The scripts run in order in one folder, so steps 7 to 9 use
    the model that step 6 saved, as a reader's would.
    """
    out = ROOT / "runs" / "tutorial"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(TUTORIAL_ASSETS, ignore_errors=True)
    TUTORIAL_ASSETS.mkdir(parents=True)
    for script in sorted((ROOT / "tutorial").glob("[0-9][0-9]_*.py")):
        run([sys.executable, "scripts/tutorial_sections.py", "run", script.relative_to(ROOT),
             (TUTORIAL_ASSETS / "out").relative_to(ROOT)], env)
    for png in sorted(out.glob("*.png")):
        shutil.copy2(png, TUTORIAL_ASSETS / png.name)


def make_results(env, args):
    sweep = ROOT / "runs" / "docs-sweep"
    cmd = [sys.executable, "-m", "vae_keras.experiments", "--data-dir", args.data_dir,
           "--epochs", str(args.epochs), "--output-dir", sweep.relative_to(ROOT),
           "--latent-dims", *map(str, LATENT_DIMS)]
    if args.only == "results-figures":  # redraw from the finished runs in runs/docs-sweep
        (sweep / "results.json").unlink(missing_ok=True)  # its command may name only some sizes
        run(cmd[:3] + ["--output-dir", sweep.relative_to(ROOT), "--summarize-only"], env)
        minutes = None  # the training times of the runs are summed below instead
    else:
        shutil.rmtree(sweep, ignore_errors=True)
        started = time.monotonic()
        run(cmd, env, log=ROOT / "runs" / "docs-sweep.log")
        minutes = (time.monotonic() - started) / 60
    for folder in ("z2", "z20", "sweep"):  # the deeper/ figures are made_deeper's
        shutil.rmtree(FIGURE_ASSETS / folder, ignore_errors=True)

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
            "active_units": metrics.get("test_active_units"),
            "train_seconds": metrics.get("train_seconds"),
            **last_epoch(run_dir / "history.csv"),
        }
        if d in RUN_FIGURES:
            (FIGURE_ASSETS / f"z{d}").mkdir(parents=True)
            for name in RUN_FIGURES[d]:
                shutil.copy2(run_dir / "figures" / name, FIGURE_ASSETS / f"z{d}" / name)
    make_explorer(env, sweep / "z2", args.data_dir)
    (FIGURE_ASSETS / "sweep").mkdir(parents=True)
    for name in SWEEP_FIGURES:
        shutil.copy2(sweep / name, FIGURE_ASSETS / "sweep" / name)
    (FIGURE_ASSETS / "sweep" / "results.md").write_text(public((sweep / "results.md").read_text()))
    record = {
        "command": "python scripts/make_docs_figures.py " + shlex.join(sys.argv[1:]),
        "sweep_command": "python -m vae_keras.experiments " + " ".join(map(str, cmd[3:])),
        "backend": env["KERAS_BACKEND"],
        "hardware": args.hardware or f"CPU, {os.cpu_count()} cores, no GPU",
        "minutes": round(minutes if minutes is not None else
                         sum(r["train_seconds"] or 0 for r in runs.values()) / 60, 1),
        "minutes_counted": "the sweep command" if minutes is not None else
                           "the four runs' training (evaluation not counted)",
        "date": datetime.date.today().isoformat(),
        "runs": runs,
    }
    (FIGURE_ASSETS / "figures.json").write_text(json.dumps(record, indent=2) + "\n")
    write_captions(record)


def make_explorer(env, run_dir, data_dir):
    """The latent explorer's decoder and test codes (docs/explorer.md) from the 2-D run."""
    run([sys.executable, "-m", "vae_keras.export_web", run_dir.relative_to(ROOT),
         EXPLORER_ASSETS.relative_to(ROOT), "--data-dir", data_dir], env)


def deeper_training(env, args):
    """Trains and evaluates the runs of the "Going deeper" pages (about 130 epochs in all)."""
    shutil.rmtree(DEEPER, ignore_errors=True)
    py, data = [sys.executable, "-m"], ["--data-dir", args.data_dir]
    run(py + ["vae_keras.experiments", *data, "--epochs", "10", "--output-dir",
              DEEPER / "beta-sweep", "--latent-dims", "20", "--betas", *BETAS,
              "--no-run-figures", *QUIET], env)
    for name, _, options in COLLAPSE_RUNS:
        run(py + ["vae_keras.train", *data, "--latent-dim", "20", "--epochs", "10",
                  "--output-dir", DEEPER / "collapse", "--run-name", name, *options,
                  "--no-evaluate", *QUIET], env)
        run(py + ["vae_keras.evaluate", DEEPER / "collapse" / name, "--no-figures"], env)
    run(py + ["vae_keras.train", *data, *BINARIZED, "--epochs", "20", "--output-dir", DEEPER,
              "--run-name", "binarized", "--no-evaluate", *QUIET], env)
    run(py + ["vae_keras.evaluate", DEEPER / "binarized", "--no-figures"], env)
    run(py + ["vae_keras.evaluate", DEEPER / "binarized", "--no-figures", "--k", "5000",
              "--max-test", "500", "--metrics-file", "metrics-k5000.json"], env)


def make_deeper(env, args):
    """The experiments' figures and numbers: docs/assets/figures/deeper/ and deeper.json."""
    z2 = ROOT / "runs" / "docs-sweep" / "z2"
    if not (z2 / "model.keras").is_file():
        sys.exit("the 2-D run runs/docs-sweep/z2 is missing: run --only results first")
    if args.only != "deeper-figures":
        deeper_training(env, args)
    py = [sys.executable, "-m"]
    # The 2-D analyses take minutes: deeper-figures keeps their results if present.
    redraw = args.only == "deeper-figures"
    if not (redraw and (z2 / "exact" / "exact.json").is_file()):
        run(py + ["vae_keras.exact", z2, "--images", "1000"], env)
    if not (redraw and (z2 / "aggregate" / "aggregate.json").is_file()):
        run(py + ["vae_keras.aggregate", z2], env)
    run(py + ["vae_keras.experiments", "--output-dir", DEEPER / "beta-sweep",
              "--summarize-only"], env)
    collapse = [DEEPER / "beta-sweep" / "z20-beta1"] + [DEEPER / "collapse" / n
                                                        for n, _, _ in COLLAPSE_RUNS]
    labels = ["beta = 1 (the ELBO)"] + [label for _, label, _ in COLLAPSE_RUNS]
    run(py + ["vae_keras.collapse", *collapse, "--output-dir", DEEPER / "collapse" / "compare",
              "--labels", *labels], env)
    shutil.rmtree(DEEPER_ASSETS, ignore_errors=True)
    DEEPER_ASSETS.mkdir(parents=True)
    sys.path.insert(0, str(ROOT))
    from vae_keras.plots_deeper import reparameterization_graph

    fig = reparameterization_graph()
    fig.savefig(DEEPER_ASSETS / "reparameterization.png", dpi=fig.dpi)
    copies = {z2 / "exact" / "posteriors.png": "posteriors.png",
              z2 / "aggregate" / "aggregate_posterior.png": "aggregate_posterior.png",
              DEEPER / "beta-sweep" / "rate_distortion.png": "rate_distortion.png",
              DEEPER / "beta-sweep" / "reconstructions.png": "beta_reconstructions.png",
              DEEPER / "beta-sweep" / "samples.png": "beta_samples.png",
              DEEPER / "collapse" / "compare" / "reconstructions.png": "collapse_reconstructions.png",
              DEEPER / "collapse" / "compare" / "kl_per_unit.png": "kl_per_unit.png"}
    for source, name in copies.items():
        shutil.copy2(source, DEEPER_ASSETS / name)

    def read(path):
        return json.loads(Path(path).read_text())

    record = {
        "command": "python scripts/make_docs_figures.py " + shlex.join(sys.argv[1:]),
        "backend": env["KERAS_BACKEND"],
        "date": datetime.date.today().isoformat(),
        "hardware": args.hardware or f"CPU, {os.cpu_count()} cores, no GPU",
        "z2": {"config": read(z2 / "config.json"), "metrics": read(z2 / "metrics.json")},
        "exact": read(z2 / "exact" / "exact.json"),
        "aggregate": read(z2 / "aggregate" / "aggregate.json"),
        "beta_sweep": read(DEEPER / "beta-sweep" / "results.json"),
        "collapse": read(DEEPER / "collapse" / "compare" / "collapse.json"),
        "binarized": {"config": read(DEEPER / "binarized" / "config.json"),
                      "metrics": read(DEEPER / "binarized" / "metrics.json"),
                      "k5000": read(DEEPER / "binarized" / "metrics-k5000.json")},
    }
    (DEEPER_ASSETS / "deeper.json").write_text(json.dumps(record, indent=2) + "\n")
    write_deeper_snippets(record)


def write_deeper_snippets(record):
    """captions.md (figure blocks) and tables.md (tables) for the Going deeper pages.

    Their figures' paths are relative to docs/deeper/, except the
    reparameterization diagram's, which the Theory page includes.
    """
    z2 = record["z2"]["metrics"]
    ex = record["exact"]
    epochs2 = record["z2"]["config"]["epochs"]
    setting = (f"Full MNIST (grey levels), {record['backend']} backend")
    blocks = [figure_block(
        "reparameterization", "assets/figures/deeper/reparameterization.png",
        "Two computational graphs: sampling z directly blocks gradients to the encoder; "
        "z = mu + sigma * eps lets them through",
        "The reparameterization trick as a computational graph. Left: z drawn from "
        "N(mu, sigma^2) is a random node, and the reconstruction term's gradient stops at it. "
        "Right: the randomness is moved into an input eps, and z = mu + sigma * eps is a "
        "differentiable function of the encoder's outputs. A drawing, not a run.")]
    rows = {r["bound"]: r for r in ex["rows"]}
    blocks.append(figure_block(
        "posteriors", "../assets/figures/deeper/posteriors.png",
        "Four panels of filled blue contours (true posterior) with red ellipses (q) on top",
        f"True posterior p(z|x), computed on a grid with spacing {ex['spacing']}, against "
        f"the encoder's Gaussian q(z|x), for the first test image of four digit classes. "
        f"Each panel's KL(q || p(z|x)) is exactly its log p(x) - ELBO. {setting}, the 2-D "
        f"784-512-2 model after {epochs2} epochs (test -ELBO {z2['test_neg_elbo']:.1f} nats; "
        f"exact -log p(x) of the first {ex['images']} test images "
        f"{rows['exact log p(x)']['nats']:.1f} nats)."))
    agg = record["aggregate"]
    shares = sorted(agg["prior_shares"].items(), key=lambda kv: -kv[1])
    blocks.append(figure_block(
        "aggregate", "../assets/figures/deeper/aggregate_posterior.png",
        "Heat map of the aggregate posterior with prior circles, a scatter of prior draws "
        "coloured by digit, and a bar chart of digit shares",
        f"The aggregate posterior q(z) of the {agg['images']} test images against the prior, "
        f"for the same 2-D model. KL(q(z) || p(z)) = {agg['kl_aggregate_to_prior']:.2f} nats. "
        f"Prior draws land most often where {shares[0][0]}s ({100 * shares[0][1]:.0f}%), "
        f"{shares[1][0]}s ({100 * shares[1][1]:.0f}%) and {shares[2][0]}s "
        f"({100 * shares[2][1]:.0f}%) dominate, least often on {shares[-1][0]}s "
        f"({100 * shares[-1][1]:.0f}%) and {shares[-2][0]}s ({100 * shares[-2][1]:.0f}%)."))
    sweep = record["beta_sweep"]["rows"]
    by_beta = {r["beta"]: r for r in sweep}
    lo, hi = by_beta[min(by_beta)], by_beta[max(by_beta)]
    sweep_setting = (f"{setting}, 784-512-20 models, {sweep[0]['epochs']} epochs each, "
                     f"{record['beta_sweep']['test_examples']} test images")
    blocks.append(figure_block(
        "rate-distortion", "../assets/figures/deeper/rate_distortion.png",
        "Rate-distortion curve: one point per beta, KL on the x axis, reconstruction on the y axis",
        f"Rate against distortion, one run per beta. From beta = {lo['beta']:g} to "
        f"{hi['beta']:g} the KL falls from {lo['test_kl_loss']:.1f} to "
        f"{hi['test_kl_loss']:.1f} nats while the reconstruction loss rises from "
        f"{lo['test_reconstruction_loss']:.1f} to {hi['test_reconstruction_loss']:.1f}; "
        f"the dashed lines are constant -ELBO. {sweep_setting}."))
    blocks.append(figure_block(
        "beta-reconstructions", "../assets/figures/deeper/beta_reconstructions.png",
        "Rows of reconstructions of twelve test digits, one row per beta",
        f"Reconstructions of the same 12 test digits for each beta: sharper for small beta, "
        f"blurrier and more generic as beta grows. {sweep_setting}."))
    blocks.append(figure_block(
        "beta-samples", "../assets/figures/deeper/beta_samples.png",
        "Panels of 64 generated digits, one panel per beta",
        f"Samples from the prior for each beta: small beta reconstructs well but samples "
        f"poorly (its aggregate posterior strays from N(0, I)); large beta samples look like "
        f"blurry average digits. {sweep_setting}."))
    col = {r["label"]: r for r in record["collapse"]["rows"]}
    collapsed = next(r for r in record["collapse"]["rows"] if r["label"].startswith("beta = 784 ("))
    blocks.append(figure_block(
        "collapse-reconstructions", "../assets/figures/deeper/collapse_reconstructions.png",
        "Rows of reconstructions; the beta = 784 row shows the same blurred digit everywhere",
        f"Reconstructions of 12 test digits by four objectives. With the pixel-averaged "
        f"loss (beta = 784) the KL is {collapsed['test_kl_loss']:.3f} nats and "
        f"{collapsed['active_units']} of {collapsed['latent_dim']} units are active: every "
        f"reconstruction is the same image (spread {collapsed['reconstruction_spread']:.3f}). "
        f"{setting}, 784-512-20 models, 10 epochs each."))
    blocks.append(figure_block(
        "kl-per-unit", "../assets/figures/deeper/kl_per_unit.png",
        "Bar chart of the KL of each latent unit for four runs",
        "KL per latent unit, averaged over " + f"{record['collapse']['images']} test images, "
        "sorted, log scale; "
        + "; ".join(f"{label}: {r['active_units']} active units" for label, r in col.items())
        + "."))
    (DEEPER_ASSETS / "captions.md").write_text(
        "<!-- Written by scripts/make_docs_figures.py from deeper.json: do not edit. -->\n\n"
        + "\n".join(blocks))
    (DEEPER_ASSETS / "tables.md").write_text(
        "<!-- Written by scripts/make_docs_figures.py from deeper.json: do not edit. -->\n\n"
        + "\n".join(deeper_tables(record)))


def section(name, text):
    return f"<!-- --8<-- [start:{name}] -->\n{text}\n<!-- --8<-- [end:{name}] -->\n"


def deeper_tables(record):
    """The tables of the Going deeper pages, as named snippet sections."""
    ex, z2 = record["exact"], record["z2"]
    lines = ["| estimate of -log p(x) | nats per image | share of the ELBO's gap closed |",
             "|---|---:|---:|"]
    for r in ex["rows"]:
        name = {"ELBO (L_1)": "-ELBO (= -L<sub>1</sub>)",
                "exact log p(x)": "**exact -log p(x)** (grid)"}.get(
            r["bound"], f"-L<sub>{r['bound'][2:]}</sub>")
        lines.append(f"| {name} | {r['nats']:.2f} | {100 * r['gap_closed']:.0f}% |")
    lines.append("")
    lines.append(
        f"The first {ex['images']} MNIST test images (grey levels), the 2-D model "
        f"({z2['config']['hidden_dim']} hidden units, {z2['config']['epochs']} epochs, "
        f"{record['backend']}). Grid: [-{ex['extent']:.2f}, {ex['extent']:.2f}]<sup>2</sup>, "
        f"spacing {ex['spacing']}; doubling the spacing changes no image's log p(x) by more "
        f"than {ex['spacing_error_nats']:.3f} nats, widening the grid by 20% by more than "
        f"{ex['extent_error_nats']:.1e}. ELBO from 100 draws per image; L<sub>k</sub> one draw "
        f"of the k-sample estimator per image.")
    out = [section("exact", "\n".join(lines))]

    rows = record["collapse"]["rows"]
    lines = ["| run | reconstruction | KL | -ELBO | active units | reconstruction spread |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['label']} | {r['test_reconstruction_loss']:.2f} | "
                     f"{r['test_kl_loss']:.2f} | {r['test_neg_elbo']:.2f} | "
                     f"{r['active_units']} of {r['latent_dim']} | {r['reconstruction_spread']:.3f} |")
    lines.append("")
    lines.append(f"Full MNIST (grey levels), {record['backend']}, 784-512-20 models, 10 epochs "
                 f"each, seed 0. Nats per test image over all 10,000 test images; active units "
                 f"and spread (the pixel standard deviation across reconstructions, 0 when all "
                 f"are the same image) over the first {record['collapse']['images']}.")
    out.append(section("collapse", "\n".join(lines)))

    sweep = sorted(record["beta_sweep"]["rows"], key=lambda r: r["beta"])
    lines = ["| beta | rate: KL | distortion: reconstruction | -ELBO | -L<sub>100</sub> | "
             "active units |", "|---:|---:|---:|---:|---:|---:|"]
    for r in sweep:
        lines.append(f"| {r['beta']:g} | {r['test_kl_loss']:.2f} | "
                     f"{r['test_reconstruction_loss']:.2f} | {r['test_neg_elbo']:.2f} | "
                     f"{-r['test_log_likelihood']:.2f} | {r['active_units']} of {r['latent_dim']} |")
    lines.append("")
    lines.append(f"Full MNIST (grey levels), {record['backend']}, 784-512-20 models, "
                 f"{sweep[0]['epochs']} epochs each, seed 0; nats per test image, all 10,000 "
                 f"test images; -ELBO is always the beta = 1 bound, whatever beta trained it.")
    out.append(section("beta", "\n".join(lines)))

    b = record["binarized"]
    m, big, config = b["metrics"], b["k5000"], b["config"]
    lines = ["| model | training | test -ELBO | -log p(x) bound |", "|---|---|---:|---:|",
             f"| this package: 784-{config['hidden_dim']}-{config['hidden_dim']}-"
             f"{config['latent_dim']}, ReLU | {config['epochs']} epochs, ELBO, Adam 0.001, "
             f"batch {config['batch_size']} | {m['test_neg_elbo']:.2f} | "
             f"{m['test_neg_iwae_bound']:.2f} (K = {m['iwae_k']}, 10,000 images); "
             f"{big['test_neg_iwae_bound']:.2f} (K = {big['iwae_k']}, first "
             f"{big['test_examples']} images) |",
             "| Burda et al. (2016), VAE, 1 stochastic layer: 784-200-200-50, tanh | "
             "3,280 epochs, ELBO (K = 1), Adam, batch 20, learning rate decayed in 8 stages "
             "| not reported | 86.76 (K = 5000) |",
             "| Burda et al. (2016), IWAE, same architecture | same, trained on "
             "L<sub>50</sub> | not reported | 84.78 (K = 5000) |",
             "",
             f"Dynamically binarized MNIST (a fresh Bernoulli draw of every training batch), "
             f"one fixed binarized test set (seed 0); {record['backend']}, seed 0. The bound "
             f"on the first {big['test_examples']} test images with K = {big['iwae_k']} "
             f"({big['test_active_units']} of {config['latent_dim']} units active): "
             f"-ELBO on those images {big['test_neg_elbo']:.2f}."]
    out.append(section("binarized", "\n".join(lines)))
    return out


def public(command):
    """A command as the docs show it: the data folder as DIR, never a machine path."""
    import re

    return re.sub(r"--data-dir \S+", "--data-dir DIR", command)


def write_sweep_table(record):
    """sweep/results.md from figures.json, in the sweep command's own table format."""
    sys.path.insert(0, str(ROOT))
    from vae_keras.experiments import markdown_table

    runs = list(record["runs"].values())
    results = {"dataset": runs[0]["dataset"], "backend": record["backend"],
               "test_examples": runs[0]["test_examples"],
               "command": record["sweep_command"].replace("python -m vae_keras.experiments ", "",
                                                          1),
               "rows": [{**r, "active_units": r.get("active_units")} for r in runs]}
    results["command"] = public("python -m vae_keras.experiments " + results["command"])
    (FIGURE_ASSETS / "sweep" / "results.md").write_text(markdown_table(results))


def last_epoch(path):
    """-ELBO of the last epoch's train and test columns of a history.csv."""
    import csv

    with open(path, newline="") as f:
        row = list(csv.DictReader(f))[-1]
    return {"train_neg_elbo": float(row["reconstruction_loss"]) + float(row["kl_loss"]),
            "val_neg_elbo": float(row["val_reconstruction_loss"]) + float(row["val_kl_loss"])}


def caption(run, what):
    """`what`, filled from the run's record, then the run in a few words."""
    try:
        what = what.format(**run)
    except KeyError:  # a record from before the field existed: keep the sentence's first part
        what = what.split(";")[0].split(" after the last")[0].rstrip(",. ") + "."
    return (f"{what} Latent size {run['latent_dim']}, {run['epochs']} epochs "
            f"(-ELBO {run['test_neg_elbo']:.1f}, -L<sub>{run['iwae_k']}</sub> "
            f"{-run['test_log_likelihood']:.1f} nats).")


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
    runs = list(record["runs"].values())

    def per_size(key, sign=1):
        return ", ".join(f"{r['latent_dim']}: {sign * r[key]:.1f}" for r in runs)

    sizes = ", ".join(str(r["latent_dim"]) for r in runs)
    for name, (alt, what) in {
        "samples.png": ("Panels of 64 generated digits, one per latent size",
                        f"64 samples from the prior per latent size ({sizes}); the KL term, "
                        f"nats per test image, by latent size: {per_size('test_kl_loss')}."),
        "reconstructions.png": ("Test digits and their reconstructions for each latent size",
                                "The first test digits and their reconstructions by each "
                                "latent size; reconstruction term by latent size: "
                                f"{per_size('test_reconstruction_loss')} nats."),
        "learning_curves.png": ("Test and train -ELBO against training examples seen, a "
                                "colour per latent size",
                                f"Test (solid) and train (dashed) -ELBO of the four runs, "
                                f"{runs[0]['epochs']} epochs each; final test -ELBO by latent "
                                f"size: {per_size('test_neg_elbo')} nats."),
    }.items():
        section = f"sweep-{name.replace('.', '-').replace('_', '-')}"
        blocks.append(figure_block(section, f"assets/figures/sweep/{name}", alt, what))
    text = ("<!-- Written by scripts/make_docs_figures.py from figures.json: do not edit. -->\n\n"
            + "\n".join(blocks))
    (FIGURE_ASSETS / "captions.md").write_text(text)
    (FIGURE_ASSETS / "command.md").write_text(
        f"```bash\nKERAS_BACKEND={record['backend']} {public(record['sweep_command'])}\n```\n\n"
        f"The figures on this page were made on {record['date']} by "
        f"`{record['command'].strip()}`; {record.get('minutes_counted', 'the sweep command')} "
        f"took {record['minutes']:.0f} minutes on {record['hardware']}. Every run: full MNIST (grey levels), "
        f"{record['backend']} backend, the 784-512-z MLP, batches of 128, Adam 0.001, "
        f"seed 0.\n")


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
    parser.add_argument("--only", choices=("tutorial", "results", "results-figures", "deeper",
                                           "deeper-figures", "captions"), default=None,
                        help="regenerate one part only (results-figures, deeper-figures: "
                        "redraw from the finished runs; captions: rewrite captions.md "
                        "from the existing figures.json and deeper.json)")
    parser.add_argument("--hardware", default=None,
                        help="what ran it, for the record (default: CPU, N cores, no GPU)")
    args = parser.parse_args(argv)
    env = dict(os.environ, KERAS_BACKEND=args.backend, TF_CPP_MIN_LOG_LEVEL="3")
    if args.only in (None, "tutorial"):
        make_tutorial(env)
    if args.only in (None, "results", "results-figures"):
        make_results(env, args)
    if args.only in (None, "deeper", "deeper-figures"):
        make_deeper(env, args)
    if args.only == "captions":
        record = json.loads((FIGURE_ASSETS / "figures.json").read_text())
        write_captions(record)
        write_sweep_table(record)
        if (DEEPER_ASSETS / "deeper.json").is_file():
            write_deeper_snippets(json.loads((DEEPER_ASSETS / "deeper.json").read_text()))


if __name__ == "__main__":
    main()
