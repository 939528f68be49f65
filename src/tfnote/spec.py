"""A training spec: everything that defines one run of the six steps, as plain data.

Presets (tfnote/presets/*.toml) are specs with names; the CLI's flags override fields.
Every spec, however it is made (a preset, a TOML file, flags, a spec.json read back, Python
code), is checked field by field when it is made: a wrong type or value stops with one line
that names the field, before any data or TensorFlow loads.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import math
import os
import tomllib
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tfnote.augment import AUGMENTATIONS
from tfnote.data import DatasetRef, check_options
from tfnote.errors import TfnoteError
from tfnote.losses import CLASS_LOSSES, NUMBER_LOSSES
from tfnote.models import ModelRef
from tfnote.optimizers import OPTIMIZERS
from tfnote.schedules import schedule_problem

VALIDATIONS = ("test", "split", "none")
# What a file without `preset =` must set: the Spec's defaults (MNIST pixels, scale 1.0)
# are no course program's, so an empty file would train on raw 0-255 pixels unawares.
REQUIRED_WITHOUT_PRESET = ("dataset", "model", "scale")


@dataclass
class Spec:
    name: str = "custom"
    title: str = ""
    # 1-2: data
    dataset: DatasetRef = DatasetRef("mnist")  # text ("image-folder:DIR") is parsed
    dataset_args: dict = field(default_factory=dict)
    data_dir: str | None = None
    scale: float = 1.0  # inputs are multiplied by this (1/255 for images)
    train_limit: int | None = None  # use only the first N training samples (quick runs)
    test_limit: int | None = None
    augment: str | None = None  # name of an augmentation preset (tfnote.augment)
    # 3: model
    model: ModelRef = ModelRef("mlp")  # text ("mlp", "FILE.py:FUNC") is parsed
    model_args: dict = field(default_factory=dict)
    # 4: compile
    optimizer: str = "adam"
    lr: float = 0.001
    optimizer_args: dict = field(default_factory=dict)
    loss: str = "sparse_categorical_crossentropy"
    from_logits: bool = False
    label_smoothing: float = 0.0  # targets 1 - s + s/K and s/K (sparse cross entropy only)
    metrics: list[str] = field(default_factory=lambda: ["sparse_categorical_accuracy"])
    # 5: fit
    epochs: int = 5
    batch_size: int = 32
    validation: str = "test"  # "test": the test set; "split": the last validation_split
    validation_split: float = 0.2
    validation_freq: int = 1
    shuffle: bool = True
    seed: int = 1
    monitor: str | None = None  # checkpoint on this log key; default val_loss, else loss
    lr_schedule: dict | None = None  # e.g. {"type": "plateau", "factor": 0.5, "patience": 3}
    # {"patience": 10}: stop once the checkpoint's monitored value (val_loss) has not improved
    # for that many epochs, and evaluate the best epoch's weights (tfnote.train.early_stop)
    early_stopping: dict | None = None
    # speed: compile the train step with XLA and run many steps per call
    jit_compile: bool = True
    steps_per_execution: int = 64
    mixed_precision: bool = False  # used only where a GPU is present

    def __post_init__(self) -> None:
        if isinstance(self.data_dir, os.PathLike):  # a Path from Python code; spec.json wants text
            self.data_dir = str(self.data_dir)
        for f in dataclasses.fields(self):
            setattr(self, f.name, _typed(f.name, getattr(self, f.name), _hints()[f.name]))
        self.check()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (spec.json): the dataset and the model as their text, as ever."""
        data = {f.name: copy.deepcopy(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {**data, "dataset": str(self.dataset), "model": str(self.model)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str | Path | None = None) -> Spec:
        """A spec from plain data (a preset's table, spec.json); errors name `where`."""
        try:
            if not isinstance(data, dict):
                raise TfnoteError(f"not a table of spec fields (got {_shown(data)})")
            known = {f.name for f in dataclasses.fields(cls)}
            unknown = set(data) - known - {"aliases", "course"}
            if unknown:
                raise TfnoteError(f"unknown spec field(s): {', '.join(sorted(unknown))}")
            return cls(**{k: v for k, v in data.items() if k in known})
        except TfnoteError as e:
            raise TfnoteError(f"{where}: {e}" if where else str(e)) from None

    def replace(self, **changes: Any) -> Spec:
        return dataclasses.replace(self, **changes)  # checked like any new spec

    def log_keys(self) -> list[str]:
        """The values every epoch logs: what `monitor` may name."""
        keys = ["loss", *self.metrics]
        return keys + ([f"val_{k}" for k in keys] if self.validation != "none" else [])

    def check(self) -> None:
        """The rules beyond each field's type: ranges, names, and fields that go together."""
        for name, rule in RULES.items():
            value = getattr(self, name)
            if value is not None and (problem := rule(value)):
                raise TfnoteError(problem)
        self.model.check()
        if self.monitor is not None and self.monitor not in self.log_keys():
            raise TfnoteError(
                f"monitor must be a value the run logs: {', '.join(self.log_keys())}"
                f" (got {self.monitor!r})"
            )
        check_options(self.dataset, self.dataset_args)


# --- what each field takes ------------------------------------------------------------------

# A field's type in words, for the one line that refuses a value of another type.
WORDS: dict[type, str] = {
    bool: "true or false",
    int: "a whole number",
    float: "a finite number",
    str: "text",
    dict: "a table of settings",
    list: 'a list of names, such as ["accuracy"]',
    DatasetRef: 'a dataset, such as "mnist" or "image-folder:DIR"',
    ModelRef: 'a model, such as "mlp" or "FILE.py:FUNCTION"',
}


@functools.cache
def _hints() -> dict[str, Any]:
    return typing.get_type_hints(Spec)


def _typed(name: str, value: Any, hint: Any) -> Any:
    """`value` as field `name` of type `hint` holds it, or an error that names the field.

    Exact types only: TOML's `true` is no batch size, and 1.5 no number of epochs.
    """
    options = typing.get_args(hint)
    if type(None) in options:  # X | None
        if value is None:
            return None
        hint = next(t for t in options if t is not type(None))
    kind = typing.get_origin(hint) or hint
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind in (DatasetRef, ModelRef):
        if isinstance(value, kind):
            return value
        if isinstance(value, str) and value:
            return kind.parse(value)
    elif kind is float:
        if number and math.isfinite(value):
            return float(value)
    elif kind is int:
        if number and isinstance(value, int):
            return value
    elif kind is list:
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return list(value)
    elif isinstance(value, kind):
        return value
    raise TfnoteError(f"{name} must be {WORDS[kind]} (got {_shown(value)})")


def _shown(value: Any) -> str:
    """A value as a TOML file or spec.json writes it: "no", true, 1.5."""
    return json.dumps(value, ensure_ascii=False, default=str)[:60]


def _rule(test: Callable[[Any], bool], message: str) -> Callable[[Any], str | None]:
    """A rule: `message` (with the value as {v}) when `test` fails."""
    return lambda v: None if test(v) else message.format(v=v)


def _at_least_1(name: str) -> Callable[[Any], str | None]:
    return _rule(lambda v: v >= 1, name + " must be at least 1 (got {v})")


def _stopping(stopping: dict) -> str | None:
    patience = stopping.get("patience")
    if set(stopping) == {"patience"} and type(patience) is int and patience >= 1:
        return None
    return f"early_stopping takes patience, a whole number of epochs >= 1 (got {stopping})"


# field -> its rule: the problem with a value of the right type, or None. Fields left out
# take any value of their type.
RULES: dict[str, Callable[[Any], str | None]] = {
    **{name: _at_least_1(name) for name in ("epochs", "batch_size", "validation_freq")},
    **{name: _at_least_1(name) for name in ("steps_per_execution", "train_limit", "test_limit")},
    "seed": _rule(lambda v: 0 <= v < 2**32, "seed must be within 0 .. 2**32 - 1 (got {v})"),
    "lr": _rule(lambda v: v > 0, "lr (the learning rate) must be positive (got {v:g})"),
    "scale": _rule(lambda v: v != 0, "scale must be a finite, non-zero number (got {v:g})"),
    "validation_split": _rule(
        lambda v: 0 < v < 1, "validation_split must be between 0 and 1 (got {v:g})"
    ),
    "label_smoothing": _rule(lambda v: 0 <= v < 1, "label_smoothing must be in [0, 1) (got {v:g})"),
    "validation": _rule(
        lambda v: v in VALIDATIONS, "validation must be test, split or none (got {v!r})"
    ),
    "optimizer": _rule(
        lambda v: v.lower() in OPTIMIZERS,
        "unknown optimizer {v!r}; choose from " + ", ".join(OPTIMIZERS),
    ),
    "loss": _rule(
        lambda v: v in CLASS_LOSSES + NUMBER_LOSSES,
        f"unknown loss {{v!r}}; for class labels use {', '.join(CLASS_LOSSES)},"
        f" for numbers one of {', '.join(NUMBER_LOSSES)}",
    ),
    "lr_schedule": schedule_problem,  # an unknown type or setting
    "augment": _rule(
        lambda v: v in AUGMENTATIONS,
        "unknown augmentation {v!r}; choose from " + ", ".join(AUGMENTATIONS),
    ),
    "early_stopping": _stopping,
}


def _tables(text: str, where: str) -> dict[str, dict[str, Any]]:
    """The presets of one TOML file; its [defaults] table applies to each of them."""
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise TfnoteError(f"{where}: not valid TOML ({e})") from None
    defaults = tables.pop("defaults", {})
    return {name: {**defaults, **table, "name": name} for name, table in tables.items()}


def _preset_tables() -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    for entry in sorted(resources.files("tfnote.presets").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            tables.update(_tables(entry.read_text(encoding="utf-8"), entry.name))
    return tables


def presets() -> dict[str, dict[str, Any]]:
    """Preset name -> its table (with `title`, `course`, `aliases`, and spec fields)."""
    return _preset_tables()


# Datasets a learner brings: a run on them is never on its preset's course dataset.
OWN_DATA = ("image-label", "image-folder")


def on_course_data(spec: Spec) -> bool:
    """Whether `spec` trains on the dataset its preset was made (and titled) for.

    Only then do its preset's title and the course's published number describe the run.
    A spec of one's own (no built-in preset of that name) keeps its title unless it trains
    on a learner's own images.
    """
    if spec.dataset.kind in OWN_DATA:
        return False
    table = _preset_tables().get(spec.name)
    return table is None or spec.dataset == DatasetRef.parse(table.get("dataset", "mnist"))


def get_preset(name: str) -> Spec:
    """The spec of preset `name` (or one of its aliases, such as the course's "p16").

    A name ending in .toml is a file of your own: spec fields at its top level, and
    optionally `preset = "p14"` to start from a built-in preset.
    """
    if name.endswith(".toml"):
        return read_spec_file(name)
    tables = _preset_tables()
    for preset_name, table in tables.items():
        if name == preset_name or name in table.get("aliases", ()):
            return Spec.from_dict(table)
    raise TfnoteError(f"unknown preset {name!r}; `tfnote presets` lists them")


def read_spec_file(path: str | Path) -> Spec:
    """A user's experiment file: the fields of a preset, checked like the built-in ones."""
    path = Path(path)
    try:
        fields = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise TfnoteError(f"{path}: cannot read ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise TfnoteError(f"{path}: not valid TOML ({e})") from None
    known = {f.name for f in dataclasses.fields(Spec)} | {"aliases", "course", "preset"}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise TfnoteError(f"{path}: unknown field {unknown[0]!r} (see `tfnote train --help`)")
    base = fields.pop("preset", None)
    if not isinstance(base, str | None):
        raise TfnoteError(
            f'{path}: preset must be a preset name such as "p14" (got {_shown(base)})'
        )
    missing = [] if base else [name for name in REQUIRED_WITHOUT_PRESET if name not in fields]
    if missing:
        raise TfnoteError(
            f'{path}: no preset = "NAME" to start from, so the file must set'
            f" {', '.join(REQUIRED_WITHOUT_PRESET)} (missing: {', '.join(missing)})"
        )
    start = get_preset(base).to_dict() if base else {}
    if isinstance(fields.get("model"), str) and fields["model"]:  # a file beside this one
        fields["model"] = ModelRef.parse(fields["model"]).beside(path.parent)
    return Spec.from_dict({**start, "name": path.stem, **fields}, where=path)
