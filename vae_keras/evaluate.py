"""Test-set ELBO and importance-weighted log-likelihood of a trained VAE, and all its figures.

Usage: python -m vae_keras.evaluate RUN_DIR [--k 100] [--elbo-draws 10]

Both numbers are in nats per test image. The ELBO is averaged over several
draws of z per image. The second number estimates the importance-weighted
bound of Burda et al. (2016) with k samples z_i ~ q(z|x),

    L_k = E[ log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x) ] <= log p(x),

which is the ELBO for k = 1 and tightens as k grows. Only the expectation is
a bound: one draw of the bracket can exceed log p(x). The mean over test
images of one draw per image, `test_log_likelihood` in metrics.json (and its
negative, `test_neg_iwae_bound`, the "NLL" of papers), is an unbiased
estimate of the mean L_k. Results go to `RUN_DIR/metrics.json`, with the
number of active latent units; figures and animations to `RUN_DIR/figures/`.
"""

import math
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # an unknown KERAS_BACKEND: one line, before Keras loads
    from vae_keras.cli import check_backend

    check_backend()

from keras import ops  # noqa: E402

from vae_keras import runs  # noqa: E402
from vae_keras.cli import (  # noqa: E402
    ArgumentParser,
    existing_dir,
    load_run_or_fail,
    positive_int,
    seed_int,
)
from vae_keras.losses import kl_divergence  # noqa: E402

DEFAULT_K = 100        # about a minute for the 10,000 MNIST test images on 2 CPU cores
DEFAULT_DRAWS = 10
DEFAULT_BATCH = 50     # images per batch: k * batch codes are decoded at once
MAX_CODES_PER_BATCH = 20_000
LOG_2PI = math.log(2.0 * math.pi)
UNPREFIXED = ("iwae_k", "elbo_draws", "test_examples", "latent_dim")
ACTIVE_UNIT_THRESHOLD = 0.01  # Burda et al. (2016), section 5.2


def log_weights(vae, x, eps, labels=None):
    """Importance log-weights and ELBO terms for the draws `eps` (all `keras.ops`).

    Args:
        vae: A `VAE`.
        x: Images `(B, H, W, C)`.
        eps: Standard normal noise `(B, k, latent_dim)`: k draws per image.
        labels: For a `ConditionalVAE`, one-hot labels `(B, num_classes)`:
            q and p then condition on them, and the bound is on log p(x | y).

    Returns:
        `(log_w, reconstruction, kl)`: `log_w[b, i] = log p(x_b, z_i) - log q(z_i | x_b)`
        with `z_i = mean + std * eps[b, i]`, shape `(B, k)`; `reconstruction`
        `(B, k)` is `-log p(x_b | z_i)` from the model's own loss; `kl` `(B,)`
        is the closed-form KL(q(z|x) || p(z)).
    """
    batch, k, latent_dim = ops.shape(eps)
    mean, log_var = vae.encoder(x if labels is None else [x, labels], training=False)
    z = mean[:, None] + ops.exp(0.5 * log_var)[:, None] * eps
    z_flat = ops.reshape(z, (-1, latent_dim))
    params = vae.decoder(z_flat if labels is None else [z_flat, ops.repeat(labels, k, axis=0)],
                         training=False)
    repeated = ops.repeat(x, k, axis=0)  # image-major, like the reshaped z
    reconstruction = ops.reshape(vae.reconstruction_loss(repeated, params), (batch, k))
    log_pz = -0.5 * ops.sum(ops.square(z) + LOG_2PI, axis=-1)
    log_qz = -0.5 * ops.sum(ops.square(eps) + LOG_2PI + log_var[:, None], axis=-1)
    log_w = -reconstruction + log_pz - log_qz
    return log_w, reconstruction, kl_divergence(mean, log_var)


def estimate(vae, x, k, batch_size=DEFAULT_BATCH, seed=0, labels=None):
    """Per-image estimates from `k` draws of z (NumPy dict, nats).

    `log_likelihood`: log (1/k) sum_i w_i, one draw of the importance-weighted
    estimator; its expectation is the bound L_k <= log p(x) (a single draw may
    exceed log p(x)); `reconstruction_loss`: -log p(x|z) averaged over the k
    draws; `kl_loss`: the closed-form KL; `elbo`: -(reconstruction_loss + kl_loss).
    The noise comes from NumPy with `seed`, the same on every backend and for
    every batch size. The model decodes at most `MAX_CODES_PER_BATCH` codes
    per call: `batch_size` images (`k` codes each), fewer when `k` is large,
    and for k > MAX_CODES_PER_BATCH one image's codes in chunks (k = 5000 fits
    in a few hundred MB).
    `labels`: one-hot rows for a `ConditionalVAE` (the estimates are then of
    log p(x | y)).
    """
    x = np.asarray(x, dtype="float32")
    rng = np.random.default_rng(seed)
    batch_size = max(1, min(batch_size, MAX_CODES_PER_BATCH // k))
    chunk = min(k, MAX_CODES_PER_BATCH)
    parts = {"log_likelihood": [], "reconstruction_loss": [], "kl_loss": []}
    for i in range(0, len(x), batch_size):
        images = ops.convert_to_tensor(x[i: i + batch_size])
        batch_labels = None if labels is None else ops.convert_to_tensor(labels[i: i + batch_size])
        log_ws, reconstructions = [], []
        # Drawn in the order of one (n, k, latent_dim) array: batching changes nothing.
        for _ in range(0, k, chunk):
            size = min(chunk, k - len(log_ws) * chunk)
            eps = rng.standard_normal((len(x[i: i + batch_size]), size, vae.latent_dim))
            log_w, reconstruction, kl = log_weights(
                vae, images, ops.convert_to_tensor(eps.astype("float32")), batch_labels)
            log_ws.append(log_w)
            reconstructions.append(ops.sum(reconstruction, axis=1))
        log_w = log_ws[0] if len(log_ws) == 1 else ops.concatenate(log_ws, axis=1)
        parts["log_likelihood"].append(ops.logsumexp(log_w, axis=1) - math.log(k))
        parts["reconstruction_loss"].append(sum(reconstructions) / k)
        parts["kl_loss"].append(kl)
    out = {key: np.concatenate([ops.convert_to_numpy(v) for v in values]).astype("float64")
           for key, values in parts.items()}
    out["elbo"] = -(out["reconstruction_loss"] + out["kl_loss"])
    return out


def iwae_log_likelihood(vae, x, k=DEFAULT_K, batch_size=DEFAULT_BATCH, seed=0, labels=None):
    """One draw per image of the k-sample importance-weighted estimator (NumPy, nats).

    Its expectation is the bound L_k <= log p(x); averaged over many images
    it estimates the mean L_k, approaching the mean log p(x) as k grows.
    With one-hot `labels` (a `ConditionalVAE`) the bound is on log p(x | y).
    """
    return estimate(vae, x, k, batch_size, seed, labels)["log_likelihood"]


def elbo(vae, x, num_draws=DEFAULT_DRAWS, batch_size=DEFAULT_BATCH, seed=0, labels=None):
    """The ELBO per image, its reconstruction term averaged over `num_draws` draws of z.

    Returns a dict of NumPy arrays: `elbo`, `reconstruction_loss` (-E_q log p(x|z))
    and `kl_loss` (closed form), in nats per image, `elbo = -(rec + kl)`.
    """
    out = estimate(vae, x, num_draws, batch_size, seed, labels)
    return {key: out[key] for key in ("elbo", "reconstruction_loss", "kl_loss")}


def test_metrics(vae, x, k=DEFAULT_K, elbo_draws=DEFAULT_DRAWS, batch_size=DEFAULT_BATCH,
                 seed=0, labels=None):
    """Test-set averages (floats, nats) and the active units.

    `elbo` and its terms; `log_likelihood`, the mean of the k-sample
    importance-weighted estimates, an estimate of the bound L_k on log p(x);
    `neg_iwae_bound` its negative, the number papers report as "NLL";
    `active_units`, latent units whose posterior mean varies across `x`.
    With one-hot `labels` (a `ConditionalVAE`) the bounds are on log p(x | y).
    """
    terms = elbo(vae, x, elbo_draws, batch_size, seed, labels)
    log_px = iwae_log_likelihood(vae, x, k, batch_size, seed + 1, labels)
    metrics = {key: float(np.mean(value)) for key, value in terms.items()}
    unit_variances = posterior_mean_variances(vae, x, labels)
    metrics.update(
        neg_elbo=-metrics["elbo"],
        log_likelihood=float(np.mean(log_px)),
        neg_iwae_bound=-float(np.mean(log_px)),
        iwae_k=int(k),
        elbo_draws=int(elbo_draws),
        test_examples=int(len(x)),
        active_units=int(np.sum(unit_variances > ACTIVE_UNIT_THRESHOLD)),
        latent_dim=int(vae.latent_dim),
        posterior_mean_variances=[round(float(v), 6) for v in unit_variances],
    )
    return metrics


def posterior_mean_variances(vae, x, labels=None):
    """Cov_x(E_q[z_u]) per latent unit u: how much unit u's posterior mean moves with x.

    Burda et al. (2016) call a unit active when this exceeds 0.01 (nats-free:
    the prior's variance is 1). An inactive unit's posterior is the prior for
    every image: it carries no information about x and ~0 nats of KL.
    """
    mean, _ = vae.encode(x) if labels is None else vae.encode(x, labels)
    return mean.astype("float64").var(axis=0)


def evaluate_run(run_dir, dataset=None, k=DEFAULT_K, elbo_draws=DEFAULT_DRAWS,
                 batch_size=DEFAULT_BATCH, seed=0, figures=True, model=None,
                 scatter_method="pca", max_test=None, metrics_file=runs.METRICS,
                 **figure_kwargs):
    """Evaluates a run folder: adds to `metrics.json`, draws `figures/`, returns the metrics.

    Args:
        run_dir: A folder written by `python -m vae_keras.train`.
        dataset: The run's `Dataset`, if already loaded (else read from config.json).
        k: Importance samples for the log-likelihood.
        elbo_draws: Draws of z per image for the ELBO.
        batch_size: Test images per batch.
        seed: Seed of the draws and of the figures (same seed, same figures).
        figures: Whether to draw the figures and animations.
        model: The trained VAE, if in memory (else loaded from model.keras).
        scatter_method: `"pca"` or `"tsne"`, for latent sizes above 2.
        max_test: Evaluate on the first `max_test` test images only.
        metrics_file: Name of the JSON file written in `run_dir` (another name
            keeps, e.g., a k = 5000 evaluation beside the default one).
        **figure_kwargs: Passed to `figures.write_figures` (e.g. `tour_steps`).
    """
    import keras

    from vae_keras.conditional import ConditionalVAE, one_hot
    from vae_keras.data import load_dataset, with_binary_test_set
    from vae_keras.plots import RunInfo

    run_dir = Path(run_dir)
    if model is None:
        model, config = runs.load_run(run_dir)
    else:
        config = runs.read_config(run_dir)
    if dataset is None:
        dataset = load_dataset(config.get("dataset", "mnist"), config.get("data_dir"))
    conditional = isinstance(model, ConditionalVAE)
    if config.get("binarize"):  # the run's fixed binarized test set
        dataset = with_binary_test_set(dataset)
    x_test = dataset.x_test if max_test is None else dataset.x_test[:max_test]
    labels = one_hot(dataset.y_test[:len(x_test)], model.num_classes) if conditional else None
    metrics = {key if key in UNPREFIXED else f"test_{key}": value
               for key, value in test_metrics(model, x_test, k, elbo_draws, batch_size,
                                              seed, labels).items()}
    metrics["evaluation_backend"] = keras.backend.backend()
    runs.update_metrics(run_dir, metrics, metrics_file)
    if figures:
        info = RunInfo.from_run_dir(run_dir)
        if conditional:
            from vae_keras.conditional_plots import write_figures as write_conditional

            write_conditional(model, dataset, info, run_dir / runs.FIGURES, seed=seed)
        else:
            from vae_keras.figures import write_figures

            write_figures(model, dataset, info, run_dir / runs.FIGURES, seed=seed,
                          snapshots=run_dir / runs.SNAPSHOTS, scatter_method=scatter_method,
                          **figure_kwargs)
    return metrics


def build_parser():
    parser = ArgumentParser(
        prog="python -m vae_keras.evaluate",
        description="Test ELBO and IWAE log-likelihood of a training run, and its figures.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="folder written by vae_keras.train")
    parser.add_argument("--k", type=positive_int, default=DEFAULT_K,
                        help="importance samples per image for log p(x)")
    parser.add_argument("--elbo-draws", "--draws", type=positive_int, default=DEFAULT_DRAWS,
                        help="draws of z per image for the ELBO")
    parser.add_argument("--batch-size", type=positive_int, default=DEFAULT_BATCH,
                        help="test images per batch")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the draws and figures")
    parser.add_argument("--data-dir", type=existing_dir, default=None,
                        help="folder of the data files (default: the run's config.json)")
    parser.add_argument("--scatter", choices=("pca", "tsne"), default="pca",
                        help="2-D embedding of latent sizes above 2")
    parser.add_argument("--max-test", type=positive_int, default=None,
                        help="use only the first N test images (default: all)")
    parser.add_argument("--no-figures", dest="figures", action="store_false",
                        help="write metrics.json only")
    parser.add_argument("--metrics-file", default=runs.METRICS,
                        help="name of the JSON file written in RUN_DIR")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    from vae_keras.fitting import hide_tensorflow

    hide_tensorflow()  # under JAX and PyTorch: no TensorFlow start-up lines
    model, _, dataset = load_run_or_fail(parser, args.run_dir, args.data_dir)
    metrics = evaluate_run(args.run_dir, dataset=dataset, k=args.k, elbo_draws=args.elbo_draws,
                           batch_size=args.batch_size, seed=args.seed, figures=args.figures,
                           model=model, scatter_method=args.scatter, max_test=args.max_test,
                           metrics_file=args.metrics_file)
    given = " | y" if type(model).__name__ == "ConditionalVAE" else ""
    print(f"test ELBO {metrics['test_elbo']:.2f} nats ({metrics['elbo_draws']} draws); "
          f"IWAE log p(x{given}) {metrics['test_log_likelihood']:.2f} nats "
          f"(k={metrics['iwae_k']}); {metrics['test_active_units']} of {metrics['latent_dim']} "
          f"latent units active; written to {Path(args.run_dir) / args.metrics_file}")
    return metrics


if __name__ == "__main__":
    main()
