"""Every tutorial script runs on its own, in short mode, under the current KERAS_BACKEND.

The scripts are the single source of the code shown on the docs site, so these
runs are what keeps the site's code working on JAX, PyTorch and TensorFlow.
Each script checks its own results (against the package's functions, against
Monte Carlo, against known answers) and exits non-zero if a check fails.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "tutorial").glob("[0-9][0-9]_*.py"))
PAGES = ROOT / "docs" / "tutorial"


def run_script(script, output_dir, backend, *args):
    env = dict(os.environ, KERAS_BACKEND=backend, VAE_KERAS_TUTORIAL_SHORT="1",
               MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("VAE_KERAS_DATA", None)  # short mode uses the bundled subset, offline
    return subprocess.run(
        [sys.executable, str(script), "--output-dir", str(output_dir), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )


def figures_on_page(script):
    """The figures the script's docs page shows, e.g. {'06_learning_curves.png'}."""
    number = script.name[:2]
    page = next(PAGES.glob(f"{number}-*.md"))
    return set(re.findall(rf"assets/tutorial/({number}_[\w]+\.png)", page.read_text()))


def test_every_script_has_a_page():
    assert len(SCRIPTS) == 11
    for script in SCRIPTS:
        assert list(PAGES.glob(f"{script.name[:2]}-*.md")), f"no docs page for {script.name}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_in_short_mode(script, tmp_path, backend):
    result = run_script(script, tmp_path, backend)
    assert result.returncode == 0, (
        f"{script.name} failed under {backend}:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )
    assert f"backend: {backend}" in result.stdout
    written = {p.name for p in tmp_path.glob("*.png")}
    missing = figures_on_page(script) - written
    assert not missing, f"{script.name} did not write the figures its page shows: {missing}"


def test_short_mode_option_matches_variable(tmp_path, backend):
    """`--short` is the same switch as VAE_KERAS_TUTORIAL_SHORT=1."""
    result = run_script(SCRIPTS[0], tmp_path, backend, "--short")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "train images: (2000, 28, 28, 1)" in result.stdout
