"""Bad input gets a clear error: every option of the training CLI, the data it reads, the
backend and the output folder; and the Python API's checks of images.

Each CLI case runs `python -m vae_keras.train` in a subprocess and expects exit code
2, exactly one line on stderr naming the option, the value and what is allowed, and
no traceback. The cases start together (they are cheap: all but one fail before
Keras is imported) and each is checked by its own parametrized test.
"""

import gzip
import json

import numpy as np
import pytest
from scipy.io import savemat

from clitools import assert_one_line_error, cli_env, run_many
from vae_keras.models import VAE

INT_ALLOWED = "expected an integer >= 1"
FLOAT_ALLOWED = "expected a finite number"


def idx_bytes(array, magic=None):
    array = np.asarray(array, dtype=np.uint8)
    head = magic if magic is not None else bytes([0, 0, 8, array.ndim])
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return head + dims + array.tobytes()


def write_idx_folder(folder, images=None, train_labels=None, gz=True, **raw):
    """Four IDX files of a tiny MNIST; `raw` replaces a file's bytes, e.g. x_train=b'...'."""
    folder.mkdir(parents=True, exist_ok=True)
    images = np.zeros((5, 28, 28), np.uint8) if images is None else images
    labels = np.zeros(len(images), np.uint8)
    content = {
        "x_train": idx_bytes(images),
        "y_train": idx_bytes(labels if train_labels is None else train_labels),
        "x_test": idx_bytes(images),
        "y_test": idx_bytes(labels),
    }
    content.update(raw)
    names = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
    for key, data in content.items():
        path = folder / (names[key] + (".gz" if gz else ""))
        path.write_bytes(gzip.compress(data) if gz else data)
    return folder


def fake_run(folder, state):
    """A run folder whose status.json says `state` (checked before anything is loaded)."""
    folder.mkdir()
    config = {"backend": "jax", "epochs": 3, "batch_size": 128, "seed": 0,
              "dataset": "mnist_subset", "data_dir": None, "evaluate": False,
              "snapshots": False, "tensorboard": False}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "checkpoint.keras").write_bytes(b"never read")
    (folder / "status.json").write_text(json.dumps(
        {"state": state, "epochs_completed": 1, "message": "the loss became nan in epoch 2"}))
    return folder


def cases(tmp):
    """(id, arguments, environment changes, fragments the one-line error must hold)."""
    good = write_idx_folder(tmp / "good")
    mnist_idx = idx_bytes(np.zeros((5, 28, 28)))
    frey_dir = tmp / "frey_without_ff"
    frey_dir.mkdir()
    savemat(frey_dir / "frey_rawface.mat", {"faces": np.zeros((3, 3))})
    frey_garbage = tmp / "frey_garbage"
    frey_garbage.mkdir()
    (frey_garbage / "frey_rawface.mat").write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    a_file = tmp / "a_file"
    a_file.write_text("")
    (tmp / "runs" / "taken").mkdir(parents=True)
    (tmp / "not_a_run").mkdir()
    return [
        ("latent-dim-zero", ["--latent-dim", "0"], {}, ["--latent-dim", INT_ALLOWED, "'0'"]),
        ("latent-dim-negative", ["--latent-dim", "-3"], {}, ["--latent-dim", INT_ALLOWED, "'-3'"]),
        ("latent-dim-fraction", ["--latent-dim", "2.5"], {}, ["--latent-dim", INT_ALLOWED, "'2.5'"]),
        ("hidden-dim-zero", ["--hidden-dim", "0"], {}, ["--hidden-dim", INT_ALLOWED]),
        ("hidden-layers-zero", ["--hidden-layers", "0"], {}, ["--hidden-layers", INT_ALLOWED]),
        ("batch-size-zero", ["--batch-size", "0"], {}, ["--batch-size", INT_ALLOWED, "'0'"]),
        ("batch-size-text", ["--batch-size", "big"], {}, ["--batch-size", INT_ALLOWED, "'big'"]),
        ("epochs-zero", ["--epochs", "0"], {}, ["--epochs", INT_ALLOWED, "'0'"]),
        ("epochs-missing", ["--epochs"], {}, ["--epochs", "expected one argument"]),
        ("learning-rate-negative", ["--learning-rate", "-1e-3"], {},
         ["--learning-rate", FLOAT_ALLOWED, "> 0", "'-1e-3'"]),
        ("learning-rate-zero", ["--learning-rate", "0"], {}, ["--learning-rate", "> 0"]),
        ("learning-rate-nan", ["--learning-rate", "nan"], {}, ["--learning-rate", FLOAT_ALLOWED, "'nan'"]),
        ("learning-rate-inf", ["--learning-rate", "inf"], {}, ["--learning-rate", FLOAT_ALLOWED, "'inf'"]),
        ("beta-negative", ["--beta", "-0.5"], {}, ["--beta", FLOAT_ALLOWED, ">= 0", "'-0.5'"]),
        ("beta-nan", ["--beta", "NaN"], {}, ["--beta", FLOAT_ALLOWED, "'NaN'"]),
        ("beta-inf", ["--beta", "-inf"], {}, ["--beta", FLOAT_ALLOWED, "'-inf'"]),
        ("decoder-std-zero", ["--decoder-std", "0"], {}, ["--decoder-std", "> 0"]),
        ("seed-negative", ["--seed", "-1"], {}, ["--seed", "from 0 to 4294967295", "'-1'"]),
        ("seed-too-large", ["--seed", str(2**32)], {}, ["--seed", "from 0 to 4294967295"]),
        ("verbose-unknown", ["--verbose", "5"], {}, ["--verbose", "invalid choice: 5", "0, 1, 2"]),
        ("dataset-unknown", ["--dataset", "cifar10"], {},
         ["--dataset", "'cifar10'", "'mnist', 'fashion_mnist', 'frey_face', 'mnist_subset'"]),
        ("arch-unknown", ["--arch", "resnet"], {}, ["--arch", "'resnet'", "'mlp', 'conv'"]),
        ("option-unknown", ["--latent-size", "2"], {}, ["unrecognized arguments: --latent-size"]),
        ("data-dir-missing", ["--data-dir", tmp / "nowhere"], {}, ["--data-dir", "nowhere", "does not exist"]),
        ("data-dir-without-files", ["--data-dir", tmp / "not_a_run"], {},
         ["--data-dir", "lacks train-images-idx3-ubyte.gz", "four IDX files"]),
        ("idx-wrong-magic", ["--data-dir", write_idx_folder(tmp / "magic", x_train=b"\x00\x00\x09\x03" + mnist_idx[4:])], {},
         ["--data-dir", "train-images-idx3-ubyte.gz is not an IDX file", "00000903", "expected 0000080N"]),
        ("idx-truncated", ["--data-dir", write_idx_folder(tmp / "truncated", gz=False, x_test=mnist_idx[:-7])], {},
         ["--data-dir", "t10k-images-idx3-ubyte is truncated", "(5, 28, 28)"]),
        ("idx-header-cut", ["--data-dir", write_idx_folder(tmp / "header", y_train=b"\x00\x00\x08\x01\x00")], {},
         ["--data-dir", "train-labels-idx1-ubyte.gz is truncated: its header is cut short"]),
        ("gzip-corrupt", ["--data-dir", tmp / "gzip"], {}, ["--data-dir", "is not a valid gzip file"]),
        ("labels-mismatch", ["--data-dir", write_idx_folder(tmp / "labels", train_labels=np.zeros(4))], {},
         ["--data-dir", "the train images (5, 28, 28) and labels (4,) do not match"]),
        ("idx-no-images", ["--data-dir", write_idx_folder(tmp / "empty", images=np.zeros((0, 28, 28)))], {},
         ["--data-dir", "holds no images"]),
        ("frey-mat-missing", ["--dataset", "frey_face", "--data-dir", good], {}, ["--data-dir", "lacks frey_rawface.mat"]),
        ("frey-mat-without-ff", ["--dataset", "frey_face", "--data-dir", frey_dir], {},
         ["--data-dir", "should hold an array 'ff' of shape (560, 1965)", "no such variable"]),
        ("frey-mat-garbage", ["--dataset", "frey_face", "--data-dir", frey_garbage], {},
         ["--data-dir", "is not a readable MATLAB .mat file"]),
        ("data-variable-missing", ["--dataset", "fashion_mnist"], {"VAE_KERAS_DATA": str(tmp / "gone")},
         ["VAE_KERAS_DATA=", "gone does not exist"]),
        ("backend-unknown", [], {"KERAS_BACKEND": "theano"},
         ["KERAS_BACKEND='theano' is not supported", "jax, torch, tensorflow"]),
        ("backend-numpy", [], {"KERAS_BACKEND": "numpy"}, ["KERAS_BACKEND='numpy' is not supported"]),
        ("output-dir-not-writable", ["--output-dir", a_file / "runs"], {},
         ["--output-dir", "cannot write to", "a_file"]),
        ("run-name-taken", ["--output-dir", tmp / "runs", "--run-name", "taken"], {},
         ["--run-name", "already exists", "--resume"]),
        ("resume-missing", ["--resume", tmp / "nowhere"], {},
         ["--resume", "is not a run folder with config.json and checkpoint.keras"]),
        ("resume-not-a-run", ["--resume", tmp / "not_a_run"], {}, ["--resume", "is not a run folder"]),
        ("resume-completed", ["--resume", fake_run(tmp / "completed", "completed")], {},
         ["--resume", "already completed its 3 epochs", "nothing to resume"]),
        ("resume-diverged", ["--resume", fake_run(tmp / "diverged", "diverged")], {},
         ["--resume", "diverged", "the loss became nan in epoch 2", "start a new run"]),
        ("resume-with-options", ["--resume", tmp / "completed", "--epochs", "9"], {},
         ["--resume", "drop --epochs"]),
        # The only case that gets as far as Keras: conv layers halve the image twice.
        ("conv-on-30x30-images", ["--arch", "conv", "--data-dir", write_idx_folder(tmp / "odd", images=np.zeros((5, 30, 30)))], {},
         ["--arch conv", "multiples of 4", "(30, 30)"]),
    ]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad_input")
    (tmp / "gzip").mkdir()
    write_idx_folder(tmp / "gzip")
    (tmp / "gzip" / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b" + bytes(30))
    table = cases(tmp)
    jobs = []
    for name, args, env, _ in table:
        own_output = ["--output-dir", tmp / "out" / name]
        extra = [] if "--output-dir" in args or "--resume" in args else own_output
        jobs.append(([*args, *extra], cli_env(**env)))
    procs = run_many(jobs)
    return {name: (proc, fragments, tmp) for (name, _, _, fragments), proc in zip(table, procs)}


BAD_INPUTS = [
    "latent-dim-zero", "latent-dim-negative", "latent-dim-fraction", "hidden-dim-zero",
    "hidden-layers-zero", "batch-size-zero", "batch-size-text", "epochs-zero",
    "epochs-missing", "learning-rate-negative", "learning-rate-zero", "learning-rate-nan",
    "learning-rate-inf", "beta-negative", "beta-nan", "beta-inf", "decoder-std-zero",
    "seed-negative", "seed-too-large", "verbose-unknown", "dataset-unknown", "arch-unknown",
    "option-unknown", "data-dir-missing", "data-dir-without-files", "idx-wrong-magic",
    "idx-truncated", "idx-header-cut", "gzip-corrupt", "labels-mismatch", "idx-no-images",
    "frey-mat-missing", "frey-mat-without-ff", "frey-mat-garbage", "data-variable-missing",
    "backend-unknown", "backend-numpy", "output-dir-not-writable", "run-name-taken",
    "resume-missing", "resume-not-a-run", "resume-completed", "resume-diverged",
    "resume-with-options", "conv-on-30x30-images",
]


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_gets_a_one_line_error_and_exit_code_2(results, name):
    proc, fragments, tmp = results[name]
    assert_one_line_error(proc, *fragments)
    # Nothing is left behind: no run folder for a run that never started.
    out = tmp / "out" / name
    assert not out.exists() or not any(out.iterdir()), sorted(out.iterdir())


def test_every_case_is_checked(tmp_path):
    assert [case[0] for case in cases(tmp_path)] == BAD_INPUTS


def test_python_api_refuses_images_of_the_wrong_shape_or_range(subset):
    vae = VAE(latent_dim=2, hidden_dim=16, seed=0)
    vae.compile(optimizer="adam")
    x = subset.x_train[:64]
    flat = x.reshape(64, 784)
    expected_shape = "expected images of shape (n, 28, 28, 1), got an array of shape (64, 784)"
    for call in (lambda: vae.fit(flat, epochs=1, verbose=0),
                 lambda: vae.fit(x, validation_data=(flat,), epochs=1, verbose=0),
                 lambda: vae.evaluate(flat, verbose=0),
                 lambda: vae.predict(flat, verbose=0),
                 lambda: vae.encode(flat),
                 lambda: vae.reconstruct(flat)):
        with pytest.raises(ValueError, match=expected_shape.replace("(", r"\(").replace(")", r"\)")):
            call()
    for bad in (x * 255, x - 0.5):  # uint8 scale, or centred: not pixel probabilities
        for call in (lambda: vae.fit(bad, epochs=1, verbose=0),
                     lambda: vae.evaluate(bad, verbose=0), lambda: vae.encode(bad)):
            with pytest.raises(ValueError, match=r"expected pixel values in \[0, 1\]"):
                call()
    with pytest.raises(ValueError, match=r"expected latent codes of shape \(n, 2\)"):
        vae.decode(np.zeros((4, 3)))
    # The checks leave good input alone: the model still trains after refusing.
    history = vae.fit(x, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][0])
