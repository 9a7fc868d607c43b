"""Train a variational autoencoder: `KERAS_BACKEND=jax python -m vae_keras.train --help`.

The whole story, top to bottom: check the options, load the data, build the
model, fit it with per-epoch checkpoints, save it, measure it, draw figures.
"""

import datetime
import math
import os
import signal
import sys
import time
import warnings
from pathlib import Path

from vae_keras import resume, runs
from vae_keras.cli import check_backend
from vae_keras.config import conv_shape_error, parse_args

EVAL_BATCH_SIZE = 1024
SNAPSHOT_IMAGES = 16  # test images followed through training for the progress GIFs


def main(argv=None):
    """Runs the training CLI; returns the run folder. Bad input exits with code 2."""
    args = parse_args(argv)
    backend = check_backend()
    if args.data_parallel and backend != "jax":
        _fail(f"--data-parallel needs KERAS_BACKEND=jax (Keras's DataParallel runs on JAX "
              f"only), got {backend}")
    if args.resume:
        try:
            config, run_dir = resume.resume_config(args.resume, args.evaluate)
        except runs.RunError as e:
            _fail(f"--resume: {e}")
        if config.get("data_parallel") and backend != "jax":
            _fail(f"--resume: the run used --data-parallel, which needs KERAS_BACKEND=jax, "
                  f"got {backend}")
    else:
        config = {k: v for k, v in vars(args).items() if k not in ("resume", "verbose")}
        config["backend"] = backend
        run_dir = _new_run_dir(args, backend)
    try:
        return _train(config, run_dir, resumed=bool(args.resume), verbose=args.verbose)
    except SystemExit as e:
        if e.code == 2 and not args.resume and not any(run_dir.iterdir()):
            run_dir.rmdir()  # bad input: leave no empty run folder behind
        raise
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        runs.remove_temporary_files(run_dir)
        done = (runs.read_json(run_dir / runs.STATUS) or {}).get("epochs_completed", 0)
        if (run_dir / runs.CHECKPOINT).is_file():
            runs.write_status(run_dir, "interrupted", done, "stopped by Ctrl-C")
            print(f"\ninterrupted: {done} of {config['epochs']} epochs are saved in {run_dir}; "
                  f"continue with: python -m vae_keras.train --resume {run_dir}",
                  file=sys.stderr)
        else:
            print(f"\ninterrupted before training began; nothing was saved in {run_dir}: "
                  "run the same command again", file=sys.stderr)
        sys.exit(130)


def _train(config, run_dir, resumed, verbose):
    """The run, step by step: data, Keras, the model (new or resumed), callbacks, fit, finish."""
    data = _prepare_data(config)  # before Keras: bad data fails fast, with one line
    keras = _start_keras(config, data, run_dir)
    steps_per_epoch = math.ceil(len(data.x_train) / config["batch_size"])
    if resumed:
        try:
            vae, done = resume.resume_model(config, data, run_dir, steps_per_epoch)
        except runs.RunError as e:
            _fail(f"--resume: {e}")
    else:
        vae, done = _new_model(config, data, run_dir, steps_per_epoch), 0
    keras.utils.set_random_seed(config["seed"] + done)
    _compile(vae, config, run_dir, resumed)
    guard, callbacks = _callbacks(config, data, run_dir, resumed)
    start = time.perf_counter()
    if done < config["epochs"]:
        _fit(vae, config, data, done, callbacks, verbose)
    if guard.diverged_at is not None:
        print(f"error: training diverged (non-finite loss) in epoch {guard.diverged_at}; "
              f"the last good checkpoint, {run_dir / runs.CHECKPOINT}, holds epoch "
              f"{guard.diverged_at - 1}; start a new run with a smaller --learning-rate",
              file=sys.stderr)
        sys.exit(1)
    _finish(vae, config, data, run_dir, train_seconds=time.perf_counter() - start)
    return run_dir


def _prepare_data(config):
    """The data set, checked against the options (binary pixels, conv shapes, labels)."""
    from vae_keras.data import load_dataset, with_binary_test_set

    data = _load_data(config, load_dataset)
    if config.get("binarize"):
        if data.likelihood != "bernoulli":
            _fail(f"--binarize: {data.name} is modelled with a Gaussian, not binary pixels")
        data = with_binary_test_set(data)
    if config.get("arch") == "conv" and conv_shape_error(data.image_shape):
        _fail(f"--arch conv: {conv_shape_error(data.image_shape)}")
    if config.get("conditional") and data.y_train is None:
        _fail(f"--conditional needs labels, and {data.name} has none: "
              "use mnist, fashion_mnist or mnist_subset")
    return data


def _start_keras(config, data, run_dir):
    """Imports Keras quietly, says what runs where, and sets up data parallelism."""
    import keras

    from vae_keras.fitting import describe_device, hide_tensorflow

    hide_tensorflow()  # under JAX and PyTorch: a quiet, faster start
    print(f"vae-keras: Keras {keras.__version__}, backend {keras.backend.backend()} "
          f"on {describe_device()}")
    print(f"data: {data.name}, {len(data.x_train)} train / {len(data.x_test)} test images "
          f"of shape {data.image_shape}")
    print(f"run folder: {run_dir}")
    if config.get("data_parallel"):
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        print(f"data parallel over {len(devices)} devices: {', '.join(devices)}")
    return keras


def _new_model(config, data, run_dir, steps_per_epoch):
    """Builds the model from the options and writes `config.json`."""
    import keras

    from vae_keras.conditional import ConditionalVAE
    from vae_keras.models import VAE

    config.update(dataset_used=data.name, image_shape=list(data.image_shape),
                  likelihood=data.likelihood, train_size=len(data.x_train),
                  test_size=len(data.x_test), keras_version=keras.__version__)
    keras.utils.set_random_seed(config["seed"])  # the initial weights come from it too
    model_class, extra = VAE, {}
    if config.get("conditional"):
        model_class, extra = ConditionalVAE, {"num_classes": int(data.y_train.max()) + 1}
        config.update(extra)
    try:
        vae = model_class(
            **extra, image_shape=data.image_shape, latent_dim=config["latent_dim"],
            hidden_dim=config["hidden_dim"], num_hidden_layers=config["num_hidden_layers"],
            arch=config["arch"], likelihood=data.likelihood,
            decoder_std=config["decoder_std"], beta=config["beta"], seed=config["seed"],
            free_bits=config.get("free_bits", 0.0), binarize=config.get("binarize", False),
            kl_warmup_steps=round(config.get("kl_warmup", 0.0) * steps_per_epoch),
        )
    except ValueError as e:  # e.g. --arch conv on images whose sides are not multiples of 4
        _fail(f"--arch {config['arch']}: {e}")
    runs.write_json(run_dir / runs.CONFIG, config)
    return vae


def _compile(vae, config, run_dir, resumed):
    """Compiles for speed on the backend; a new run saves its epoch-0 checkpoint."""
    import keras

    from vae_keras.callbacks import save_checkpoint
    from vae_keras.fitting import compile_kwargs

    optimizer = vae.optimizer if resumed else keras.optimizers.Adam(config["learning_rate"])
    vae.compile(optimizer=optimizer, **compile_kwargs())
    if not resumed:  # epoch 0: from here on, --resume always has a checkpoint to start from
        vae.optimizer.build(vae.trainable_variables)
        save_checkpoint(vae, run_dir, 0)


def _callbacks(config, data, run_dir, resumed):
    """The divergence guard and the callbacks of `fit`, in the order they must run."""
    import keras

    from vae_keras import callbacks as cb

    guard = cb.StopOnDivergence(run_dir)
    callbacks = [
        cb.StopOnInterrupt(),  # first: an interrupted epoch is neither logged nor saved
        cb.EpochTimer(),
        guard,
        keras.callbacks.CSVLogger(str(run_dir / runs.HISTORY), append=resumed),
        cb.AtomicCheckpoint(run_dir, guard=guard),
    ]
    if config["tensorboard"]:
        callbacks.append(cb.TensorBoardScalars(run_dir / runs.TENSORBOARD))
    if os.environ.get(cb.INJECT_NAN_ENV):  # test-only fault injection, see callbacks.py
        callbacks.insert(0, cb.InjectNaN(int(os.environ[cb.INJECT_NAN_ENV])))
    if config["snapshots"] and not config.get("conditional"):  # snapshots encode images alone
        from vae_keras.snapshots import TrainingSnapshots

        labels = None if data.y_test is None else data.y_test[:2000]
        callbacks.append(TrainingSnapshots(data.x_test[:2000], labels,
                                           run_dir / runs.SNAPSHOTS))
    return guard, callbacks


def _fit(vae, config, data, done, callbacks, verbose):
    """`vae.fit` from epoch `done`: images shuffled every epoch, fed the fastest way."""
    from vae_keras.conditional import model_inputs, one_hot
    from vae_keras.fitting import training_data

    labels = one_hot(data.y_train, vae.num_classes) if config.get("conditional") else None
    vae.fit(
        **training_data(data.x_train, config["batch_size"], seed=config["seed"] + done,
                        labels=labels),
        epochs=config["epochs"], initial_epoch=done,
        validation_data=(model_inputs(vae, data.x_test, data.y_test),),
        validation_batch_size=EVAL_BATCH_SIZE, callbacks=callbacks,
        verbose=verbose if verbose is not None else (1 if sys.stdout.isatty() else 2),
    )


def _finish(vae, config, data, run_dir, train_seconds):
    """Saves the model, measures it on the test set, and (unless told not to) evaluates it."""
    from vae_keras.conditional import model_inputs

    with runs.atomic_path(run_dir / runs.MODEL) as tmp:
        vae.save(tmp)
    test = vae.evaluate(model_inputs(vae, data.x_test, data.y_test), batch_size=EVAL_BATCH_SIZE,
                        verbose=0, return_dict=True)
    # Keras's evaluation (one draw of z per image); evaluate adds its own keys beside these.
    loss, rec, kl = (float(test[k]) for k in ("loss", "reconstruction_loss", "kl_loss"))
    runs.update_metrics(run_dir, {"test_loss": loss, "test_loss_reconstruction": rec,
                                  "test_loss_kl": kl, "epochs": config["epochs"],
                                  "train_seconds": train_seconds})
    runs.write_status(run_dir, "completed", config["epochs"])
    given = " (conditional on the label)" if config.get("conditional") else ""
    if vae.beta == 1.0 and not vae.free_bits:
        print(f"test negative ELBO{given} {loss:.2f} nats "
              f"(reconstruction {rec:.2f} + KL {kl:.2f})")
    else:  # the loss is the training objective, not the negative ELBO
        print(f"test loss {loss:.2f} nats (objective with beta = {vae.beta:g}"
              f"{f', free bits {vae.free_bits:g}' if vae.free_bits else ''}); negative ELBO "
              f"{rec + kl:.2f} = reconstruction {rec:.2f} + KL {kl:.2f}")
    if config["evaluate"]:
        from vae_keras.evaluate import evaluate_run

        evaluate_run(run_dir, dataset=data)
    print(f"saved: {run_dir / runs.MODEL} and the run's files in {run_dir}")


def _load_data(config, load_dataset):
    from vae_keras.readers import DataError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data = load_dataset(config["dataset"], config["data_dir"])
        except DataError as e:
            from vae_keras.data import DATA_ENV

            source = (f"--data-dir {config['data_dir']}" if config["data_dir"]
                      else f"{DATA_ENV}={os.environ[DATA_ENV]}" if os.environ.get(DATA_ENV)
                      else f"--dataset {config['dataset']}")
            _fail(f"{source}: {e}")
    for w in caught:  # e.g. the fallback to the bundled subset: one line, no stack
        if issubclass(w.category, UserWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    return data


def _new_run_dir(args, backend):
    name = args.run_name or (
        f"{args.dataset}-{args.arch}{'-conditional' * args.conditional}-z{args.latent_dim}-"
        f"{backend}-"
        f"{datetime.datetime.now():%Y%m%d-%H%M%S}"
    )
    run_dir = Path(args.output_dir).expanduser() / name
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
        (run_dir / ".write-test").write_text("")
        (run_dir / ".write-test").unlink()
    except FileExistsError:
        _fail(f"--run-name: the run folder {run_dir} already exists; choose another name "
              "or continue it with --resume")
    except OSError as e:
        _fail(f"--output-dir: cannot write to {args.output_dir} ({e.strerror or e})")
    return run_dir


def _fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def cli():
    """The `vae-keras-train` console script: runs `main`, exit code 0 on success.

    `main` returns the run folder, which a console-script wrapper would pass to
    `sys.exit` and turn into exit code 1; this wrapper returns None.
    """
    main()


if __name__ == "__main__":
    main()
