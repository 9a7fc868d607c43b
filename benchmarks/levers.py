"""One speed lever at a time: Keras `fit` variants and the plain loop, alternating, in one process.

Usage (from the repository root):

    KERAS_BACKEND=torch python benchmarks/levers.py --levers default fused-encoder \\
        no-trackers no-noise --rounds 4 --data-dir DIR

Each lever is a model or compile setting that differs from the default in one
thing. Every round trains each variant (and the plain loop of
benchmarks/plain_*.py) for one epoch, in turn, so a drift in machine speed
hits them alike; an epoch's time ends when its weights are on the host. It
prints, per variant, the median seconds per epoch over rounds 2+ (round 1
compiles) and its ratio to the plain loop's median, and writes them as JSON
(`--output`).

Levers: `default` (the settings of vae_keras/fitting.py); `jit` (compile with
jit_compile=True and one step per call, Keras's default); `spe1` (Keras's default of one step per call), `spe8`,
`spe32` (steps_per_execution); `fused-encoder` (one
Dense of size 2 * latent_dim, split into mean and log-variance, instead of
two Dense layers); `no-trackers` (the loss without the two metric updates);
`no-noise` (the sampling layer without `keras.random.normal`: the noise is
replaced by ones, to price the random draw; the model is then not a VAE).
"""

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

import keras
from keras import layers, ops

from vae_keras import losses, models
from vae_keras.fitting import compile_kwargs, hide_tensorflow, training_data
from vae_keras.layers import Sampling

# Each changes the compile options of `default` (vae_keras/fitting.py); `jit` is
# Keras's defaults plus jit_compile=True, to compare with `spe1`.
COMPILE = {"jit": {"jit_compile": True, "steps_per_execution": 1},
           "spe1": {"steps_per_execution": 1},
           "spe8": {"steps_per_execution": 8},
           "spe32": {"steps_per_execution": 32}}
PLAIN = {"jax": ("plain_jax", "PlainJax"), "torch": ("plain_torch", "PlainTorch"),
         "tensorflow": ("plain_tf", "PlainTF")}


def fused_encoder(input_shape, latent_dim, hidden_dim=512, num_hidden_layers=1, arch="mlp"):
    """The MLP encoder with one Dense(2 * latent_dim) head, split into (mean, log_var)."""
    x = inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = layers.Flatten()(x)
    for i in range(num_hidden_layers):
        x = layers.Dense(hidden_dim, activation="relu", name=f"hidden_{i}")(x)
    both = layers.Dense(2 * latent_dim, name="z_mean_and_log_var")(x)
    mean, log_var = ops.split(both, 2, axis=-1)
    return keras.Model(inputs, [mean, log_var], name="encoder")


class NoTrackersVAE(models.VAE):
    """The same loss, without updating the reconstruction and KL trackers."""

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction = ops.mean(self.reconstruction_loss(x, y_pred["params"]))
        kl = ops.mean(losses.kl_divergence(y_pred["mean"], y_pred["log_var"]))
        return reconstruction + self.beta * kl


class OnesSampling(Sampling):
    """z = mean + exp(log_var / 2) * 1: the same arithmetic, no random draw."""

    def call(self, inputs):
        mean, log_var = inputs
        return mean + ops.exp(0.5 * log_var) * ops.ones_like(mean)


def build(lever, args, shape):
    sizes = dict(image_shape=shape, latent_dim=args.latent_dim, hidden_dim=args.hidden_dim,
                 seed=args.seed)
    keras.utils.set_random_seed(args.seed)
    cls = NoTrackersVAE if lever == "no-trackers" else models.VAE
    original_encoder, original_sampling = models.build_encoder, models.Sampling
    try:
        if lever == "fused-encoder":
            models.build_encoder = fused_encoder
        if lever == "no-noise":
            models.Sampling = OnesSampling
        vae = cls(**sizes)
    finally:
        models.build_encoder, models.Sampling = original_encoder, original_sampling
    options = compile_kwargs()
    options.update(COMPILE.get(lever, {}))
    vae.compile(optimizer=keras.optimizers.Adam(args.learning_rate), **options)
    return vae


LABELS = {"default": "default (vae_keras/fitting.py)",
          "jit": "`jit_compile=True`, one step per call",
          "spe1": "`steps_per_execution=1` (Keras's default)",
          "spe8": "`steps_per_execution=8`", "spe32": "`steps_per_execution=32`",
          "fused-encoder": "one `Dense(2 * latent_dim)` head, split",
          "no-trackers": "no metric updates", "no-noise": "no random draw (cost only)",
          "plain": "plain loop"}


def markdown(result):
    """The result as a Markdown table, CPU time first (the steadier on a shared machine)."""
    a, cpu, wall = result["args"], result["median_cpu"], result["median"]
    lines = [f"Command: `{result.get('command', 'python benchmarks/levers.py')}`"
             + (f"; load average {result['load']}" if result.get("load") else ""),
             "",
             f"| {result['backend']} variant | CPU s/epoch | Keras / plain, CPU | wall s/epoch "
             "| Keras / plain, wall |",
             "|---|---:|---:|---:|---:|"]
    for name in cpu:
        lines.append(f"| {LABELS.get(name, name)} | {cpu[name]:.2f} | {cpu[name] / cpu['plain']:.2f} "
                     f"| {wall[name]:.2f} | {wall[name] / wall['plain']:.2f} |")
    lines += ["", f"{a['rounds']} rounds, medians of rounds 2 and later; "
              f"{a['hidden_dim']} hidden units, z = {a['latent_dim']}, batch {a['batch_size']}."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--levers", nargs="+", default=["default"],
                   choices=["default", *COMPILE, "fused-encoder", "no-trackers", "no-noise"])
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--hidden-dim", type=int, default=400)
    p.add_argument("--latent-dim", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--tiny", action="store_true", help="bundled subset, 512 images")
    p.add_argument("--subset", type=int, default=None, help="train on the first N images only")
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument("--output", default=None,
                   help="JSON file for the numbers; a Markdown table goes beside it (.md)")
    p.add_argument("--render", metavar="JSON", default=None,
                   help="only rewrite the Markdown table of an earlier run's JSON")
    args = p.parse_args(argv)
    if args.render:
        source = Path(args.render)
        source.with_suffix(".md").write_text(markdown(json.loads(source.read_text())))
        return 0
    if args.rounds < 2:
        p.error("--rounds must be >= 2: the first round (compilation) is not counted")
    backend = keras.backend.backend()
    hide_tensorflow()
    if backend == "torch":
        import torch

        torch.set_num_threads(args.torch_threads)
    from vae_keras import load_dataset

    data = load_dataset("mnist_subset" if args.tiny else "mnist",
                        data_dir=None if args.tiny else args.data_dir)
    x = data.x_train[: 512 if args.tiny else args.subset]
    sys.path.insert(0, str(Path(__file__).parent))
    module, cls = PLAIN[backend]
    plain = getattr(importlib.import_module(module), cls)(
        x, data.x_test[:512], batch_size=args.batch_size, learning_rate=args.learning_rate,
        seed=args.seed, hidden_dim=args.hidden_dim, latent_dim=args.latent_dim)
    vaes = {lever: build(lever, args, x.shape[1:]) for lever in args.levers}
    # Wall and process CPU seconds per epoch. On a machine shared with other jobs,
    # wall time stretches with their load; CPU time much less.
    seconds = {name: [] for name in [*args.levers, "plain"]}
    cpu = {name: [] for name in seconds}
    load_start = os.getloadavg()[0]
    for _ in range(args.rounds):
        for lever, vae in vaes.items():
            start, cpu_start = time.perf_counter(), time.process_time()
            vae.fit(**training_data(x, args.batch_size, seed=args.seed), epochs=1, verbose=0)
            ops.convert_to_numpy(vae.trainable_weights[-1])  # the epoch's work is done
            seconds[lever].append(time.perf_counter() - start)
            cpu[lever].append(time.process_time() - cpu_start)
        cpu_start = time.process_time()
        seconds["plain"].append(plain.train_epoch())
        cpu["plain"].append(time.process_time() - cpu_start)
    median = {name: statistics.median(s[1:]) for name, s in seconds.items()}
    median_cpu = {name: statistics.median(s[1:]) for name, s in cpu.items()}
    print(f"{backend}, {len(x)} images, {args.rounds} rounds; per epoch, median of rounds 2+")
    for name in seconds:
        print(f"  {name:14s} wall {median[name]:6.2f} s ({median[name] / median['plain']:.2f} x plain)"
              f"  CPU {median_cpu[name]:6.2f} s ({median_cpu[name] / median_cpu['plain']:.2f} x plain)"
              f"  wall, all rounds: {', '.join(f'{s:.2f}' for s in seconds[name])}")
    if args.output:
        result = {"backend": backend, "args": vars(args), "seconds": seconds,
                  "cpu_seconds": cpu, "median": median, "median_cpu": median_cpu,
                  "command": f"KERAS_BACKEND={backend} python benchmarks/levers.py "
                             + " ".join(sys.argv[1:]),
                  "load": f"{load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"}
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
        Path(args.output).with_suffix(".md").write_text(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
