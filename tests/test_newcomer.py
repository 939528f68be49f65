"""What a newcomer hit in the README tour (issue 23, item 5), end to end.

- `tfnote report runs/*` on the folders the class 1-2 commands write: accepted, shown.
- A run's result line says which epoch it scored, and the best epoch's score (the weights
  predict uses) when that is another; metrics.json records both.
- The fast CIFAR-10 whitening says what it does; a terminal's progress counts the seconds of
  a wait the bar does not show.
- show and augment-preview write under runs/ by default and say so.
"""

from __future__ import annotations

import glob
import json
import re
import time

import numpy as np
import pytest
from drawings import make_drawings

from tfnote import open_run, train
from tfnote.spec import get_preset


@pytest.fixture(scope="module")
def scratch_runs(tmp_path_factory, shared_data):
    """The tour's class 1-2 folders, made by the functions the commands call (short runs)."""
    from tfnote.scratch.activations import run_activations
    from tfnote.scratch.backprop import run_descent
    from tfnote.scratch.compare import run_comparison
    from tfnote.scratch.iris import run_iris
    from tfnote.scratch.losses import run_losses
    from tfnote.scratch.regularization import run_regularization

    root = tmp_path_factory.mktemp("tour")
    runs = root / "runs"
    run_descent(out=runs / "backprop")
    run_descent(decay=0.99, out=runs / "lr-decay")
    iris = run_iris(epochs=20, out=runs / "iris-scratch")
    run_comparison("all", ((0.1, 10),), out=runs / "optimizers")
    run_losses(epochs=200, out=runs / "losses")
    run_activations(runs / "activations")
    run_regularization(shared_data / "dot.csv", epochs=20, out=runs / "regularization")
    return root, iris


def test_report_shows_the_class_1_2_folders(scratch_runs, cli):
    root, iris = scratch_runs
    runs = root / "runs"
    (runs / "mnist-samples.png").write_bytes(b"not a run")  # what `tfnote show` leaves there
    damaged = runs / "reg-damaged"
    damaged.mkdir()
    for name in ("boundaries.png", "metrics.json"):
        (damaged / name).write_bytes((runs / "regularization" / name).read_bytes()[:1])
    # `tfnote report runs/*` as a shell expands it
    paths = sorted(glob.glob("runs/*", root_dir=root))
    result = cli("report", *paths, cwd=root)
    assert result.returncode == 0, result.stderr
    assert "passed over 1 file(s), not run folders: runs/mnist-samples.png" in result.stdout
    assert "wrote runs/report.html" in result.stdout  # the default keeps the checkout clean
    page = (runs / "report.html").read_text(encoding="utf-8")
    for section in ("Back-propagation", "Iris classifier from scratch",
                    "Learning-rate exponential decay", "Activation functions", "Loss functions",
                    "Regularization", "Optimizers"):  # fmt: skip
        assert f"{section}</a>" in page, section  # a row of the table, linked to its card
    # every figure, embedded: 2 descents, iris's 2 curves, optimizers' 2, weights, activations,
    # boundaries (not the damaged copy's)
    assert page.count('<img src="data:image/png;base64,') == 9
    backprop = [float(r["w"]) for r in _rows(runs / "backprop" / "steps.csv")]
    assert f"w after 40 steps: {backprop[-1]:.6f}" in page
    assert f"test accuracy: {iris.test_accuracy[-1]:.4f}" in page
    assert ",lr is 0.1" in page  # lr-decay told from backprop by its changing rate
    assert "own settings" in page  # iris: 20 of the course's 500 epochs
    assert "cannot read runs/reg-damaged" in page and "damaged</span>" in page
    assert "8 class 1-2 folder(s)" in page  # the damaged copy is one of them
    second = cli("report", "runs", "--out", "all.html", cwd=root)  # the folder of them all
    assert second.returncode == 0, second.stderr
    assert "8 class 1-2 folder(s)" in (root / "all.html").read_text(encoding="utf-8")


def _rows(path):
    import csv

    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_result_line_names_the_last_and_the_best_epoch(shared_data, tmp_path, capsys):
    # p14 at lr 0.03 on 1,000 images overfits: val_loss 0.793, 0.729, 0.665, 0.679, 0.765
    spec = get_preset("p14").replace(
        data_dir=str(shared_data), train_limit=1000, test_limit=1000, epochs=5, lr=0.03
    )
    result = train.run(spec, tmp_path / "r", quiet=True)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    best = metrics["best_epoch"]
    assert metrics["scored_epoch"] == 5 and 1 <= best < 5, metrics
    assert metrics["best"]["epoch"] == best
    assert line.startswith(
        f"test, last epoch (5): loss {metrics['loss']:.4f}, accuracy {metrics['accuracy']:.4f};"
        f" best epoch by val_loss ({best}): loss {metrics['best']['loss']:.4f},"
        f" accuracy {metrics['best']['accuracy']:.4f}, used by predict"
    ), line
    # the best epoch's score is what the weights predict loads give on the same images
    model = open_run(tmp_path / "r").load_model()
    data = train.load_data(spec)
    guesses = model.predict(data.x_test.astype("float32") * spec.scale, verbose=0).argmax(-1)
    assert abs(np.mean(guesses == data.y_test) - metrics["best"]["accuracy"]) < 1e-6
    # the run's own model stays the last epoch's
    last = result.model.predict(data.x_test.astype("float32") * spec.scale, verbose=0)
    assert abs(np.mean(last.argmax(-1) == data.y_test) - metrics["accuracy"]) < 1e-6

    train.run(spec, tmp_path / "r")  # finished: `resume` or the same train again
    again = capsys.readouterr().out
    assert "already finished 5 epochs" in again and line in again


def test_the_whitening_and_the_first_block_are_not_silent(capsys):
    from tfnote.models.fast import fast_cifar

    model = fast_cifar((32, 32, 3), 10, widths=[8, 8, 8])
    images = np.random.default_rng(0).random((300, 32, 32, 3), dtype="float32")
    model.adapt(images, verbose=True)
    assert re.fullmatch(
        r"whitening: learning 2x2 patch filters from 300 training images\.\.\. done in [\d.]+ s\n",
        capsys.readouterr().out,
    )
    assert "min" not in get_preset("cifar10-fast").title  # no promise of a time
    assert "min" not in get_preset("cifar10-fast-94").title

    bar = train.step_progress()
    bar.set_params({"verbose": 1, "epochs": 2, "steps": 3})
    bar.on_train_begin()
    bar.on_epoch_begin(0)
    time.sleep(1.4)  # the first block: the graph is built, nothing has ended yet
    bar.on_train_batch_end(2, {"loss": 1.5})
    time.sleep(1.4)  # the checkpoint after the last step
    bar.on_epoch_end(0, {"loss": 1.5})
    out = capsys.readouterr().out
    assert "\rEpoch 1/2" in "\r" + out
    assert "\r0/3 steps: building the graph, running the first steps... 1 s" in out
    assert "\r3/3 steps: saving the epoch... 1 s" in out
    assert out.rstrip().endswith("loss: 1.5000")  # the bar, after the waiting line is cleared
    assert not bar.waiting


def test_show_and_augment_preview_write_under_runs(tmp_path, cli):
    make_drawings(tmp_path / "mine", per_class=3, test_per_class=1, size=32)
    data = f"image-folder:{tmp_path / 'mine'}"
    show = cli("show", data, "--count", "4", cwd=tmp_path)
    assert show.returncode == 0, show.stderr
    assert "wrote runs/image-folder-samples.png" in show.stdout
    preview = cli("augment-preview", "--augment", "mnist", "--data", data, "--samples", "2",
                  "--copies", "2", cwd=tmp_path)  # fmt: skip
    assert preview.returncode == 0, preview.stderr
    assert "wrote runs/augment-mnist.png" in preview.stdout
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == ["mine", "runs"], made  # nothing else in the working folder
    for name in ("image-folder-samples.png", "augment-mnist.png"):
        assert (tmp_path / "runs" / name).stat().st_size > 2000
