"""Continuing an interrupted run: `python -m vae_keras.train --resume RUN_DIR`.

The run folder's `config.json` holds the options it was started with, and its
`checkpoint.keras` the model and optimizer after the last completed epoch;
the optimizer's step count says how many epochs that is. Every problem is a
`runs.RunError` with a one-line reason, which the training command prints.
"""

import os
import sys
from pathlib import Path

from vae_keras import runs


def resume_config(path, evaluate=True):
    """`(config, run_dir)` of the unfinished run in `path`; `evaluate=False` skips its evaluation."""
    run_dir = Path(path).expanduser()
    config = runs.resumable_config(run_dir)
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if config["backend"] != backend:
        print(f"note: the run started on {config['backend']}; it continues on {backend}",
              file=sys.stderr)
    config["evaluate"] = config.get("evaluate", True) and evaluate
    return config, run_dir


def resume_model(config, data, run_dir, steps_per_epoch):
    """The checkpoint's model and optimizer, and the number of epochs it has completed."""
    import keras

    from vae_keras.saving import load_vae

    if len(data.x_train) != config.get("train_size", len(data.x_train)):
        raise runs.RunError(f"the run trained on {config['train_size']} images of "
                            f"{config['dataset']}, but {len(data.x_train)} were found now")
    runs.remove_temporary_files(run_dir)
    try:
        vae = load_vae(Path(run_dir) / runs.CHECKPOINT)  # Keras's safe mode: no code is run
    except ValueError as e:
        raise runs.RunError(str(e)) from None
    # The checkpoint is the truth: its optimizer counts the steps taken.
    done = int(keras.ops.convert_to_numpy(vae.optimizer.iterations)) // steps_per_epoch
    print(f"resuming after epoch {done} of {config['epochs']}")
    runs.truncate_history(Path(run_dir) / runs.HISTORY, done)
    return vae, done
