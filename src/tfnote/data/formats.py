"""Readers for the file formats people actually hold: Keras npz, idx(.gz), CIFAR pickles.

Each reader checks what it reads and raises TfnoteError naming the file when the format
is wrong, instead of failing deep inside NumPy.
"""

from __future__ import annotations

import gzip
import pickle
import zipfile
from pathlib import Path

import numpy as np

from tfnote.errors import TfnoteError

Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def read_npz(path: Path) -> Split:
    """Keras's `mnist.npz` layout: x_train, y_train, x_test, y_test."""
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
            if missing:
                raise TfnoteError(f"{path}: not a Keras dataset .npz (missing {sorted(missing)})")
            arrays = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise TfnoteError(f"{path}: cannot read as .npz ({e})") from None
    x_train, y_train, x_test, y_test = arrays
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise TfnoteError(f"{path}: image and label counts differ")
    return x_train, y_train, x_test, y_test


def check_split(split: Split, num_classes: int, where: str | Path) -> Split:
    """The arrays of a classification dataset, checked: samples present, one image size,
    finite pixels, integer labels within 0 .. num_classes - 1 (one line naming `where` and the
    first bad labels otherwise). Labels shaped (N, 1), as Keras's CIFAR-10 has them, are
    flattened."""
    x_train, y_train, x_test, y_test = split
    for part, x in (("training", x_train), ("test", x_test)):
        if len(x) == 0:
            raise TfnoteError(f"{where}: the {part} part has no samples")
    if x_test.shape[1:] != x_train.shape[1:]:
        raise TfnoteError(
            f"{where}: test images are {_size(x_test)}, training images {_size(x_train)}"
        )
    checked = []
    for part, x, y in (("training", x_train, y_train), ("test", x_test, y_test)):
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            first = int(np.flatnonzero((~np.isfinite(x.reshape(len(x), -1))).any(axis=1))[0])
            raise TfnoteError(f"{where}: {part} image {first} has NaN or infinite pixels")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise TfnoteError(
                f"{where}: {part} labels must be whole numbers, one per image "
                f"(got {y.dtype} of shape {y.shape})"
            )
        bad = np.flatnonzero((y < 0) | (y >= num_classes))
        if len(bad):
            shown = ", ".join(f"{int(y[i])} (sample {i})" for i in bad[:3])
            raise TfnoteError(
                f"{where}: {len(bad)} {part} label(s) outside 0..{num_classes - 1}, first: {shown}"
            )
        checked.append(y)
    return x_train, checked[0], x_test, checked[1]


def _size(x: np.ndarray) -> str:
    return "x".join(str(d) for d in x.shape[1:])


IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def find_idx_files(folder: Path) -> dict[str, Path] | None:
    """The four idx files in `folder` (plain or .gz), or None when any is missing."""
    found = {}
    for key, stem in IDX_NAMES.items():
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            return None
    return found


def read_idx(path: Path) -> np.ndarray:
    """One idx file (LeCun's format): magic, dimension sizes, then uint8 data."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise TfnoteError(f"{path}: cannot read ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise TfnoteError(f"{path}: not an idx file of unsigned bytes")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) - header != int(np.prod(shape)):
        raise TfnoteError(f"{path}: idx header says shape {shape} but the data size differs")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def read_idx_folder(files: dict[str, Path]) -> Split:
    arrays = {key: read_idx(path) for key, path in files.items()}
    for split in ("train", "test"):
        if len(arrays[f"x_{split}"]) != len(arrays[f"y_{split}"]):
            raise TfnoteError(
                f"{files[f'x_{split}'].parent}: {split} image and label counts differ"
            )
    return arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"]


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.uint8)
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, ValueError) as e:
        raise TfnoteError(f"{path}: not a CIFAR-10 python batch ({e})") from None
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        raise TfnoteError(f"{path}: expected rows of 3072 bytes with one label each")
    # Rows are channel-major (R plane, G plane, B plane); Keras and PIL want channels last.
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def read_cifar10_folder(folder: Path) -> Split:
    """The official `cifar-10-batches-py` folder: data_batch_1..5 and test_batch."""
    train = [_read_cifar_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = _read_cifar_batch(folder / "test_batch")
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return x_train, y_train, x_test, y_test
