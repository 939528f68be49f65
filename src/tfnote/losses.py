"""Losses by name: a spec's `loss` (with `from_logits` and `label_smoothing`) -> a Keras loss.

Two kinds, which the data must match (tfnote.models.check_fits): class losses compare a
score per class with an integer label, number losses a prediction with a number.
Nothing here imports TensorFlow until a loss is built: the spec reads the names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfnote import _tf
from tfnote.errors import TfnoteError


@dataclass(frozen=True)
class Loss:
    classes: bool  # class scores against integer labels (else numbers against numbers)
    build: Callable[[bool, float], Any]  # (from_logits, label_smoothing) -> a Keras loss


def sparse_crossentropy(from_logits: bool, label_smoothing: float):
    """Cross entropy of integer labels; `from_logits` must match the model's output (False
    for a softmax layer, True for raw scores)."""
    if label_smoothing:  # Keras's sparse loss cannot smooth: tfnote's own does
        from tfnote.label_smoothing import SparseSmoothedCrossentropy

        return SparseSmoothedCrossentropy(label_smoothing, from_logits=from_logits)
    _, keras = _tf.load()
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)


def _keras_name(name: str) -> Callable[[bool, float], str]:
    return lambda from_logits, label_smoothing: name  # compile() knows Keras's names


NUMBER_NAMES = (
    "mean_squared_error", "mse", "mean_absolute_error", "mae", "huber", "log_cosh",
    "mean_squared_logarithmic_error", "msle", "mean_absolute_percentage_error", "mape",
)  # fmt: skip
LOSSES: dict[str, Loss] = {
    "sparse_categorical_crossentropy": Loss(True, sparse_crossentropy),
    **{name: Loss(False, _keras_name(name)) for name in NUMBER_NAMES},
}
CLASS_LOSSES = tuple(name for name, loss in LOSSES.items() if loss.classes)
NUMBER_LOSSES = tuple(name for name, loss in LOSSES.items() if not loss.classes)


def make_loss(name: str, from_logits: bool = False, label_smoothing: float = 0.0):
    """Loss `name`; `label_smoothing` applies to the class losses only."""
    if name not in LOSSES:
        raise TfnoteError(
            f"unknown loss {name!r}; for class labels use {', '.join(CLASS_LOSSES)},"
            f" for numbers one of {', '.join(NUMBER_LOSSES)}"
        )
    return LOSSES[name].build(from_logits, label_smoothing)
