"""The benchmark script runs on a tiny input and writes its table (no timing is asserted)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import keras
import pytest

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["backend", "implementation", "first epoch (s)", "s/epoch", "examples/s",
           "test -ELBO (nats)"]
RATIO_COLUMNS = ["backend", "Keras / plain, wall time", "Keras / plain, CPU time",
                 "-ELBO, Keras - plain"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.md"
    backend = keras.backend.backend()
    cmd = [sys.executable, "benchmarks/bench.py", "--tiny", "--backend", backend,
           "--hidden-dim", "32", "--latent-dim", "2", "--output", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return backend, out, json.loads(out.with_suffix(".json").read_text())


def test_writes_markdown_table_with_expected_columns(report):
    backend, out, _ = report
    lines = out.read_text().splitlines()
    header = next(line for line in lines if line.startswith("| backend"))
    assert [c.strip() for c in header.strip("|").split("|")] == COLUMNS
    ratio_header = next(line for line in lines if line.startswith("| backend | Keras"))
    assert [c.strip() for c in ratio_header.strip("|").split("|")] == RATIO_COLUMNS
    rows = [line for line in lines if line.startswith(f"| {backend} |")]
    assert len(rows) == 3
    assert "Keras 3 fit" in rows[0] and "plain" in rows[1] and "**" in rows[2]
    assert "Command: `python benchmarks/bench.py --tiny" in out.read_text()


def test_json_has_finite_numbers_for_both_implementations(report):
    backend, _, data = report
    (result,) = data["results"]
    assert result["backend"] == backend
    assert result["dataset"] == "mnist_subset" and result["n_train"] == 512
    for key in ("ratio", "cpu_ratio"):
        assert math.isfinite(result[key]) and result[key] > 0
    for row in result["rows"]:
        assert len(row["epoch_s"]) == 2
        for key in ("first_epoch_s", "median_epoch_s", "median_epoch_cpu_s", "examples_per_s",
                    "test_nelbo"):
            assert math.isfinite(row[key]) and row[key] > 0, (row["implementation"], key)


def test_render_rewrites_the_table_from_the_json(report, tmp_path):
    _, out, data = report
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(data))
    done = subprocess.run([sys.executable, "benchmarks/bench.py", "--render", str(copy)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert copy.with_suffix(".md").read_text() == out.read_text()


def test_rejects_a_single_epoch():
    done = subprocess.run([sys.executable, "benchmarks/bench.py", "--epochs", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--epochs must be >= 2" in done.stderr


def test_fitting_training_data_shows_every_example_once_per_epoch_reshuffled(backend):
    """The measured fast input path keeps fit's semantics: each epoch a new permutation."""
    import numpy as np

    from vae_keras.fitting import compile_kwargs, training_data

    assert isinstance(compile_kwargs(), dict)
    x = np.arange(10, dtype="float32").reshape(10, 1, 1, 1)
    kwargs = training_data(x, batch_size=4, seed=0)
    if backend != "tensorflow":
        assert kwargs == {"x": x, "batch_size": 4, "shuffle": True}
        return
    epochs = [np.concatenate([b.numpy().ravel() for b in kwargs["x"]]) for _ in range(2)]
    assert [len(b) for b in kwargs["x"]] == [4, 4, 2]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(10))
    assert epochs[0].tolist() != epochs[1].tolist()


def test_levers_script_times_each_variant_and_the_plain_loop(tmp_path):
    out = tmp_path / "levers.json"
    cmd = [sys.executable, "benchmarks/levers.py", "--tiny", "--rounds", "2", "--hidden-dim", "16",
           "--latent-dim", "2", "--levers", "default", "fused-encoder", "no-trackers", "no-noise",
           "--output", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    names = ["default", "fused-encoder", "no-trackers", "no-noise", "plain"]
    assert list(result["median_cpu"]) == names
    for name in names:
        assert len(result["seconds"][name]) == 2 and result["median"][name] > 0
    table = out.with_suffix(".md").read_text()
    assert table.count("\n| ") == 6  # header and five rows


def test_compile_kwargs_are_the_measured_settings_and_fit_takes_every_step(backend):
    """JAX and TensorFlow run 32 steps per call (benchmarks/levers-jax*.md, results.md),
    PyTorch keeps Keras's defaults; with them, fit still takes one step per batch."""
    import keras
    import numpy as np

    from vae_keras.fitting import compile_kwargs, training_data
    from vae_keras.models import VAE

    expected = {} if backend == "torch" else {"steps_per_execution": 32}
    assert compile_kwargs() == expected
    vae = VAE(latent_dim=2, hidden_dim=8, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), **compile_kwargs())
    x = np.random.default_rng(0).random((1050, 28, 28, 1)).astype("float32")
    history = vae.fit(**training_data(x, batch_size=100, seed=0), epochs=2, verbose=0)
    assert int(keras.ops.convert_to_numpy(vae.optimizer.iterations)) == 2 * 11
    assert all(np.isfinite(history.history["loss"]))


def test_start_time_script_compares_hidden_and_imported_tensorflow(backend):
    """benchmarks/start_time.py: one start of each kind; the hidden one prints no TF lines."""
    if backend == "tensorflow":
        pytest.skip("TensorFlow is never hidden under its own backend")
    done = subprocess.run([sys.executable, "benchmarks/start_time.py", "--backends", backend,
                           "--runs", "1"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line.split("|")[2].strip(): line.split("|")[3:6] for line in done.stdout.splitlines()
            if line.startswith(f"| {backend} |")}
    assert set(rows) == {"hidden", "imported"}, done.stdout
    assert rows["hidden"][2].strip() == "0", done.stdout
    assert all(float(cell) > 0 for row in rows.values() for cell in row[:2])
