import gzip
import warnings

import numpy as np
import pytest
from scipy.io import savemat

from vae_keras import data as data_module
from vae_keras.data import load_dataset
from vae_keras.readers import DataError


def idx_bytes(array):
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    return header + array.tobytes()


def write_mnist_folder(folder, n_train=30, n_test=10, gz=True):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        raw = idx_bytes(array)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return arrays


def test_bundled_subset_is_real_balanced_mnist(subset):
    assert subset.x_train.shape == (8000, 28, 28, 1)
    assert subset.x_test.shape == (2000, 28, 28, 1)
    assert subset.x_train.dtype == np.float32
    assert 0.0 == subset.x_train.min() and subset.x_train.max() == 1.0
    assert np.bincount(subset.y_train).tolist() == [800] * 10
    assert np.bincount(subset.y_test).tolist() == [200] * 10
    # Real digits: mostly background, with about 19% of pixels above 0.5.
    assert 0.1 < (subset.x_train > 0.5).mean() < 0.3
    assert subset.likelihood == "bernoulli"


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_from_a_folder_of_idx_files(tmp_path, gz):
    arrays = write_mnist_folder(tmp_path / "mnist", gz=gz)
    for folder in (tmp_path / "mnist", tmp_path):  # the folder or its parent
        data = load_dataset("mnist", data_dir=folder)
        assert data.x_train.shape == (30, 28, 28, 1) and data.x_test.shape == (10, 28, 28, 1)
        np.testing.assert_allclose(
            data.x_train[..., 0], arrays["train-images-idx3-ubyte"] / 255.0, rtol=1e-6
        )
        np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte"])


def test_the_data_variable_is_used_when_no_folder_is_given(tmp_path, monkeypatch):
    write_mnist_folder(tmp_path / "fashion_mnist")
    monkeypatch.setenv("VAE_KERAS_DATA", str(tmp_path))
    assert load_dataset("fashion_mnist").x_train.shape == (30, 28, 28, 1)


def test_missing_files_and_folders_give_clear_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("mnist", data_dir=tmp_path / "nowhere")
    with pytest.raises(DataError, match="lacks train-images-idx3-ubyte.gz"):
        load_dataset("mnist", data_dir=tmp_path)
    with pytest.raises(DataError, match="unknown dataset 'cifar'"):
        load_dataset("cifar")


def test_full_mnist_falls_back_to_the_subset_with_one_warning(monkeypatch):
    def offline(name):
        raise OSError("no network")

    monkeypatch.setattr(data_module, "_download_idx", offline)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_dataset("mnist")
    assert data.name == "mnist_subset" and len(data.x_train) == 8000
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "--data-dir" in messages[0]


def test_fashion_mnist_without_data_or_network_is_an_error(monkeypatch):
    monkeypatch.setattr(data_module, "_download_idx", lambda name: 1 / 0)
    with pytest.raises(DataError, match="could not download fashion_mnist"):
        load_dataset("fashion_mnist")


def test_frey_face_from_a_local_mat_file(tmp_path):
    faces = np.random.default_rng(0).integers(0, 256, (560, 1965)).astype(np.uint8)
    savemat(tmp_path / "frey_rawface.mat", {"ff": faces})
    data = load_dataset("frey_face", data_dir=tmp_path)
    assert data.x_train.shape == (1765, 28, 20, 1) and data.x_test.shape == (200, 28, 20, 1)
    assert data.y_train is None and data.likelihood == "gaussian"
    # Each image is one column of ff, read row-major as 28 rows of 20 pixels.
    all_faces = np.concatenate([data.x_train, data.x_test])[..., 0] * 255
    column = faces[:, 0].reshape(28, 20)
    assert any(np.allclose(f, column) for f in all_faces)


def test_frey_face_mat_without_the_array_is_refused(tmp_path):
    savemat(tmp_path / "frey_rawface.mat", {"faces": np.zeros((3, 3))})
    with pytest.raises(DataError, match="should hold an array 'ff' of shape"):
        load_dataset("frey_face", data_dir=tmp_path)


def test_frey_face_download_is_checked_before_it_is_cached(tmp_path, monkeypatch):
    faces = np.random.default_rng(0).integers(0, 256, (560, 1965)).astype(np.uint8)
    good = tmp_path / "good.mat"
    savemat(good, {"ff": faces})
    cache = tmp_path / "cache"
    monkeypatch.setenv("KERAS_HOME", str(cache))
    # A corrupt cached copy is detected and fetched again from the "server".
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "frey_rawface.mat").write_bytes(b"not a mat file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_dataset_from(good.as_uri(), monkeypatch)
    assert data.x_train.shape == (1765, 28, 20, 1)
    assert any("corrupt" in str(w.message) for w in caught)
    assert (cache / "datasets" / "frey_rawface.mat").read_bytes() == good.read_bytes()
    # A bad download never replaces the cache with garbage.
    bad = tmp_path / "bad.mat"
    bad.write_bytes(b"\x00" * 100)
    (cache / "datasets" / "frey_rawface.mat").unlink()
    with pytest.raises(DataError):
        load_dataset_from(bad.as_uri(), monkeypatch)
    assert not (cache / "datasets" / "frey_rawface.mat").exists()


def load_dataset_from(url, monkeypatch):
    monkeypatch.setattr(data_module, "FREY_URL", url)
    monkeypatch.setattr(
        data_module, "_cached_frey_face",
        lambda url=url, f=data_module._cached_frey_face: f(url),
    )
    return load_dataset("frey_face")
