"""The run folder: the names of its files, how they are written, how they are read back.

A run folder, written by `python -m vae_keras.train`:

    config.json       the options and what the data turned out to be
    checkpoint.keras  model and optimizer after the last completed epoch
    status.json       running, interrupted, diverged or completed
    history.csv       one row of losses per epoch
    model.keras       the trained model
    metrics.json      test numbers: training's Keras evaluation, then evaluate's
    snapshots.npz     per-epoch snapshots behind the progress GIFs
    tensorboard/      TensorBoard scalars
    figures/          the figures and animations

Every file is written whole or not at all: to a temporary file beside it,
then renamed over it (`atomic_path`). Nothing here imports Keras except
`load_run`.
"""

import contextlib
import csv
import json
import os
from pathlib import Path

CONFIG = "config.json"
CHECKPOINT = "checkpoint.keras"
STATUS = "status.json"
HISTORY = "history.csv"
MODEL = "model.keras"
METRICS = "metrics.json"
SNAPSHOTS = "snapshots.npz"
TENSORBOARD = "tensorboard"
FIGURES = "figures"
TEMPORARY = "*.tmp-*"  # what `atomic_path` leaves behind if the process is killed


class RunError(ValueError):
    """A run folder is missing or lacks what is asked of it."""


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it over `path` when the block succeeds.

    A crash or an exception inside the block leaves the old `path` intact and
    removes the temporary file. The temporary name keeps the suffix
    (`model.tmp-123.keras`), as Keras's `save` requires.

    Example:

    ```python
    with atomic_path("model.keras") as tmp:
        vae.save(tmp)
    ```
    """
    path = Path(path)
    tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path, data):
    """Writes `data` to `path` atomically, flushed to disk before the rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_json(path, data):
    """Writes `data` as indented JSON, atomically."""
    write_bytes(path, (json.dumps(data, indent=2) + "\n").encode())


def write_text(path, text):
    """Writes `text` (UTF-8), atomically."""
    write_bytes(path, text.encode())


def read_json(path):
    """The JSON in `path`, or None if it is missing or not valid JSON."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def read_config(run_dir):
    """The run's `config.json` as a dict (empty if missing or unreadable)."""
    config = read_json(Path(run_dir) / CONFIG)
    return config if isinstance(config, dict) else {}


def read_metrics(run_dir, name=METRICS):
    """The run's metrics file as a dict (empty if missing or unreadable)."""
    metrics = read_json(Path(run_dir) / name)
    return metrics if isinstance(metrics, dict) else {}


def update_metrics(run_dir, values, name=METRICS):
    """Adds `values` to the run's metrics file, keeping its other keys; returns the whole.

    The one writer of `metrics.json`. Training and evaluation write disjoint
    keys (training's Keras evaluation is `test_loss`, `test_loss_reconstruction`,
    `test_loss_kl`; evaluate's are `test_elbo`, `test_reconstruction_loss`, ...),
    so evaluating a run never replaces what training measured; evaluating it
    again replaces the previous evaluation.
    """
    merged = {**read_metrics(run_dir, name), **values}
    write_json(Path(run_dir) / name, merged)
    return merged


def write_status(run_dir, state, epochs_completed, message=""):
    """Records the run's state (`running`, `interrupted`, `diverged`, `completed`)."""
    write_json(Path(run_dir) / STATUS,
               {"state": state, "epochs_completed": epochs_completed, "message": message})


def remove_temporary_files(run_dir):
    """Removes what an interrupted write left behind (the files themselves are whole)."""
    for path in Path(run_dir).glob(TEMPORARY):
        path.unlink(missing_ok=True)


def resumable_config(run_dir):
    """The `config.json` of an unfinished run that `--resume` can continue; `RunError` if none."""
    config = read_json(Path(run_dir) / CONFIG)
    if not isinstance(config, dict) or not (Path(run_dir) / CHECKPOINT).is_file():
        raise RunError(f"{run_dir} is not a run folder with {CONFIG} and {CHECKPOINT}")
    if "hidden_layers" in config:  # written before the option was named --num-hidden-layers
        config["num_hidden_layers"] = config.pop("hidden_layers")
    status = read_json(Path(run_dir) / STATUS) or {}
    if status.get("state") == "completed":
        raise RunError(f"the run in {run_dir} has already completed its "
                       f"{config.get('epochs')} epochs; there is nothing to resume")
    if status.get("state") == "diverged":
        raise RunError(f"the run in {run_dir} diverged ({status.get('message', '')}); "
                       "resuming would repeat it: start a new run")
    missing = [k for k in ("backend", "epochs", "batch_size", "seed", "dataset", "data_dir",
                           "evaluate", "snapshots", "tensorboard") if k not in config]
    if missing:
        raise RunError(f"{Path(run_dir) / CONFIG} lacks {', '.join(missing)}")
    return config


def truncate_history(path, epochs):
    """Drops history rows past the checkpoint (a crash may fall between the two writes)."""
    if not Path(path).is_file():
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    kept = rows[:1] + [r for r in rows[1:] if r and r[0].isdigit() and int(r[0]) < epochs]
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        csv.writer(f).writerows(kept)


def load_run(run_dir):
    """Returns `(model, config)` of a finished training run; `RunError` if it is not one."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"run folder {run_dir} does not exist; pass the folder that "
                       "python -m vae_keras.train printed")
    for name in (MODEL, CONFIG):
        if not (run_dir / name).is_file():
            raise RunError(f"{run_dir} lacks {name}: it is not a finished training run")
    try:
        config = json.loads((run_dir / CONFIG).read_text())
    except (OSError, ValueError) as e:
        raise RunError(f"{run_dir / CONFIG} is not valid JSON ({e})") from None
    from vae_keras.saving import load_vae  # safe mode: a tampered file runs no code

    try:
        model = load_vae(run_dir / MODEL)
    except ValueError as e:
        raise RunError(str(e)) from None
    return model, config


def load_run_with_data(run_dir, data_dir=None):
    """`(model, config, dataset)`: a finished run and the data it was trained on.

    The data set is the run's (`config.json`), read from `data_dir` if given;
    a run trained with `--binarize` gets its fixed binarized test set.
    Raises `RunError` (or the data's `DataError`) with a one-line message,
    e.g. when the data found is not the size the run was trained on.
    """
    from vae_keras.data import load_dataset, with_binary_test_set

    model, config = load_run(run_dir)
    dataset = load_dataset(config.get("dataset", "mnist"), data_dir or config.get("data_dir"))
    trained_on = config.get("train_size")
    if trained_on is not None and trained_on != len(dataset.x_train):
        raise RunError(f"the run was trained on {trained_on} images but the data found has "
                       f"{len(dataset.x_train)}; pass --data-dir with the run's data")
    if config.get("binarize"):
        dataset = with_binary_test_set(dataset)
    return model, config, dataset
