"""Class 1 and 2: gradient descent on one weight, with a fixed or an exponentially decaying lr.

loss = (w + 1)^2 has its minimum at w = -1. Starting from w = 5 with lr 0.2, each step
w = w - lr * d(loss)/dw = w - lr * 2 * (w + 1) moves w 60% of the way to -1, so after
40 steps w is -1 to float precision. With decay, lr = lr0 * decay^(step / decay_steps)
(the course: 0.2 * 0.99^(epoch / 1)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tfnote import _tf
from tfnote.errors import TfnoteError
from tfnote.scratch.loop import check_epochs
from tfnote.scratch.optimizers import check_lr


@dataclass
class Descent:
    """One row per step: the lr used, then w and the loss as the course prints them."""

    lr: np.ndarray
    w: np.ndarray  # w after the step
    loss: np.ndarray  # loss before the step (computed under the tape)

    def lines(self, show_lr: bool = False) -> list[str]:
        """The course's printout: 'After 0 epoch,w is 2.600000,loss is 36.000000'."""
        out = []
        for step, (lr, w, loss) in enumerate(zip(self.lr, self.w, self.loss)):
            line = f"After {step} epoch,w is {w:f},loss is {loss:f}"
            out.append(line + (f",lr is {lr:f}" if show_lr else ""))
        return out

    def rows(self) -> list[dict]:
        return [
            {"step": i, "lr": float(lr), "w": float(w), "loss": float(loss)}
            for i, (lr, w, loss) in enumerate(zip(self.lr, self.w, self.loss))
        ]


def descend(
    w0: float = 5.0,
    lr: float = 0.2,
    steps: int = 40,
    decay: float = 1.0,
    decay_steps: int = 1,
) -> Descent:
    """Minimise (w + 1)^2 from w0 with GradientTape; decay=1.0 keeps lr fixed."""
    check_lr(lr)
    check_epochs(steps)
    if not 0 < decay <= 1:
        raise TfnoteError(f"decay must be in (0, 1], got {decay}")
    tf, _ = _tf.load()
    w = tf.Variable(float(w0))

    @tf.function
    def run():
        lrs = tf.TensorArray(tf.float32, size=steps)
        ws = tf.TensorArray(tf.float32, size=steps)
        losses = tf.TensorArray(tf.float32, size=steps)
        for step in tf.range(steps):
            step_lr = lr * decay ** (tf.cast(step, tf.float32) / decay_steps)
            with tf.GradientTape() as tape:
                loss = tf.square(w + 1)
            grad = tape.gradient(loss, w)
            w.assign_sub(step_lr * grad)
            lrs = lrs.write(step, step_lr)
            ws = ws.write(step, w.read_value())
            losses = losses.write(step, loss)
        return lrs.stack(), ws.stack(), losses.stack()

    run._omit_frequent_tracing_warning = True  # a fresh graph per call, on purpose
    lrs, ws, losses = run()
    return Descent(lrs.numpy(), ws.numpy(), losses.numpy())
