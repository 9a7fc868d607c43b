"""The training CLI's options (`python -m vae_keras.train --help`), each checked with a one-line error."""

from vae_keras.cli import (
    ArgumentParser,
    existing_dir,
    non_negative_float,
    positive_float,
    positive_int,
    seed_int,
)

DATASETS = ("mnist", "fashion_mnist", "frey_face", "mnist_subset")
ARCHITECTURES = ("mlp", "conv")
# Options that may go with --resume; every other one comes from the run's config.json.
RESUME_OPTIONS = ("resume", "verbose", "evaluate")


def build_parser(prog="python -m vae_keras.train"):
    p = ArgumentParser(
        prog=prog,
        description="Train a variational autoencoder. The backend comes from "
        "KERAS_BACKEND (jax, torch or tensorflow). Each run writes a folder with "
        "the model, config.json, history.csv, TensorBoard logs, metrics.json and figures.",
    )
    p.add_argument("--dataset", default="mnist", choices=DATASETS,
                   help="data set; mnist falls back to the bundled subset when the "
                   "full set can be neither found nor downloaded")
    p.add_argument("--data-dir", type=existing_dir, default=None,
                   help="folder with the raw files (IDX or frey_rawface.mat); "
                   "default: $VAE_KERAS_DATA, else download into ~/.keras/datasets")
    p.add_argument("--arch", default="mlp", choices=ARCHITECTURES, help="encoder/decoder type")
    p.add_argument("--conditional", action="store_true",
                   help="train a conditional VAE: encoder and decoder also see the "
                   "one-hot label (needs a labelled data set, not frey_face)")
    p.add_argument("--latent-dim", type=positive_int, default=2, help="size of z")
    p.add_argument("--hidden-dim", type=positive_int, default=512, help="width of hidden layers")
    p.add_argument("--num-hidden-layers", "--hidden-layers", type=positive_int, default=1,
                   help="number of hidden dense layers in encoder and decoder")
    p.add_argument("--epochs", type=positive_int, default=30, help="training epochs")
    p.add_argument("--batch-size", type=positive_int, default=128, help="examples per step")
    p.add_argument("--learning-rate", type=positive_float, default=1e-3, help="Adam step size")
    p.add_argument("--beta", type=non_negative_float, default=1.0,
                   help="weight of the KL term (1 = the ELBO)")
    p.add_argument("--kl-warmup", type=non_negative_float, default=0.0, metavar="EPOCHS",
                   help="KL warm-up: the KL weight rises linearly from 0 to --beta "
                   "over this many epochs (0: no warm-up)")
    p.add_argument("--free-bits", type=non_negative_float, default=0.0, metavar="NATS",
                   help="free bits: each latent unit's batch-mean KL counts as at least "
                   "NATS in the objective (Kingma et al. 2016; 0: the plain ELBO)")
    p.add_argument("--binarize", action="store_true",
                   help="binary MNIST: train on a fresh Bernoulli draw of every batch and "
                   "test on a fixed binarized test set (seed 0), as in the IWAE paper")
    p.add_argument("--decoder-std", type=positive_float, default=None,
                   help="fixed std of the Gaussian decoder (frey_face); default: learned")
    p.add_argument("--seed", type=seed_int, default=0, help="seed for weights, noise and shuffling, from 0 to 2**32 - 1")
    p.add_argument("--output-dir", default="runs", help="where run folders are created")
    p.add_argument("--run-name", default=None,
                   help="name of the run folder (default: dataset-arch-zN-backend-time)")
    p.add_argument("--resume", metavar="RUN_DIR", default=None,
                   help="continue an interrupted run from its last completed epoch "
                   "(all other options come from its config.json; only --verbose "
                   "and --no-evaluate may be given with it)")
    p.add_argument("--no-evaluate", dest="evaluate", action="store_false",
                   help="skip the final evaluation and figures")
    p.add_argument("--no-snapshots", dest="snapshots", action="store_false",
                   help="skip the per-epoch snapshots behind the progress GIFs")
    p.add_argument("--no-tensorboard", dest="tensorboard", action="store_false",
                   help="skip the TensorBoard logs")
    p.add_argument("--data-parallel", action="store_true",
                   help="JAX only: split each batch over all visible devices "
                   "(keras.distribution.DataParallel)")
    p.add_argument("--verbose", type=int, default=None, choices=(0, 1, 2),
                   help="Keras progress: 0 silent, 1 progress bar, 2 one line per epoch "
                   "(default: 1 in a terminal, else 2)")
    return p


def parse_args(argv=None):
    """Parses and checks the options; a bad one exits with a one-line error (code 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.conditional and args.dataset == "frey_face":
        parser.error("argument --conditional: frey_face has no labels to condition on; "
                     "use mnist, fashion_mnist or mnist_subset")
    if args.resume:
        extra = [f"--{k.replace('_', '-')}" for k, v in vars(args).items()
                 if k not in RESUME_OPTIONS and v != parser.get_default(k)]
        if extra:
            parser.error(
                f"argument --resume: the run's options come from its config.json; "
                f"drop {', '.join(extra)} (only --verbose and --no-evaluate may be given)"
            )
    return args


def conv_shape_error(image_shape):
    """Why the conv architecture cannot take `image_shape`, or None if it can.

    Kept free of Keras so the CLI can refuse a bad combination before a
    backend (and its start-up messages) loads.
    """
    height, width = image_shape[0], image_shape[1]
    if height % 4 or width % 4:
        return (
            "the conv architecture halves the image twice: height and width must "
            f"be multiples of 4, got {(height, width)}"
        )
    return None

