"""Safe loading and checked downloads.

Models load with Keras's safe mode on, so a `.keras` file can bring weights but
never code: files tampered to carry a Lambda layer, a lambda loss, an unknown
class or a module function are refused with a clear error, by Keras, by
`load_vae` and by the CLIs that load models, and the code they carry never
runs. Downloads are written to a temporary file and checked before use; a
corrupt cached file is fetched again, never used.
"""

import ast
import gzip
import hashlib
import io
import json
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from vae_keras import data as data_module
from vae_keras import evaluate, train
from vae_keras.data import load_dataset
from vae_keras.models import VAE
from vae_keras.saving import load_vae
from vae_keras.readers import DataError

PACKAGE = Path(__file__).resolve().parents[1] / "vae_keras"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small trained VAE saved the way the training CLI saves its checkpoints."""
    folder = tmp_path_factory.mktemp("safety")
    vae = VAE(latent_dim=2, hidden_dim=8, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae.fit(np.random.default_rng(0).random((32, 28, 28, 1), dtype="float32"), epochs=1,
            batch_size=32, verbose=0)
    vae.save(folder / "good.keras")
    return folder


def tampered(saved, name, edit):
    """A copy of the good file whose config.json went through `edit`."""
    path = saved / f"{name}.keras"
    with zipfile.ZipFile(saved / "good.keras") as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(content)
                edit(config)
                content = json.dumps(config).encode()
            dst.writestr(item, content)
    return path


def payload(marker):
    """A serialized Lambda layer whose function, if ever run, creates the file `marker`."""
    function = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]")
    return keras.saving.serialize_keras_object(keras.layers.Lambda(function))


def attacks(saved):
    marker = saved / "code-was-run"
    layer = payload(marker)
    return marker, {
        "lambda-layer": (lambda c: c.update(layer), "`Lambda` layer"),
        "lambda-loss": (lambda c: c["compile_config"].update(loss=layer["config"]["function"]),
                        "deserialization of a Python lambda"),
        "unknown-class": (lambda c: c.update(class_name="Backdoor",
                                             registered_name="evil>Backdoor"),
                          "Could not locate class 'Backdoor'"),
        "module-function": (lambda c: c.update(module="os", class_name="system",
                                               registered_name=None),
                            "Could not locate class 'system'"),
        "optimizer-class": (lambda c: c["compile_config"]["optimizer"].update(
            module="subprocess", class_name="Popen", registered_name=None),
            "Could not locate class 'Popen'"),
    }


def test_the_package_has_no_lambda_layers_or_pickled_code(saved):
    banned_calls = {"Lambda", "enable_unsafe_deserialization"}
    banned_modules = {"pickle", "dill", "cloudpickle", "marshal", "joblib"}
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute | ast.Name):
                assert getattr(node, "attr", getattr(node, "id", None)) not in banned_calls, path
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not {n.split(".")[0] for n in names} & banned_modules, path
            if isinstance(node, ast.keyword) and node.arg in ("allow_pickle", "safe_mode"):
                assert isinstance(node.value, ast.Constant), path
                expected = node.arg == "safe_mode"
                assert node.value.value is expected, f"{path}: {node.arg}={node.value.value}"
    # A saved model's config is plain values and registered classes only.
    with zipfile.ZipFile(saved / "good.keras") as f:
        assert sorted(f.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        text = f.read("config.json").decode()
    assert "__lambda__" not in text and "Lambda" not in text
    classes = set()

    def walk(node):
        if isinstance(node, dict):
            if "class_name" in node:
                classes.add((node.get("module"), node["class_name"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(text))
    # (On PyTorch, Keras records its torch subclass of Adam: a module inside keras.)
    assert {name for _, name in classes} == {"VAE", "Adam"}
    assert all(module == "vae_keras.models" if name == "VAE" else module.startswith("keras.")
               for module, name in classes), classes


@pytest.mark.parametrize("attack", ["lambda-layer", "lambda-loss", "unknown-class",
                                    "module-function", "optimizer-class"])
def test_a_tampered_model_file_is_refused_and_runs_no_code(saved, attack):
    marker, table = attacks(saved)
    edit, message = table[attack]
    path = tampered(saved, attack, edit)
    with pytest.raises((ValueError, TypeError), match=message):
        keras.models.load_model(path)  # Keras's default: safe mode on
    with pytest.raises(ValueError, match="cannot load .* safely: ") as caught:
        load_vae(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert len(str(caught.value)) < 600  # one readable line, not the whole config
    assert not marker.exists()


def test_a_file_that_is_not_a_vae_is_refused(saved, tmp_path):
    inputs = keras.Input((3,))
    keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(tmp_path / "other.keras")
    with pytest.raises(ValueError, match="holds a Functional, not a vae_keras VAE"):
        load_vae(tmp_path / "other.keras")
    (tmp_path / "junk.keras").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="cannot load .*junk.keras safely"):
        load_vae(tmp_path / "junk.keras")


def fake_run(folder, model_file, name):
    """A run folder of the bundled subset whose saved model is `model_file`."""
    folder.mkdir()
    config = {"backend": keras.backend.backend(), "epochs": 3, "batch_size": 128, "seed": 0,
              "dataset": "mnist_subset", "data_dir": None, "evaluate": False,
              "snapshots": False, "tensorboard": False, "train_size": 8000,
              "learning_rate": 1e-3}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "status.json").write_text(json.dumps({"state": "running", "epochs_completed": 1,
                                                    "message": ""}))
    (folder / name).write_bytes(Path(model_file).read_bytes())
    return folder


def test_the_clis_refuse_a_tampered_model_in_one_line(saved, tmp_path, capsys):
    marker, table = attacks(saved)
    path = tampered(saved, "lambda-layer-cli", table["lambda-layer"][0])
    # Resuming training from a tampered checkpoint.
    run_dir = fake_run(tmp_path / "resume", path, "checkpoint.keras")
    with pytest.raises(SystemExit) as exit_:
        train.main(["--resume", str(run_dir), "--verbose", "0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1, err
    assert err[0].startswith(f"error: --resume: cannot load {run_dir / 'checkpoint.keras'} "
                             "safely: Requested the deserialization of a `Lambda` layer")
    # Evaluating a run whose model.keras was tampered with.
    run_dir = fake_run(tmp_path / "evaluate", path, "model.keras")
    with pytest.raises(SystemExit) as exit_:
        evaluate.main([str(run_dir), "--no-figures"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1, err
    assert "python -m vae_keras.evaluate: error:" in err[0] and "`Lambda` layer" in err[0]
    assert not marker.exists()


# Downloads: a local "server" (file:// URLs) and a temporary Keras cache.


def npz_bytes(n=3):
    buffer = io.BytesIO()
    x = np.random.default_rng(n).integers(0, 256, (n, 28, 28)).astype(np.uint8)
    np.savez(buffer, x_train=x, y_train=np.arange(n) % 10, x_test=x, y_test=np.arange(n) % 10)
    return buffer.getvalue()


def idx_gz(array):
    array = np.asarray(array, dtype=np.uint8)
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(bytes([0, 0, 8, array.ndim]) + dims + array.tobytes())


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A folder served at a file:// URL in place of Keras's data server; an empty cache."""
    folder = tmp_path / "server"
    folder.mkdir()
    monkeypatch.setattr(data_module, "KERAS_DATA_URL", folder.as_uri() + "/")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return folder, tmp_path / "keras_home" / "datasets"


def load_recording_warnings(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_dataset(name)
    return data, [str(w.message) for w in caught]


def test_mnist_download_is_checked_against_its_sha256(server, monkeypatch):
    folder, cache = server
    good = npz_bytes()
    (folder / "mnist.npz").write_bytes(good)
    monkeypatch.setattr(data_module, "MNIST_SHA256", hashlib.sha256(good).hexdigest())
    # A corrupt cached copy is detected and fetched again.
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(good[:-100])
    data, messages = load_recording_warnings("mnist")
    assert data.name == "mnist" and data.x_train.shape == (3, 28, 28, 1)
    assert len(messages) == 1 and "is corrupt" in messages[0] and "SHA-256" in messages[0]
    assert (cache / "mnist.npz").read_bytes() == good
    # A download whose checksum is wrong is never cached nor used: the bundled
    # subset is used instead, with a warning that says why.
    (cache / "mnist.npz").unlink()
    (folder / "mnist.npz").write_bytes(npz_bytes(4))
    data, messages = load_recording_warnings("mnist")
    assert data.name == "mnist_subset" and len(messages) == 1
    assert "is corrupt" in messages[0] and "SHA-256" in messages[0]
    assert sorted(p.name for p in cache.iterdir()) == []


def test_fashion_mnist_download_is_checked_for_structure(server):
    folder, cache = server
    images, labels = np.zeros((4, 28, 28)), np.arange(4)
    for stem, array in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels),
                        ("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels)):
        (folder / f"{stem}.gz").write_bytes(idx_gz(array))
    assert load_dataset("fashion_mnist").x_train.shape == (4, 28, 28, 1)
    # A truncated cached file (say, from a crash in an old download) is replaced.
    cached = cache / "fashion-mnist" / "t10k-images-idx3-ubyte.gz"
    cached.write_bytes(cached.read_bytes()[:20])
    data, messages = load_recording_warnings("fashion_mnist")
    assert data.x_test.shape == (4, 28, 28, 1)
    assert len(messages) == 1 and "is corrupt" in messages[0] and "downloading it again" in messages[0]
    # A corrupt download is refused, and the bad file never reaches the cache.
    cached.unlink()
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(idx_gz(images)[:-9])
    with pytest.raises(DataError, match="could not download fashion_mnist .*is corrupt"):
        load_dataset("fashion_mnist")
    assert not cached.exists()
    assert not [p for p in cached.parent.iterdir() if ".download-" in p.name]
    # A failed transfer (here: the file is gone from the server) is a clear error.
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match="could not download fashion_mnist .*could not download"):
        load_dataset("fashion_mnist")
