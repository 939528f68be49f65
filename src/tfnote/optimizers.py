"""Optimizers by name: a spec's `optimizer` and `optimizer_args` -> a Keras optimizer.

OPTIMIZERS maps each name to a builder `(learning_rate, **optimizer_args) -> optimizer`;
the rate is a number or a schedule (tfnote.schedules). Keras's own optimizers come by
their Keras names; `conv_muon` is tfnote's (tfnote/muon.py, the fast CIFAR-10 recipe's).
Nothing here imports TensorFlow until an optimizer is built: the spec reads the names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tfnote import _tf
from tfnote.errors import TfnoteError


def _keras(name: str) -> Callable[..., Any]:
    def build(learning_rate, **args):
        _, keras = _tf.load()
        return keras.optimizers.get(
            {"class_name": name, "config": {"learning_rate": learning_rate, **args}}
        )

    return build


def conv_muon(learning_rate, **args):
    """Muon for convolution kernels, Nesterov SGD for the rest (tfnote.muon.ConvMuon)."""
    from tfnote.muon import ConvMuon

    return ConvMuon(learning_rate=learning_rate, **args)


KERAS_OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "adadelta", "adamax")
OPTIMIZERS: dict[str, Callable[..., Any]] = {
    **{name: _keras(name) for name in KERAS_OPTIMIZERS},
    "conv_muon": conv_muon,
}


def make_optimizer(name: str, learning_rate, args: dict | None = None):
    """Optimizer `name` (any case) with `learning_rate` and the spec's `optimizer_args`."""
    key = name.lower()
    if key not in OPTIMIZERS:
        raise TfnoteError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    try:
        return OPTIMIZERS[key](learning_rate, **(args or {}))
    except (TypeError, ValueError) as e:  # an unknown or wrong optimizer_args entry
        raise TfnoteError(f"optimizer {key}: {str(e).splitlines()[0]}") from None
