"""`--data-parallel` trains with keras.distribution.DataParallel on JAX over every visible
device (two forced CPU host devices here); elsewhere it is a one-line error before Keras loads."""

import json

import pytest

from clitools import SMALL_RUN, assert_one_line_error, cli_env, run


def test_data_parallel_on_two_host_devices(tmp_path, backend):
    if backend != "jax":
        pytest.skip("DataParallel runs on JAX only (the error is tested below)")
    env = cli_env()
    # First: XLA ignored the flag after cli_env's thread flags. CPU only, also on a GPU machine.
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2 " + env["XLA_FLAGS"]
    env["JAX_PLATFORMS"] = "cpu"
    proc = run([*SMALL_RUN, "--epochs", "1", "--data-parallel", "--output-dir", tmp_path,
                "--run-name", "dp"], env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "data parallel over 2 devices: cpu:0, cpu:1" in proc.stdout, proc.stdout
    metrics = json.loads((tmp_path / "dp" / "metrics.json").read_text())
    assert 0 < metrics["test_loss"] < 600
    assert json.loads((tmp_path / "dp" / "config.json").read_text())["data_parallel"] is True


@pytest.mark.parametrize("other", ["torch", "tensorflow"])
def test_data_parallel_elsewhere_is_a_one_line_error(tmp_path, other):
    proc = run(["--data-parallel", "--output-dir", tmp_path], env=cli_env(other))
    assert_one_line_error(proc, "--data-parallel needs KERAS_BACKEND=jax", other)
    assert not any(tmp_path.iterdir())
