"""A training spec: everything that defines one run of the six steps, as plain data.

Presets (tfnote/presets/*.toml) are specs with names; the CLI's flags override fields.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tfnote.errors import TfnoteError

LR_SCHEDULES = ("plateau", "cosine", "warmup-decay")
OPTIMIZERS = (
    "sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "adadelta", "adamax", "conv_muon",
)  # fmt: skip
# Keras losses that fit tfnote's data: integer class labels, or numbers to predict.
CLASS_LOSSES = ("sparse_categorical_crossentropy",)
NUMBER_LOSSES = (
    "mean_squared_error", "mse", "mean_absolute_error", "mae", "huber", "log_cosh",
    "mean_squared_logarithmic_error", "msle", "mean_absolute_percentage_error", "mape",
)  # fmt: skip
# What a file without `preset =` must set: the Spec's defaults (MNIST pixels, scale 1.0)
# are no course program's, so an empty file would train on raw 0-255 pixels unawares.
REQUIRED_WITHOUT_PRESET = ("dataset", "model", "scale")


@dataclass
class Spec:
    name: str = "custom"
    title: str = ""
    # 1-2: data
    dataset: str = "mnist"
    dataset_args: dict = field(default_factory=dict)
    data_dir: str | None = None
    scale: float = 1.0  # inputs are multiplied by this (1/255 for images)
    train_limit: int | None = None  # use only the first N training samples (quick runs)
    test_limit: int | None = None
    augment: str | None = None  # name of an augmentation preset (tfnote.augment)
    # 3: model
    model: str = "mlp"
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
        if self.data_dir is not None:  # a Path from Python code; spec.json wants text
            self.data_dir = str(self.data_dir)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Spec:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known - {"aliases", "course"}
        if unknown:
            raise TfnoteError(f"unknown spec field(s): {', '.join(sorted(unknown))}")
        spec = cls(**{k: v for k, v in data.items() if k in known})
        spec.check()
        return spec

    def replace(self, **changes: Any) -> Spec:
        spec = dataclasses.replace(self, **changes)
        spec.check()
        return spec

    def check(self) -> None:
        """Reject values that would fail deep inside Keras with a one-line reason instead."""
        if self.epochs < 1:
            raise TfnoteError(f"epochs must be at least 1 (got {self.epochs})")
        if self.batch_size < 1:
            raise TfnoteError(f"batch size must be at least 1 (got {self.batch_size})")
        if self.optimizer.lower() not in OPTIMIZERS:
            raise TfnoteError(
                f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMIZERS)}"
            )
        if self.loss not in CLASS_LOSSES + NUMBER_LOSSES:
            raise TfnoteError(
                f"unknown loss {self.loss!r}; for class labels use {', '.join(CLASS_LOSSES)},"
                f" for numbers one of {', '.join(NUMBER_LOSSES)}"
            )
        if not (math.isfinite(self.scale) and self.scale != 0):
            raise TfnoteError(f"scale must be a finite, non-zero number (got {self.scale})")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise TfnoteError(f"learning rate must be a positive number (got {self.lr})")
        if self.validation not in ("test", "split", "none"):
            raise TfnoteError(f"validation must be test, split or none (got {self.validation!r})")
        if not 0 < self.validation_split < 1:
            raise TfnoteError(
                f"validation split must be between 0 and 1 (got {self.validation_split})"
            )
        if self.validation_freq < 1:
            raise TfnoteError(
                f"validation frequency must be at least 1 (got {self.validation_freq})"
            )
        for limit in (self.train_limit, self.test_limit):
            if limit is not None and limit < 1:
                raise TfnoteError(f"data limits must be at least 1 (got {limit})")
        model_file = self.model.rpartition(":")[0] if ".py:" in self.model else None
        if model_file and not Path(model_file).is_file():
            raise TfnoteError(f"model file {model_file} not found")
        kind = (self.lr_schedule or {}).get("type")
        if self.lr_schedule is not None and kind not in LR_SCHEDULES:
            raise TfnoteError(
                f"unknown lr_schedule type {kind!r}; choose from {', '.join(LR_SCHEDULES)}"
            )
        if not 0 <= self.label_smoothing < 1:
            raise TfnoteError(f"label smoothing must be in [0, 1) (got {self.label_smoothing})")
        if not 0 <= self.seed < 2**32:
            raise TfnoteError(f"seed must be within 0 .. 2**32 - 1 (got {self.seed})")
        if self.early_stopping is not None:
            stopping = self.early_stopping if isinstance(self.early_stopping, dict) else {}
            patience = stopping.get("patience")
            if set(stopping) != {"patience"} or not (isinstance(patience, int) and patience >= 1):
                raise TfnoteError(
                    f"early_stopping takes patience, a whole number of epochs >= 1 "
                    f"(got {self.early_stopping})"
                )


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
    if spec.dataset.partition(":")[0] in OWN_DATA:
        return False
    table = _preset_tables().get(spec.name)
    return table is None or spec.dataset == table.get("dataset", Spec.dataset)


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
    missing = [] if base else [name for name in REQUIRED_WITHOUT_PRESET if name not in fields]
    if missing:
        raise TfnoteError(
            f'{path}: no preset = "NAME" to start from, so the file must set'
            f" {', '.join(REQUIRED_WITHOUT_PRESET)} (missing: {', '.join(missing)})"
        )
    start = get_preset(base).to_dict() if base else {}
    if ".py:" in str(fields.get("model", "")):  # a model file beside the experiment file
        file, _, func = fields["model"].rpartition(":")
        fields["model"] = f"{(path.parent / file).resolve()}:{func}"
    try:
        return Spec.from_dict({**start, "name": path.stem, **fields})
    except (TypeError, TfnoteError) as e:  # a wrong value, or one of the wrong type
        raise TfnoteError(f"{path}: {e}") from None
