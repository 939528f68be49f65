"""A learner's own small image set: class folders, the own-images preset, honest titles.

Every run here goes through the CLI on drawings the test makes (tests/drawings.py).
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import run_cli
from drawings import make_drawings

from tfnote.course_results import published
from tfnote.run_folder import ResumeState
from tfnote.spec import get_preset
from tfnote.train import stopped_early


@pytest.fixture(scope="module")
def own_run(tmp_path_factory):
    """own-images trained on 4 classes x 60 dark-on-light drawings (seed 1), 20 test each."""
    root = tmp_path_factory.mktemp("own")
    folder = make_drawings(root / "shapes", style="dark-on-light", size=64, seed=1)
    run = root / "runs" / "shapes"
    result = run_cli(
        "train", "own-images", "--data", f"image-folder:{folder}", "--out", run,
        env={"TFNOTE_CACHE_DIR": str(root / "cache")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return root, run, result.stdout


def test_own_images_learns_a_few_hundred_drawings(own_run):
    _, run, stdout = own_run
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["evaluated_on"] == "test"
    assert metrics["accuracy"] >= 0.90, metrics  # measured 1.00 (p14: 0.25, LeNet5: 0.25)
    # The run says which layout it read: the test folders are the test set.
    assert "class folders train/<class>/ and test/<class>/" in stdout
    assert "192 training, 48 validation (the last 20%), 80 test samples" in stdout
    info = json.loads((run / "model.json").read_text())
    assert info["info"]["layout"] == "class folders train/<class>/ and test/<class>/"
    assert info["input_shape"] == [64, 64, 1]


def test_own_dataset_run_is_titled_by_its_data_without_a_course_number(own_run, cli):
    root, run, _ = own_run
    title = "your dataset " + str(root / "shapes") + ": 4 classes, 64x64 grey"
    assert json.loads((run / "spec.json").read_text())["title"].startswith(title)
    table = cli("runs", root / "runs")
    assert table.returncode == 0, table.stderr
    header, _, row = table.stdout.splitlines()
    assert row.startswith("shapes ") and "preset own-images" in row
    assert len(row.rstrip()) < header.index("course")  # its course column is empty
    out = root / "report.html"
    page = cli("report", run, "--out", out)
    assert page.returncode == 0, page.stderr
    text = out.read_text()
    assert title in text and "MNIST" not in text
    assert "the course&#x27;s</td>" not in text  # no course row beside ours
    # The report says how the training images looked and how predict prepares a photo.
    assert "dark objects on a light background" in text and "match recipe" in text


def test_a_course_preset_on_own_folders_loses_its_title_and_course_number(tmp_path, cli):
    """p14 on one folder of class folders: 20% held out, titled by the data, and without
    MNIST's 0.975-0.98 (tests/test_report.py shows it beside p14 on MNIST)."""
    assert published("mnist").short() == "0.975-0.98"
    drawings = make_drawings(tmp_path / "d", per_class=10, test_per_class=0, size=16, seed=3)
    flat = tmp_path / "flat"
    shutil.move(drawings / "train", flat)
    run = tmp_path / "runs" / "own"
    own = cli(
        "train", "p14", "--data", f"image-folder:{flat}", "--epochs", "1", "--out", run,
        env={"TFNOTE_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert own.returncode == 0, own.stderr
    assert "class folders <class>/; no test set, so a fixed 20% is held out as one" in own.stdout
    assert "32 training" in own.stdout and "8 test samples" in own.stdout
    title = f"your dataset {flat}: 4 classes, 16x16 grey (preset mnist, model mlp)"
    assert json.loads((run / "spec.json").read_text())["title"] == title
    table = cli("runs", tmp_path / "runs")
    assert table.returncode == 0, table.stderr
    header, _, row = table.stdout.splitlines()
    assert row.startswith("own ") and "0.975" not in row
    assert len(row.rstrip()) < header.index("course")  # its course column is empty
    out = tmp_path / "report.html"
    assert cli("report", run, "--out", out).returncode == 0
    text = out.read_text()
    assert title in text and "0.975" not in text and "MNIST" not in text


def test_image_label_on_class_folders_points_to_image_folder(tmp_path, cli):
    folder = make_drawings(tmp_path / "shapes", per_class=2, test_per_class=1, size=16)
    result = cli("train", "own-images", "--data", f"image-label:{folder}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"tfnote: error: {folder} looks like class folders: use --data image-folder:{folder}"
    ]


def test_train_help_names_image_folder(cli):
    result = cli("train", "--help")
    assert result.returncode == 0
    assert "image-folder:DIR" in " ".join(result.stdout.split())


def test_early_stopping_counts_from_the_saved_best_epoch():
    """The patience count lives in the resume state (its best epoch), so a resumed run
    neither forgets it nor starts it again."""
    spec = get_preset("own-images")
    patience = spec.early_stopping["patience"]
    assert not stopped_early(ResumeState(epoch=5 + patience - 1, best_epoch=5), spec)
    assert stopped_early(ResumeState(epoch=5 + patience, best_epoch=5), spec)
    assert not stopped_early(ResumeState(epoch=30, best_epoch=1), spec.replace(early_stopping=None))
