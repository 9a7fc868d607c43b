"""`import vae_keras` is all `keras.saving.load_model` needs, whichever is imported first.

A model is saved in this process (which imported `vae_keras.models`); fresh
processes, which import only `vae_keras` and `keras` (in both orders), load it
with Keras's own `load_model` and must compute the same encoder means. A third
process checks that `import vae_keras` alone loads no Keras (the training
command checks its options before Keras is imported). A `ConditionalVAE`
loads the same way.
"""

import subprocess
import sys

import numpy as np
import pytest

from clitools import ROOT, cli_env
from vae_keras.models import VAE

LOAD = """
import sys
import numpy as np
{imports}
model = keras.saving.load_model(sys.argv[1])
assert type(model).__name__ == "VAE" and type(model).__module__ == "vae_keras.models", type(model)
x = np.linspace(0, 1, 2 * 784, dtype="float32").reshape(2, 28, 28, 1)
np.save(sys.argv[2], keras.ops.convert_to_numpy(model.encoder(x)[0]))
"""
IMPORT_ORDERS = {
    "vae_keras-then-keras": "import vae_keras\nimport keras",
    "keras-then-vae_keras": "import keras\nimport vae_keras",
    "from-keras-import-first": "from keras import ops\nimport vae_keras\nimport keras",
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loading")
    vae = VAE(latent_dim=2, hidden_dim=16, seed=0)
    vae.save(folder / "model.keras")
    x = np.linspace(0, 1, 2 * 784, dtype="float32").reshape(2, 28, 28, 1)
    mean, _ = vae.encode(x)
    procs = {name: subprocess.Popen(
        [sys.executable, "-c", LOAD.format(imports=imports), str(folder / "model.keras"),
         str(folder / f"{name}.npy")],
        cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, imports in IMPORT_ORDERS.items()}
    logs = {name: proc.communicate(timeout=300)[0] for name, proc in procs.items()}
    codes = {name: proc.returncode for name, proc in procs.items()}
    return folder, mean, logs, codes


@pytest.mark.parametrize("order", IMPORT_ORDERS)
def test_keras_load_model_works_after_import_vae_keras(saved, order):
    folder, mean, logs, codes = saved
    assert codes[order] == 0, logs[order][-3000:]
    np.testing.assert_allclose(np.load(folder / f"{order}.npy"), mean, rtol=1e-5, atol=1e-5)


def test_without_import_vae_keras_keras_cannot_load_it(saved):
    """The check above can fail: Keras alone does not know the class."""
    folder = saved[0]
    proc = subprocess.run(
        [sys.executable, "-c", LOAD.format(imports="import keras"), str(folder / "model.keras"),
         str(folder / "unused.npy")],
        cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "Could not locate class 'VAE'" in proc.stderr


def test_import_vae_keras_and_the_option_check_load_no_keras():
    code = ("import sys\nimport vae_keras\nassert 'keras' not in sys.modules\n"
            "from vae_keras.train import main\n"
            "try:\n    main(['--latent-dim', '0'])\nexcept SystemExit as e:\n    assert e.code == 2\n"
            "assert 'keras' not in sys.modules, 'the option check imported Keras'\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=cli_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


LOAD_CONDITIONAL = """
import sys
import numpy as np
import vae_keras
import keras
model = keras.saving.load_model(sys.argv[1])
assert type(model).__name__ == "ConditionalVAE", type(model)
x = np.linspace(0, 1, 2 * 784, dtype="float32").reshape(2, 28, 28, 1)
mean, _ = model.encode(x, np.array([3, 7]))
np.save(sys.argv[2], mean)
"""


def test_keras_load_model_loads_a_conditional_vae(tmp_path):
    from vae_keras import ConditionalVAE

    model = ConditionalVAE(num_classes=10, latent_dim=2, hidden_dim=16, seed=0)
    model.save(tmp_path / "cvae.keras")
    x = np.linspace(0, 1, 2 * 784, dtype="float32").reshape(2, 28, 28, 1)
    expected, _ = model.encode(x, np.array([3, 7]))
    proc = subprocess.run(
        [sys.executable, "-c", LOAD_CONDITIONAL, str(tmp_path / "cvae.keras"),
         str(tmp_path / "mean.npy")],
        cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "mean.npy"), expected, rtol=1e-5, atol=1e-5)
