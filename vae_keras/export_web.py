"""Exports a 2-D MLP decoder and its test-set codes for the in-browser latent explorer.

Usage: python -m vae_keras.export_web RUN_DIR OUT_DIR [--points 2000] [--data-dir DIR]

Writes three files into OUT_DIR, each atomically:

- `decoder.bin`: the decoder's Dense kernels and biases, little-endian float32,
  layer after layer (kernel `(inputs, outputs)` row-major, then bias);
- `points.bin`: the posterior means of a random subset of test images
  (`(n, 2)` float32), then their labels (`n` uint8; 255 when unlabelled);
- `manifest.json`: the layers (activation, shapes, byte offsets), the byte
  sizes and SHA-256 of both files, the run's configuration and its test numbers.

The last layer keeps only the columns of the decoder mean and its activation
is `sigmoid`, so that the exported network computes exactly `VAE.decode(z)`:
pixel probabilities (Bernoulli) or means (Gaussian). `explorer.js` reads it.
"""

import hashlib
import json
from pathlib import Path

import numpy as np

if __name__ == "__main__":  # an unknown KERAS_BACKEND: one line, before Keras loads
    from vae_keras.cli import check_backend

    check_backend()

from vae_keras import runs  # noqa: E402

FORMAT = "vae-keras-explorer"
VERSION = 1
DEFAULT_POINTS = 2000
ACTIVATIONS = ("linear", "relu")  # of the hidden layers; the last one becomes sigmoid
UNLABELLED = 255
# What the page shows of the run (config.json and metrics.json keys).
CONFIG_KEYS = ("dataset", "dataset_used", "arch", "latent_dim", "hidden_dim", "num_hidden_layers",
               "epochs", "batch_size", "learning_rate", "beta", "seed", "backend",
               "likelihood", "train_size", "test_size", "keras_version")
METRIC_KEYS = ("test_neg_elbo", "test_elbo", "test_reconstruction_loss", "test_kl_loss",
               "test_log_likelihood", "iwae_k", "test_examples", "epochs", "train_seconds",
               "evaluation_backend")


class ExportError(ValueError):
    """The run cannot be exported for the explorer (one-line reason)."""


def decoder_layers(vae):
    """The decoder's Dense layers as `(name, activation, kernel, bias)` NumPy tuples.

    Raises:
        ExportError: if the model is not a 2-D MLP VAE with one-channel images.
    """
    if vae.latent_dim != 2:
        raise ExportError(f"the explorer needs a 2-D latent space, this model's is "
                          f"{vae.latent_dim}-D: train with --latent-dim 2")
    if vae.arch != "mlp":
        raise ExportError(f"the explorer needs an MLP decoder, this model's is "
                          f"{vae.arch!r}: train with --arch mlp")
    height, width, channels = vae.image_shape
    if channels != 1:
        raise ExportError(f"the explorer draws one-channel images, this model's have {channels}")
    layers = []
    for layer in vae.decoder.layers:
        kind = type(layer).__name__
        if kind in ("InputLayer", "Reshape"):
            continue
        if kind != "Dense":
            raise ExportError(f"the explorer handles Dense layers only, the decoder has "
                              f"a {kind} ({layer.name})")
        activation = layer.get_config()["activation"]
        if activation not in ACTIVATIONS:
            raise ExportError(f"the explorer handles {', '.join(ACTIVATIONS)} activations, "
                              f"layer {layer.name} has {activation!r}")
        kernel, bias = (np.asarray(w, dtype="<f4") for w in layer.get_weights())
        layers.append([layer.name, activation, kernel, bias])
    # The last Dense gives the raw params (pixel-major, channels * params_per_pixel
    # per pixel: means first). Keep the mean columns and apply decode's sigmoid.
    name, activation, kernel, bias = layers[-1]
    per_pixel = kernel.shape[1] // (height * width)
    if activation != "linear" or kernel.shape[1] != height * width * per_pixel:
        raise ExportError(f"unexpected last decoder layer {name}: {activation}, "
                          f"{kernel.shape[1]} outputs for {height}x{width} pixels")
    columns = np.arange(height * width) * per_pixel
    layers[-1] = [name, "sigmoid", np.ascontiguousarray(kernel[:, columns]), bias[columns]]
    return [tuple(layer) for layer in layers]


def decode_numpy(layers, z):
    """The exported network in NumPy (float64): what `explorer.js` computes."""
    h = np.asarray(z, dtype="float64")
    for _, activation, kernel, bias in layers:
        h = h @ kernel.astype("float64") + bias.astype("float64")
        if activation == "relu":
            h = np.maximum(h, 0.0)
        elif activation == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-h))
    return h


def pack_decoder(layers):
    """`(bytes, layer descriptions)`: the weights back to back, with their offsets."""
    parts, described, offset = [], [], 0
    for name, activation, kernel, bias in layers:
        entry = {"name": name, "activation": activation, "units": int(kernel.shape[1])}
        for key, array in (("kernel", kernel), ("bias", bias)):
            data = np.ascontiguousarray(array, dtype="<f4").tobytes()
            entry[key] = {"shape": list(array.shape), "offset": offset}
            parts.append(data)
            offset += len(data)
        described.append(entry)
    return b"".join(parts), described


def sample_points(vae, dataset, count, seed=0):
    """Posterior means `(n, 2)` float32 and labels `(n,)` uint8 of `count` random test images."""
    x = dataset.x_test
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(len(x), size=min(count, len(x)), replace=False))
    means, _ = vae.encode(x[index])
    labels = (np.full(len(index), UNLABELLED, "uint8") if dataset.y_test is None
              else np.asarray(dataset.y_test)[index].astype("uint8"))
    return means.astype("<f4"), labels


def plane_extent(means):
    """Half-width of the square plane shown: covers 99.5% of the codes, at least 3."""
    if not len(means):
        return 3.0
    radius = float(np.quantile(np.abs(means), 0.995))
    return float(max(3.0, np.ceil(radius * 2) / 2))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def export(vae, dataset, config, metrics, out_dir, points=DEFAULT_POINTS, seed=0):
    """Writes `decoder.bin`, `points.bin` and `manifest.json` into `out_dir`; returns the manifest."""
    layers = decoder_layers(vae)
    weights, described = pack_decoder(layers)
    means, labels = sample_points(vae, dataset, points, seed)
    point_bytes = means.tobytes() + labels.tobytes()
    height, width, channels = vae.image_shape
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "latent_dim": 2,
        "image_shape": [height, width, channels],
        "likelihood": vae.likelihood,
        "decoder": {"file": "decoder.bin", "dtype": "float32", "byte_order": "little",
                    "bytes": len(weights), "sha256": sha256(weights), "layers": described},
        "points": {"file": "points.bin", "count": int(len(means)), "bytes": len(point_bytes),
                   "sha256": sha256(point_bytes),
                   "means": {"dtype": "float32", "shape": list(means.shape), "offset": 0},
                   "labels": {"dtype": "uint8", "shape": [int(len(labels))],
                              "offset": int(means.nbytes), "unlabelled": UNLABELLED},
                   "labelled": dataset.y_test is not None,
                   "extent": plane_extent(means)},
        "run": {key: config[key] for key in CONFIG_KEYS if key in config},
        "metrics": {key: metrics[key] for key in METRIC_KEYS if key in metrics},
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The manifest goes last: a reader that sees it sees the files it describes.
    runs.write_bytes(out_dir / "decoder.bin", weights)
    runs.write_bytes(out_dir / "points.bin", point_bytes)
    runs.write_bytes(out_dir / "manifest.json", (json.dumps(manifest, indent=1) + "\n").encode())
    return manifest


def read_exported(out_dir):
    """`(manifest, layers, means, labels)` read back from an export folder, checksums checked."""
    out_dir = Path(out_dir)
    manifest = json.loads((out_dir / "manifest.json").read_text())
    weights = (out_dir / manifest["decoder"]["file"]).read_bytes()
    points = (out_dir / manifest["points"]["file"]).read_bytes()
    for data, part in ((weights, "decoder"), (points, "points")):
        if sha256(data) != manifest[part]["sha256"]:
            raise ExportError(f"{manifest[part]['file']} does not match its SHA-256 in the manifest")
    layers = []
    for entry in manifest["decoder"]["layers"]:
        arrays = []
        for key in ("kernel", "bias"):
            shape, offset = entry[key]["shape"], entry[key]["offset"]
            arrays.append(np.frombuffer(weights, "<f4", int(np.prod(shape)), offset).reshape(shape))
        layers.append((entry["name"], entry["activation"], *arrays))
    n = manifest["points"]["count"]
    means = np.frombuffer(points, "<f4", 2 * n, 0).reshape(n, 2)
    labels = np.frombuffer(points, "uint8", n, manifest["points"]["labels"]["offset"])
    return manifest, layers, means, labels


def main(argv=None):
    from vae_keras.cli import ArgumentParser, existing_dir, positive_int, seed_int

    parser = ArgumentParser(
        prog="python -m vae_keras.export_web",
        description="Export a 2-D MLP VAE's decoder and test-set codes for the in-browser "
                    "latent explorer (docs/explorer.md).",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="folder written by vae_keras.train")
    parser.add_argument("out_dir", metavar="OUT_DIR",
                        help="folder for manifest.json, decoder.bin and points.bin")
    parser.add_argument("--points", type=positive_int, default=DEFAULT_POINTS,
                        help="test images whose codes are drawn behind the plane")
    parser.add_argument("--data-dir", type=existing_dir, default=None,
                        help="folder of the data files (default: the run's config.json)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the choice of test images")
    args = parser.parse_args(argv)
    from vae_keras.data import load_dataset
    from vae_keras.readers import DataError
    from vae_keras.runs import METRICS, load_run

    try:
        out_dir = Path(args.out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise ExportError(f"OUT_DIR {out_dir} exists and is not a folder")
        vae, config = load_run(args.run_dir)
        decoder_layers(vae)  # refuse an unsuitable model before loading any data
        metrics_path = Path(args.run_dir) / METRICS
        try:
            metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
        except ValueError as e:
            raise ExportError(f"{metrics_path} is not valid JSON ({e})") from None
        dataset = load_dataset(config.get("dataset_used", config.get("dataset", "mnist")),
                               args.data_dir or config.get("data_dir"))
        manifest = export(vae, dataset, config, metrics, out_dir, args.points, args.seed)
    except (ValueError, DataError, OSError) as e:
        parser.fail(str(e))
    print(f"wrote {out_dir}/manifest.json, decoder.bin ({manifest['decoder']['bytes']:,} bytes), "
          f"points.bin ({manifest['points']['count']} codes)")


if __name__ == "__main__":
    main()
