"""The dataset layer on real data: formats, the search order, downloads, clear errors."""

from __future__ import annotations

import functools
import gzip
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from tfnote.data import formats, load_dataset, locate
from tfnote.errors import TfnoteError

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def empty_keras_home(tmp_path, monkeypatch):
    """Each test sees an empty Keras cache, no TFNOTE_DATA, and never downloads by accident."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.delenv("TFNOTE_DATA", raising=False)
    monkeypatch.delenv("TFNOTE_MIRROR", raising=False)
    monkeypatch.setenv("TFNOTE_OFFLINE", "1")


def test_mnist_npz_from_shared_data(shared_data):
    data = load_dataset("mnist", data_dir=shared_data)
    assert data.x_train.shape == (60000, 28, 28, 1) and data.x_train.dtype == np.uint8
    assert data.x_test.shape == (10000, 28, 28, 1)
    # The official class counts of MNIST's training set.
    assert np.bincount(data.y_train).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949,
    ]  # fmt: skip
    assert data.num_classes == 10


def test_cifar10_folder(shared_data):
    data = load_dataset("cifar10", data_dir=shared_data)
    assert data.x_train.shape == (50000, 32, 32, 3) and data.x_test.shape == (10000, 32, 32, 3)
    assert np.bincount(data.y_train).tolist() == [5000] * 10
    assert data.class_names[3] == "cat"
    # Channel-major rows were turned into channels-last images: the first training image
    # (a frog) has its mean red above its mean blue, as in the official set.
    first = data.x_train[0].astype(float)
    assert first[..., 0].mean() > first[..., 2].mean()


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(), reason="needs apt's dataset-fashion-mnist")
def test_fashion_found_in_debian_location_without_any_flag():
    data = load_dataset("fashion")
    assert data.source == str(DEBIAN_FASHION)
    assert data.x_train.shape == (60000, 28, 28, 1)
    assert np.bincount(data.y_test).tolist() == [1000] * 10
    assert data.class_names[9] == "Ankle boot"


def _write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_files_round_trip(shared_data, tmp_path, compress):
    mnist = load_dataset("mnist", data_dir=shared_data)
    parts = {
        "x_train": mnist.x_train[:500, ..., 0], "y_train": mnist.y_train[:500],
        "x_test": mnist.x_test[:100, ..., 0], "y_test": mnist.y_test[:100],
    }  # fmt: skip
    for key, array in parts.items():
        _write_idx(tmp_path / formats.IDX_NAMES[key], array, compress)
    data = load_dataset("mnist", data_dir=tmp_path)
    assert np.array_equal(data.x_train[..., 0], parts["x_train"])
    assert np.array_equal(data.y_test, parts["y_test"])


def test_environment_variable_and_keras_cache_are_searched(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("TFNOTE_DATA", str(shared_data))
    assert load_dataset("mnist").source == str(shared_data / "mnist.npz")
    monkeypatch.delenv("TFNOTE_DATA")
    cache = tmp_path / "keras-home" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").symlink_to(shared_data / "mnist.npz")
    assert load_dataset("mnist").source == str(cache / "mnist.npz")


def test_missing_dataset_lists_the_places_tried(tmp_path):
    with pytest.raises(TfnoteError) as error:
        load_dataset("cifar10")
    message = str(error.value)
    assert "not found" in message and "Keras cache" in message and "\n" not in message


def test_wrong_format_is_a_clear_error(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"this is not a zip archive")
    with pytest.raises(TfnoteError, match="mnist.npz"):
        load_dataset("mnist", data_dir=tmp_path)


def test_truncated_idx_is_a_clear_error(tmp_path):
    bad = tmp_path / "t.idx"
    bad.write_bytes(bytes([0, 0, 8, 1]) + (100).to_bytes(4, "big") + b"short")
    with pytest.raises(TfnoteError, match="data size differs"):
        formats.read_idx(bad)


def test_unknown_dataset_name():
    with pytest.raises(TfnoteError, match="unknown dataset"):
        load_dataset("imagenet")


def test_download_from_a_local_mirror(shared_data, tmp_path, monkeypatch):
    """The real download path (keras get_file into the Keras cache), served from loopback."""
    served = tmp_path / "mirror"
    served.mkdir()
    (served / "mnist.npz").symlink_to(shared_data / "mnist.npz")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("TFNOTE_OFFLINE", "0")
        monkeypatch.setenv("TFNOTE_MIRROR", f"http://127.0.0.1:{server.server_port}/")
        data = load_dataset("mnist")
    finally:
        server.shutdown()
    cached = locate.keras_cache() / "mnist.npz"
    assert cached.is_file() and data.source == str(cached)
    assert data.x_train.shape == (60000, 28, 28, 1)


def test_failed_download_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("TFNOTE_OFFLINE", "0")
    monkeypatch.setenv("TFNOTE_MIRROR", "http://127.0.0.1:9/")  # nothing listens on port 9
    with pytest.raises(TfnoteError, match="download failed"):
        load_dataset("mnist")


def test_iris_uses_the_course_shuffle():
    data = load_dataset("iris", test_size=30)
    assert data.x_train.shape == (120, 4) and data.x_test.shape == (30, 4)
    from sklearn.datasets import load_iris

    x = load_iris().data
    np.random.seed(116)  # the course's two-step shuffle, reproduced literally
    np.random.shuffle(x)
    assert np.allclose(data.x_train, x[:120]) and np.allclose(data.x_test, x[-30:])
