"""`tfnote runs`, `tfnote report` and `tfnote course`: the course at a glance.

Run folders are made by training tiny runs through tfnote.train.run (and one through the
RunFolder callback of a script of one's own); the states a table must tell apart
(interrupted, running, damaged, a price run's RMSE) are made from copies of them.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tfnote import open_run, runs

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, shared_data) -> Path:
    """runs/: mnist and iris presets, an own model, and copies in other states."""
    import numpy as np

    from tfnote import _tf, train
    from tfnote.callback import RunFolder
    from tfnote.spec import get_preset

    root = tmp_path_factory.mktemp("runs")
    small = dict(data_dir=str(shared_data), epochs=1, train_limit=2000, test_limit=500)
    train.run(get_preset("p14").replace(**small), root / "mnist", quiet=True)
    train.run(get_preset("iris").replace(epochs=20), root / "class3" / "iris", quiet=True)

    _, keras = _tf.load()
    keras.utils.set_random_seed(0)
    x, y = np.random.rand(64, 4).astype("float32"), np.arange(64) % 3
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, validation_data=(x, y), verbose=0,
              callbacks=[RunFolder(root / "mine", verbose=False)])  # fmt: skip

    # unfinished copies: one interrupted, one held by a process (its lock), one from before
    # the lock existed whose state was saved just now
    for name in ("interrupted", "running", "running-unlocked"):
        copy = shutil.copytree(root / "mnist", root / name)
        (copy / "metrics.json").unlink()
        spec = json.loads((copy / "spec.json").read_text())
        (copy / "spec.json").write_text(json.dumps({**spec, "epochs": 3}))
    (root / "running-unlocked" / "run.lock").unlink()
    then = time.time() - 3600
    os.utime(root / "interrupted" / "state.json", (then, then))
    open_run(root / "running").lock()
    damaged = shutil.copytree(root / "class3" / "iris", root / "damaged")
    (damaged / "spec.json").write_text("{")
    prices = shutil.copytree(root / "class3" / "iris", root / "price-like")
    forecast = {"scores": {"model": {"rmse": 50.5, "mae": 40.0}}, "verdict": "no better"}
    (prices / "forecast.json").write_text(json.dumps(forecast))
    return root


def test_runs_table_finds_every_run_and_its_state(run_dir):
    rows = {r.name: r for r in runs.find(run_dir)}
    assert set(rows) == {
        "mnist", "class3/iris", "mine", "interrupted", "running", "running-unlocked",
        "damaged", "price-like",
    }  # fmt: skip
    mnist = rows["mnist"]
    assert (mnist.status, mnist.epochs, mnist.built_by, mnist.dataset) == (
        "finished", "1/1", "preset mnist", "mnist"
    )  # fmt: skip
    assert mnist.params == 101_770 and mnist.best_epoch == 1 and mnist.train_seconds > 0
    assert 0.7 < mnist.accuracy <= 1 and mnist.evaluated_on == "test"
    assert "1 of 5 epochs" in mnist.scaled_down and mnist.course == "0.975-0.98"
    assert rows["class3/iris"].epochs == "20/20" and rows["class3/iris"].scaled_down
    mine = rows["mine"]
    assert (mine.built_by, mine.status, mine.epochs) == ("own model", "finished", "2/2")
    assert mine.evaluated_on == "validation (last epoch)" and mine.accuracy is not None
    assert rows["interrupted"].status == "interrupted" and rows["interrupted"].epochs == "1/3"
    assert rows["running"].status == rows["running-unlocked"].status == "running"
    assert rows["damaged"].status == "damaged" and "spec.json" in rows["damaged"].problem
    assert (rows["price-like"].rmse, rows["price-like"].verdict) == (50.5, "no better")
    assert rows["price-like"].result == "RMSE 50.50 (no better)"


def test_runs_command_text_json_csv_and_sort(run_dir, cli):
    text = cli("runs", run_dir)
    assert text.returncode == 0, text.stderr
    header, rule, *lines = text.stdout.splitlines()
    assert header.split()[:3] == ["run", "built", "by"] and set(rule) <= {"-", " "}
    assert len(lines) == 8 and any("own model" in line for line in lines)
    assert any("finished (scaled down)" in line and "0.975-0.98" in line for line in lines)

    rows = json.loads(cli("runs", run_dir, "--json", "--sort", "accuracy", "--desc").stdout)
    accuracies = [r["accuracy"] for r in rows if r["accuracy"] is not None]
    assert accuracies == sorted(accuracies, reverse=True) and len(rows) == 8
    assert {r["status"] for r in rows} == {
        "finished", "interrupted", "running", "damaged"
    }  # fmt: skip

    csv_text = cli("runs", run_dir, "--csv", "--sort", "params").stdout
    header = csv_text.splitlines()[0].split(",")
    assert header[:3] == ["name", "path", "title"] and "rmse" in header
    assert len(csv_text.splitlines()) == 9

    bad = cli("runs", run_dir, "--sort", "colour")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "cannot sort" in bad.stderr
    missing = cli("runs", run_dir / "nowhere")
    assert missing.returncode == 2 and "no such folder" in missing.stderr


def _images(page: str) -> list[bytes]:
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    return [base64.b64decode(b) for b in found]


def assert_self_contained(page: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<link" not in page and "<script" not in page.lower()


def test_report_is_one_self_contained_page(run_dir, cli, tmp_path):
    out = tmp_path / "report.html"
    done = cli("report", run_dir / "mnist", run_dir / "class3", run_dir / "mine",
               run_dir / "damaged", "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    images = _images(page)
    assert len(images) == 3 and all(i.startswith(PNG) for i in images)  # curves of three runs
    assert "test accuracy about 0.975-0.98" in page  # the course's number beside ours
    assert page.count("quick:") >= 2 and "own model" in page
    assert "damaged" in page and page.count('class="card"') == 4
    assert "<h2>Comparison</h2>" in page

    nowhere = cli("report", tmp_path / "nothing", "--out", tmp_path / "x.html")
    assert nowhere.returncode == 2 and "no such run folder" in nowhere.stderr


def test_course_numbers_have_one_home():
    from tfnote.course_results import published

    assert published("cifar10-inception10").text.endswith("(batch 1024)")
    assert published("cifar10-resnet18").value == 0.6276
    assert published("stock-gru").extra == {"mse": 1742.81, "mae": 36.35}
    assert published("stock-lstm").short() == "55.53" and published("nothing") is None
    assert runs.describe(Path("/nowhere")).status == "damaged"


def test_course_tiny_resumes_and_reports_a_failing_program(tmp_path, shared_data, monkeypatch):
    """Three programs; CIFAR-10 is missing from the data folder, so one of them fails."""
    from tfnote import course

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # no CIFAR-10 there either
    monkeypatch.setenv("TFNOTE_OFFLINE", "1")

    data = tmp_path / "data"
    data.mkdir()
    for name in ("mnist.npz", "dot.csv"):
        (data / name).symlink_to(shared_data / name)
    out = tmp_path / "course"
    only = "backprop,iris,cifar10-baseline"
    lines: list[str] = []
    first = course.run_course(out, "tiny", str(data), only, echo=lines.append)
    assert first.failed == ["cifar10-baseline"]
    assert lines[0].startswith("[1/3] class 1 backprop: running")
    assert any("FAILED" in line and "cifar10" in line for line in lines)
    page = first.page.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert "Class 1 — the first neural network" in page and "Class 5" in page
    assert "TINY" in page and "quick:" in page and 'class="error"' in page
    assert len(_images(page)) == 2  # descent.png, the iris run's curves
    assert "p13_backpropagation" in page and "p8_iris_sequential" in page

    iris_state = out / "runs" / "iris" / "state.json"
    saved = iris_state.stat().st_mtime_ns
    lines.clear()
    second = course.run_course(out, "tiny", str(data), only, echo=lines.append)
    progress = [re.match(r"\[\d/3\] class \d \S+: (\w+)", line) for line in lines]
    assert [m.group(1) for m in progress if m] == ["reused", "reused", "running"]
    assert iris_state.stat().st_mtime_ns == saved  # the finished run was not trained again
    assert second.failed == ["cifar10-baseline"]
    assert "reused" in second.page.read_text(encoding="utf-8")
