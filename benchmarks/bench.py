"""Keras `fit` against a plain loop in the same framework: seconds per epoch, test -ELBO.

Usage (from the repository root):

    python benchmarks/bench.py --backend all --epochs 10 --data-dir /work/shared/data/mnist

For each backend, a fresh process builds the default VAE (784-400-20 MLP by
default, Adam 1e-3, batch 128) with the settings in `vae_keras/fitting.py`,
and the same model written as a plain loop in that framework
(benchmarks/plain_*.py), from the same data in memory. Keras's epochs and the
plain loop's epochs alternate (the plain epoch runs in Keras's `on_epoch_end`),
so a drift in machine speed hits both alike. It writes a Markdown table
(`--output`, included in docs/performance.md) and the same numbers as JSON.
"""

import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

BACKENDS = ("jax", "torch", "tensorflow")
ROOT = Path(__file__).resolve().parents[1]
PLAIN = {"jax": ("plain_jax", "PlainJax"), "torch": ("plain_torch", "PlainTorch"),
         "tensorflow": ("plain_tf", "PlainTF")}
PACKAGES = {"jax": ("jax", "jaxlib"), "torch": ("torch",),
            "tensorflow": ("tensorflow", "tensorflow-cpu")}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--backend", default="all", choices=(*BACKENDS, "all"))
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--hidden-dim", type=int, default=400)
    p.add_argument("--latent-dim", type=int, default=20)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None,
                   help="folder with the MNIST IDX files (default: $VAE_KERAS_DATA or download)")
    p.add_argument("--subset", type=int, default=None,
                   help="use only the first N training and test images")
    p.add_argument("--tiny", action="store_true",
                   help="smoke test: bundled MNIST subset, 512 images, 2 epochs")
    p.add_argument("--keras", default="fast", choices=("fast", "naive"),
                   help="fast: vae_keras.fitting settings; naive: compile() and fit(x) defaults")
    p.add_argument("--compile-json", default=None,
                   help="JSON dict merged into the compile keyword arguments (for ablations)")
    p.add_argument("--torch-threads", type=int, default=None,
                   help="torch.set_num_threads for Keras and the plain loop alike (torch only)")
    p.add_argument("--output", default="benchmarks/results.md",
                   help="Markdown table; the JSON goes beside it with a .json suffix")
    p.add_argument("--render", metavar="JSON", default=None,
                   help="only rewrite the Markdown table of an earlier run's JSON (beside it)")
    p.add_argument("--worker-output", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.tiny:
        args.subset, args.epochs = args.subset or 512, min(args.epochs, 2)
    if args.epochs < 2:
        p.error("--epochs must be >= 2: the first epoch (compilation) is reported apart")
    return args


def load_images(args):
    from vae_keras import load_dataset

    name = "mnist_subset" if args.tiny else "mnist"
    data = load_dataset(name, data_dir=None if args.tiny else args.data_dir)
    x_train, x_test = data.x_train, data.x_test
    if args.subset:
        x_train, x_test = x_train[: args.subset], x_test[: args.subset]
    return name, x_train, x_test


def summary(name, epoch_seconds, epoch_cpu_seconds, test_nelbo, eval_seconds, n_train):
    median = statistics.median(epoch_seconds[1:])
    return {
        "implementation": name,
        "first_epoch_s": epoch_seconds[0],
        "median_epoch_s": median,
        "examples_per_s": n_train / median,
        "test_nelbo": test_nelbo,
        "evaluate_s": eval_seconds,
        "median_epoch_cpu_s": statistics.median(epoch_cpu_seconds[1:]),
        "epoch_s": epoch_seconds,
        "epoch_cpu_s": epoch_cpu_seconds,
    }


def run_backend(args):
    """Trains Keras and the plain loop, interleaved, under KERAS_BACKEND; returns a dict."""
    import importlib

    import keras

    from vae_keras import VAE
    from vae_keras.fitting import compile_kwargs, training_data

    backend = keras.backend.backend()
    threads = None
    if backend == "torch":
        import torch

        if args.torch_threads:
            torch.set_num_threads(args.torch_threads)
        threads = torch.get_num_threads()
    dataset, x_train, x_test = load_images(args)
    sizes = dict(hidden_dim=args.hidden_dim, latent_dim=args.latent_dim)
    sys.path.insert(0, str(Path(__file__).parent))
    module, cls = PLAIN[backend]
    plain = getattr(importlib.import_module(module), cls)(
        x_train, x_test, batch_size=args.batch_size, learning_rate=args.learning_rate,
        seed=args.seed, **sizes)

    keras.utils.set_random_seed(args.seed)
    vae = VAE(image_shape=x_train.shape[1:], num_hidden_layers=1, arch="mlp",
              seed=args.seed, **sizes)
    options = compile_kwargs(backend) if args.keras == "fast" else {}
    options.update(json.loads(args.compile_json or "{}"))
    vae.compile(optimizer=keras.optimizers.Adam(args.learning_rate), **options)
    if args.keras == "fast":
        fit_data = training_data(x_train, args.batch_size, seed=args.seed, backend=backend)
    else:
        fit_data = {"x": x_train, "batch_size": args.batch_size}

    keras_seconds, plain_seconds, keras_cpu, plain_cpu = [], [], [], []

    class Interleave(keras.callbacks.Callback):
        """Times each Keras epoch, then runs one plain epoch while Keras waits."""

        def on_epoch_begin(self, epoch, logs=None):
            if epoch:
                self.start, self.cpu = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            # JAX dispatches asynchronously: the epoch ends when its weights exist.
            keras.ops.convert_to_numpy(self.model.trainable_weights[-1])
            keras_seconds.append(time.perf_counter() - self.start)
            keras_cpu.append(time.process_time() - self.cpu)
            cpu = time.process_time()
            plain_seconds.append(plain.train_epoch())
            plain_cpu.append(time.process_time() - cpu)

    timer = Interleave()
    # The first epoch includes fit's set-up and compilation.
    timer.start, timer.cpu = time.perf_counter(), time.process_time()
    vae.fit(**fit_data, epochs=args.epochs, verbose=0, callbacks=[timer])

    start = time.perf_counter()
    keras_nelbo = vae.evaluate(x_test, batch_size=1024, verbose=0, return_dict=True)["loss"]
    keras_eval = time.perf_counter() - start
    start = time.perf_counter()
    plain_nelbo = plain.evaluate(batch_size=1024)
    plain_eval = time.perf_counter() - start

    label = "Keras 3 fit" + (" (naive)" if args.keras == "naive" else "")
    keras_row = summary(label, keras_seconds, keras_cpu, float(keras_nelbo), keras_eval,
                        len(x_train))
    plain_row = summary(plain.name, plain_seconds, plain_cpu, float(plain_nelbo), plain_eval,
                        len(x_train))
    keras_row["compile_kwargs"] = dict(options)
    keras_row["input"] = type(fit_data["x"]).__name__
    return {
        "backend": backend,
        "torch_threads": threads,
        "versions": _versions(("keras", "numpy", *PACKAGES[backend])),
        "dataset": dataset, "n_train": len(x_train), "n_test": len(x_test),
        "pixels": int(x_train[0].size),
        "rows": [keras_row, plain_row],
        "ratio": keras_row["median_epoch_s"] / plain_row["median_epoch_s"],
        "cpu_ratio": keras_row["median_epoch_cpu_s"] / plain_row["median_epoch_cpu_s"],
        "elbo_gap": keras_row["test_nelbo"] - plain_row["test_nelbo"],
    }


def _versions(packages):
    found = {}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # e.g. tensorflow-cpu where tensorflow is
            pass
    return found


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform(),
            "python": platform.python_version(), "load_average": _load()}


def _load():
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def markdown(report):
    m, a = report["machine"], report["args"]
    # The data folder is this machine's: the page shows where yours goes.
    command = re.sub(r"--data-dir \S+", "--data-dir DIR", report["command"])
    lines = [
        f"Measured {report['date']} on {m['cpu']} ({m['cores']} cores, CPU only; load "
        f"average {m['load_average']} at the start, {report['load_average_end']} at the end), "
        f"Python {m['python']}.",
        "",
        f"Command: `{command}`",
        "",
        f"Model: {_sizes(report)} MLP, "
        f"Adam {a['learning_rate']:g}, batch {a['batch_size']}, {a['epochs']} epochs, "
        "data in memory, shuffled every epoch.",
        "",
        "| backend | implementation | first epoch (s) | s/epoch | examples/s "
        "| test -ELBO (nats) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        for row in r["rows"]:
            lines.append(
                f"| {r['backend']} | {row['implementation']} | {row['first_epoch_s']:.2f} "
                f"| {row['median_epoch_s']:.2f} | {row['examples_per_s']:,.0f} "
                f"| {row['test_nelbo']:.2f} |")
    # The ratios in a table of their own: eight columns do not fit a page at 1280 px.
    lines += [
        "",
        "| backend | Keras / plain, wall time | Keras / plain, CPU time | -ELBO, Keras - plain |",
        "|---|---:|---:|---:|",
    ]
    for r in report["results"]:
        lines.append(f"| {r['backend']} | **{r['ratio']:.2f}** | {r['cpu_ratio']:.2f} "
                     f"| {r['rows'][0]['test_nelbo'] - r['rows'][1]['test_nelbo']:+.2f} |")
    lines += ["", "s/epoch: median of epochs 2 and later; the first epoch includes "
              "compilation and `fit`'s set-up."]
    lines += ["", "Data: " + "; ".join(
        f"{r['backend']}: {r['dataset']} {r['n_train']:,} train / {r['n_test']:,} test"
        for r in report["results"])]
    lines += ["", "Keras settings (`vae_keras/fitting.py`): " + "; ".join(
        f"{r['backend']}: compile({_kwargs(r['rows'][0]['compile_kwargs'])}), "
        f"fit on {r['rows'][0]['input']}"
        + (f", torch threads {r['torch_threads']}" if r.get("torch_threads") else "")
        for r in report["results"])]
    lines += ["", "Versions: " + "; ".join(
        f"{r['backend']}: " + ", ".join(f"{k} {v}" for k, v in r["versions"].items())
        for r in report["results"])]
    return "\n".join(lines) + "\n"


def _sizes(report):
    a, r = report["args"], report["results"][0]
    return f"{r.get('pixels', 784)}-{a['hidden_dim']}-{a['latent_dim']}"


def _kwargs(options):
    return ", ".join(f"{k}={v!r}" for k, v in options.items()) or "defaults"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.render:
        source = Path(args.render)
        source.with_suffix(".md").write_text(markdown(json.loads(source.read_text())))
        print(f"wrote {source.with_suffix('.md')}")
        return 0
    if args.worker_output:  # one backend, in this process
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        result = run_backend(args)
        Path(args.worker_output).write_text(json.dumps(result))
        return 0
    report = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": machine(), "args": vars(args),
              "command": "python benchmarks/bench.py " + shlex.join(argv), "results": []}
    backends = BACKENDS if args.backend == "all" else (args.backend,)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            out = Path(tmp) / f"{backend}.json"
            env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
            cmd = [sys.executable, str(Path(__file__).resolve()), *argv,
                   "--worker-output", str(out)]
            print(f"=== {backend}", flush=True)
            code = subprocess.call(cmd, env=env, cwd=ROOT)
            if code or not out.exists():
                print(f"the {backend} benchmark failed (exit {code})", file=sys.stderr)
                return code or 1
            result = json.loads(out.read_text())
            report["results"].append(result)
            print(f"{backend}: Keras {result['rows'][0]['median_epoch_s']:.2f} s/epoch, plain "
                  f"{result['rows'][1]['median_epoch_s']:.2f} s/epoch, ratio "
                  f"{result['ratio']:.2f}; test -ELBO {result['rows'][0]['test_nelbo']:.2f} vs "
                  f"{result['rows'][1]['test_nelbo']:.2f}", flush=True)
    report["load_average_end"] = _load()
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown(report))
    output.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {output} and {output.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
