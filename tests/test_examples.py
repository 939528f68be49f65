"""examples/: each of the six class scripts runs on a small slice and learns.

Every script runs as a learner runs it, `python examples/<file>.py FLAGS`, in a child
process, with its output folder in tmp_path. The bars are ones a working script passes
with room to spare and a broken one (wrong scaling, wrong labels, no learning) fails.
No script may print TensorFlow's C++ start-up lines (oneDNN, CPU features, absl).

The README's "Examples" block runs too, line by line as written (with the data in
TFNOTE_DATA, as its `export` line sets), shortened by the flags in SHORT.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
RUN_FILES = ["history.csv", "curves.png", "weights.txt", "summary.txt", "metrics.json"]
RUN_FILES += ["best.weights.h5", "model.keras", "state.json"]
# What TensorFlow's C++ side prints at start-up unless silenced (tfnote._tf.load does).
TF_NOISE = re.compile(r"oneDNN|cpu_feature_guard|absl|rebuild TensorFlow")


def run_example(
    name: str, *args, env: dict | None = None, timeout: float = 400, cwd: Path = ROOT
) -> str:
    """Run examples/<name> with `args`; return its output, failing the test on exit != 0
    or on TensorFlow's C++ start-up lines in its stderr."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    noise = [line for line in done.stderr.splitlines() if TF_NOISE.search(line)]
    assert not noise, f"{name} printed TensorFlow's C++ log lines:\n" + "\n".join(noise)
    return done.stdout


def readme_example_lines() -> list[str]:
    """The lines of the ```bash block in README.md's "## Examples" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Examples\n")
    block = re.search(r"```bash\n(.*?)```", text[start:], flags=re.S).group(1)
    lines = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [" ".join(words) for words in lines if words]


# Appended to each README line (argparse keeps the last value): seconds, not minutes.
SHORT = {
    "class1_tensors.py": ["--epochs", "20"],
    "class2_optimization.py": ["--epochs", "5", "--loss-epochs", "50", "--reg-epochs", "5"],
    "class3_six_steps.py": ["--epochs", "1", "--limit", "500"],
    "class4_mnist_extended.py": ["--epochs", "1", "--limit", "500"],
    "class5_cnn.py": ["--epochs", "1", "--limit", "500"],
    "class6_rnn.py": ["--epochs", "1", "--letter-epochs", "5"],
}
# A line each script prints only when it got through its data and training.
PRINTS = {
    "class1_tensors.py": r"iris test accuracy: [\d.]+",
    "class2_optimization.py": r"with L2 0.03: loss [\d.]+",  # dot.csv found through TFNOTE_DATA
    "class3_six_steps.py": r"mnist test accuracy: [\d.]+",
    "class4_mnist_extended.py": r"(?m)^7\.png: \d \(probability",  # the photos were read
    "class5_cnn.py": r"lenet5 on cifar10: test accuracy [\d.]+",
    "class6_rnn.py": r"LSTM: MSE [\d.]+, RMSE [\d.]+",  # SH600519.csv found
}


def test_readme_examples_block_names_every_script():
    lines = readme_example_lines()
    assert lines[0] == "export TFNOTE_DATA=../shared/data"
    scripts = [shlex.split(line)[1] for line in lines[1:]]
    assert scripts == [f"examples/{name}" for name in SHORT]
    assert sorted(SHORT) == sorted(p.name for p in EXAMPLES.glob("class*.py"))


@pytest.mark.parametrize("script", list(SHORT))
def test_readme_example_line_runs(script, tmp_path, shared_data):
    """The README's line for `script`, run in a fresh folder with TFNOTE_DATA exported."""
    env = {"TFNOTE_DATA": str(shared_data), "TFNOTE_OFFLINE": "1"}
    env["TFNOTE_CACHE_DIR"] = str(tmp_path / "cache")
    (line,) = [x for x in readme_example_lines() if f"examples/{script}" in x]
    words = shlex.split(os.path.expandvars(line.replace("$TFNOTE_DATA", str(shared_data))))
    assert words[:2] == ["python", f"examples/{script}"]
    out = run_example(script, *words[2:], *SHORT[script], env=env, cwd=tmp_path)
    assert re.search(PRINTS[script], out), out[-2000:]
    assert (tmp_path / "runs").is_dir()  # the default output folder, under the current one


def number(pattern: str, text: str) -> float:
    """The number that `pattern`'s group captures in `text` (the last match)."""
    found = re.findall(pattern, text)
    assert found, f"{pattern!r} not in the output:\n{text[-2000:]}"
    return float(found[-1])


def assert_run_folder(path: Path, epochs: int) -> None:
    for name in RUN_FILES:
        assert (path / name).is_file(), f"{path / name} missing"
    assert json.loads((path / "state.json").read_text())["epoch"] == epochs
    assert len(pd.read_csv(path / "history.csv")) == epochs


def test_class1_backprop_and_iris_from_scratch(tmp_path):
    out = run_example("class1_tensors.py", "--out", tmp_path)
    assert "argmax per column: [3 3 1] per row: [2 2 0 0]" in out
    assert number(r"w after 40 steps = (-?[\d.]+)", out) == pytest.approx(-1.0, abs=1e-4)
    assert number(r"Epoch 499, loss: ([\d.]+)", out) == pytest.approx(0.0323, abs=5e-4)  # course
    assert number(r"iris test accuracy: ([\d.]+)", out) >= 0.96
    assert (tmp_path / "iris_curves.png").stat().st_size > 10_000


def test_class2_losses_regularization_and_optimizers(tmp_path, shared_data):
    flags = ["--epochs", 100, "--loss-epochs", 3000, "--reg-epochs", 60, "--out", tmp_path]
    out = run_example("class2_optimization.py", *flags, "--data-dir", shared_data)
    assert "where(a > b, a, b): [1 2 3 4 5]" in out
    assert number(r"lr decay: after 40 epochs w = (-?[\d.]+)", out) == pytest.approx(-1, abs=1e-3)
    # Under-predicting costs 99 times more than over-predicting: both weights above 1.
    own = re.search(r"yogurt, own loss: +w1 = \[([\d.]+) +([\d.]+)\]", out)
    assert own and min(map(float, own.groups())) > 1.02, out
    two_steps = re.search(r"softmax then CE: (.*)", out).group(1)
    assert two_steps == re.search(r"fused op: +(.*)", out).group(1)
    free = number(r"no regularization: loss [\d.]+, sum of squared weights ([\d.]+)", out)
    with_l2 = number(r"with L2 0.03: loss [\d.]+, sum of squared weights ([\d.]+)", out)
    assert with_l2 < free  # L2 keeps the weights small
    rows = dict(re.findall(r"^(SGD|SGDM|Adagrad|RMSProp|Adam) +(.*)$", out, re.M))
    assert list(rows) == ["SGD", "SGDM", "Adagrad", "RMSProp", "Adam"]
    for name, row in rows.items():
        loss, acc, seconds = map(float, row.split()[:3])
        assert loss < 0.08 and seconds > 0, (name, row)  # the first epoch's loss is 0.28
    assert float(rows["Adam"].split()[1]) >= 0.9
    for figure in ("regularization.png", "optimizers.png"):
        assert (tmp_path / figure).stat().st_size > 10_000


def test_class3_mnist_program_resumes(tmp_path, shared_data):
    """The p14 contract: one program into --out, and a second run continues it."""
    run = tmp_path / "p14"
    flags = ["--dataset", "mnist", "--limit", 3000, "--data-dir", shared_data, "--out", run]
    first = run_example("class3_six_steps.py", *flags, "--epochs", 1)
    assert "p8_iris" not in first and "p15_mnist_class" not in first  # only that program
    assert_run_folder(run, 1)
    second = run_example("class3_six_steps.py", *flags, "--epochs", 2)
    assert f"resuming {run} after epoch 1 of 2" in second
    assert second.count("Epoch 2/2") == 1 and "Epoch 1/2" not in second
    assert_run_folder(run, 2)
    assert number(r"mnist test accuracy: ([\d.]+)", second) >= 0.85
    info = json.loads((run / "model.json").read_text())
    assert info["scale"] == pytest.approx(1 / 255) and info["input_shape"] == [28, 28, 1]


def test_class3_iris_learns(tmp_path):
    flags = ["--dataset", "iris", "--epochs", 100, "--out", tmp_path]
    out = run_example("class3_six_steps.py", *flags)
    assert number(r"iris validation accuracy: ([\d.]+)", out) >= 0.85
    history = pd.read_csv(tmp_path / "history.csv")
    assert history["val_loss"].notna().sum() == 5  # validation_freq 20
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]


def test_class3_subclass_programs(tmp_path, shared_data):
    """No --dataset: every program of the style, each in a folder named after its file."""
    flags = ["--style", "class", "--epochs", 1, "--limit", 1000, "--out", tmp_path]
    out = run_example("class3_six_steps.py", *flags, env={"TFNOTE_DATA": str(shared_data)})
    for name in ["p11_iris_class", "p15_mnist_class", "p16_fashion_class"]:
        assert_run_folder(tmp_path / name, 1)  # model.keras too: the subclasses are registered
    assert not (tmp_path / "p14_mnist_sequential").exists()
    assert number(r"mnist test accuracy: ([\d.]+)", out) >= 0.7
    assert number(r"fashion test accuracy: ([\d.]+)", out) >= 0.6
    assert "Ankle boot" in out  # p13: the first Fashion-MNIST image is an ankle boot


def test_class4_own_dataset_resume_and_photos(tmp_path, shared_data):
    run = tmp_path / "own"
    flags = ["--data", f"image-label:{shared_data / 'mnist_image_label'}", "--out", run]
    env = {"TFNOTE_CACHE_DIR": str(tmp_path / "cache")}
    first = run_example("class4_mnist_extended.py", *flags, "--epochs", 1, env=env)
    assert "6000 train / 1000 test images" in first
    assert_run_folder(run, 1)
    photos = ["--photos", shared_data / "digits"]
    second = run_example("class4_mnist_extended.py", *flags, "--epochs", 2, *photos, env=env)
    assert f"resuming {run} after epoch 1 of 2" in second
    assert_run_folder(run, 2)
    assert number(r"test accuracy \(best epoch\): ([\d.]+)", second) >= 0.85
    answers = re.findall(r"^(\d)\.png: (\d) \(probability", second, re.M)
    assert len(answers) == 10
    assert sum(a == b for a, b in answers) >= 4  # chance is 1 (8 of 10 after 5 epochs)
    weights = (run / "weights.txt").read_text()
    assert "kernel" in weights and len(re.findall(r"-?\d+\.\d+", weights)) >= 101_770


def test_class4_augmentation(tmp_path, shared_data):
    flags = ["--augment", "--limit", 1000, "--epochs", 1, "--data-dir", shared_data]
    out = run_example("class4_mnist_extended.py", *flags, "--out", tmp_path)
    assert (tmp_path / "augmented.png").stat().st_size > 10_000
    assert "augment (Sequential)" in out  # the random layers are part of the model
    assert number(r"test accuracy \(best epoch\): ([\d.]+)", out) >= 0.3


def test_class5_baseline_on_cifar10(tmp_path, shared_data):
    flags = ["--limit", 3000, "--epochs", 1, "--data-dir", shared_data, "--out", tmp_path]
    out = run_example("class5_cnn.py", *flags)
    assert_run_folder(tmp_path, 1)
    assert number(r"baseline on cifar10: test accuracy ([\d.]+)", out) >= 0.2  # chance 0.1
    assert "the course's baseline after 5 epochs: 0.4177" in out
    assert "batch_normalization" in (tmp_path / "weights.txt").read_text()


def test_class6_letters_and_stock(tmp_path, shared_data):
    flags = ["--cell", "SimpleRNN", "--epochs", 1, "--data-dir", shared_data, "--out", tmp_path]
    out = run_example("class6_rnn.py", *flags)
    assert number(r"letters one-hot accuracy: ([\d.]+)", out) == 1.0
    assert number(r"letters embedding accuracy: ([\d.]+)", out) >= 0.9
    assert "2066 training and 240 test windows" in out
    # The naive forecast, computed here from the file: the example's split and its
    # inverse scaling must give the same prices.
    opens = pd.read_csv(shared_data / "SH600519.csv")["open"].to_numpy()[-241:]
    naive_rmse = np.sqrt(np.mean((opens[1:] - opens[:-1]) ** 2))
    assert number(r"naive .*RMSE ([\d.]+)", out) == pytest.approx(naive_rmse, abs=0.01)
    assert number(r"SimpleRNN: MSE [\d.]+, RMSE ([\d.]+)", out) < 10 * naive_rmse
    stock = tmp_path / "stock-simplernn"
    assert_run_folder(stock, 1)
    assert (stock / "prediction.png").stat().st_size > 10_000
    assert_run_folder(tmp_path / "letters-onehot", 100)
