"""Datasets: one function per dataset, each returning ready NumPy arrays in a `Data`.

    >>> from tfnote.data import load_dataset
    >>> data = load_dataset("mnist")                 # found on disk or downloaded
    >>> data = load_dataset("fashion", data_dir="/usr/share/datasets/fashion-mnist")

Image datasets come back as uint8 arrays shaped (N, height, width, channels); scaling
to [0, 1] happens in the training pipeline. Names with a colon carry an argument, for
example `image-label:PATH` for the course's self-made format.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfnote.errors import TfnoteError


@dataclass
class Data:
    """Train and test arrays plus what a model and a reader need to know about them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    class_names: list[str] | None = None
    source: str = ""  # where the arrays were read from, shown to the user
    name: str = ""  # the dataset's name as load_dataset was given it ("mnist", "prices:FILE")
    info: dict = field(default_factory=dict)  # extra facts a dataset wants to keep (scaler...)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.x_train.shape[1:])

    def fingerprint(self) -> str:
        """A short hash of the arrays' shapes and contents: the same data gives the same text."""
        import hashlib

        digest = hashlib.blake2b(digest_size=8)
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            if array is not None:
                array = np.ascontiguousarray(array)
                digest.update(f"{array.shape}{array.dtype}".encode())
                digest.update(array.data)
        return digest.hexdigest()

    @property
    def num_classes(self) -> int:
        if self.class_names:
            return len(self.class_names)
        return int(np.max(self.y_train)) + 1


# name -> "module:function". Strings, so that listing datasets imports nothing heavy.
# A loader takes (arg, data_dir, download) where `arg` is the text after "name:" or None.
DATASETS: dict[str, str] = {
    "iris": "tfnote.data.iris:load",
    "mnist": "tfnote.data.images:load_mnist",
    "fashion": "tfnote.data.images:load_fashion",
    "cifar10": "tfnote.data.images:load_cifar10",
    "image-label": "tfnote.data.imagelabel:load",
    "image-folder": "tfnote.data.imagelabel:load_folder",
    "prices": "tfnote.data.prices:load",
    "letters": "tfnote.data.letters:load",
}

ALIASES = {"fashion-mnist": "fashion", "fashion_mnist": "fashion", "cifar-10": "cifar10"}
# What the text after "kind:" is: a file or folder (made absolute by `train`, so `resume`
# finds it from any folder), or letters' alphabet. Other datasets take nothing there.
TAKES_PATH = ("image-label", "image-folder", "prices")
TAKES_ARG = (*TAKES_PATH, "letters")


@dataclass(frozen=True)
class DatasetRef:
    """A dataset as a spec or a flag names it: `mnist`, `image-folder:DIR`, `prices:FILE`.

    Parsed (and checked) once where the name is read; `str()` gives the text back, which
    is what spec.json and model.json keep.
    """

    kind: str  # a key of DATASETS, aliases resolved ("fashion-mnist" -> "fashion")
    arg: str | None = None  # the text after the colon, if any

    def __str__(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind

    @classmethod
    def parse(cls, text: str, check: bool = True) -> DatasetRef:
        """The reference `text` names; `check=False` reads a run's record as it is, so an
        unknown kind there (a folder from another release) still reads."""
        kind, _, arg = text.partition(":")
        ref = cls(ALIASES.get(kind, kind), arg or None)
        if check and ref.kind not in DATASETS:
            known = ", ".join(sorted(DATASETS))
            raise TfnoteError(f"unknown dataset {text!r}; known datasets: {known}")
        if check and ref.arg and ref.kind not in TAKES_ARG:
            raise TfnoteError(f"dataset {text!r}: {ref.kind} takes nothing after the colon")
        return ref

    def absolute(self) -> DatasetRef:
        """The same reference with an existing file or folder as an absolute path."""
        if self.kind in TAKES_PATH and self.arg and Path(self.arg).exists():
            return DatasetRef(self.kind, str(Path(self.arg).resolve()))
        return self


def _loader(kind: str) -> Callable[..., Data]:
    module, func = DATASETS[kind].split(":")
    return getattr(importlib.import_module(module), func)


def check_options(ref: DatasetRef, options: dict) -> None:
    """Refuse options the dataset's loader does not take: a preset's dataset_args meant for
    another dataset (prices' window on MNIST). Imports the loader's module, not TensorFlow."""
    params = inspect.signature(_loader(ref.kind)).parameters
    unknown = sorted(set(options) - set(params))
    if unknown and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        raise TfnoteError(
            f"dataset {str(ref)!r} takes no option {', '.join(unknown)} (the preset's settings "
            "for another dataset): pick a preset made for this dataset"
        )


def load_dataset(
    name: str | DatasetRef, data_dir: str | None = None, download: bool = True, **options
) -> Data:
    """Load dataset `name` ("mnist", "image-label:PATH", ...), searching `data_dir` first."""
    ref = name if isinstance(name, DatasetRef) else DatasetRef.parse(name)
    check_options(ref, options)
    data = _loader(ref.kind)(ref.arg, data_dir=data_dir, download=download, **options)
    data.name = data.name or str(ref)
    return data
