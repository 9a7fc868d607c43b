"""Train a variational autoencoder: `KERAS_BACKEND=jax python -m vae_keras.train --help`.

The whole story, top to bottom: check the options, load the data, build the
model, fit it with per-epoch checkpoints, save it, measure it, draw figures.
"""

import csv
import datetime
import json
import os
import sys
import time
import warnings
from pathlib import Path

from vae_keras.config import build_parser, check_backend

EVAL_BATCH_SIZE = 1024
SNAPSHOT_IMAGES = 16  # test images followed through training for the progress GIFs
MODEL_FILE = "model.keras"


def main(argv=None):
    """Runs the training CLI; returns the run folder. Bad input exits with code 2."""
    args = build_parser().parse_args(argv)
    backend = check_backend()
    if args.resume:
        config, run_dir = _resume_config(args)
    else:
        config = {k: v for k, v in vars(args).items() if k not in ("resume", "verbose")}
        config["backend"] = backend
        run_dir = _new_run_dir(args, backend)
    try:
        return _train(config, run_dir, resumed=bool(args.resume), verbose=args.verbose)
    except KeyboardInterrupt:
        from vae_keras.callbacks import STATUS

        status = _read_json(run_dir / STATUS) or {"epochs_completed": 0}
        done = status["epochs_completed"]
        from vae_keras.callbacks import write_status

        write_status(run_dir, "interrupted", done, "stopped by Ctrl-C")
        print(f"\ninterrupted: {done} of {config['epochs']} epochs are saved in {run_dir}; "
              f"continue with: python -m vae_keras.train --resume {run_dir}", file=sys.stderr)
        sys.exit(130)


def _train(config, run_dir, resumed, verbose):
    import keras

    from vae_keras import callbacks as cb
    from vae_keras.data import load_dataset
    from vae_keras.fitting import compile_kwargs
    from vae_keras.models import VAE
    from vae_keras.readers import DataError

    print(f"vae-keras: Keras {keras.__version__}, backend {keras.backend.backend()} "
          f"on {describe_device()}")
    data = _load_data(config, load_dataset, DataError)
    print(f"data: {data.name}, {len(data.x_train)} train / {len(data.x_test)} test images "
          f"of shape {data.image_shape}")
    print(f"run folder: {run_dir}")

    done = 0
    if resumed:
        done = (_read_json(run_dir / cb.STATUS) or {}).get("epochs_completed", 0)
        vae = keras.models.load_model(run_dir / cb.CHECKPOINT)
        print(f"resuming after epoch {done} of {config['epochs']}")
        _truncate_history(run_dir / "history.csv", done)
    else:
        config.update(dataset_used=data.name, image_shape=list(data.image_shape),
                      likelihood=data.likelihood, train_size=len(data.x_train),
                      test_size=len(data.x_test), keras_version=keras.__version__)
        cb.write_json(run_dir / "config.json", config)
        vae = VAE(
            image_shape=data.image_shape, latent_dim=config["latent_dim"],
            hidden_dim=config["hidden_dim"], num_hidden_layers=config["hidden_layers"],
            arch=config["arch"], likelihood=data.likelihood,
            decoder_std=config["decoder_std"], beta=config["beta"], seed=config["seed"],
        )
    keras.utils.set_random_seed(config["seed"] + done)
    optimizer = vae.optimizer if resumed else keras.optimizers.Adam(config["learning_rate"])
    vae.compile(optimizer=optimizer, **compile_kwargs())

    guard = cb.StopOnDivergence(run_dir)
    callbacks = [
        cb.EpochTimer(),
        guard,
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=resumed),
        cb.AtomicCheckpoint(run_dir, guard=guard),
    ]
    if config["tensorboard"]:
        callbacks.append(keras.callbacks.TensorBoard(str(run_dir / "tensorboard")))
    if config["snapshots"]:
        from vae_keras.snapshots import TrainingSnapshots

        labels = None if data.y_test is None else data.y_test[:2000]
        callbacks.append(TrainingSnapshots(data.x_test[:2000], labels, run_dir / "snapshots.npz"))

    start = time.perf_counter()
    if done < config["epochs"]:
        vae.fit(
            data.x_train, epochs=config["epochs"], initial_epoch=done,
            batch_size=config["batch_size"], shuffle=True,
            validation_data=(data.x_test,), validation_batch_size=EVAL_BATCH_SIZE,
            callbacks=callbacks, verbose=verbose if verbose is not None else (1 if sys.stdout.isatty() else 2),
        )
    if guard.diverged_at is not None:
        print(f"error: training diverged (non-finite loss) in epoch {guard.diverged_at}; "
              f"the last good checkpoint is {run_dir / cb.CHECKPOINT}", file=sys.stderr)
        sys.exit(1)

    tmp = run_dir / f"model.tmp-{os.getpid()}.keras"
    vae.save(tmp)
    os.replace(tmp, run_dir / MODEL_FILE)
    test = vae.evaluate(data.x_test, batch_size=EVAL_BATCH_SIZE, verbose=0, return_dict=True)
    metrics = {f"test_{k}": float(v) for k, v in test.items()}
    metrics.update(epochs=config["epochs"], train_seconds=time.perf_counter() - start)
    cb.write_json(run_dir / "metrics.json", metrics)
    cb.write_status(run_dir, "completed", config["epochs"])
    print(f"test negative ELBO {metrics['test_loss']:.2f} nats "
          f"(reconstruction {metrics['test_reconstruction_loss']:.2f} + KL {metrics['test_kl_loss']:.2f})")
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
            _fail(str(e))
    for w in caught:  # e.g. the fallback to the bundled subset: one line, no stack
        if issubclass(w.category, UserWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    return data


def _new_run_dir(args, backend):
    name = args.run_name or (
        f"{args.dataset}-{args.arch}-z{args.latent_dim}-{backend}-"
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
    if config is None or not (run_dir / "checkpoint.keras").is_file():
        _fail(f"--resume: {run_dir} is not a run folder with config.json and checkpoint.keras")
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
    kept = rows[:1] + [r for r in rows[1:] if r and int(r[0]) < epochs]
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(kept)


def _read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
