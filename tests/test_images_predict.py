"""Recognizing your own image (class 4) and data augmentation.

A short MNIST run is trained once per session; the real check is the course's phone photos
of handwritten digits (../shared/data/digits/<label>.png).
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tfnote import predict
from tfnote.errors import TfnoteError
from tfnote.run_folder import ModelInfo


@pytest.fixture(scope="session")
def mnist_run(shared_data, tmp_path_factory) -> Path:
    """A 3-epoch MNIST MLP run folder (the course's class 3 model), trained once."""
    from tfnote import train
    from tfnote.spec import get_preset

    out = tmp_path_factory.mktemp("mnist") / "run"
    spec = get_preset("mnist").replace(data_dir=str(shared_data), epochs=3)
    train.run(spec, out=out, quiet=True)
    return out


@pytest.fixture(scope="session")
def cifar_run(shared_data, tmp_path_factory) -> Path:
    """A tiny CIFAR-10 run: enough for an RGB 32x32 model with class names."""
    from tfnote import train
    from tfnote.spec import get_preset

    out = tmp_path_factory.mktemp("cifar") / "run"
    spec = get_preset("mnist").replace(
        dataset="cifar10", data_dir=str(shared_data), epochs=1, train_limit=512, test_limit=256
    )
    train.run(spec, out=out, quiet=True)
    return out


def digit_photos(shared_data: Path) -> list[Path]:
    return [shared_data / "digits" / f"{d}.png" for d in range(10)]


# --- the real check: phone photos of handwritten digits ---------------------------------


def test_digit_photos_recognized_with_automatic_preprocessing(mnist_run, shared_data):
    results = predict.predict(mnist_run, digit_photos(shared_data))
    correct = sum(r.label == d for d, r in enumerate(results))
    assert correct >= 9, [r.label for r in results]
    # Paper photos are grey, not white: auto must threshold them, not invert.
    assert {r.prepared.mode for r in results} == {"threshold"}
    first = results[0]
    assert len(first.top) == 3 and first.top[0][2] == first.probability
    assert first.top[0][2] >= first.top[1][2] >= first.top[2][2]
    assert first.name == str(first.label)


def test_plain_inversion_is_worse_on_paper_photos(mnist_run, shared_data):
    """The course's way (the whole photo, inverted) leaves the grey paper as 'ink'."""
    photos = digit_photos(shared_data)
    inverted = predict.predict(mnist_run, photos, mode="invert", recipe="whole")
    automatic = predict.predict(mnist_run, digit_photos(shared_data))
    count = lambda results: sum(r.label == d for d, r in enumerate(results))  # noqa: E731
    assert count(inverted) < count(automatic)


def test_cli_predict_json(mnist_run, shared_data, cli):
    result = cli("predict", mnist_run, *digit_photos(shared_data), "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 10
    assert sum(row["class"] == int(Path(row["image"]).stem) for row in rows) >= 9
    for row in rows:
        assert [t["name"] for t in row["top"]][0] == row["name"] and len(row["top"]) == 3
        assert 0 < sum(t["probability"] for t in row["top"]) <= 1.000001
        assert row["preprocessing"]["mode"] == "threshold"
        assert row["preprocessing"]["recipe"] == "mnist" and not row["preprocessing"]["blank"]


def test_predict_command_text_and_forced_mode(mnist_run, shared_data, tmp_path, capsys):
    """The text output, in this process (tfnote.cli.main): TensorFlow is already loaded."""
    from tfnote.cli import main

    photo = shared_data / "digits" / "3.png"
    args = ["predict", str(mnist_run), str(photo), "--mode", "threshold", "--threshold", "200"]
    assert main([*args, "--save-inputs", str(tmp_path)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("3.png: ") and "top 3: " in first
    assert first.endswith("[mnist recipe, threshold at 200]")
    seen = np.asarray(Image.open(tmp_path / "3.input.png"))
    rows = np.flatnonzero(seen.max(axis=1))
    assert seen.shape == (28, 28) and rows[-1] - rows[0] + 1 in (20, 21)  # MNIST's 20x20 box


# --- colour models (how photos are prepared, in detail: tests/test_photo.py) -----------


def save(tmp_path: Path, name: str, pixels: np.ndarray) -> Path:
    path = tmp_path / name
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def test_rgb_cifar10_run_predicts_class_names(cifar_run, tmp_path):
    from tfnote import photo
    from tfnote.data.images import CIFAR10_NAMES

    picture = np.zeros((60, 80, 3), np.uint8)
    picture[..., 2] = np.linspace(120, 250, 80)  # a blue sea, any size
    picture[20:40, 30:50] = (200, 40, 40)  # with a red boat (a flat picture gets no answer)
    path = save(tmp_path, "sea.png", picture)
    [result] = predict.predict(cifar_run, [path])
    assert result.prepared.pixels.shape == (32, 32, 3) and result.prepared.mode == "none"
    assert result.name in CIFAR10_NAMES and result.name == CIFAR10_NAMES[result.label]
    assert [name for _, name, _ in result.top][0] == result.name
    with pytest.raises(TfnoteError, match="grayscale models only"):
        photo.prepare(path, ModelInfo((32, 32, 3), 10), mode="threshold")


# --- bad input: one clear error, exit code 2 --------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG file that claims a huge size: a decompression bomb's first bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def bad_file(tmp_path: Path, kind: str, shared_data: Path) -> Path:
    path = tmp_path / f"{kind}.png"
    if kind == "text":
        path.write_text("this is not a picture")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        data = (shared_data / "digits" / "0.png").read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "bomb":
        path.write_bytes(png_header_only(20_000, 20_000))  # 400 megapixels in 57 bytes
    elif kind == "big":
        path.write_bytes(png_header_only(10_000, 10_000))  # 100 megapixels
    return path


@pytest.mark.parametrize(
    "kind, message",
    [
        ("text", "not an image file"),
        ("empty", "the file is empty"),
        ("truncated", "the image is truncated"),
        ("bomb", "image too large to open safely"),
        ("big", "image too large to open safely"),
        ("missing", "no such image file"),
    ],
)
def test_cli_predict_bad_image(mnist_run, shared_data, tmp_path, cli, kind, message):
    path = bad_file(tmp_path, kind, shared_data)
    result = cli("predict", mnist_run, path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"tfnote: error: {path}: {message}")
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_cli_predict_run_without_model(tmp_path, shared_data, cli):
    empty_run = tmp_path / "run"
    empty_run.mkdir()
    result = cli("predict", empty_run, shared_data / "digits" / "0.png")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        result.stderr == f"tfnote: error: {empty_run} is not a trained run folder "
        "(no model.json); train it first\n"
    )
    missing = cli("predict", tmp_path / "nope", shared_data / "digits" / "0.png")
    assert missing.returncode == 2 and "no such run folder" in missing.stderr


# --- augmentation ----------------------------------------------------------------------------


def test_augmentation_presets_follow_the_course():
    from tfnote.augment import augmentation

    mnist = augmentation("mnist")
    kinds = [type(layer).__name__ for layer in mnist.layers]
    assert kinds == ["RandomRotation", "RandomTranslation", "RandomZoom"]
    rotation, shift, zoom = mnist.layers
    assert rotation.factor == (-45 / 360, 45 / 360)  # 45 degrees, as a fraction of a turn
    for layer, amount in ((shift, 0.15), (zoom, 0.5)):  # height and width independently
        assert (layer.height_lower, layer.height_upper) == (-amount, amount)
        assert (layer.width_lower, layer.width_upper) == (-amount, amount)
        assert layer.fill_mode == "nearest"  # ImageDataGenerator's default
    fashion = augmentation("fashion")
    assert [type(layer).__name__ for layer in fashion.layers][-1] == "RandomFlip"
    assert fashion.layers[-1].mode == "horizontal"
    with pytest.raises(TfnoteError, match="unknown augmentation 'mnsit'"):
        augmentation("mnsit")


def test_augmentation_changes_training_batches_only(shared_data):
    from tfnote.augment import augmentation

    x = np.load(shared_data / "mnist.npz")["x_train"][:16, ..., None].astype("float32") / 255
    layer = augmentation("mnist", seed=3)
    augmented = np.asarray(layer(x, training=True))
    assert augmented.shape == x.shape and not np.allclose(augmented, x)
    assert 0 <= augmented.min() and augmented.max() <= 1.0001
    assert np.array_equal(np.asarray(layer(x, training=False)), x)


def test_training_with_augmentation(shared_data, tmp_path):
    from tfnote import train
    from tfnote.spec import get_preset

    spec = get_preset("mnist").replace(
        data_dir=str(shared_data), epochs=1, train_limit=2048, test_limit=256, augment="mnist"
    )
    result = train.run(spec, out=tmp_path / "run", quiet=True)
    assert result.metrics["accuracy"] > 0.4  # learns through rotated, shifted, zoomed digits

    # The same seed draws the same augmentations: a run repeats exactly.
    small = spec.replace(train_limit=256, test_limit=64)
    first = train.run(small, out=tmp_path / "first", quiet=True).history
    assert train.run(small, out=tmp_path / "second", quiet=True).history == first


def test_augment_preview_command(shared_data, tmp_path, capsys, cli):
    from tfnote.cli import main

    out = tmp_path / "preview.png"
    args = ["augment-preview", "--augment", "fashion", "--data", "mnist"]
    args += ["--data-dir", str(shared_data), "--samples", "3", "--copies", "4", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1] == f"wrote {out}" and "rotation up to ±45°" in printed[0]
    image = Image.open(out)
    assert image.format == "PNG" and image.width > image.height > 100
    bad = cli("augment-preview", "--augment", "nope", "--out", tmp_path / "x.png")
    assert bad.returncode == 2 and "unknown augmentation 'nope'" in bad.stderr
    assert not (tmp_path / "x.png").exists()


def test_dataset_decoding_is_not_forked_from_a_tensorflow_process():
    from tfnote import _tf
    from tfnote.data import imagelabel

    _tf.load()
    assert imagelabel.worker_count(10_000, workers=2) == 1
