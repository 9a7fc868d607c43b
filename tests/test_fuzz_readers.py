"""Property-based tests of the data readers: random, truncated and corrupted bytes.

Whatever the bytes, a reader returns the data or raises `DataError` with a
one-line message; no other exception, no garbage array. The readers do not use
Keras, so the backend does not matter here.
"""

import gzip
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.io import savemat

from vae_keras.readers import (
    FREY_SHAPE, DataError, parse_idx, read_frey_mat, read_idx, read_mnist_npz,
)

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
outcomes = {"loaded": 0, "refused": 0}


def idx_bytes(array):
    array = np.asarray(array, dtype=np.uint8)
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, 8, array.ndim]) + dims + array.tobytes()


VALID_IDX = idx_bytes(np.arange(3 * 7 * 5).reshape(3, 7, 5) % 256)


def mat_bytes(compress):
    faces = (np.arange(np.prod(FREY_SHAPE)) % 7).astype(np.uint8).reshape(FREY_SHAPE)
    buffer = io.BytesIO()
    savemat(buffer, {"ff": faces}, do_compression=compress)
    return buffer.getvalue()


VALID_MATS = [mat_bytes(True), mat_bytes(False)]


def npz_bytes():
    buffer = io.BytesIO()
    x, y = np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.uint8)
    np.savez(buffer, x_train=x, y_train=y, x_test=x, y_test=y)
    return buffer.getvalue()


VALID_NPZ = npz_bytes()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def load(reader, folder, data, name="file"):
    """Runs `reader` on `data` written to a file; returns the array or None if refused."""
    path = folder / name
    path.write_bytes(data)
    try:
        result = reader(path)
    except DataError as e:
        message = str(e)
        assert message and "\n" not in message, message
        outcomes["refused"] += 1
        return None
    outcomes["loaded"] += 1
    return result


def mutated(valid, data):
    """`valid` with a few bytes overwritten, mostly in the header, and maybe cut short."""
    raw = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.one_of(st.integers(0, min(255, len(raw) - 1)),
                                    st.integers(0, len(raw) - 1)))
        raw[where] = data.draw(st.integers(0, 255))
    cut = data.draw(st.one_of(st.none(), st.integers(0, len(raw))))
    return bytes(raw[:cut])


@FUZZ
@given(st.binary(max_size=200))
def test_parse_idx_on_random_bytes(raw):
    try:
        array = parse_idx(raw)
    except DataError as e:
        assert "\n" not in str(e)
        return
    # Accepted: the header described exactly the bytes that follow.
    assert array.dtype == np.uint8
    assert 4 + 4 * array.ndim + array.size == len(raw)


@FUZZ
@given(st.lists(st.integers(0, 6), min_size=1, max_size=4), st.integers(0, 2**32 - 1))
def test_valid_idx_files_load_exactly(shape, seed):
    array = np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)
    np.testing.assert_array_equal(parse_idx(idx_bytes(array)), array)


@FUZZ
@given(st.data(), st.booleans())
def test_read_idx_on_truncated_and_corrupted_files(folder, data, compress):
    raw = mutated(VALID_IDX, data)
    array = load(read_idx, folder, gzip.compress(raw) if compress else raw)
    if array is not None:
        assert array.dtype == np.uint8 and array.ndim >= 1


@FUZZ
@given(st.data())
def test_read_idx_on_truncated_gzip_streams(folder, data):
    packed = gzip.compress(VALID_IDX)
    cut = data.draw(st.integers(0, len(packed) - 1))
    assert load(read_idx, folder, packed[:cut]) is None


@FUZZ
@given(st.binary(max_size=400))
def test_read_idx_and_frey_mat_on_random_bytes(folder, raw):
    for reader in (read_idx, read_frey_mat, read_mnist_npz):
        result = load(reader, folder, raw)
        assert result is None or reader is read_idx


@FUZZ
@given(st.data())
def test_read_frey_mat_on_truncated_and_corrupted_files(folder, data):
    valid = data.draw(st.sampled_from(VALID_MATS))
    faces = load(read_frey_mat, folder, mutated(valid, data))
    if faces is not None:  # a byte changed in the pixels is still a face set
        assert faces.shape == (1965, 28, 20) and faces.dtype == np.uint8


@FUZZ
@given(st.data())
def test_read_mnist_npz_on_truncated_and_corrupted_files(folder, data):
    arrays = load(read_mnist_npz, folder, mutated(VALID_NPZ, data))
    if arrays is not None:
        assert arrays["x_train"].shape[1:] == (28, 28) and len(arrays["y_test"])


def test_the_valid_seeds_load(folder):
    assert load(read_idx, folder, VALID_IDX).shape == (3, 7, 5)
    for valid in VALID_MATS:
        assert load(read_frey_mat, folder, valid).shape == (1965, 28, 20)
    assert load(read_mnist_npz, folder, VALID_NPZ)["x_train"].shape == (3, 28, 28)


def test_the_file_that_crashed_scipy_is_refused(folder):
    # Found by the fuzz test above: one byte changed in a valid uncompressed file
    # (the data type of 'ff', 2 = uint8, set to 64) made scipy 1.17's loadmat
    # die with a segmentation fault. Our reader refuses it in one line.
    raw = bytearray(VALID_MATS[1])
    assert raw[176] == 2
    raw[176] = 64
    path = folder / "crash.mat"
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="variable 'ff' has data of unknown type 64"):
        read_frey_mat(path)
