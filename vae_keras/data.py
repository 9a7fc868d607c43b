"""Data sets as float32 images in [0, 1]: MNIST, Fashion-MNIST, Frey Face and a bundled MNIST subset."""

import dataclasses
import hashlib
import http.client
import os
import shutil
import urllib.request
import warnings
from pathlib import Path

import numpy as np

from vae_keras import runs
from vae_keras.config import DATASETS
from vae_keras.readers import DataError, read_frey_mat, read_idx, read_mnist_npz

DATA_ENV = "VAE_KERAS_DATA"
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
FREY_FILE = "frey_rawface.mat"
FREY_URL = "https://cs.nyu.edu/~roweis/data/frey_rawface.mat"
# Keras's copies, cached where keras.datasets caches them. mnist.npz has a
# published SHA-256 (the one keras.datasets.mnist checks); the other files
# have none for these copies, so their structure is checked instead.
KERAS_DATA_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
MNIST_FILE = "mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
FASHION_FOLDER = "fashion-mnist"
DOWNLOAD_TIMEOUT = 60  # seconds without data before a download gives up
FREY_TEST_SIZE = 200
SUBSET = Path(__file__).parent / "assets" / "mnist_subset.npz"
SUBSET_WARNING = (
    "using the bundled MNIST subset (8,000 train / 2,000 test digits) because "
    "the full MNIST could not be found or downloaded ({reason}); for the full "
    f"set pass --data-dir DIR or set {DATA_ENV}=DIR, DIR holding the four IDX "
    "files (train-images-idx3-ubyte.gz, ...)"
)


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Train and test images of shape (n, height, width, 1) in [0, 1], with labels if any.

    Attributes:
        name: The data set's name, as given to `load_dataset`.
        x_train: Training images, float32.
        x_test: Test images, float32.
        y_train: Integer labels of the training images, or `None` (Frey Face).
        y_test: Integer labels of the test images, or `None`.
    """

    name: str
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray | None = None
    y_test: np.ndarray | None = None

    @property
    def image_shape(self):
        return self.x_train.shape[1:]

    @property
    def likelihood(self):
        """The decoder that suits the data: Bernoulli for digits, Gaussian for faces."""
        return "gaussian" if self.name == "frey_face" else "bernoulli"


BINARY_TEST_SEED = 0  # one fixed binarized test set, whatever the run's seed


def binarize(images, seed=BINARY_TEST_SEED):
    """A Bernoulli draw of grey images: each pixel is 1 with probability its grey level.

    NumPy, seeded: the same binary images on every backend and machine.

    >>> binarize(np.full((1, 2, 2, 1), 0.5, "float32"), seed=0).ravel().tolist()
    [0.0, 0.0, 0.0, 1.0]
    """
    images = np.asarray(images, dtype="float32")
    draw = np.random.default_rng(seed).random(images.shape, dtype="float32")
    return (draw < images).astype("float32")


def with_binary_test_set(data, seed=BINARY_TEST_SEED):
    """`data` with its test images replaced by one fixed binarized draw (`binarize`).

    The training images stay grey: a `VAE(binarize=True)` draws a fresh binary
    version of each batch as it trains ("dynamic binarization").
    """
    return dataclasses.replace(data, x_test=binarize(data.x_test, seed))


def load_dataset(name="mnist", data_dir=None):
    """Loads a data set as a `Dataset` of float32 images in [0, 1].

    Args:
        name: `"mnist"`, `"fashion_mnist"`, `"frey_face"` or `"mnist_subset"`
            (8,000 + 2,000 real MNIST digits shipped with the package).
        data_dir: A folder holding the raw files (the four IDX files, gzipped
            or not, or `frey_rawface.mat`), directly or in a subfolder named
            after the data set. Defaults to the `VAE_KERAS_DATA` variable;
            without either, the files are downloaded once into Keras's cache.
            If full MNIST can be neither found nor downloaded, the bundled
            subset is used, with a warning.

    Returns:
        A `Dataset`.

    Example:

    ```python
    from vae_keras import load_dataset

    data = load_dataset("mnist_subset")
    print(data.x_train.shape, data.x_test.shape)  # (8000, 28, 28, 1) (2000, 28, 28, 1)
    ```
    """
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    data_dir = data_dir or os.environ.get(DATA_ENV) or None
    if data_dir is not None:
        data_dir = Path(data_dir).expanduser()
        if not data_dir.is_dir():
            raise DataError(f"data folder {data_dir} does not exist")
    if name == "mnist_subset":
        return _load_subset()
    if name == "frey_face":
        return _load_frey_face(data_dir)
    if data_dir is not None:
        return _from_arrays(name, _read_idx_folder(_dataset_folder(data_dir, name)))
    try:
        return _from_arrays(name, _download_idx(name))
    except Exception as e:  # any failure to download: offline, proxy, bad hash...
        reason = str(e) if isinstance(e, DataError) else type(e).__name__
        if name != "mnist":
            raise DataError(
                f"could not download {name} ({reason}); pass --data-dir "
                f"DIR or set {DATA_ENV}=DIR, DIR holding its four IDX files"
            ) from None
        warnings.warn(SUBSET_WARNING.format(reason=reason), stacklevel=2)
        return _load_subset()


def _from_arrays(name, arrays):
    def images(a):
        return (a.astype("float32") / 255.0)[..., None]

    return Dataset(
        name=name,
        x_train=images(arrays["x_train"]),
        x_test=images(arrays["x_test"]),
        y_train=None if arrays.get("y_train") is None else arrays["y_train"].astype("int64"),
        y_test=None if arrays.get("y_test") is None else arrays["y_test"].astype("int64"),
    )


def _load_subset():
    with np.load(SUBSET, allow_pickle=False) as f:
        return _from_arrays("mnist_subset", {k: f[k] for k in f.files})


def _dataset_folder(data_dir, name):
    """The folder itself, or its subfolder named after the data set."""
    for folder in (data_dir, data_dir / name, data_dir / name.replace("_", "-")):
        if folder.is_dir() and any(folder.glob(IDX_FILES["x_train"] + "*")):
            return folder
    return data_dir


def _read_idx_folder(folder):
    arrays = {}
    for key, stem in IDX_FILES.items():
        candidates = [folder / (stem + ".gz"), folder / stem]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise DataError(
                f"{folder} lacks {stem}.gz (or {stem}); it needs the four IDX files "
                f"{', '.join(s + '.gz' for s in IDX_FILES.values())}"
            )
        arrays[key] = read_idx(path)
    _check_pairs(arrays, folder)
    return arrays


def _check_pairs(arrays, where):
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim == 3 and not len(x):
            raise DataError(f"{where}: the {split} images file holds no images")
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DataError(
                f"{where}: the {split} images {x.shape} and labels {y.shape} do not match"
            )


def _download_idx(name):
    """Full MNIST or Fashion-MNIST from Keras's servers (or the cache), checked."""
    if name == "mnist":
        return fetch(MNIST_FILE, KERAS_DATA_URL + MNIST_FILE, read_mnist_npz, MNIST_SHA256)
    arrays = {
        key: fetch(f"{FASHION_FOLDER}/{stem}.gz", f"{KERAS_DATA_URL}{stem}.gz", read_idx)
        for key, stem in IDX_FILES.items()
    }
    _check_pairs(arrays, _cache_dir() / FASHION_FOLDER)
    return arrays


def _cache_dir():
    root = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return root / "datasets"


def _load_frey_face(data_dir):
    if data_dir is not None:
        path = next(
            (p for p in (data_dir / FREY_FILE, data_dir / "frey_face" / FREY_FILE) if p.is_file()),
            None,
        )
        if path is None:
            raise DataError(f"{data_dir} lacks {FREY_FILE}")
        faces = read_frey_mat(path)
    else:
        faces = _cached_frey_face()
    order = np.random.RandomState(0).permutation(len(faces))
    test, train = order[:FREY_TEST_SIZE], order[FREY_TEST_SIZE:]
    return _from_arrays("frey_face", {"x_train": faces[train], "x_test": faces[test]})


def _cached_frey_face(url=None):
    """Reads Frey Face from the cache, fetching it (again, if corrupt) when needed."""
    url = url or FREY_URL
    try:
        return fetch(FREY_FILE, url, read_frey_mat)
    except DataError as e:
        raise DataError(
            f"{e}; download {FREY_FILE} yourself and pass --data-dir to its folder"
        ) from None


def fetch(name, url, read, sha256=None):
    """Returns `read(path)` for the cached copy of `url`, downloading it if needed.

    A cached copy is used only if it passes the checks: its SHA-256 when one is
    known, then `read` itself (which raises `DataError` on a malformed file). A
    corrupt copy is reported with a warning and fetched again. A download goes
    to a temporary file that is checked the same way before it is renamed into
    the cache: neither a crash nor a bad download leaves a file there to be
    used later.

    Args:
        name: Path of the file inside the cache folder (`~/.keras/datasets`).
        url: Where to download it from (any scheme urllib knows).
        read: Parser of the file; raises `DataError` on a malformed one.
        sha256: The file's SHA-256 as hex, or `None` if none is known.
    """
    path = _cache_dir() / name
    if path.is_file():
        try:
            _check_sha256(path, sha256)
            return read(path)
        except DataError as e:
            warnings.warn(f"the cached {path} is corrupt ({e}); downloading it again",
                          stacklevel=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    with runs.atomic_path(path) as tmp:  # the cache gets the file only once it is checked
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response, \
                    open(tmp, "wb") as f:
                shutil.copyfileobj(response, f)
                f.flush()
                os.fsync(f.fileno())
        except (OSError, ValueError, http.client.HTTPException) as e:
            raise DataError(f"could not download {url} ({e})") from None
        try:
            _check_sha256(tmp, sha256)
            return read(tmp)
        except DataError as e:
            raise DataError(f"the file downloaded from {url} is corrupt ({e})") from None


def _check_sha256(path, expected):
    if expected is None:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise DataError(f"{path} has SHA-256 {digest.hexdigest()}, expected {expected}")
