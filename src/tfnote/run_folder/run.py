"""`Run`: one run folder, its path held once, its records read once and typed."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from tfnote import atomic
from tfnote.errors import TfnoteError
from tfnote.run_folder import folder as files
from tfnote.run_folder.folder import (
    BEST,
    CURVES,
    FORECAST,
    FORECAST_PLOT,
    FREE_FIELDS,
    HISTORY,
    INFO,
    LOCK,
    METRICS,
    SPEC,
    STATE,
    TENSORBOARD,
    WEIGHTS_TXT,
)
from tfnote.run_folder.records import ForecastRecord, Metrics, ModelInfo, ResumeState
from tfnote.spec import Spec


def open_run(path: str | os.PathLike) -> Run:
    """The run folder `path` (made by `tfnote train` or a script's tfnote.RunFolder).

    Each record says, when asked for, that it is missing or damaged.
    """
    run = Run(path)
    if not run.path.is_dir():
        raise TfnoteError(f"{run.path}: no such run folder")
    return run


class Run:
    """A run folder. Each record is read when first asked for, then kept:

        spec      Spec | None        spec.json: the preset's settings (None: your own script)
        info      ModelInfo          model.json: input shape, classes, scale, dataset, images
        state     ResumeState | None state.json: epochs done, history, best, checkpoint
        metrics   Metrics | None     metrics.json: the final scores and their headline
        history   list[dict]         one row of Keras's logs per epoch
        forecast  ForecastRecord | None   forecast.json of a price run

    `load_model("best" | "last")` gives the trained model. A damaged record raises
    TfnoteError in one line naming its file.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    # --- the records ---------------------------------------------------------------------

    @cached_property
    def spec(self) -> Spec | None:
        files.check_spec_is_a_file(self.path)
        path = self.path / SPEC
        if not path.is_file():
            return None
        data = files.read_dict(path)
        try:
            return Spec.from_dict(data)
        except TfnoteError as e:
            raise TfnoteError(f"{path}: damaged ({e})") from None

    @property
    def has_spec(self) -> bool:
        """Made by `tfnote train` (a preset's spec.json), not by a script of one's own."""
        return (self.path / SPEC).exists()

    def require_spec(self) -> Spec:
        """The spec, for what only a preset run can do (rerun it, score its forecast)."""
        if self.spec is None:
            if self.has_info:
                raise TfnoteError(
                    f"{self.path} was trained by your own script (tfnote.RunFolder); run the"
                    " script again to continue it"
                )
            raise TfnoteError(f"{self.path} is not a run folder (no {SPEC})")
        return self.spec

    @property
    def has_info(self) -> bool:
        return (self.path / INFO).is_file()

    @cached_property
    def info(self) -> ModelInfo:
        if not self.path.is_dir():
            raise TfnoteError(f"{self.path}: no such run folder")
        if not self.has_info:
            raise TfnoteError(
                f"{self.path} is not a trained run folder (no {INFO}); train it first"
            )
        return ModelInfo.from_dict(files.read_dict(self.path / INFO), self.path / INFO)

    @cached_property
    def state(self) -> ResumeState | None:
        """The resume state, or None when no epoch has been saved yet."""
        path = self.path / STATE
        return ResumeState.from_dict(files.read_dict(path), path) if path.is_file() else None

    @cached_property
    def metrics(self) -> Metrics | None:
        path = self.path / METRICS
        return Metrics.from_dict(files.read_dict(path), path) if path.is_file() else None

    @cached_property
    def history(self) -> list[dict]:
        """The per-epoch rows: history.json of a finished run, else the resume state's."""
        if (self.path / HISTORY).is_file():
            path, history = self.path / HISTORY, files.read_json(self.path / HISTORY)
        else:
            path = self.path / STATE
            if not self.state or not self.state.history:
                raise TfnoteError(f"{self.path} has no history yet (no epoch has finished)")
            history = self.state.history
        if not isinstance(history, list) or not history:
            raise TfnoteError(f"{path}: damaged (expected a list of epochs)")
        for number, row in enumerate(history, start=1):  # else curves draws an empty figure
            if not (isinstance(row, dict) and isinstance(row.get("epoch"), int) and "loss" in row):
                raise TfnoteError(
                    f"{path}: damaged (epoch row {number} has no epoch number or loss)"
                )
        if not any(isinstance(row["loss"], int | float) for row in history):  # all null (NaN)
            raise TfnoteError(f"{path}: damaged (no epoch has a loss value)")
        return history

    @cached_property
    def forecast(self) -> ForecastRecord | None:
        """A price run's forecast.json (written by tfnote.forecast), or None."""
        path = self.path / FORECAST
        return ForecastRecord.from_dict(files.read_dict(path), path) if path.is_file() else None

    @property
    def title(self) -> str:
        """What figures call the run: the preset's title, or the folder's name."""
        if self.spec is not None:
            return self.spec.title or self.spec.name
        return self.info.title or self.path.name

    def load_model(self, which: str = "best"):
        """The model with the best epoch's weights (best.weights.h5) or the last saved ones."""
        return files.load_model(self.path, self.info, self.state, which)

    @property
    def has_weights(self) -> bool:
        return (self.path / BEST).is_file() or self.state is not None

    # --- the other files -------------------------------------------------------------------

    @property
    def best_path(self) -> Path:
        return self.path / BEST

    @property
    def curves_path(self) -> Path:
        return self.path / CURVES

    @property
    def forecast_plot_path(self) -> Path:
        return self.path / FORECAST_PLOT

    @property
    def weights_txt_path(self) -> Path:
        return self.path / WEIGHTS_TXT

    @property
    def tensorboard_dir(self) -> Path:
        return self.path / TENSORBOARD

    @property
    def has_lock_file(self) -> bool:
        return (self.path / LOCK).exists()

    def last_saved(self) -> float | None:
        """When the run last wrote its state (or, before its first epoch, model.json), or None."""
        times = [p.stat().st_mtime for p in (self.path / STATE, self.path / INFO) if p.is_file()]
        return max(times, default=None)

    def is_running(self) -> bool:
        """Whether some process holds the folder's lock (is training into it now)."""
        return files.is_running(self.path)

    def plot_curves(self, out: Path | None = None, heading: str = "") -> Path:
        """curves.png (or `out`) from the history, validation named for what it is."""
        out = out or self.curves_path
        on_test = self.spec is not None and self.spec.validation == "test"
        best = self.state.best_epoch if self.state else None
        files.plot_curves(self.history, out, heading or self.title, on_test, best)
        return out

    # --- starting and continuing ---------------------------------------------------------

    def check_spec(self, spec: Spec, fresh: bool) -> int:
        """Epochs already done here for `spec` (0 for a new run); changes nothing on disk.

        Refuses a folder that holds a run with other settings (more epochs are allowed).
        """
        if not fresh:  # (--fresh clears it)
            files.check_spec_is_a_file(self.path)
        state = None if fresh else self.state
        if state is None:
            return 0
        if (self.path / SPEC).is_file():
            old = files.read_dict(self.path / SPEC)
            new = spec.to_dict()
            changed = sorted(k for k in new if k not in FREE_FIELDS and old.get(k) != new[k])
            if changed:
                raise TfnoteError(
                    f"{self.path} holds a run with different settings ({', '.join(changed)}); "
                    "pass --fresh to start it over or --out to use another folder"
                )
        if spec.epochs < state.epoch:
            raise TfnoteError(
                f"{self.path} has already trained {state.epoch} epochs; ask for at least that many"
            )
        return state.epoch

    def same_settings(self, spec: Spec) -> bool:
        """Whether this folder's spec.json holds `spec`'s settings (epochs, title may differ)."""
        if self.spec is None:
            return False
        old, new = self.spec.to_dict(), spec.to_dict()
        return not any(old.get(k) != new[k] for k in new if k not in FREE_FIELDS)

    def lock(self) -> None:
        """Take the folder's lock for this process, or say which process trains into it."""
        files.lock(self.path)

    def release(self) -> None:
        files.release(self.path)

    def check_not_running(self) -> None:
        files.check_not_running(self.path)

    def clear(self) -> None:
        """Remove what an earlier run left, so a fresh one starts clean."""
        files.clear(self.path)
        self.forget()

    def forget(self) -> None:
        """Read the records from disk again when next asked for."""
        for name in ("spec", "info", "state", "metrics", "history", "forecast"):
            self.__dict__.pop(name, None)

    def clean_leftovers(self) -> None:
        files.clean_leftovers(self.path, self.state)

    # --- writing (tfnote.RunFolder, tfnote train, tfnote forecast) -----------------------

    def write_spec(self, spec: Spec) -> None:
        atomic.write_json(self.path / SPEC, spec.to_dict())
        self.__dict__["spec"] = spec

    def write_info(self, info: ModelInfo) -> None:
        atomic.write_json(self.path / INFO, info.to_dict())
        self.__dict__["info"] = info

    def write_metrics(self, metrics: Metrics) -> None:
        atomic.write_json(self.path / METRICS, metrics.to_dict())
        self.__dict__["metrics"] = metrics

    def write_forecast(self, forecast: ForecastRecord) -> Path:
        atomic.write_json(self.path / FORECAST, forecast.to_dict())
        self.__dict__["forecast"] = forecast
        return self.path / FORECAST

    def save_state(self, model, state: ResumeState, best_weights: list | None = None) -> None:
        """Checkpoint `model` for epoch state.epoch (and its best weights), then state.json."""
        files.save_state(self.path, model, state, best_weights)
        self.__dict__["state"] = state

    def load_checkpoint(self, model, state: ResumeState | None = None) -> None:
        """Load the last checkpoint's weights and optimizer state into a compiled model."""
        state = state or self.state
        if state is None:
            raise TfnoteError(f"{self.path} has no saved epoch yet")
        files.load_checkpoint(model, self.path, state)

    def write_artifacts(self, model, history: list[dict], title: str = "") -> None:
        """summary.txt, history.csv/json, weights.txt and curves.png of a live model."""
        on_test = self.spec is not None and self.spec.validation == "test"
        best = self.state.best_epoch if self.state else None
        files.write_artifacts(
            self.path, model, history, heading=title or self.title, on_test=on_test, best_epoch=best
        )
        self.__dict__.pop("history", None)

    def save_model(self, model) -> str | None:
        """Write model.keras; None, or one line saying why Keras cannot save this model."""
        return files.save_model(self.path, model)
