"""Readers for the raw data formats: IDX (MNIST, Fashion-MNIST) and Frey Face's .mat file.

Each reader returns the data or raises `DataError`, a `ValueError` whose
one-line message says which file is wrong and how.
"""

import gzip
import io
import math
import struct
import zlib

import numpy as np

# IDX magic numbers: two zero bytes, a type code (0x08 = unsigned byte) and
# the number of dimensions.
IDX_UBYTE = 0x08
FREY_VARIABLE, FREY_SHAPE = "ff", (560, 1965)
# MAT-file level 5 (MATLAB 5 to 7.2): data element types, and the classes of
# numeric arrays (mxDOUBLE_CLASS = 6 ... mxUINT64_CLASS = 15).
MI_DTYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8",
             12: "i8", 13: "u8"}
MI_INT8, MI_INT32, MI_UINT32, MI_MATRIX, MI_COMPRESSED = 1, 5, 6, 14, 15
NUMERIC_CLASSES = range(6, 16)
MAX_MAT_ELEMENT = 256 * 2**20  # bytes a compressed element may expand to


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
    """Reads `frey_rawface.mat` into uint8 images of shape (1965, 28, 20).

    MAT-files of level 5 (MATLAB's default from version 5 to 7.2, compressed or
    not) are parsed here, in Python: scipy's reader crashed the interpreter
    (a segmentation fault) on a corrupted file found by our fuzz tests. Level 4
    files, whose reader is plain NumPy, are left to scipy.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from None
    if len(raw) >= 4 and 0 not in raw[:4]:  # level 5 (or 7.3): its text header has no zero byte
        faces = _mat5_variable(raw, FREY_VARIABLE, path)
    else:
        faces = _mat4_variable(raw, FREY_VARIABLE, path)
    if not isinstance(faces, np.ndarray) or faces.shape != FREY_SHAPE:
        found = getattr(faces, "shape", "no such variable" if faces is None else "no array")
        raise DataError(
            f"{path} should hold an array {FREY_VARIABLE!r} of shape {FREY_SHAPE}; "
            f"found {found}"
        )
    _check_pixels(faces, f"{path}: the array {FREY_VARIABLE!r}")
    return np.ascontiguousarray(faces.T.reshape(-1, 28, 20).astype(np.uint8))


def _mat4_variable(raw, name, path):
    from scipy.io import loadmat  # scipy is only needed for level-4 MAT-files

    try:
        return loadmat(io.BytesIO(raw)).get(name)
    except Exception as e:  # scipy raises many types on corrupt files
        raise DataError(f"{path} is not a readable MATLAB .mat file ({type(e).__name__})") from None


def _mat5_variable(raw, name, path):
    """The numeric array `name` of a level-5 MAT-file, `None` if absent, "other" if not numeric."""
    if len(raw) < 128 or raw[126:128] not in (b"IM", b"MI"):
        raise DataError(f"{path} is not a readable MATLAB .mat file (no level-5 header)")
    order = "<" if raw[126:128] == b"IM" else ">"
    if struct.unpack_from(order + "H", raw, 124)[0] != 0x0100:
        raise DataError(f"{path} is a MATLAB .mat file of an unsupported version "
                        "(save it with -v7 or older)")
    pos = 128
    while pos < len(raw):
        kind, data, pos = _mat5_element(raw, pos, order, path)
        if kind == MI_COMPRESSED:
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(data, MAX_MAT_ELEMENT)
            except zlib.error as e:
                raise DataError(f"{path}: a compressed variable is corrupt ({e})") from None
            if not inflater.eof:
                raise DataError(f"{path}: a compressed variable is truncated or too large")
            kind, data, _ = _mat5_element(data, 0, order, path)
        if kind == MI_MATRIX:
            found, array = _mat5_matrix(data, order, path)
            if found == name:
                return array if array is not None else "other"
    return None


def _mat5_element(buf, pos, order, path):
    """Reads the data element at `pos`: returns its type, its bytes and where the next begins."""
    if pos + 8 > len(buf):
        raise DataError(f"{path} is truncated: a data element is cut short")
    first = struct.unpack_from(order + "I", buf, pos)[0]
    if first >> 16:  # small element: type and size in one word, up to 4 bytes of data
        kind, size = first & 0xFFFF, first >> 16
        if size > 4:
            raise DataError(f"{path} is corrupt: a small data element claims {size} bytes")
        return kind, buf[pos + 4 : pos + 4 + size], pos + 8
    size = struct.unpack_from(order + "I", buf, pos + 4)[0]
    start, end = pos + 8, pos + 8 + size
    if end > len(buf):
        raise DataError(f"{path} is truncated: a data element claims {size} bytes, "
                        f"{len(buf) - start} remain")
    padded = end if first == MI_COMPRESSED else start + (size + 7) // 8 * 8
    return first, buf[start:end], padded


def _mat5_matrix(data, order, path):
    """Name and array of a matrix element; the array is None unless real and numeric."""
    kind, flags, pos = _mat5_element(data, 0, order, path)
    if kind != MI_UINT32 or len(flags) < 4:
        raise DataError(f"{path} is corrupt: a variable has no array flags")
    word = struct.unpack_from(order + "I", flags, 0)[0]
    kind, dims_raw, pos = _mat5_element(data, pos, order, path)
    if kind != MI_INT32 or not dims_raw or len(dims_raw) % 4:
        raise DataError(f"{path} is corrupt: a variable has no dimensions")
    dims = struct.unpack(f"{order}{len(dims_raw) // 4}i", dims_raw)
    kind, name, pos = _mat5_element(data, pos, order, path)
    if kind != MI_INT8:
        raise DataError(f"{path} is corrupt: a variable has no name")
    name = name.decode("latin-1")
    if (word & 0xFF) not in NUMERIC_CLASSES or word & 0x0800 or min(dims) < 0:
        return name, None  # a cell, struct, string, sparse or complex array
    kind, real, _ = _mat5_element(data, pos, order, path)
    if kind not in MI_DTYPES:
        raise DataError(f"{path} is corrupt: variable {name!r} has data of unknown type {kind}")
    dtype = np.dtype(order + MI_DTYPES[kind])
    if len(real) != math.prod(dims) * dtype.itemsize:
        raise DataError(f"{path} is corrupt: variable {name!r} of shape {dims} holds "
                        f"{len(real)} bytes")
    return name, np.frombuffer(real, dtype=dtype).reshape(dims, order="F")


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
