"""The latent-size sweep in a tiny configuration: trains, evaluates, compares."""

import json

import pytest

from vae_keras import experiments
from vis_helpers import check_image


def test_tiny_sweep_writes_grids_curves_and_table(tmp_path, backend, capsys):
    out = experiments.main([
        "--dataset", "mnist_subset", "--latent-dims", "1", "3", "--epochs", "1",
        "--k", "3", "--max-test", "40", "--no-run-figures", "--output-dir", str(tmp_path),
        # passed through to python -m vae_keras.train:
        "--hidden-dim", "16", "--batch-size", "500", "--no-snapshots", "--no-tensorboard",
        "--verbose", "0",
    ])
    assert out == tmp_path
    for name in ("samples", "reconstructions", "learning_curves"):
        check_image(tmp_path / f"{name}.png")
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["backend"] == backend and results["dataset"] == "mnist_subset"
    assert [r["latent_dim"] for r in results["rows"]] == [1, 3]
    for row in results["rows"]:
        assert row["epochs"] == 1 and row["iwae_k"] == 3
        assert row["test_log_likelihood"] >= -row["test_neg_elbo"] - 1.0
        assert (tmp_path / f"z{row['latent_dim']}" / "model.keras").is_file()
    table = (tmp_path / "results.md").read_text()
    assert "| latent size |" in table and "| 3 | 1 |" in table and backend in table
    assert "--latent-dims 1 3" in table  # the command that made it


def test_bad_latent_sizes_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        experiments.main(["--latent-dims", "0", "--output-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("python -m vae_keras.experiments: error:")
