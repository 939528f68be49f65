"""The typed records of a run folder: model.json, state.json, metrics.json, forecast.json.

Each record is a dataclass with `to_dict()` (what the file holds, with "schema": SCHEMA) and
`from_dict(d, path)`, which reads today's files and those of earlier releases (no "schema":
0.1 as of commit 3b6d3fe, and c154d89 with "images" and early stopping), and refuses a
damaged one in one line that names the file.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfnote.data.letters import LetterFacts
from tfnote.data.looks import ImageLooks
from tfnote.data.prices import PriceFacts
from tfnote.errors import TfnoteError

SCHEMA = 2  # version 1: the unversioned records before it


def damaged(path: Path | str, why: str) -> TfnoteError:
    return TfnoteError(f"{path}: damaged ({why})")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _check(d: dict, path: Path | str, types: dict[str, tuple]) -> None:
    """Each key present in `d` has one of its listed kinds (None allowed when listed)."""
    checks = {int: _is_int, float: _is_number, str: lambda v: isinstance(v, str),
              list: lambda v: isinstance(v, list), dict: lambda v: isinstance(v, dict),
              bool: lambda v: isinstance(v, bool), None: lambda v: v is None}  # fmt: skip
    for key, kinds in types.items():
        if key in d and not any(checks[k](d[key]) for k in kinds):
            raise damaged(path, f"{key} is {d[key]!r:.40}")


# --- model.json ------------------------------------------------------------------------------


@dataclass
class FolderFacts:
    """How an image-label or class-folder dataset was split into training and test images."""

    layout: str
    train_cache: str | None = None
    test_cache: str | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


TaskFacts = PriceFacts | LetterFacts | FolderFacts


def task_facts(d: Any, path: Path | str = "model.json") -> TaskFacts | None:
    """The dataset's own facts (model.json's "info"): prices, letters or image folders."""
    if not isinstance(d, dict) or not d:
        return None
    kind = d.get("kind")
    try:
        if kind == "prices":
            return PriceFacts.from_dict(d)
        if kind == "letters":
            return LetterFacts(alphabet=d["alphabet"], window=d["window"],
                               encoding=d.get("encoding", "onehot"))  # fmt: skip
        if isinstance(d.get("layout"), str):
            return FolderFacts(d["layout"], d.get("train_cache"), d.get("test_cache"))
    except (KeyError, TfnoteError) as e:
        raise damaged(path, f"info: {e}") from None
    return None  # facts of a dataset this release does not know: nothing to use


@dataclass
class ModelInfo:
    """model.json: what a reader needs to use the model without the training script."""

    input_shape: tuple[int, ...]
    num_classes: int
    class_names: list[str] | None = None
    scale: float | None = 1.0  # what the inputs were multiplied by (None: not recorded)
    params: int | None = None
    title: str = ""
    built_by: str = ""  # "preset mnist" or "own model"
    model_class: str | None = None
    model: str | None = None  # the preset's builder, to rebuild it without model.keras
    model_args: dict = field(default_factory=dict)
    dataset: str | None = None
    data_source: str | None = None
    images: ImageLooks | None = None  # how the training images look (image models)
    task: TaskFacts | None = None  # the dataset's own facts (model.json's "info")

    @property
    def names(self) -> list[str]:
        """The class names, or the class numbers as text when the run has none."""
        return list(self.class_names or [str(i) for i in range(self.num_classes)])

    @property
    def prices(self) -> PriceFacts | None:
        return self.task if isinstance(self.task, PriceFacts) else None

    @property
    def letters(self) -> LetterFacts | None:
        return self.task if isinstance(self.task, LetterFacts) else None

    def to_dict(self) -> dict:
        d = {"schema": SCHEMA, **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)}}
        d["input_shape"] = list(self.input_shape)
        d["images"] = self.images.to_dict() if self.images else None
        d["info"] = self.task.to_dict() if self.task else None
        del d["task"]
        return {k: v for k, v in d.items() if v is not None or k == "scale"}

    @classmethod
    def from_dict(cls, d: dict, path: Path | str = "model.json") -> ModelInfo:
        shape = d.get("input_shape")
        if not (isinstance(shape, list) and shape and all(_is_int(n) and n > 0 for n in shape)):
            raise damaged(path, "no input_shape" if shape is None else f"input_shape {shape!r:.40}")
        _check(d, path, {"num_classes": (int,), "class_names": (list, None),
                         "scale": (float, None), "params": (int, None), "title": (str, None),
                         "built_by": (str, None), "model": (str, None), "model_args": (dict, None),
                         "dataset": (str, None), "data_source": (str, None)})  # fmt: skip
        names = d.get("class_names")
        if names is not None and not all(isinstance(n, str) for n in names):
            raise damaged(path, "class_names are not all text")
        classes = d.get("num_classes", len(names or ()))
        return cls(
            input_shape=tuple(shape),
            num_classes=classes,
            class_names=names,
            # null: a script did not say how it scaled; no key: from before scale was kept
            scale=None if d.get("scale", 1.0) is None else float(d.get("scale", 1.0)),
            params=d.get("params"),
            title=d.get("title") or "",
            built_by=d.get("built_by") or "",
            model_class=d.get("model_class"),
            model=d.get("model"),
            model_args=d.get("model_args") or {},
            dataset=d.get("dataset"),
            data_source=d.get("data_source"),
            images=ImageLooks.from_dict(d.get("images")),
            task=task_facts(d.get("info"), path),
        )


# --- state.json ------------------------------------------------------------------------------


@dataclass
class ResumeState:
    """state.json: where training stands, so that it can go on after a stop."""

    epoch: int = 0  # epochs done
    history: list[dict] = field(default_factory=list)  # one row of Keras's logs per epoch
    best: float | None = None  # the best value of `monitor` so far
    best_epoch: int | None = None
    monitor: str | None = None
    checkpoint: str | None = None  # checkpoints/epoch-NNNN.weights.h5 of the last save
    train_seconds: float = 0.0
    data_fingerprint: str | None = None  # the data trained on: a continuation must match
    signature: list[list[int]] | None = None  # each weight's shape: the same network
    scaled_down: str | None = None  # how a preset run is smaller than its preset

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, d: dict, path: Path | str = "state.json") -> ResumeState:
        if not _is_int(d.get("epoch")) or not isinstance(d.get("history"), list):
            raise damaged(path, "no epoch count or history; use --fresh")
        _check(d, path, {"best": (float, None), "best_epoch": (int, None),
                         "monitor": (str, None), "checkpoint": (str, None),
                         "train_seconds": (float, None), "data_fingerprint": (str, None),
                         "signature": (list, None), "scaled_down": (str, None)})  # fmt: skip
        known = {f.name for f in dataclasses.fields(cls)}
        state = cls(**{k: v for k, v in d.items() if k in known and v is not None})
        state.train_seconds = float(state.train_seconds)
        return state


# --- metrics.json ----------------------------------------------------------------------------

MEASURED_ON = ("test", "validation", "train", "validation (last epoch)", "last epoch")


def headline_of(scores: dict[str, float]) -> str | None:
    """The score that says how good a run is: an accuracy if it has one, else its loss; the
    validation's when the scores are an epoch's logs with validation (val_accuracy)."""
    side = "val_" if any(k.startswith("val_") for k in scores) else ""
    own = [k for k in scores if k.startswith(side) and (side or not k.startswith("val_"))]
    for key in (side + "accuracy", *(k for k in own if "acc" in k[len(side) :])):
        if key in scores:
            return key
    return side + "loss" if side + "loss" in scores else None


def _scores(d: dict, facts: set[str]) -> dict[str, float]:
    return {k: float(v) for k, v in d.items() if k not in facts and _is_number(v)}


@dataclass
class BestScores:
    """The best epoch's scores, when the run's metrics are another epoch's."""

    epoch: int
    scores: dict[str, float]

    def to_dict(self) -> dict:
        return {"epoch": self.epoch, **self.scores}


@dataclass
class Metrics:
    """metrics.json: the final scores, which of them is the headline, and what was measured.

    `evaluated_on` is "test", "validation" or "train" (tfnote train evaluates), or "last
    epoch" / "validation (last epoch)" (a script's RunFolder keeps the last epoch's logs).
    """

    evaluated_on: str | None
    scores: dict[str, float]  # Keras's names: loss, accuracy, val_loss...
    headline: str | None  # the key of `scores` that says how good the run is
    epochs: int = 0
    train_seconds: float | None = None
    params: int | None = None
    best_epoch: int | None = None
    monitor: str | None = None
    scored_epoch: int | None = None  # which epoch's weights were scored
    best: BestScores | None = None  # the best epoch's scores (predict's weights), if not these
    stopped_early: int | None = None  # the epoch early stopping ended on
    scaled_down: str | None = None

    FACTS = ("schema", "headline", "evaluated_on", "epochs", "train_seconds", "params",
             "best_epoch", "monitor", "scored_epoch", "best", "stopped_early",
             "scaled_down")  # fmt: skip

    @property
    def value(self) -> float | None:
        return self.scores.get(self.headline) if self.headline else None

    @property
    def accuracy(self) -> float | None:
        """The headline accuracy, or None when the headline is a loss."""
        return self.value if self.headline and "acc" in self.headline else None

    @property
    def loss(self) -> float | None:
        side = "val_" if (self.headline or "").startswith("val_") else ""
        return self.scores.get(side + "loss")

    def to_dict(self) -> dict:
        d = {"schema": SCHEMA, "headline": self.headline, "evaluated_on": self.evaluated_on,
             **self.scores}  # fmt: skip
        for name in self.FACTS[3:]:
            value = getattr(self, name)
            d[name] = value.to_dict() if isinstance(value, BestScores) else value
        return {k: v for k, v in d.items() if v is not None or k in ("best_epoch", "monitor")}

    @classmethod
    def from_dict(cls, d: dict, path: Path | str = "metrics.json") -> Metrics:
        """Also what `tfnote train` and RunFolder hand over: the headline is chosen here,
        once, when the record has none (when it is written, or an earlier release wrote it)."""
        _check(d, path, {"evaluated_on": (str, None), "headline": (str, None),
                         "epochs": (int,), "train_seconds": (float, None), "params": (int, None),
                         "best_epoch": (int, None), "monitor": (str, None),
                         "scored_epoch": (int, None), "best": (dict, None),
                         "stopped_early": (int, None), "scaled_down": (str, None)})  # fmt: skip
        scores = _scores(d, set(cls.FACTS))
        headline = d["headline"] if "headline" in d else headline_of(scores)
        on = d.get("evaluated_on")
        if "headline" not in d and on == "last epoch" and (headline or "").startswith("val_"):
            on = "validation (last epoch)"  # what an earlier release's last epoch measured
        best = d.get("best")
        if isinstance(best, dict) and _is_int(best.get("epoch")):
            best = BestScores(best["epoch"], _scores(best, {"epoch", "evaluated_on"}))
        else:
            best = None
        return cls(
            evaluated_on=on,
            scores=scores,
            headline=headline,
            epochs=d.get("epochs", 0),
            train_seconds=d.get("train_seconds"),
            params=d.get("params"),
            best_epoch=d.get("best_epoch"),
            monitor=d.get("monitor"),
            scored_epoch=d.get("scored_epoch"),
            best=best,
            stopped_early=d.get("stopped_early"),
            scaled_down=d.get("scaled_down"),
        )


# --- forecast.json ---------------------------------------------------------------------------


@dataclass
class ForecastRecord:
    """forecast.json (tfnote.forecast): a price run's scores in price units and its verdict."""

    scores: dict[str, dict[str, float]]  # "model", "naive <column>" -> {"rmse": ..., "mae"...}
    verdict: str | None = None  # better / no better / worse than naive
    summary: str | None = None  # the verdict in a sentence
    target: str | None = None
    selected_on: str | None = None
    p_value: float | None = None
    dm_statistic: float | None = None
    best_naive: str | None = None
    beats_naive: bool | None = None
    selection: str | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # the file scored: name, filter, rows, dates
    dates: list[str] = field(default_factory=list)
    real: list[float] = field(default_factory=list)
    predicted: list[float] = field(default_factory=list)
    naive: dict[str, list[float]] = field(default_factory=dict)

    @property
    def rmse(self) -> float | None:
        """The model's RMSE in price units."""
        return self.scores.get("model", {}).get("rmse")

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, d: dict, path: Path | str = "forecast.json") -> ForecastRecord:
        scores = d.get("scores", {})
        if not isinstance(scores, dict) or not all(isinstance(v, dict) for v in scores.values()):
            raise damaged(path, "scores")
        _check(d, path, {"verdict": (str, None), "summary": (str, None)})
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known and v is not None})
