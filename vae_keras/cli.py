"""The command-line kit of every `python -m vae_keras.*` tool: one parser, one formatter, one set of checks.

Each tool reports bad input the same way: one line on stderr,
`<tool>: error: <what is wrong>`, and exit code 2, before Keras (and a
backend's start-up messages) loads. Nothing here imports Keras or NumPy.
"""

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path

BACKENDS = ("jax", "torch", "tensorflow")
MAX_SEED = 2**32 - 1  # NumPy's seeds are unsigned 32-bit integers


class ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        # argparse takes `-1e-3` or `-inf` for an option and reports "expected one
        # argument"; read them as values, so that the error names the bad value.
        self._negative_number_matcher = re.compile(
            r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE
        )

    def error(self, message):
        """Argparse's errors: one line and exit code 2 (argparse prints the usage too)."""
        self.fail(message)

    def fail(self, message):
        """Any error of the tool: one line, `<prog>: error: <message>`, exit code 2."""
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except `None` (whose help says what happens
    instead) and those of flags such as --no-evaluate (whose default is to do it)."""

    def _get_help_string(self, action):
        if action.default in (None, argparse.SUPPRESS) or action.nargs == 0:
            return action.help
        return super()._get_help_string(action)


def seed_int(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to {MAX_SEED}, got {text!r}"
        )
    return value


def existing_dir(text):
    if not Path(text).expanduser().is_dir():
        raise argparse.ArgumentTypeError(f"the folder {text!r} does not exist")
    return text


def _finite_float(text, lowest, strict):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    ok = math.isfinite(value) and (value > lowest if strict else value >= lowest)
    if not ok:
        bound = f"> {lowest:g}" if strict else f">= {lowest:g}"
        raise argparse.ArgumentTypeError(f"expected a finite number {bound}, got {text!r}")
    return value


def positive_float(text):
    return _finite_float(text, 0.0, strict=True)


def non_negative_float(text):
    return _finite_float(text, 0.0, strict=False)


def check_backend():
    """Returns the Keras backend to be used, or exits with a one-line error (code 2).

    The backend is `KERAS_BACKEND`, else the `backend` of Keras's own
    `keras.json`, else tensorflow, as Keras decides. This runs before Keras is
    imported: Keras itself fails on an unknown backend with a long traceback.
    """
    backend, source = os.environ.get("KERAS_BACKEND"), "KERAS_BACKEND"
    if backend is None:
        backend, source = _keras_json_backend(), "the backend in keras.json"
    if backend not in BACKENDS:
        sys.stderr.write(
            f"error: {source}={backend!r} is not supported; "
            f"use one of {', '.join(BACKENDS)}, e.g. KERAS_BACKEND=jax\n"
        )
        sys.exit(2)
    return backend


def _keras_json_backend():
    home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    try:
        return json.loads((Path(home) / "keras.json").read_text()).get("backend", "tensorflow")
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def load_run_or_fail(parser, run_dir, data_dir=None):
    """`(model, config, dataset)` of a finished run; any problem is the tool's one-line error.

    See `runs.load_run_with_data`. A model file that Keras cannot read (a
    truncated download, a tampered file) is reported the same way, without
    a traceback.
    """
    from vae_keras import runs
    from vae_keras.readers import DataError

    try:
        return runs.load_run_with_data(run_dir, data_dir)
    except (runs.RunError, DataError) as e:
        parser.fail(str(e))
    except Exception as e:  # a corrupt model.keras
        first_line = str(e).splitlines()[0] if str(e) else ""
        parser.fail(f"cannot load the run in {run_dir} ({type(e).__name__}: {first_line})")
