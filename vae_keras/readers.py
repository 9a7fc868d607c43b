"""Readers for the raw data formats: IDX (MNIST, Fashion-MNIST) and Frey Face's .mat file.

Each reader returns the data or raises `DataError`, a `ValueError` whose
one-line message says which file is wrong and how.
"""

import gzip
import io
import math
import os
import zlib

import numpy as np

# IDX magic numbers: two zero bytes, a type code (0x08 = unsigned byte) and
# the number of dimensions.
IDX_UBYTE = 0x08
FREY_VARIABLE, FREY_SHAPE = "ff", (560, 1965)


class DataError(ValueError):
    """A data file is missing, truncated or not what it should be."""


def read_idx(path):
    """Reads an IDX file of unsigned bytes (gzipped or raw) into a NumPy array."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{path} is not a valid gzip file ({e})") from None
    return parse_idx(raw, name=str(path))


def parse_idx(raw, name="<bytes>"):
    """Parses the bytes of an uncompressed IDX file."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != IDX_UBYTE:
        raise DataError(
            f"{name} is not an IDX file of unsigned bytes: its magic number is "
            f"{raw[:4].hex() or 'missing'}, expected 0000080N"
        )
    ndim = raw[3]
    if not 1 <= ndim <= 4:
        raise DataError(f"{name}: an IDX file with {ndim} dimensions is not supported")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{name} is truncated: its header is cut short")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = math.prod(shape)  # Python ints: a forged header cannot overflow
    if len(raw) - header != expected:
        raise DataError(
            f"{name} is truncated or padded: the header says {shape} = {expected} "
            f"bytes of data, the file has {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_frey_mat(path):
    """Reads `frey_rawface.mat` into uint8 images of shape (1965, 28, 20)."""
    from scipy.io import loadmat  # scipy is only needed for Frey Face

    try:
        with open(path, "rb") as f:
            raw = f.read()
        contents = loadmat(io.BytesIO(raw))
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from None
    except Exception as e:  # scipy raises many types on corrupt files
        raise DataError(f"{path} is not a readable MATLAB .mat file ({type(e).__name__})") from None
    faces = contents.get(FREY_VARIABLE)
    if not isinstance(faces, np.ndarray) or faces.shape != FREY_SHAPE:
        found = getattr(faces, "shape", "no such variable")
        raise DataError(
            f"{path} should hold an array {FREY_VARIABLE!r} of shape {FREY_SHAPE}; "
            f"found {found}"
        )
    _check_pixels(faces, f"{path}: the array {FREY_VARIABLE!r}")
    return np.ascontiguousarray(faces.T.reshape(-1, 28, 20).astype(np.uint8))


def read_mnist_npz(path):
    """Reads Keras's `mnist.npz` (uint8 images and labels), refusing pickled objects."""
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        f = np.load(path, allow_pickle=False)
        if not isinstance(f, np.lib.npyio.NpzFile):
            raise DataError(f"{path} is a single array, not an .npz archive")
        with f:
            if not set(keys) <= set(f.files):
                raise DataError(f"{path} should hold the arrays {', '.join(keys)}")
            arrays = {k: f[k] for k in keys}
    except DataError:
        raise
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from None
    except Exception as e:  # zipfile, pickle refusal, bad headers... on a corrupt file
        raise DataError(f"{path} is not a readable .npz file ({type(e).__name__})") from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or not len(x):
            raise DataError(
                f"{path}: the {split} images {x.shape} and labels {y.shape} do not match"
            )
        _check_pixels(x, f"{path}: x_{split}")
    return arrays


def _check_pixels(a, what):
    if a.dtype.kind not in "uif":
        raise DataError(f"{what} should hold numbers, not {a.dtype}")
    if a.size and not (np.all(np.isfinite(a)) and a.min() >= 0 and a.max() <= 255):
        raise DataError(f"{what} should hold pixel values in [0, 255]")


def write_atomically(path, data):
    """Writes bytes to `path` through a temporary file and a rename."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
