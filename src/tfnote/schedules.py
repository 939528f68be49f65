"""Learning-rate schedules that are functions of the step, so a resumed run continues exactly.

`warmup_decay` is the short "triangle" the fast CIFAR-10 recipes use: the rate climbs
linearly from a fraction of its peak to the peak over the first part of the run (large
early SGD steps on a fresh BatchNorm network diverge), then falls linearly to nearly zero
by the last step (a low final rate averages out the noise of the last steps). Muon's
normalised steps need no warm-up: it only falls.
"""

from __future__ import annotations

from tfnote import _tf
from tfnote.errors import TfnoteError

tf, keras = _tf.load()
ops = keras.ops


@keras.saving.register_keras_serializable(package="tfnote")
class PiecewiseLinear(keras.optimizers.schedules.LearningRateSchedule):
    """The learning rate at step s: linear between the points (steps[i], rates[i]).

    Before the first point and after the last one it stays at the end values.
    """

    def __init__(self, steps: list[float], rates: list[float]):
        if len(steps) != len(rates) or len(steps) < 2:
            raise TfnoteError("a piecewise-linear schedule needs two or more (step, rate) points")
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


def warmup_decay(
    peak: float,
    total_steps: int,
    warmup: float = 0.23,
    start: float = 0.2,
    end: float = 0.07,
) -> PiecewiseLinear:
    """`start` x peak -> peak over the first `warmup` fraction of the steps -> `end` x peak.

    warmup 0: straight from the peak down to `end` x peak (the Muon recipe: 0.24 -> 0).
    A run of a single step (a quick try on a slice of the data) takes the first rate.
    """
    if not 0 <= warmup < 1:
        raise TfnoteError(f"warmup must be a fraction in [0, 1) (got {warmup})")
    total_steps = max(total_steps, 2)
    if warmup == 0:
        return PiecewiseLinear([0, total_steps], [peak, end * peak])
    top = min(max(1, round(warmup * total_steps)), total_steps - 1)
    return PiecewiseLinear([0, top, total_steps], [start * peak, peak, end * peak])
