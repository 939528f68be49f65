"""The six-step pipeline on real data: presets, run folders, accuracy bars, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tfnote import open_run, train
from tfnote.errors import TfnoteError
from tfnote.spec import get_preset, presets

RUN_FILES = [
    "spec.json",
    "model.json",
    "summary.txt",
    "history.csv",
    "history.json",
    "metrics.json",
    "curves.png",
    "weights.txt",
    "best.weights.h5",
    "state.json",
]


def test_presets_cover_class_3():
    names = {alias for table in presets().values() for alias in table.get("aliases", [])}
    assert {"p8", "p11", "p14", "p15", "p16"} <= names


@pytest.fixture(scope="module")
def mnist_run(shared_data, tmp_path_factory):
    """The course's p14 program, full data, 5 epochs (about 10 s on 2 idle cores)."""
    out = tmp_path_factory.mktemp("runs") / "p14"
    return train.run(get_preset("p14").replace(data_dir=str(shared_data)), out, quiet=True)


def test_mnist_p14_accuracy_and_run_folder(mnist_run):
    # The bar of the issue is 0.975 (measured 0.974-0.978 over seeds 1-4, see bench/);
    # the test leaves room for run-to-run noise on other CPUs.
    assert mnist_run.metrics["accuracy"] >= 0.97
    for name in RUN_FILES:
        assert (mnist_run.run_dir / name).is_file(), name
    assert [row["epoch"] for row in mnist_run.history] == [1, 2, 3, 4, 5]
    summary = (mnist_run.run_dir / "summary.txt").read_text()
    assert "101,770" in summary  # (784+1)*128 + (128+1)*10
    assert (mnist_run.run_dir / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_weights_txt_holds_every_value(mnist_run):
    text = (mnist_run.run_dir / "weights.txt").read_text()
    assert "..." not in text  # never abbreviated
    lines = text.splitlines()
    shapes = [line for line in lines if line.startswith("(")]
    assert shapes == ["(784, 128)", "(128,)", "(128, 10)", "(10,)"]
    numbers = sum(
        len(line.replace("[", " ").replace("]", " ").split())
        for line in lines
        if not line.startswith("(") and "/" not in line
    )
    assert numbers == 101_770


def test_params_and_curves_commands(mnist_run, cli, tmp_path):
    (mnist_run.run_dir / "weights.txt").unlink()
    (mnist_run.run_dir / "curves.png").unlink()
    result = cli("params", mnist_run.run_dir)
    assert result.returncode == 0, result.stderr
    assert (mnist_run.run_dir / "weights.txt").read_text().count("\n(") == 4
    result = cli("curves", mnist_run.run_dir, "--out", tmp_path / "c.png")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    result = cli("params", tmp_path)
    assert result.returncode == 2 and "not a trained run folder" in result.stderr


def test_fashion_p16_reaches_the_course_accuracy(tmp_path):
    """p16 on the complete Fashion-MNIST (Debian's package, found without any flag)."""
    if not os.path.isdir("/usr/share/datasets/fashion-mnist"):
        pytest.skip("needs apt's dataset-fashion-mnist")
    result = train.run(get_preset("p16"), tmp_path / "p16", quiet=True)
    assert result.metrics["accuracy"] >= 0.87


def quick(shared_data, **changes):
    """p14 on a 6,000-image slice: a real run that takes a few seconds."""
    base = dict(data_dir=str(shared_data), train_limit=6000, test_limit=2000, epochs=2)
    return get_preset("p14").replace(**{**base, **changes})


def test_same_seed_same_metrics(shared_data, tmp_path):
    first = train.run(quick(shared_data), tmp_path / "a", quiet=True)
    second = train.run(quick(shared_data), tmp_path / "b", quiet=True)
    assert first.metrics["loss"] == second.metrics["loss"]
    third = train.run(quick(shared_data, seed=7), tmp_path / "c", quiet=True)
    assert third.metrics["loss"] != first.metrics["loss"]


@pytest.mark.parametrize("preset", ["p11", "p15"])
def test_subclassed_models_train_and_reload(preset, shared_data, tmp_path):
    spec = get_preset(preset).replace(data_dir=str(shared_data), train_limit=3000, epochs=2)
    if preset == "p11":
        spec = spec.replace(epochs=60)
    result = train.run(spec, tmp_path / preset, quiet=True)
    run = open_run(tmp_path / preset)
    model, info = run.load_model("last"), run.info
    assert info.model.endswith("-subclass")
    x = np.zeros((2, *info.input_shape), "float32")
    assert np.allclose(model(x), result.model(x), atol=1e-6)


def test_iris_p8_validation_every_20_epochs(tmp_path):
    result = train.run(get_preset("p8"), tmp_path / "p8", quiet=True)
    val_epochs = [row["epoch"] for row in result.history if "val_loss" in row]
    assert val_epochs == list(range(20, 501, 20))
    assert result.metrics["evaluated_on"] == "validation"
    # SGD at lr 0.1 makes the 30 held-out flowers' accuracy swing between epochs (0.73 to
    # 0.97 here); the best validated epoch must reach 0.9, the last one 0.8.
    val_accuracy = [r["val_sparse_categorical_accuracy"] for r in result.history if "val_loss" in r]
    assert max(val_accuracy) >= 0.9 and result.metrics["accuracy"] >= 0.8


@pytest.mark.parametrize("preset, extra", [("p14", {"augment": "mnist"}), ("fashion-baseline", {})])
def test_a_resumed_run_equals_an_uninterrupted_one(shared_data, tmp_path, preset, extra):
    """Data order, dropout and augmentation of epoch k depend only on (seed, k): stopping
    after epoch 1 and continuing gives bit-identical losses (measured: equal to the last digit)."""
    data_dir = shared_data if preset == "p14" else None  # Fashion-MNIST: the apt package
    spec = get_preset(preset).replace(data_dir=data_dir, train_limit=2000, test_limit=500, **extra)
    straight = train.run(spec.replace(epochs=3), tmp_path / "straight", quiet=True)
    train.run(spec.replace(epochs=1), tmp_path / "resumed", quiet=True)
    resumed = train.run(spec.replace(epochs=3), tmp_path / "resumed", quiet=True)
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in straight.history]
    assert resumed.metrics["loss"] == straight.metrics["loss"]


def test_changed_settings_in_the_same_folder_are_refused(shared_data, tmp_path):
    train.run(quick(shared_data, epochs=1), tmp_path / "r", quiet=True)
    with pytest.raises(TfnoteError, match="different settings.*lr"):
        train.run(quick(shared_data, epochs=1, lr=0.01), tmp_path / "r", quiet=True)
    # More epochs with the same settings extend the run instead.
    result = train.run(quick(shared_data, epochs=2), tmp_path / "r", quiet=True)
    assert [row["epoch"] for row in result.history] == [1, 2]


def _start_training(out, shared_data, *extra):
    args = [
        sys.executable,
        "-m",
        "tfnote",
        "train",
        "p14",
        "--data-dir",
        str(shared_data),
        "--limit-train",
        "12000",
        "--limit-test",
        "2000",
        "--epochs",
        "6",
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_epoch(out, epoch, process, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = out / "state.json"
        if state.is_file() and json.loads(state.read_text())["epoch"] >= epoch:
            return
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    raise AssertionError("training did not reach the epoch in time")


def test_kill_minus_9_then_resume_finishes_the_run(shared_data, tmp_path, cli):
    out = tmp_path / "killed"
    # All 60,000 images: epochs of about 1.5 s, so the kill lands mid-run. With 12,000 the
    # epochs are so short that resume state (saved at most once a second) could first show
    # epoch >= 2 at the very end, and 3 kills in 10 came too late.
    process = _start_training(out, shared_data, "--limit-train", "60000")
    _wait_for_epoch(out, 2, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = json.loads((out / "state.json").read_text())["epoch"]
    assert 2 <= killed_at < 6 and not (out / "metrics.json").exists()

    result = cli("resume", out)
    assert result.returncode == 0, result.stderr
    assert f"resuming {out} after epoch {killed_at}" in result.stdout
    history = json.loads((out / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5, 6]
    resumed = json.loads((out / "metrics.json").read_text())

    straight = train.run(
        quick(shared_data, train_limit=60000, epochs=6), tmp_path / "straight", quiet=True
    )
    assert resumed["epochs"] == 6
    assert abs(resumed["accuracy"] - straight.metrics["accuracy"]) < 0.015
    # The optimizer state came back: Adam's step counter counts the steps of all six epochs.
    spec = open_run(out).spec
    model = train.make_model(spec, (28, 28, 1), 10)
    train.compile_model(model, spec, steps_per_epoch=1875)
    open_run(out).load_checkpoint(model)
    assert int(model.optimizer.iterations.numpy()) == 6 * 1875  # 60,000 images / batch 32
    assert not list((out / "checkpoints").glob(".*"))  # no temporary files left behind


def test_ctrl_c_exits_130_and_the_same_command_resumes(shared_data, tmp_path):
    out = tmp_path / "interrupted"
    # All 60,000 images: epochs of about a second leave time to interrupt a live run.
    full = ("--limit-train", "60000")
    process = _start_training(out, shared_data, *full)
    _wait_for_epoch(out, 1, process)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    again = _start_training(out, shared_data, *full)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert len(json.loads((out / "history.json").read_text())) == 6


def test_ctrl_c_during_fit_waits_for_a_safe_point(tmp_path):
    """Ctrl-C only sets a flag (a handler run inside a finalizer can't lose it); the callback
    raises at the next batch or epoch end, a second Ctrl-C is Python's own, and the old
    handler comes back afterwards.

    Python's own handler is set first: a suite started in the background (`nohup make test
    &`) inherits "ignore SIGINT", and the second press then rightly restores that."""
    from tfnote.callback import RunFolder

    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        callback = RunFolder(tmp_path / "r")
        callback._catch_ctrl_c()
        callback.on_train_batch_end(0)  # nothing pressed: carries on
        signal.raise_signal(signal.SIGINT)  # no exception here...
        assert callback.ctrl_c_pressed
        with pytest.raises(KeyboardInterrupt, match="epoch 0 is saved"):
            callback.on_train_batch_end(1)  # ...but here
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # the second press interrupts at once
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, inherited)


def test_bad_cli_input_is_one_line_and_exit_2(cli, tmp_path):
    for args, expected in [
        (["train", "no-such-preset"], "unknown preset"),
        (["train", "p14", "--data-dir", str(tmp_path)], "not found"),
        (
            ["train", "p14", "--optimizer", "adamm", "--data-dir", str(tmp_path)],
            "unknown optimizer",
        ),
        (["resume", str(tmp_path)], "not a run folder"),
        (["train", "p14", "--lr", "-1"], "must be positive"),
    ]:
        result = cli(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert not (tmp_path / "runs").exists()  # nothing half-made is left behind
        assert expected in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_help_does_not_import_tensorflow():
    code = "import sys, tfnote.cli as c; c.build_parser(); print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
