"""Argument types shared by every command: numbers that are checked while the flags are read.

argparse calls these on the flag's text; a bad value becomes one line and exit 2 before any
data or TensorFlow loads. Every numeric flag says what range it takes here, so `--lr inf`,
`--lr nan`, `--seed -1` or `--workers -1` are refused the same way in every command.

    p.add_argument("--lr", type=positive_float)
    p.add_argument("--seed", type=seed)
    p.add_argument("--samples", type=int_range(1, 200))
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

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


def float_range(low: float, high: float, *, low_open: bool = False) -> Callable[[str], float]:
    """A type for finite numbers within low .. high (`low_open`: low itself excluded)."""

    def check(text: str) -> float:
        value = finite_float(text)
        if value > high or value < low or (low_open and value == low):
            bracket = "(" if low_open else "["
            raise argparse.ArgumentTypeError(
                f"must be within {bracket}{low:g}, {high:g}], got {value:g}"
            )
        return value

    check.__name__ = f"float_range_{low:g}_{high:g}"
    return check


def seed(text: str) -> int:
    """A random seed: a whole number within 0 .. 2**32 - 1."""
    value = _int(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be within 0 .. 2**32 - 1, got {value}")
    return value
