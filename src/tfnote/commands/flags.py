"""Argument types shared by every command: values that are checked while the flags are read.

argparse calls these on the flag's text; a bad value becomes one line and exit 2 before any
data or TensorFlow loads. Every numeric flag says what range it takes here, so `--lr inf`,
`--lr nan`, `--seed -1` or `--workers -1` are refused the same way in every command; dataset
and model names become the typed references a Spec holds.

    p.add_argument("--lr", type=positive_float)
    p.add_argument("--seed", type=seed)
    p.add_argument("--samples", type=int_range(1, 200))
    p.add_argument("--data", type=dataset_ref)
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tfnote.errors import TfnoteError

if TYPE_CHECKING:  # imported when a flag is read: numpy stays out of `--help`
    from tfnote.data import DatasetRef
    from tfnote.models import ModelRef

MAX_SEED = 2**32 - 1  # NumPy's and Keras's seeds are 32-bit


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def finite_float(text: str) -> float:
    """Any real number; inf and nan are refused (they would train to NaN silently)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0 (learning rates, costs)."""
    value = finite_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value:g}")
    return value


def nonnegative_float(text: str) -> float:
    """A finite number of at least 0 (penalty factors such as --l2)."""
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value:g}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1 (epochs, batch sizes, steps)."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def int_range(low: int, high: int) -> Callable[[str], int]:
    """A type for whole numbers within low .. high (both included)."""

    def check(text: str) -> int:
        value = _int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be within {low} .. {high}, got {value}")
        return value

    check.__name__ = f"int_range_{low}_{high}"  # argparse names the type in some messages
    return check


def seed(text: str) -> int:
    """A random seed: a whole number within 0 .. 2**32 - 1."""
    value = _int(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be within 0 .. 2**32 - 1, got {value}")
    return value


def dataset_ref(text: str) -> DatasetRef:
    """A dataset (`mnist`, `image-folder:DIR`), its file or folder made absolute so that
    `resume` finds it from any folder."""
    from tfnote.data import DatasetRef

    try:
        return DatasetRef.parse(text).absolute()
    except TfnoteError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def model_ref(text: str) -> ModelRef:
    """A registered model, or your own `FILE.py:FUNCTION` (which must exist), made absolute."""
    from tfnote.models import ModelRef

    ref = ModelRef.parse(text)
    try:
        ref.check()
    except TfnoteError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return ref.beside(Path.cwd())
