"""Self-made datasets (class 4): the course's label-file format, folder-per-class, the cache,
bad data (one clear error, or --skip-bad), and training a preset on the real sample."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tfnote.data import imagelabel, load_dataset
from tfnote.errors import TfnoteError

SIZE = 16  # side of the generated test images


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch) -> Path:
    """Every test caches into its own folder, never into the user's ~/.cache."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("TFNOTE_CACHE_DIR", str(folder))
    return folder


def pixels(i: int) -> np.ndarray:
    """A distinct, exactly reproducible grayscale image for entry i."""
    rng = np.random.default_rng(i)
    return rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8)


def make_dataset(folder: Path, n: int = 12, classes: int = 3) -> tuple[Path, Path]:
    """The course's layout: folder/images/img_<i>.png and folder/labels.txt ("<file> <label>")."""
    images = folder / "images"
    images.mkdir(parents=True)
    lines = []
    for i in range(n):
        Image.fromarray(pixels(i)).save(images / f"img_{i}.png")
        lines.append(f"img_{i}.png {i % classes}")
    labels = folder / "labels.txt"
    labels.write_text("\n".join(lines) + "\n")
    return images, labels


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- the format and the cache ------------------------------------------------------------


def test_build_reads_the_course_format_exactly(tmp_path):
    images, labels = make_dataset(tmp_path)
    built = imagelabel.build(images, labels)
    assert not built.from_cache
    assert built.x.shape == (12, SIZE, SIZE, 1) and built.x.dtype == np.uint8
    assert built.y.dtype == np.int64 and built.y.tolist() == [i % 3 for i in range(12)]
    for i in range(12):
        assert np.array_equal(built.x[i, ..., 0], pixels(i))
    assert built.cache.is_file() and built.skipped == []


def test_cache_is_reused_while_the_sources_are_unchanged(tmp_path):
    images, labels = make_dataset(tmp_path)
    first = imagelabel.build(images, labels)
    again = imagelabel.build(images, labels)
    assert again.from_cache and again.cache == first.cache
    assert np.array_equal(again.x, first.x) and np.array_equal(again.y, first.y)


def test_cache_is_rebuilt_when_the_label_file_changes(tmp_path):
    images, labels = make_dataset(tmp_path)
    imagelabel.build(images, labels)
    labels.write_text(labels.read_text().replace("img_0.png 0", "img_0.png 2"))
    rebuilt = imagelabel.build(images, labels)
    assert not rebuilt.from_cache and rebuilt.y[0] == 2


def test_cache_is_rebuilt_when_an_image_changes(tmp_path):
    images, labels = make_dataset(tmp_path)
    first = imagelabel.build(images, labels)
    target = images / "img_5.png"
    stat = target.stat()
    Image.fromarray(255 - pixels(5)).save(target)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    rebuilt = imagelabel.build(images, labels)
    assert not rebuilt.from_cache
    assert np.array_equal(rebuilt.x[5, ..., 0], 255 - pixels(5))
    assert np.array_equal(rebuilt.x[4], first.x[4])


def test_unreadable_cache_is_rebuilt(tmp_path):
    images, labels = make_dataset(tmp_path)
    cache = imagelabel.build(images, labels).cache
    cache.write_bytes(b"not a zip file")
    rebuilt = imagelabel.build(images, labels)
    assert not rebuilt.from_cache and rebuilt.x.shape[0] == 12


def test_parallel_decoding_equals_serial(tmp_path, cli):
    """Through the CLI: a process without TensorFlow loaded, as `tfnote dataset build` is."""
    images, labels = make_dataset(tmp_path, n=imagelabel.MIN_PARALLEL + 40)
    serial = imagelabel.build(images, labels, workers=1, cache=tmp_path / "serial.npz")
    parallel = tmp_path / "parallel.npz"
    result = cli("dataset", "build", images, labels, "--workers", "2", "--cache", parallel)
    assert result.returncode == 0, result.stderr
    assert "(2 processes)" in result.stdout
    with np.load(parallel) as built:
        assert np.array_equal(serial.x, built["x"]) and np.array_equal(serial.y, built["y"])


def test_mode_option_converts_everything(tmp_path):
    images, labels = make_dataset(tmp_path, n=4)
    Image.fromarray(np.stack([pixels(9)] * 3, axis=-1)).save(images / "img_2.png")  # RGB
    built = imagelabel.build(images, labels, mode="L")
    assert built.x.shape == (4, SIZE, SIZE, 1)
    rgb = imagelabel.build(images, labels, mode="RGB")
    assert rgb.x.shape == (4, SIZE, SIZE, 3) and rgb.cache != built.cache


# --- bad data: one clear error naming the file and line, or --skip-bad ---------------------

BAD = 3  # the corrupted entry: img_3.png on line 4


def _missing(images, labels):
    (images / "img_3.png").unlink()


def _not_an_image(images, labels):
    (images / "img_3.png").write_text("hello, I am text")


def _empty_image(images, labels):
    (images / "img_3.png").write_bytes(b"")


def _truncated(images, labels):
    path = images / "img_3.png"
    Image.fromarray(pixels(3)).save(path, format="JPEG")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _malformed(images, labels):
    labels.write_text(labels.read_text().replace("img_3.png 0\n", "img_3.png\n"))


def _not_integer(images, labels):
    labels.write_text(labels.read_text().replace("img_3.png 0\n", "img_3.png zero\n"))


def _negative(images, labels):
    labels.write_text(labels.read_text().replace("img_3.png 0\n", "img_3.png -1\n"))


def _too_large_label(images, labels):
    labels.write_text(labels.read_text().replace("img_3.png 0\n", "img_3.png 5000\n"))


def _other_size(images, labels):
    Image.fromarray(np.zeros((SIZE + 2, SIZE), np.uint8)).save(images / "img_3.png")


def _other_mode(images, labels):
    Image.fromarray(np.zeros((SIZE, SIZE, 3), np.uint8)).save(images / "img_3.png")


@pytest.mark.parametrize(
    "corrupt, problem",
    [
        (_missing, "image file is missing"),
        (_not_an_image, "not an image file"),
        (_empty_image, "image file is empty"),
        (_truncated, "truncated"),
        (_malformed, "malformed line 'img_3.png'"),
        (_not_integer, "label 'zero' is not an integer"),
        (_negative, "label -1 is out of range"),
        (_too_large_label, "label 5000 is out of range 0..999"),
        (_other_size, "image size 16x18 differs from the other images' 16x16"),
        (_other_mode, "image mode RGB differs from the other images' L"),
    ],
)
def test_bad_entry_stops_with_file_and_line_or_is_skipped(tmp_path, cache_dir, corrupt, problem):
    images, labels = make_dataset(tmp_path)
    corrupt(images, labels)
    with pytest.raises(TfnoteError) as error:
        imagelabel.build(images, labels)
    message = str(error.value)
    assert message.startswith(f"{labels}:{BAD + 1}: ") and problem in message
    assert "--skip-bad" in message and "\n" not in message
    assert leftovers(cache_dir) == []  # nothing (half-)written

    built = imagelabel.build(images, labels, skip_bad=True)
    assert built.x.shape[0] == 11 and BAD not in [int(i) for i in _kept_indices(built)]
    assert len(built.skipped) == 1 and built.skipped[0].startswith(f"{labels}:{BAD + 1}: ")
    assert problem in built.skipped[0]


def _kept_indices(built) -> list[int]:
    """Which generated images ended up in the arrays (matched by their pixels)."""
    return [i for i in range(12) if any(np.array_equal(x[..., 0], pixels(i)) for x in built.x)]


def test_label_out_of_num_classes(tmp_path):
    images, labels = make_dataset(tmp_path)  # labels 0..2
    with pytest.raises(TfnoteError, match=r"labels.txt:3: label 2 is out of range 0..1"):
        imagelabel.build(images, labels, num_classes=2)


def test_empty_label_file(tmp_path, cache_dir):
    images, labels = make_dataset(tmp_path)
    labels.write_text("\n")
    for skip_bad in (False, True):
        with pytest.raises(TfnoteError, match="the label file has no entries"):
            imagelabel.build(images, labels, skip_bad=skip_bad)
    assert leftovers(cache_dir) == []


def test_missing_label_file_and_image_folder(tmp_path):
    images, labels = make_dataset(tmp_path)
    with pytest.raises(TfnoteError, match="no such label file"):
        imagelabel.build(images, tmp_path / "nope.txt")
    with pytest.raises(TfnoteError, match="no such image folder"):
        imagelabel.build(tmp_path / "nope", labels)


def test_all_bad_lists_the_count(tmp_path):
    images, labels = make_dataset(tmp_path, n=4)
    for path in images.iterdir():
        path.write_text("text")
    with pytest.raises(TfnoteError, match=r"labels.txt:1: not an image file .*3 more bad entries"):
        imagelabel.build(images, labels, skip_bad=True)


def test_skip_bad_cache_remembers_what_it_skipped(tmp_path):
    images, labels = make_dataset(tmp_path)
    _missing(images, labels)
    (images / "img_7.png").write_text("text")
    built = imagelabel.build(images, labels, skip_bad=True)
    assert [s.split(": ")[0] for s in built.skipped] == [f"{labels}:4", f"{labels}:8"]
    again = imagelabel.build(images, labels)  # strict, but the sources are unchanged
    assert again.from_cache and again.skipped == built.skipped and len(again.x) == 10


def test_interrupted_cache_write_leaves_nothing(tmp_path, cache_dir, monkeypatch):
    images, labels = make_dataset(tmp_path)

    def savez_then_die(path, **arrays):
        Path(path).write_bytes(b"PK half a zip file")
        raise KeyboardInterrupt

    monkeypatch.setattr(imagelabel.np, "savez", savez_then_die)
    with pytest.raises(KeyboardInterrupt):
        imagelabel.build(images, labels)
    assert leftovers(cache_dir) == []


# --- folder per class, and the dataset loaders --------------------------------------------


def make_class_folders(root: Path, classes=("cat", "dog", "emu"), per_class: int = 5) -> None:
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(pixels(10 * label + i)).save(root / name / f"{i}.png")
    (root / "cat" / "notes.txt").write_text("not an image, and not named like one: ignored")


def test_folder_per_class_with_train_and_test(tmp_path):
    make_class_folders(tmp_path / "pets" / "train")
    make_class_folders(tmp_path / "pets" / "test", classes=("cat", "emu"), per_class=2)
    data = load_dataset(f"image-folder:{tmp_path / 'pets'}")
    assert data.class_names == ["cat", "dog", "emu"]
    assert data.x_train.shape == (15, SIZE, SIZE, 1)
    # Mixed by a fixed shuffle, so that validation "split" (the last 20%) is not one class.
    assert data.y_train.tolist() != sorted(data.y_train.tolist())
    assert sorted(data.y_train.tolist()) == [0] * 5 + [1] * 5 + [2] * 5
    assert data.y_test.tolist() == [0, 0, 2, 2]  # "emu" keeps its training label
    assert np.array_equal(data.x_test[2, ..., 0], pixels(10))  # the 2nd folder made there


def test_folder_per_class_without_test_holds_out_a_fifth(tmp_path):
    make_class_folders(tmp_path / "pets")
    data = load_dataset(f"image-folder:{tmp_path / 'pets'}")
    assert len(data.x_train) == 12 and len(data.x_test) == 3
    again = load_dataset(f"image-folder:{tmp_path / 'pets'}")
    assert np.array_equal(again.y_test, data.y_test)  # the same split every time


def test_folder_with_no_classes(tmp_path):
    (tmp_path / "flat").mkdir()
    with pytest.raises(TfnoteError, match="no class folders"):
        load_dataset(f"image-folder:{tmp_path / 'flat'}")


def test_image_label_path_forms(tmp_path):
    images, labels = make_dataset(tmp_path / "a")
    labels = labels.rename(tmp_path / "a" / "images.txt")  # images.txt -> images/
    data = load_dataset(f"image-label:{labels}")  # one label file: the training set
    assert len(data.x_train) + len(data.x_test) == 12 and data.class_names == ["0", "1", "2"]
    folder = load_dataset(f"image-label:{tmp_path / 'a'}")  # a folder with one label file
    assert np.array_equal(folder.x_test, data.x_test)
    (tmp_path / "a" / "other.txt").write_text("")
    with pytest.raises(TfnoteError, match=r"expected one \*train\*.txt .*images.txt, other.txt"):
        load_dataset(f"image-label:{tmp_path / 'a'}")
    with pytest.raises(TfnoteError, match="no such label file or folder"):
        load_dataset(f"image-label:{tmp_path / 'missing'}")


def test_shared_sample_loads_with_its_test_split(shared_data):
    data = load_dataset(f"image-label:{shared_data / 'mnist_image_label'}")
    assert data.x_train.shape == (6000, 28, 28, 1) and data.x_test.shape == (1000, 28, 28, 1)
    assert data.class_names == [str(d) for d in range(10)]
    assert data.y_train[:3].tolist() == [0, 5, 5]  # 28755_0.jpg 0, 13360_5.jpg 5, ...
    # mnist.npz was decoded from the same JPEGs; a file's number is its MNIST index.
    mnist = np.load(shared_data / "mnist.npz")
    assert np.array_equal(data.x_train[0, ..., 0], mnist["x_train"][28755])
    assert np.array_equal(data.x_test[0, ..., 0], mnist["x_test"][2028])  # 2028_7.jpg


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_dataset_build_then_up_to_date(tmp_path, cli):
    images, labels = make_dataset(tmp_path)
    env = {"TFNOTE_CACHE_DIR": str(tmp_path / "cli-cache")}
    first = cli("dataset", "build", images, labels, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("built ") and "12 images 16x16 L, 3 classes" in first.stdout
    second = cli("dataset", "build", images, labels, env=env)
    assert second.returncode == 0 and second.stdout.startswith("up to date: ")


def test_cli_dataset_bad_entry_and_skip_bad(tmp_path, cli):
    images, labels = make_dataset(tmp_path)
    _not_an_image(images, labels)
    env = {"TFNOTE_CACHE_DIR": str(tmp_path / "cli-cache")}
    failed = cli("dataset", "build", images, labels, env=env)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert failed.stderr.strip() == (
        f"tfnote: error: {labels}:4: not an image file (unknown format) "
        "(--skip-bad (skip_bad=True) leaves bad entries out)"
    )
    assert leftovers(tmp_path / "cli-cache") == []
    skipped = cli("dataset", "build", images, labels, "--skip-bad", env=env)
    assert skipped.returncode == 0, skipped.stderr
    assert "11 images" in skipped.stdout
    assert f"skipped 1 bad entries:\n  {labels}:4: not an image file" in skipped.stdout


def test_cli_dataset_build_folder_per_class(tmp_path, cli):
    make_class_folders(tmp_path / "pets")
    result = cli("dataset", "build", tmp_path / "pets", env={"TFNOTE_CACHE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "15 images 16x16 L, 3 classes" in result.stdout


def test_cli_trains_a_preset_on_the_shared_image_label_sample(tmp_path, cli, shared_data):
    run = tmp_path / "run"
    result = cli(
        "train", "mnist", "--data", f"image-label:{shared_data / 'mnist_image_label'}",
        "--epochs", "2", "--out", run, "--quiet",
        env={"TFNOTE_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["evaluated_on"] == "test" and metrics["accuracy"] >= 0.85
    model = json.loads((run / "model.json").read_text())
    assert model["input_shape"] == [28, 28, 1] and model["num_classes"] == 10
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2  # train and test caches
