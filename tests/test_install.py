"""The README's install command installs the package, and the console script exits 0."""

import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_requirements_install_the_package_itself():
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert "-e ." in lines, "pip install -r requirements.txt must install vae_keras too"


def test_console_script_exits_0_after_a_successful_run(tmp_path, monkeypatch, capsys):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module_name, _, function = scripts["vae-keras-train"].partition(":")
    entry = getattr(__import__(module_name, fromlist=[function]), function)
    monkeypatch.setattr(sys, "argv", [
        "vae-keras-train", "--dataset", "mnist_subset", "--hidden-dim", "32",
        "--batch-size", "512", "--epochs", "1", "--no-evaluate", "--no-snapshots",
        "--no-tensorboard", "--verbose", "0", "--output-dir", str(tmp_path)])
    # What the generated console-script wrapper does: sys.exit(entry()).
    with pytest.raises(SystemExit) as exit_info:
        sys.exit(entry())
    assert exit_info.value.code in (None, 0)
    assert any(tmp_path.iterdir()), "the run folder was not written"
