"""Makes vae_keras/assets/mnist_subset.npz from the four MNIST IDX files.

Usage: python scripts/make_mnist_subset.py ../shared/data/mnist

Takes the first 800 training and first 200 test images of each digit (class
balanced, deterministic) and stores them as uint8 in a compressed .npz.
"""

import sys
from pathlib import Path

import numpy as np

from vae_keras.readers import read_idx

PER_CLASS = {"train": 800, "t10k": 200}


def first_per_class(images, labels, n):
    keep = np.concatenate([np.flatnonzero(labels == d)[:n] for d in range(10)])
    keep.sort()
    return images[keep], labels[keep]


def main(source):
    source = Path(source)
    arrays = {}
    for split, key in (("train", "train"), ("t10k", "test")):
        images = read_idx(source / f"{split}-images-idx3-ubyte.gz")
        labels = read_idx(source / f"{split}-labels-idx1-ubyte.gz")
        arrays[f"x_{key}"], arrays[f"y_{key}"] = first_per_class(
            images, labels, PER_CLASS[split]
        )
    out = Path(__file__).resolve().parents[1] / "vae_keras" / "assets" / "mnist_subset.npz"
    np.savez_compressed(out, **arrays)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB):",
          {k: v.shape for k, v in arrays.items()})


if __name__ == "__main__":
    main(sys.argv[1])
