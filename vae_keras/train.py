"""Train a variational autoencoder: `KERAS_BACKEND=jax python -m vae_keras.train --help`.

The whole story, top to bottom: check the options, load the data, build the
model, fit it with per-epoch checkpoints, save it, measure it, draw figures.
"""

import csv
import datetime
import json
import math
import os
import signal
import sys
import time
import warnings
from pathlib import Path

from vae_keras.config import check_backend, conv_shape_error, parse_args

EVAL_BATCH_SIZE = 1024
SNAPSHOT_IMAGES = 16  # test images followed through training for the progress GIFs
MODEL_FILE = "model.keras"


def main(argv=None):
    """Runs the training CLI; returns the run folder. Bad input exits with code 2."""
    args = parse_args(argv)
    backend = check_backend()
    if args.data_parallel and backend != "jax":
        _fail(f"--data-parallel needs KERAS_BACKEND=jax (Keras's DataParallel runs on JAX "
              f"only), got {backend}")
    if args.resume:
        config, run_dir = _resume_config(args)
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
        from vae_keras.callbacks import CHECKPOINT, STATUS, write_status

        _remove_temporary_files(run_dir)
        done = (_read_json(run_dir / STATUS) or {}).get("epochs_completed", 0)
        if (run_dir / CHECKPOINT).is_file():
            write_status(run_dir, "interrupted", done, "stopped by Ctrl-C")
            print(f"\ninterrupted: {done} of {config['epochs']} epochs are saved in {run_dir}; "
                  f"continue with: python -m vae_keras.train --resume {run_dir}",
                  file=sys.stderr)
        else:
            print(f"\ninterrupted before training began; nothing was saved in {run_dir}: "
                  "run the same command again", file=sys.stderr)
        sys.exit(130)


def _train(config, run_dir, resumed, verbose):
    from vae_keras.data import load_dataset
    from vae_keras.readers import DataError

    data = _load_data(config, load_dataset, DataError)  # before Keras: bad data fails fast
    if config.get("binarize"):
        if data.likelihood != "bernoulli":
            _fail(f"--binarize: {data.name} is modelled with a Gaussian, not binary pixels")
        from vae_keras.data import with_binary_test_set

        data = with_binary_test_set(data)
    if config.get("arch") == "conv" and conv_shape_error(data.image_shape):
        _fail(f"--arch conv: {conv_shape_error(data.image_shape)}")
    conditional = config.get("conditional", False)
    if conditional and data.y_train is None:
        _fail(f"--conditional needs labels, and {data.name} has none: "
              "use mnist, fashion_mnist or mnist_subset")
    import keras

    from vae_keras import callbacks as cb
    from vae_keras.conditional import ConditionalVAE, model_inputs, one_hot
    from vae_keras.fitting import compile_kwargs, hide_tensorflow, training_data

    hide_tensorflow()  # under JAX and PyTorch: a quiet, faster start
    from vae_keras.models import VAE, load_vae

    print(f"vae-keras: Keras {keras.__version__}, backend {keras.backend.backend()} "
          f"on {describe_device()}")
    print(f"data: {data.name}, {len(data.x_train)} train / {len(data.x_test)} test images "
          f"of shape {data.image_shape}")
    print(f"run folder: {run_dir}")

    if config.get("data_parallel"):
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        print(f"data parallel over {len(devices)} devices: {', '.join(devices)}")
    done = 0
    steps_per_epoch = math.ceil(len(data.x_train) / config["batch_size"])
    if resumed:
        if len(data.x_train) != config.get("train_size", len(data.x_train)):
            _fail(f"--resume: the run trained on {config['train_size']} images of "
                  f"{config['dataset']}, but {len(data.x_train)} were found now")
        _remove_temporary_files(run_dir)
        try:
            vae = load_vae(run_dir / cb.CHECKPOINT)  # Keras's safe mode: no code is run
        except ValueError as e:
            _fail(f"--resume: {e}")
        # The checkpoint is the truth: its optimizer counts the steps taken.
        done = int(keras.ops.convert_to_numpy(vae.optimizer.iterations)) // steps_per_epoch
        print(f"resuming after epoch {done} of {config['epochs']}")
        _truncate_history(run_dir / "history.csv", done)
    else:
        config.update(dataset_used=data.name, image_shape=list(data.image_shape),
                      likelihood=data.likelihood, train_size=len(data.x_train),
                      test_size=len(data.x_test), keras_version=keras.__version__)
        keras.utils.set_random_seed(config["seed"])  # the initial weights come from it too
        model_class, extra = VAE, {}
        if conditional:
            model_class, extra = ConditionalVAE, {"num_classes": int(data.y_train.max()) + 1}
            config.update(extra)
        try:
            vae = model_class(
                **extra, image_shape=data.image_shape, latent_dim=config["latent_dim"],
                hidden_dim=config["hidden_dim"], num_hidden_layers=config["hidden_layers"],
                arch=config["arch"], likelihood=data.likelihood,
                decoder_std=config["decoder_std"], beta=config["beta"], seed=config["seed"],
                free_bits=config.get("free_bits", 0.0), binarize=config.get("binarize", False),
                kl_warmup_steps=round(config.get("kl_warmup", 0.0) * steps_per_epoch),
            )
        except ValueError as e:  # e.g. --arch conv on images whose sides are not multiples of 4
            _fail(f"--arch {config['arch']}: {e}")
        cb.write_json(run_dir / "config.json", config)
    keras.utils.set_random_seed(config["seed"] + done)
    optimizer = vae.optimizer if resumed else keras.optimizers.Adam(config["learning_rate"])
    vae.compile(optimizer=optimizer, **compile_kwargs())
    if not resumed:  # epoch 0: from here on, --resume always has a checkpoint to start from
        vae.optimizer.build(vae.trainable_variables)
        cb.save_checkpoint(vae, run_dir, 0)

    guard = cb.StopOnDivergence(run_dir)
    callbacks = [
        cb.StopOnInterrupt(),  # first: an interrupted epoch is neither logged nor saved
        cb.EpochTimer(),
        guard,
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=resumed),
        cb.AtomicCheckpoint(run_dir, guard=guard),
    ]
    if config["tensorboard"]:
        callbacks.append(cb.TensorBoardScalars(run_dir / "tensorboard"))
    if os.environ.get(cb.INJECT_NAN_ENV):  # test-only fault injection, see callbacks.py
        callbacks.insert(0, cb.InjectNaN(int(os.environ[cb.INJECT_NAN_ENV])))
    if config["snapshots"] and not conditional:  # the snapshots encode images alone
        from vae_keras.snapshots import TrainingSnapshots

        labels = None if data.y_test is None else data.y_test[:2000]
        callbacks.append(TrainingSnapshots(data.x_test[:2000], labels, run_dir / "snapshots.npz"))

    start = time.perf_counter()
    if done < config["epochs"]:
        vae.fit(
            # The images, shuffled every epoch, fed the fastest way for the backend.
            **training_data(data.x_train, config["batch_size"], seed=config["seed"] + done,
                            labels=one_hot(data.y_train, vae.num_classes) if conditional
                            else None),
            epochs=config["epochs"], initial_epoch=done,
            validation_data=(model_inputs(vae, data.x_test, data.y_test),),
            validation_batch_size=EVAL_BATCH_SIZE,
            callbacks=callbacks, verbose=verbose if verbose is not None else (1 if sys.stdout.isatty() else 2),
        )
    if guard.diverged_at is not None:
        print(f"error: training diverged (non-finite loss) in epoch {guard.diverged_at}; "
              f"the last good checkpoint, {run_dir / cb.CHECKPOINT}, holds epoch "
              f"{guard.diverged_at - 1}; start a new run with a smaller --learning-rate",
              file=sys.stderr)
        sys.exit(1)

    tmp = run_dir / f"model.tmp-{os.getpid()}.keras"
    vae.save(tmp)
    os.replace(tmp, run_dir / MODEL_FILE)
    test = vae.evaluate(model_inputs(vae, data.x_test, data.y_test), batch_size=EVAL_BATCH_SIZE,
                        verbose=0, return_dict=True)
    metrics = {f"test_{k}": float(v) for k, v in test.items()}
    metrics.update(epochs=config["epochs"], train_seconds=time.perf_counter() - start)
    cb.write_json(run_dir / "metrics.json", metrics)
    cb.write_status(run_dir, "completed", config["epochs"])
    if vae.beta == 1.0 and not vae.free_bits:
        print(f"test negative ELBO{' (conditional on the label)' * conditional} "
              f"{metrics['test_loss']:.2f} nats "
              f"(reconstruction {metrics['test_reconstruction_loss']:.2f} + KL {metrics['test_kl_loss']:.2f})")
    else:  # the loss is the training objective, not the negative ELBO
        print(f"test loss {metrics['test_loss']:.2f} nats (objective with beta = {vae.beta:g}"
              f"{f', free bits {vae.free_bits:g}' if vae.free_bits else ''}); negative ELBO "
              f"{metrics['test_reconstruction_loss'] + metrics['test_kl_loss']:.2f} = reconstruction "
              f"{metrics['test_reconstruction_loss']:.2f} + KL {metrics['test_kl_loss']:.2f}")
    if config["evaluate"]:
        from vae_keras.evaluate import evaluate_run

        evaluate_run(run_dir, dataset=data)
    print(f"saved: {run_dir / MODEL_FILE} and the run's files in {run_dir}")
    return run_dir


def describe_device():
    """The device the backend computes on, e.g. 'cpu:0' or 'cuda:0'."""
    import keras

    if keras.backend.backend() == "torch":
        import torch  # keras.distribution has no device list on torch

        return "cuda:0" if torch.cuda.is_available() else "cpu"
    devices = keras.distribution.list_devices()
    gpus = [d for d in devices if not d.lower().startswith("cpu")]
    return ", ".join(gpus or devices[:1])


def _load_data(config, load_dataset, DataError):
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


def _resume_config(args):
    run_dir = Path(args.resume).expanduser()
    config = _read_json(run_dir / "config.json")
    if not isinstance(config, dict) or not (run_dir / "checkpoint.keras").is_file():
        _fail(f"--resume: {run_dir} is not a run folder with config.json and checkpoint.keras")
    status = _read_json(run_dir / "status.json") or {}
    if status.get("state") == "completed":
        _fail(f"--resume: the run in {run_dir} has already completed its "
              f"{config.get('epochs')} epochs; there is nothing to resume")
    if status.get("state") == "diverged":
        _fail(f"--resume: the run in {run_dir} diverged ({status.get('message', '')}); "
              "resuming would repeat it: start a new run")
    missing = [k for k in ("backend", "epochs", "batch_size", "seed", "dataset", "data_dir",
                           "evaluate", "snapshots", "tensorboard") if k not in config]
    if missing:
        _fail(f"--resume: {run_dir / 'config.json'} lacks {', '.join(missing)}")
    if config["backend"] != os.environ.get("KERAS_BACKEND", "tensorflow"):
        print(f"note: the run started on {config['backend']}; it continues on "
              f"{os.environ.get('KERAS_BACKEND', 'tensorflow')}", file=sys.stderr)
    config["evaluate"] = config.get("evaluate", True) and args.evaluate
    return config, run_dir


def _truncate_history(path, epochs):
    """Drops history rows past the checkpoint (a crash may fall between the two writes)."""
    if not path.is_file():
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    kept = rows[:1] + [r for r in rows[1:] if r and r[0].isdigit() and int(r[0]) < epochs]
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", newline="") as f:
        csv.writer(f).writerows(kept)
    os.replace(tmp, path)


def _remove_temporary_files(run_dir):
    """Removes what an interrupted save left behind (the saved files themselves are whole)."""
    for pattern in ("*.tmp-*", "checkpoint.tmp-*.keras", "model.tmp-*.keras"):
        for path in Path(run_dir).glob(pattern):
            path.unlink(missing_ok=True)


def _read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


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
