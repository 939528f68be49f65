"""The course's image datasets: MNIST, Fashion-MNIST and CIFAR-10.

Each loader finds the files (see tfnote.data.locate), reads whichever format they are in,
and returns uint8 images shaped (N, H, W, C) with integer labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tfnote.data import Data, formats, locate

FASHION_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip
CIFAR10_NAMES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip


def _read(name: str, data_dir, download: bool) -> tuple[formats.Split, Path]:
    kind, path = locate.find(name, data_dir, download)
    if kind == "npz":
        return formats.read_npz(path), path
    if kind == "idx":
        return formats.read_idx_folder(formats.find_idx_files(path)), path
    return formats.read_cifar10_folder(path), path


def _with_channels(x: np.ndarray) -> np.ndarray:
    return x[..., np.newaxis] if x.ndim == 3 else x


def _image_data(name: str, data_dir, download: bool, class_names: list[str]) -> Data:
    split, path = _read(name, data_dir, download)
    split = formats.check_split(split, len(class_names), path)  # labels 0..9, sizes, samples
    x_train, y_train, x_test, y_test = split
    return Data(
        _with_channels(x_train),
        y_train.astype("int64"),
        _with_channels(x_test),
        y_test.astype("int64"),
        class_names,
        source=str(path),
    )


def load_mnist(arg=None, data_dir=None, download=True) -> Data:
    return _image_data("mnist", data_dir, download, [str(d) for d in range(10)])


def load_fashion(arg=None, data_dir=None, download=True) -> Data:
    return _image_data("fashion", data_dir, download, FASHION_NAMES)


def load_cifar10(arg=None, data_dir=None, download=True) -> Data:
    return _image_data("cifar10", data_dir, download, CIFAR10_NAMES)
