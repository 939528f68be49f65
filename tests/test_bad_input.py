"""The bad-input sweep (issue 16): every command refuses a bad input with one line and exit 2.

Each case asserts: exit code 2, exactly one line on stderr, no traceback, the expected
words, and nothing half-written (no file or folder appears in the working folder). Most
cases fail before TensorFlow loads, so they run in this process through `tfnote.cli.main`;
the few that need TensorFlow (training) run as child processes, several at a time.
"""

from __future__ import annotations

import errno
import gzip
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tfnote import atomic
from tfnote.cli import main
from tfnote.data import load_dataset
from tfnote.errors import TfnoteError

SHARED = Path(os.environ.get("TFNOTE_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data"))


# --- the workspace: files that the cases point at -----------------------------------------


def _npz(path: Path, n_train=20, n_test=10, size=(28, 28), test_size=None, **changes):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 255, (n_train, *size), dtype=np.uint8),
        "y_train": np.arange(n_train, dtype=np.int64) % 10,
        "x_test": rng.integers(0, 255, (n_test, *(test_size or size)), dtype=np.uint8),
        "y_test": np.arange(n_test, dtype=np.int64) % 10,
    }
    arrays.update(changes)
    np.savez(path, **arrays)


def _idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _cifar(folder: Path, bad_label: int) -> None:
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = [0, 1] if name != "data_batch_3" else [1, bad_label]
        batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": labels}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)


def _images(folder: Path, count: int, size=(8, 8)) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        Image.new("L", size, color=i * 20 % 256).save(folder / f"{i}.png")
        names.append(f"{i}.png")
    return names


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    """Bad (and a few good) inputs, made once for every case of this file."""
    ws = tmp_path_factory.mktemp("inputs")
    (ws / "afile").write_text("not a folder\n")
    (ws / "run").mkdir()  # a finished run, as far as curves and params look
    (ws / "run" / "spec.json").write_text('{"name": "mnist"}\n')
    (ws / "run" / "history.json").write_text('[{"loss": 1.0}]\n')
    Image.new("L", (28, 28)).save(ws / "digit.png")
    (ws / "bad-args.toml").write_text('preset = "iris"\noptimizer_args = { bogus = 1 }\n')
    (ws / "bad-schedule.toml").write_text(
        'preset = "iris"\nlr_schedule = { type = "warmup-decay", peak = 2 }\n'
    )

    _npz(ws / "labels77.npz", y_train=np.array([3] * 12 + [77, 5] + [1] * 6))
    _npz(ws / "negative.npz", y_test=np.array([0, 1, -1, 2, 3, 4, 5, 6, 7, 8]))
    _npz(ws / "empty.npz", n_train=0)
    _npz(ws / "empty-test.npz", n_test=0)
    _npz(ws / "sizes.npz", test_size=(32, 32))
    _npz(ws / "floats.npz", y_train=np.linspace(0, 9, 20))
    x = np.zeros((20, 28, 28), np.float32)
    x[4, 3, 3] = np.nan
    _npz(ws / "nan-pixel.npz", x_train=x)
    (ws / "idx").mkdir()
    _idx(ws / "idx" / "train-images-idx3-ubyte.gz", np.zeros((4, 28, 28)))
    _idx(ws / "idx" / "train-labels-idx1-ubyte.gz", np.array([1, 2, 77, 3]))
    _idx(ws / "idx" / "t10k-images-idx3-ubyte.gz", np.zeros((2, 28, 28)))
    _idx(ws / "idx" / "t10k-labels-idx1-ubyte.gz", np.array([1, 2]))
    _cifar(ws / "cifar-10-batches-py", bad_label=77)

    # self-made image-label sets: a typo 999 among 0..3, and a good one saved by Notepad
    names = _images(ws / "typo" / "typo_train", 8)
    labels = [0, 1, 2, 3, 0, 1, 2, 999]
    text = "".join(f"{n} {label}\n" for n, label in zip(names, labels))
    (ws / "typo" / "typo_train.txt").write_text(text)
    names = _images(ws / "bom" / "bom_train", 10)
    text = "".join(f"{n} {i % 2}\r\n" for i, n in enumerate(names))
    (ws / "bom" / "bom_train.txt").write_bytes(b"\xef\xbb\xbf" + text.encode())
    _images(ws / "classes" / "cat", 5)
    (ws / "classes" / "dog").mkdir()  # a class folder without images

    # experiment files without a preset or with a misspelt loss; a model for 32x32x3 images
    (ws / "empty.toml").write_text("")
    (ws / "no-scale.toml").write_text('dataset = "mnist"\nmodel = "mlp"\n')
    (ws / "loss.toml").write_text('preset = "p14"\nloss = "nosuch"\n')
    (ws / "cifarnet.py").write_text(
        "import keras\n"
        "def build(input_shape, num_classes):\n"
        "    return keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),\n"
        "                             keras.layers.Dense(num_classes)])\n"
    )
    # run folders damaged by hand: spec.json a folder; history rows without keys or losses
    (ws / "spec-dir" / "spec.json").mkdir(parents=True)
    (ws / "spec-dir" / "model.json").write_text('{"input_shape": [4]}\n')
    for name, rows in [("keyless", "[{}]"), ("no-epoch", '[{"loss": 1}]'), ("nan", NAN_ROWS)]:
        (ws / name).mkdir()
        (ws / name / "spec.json").write_text('{"name": "mnist"}\n')
        (ws / name / "history.json").write_text(rows)
    return ws


NAN_ROWS = '[{"epoch": 1, "loss": null}, {"epoch": 2, "loss": null}]'  # NaN is written as null


# --- running a case -----------------------------------------------------------------------


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _check(code, err: str, expected: str, created: set[str]) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert expected.lower() in err.lower(), err
    assert not created, f"half-written: {sorted(created)}"


def run_main(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as e:  # argparse's errors
        return e.code


def _case_args(args: list[str], ws: Path) -> list[str]:
    return [a.replace("{ws}", str(ws)).replace("{shared}", str(SHARED)) for a in args]


# (arguments, words the one line must hold). {ws} is the workspace above.
CASES = [
    # non-finite and out-of-range numbers, every command that takes them
    (["train", "mnist", "--lr", "inf"], "finite"),
    (["train", "mnist", "--lr", "nan"], "finite"),
    (["train", "mnist", "--lr=-inf"], "finite"),
    (["train", "mnist", "--lr", "0"], "positive"),
    (["train", "mnist", "--lr", "fast"], "not a number"),
    (["train", "mnist", "--lr", "1e400"], "finite"),  # overflows to inf
    (["train", "mnist", "--epochs", "0"], "at least 1"),
    (["train", "mnist", "--epochs", "1.5"], "whole number"),
    (["train", "mnist", "--batch-size", "-3"], "at least 1"),
    (["train", "mnist", "--seed", "-1"], "2**32"),
    (["train", "mnist", "--seed", str(2**40)], "2**32"),
    (["train", "mnist", "--limit-train", "0"], "at least 1"),
    (["resume", "{ws}/run", "--epochs", "0"], "at least 1"),
    (["iris-scratch", "--lr", "inf"], "finite"),
    (["iris-scratch", "--lr", "nan"], "finite"),
    (["iris-scratch", "--epochs", "0"], "at least 1"),
    (["iris-scratch", "--batch-size", "0"], "at least 1"),
    (["optimizers", "--lr", "nan", "--epochs", "5"], "finite"),
    (["optimizers", "--lr", "0.1", "--epochs", "-5"], "at least 1"),
    (["optimizers", "--batch-size", "0"], "at least 1"),
    (["optimizers", "--lr", "0.1"], "together"),
    (["regularization", "--l2", "nan"], "finite"),
    (["regularization", "--l2", "inf"], "finite"),
    (["regularization", "--l2", "-0.1"], "0 or more"),
    (["regularization", "--lr", "inf"], "finite"),
    (["regularization", "--seed", "-1"], "2**32"),
    (["regularization", "--seed", str(2**40)], "2**32"),
    (["backprop", "--lr", "inf"], "finite"),
    (["backprop", "--lr", "nan"], "finite"),
    (["backprop", "--w0", "nan"], "finite"),
    (["backprop", "--w0=-inf"], "finite"),
    (["backprop", "--steps", "0"], "at least 1"),
    (["lr-decay", "--decay-steps", "0"], "at least 1"),
    (["lr-decay", "--decay-steps", "-2"], "at least 1"),
    (["lr-decay", "--decay", "nan"], "finite"),
    (["lr-decay", "--decay", "0"], "positive"),
    (["losses", "--lr", "inf"], "finite"),
    (["losses", "--cost", "nan"], "finite"),
    (["losses", "--profit", "inf"], "finite"),
    (["losses", "--profit", "-1"], "positive"),
    (["losses", "--epochs", "0"], "at least 1"),
    (["augment-preview", "--samples", "600"], "1 .. 200"),
    (["augment-preview", "--samples", "0"], "1 .. 200"),
    (["augment-preview", "--copies", "1000"], "1 .. 20"),
    (["augment-preview", "--seed", "-1"], "2**32"),
    (["models", "--classes", "0"], "1 .. 100000"),
    (["models", "--classes", "-4"], "1 .. 100000"),
    (["dataset", "build", "{ws}/classes", "--workers", "-1"], "1 .. 512"),
    (["dataset", "build", "{ws}/classes", "--workers", "0"], "1 .. 512"),
    (["dataset", "build", "{ws}/typo/typo_train", "x.txt", "--num-classes", "0"], "at least 1"),
    (["predict", "{ws}/run", "{ws}/digit.png", "--threshold", "300"], "0 .. 255"),
    (["predict", "{ws}/run", "{ws}/digit.png", "--top", "0"], "at least 1"),
    # outputs that cannot be written: refused before any work
    (["train", "mnist", "--out", "{ws}/afile"], "is a file"),
    (["train", "mnist", "--out", "{ws}/afile/run"], "not a folder"),
    (["train", "mnist", "--out", "/proc/tfnote-run"], "cannot write"),
    (["curves", "{ws}/run", "--out", "{ws}/run/spec.json"], "must end in .png"),
    (["curves", "{ws}/run", "--out", "{ws}/run/history.json"], "must end in .png"),
    (["curves", "{ws}/run", "--out", "{ws}/run"], "must end in .png"),
    (["curves", "{ws}/run", "--out", "/proc/curves.png"], "cannot write"),
    (["curves", "{ws}/run", "--out", "{ws}/afile/curves.png"], "not a folder"),
    (["activations", "--out", "{ws}/afile"], "is a file"),
    (["activations", "--out", "/proc"], "cannot write"),
    (["backprop", "--out", "{ws}/afile"], "is a file"),
    (["lr-decay", "--out", "/proc/x"], "cannot write"),
    (["iris-scratch", "--out", "{ws}/afile"], "is a file"),
    (["optimizers", "--out", "{ws}/afile/x"], "not a folder"),
    (["losses", "--out", "/sys/tfnote"], "cannot write"),
    (["regularization", "--out", "{ws}/afile"], "is a file"),
    (["augment-preview", "--out", "{ws}/afile/p.png"], "not a folder"),
    (["augment-preview", "--out", "preview.jpg"], "must end in .png"),
    (["augment-preview", "--out", "/proc/p.png"], "cannot write"),
    (["predict", "{ws}/run", "{ws}/digit.png", "--save-inputs", "{ws}/afile"], "is a file"),
    (["predict", "{ws}/run", "{ws}/digit.png", "--save-inputs", "/proc/in"], "cannot write"),
    (["params", "/proc/self"], "cannot write"),
    (["params", "{ws}/afile"], "not a folder"),
    (["dataset", "build", "{ws}/classes", "--cache", "{ws}/afile/c.npz"], "not a folder"),
    (["dataset", "build", "{ws}/classes", "--cache", "{ws}/cache.txt"], "must end in .npz"),
    (["fetch-prices", "600519", "--out", "{ws}/afile/p.csv"], "not a folder"),
    (["fetch-prices", "600519", "--out", "{ws}/run/spec.json"], "must end in .csv"),
    (["show", "mnist", "--count", "0"], "1 .. 400"),
    (["show", "mnist", "--count", "100000"], "1 .. 400"),
    (["show", "mnist", "--seed", "-1"], "2**32"),
    (["show", "mnist", "--out", "samples.jpg"], "must end in .png"),
    (["show", "mnist", "--out", "{ws}/afile/s.png"], "not a folder"),
    (["report", "{ws}/run", "--out", "{ws}/run/spec.json"], "must end in .html"),
    (["report", "{ws}/run", "--out", "/proc/r.html"], "cannot write"),
    (["course", "--out", "{ws}/afile"], "is a file"),
    # data whose labels do not fit its classes, empty data, mismatched sizes
    (["augment-preview", "--data", "mnist", "--data-dir", "{ws}/labels77.npz"], "77 (sample 12)"),
    (["augment-preview", "--data", "mnist", "--data-dir", "{ws}/negative.npz"], "-1 (sample 2)"),
    (["augment-preview", "--data", "mnist", "--data-dir", "{ws}/empty.npz"], "no samples"),
    (["augment-preview", "--data", "mnist", "--data-dir", "{ws}/empty-test.npz"], "no samples"),
    (["augment-preview", "--data", "mnist", "--data-dir", "{ws}/sizes.npz"], "test images"),
    (["augment-preview", "--data", "mnist", "--data-dir", "{ws}/floats.npz"], "whole numbers"),
    (["augment-preview", "--data", "mnist", "--data-dir", "{ws}/nan-pixel.npz"], "image 4"),
    (["augment-preview", "--data", "mnist", "--data-dir", "{ws}/idx"], "77 (sample 2)"),
    (["augment-preview", "--data", "cifar10", "--data-dir", "{ws}"], "77 (sample 5)"),
    (["augment-preview", "--data", "image-label:{ws}/typo"], "999"),
    (["augment-preview", "--data", "image-folder:{ws}/classes"], "'dog' holds no images"),
    (["dataset", "build", "{ws}/classes"], "'dog' holds no images"),
    # labels with a gap: 999 among 0..3 on line 8 (`train` refuses it the same way)
    (["dataset", "build", "{ws}/typo/typo_train", "{ws}/typo/typo_train.txt"],
     "txt:8: label(s) 999 make 1000 classes"),
    (["dataset", "build", "{ws}/typo/typo_train", "{ws}/typo/typo_train.txt", "--num-classes",
      "4"], "txt:8: label 999 is out of range 0..3"),
    # experiment files: the fields that matter without a preset, and known losses
    (["train", "{ws}/empty.toml"], "must set dataset, model, scale (missing: dataset, model"),
    (["train", "{ws}/no-scale.toml"], "(missing: scale)"),
    (["train", "{ws}/loss.toml"], "loss.toml: unknown loss 'nosuch'; for class labels use "
     "sparse_categorical_crossentropy, for numbers one of mean_squared_error"),
    # run folders damaged by hand
    (["resume", "{ws}/spec-dir"], "spec.json: damaged (not a file)"),
    (["train", "iris", "--out", "{ws}/spec-dir"], "spec.json: damaged (not a file)"),
    (["curves", "{ws}/keyless"], "history.json: damaged (epoch row 1 has no epoch number or"),
    (["curves", "{ws}/no-epoch"], "history.json: damaged (epoch row 1 has no epoch number or"),
    (["curves", "{ws}/nan"], "history.json: damaged (no epoch has a loss value)"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_input_is_one_line_exit_2(args, expected, ws, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TFNOTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TFNOTE_OFFLINE", "1")
    before = _files(ws)
    code = run_main(_case_args(args, ws))
    created = (_files(tmp_path) - {"cache"}) | (_files(ws) - before)
    created = {p for p in created if not p.startswith("cache")}  # caches of good inputs
    _check(code, capsys.readouterr().err, expected, created)


# --- cases that load TensorFlow: child processes, several at a time ----------------------

TF_CASES = [  # a preset whose model cannot take the dataset; labels checked as `train` loads
    (["train", "iris", "--data", "mnist"], "pick a preset made for mnist"),
    (["train", "stock-lstm", "--data", "mnist"], "takes no option"),
    (["train", "cifar10-baseline", "--data", "prices"], "cannot take"),
    (["train", "mnist", "--data-dir", "{ws}/labels77.npz"], "77 (sample 12)"),
    (["train", "iris", "--augment", "flip-shift"], "flip-shift needs images"),
    (["train", "{ws}/bad-args.toml"], "optimizer sgd: Argument(s) not recognized"),
    (["train", "{ws}/bad-schedule.toml"], "takes warmup, start, end (not peak)"),
    (["train", "p14", "--model", "{ws}/cifarnet.py:build"],
     "takes inputs of shape 32x32x3, not the data's 28x28x1"),
]  # fmt: skip


# One child process runs every case through tfnote.cli.main, so TensorFlow loads once.
DRIVER = """
import contextlib, io, json, os, sys, traceback
from tfnote.cli import main
results = []
for folder, args in json.loads(sys.argv[1]):
    os.chdir(folder)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as e:
            code = e.code
        except BaseException:
            code = 1
            traceback.print_exc()
    results.append([code, err.getvalue()])
print(json.dumps(results))
"""


def test_bad_input_with_tensorflow_is_one_line_exit_2(ws, tmp_path):
    cases = []
    for i, (args, _) in enumerate(TF_CASES):
        folder = tmp_path / f"case{i}"
        folder.mkdir()
        args = _case_args(args, ws) + ["--data-dir", str(SHARED)] * ("--data-dir" not in args)
        quick = ["--epochs", "1", "--limit-train", "64", "--limit-test", "64", "--quiet"]
        cases.append((str(folder), [*args, *quick]))
    env = {**os.environ, "TFNOTE_OFFLINE": "1", "TFNOTE_CACHE_DIR": str(tmp_path / ".cache")}
    child = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    results = json.loads(child.stdout.strip().splitlines()[-1])
    failures = []
    for (folder, args), (code, err), (_, expected) in zip(cases, results, TF_CASES):
        try:
            _check(code, err, expected, _files(Path(folder)))
        except AssertionError as e:
            failures.append(f"{' '.join(args)}: {e}")
    assert not failures, "\n\n".join(failures)


# --- what is read, not rejected -----------------------------------------------------------


def test_label_file_with_a_byte_order_mark_is_read(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("TFNOTE_CACHE_DIR", str(tmp_path))
    data = load_dataset(f"image-label:{ws}/bom")
    assert len(data.x_train) + len(data.x_test) == 10
    assert data.num_classes == 2


def test_labels_with_a_gap_are_allowed_when_num_classes_says_so(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("TFNOTE_CACHE_DIR", str(tmp_path))
    with pytest.raises(TfnoteError, match=r"typo_train.txt:8: label\(s\) 999 make 1000 classes"):
        load_dataset(f"image-label:{ws}/typo")
    data = load_dataset(f"image-label:{ws}/typo", num_classes=1000)
    assert data.num_classes == 1000


def test_keras_cifar_labels_shaped_n_by_1_are_accepted(tmp_path):
    _npz(tmp_path / "c.npz", y_train=(np.arange(20) % 10).reshape(-1, 1))
    data = load_dataset("mnist", data_dir=tmp_path / "c.npz")
    assert data.y_train.shape == (20,)


# --- the helpers themselves ---------------------------------------------------------------


def test_write_json_never_writes_bare_nan(tmp_path):
    path = tmp_path / "m.json"
    atomic.write_json(
        path,
        {
            "loss": float("nan"),
            "best": math.inf,
            "rows": [{"acc": np.float32("nan"), "n": np.int64(3)}, -math.inf, 0.5],
            "ok": np.float64(0.25),
        },
    )
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {
        "loss": None,
        "best": None,
        "rows": [{"acc": None, "n": 3}, None, 0.5],
        "ok": 0.25,
    }


@pytest.mark.parametrize(
    ("number", "words"),
    [(errno.ENOSPC, "No space left"), (errno.EROFS, "Read-only"), (errno.EACCES, "Permission")],
)
def test_os_error_from_a_command_is_one_line(number, words, monkeypatch, capsys, tmp_path):
    def full_disk(args):
        raise OSError(number, os.strerror(number), str(tmp_path / "out.png"))

    monkeypatch.setattr("tfnote.commands.scratch.cmd_activations", full_disk)
    code = run_main(["activations", "--out", str(tmp_path / "a")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"tfnote: error: cannot write {tmp_path / 'out.png'}: {words}" in err


def test_model_that_cannot_take_the_data_is_one_line():
    from tfnote.data import Data
    from tfnote.models import build_model, check_fits

    images = Data(np.zeros((4, 28, 28, 1), np.uint8), np.arange(4) % 10, name="mnist")
    images.class_names = [str(i) for i in range(10)]
    iris_model = build_model("dense1", images.input_shape, 10)
    with pytest.raises(TfnoteError, match="outputs of shape 28x28x10"):
        check_fits(iris_model, images, "sparse_categorical_crossentropy", "preset iris")
    with pytest.raises(TfnoteError, match="holds class labels"):
        check_fits(build_model("mlp", (28, 28, 1), 10), images, "mse")
    prices = Data(np.zeros((4, 60, 1), "float32"), np.zeros((4, 1), "float32"), name="prices")
    with pytest.raises(TfnoteError, match="cannot take inputs of shape 60x1"):
        build_model("baseline", prices.input_shape, 10)
    with pytest.raises(TfnoteError, match="holds numbers to predict"):
        check_fits(build_model("mlp", (60, 1), 10), prices, "sparse_categorical_crossentropy")
    check_fits(build_model("mlp", (28, 28, 1), 10), images, "sparse_categorical_crossentropy")


def test_dataset_build_workers_die_with_their_parent(tmp_path):
    """kill -9 of `dataset build` ends its decoding processes too (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("checks Linux's /proc")
    names = _images(tmp_path / "imgs", 400, size=(64, 64))
    (tmp_path / "labels.txt").write_text("".join(f"{n} {i % 3}\n" for i, n in enumerate(names)))
    code = (
        "import time, tfnote.data.imagelabel as il\n"
        "real = il._decode_chunk\n"
        "def slow(paths, mode):\n"
        "    time.sleep(60)\n"
        "    return real(paths, mode)\n"
        "il._decode_chunk = slow\n"
        f"il.build({str(tmp_path / 'imgs')!r}, {str(tmp_path / 'labels.txt')!r}, "
        f"cache={str(tmp_path / 'c.npz')!r}, workers=2)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        children = []
        for _ in range(100):  # the pool starts within a few seconds
            time.sleep(0.1)
            children = _children(parent.pid)
            if len(children) >= 2:
                break
        assert len(children) >= 2, "the decoders did not start"
    finally:
        parent.kill()
        parent.wait()
    for _ in range(50):
        if not any(_alive(pid) for pid in children):
            break
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in children)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found += [int(c) for c in children]
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status  # a zombie has ended


def test_dataset_build_removes_temp_files_a_killed_build_left(ws, tmp_path):
    from tfnote.data import imagelabel

    cache = tmp_path / "c.npz"
    old = tmp_path / ".c.npz.abc123.npz"  # what atomic_path leaves when killed mid-write
    fresh = tmp_path / ".c.npz.def456.npz"  # a build writing right now
    old.write_bytes(b"x" * 100)
    fresh.write_bytes(b"x")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    shutil.copytree(ws / "bom", tmp_path / "bom")
    imagelabel.build(
        tmp_path / "bom" / "bom_train", tmp_path / "bom" / "bom_train.txt", cache=cache
    )
    assert cache.is_file() and not old.exists() and fresh.exists()


# --- tfnote.RunFolder: its arguments, and a disk that fills during a save -------------------


def _tiny_fit(folder, epochs=1, **options):
    """A 4-input classifier fitted with RunFolder(folder); the model is returned."""
    import keras

    from tfnote import RunFolder

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    callback = RunFolder(folder, monitor="loss", verbose=False, **options)
    model.fit(x, (x[:, 0] > 0).astype("int32"), epochs=epochs, verbose=0, callbacks=[callback])
    return model


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"scale": "abc"}, "scale must be a finite, non-zero number such as 1 / 255, or None"),
        ({"scale": math.nan}, "scale must be a finite"),
        ({"scale": True}, "scale must be a finite"),
        ({"class_names": "cat dog"}, "class_names must be a list of strings"),
        ({"class_names": [0, 1]}, "class_names must be a list of strings"),
        ({"monitor": None}, "monitor must be a log name"),
        ({"path": 3}, "path must be a folder name"),
        ({"path": "{tmp}/afile"}, "it is a file, not a folder"),
        ({"path": "{tmp}/afile/run"}, "afile is not a folder"),
        ({"path": "/proc/tfnote-run"}, "cannot write to /proc/tfnote-run"),  # a read-only place
    ],
)
def test_run_folder_checks_its_arguments_like_the_cli(options, expected, tmp_path):
    from tfnote import RunFolder

    (tmp_path / "afile").write_text("x")
    path = options.pop("path", tmp_path / "run")
    path = path.replace("{tmp}", str(tmp_path)) if isinstance(path, str) else path
    with pytest.raises(TfnoteError) as caught:
        RunFolder(path, **options)
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert _files(tmp_path) == {"afile"}


def _folder(run: Path) -> dict[str, bytes]:
    return {p: (run / p).read_bytes() for p in _files(run) if (run / p).is_file()}


@pytest.mark.parametrize("failing", ["checkpoint", "best weights", "state.json"])
def test_disk_full_during_a_checkpoint_leaves_the_last_good_save(failing, tmp_path, monkeypatch):
    """Each write of a save fails in turn with ENOSPC, after writing part of its file."""
    import keras

    from tfnote import atomic

    def full(path):
        Path(path).write_bytes(b"partial")  # the temporary file atomic.py gave the writer
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    def weights_writer(real):
        def save_weights(model, path):
            is_best = Path(path).name.startswith(".best.")
            return full(path) if is_best == (failing == "best weights") else real(model, path)

        return save_weights

    def json_writer(real):
        def write_json(path, data):
            if Path(path).name != "state.json":
                return real(path, data)
            with atomic.atomic_open(path) as f:  # what atomic.write_json does, cut short
                f.write('{"epoch": ')
                full(f.name)

        return write_json

    def break_writer(patch):
        if failing == "state.json":
            patch.setattr(atomic, "write_json", json_writer(atomic.write_json))
        else:
            patch.setattr(keras.Model, "save_weights", weights_writer(keras.Model.save_weights))

    # The first save fails: no epoch is saved, and nothing of it is left.
    run = tmp_path / "first"
    with monkeypatch.context() as patch:
        break_writer(patch)
        with pytest.raises(TfnoteError, match=r"No space left.*\); no epoch is saved$"):
            _tiny_fit(run)
    assert _files(run) <= {"run.lock", "model.json", "checkpoints"}, _files(run)

    # A later save fails: the folder stays exactly as the last good save left it.
    run = tmp_path / "later"
    _tiny_fit(run)
    before = _folder(run)
    with monkeypatch.context() as patch:
        break_writer(patch)
        with pytest.raises(TfnoteError, match=r"the last good checkpoint \(checkpoints/epoch-0001"):
            _tiny_fit(run, epochs=3)
    assert _folder(run) == before
    if failing == "state.json":  # the run goes on from there once there is space again
        from tfnote import open_run

        _tiny_fit(run, epochs=3)
        assert [row["epoch"] for row in open_run(run).history] == [1, 2, 3]


def test_runs_keeps_the_quick_mark_of_a_run_whose_spec_is_missing(tmp_path, monkeypatch, capsys):
    from tfnote import runs
    from tfnote.spec import get_preset

    run = tmp_path / "iris-quick"
    _tiny_fit(run, spec=get_preset("iris").replace(epochs=1, train_limit=20))
    (run / "spec.json").unlink()
    assert runs.describe(run).scaled_down == "1 of 500 epochs, first 20 training samples"
    assert run_main(["runs", str(tmp_path)]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "iris-quick" in line)
    assert "finished (scaled down)" in line


def test_a_constant_price_series_gets_an_answer_not_a_crash(tmp_path):
    """The forecast report of `tfnote train stock-lstm` on a flat series, through the API
    (training adds nothing here: scaled back, any output is the one price)."""
    import datetime

    import keras

    from tfnote import forecast

    days = [datetime.date(2015, 1, 1) + datetime.timedelta(days=i) for i in range(400)]
    rows = "".join(f"{day},10.0,10.0\n" for day in days)
    (tmp_path / "flat.csv").write_text("date,open,close\n" + rows)
    data = load_dataset(f"prices:{tmp_path / 'flat.csv'}")
    model = keras.Sequential([keras.Input(data.input_shape), keras.layers.Flatten(),
                              keras.layers.Dense(1)])  # fmt: skip
    result = forecast.evaluate(model, data, name="stock-lstm")
    perfect = "is perfect on these test days (RMSE 0: the price does not change)"
    assert perfect in forecast.table(result)
    forecast.save(result, tmp_path / "run")
    saved = json.loads((tmp_path / "run" / "forecast.json").read_text())
    assert perfect in saved["summary"] and saved["scores"]["model"]["rmse"] == 0
