"""The explorer's export (`python -m vae_keras.export_web`) and its JavaScript decoder.

- The exported files describe themselves: offsets, shapes and SHA-256 in the
  manifest; the codes and labels are the test images' posterior means.
- Golden test: the page's JavaScript `decode` (docs/assets/javascripts/explorer.js,
  run by node) matches Keras's `VAE.decode` within 1e-4 on a grid of codes, for a
  model trained under this process's backend.
- Bad input: one-line error, exit code 2 (not 2-D, not an MLP, no run, OUT_DIR a file).
- The site's committed export is intact and decodes digit-like images.
"""

import json

import numpy as np
import pytest

from explorer_tools import NODE, ROOT, node_decode, tiny_run
from vae_keras import export_web
from vae_keras.models import VAE

SITE_EXPORT = ROOT / "docs" / "assets" / "explorer"
GRID = [(a, b) for a in np.linspace(-4, 4, 7) for b in np.linspace(-4, 4, 7)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, subset):
    folder = tmp_path_factory.mktemp("explorer")
    vae = tiny_run(folder / "run", subset)
    export_web.main([str(folder / "run"), str(folder / "out"), "--points", "300"])
    return vae, folder / "out"


def test_manifest_describes_the_files(exported, subset, backend):
    vae, out = exported
    manifest, layers, means, labels = export_web.read_exported(out)
    assert sorted(p.name for p in out.iterdir()) == ["decoder.bin", "manifest.json", "points.bin"]
    assert manifest["format"] == "vae-keras-explorer" and manifest["latent_dim"] == 2
    assert [(e["name"], e["activation"], e["units"]) for e in manifest["decoder"]["layers"]] == [
        ("hidden_0", "relu", 32), ("hidden_1", "relu", 32), ("params", "sigmoid", 784)]
    n_floats = sum(k.size + b.size for _, _, k, b in layers)
    assert manifest["decoder"]["bytes"] == 4 * n_floats == (out / "decoder.bin").stat().st_size
    assert manifest["run"]["backend"] == backend and manifest["run"]["epochs"] == 1
    assert manifest["metrics"] == {"test_neg_elbo": 300.5, "epochs": 1}
    # The codes are the posterior means of the chosen test images, with their labels.
    assert means.shape == (300, 2) and labels.shape == (300,)
    index = np.sort(np.random.default_rng(0).choice(len(subset.x_test), 300, replace=False))
    np.testing.assert_array_equal(labels, subset.y_test[index])
    np.testing.assert_allclose(means, vae.encode(subset.x_test[index])[0], atol=1e-5)
    assert manifest["points"]["extent"] >= 3


def test_a_changed_byte_fails_the_checksum(exported, tmp_path):
    _, out = exported
    for name in ("manifest.json", "decoder.bin", "points.bin"):
        (tmp_path / name).write_bytes((out / name).read_bytes())
    data = bytearray((tmp_path / "decoder.bin").read_bytes())
    data[100] ^= 1
    (tmp_path / "decoder.bin").write_bytes(bytes(data))
    with pytest.raises(export_web.ExportError, match="SHA-256"):
        export_web.read_exported(tmp_path)


def test_numpy_reading_of_the_export_matches_keras(exported):
    vae, out = exported
    _, layers, _, _ = export_web.read_exported(out)
    expected = vae.decode(np.array(GRID, "float32")).reshape(len(GRID), -1)
    np.testing.assert_allclose(export_web.decode_numpy(layers, GRID), expected, atol=1e-5)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_javascript_decoder_matches_keras(exported, tmp_path, backend):
    vae, out = exported
    answer = node_decode(out, GRID, tmp_path)
    js = np.array(answer["pixels"])
    expected = vae.decode(np.array(GRID, "float32")).reshape(len(GRID), -1)
    assert js.shape == expected.shape == (49, 784)
    difference = float(np.abs(js - expected).max())
    print(f"\n{backend}: max |JavaScript - Keras| over {len(GRID)} codes x 784 pixels = "
          f"{difference:.2e}")
    assert difference < 1e-4
    assert answer["checked"], "node has Web Crypto: the checksums must have been checked"
    # A decoder that is not the model's fails: the comparison can fail.
    assert np.abs(js - vae.decode(np.zeros((49, 2), "float32")).reshape(49, -1)).max() > 1e-2
    _, _, means, labels = export_web.read_exported(out)
    assert answer["points"] == 300
    np.testing.assert_allclose(answer["firstMean"], means[0], rtol=1e-7)
    assert answer["firstLabel"] == labels[0]


def test_gaussian_decoder_exports_the_mean_columns():
    """A learned-variance Gaussian decoder: the export keeps the means, as `decode` does."""
    vae = VAE(image_shape=(28, 20, 1), latent_dim=2, hidden_dim=16, likelihood="gaussian", seed=0)
    layers = export_web.decoder_layers(vae)
    assert layers[-1][2].shape == (16, 560)
    z = np.array(GRID, "float32")
    np.testing.assert_allclose(export_web.decode_numpy(layers, z),
                               vae.decode(z).reshape(len(z), -1), atol=1e-5)


def run_main(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        export_web.main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(latent_dim=5), "needs a 2-D latent space, this model's is 5-D"),
    (dict(arch="conv"), "needs an MLP decoder, this model's is 'conv'"),
])
def test_unsuitable_models_are_refused(kwargs, fragment, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    VAE(**{"latent_dim": 2, "hidden_dim": 8, **kwargs}).save(run / "model.keras")
    (run / "config.json").write_text(json.dumps({"dataset": "mnist_subset"}))
    line = run_main([run, tmp_path / "out"], capsys)
    assert line.startswith("python -m vae_keras.export_web: error:") and fragment in line, line
    assert not (tmp_path / "out").exists()


def test_bad_paths_are_one_line_errors(exported, tmp_path, capsys):
    vae, _ = exported
    assert "does not exist" in run_main([tmp_path / "nowhere", tmp_path / "out"], capsys)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    assert "lacks model.keras" in run_main([run, tmp_path / "out"], capsys)
    vae.save(run / "model.keras")
    (tmp_path / "file").write_text("")
    assert "is not a folder" in run_main([run, tmp_path / "file"], capsys)
    assert "expected an integer >= 1" in run_main([run, tmp_path / "out", "--points", "0"],
                                                  capsys)


def test_site_export_is_intact_and_decodes_digits(tmp_path):
    """docs/assets/explorer (made by scripts/make_docs_figures.py): checksums, numbers, images."""
    manifest, layers, means, labels = export_web.read_exported(SITE_EXPORT)
    assert manifest["run"]["latent_dim"] == 2 and manifest["run"]["dataset_used"] == "mnist"
    assert 100 < manifest["metrics"]["test_neg_elbo"] < 200
    assert set(np.unique(labels)) == set(range(10)) and len(means) == 2000
    images = export_web.decode_numpy(layers, GRID)
    # Digit-like: mostly dark, with some bright strokes, different across the plane.
    assert 0.03 < images.mean() < 0.4 and (images.max(axis=1) > 0.5).all()
    assert np.abs(images[0] - images[-1]).max() > 0.5
    if NODE is not None:
        js = np.array(node_decode(SITE_EXPORT, GRID, tmp_path)["pixels"])
        assert np.abs(js - images).max() < 1e-6
