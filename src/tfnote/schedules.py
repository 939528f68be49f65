"""Learning-rate schedules by name: a spec's `lr_schedule = { type = NAME, ... }`.

SCHEDULES maps each type to a builder `(lr, total_steps, **settings) -> LearningRate`: the
rate the optimizer takes (a number, or a function of the step, which a resumed run
continues exactly) and the callbacks fit needs (plateau's, which follows the scores).
Nothing here imports TensorFlow until a schedule is built: the spec reads the names.

`warmup_decay` is the short "triangle" the fast CIFAR-10 recipes use: the rate climbs
linearly from a fraction of its peak to the peak over the first part of the run (large
early SGD steps on a fresh BatchNorm network diverge), then falls linearly to nearly zero
by the last step (a low final rate averages out the noise of the last steps). Muon's
normalised steps need no warm-up: it only falls.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfnote import _tf
from tfnote.errors import TfnoteError


@dataclass(frozen=True)
class LearningRate:
    """What a schedule gives the trainer: the optimizer's rate and fit's callbacks."""

    rate: Any  # a number, or a Keras schedule: a function of the optimizer's step
    callbacks: tuple = ()


def plateau(
    lr: float,
    total_steps: int,
    monitor: str = "val_loss",
    factor: float = 0.5,
    patience: int = 3,
    min_lr: float = 1e-6,
) -> LearningRate:
    """Multiply the rate by `factor` after `patience` epochs without a better `monitor`."""
    _, keras = _tf.load()
    reduce = keras.callbacks.ReduceLROnPlateau(
        monitor=monitor, factor=factor, patience=patience, min_lr=min_lr
    )
    return LearningRate(lr, (reduce,))


def cosine(lr: float, total_steps: int, alpha: float = 0.0):
    """From `lr` down to `alpha` x lr along half a cosine over the whole run."""
    _, keras = _tf.load()
    return keras.optimizers.schedules.CosineDecay(lr, decay_steps=total_steps, alpha=alpha)


def warmup_decay(
    peak: float,
    total_steps: int,
    warmup: float = 0.23,
    start: float = 0.2,
    end: float = 0.07,
):
    """`start` x peak -> peak over the first `warmup` fraction of the steps -> `end` x peak.

    warmup 0: straight from the peak down to `end` x peak (the Muon recipe: 0.24 -> 0).
    A run of a single step (a quick try on a slice of the data) takes the first rate.
    Returns a PiecewiseLinear schedule.
    """
    if not 0 <= warmup < 1:
        raise TfnoteError(f"warmup must be a fraction in [0, 1) (got {warmup})")
    piecewise_linear = _piecewise_linear()
    total_steps = max(total_steps, 2)
    if warmup == 0:
        return piecewise_linear([0, total_steps], [peak, end * peak])
    top = min(max(1, round(warmup * total_steps)), total_steps - 1)
    return piecewise_linear([0, top, total_steps], [start * peak, peak, end * peak])


def _rate(schedule: Callable) -> Callable[..., LearningRate]:
    """The builder for a schedule that lives in the optimizer (a function of the step)."""

    @functools.wraps(schedule)  # its signature: make_schedule reads the settings it takes
    def build(lr: float, total_steps: int, **settings) -> LearningRate:
        return LearningRate(schedule(lr, total_steps, **settings))

    return build


SCHEDULES: dict[str, Callable[..., LearningRate]] = {
    "plateau": plateau,
    "cosine": _rate(cosine),
    "warmup-decay": _rate(warmup_decay),
}


def schedule_problem(lr_schedule: dict) -> str | None:
    """What is wrong with a spec's `lr_schedule` (an unknown type or setting), or None."""
    settings = dict(lr_schedule)
    kind = settings.pop("type", None)
    if kind not in SCHEDULES:
        return f"unknown lr_schedule type {kind!r}; choose from {', '.join(SCHEDULES)}"
    takes = list(inspect.signature(SCHEDULES[kind]).parameters)[2:]  # after lr, total_steps
    unknown = sorted(set(settings) - set(takes))
    if unknown:
        return f"lr_schedule {kind} takes {', '.join(takes)} (not {', '.join(unknown)})"
    return None


def make_schedule(lr_schedule: dict | None, lr: float, total_steps: int) -> LearningRate:
    """The learning rate of a spec's `lr` and `lr_schedule` over a run of `total_steps`."""
    if lr_schedule is None:
        return LearningRate(lr)
    if problem := schedule_problem(lr_schedule):
        raise TfnoteError(problem)
    settings = dict(lr_schedule)
    return SCHEDULES[settings.pop("type")](lr, total_steps, **settings)


@functools.cache
def _piecewise_linear() -> type:
    """The PiecewiseLinear class; a Keras class, so it is made when first used."""
    _, keras = _tf.load()
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="tfnote")
    class PiecewiseLinear(keras.optimizers.schedules.LearningRateSchedule):
        """The learning rate at step s: linear between the points (steps[i], rates[i]).

        Before the first point and after the last one it stays at the end values.
        """

        def __init__(self, steps: list[float], rates: list[float]):
            if len(steps) != len(rates) or len(steps) < 2:
                raise TfnoteError(
                    "a piecewise-linear schedule needs two or more (step, rate) points"
                )
            if any(b <= a for a, b in zip(steps, steps[1:])):
                raise TfnoteError(f"schedule steps must increase, got {steps}")
            self.steps = [float(s) for s in steps]
            self.rates = [float(r) for r in rates]

        def __call__(self, step):
            step = ops.cast(step, "float32")
            rate = ops.convert_to_tensor(self.rates[0], "float32")
            for (s0, r0), (s1, r1) in zip(
                zip(self.steps, self.rates), zip(self.steps[1:], self.rates[1:])
            ):
                fraction = ops.clip((step - s0) / (s1 - s0), 0.0, 1.0)
                # each segment adds its rise (or fall) once the step has passed its start
                rate = rate + fraction * (r1 - r0)
            return rate

        def get_config(self) -> dict:
            return {"steps": self.steps, "rates": self.rates}

    PiecewiseLinear.__qualname__ = "PiecewiseLinear"  # as if defined at the top level
    return PiecewiseLinear


def __getattr__(name: str):
    # `from tfnote.schedules import PiecewiseLinear` works as if the class were defined above
    if name == "PiecewiseLinear":
        return _piecewise_linear()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
