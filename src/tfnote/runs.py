"""Every run folder under a directory, as one table: what `tfnote runs` prints.

A run folder is any folder that training wrote (tfnote.run_folder), whether
`tfnote train` made it from a preset or a script of one's own made it with tfnote.RunFolder.
Each becomes a `RunRow`: name, preset or own model, dataset, parameters, epochs done and
planned, status, the test score (RMSE and verdict for price runs), best epoch, time, and
the course's published number when it has one (tfnote.course_results).

    >>> from tfnote import runs
    >>> rows = runs.find("runs")
    >>> print(runs.text_table(runs.sort(rows, "accuracy", descending=True)))

Nothing here imports TensorFlow: the table comes from the folders' records (tfnote.open_run).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from tfnote.course_results import published
from tfnote.errors import TfnoteError
from tfnote.run_folder import Metrics, ResumeState, Run, is_run_folder
from tfnote.spec import on_course_data

# An unfinished run is "running" while a process holds its lock (Run.is_running); in a
# folder without a lock file (made before there was one), while its resume state is
# younger than this.
RUNNING_WITHIN_S = 120

STATUSES = ("finished", "running", "interrupted", "not started", "damaged")


@dataclass
class RunRow:
    """One run folder's facts (None where the folder does not say)."""

    name: str  # the folder, relative to the directory searched
    path: str
    title: str = ""
    built_by: str = ""  # "preset mnist" or "own model"
    preset: str | None = None
    dataset: str | None = None
    params: int | None = None
    epochs_done: int = 0
    epochs_planned: int | None = None
    status: str = "not started"
    accuracy: float | None = None  # on the test set (else as evaluated_on says)
    loss: float | None = None
    evaluated_on: str | None = None  # "test", "validation", "last epoch"...
    rmse: float | None = None  # price runs, in price units (forecast.json)
    verdict: str | None = None  # price runs: better / no better / worse than naive
    best_epoch: int | None = None
    train_seconds: float | None = None
    scaled_down: str | None = None  # how it differs from its preset's size (quick runs)
    course: str | None = None  # the course's published number, e.g. "0.4177"
    course_metric: str | None = None  # "accuracy" or "rmse"
    tensorboard: bool = False  # has TensorBoard event files (trained with --tensorboard)
    problem: str | None = None  # why the folder could not be read (status "damaged")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def epochs(self) -> str:
        return f"{self.epochs_done}/{self.epochs_planned or '?'}"

    @property
    def result(self) -> str:
        """The test score in a few characters: "acc 0.9751", "RMSE 45.20 (better)"..."""
        if self.rmse is not None:
            return f"RMSE {self.rmse:.2f}" + (f" ({self.verdict})" if self.verdict else "")
        if self.accuracy is not None:
            return f"acc {self.accuracy:.4f}"
        if self.loss is not None:
            return f"loss {self.loss:.4g}"
        return ""


def find_folders(directory: str | Path) -> list[Path]:
    """Every run folder under `directory` (itself included), sorted; none inside another."""
    directory = Path(directory)
    if not directory.is_dir():
        raise TfnoteError(f"{directory}: no such folder")
    found = []
    for root, dirs, _ in os.walk(directory):
        if is_run_folder(root):
            found.append(Path(root))
            dirs.clear()  # checkpoints/ and the like are the run's own
        else:
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    return sorted(found)


def find(directory: str | Path = "runs") -> list[RunRow]:
    """A row for every run folder under `directory`."""
    directory = Path(directory)
    rows = []
    for folder in find_folders(directory):
        name = folder.relative_to(directory).as_posix()
        rows.append(describe(folder, name if name != "." else folder.name))
    return rows


def describe(run: Run | str | Path, name: str | None = None) -> RunRow:
    """One run folder as a row; a folder that cannot be read is a row that says why."""
    run = run if isinstance(run, Run) else Run(run)
    row = RunRow(name=name or run.path.name, path=str(run.path))
    try:
        _fill(row, run)
    except TfnoteError as e:
        row.status, row.problem = "damaged", str(e)
    return row


def _fill(row: RunRow, run: Run) -> None:
    if not is_run_folder(run.path):
        raise TfnoteError(f"{run.path}: not a run folder (no model.json or spec.json)")
    spec = run.spec
    info = run.info if run.has_info else None
    state, metrics = run.state, run.metrics
    row.title = run.title if (spec or info) else row.name
    row.built_by = (info.built_by if info else "") or (
        f"preset {spec.name}" if spec else "own model"
    )
    row.preset = spec.name if spec else None
    row.dataset = (str(spec.dataset) if spec else None) or (info.dataset if info else None)
    row.params = (info.params if info else None) or (metrics.params if metrics else None)
    row.epochs_done = state.epoch if state else (metrics.epochs if metrics else 0)
    row.epochs_planned = spec.epochs if spec else (metrics.epochs if metrics else None)
    # Without spec.json (lost, or a damaged copy): what the run recorded (tfnote.callback)
    recorded = (metrics.scaled_down if metrics else None) or (state.scaled_down if state else None)
    row.scaled_down = scaled_down(spec) if spec else recorded
    row.tensorboard = run.tensorboard_dir.is_dir()
    row.best_epoch = (metrics.best_epoch if metrics else None) or (
        state.best_epoch if state else None
    )
    seconds = metrics.train_seconds if metrics else None
    seconds = state.train_seconds if seconds is None and state else seconds
    row.train_seconds = round(seconds, 2) if seconds is not None else None
    row.status = _status(row, metrics, run)
    _scores(row, metrics, state)
    if run.forecast:
        row.rmse, row.verdict = run.forecast.rmse, run.forecast.verdict
    course = published(row.preset) if spec and on_course_data(spec) else None
    if course:  # the course's number is about its dataset: not shown beside other data
        row.course, row.course_metric = course.short(), course.metric


def scaled_down(spec) -> str | None:
    """How a run is smaller than its preset ("1 of 5 epochs, first 2000 training samples"),
    or None when it has the preset's full size."""
    from tfnote.spec import get_preset

    parts = []
    try:
        preset_epochs = get_preset(spec.name).epochs
    except TfnoteError:  # a spec of one's own: no preset to compare with
        preset_epochs = None
    if preset_epochs and spec.epochs < preset_epochs:
        parts.append(f"{spec.epochs} of {preset_epochs} epochs")
    if spec.train_limit:
        parts.append(f"first {spec.train_limit} training samples")
    if spec.test_limit:
        parts.append(f"first {spec.test_limit} test samples")
    return ", ".join(parts) or None


def _status(row: RunRow, metrics: Metrics | None, run: Run) -> str:
    planned = row.epochs_planned or 0
    if metrics is not None and (row.epochs_done >= planned or metrics.stopped_early):
        return "finished"
    if run.is_running():  # a process holds the folder's lock
        return "running"
    saved_at = run.last_saved()
    if not run.has_lock_file and saved_at is not None:
        if time.time() - saved_at < RUNNING_WITHIN_S:  # folders from before the lock
            return "running"
    return "interrupted" if row.epochs_done else "not started"


def _scores(row: RunRow, metrics: Metrics | None, state: ResumeState | None) -> None:
    """The headline scores (the test's, for tfnote train); without metrics.json, the last
    saved epoch's."""
    if metrics is None and state is not None and state.history:
        last = {k: v for k, v in state.history[-1].items() if k != "epoch"}
        metrics = Metrics.from_dict({"evaluated_on": "last epoch", **last})
    if metrics is None or not metrics.scores:
        return
    row.evaluated_on = metrics.evaluated_on
    row.accuracy, row.loss = metrics.accuracy, metrics.loss


# --- sorting and output ------------------------------------------------------------------

# Column name (as typed after --sort) -> row attribute.
SORT_KEYS = {
    "name": "name",
    "run": "name",
    "preset": "built_by",
    "dataset": "dataset",
    "params": "params",
    "epochs": "epochs_done",
    "status": "status",
    "accuracy": "accuracy",
    "acc": "accuracy",
    "loss": "loss",
    "rmse": "rmse",
    "best": "best_epoch",
    "best_epoch": "best_epoch",
    "time": "train_seconds",
    "train_seconds": "train_seconds",
}


def sort(rows: list[RunRow], column: str = "name", descending: bool = False) -> list[RunRow]:
    """Rows sorted by `column` (a key of SORT_KEYS); rows without a value go last."""
    key = SORT_KEYS.get(column.lower().replace("-", "_"))
    if key is None:
        raise TfnoteError(f"cannot sort by {column!r}; choose from {', '.join(SORT_KEYS)}")
    present = [r for r in rows if getattr(r, key) is not None]
    missing = [r for r in rows if getattr(r, key) is None]
    return sorted(present, key=lambda r: getattr(r, key), reverse=descending) + missing


def seconds_text(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


COLUMNS = ("run", "built by", "dataset", "params", "epochs", "status", "test result",
           "best", "time", "course")  # fmt: skip


def cells(row: RunRow) -> list[str]:
    """The row as the text table shows it (COLUMNS)."""
    status = row.status + (" (scaled down)" if row.scaled_down else "")
    return [
        row.name,
        row.built_by,
        short_dataset(row.dataset),
        f"{row.params:,}" if row.params is not None else "",
        row.epochs,
        status,
        row.result if row.status != "damaged" else (row.problem or ""),
        str(row.best_epoch or ""),
        seconds_text(row.train_seconds),
        row.course or "",
    ]


def short_dataset(dataset: str | None) -> str:
    """image-label:/long/path/mnist_image_label -> image-label:mnist_image_label"""
    kind, colon, where = (dataset or "").partition(":")
    return (
        f"{kind}:{Path(where).name}"
        if colon and ("/" in where or "\\" in where)
        else kind + colon + where
    )


def text_table(rows: list[RunRow]) -> str:
    """An aligned plain-text table (what `tfnote runs` prints)."""
    table = [list(COLUMNS)] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    right = {3, 7, 8}  # numbers
    lines = []
    for line in table:
        parts = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))
        ]
        lines.append("  ".join(parts).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def to_json(rows: list[RunRow]) -> str:
    return json.dumps([r.to_dict() for r in rows], indent=2) + "\n"


def to_csv(rows: list[RunRow]) -> str:
    out = io.StringIO()
    fields = [f.name for f in dataclasses.fields(RunRow)]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(r.to_dict() for r in rows)
    return out.getvalue()
