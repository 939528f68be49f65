"""Class 1 and 2: gradient descent on one weight, with a fixed or an exponentially decaying lr.

loss = (w + 1)^2 has its minimum at w = -1. Starting from w = 5 with lr 0.2, each step
w = w - lr * d(loss)/dw = w - lr * 2 * (w + 1) moves w 60% of the way to -1, so after
40 steps w is -1 to float precision. With decay, lr = lr0 * decay^(step / decay_steps)
(the course: 0.2 * 0.99^(epoch / 1)).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfnote import _tf, atomic, plots
from tfnote.errors import TfnoteError
from tfnote.scratch.loop import check_epochs
from tfnote.scratch.optimizers import check_lr


@dataclass
class Descent:
    """One row per step: the lr used, then w and the loss as the course prints them."""

    lr: np.ndarray
    w: np.ndarray  # w after the step
    loss: np.ndarray  # loss before the step (computed under the tape)
    w0: float = 5.0  # where w started

    def path(self) -> tuple[np.ndarray, np.ndarray]:
        """w and its loss after 0, 1, ..., steps steps: w0 first, each loss at its own w."""
        w = np.concatenate([[self.w0], self.w])
        return w, np.square(w + 1.0)

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
    return Descent(lrs.numpy(), ws.numpy(), losses.numpy(), float(w0))


def plot_descent(result: Descent, path: str | Path, show_lr: bool = False) -> Path:
    """w and the loss after 0, 1, ... steps (step 0: the start, w0), and the path on the
    parabola; `show_lr` adds the learning rate of each step."""
    plt = plots.pyplot()
    w, loss = result.path()
    steps = np.arange(len(w))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    axes[0].plot(steps, w, "o-", ms=3)
    axes[0].axhline(-1, color="gray", ls="--", lw=0.8)
    axes[0].annotate(f"start: w = {w[0]:g}", (0, w[0]), (6, 0), textcoords="offset points")
    axes[0].set(title="w after each step (minimum at -1)", xlabel="steps done", ylabel="w")
    shown = loss > 0  # a loss of exactly 0 has no place on a log axis
    axes[1].semilogy(steps[shown], loss[shown], "o-", ms=3, color="tab:red")
    axes[1].set(title="loss = (w + 1)^2 at that w", xlabel="steps done", ylabel="loss (log scale)")
    grid = np.linspace(min(w.min(), -1) - 1, max(w.max(), -1) + 1, 200)
    axes[2].plot(grid, np.square(grid + 1), color="lightgray", label="loss = (w + 1)^2")
    axes[2].plot(w, loss, "o-", ms=3, color="tab:red", lw=0.8, label="w after each step")
    axes[2].annotate(f"start w = {w[0]:g}", (w[0], loss[0]), (-70, -4), textcoords="offset points")
    axes[2].set(title="the steps on the loss curve", xlabel="w", ylabel="loss")
    axes[2].legend(fontsize=8)
    if show_lr:
        twin = axes[0].twinx()
        twin.plot(steps[1:], result.lr, color="tab:green", lw=1)
        twin.set_ylabel("learning rate of the step", color="tab:green")
    fig.tight_layout()
    return plots.save(fig, path)


def run_descent(
    w0: float = 5.0,
    lr: float = 0.2,
    steps: int = 40,
    decay: float = 1.0,
    decay_steps: int = 1,
    out: str | Path = "runs/backprop",
) -> Descent:
    """`descend`, then write its steps (steps.csv) and figure (descent.png) into `out`.

    What `tfnote backprop` and `tfnote lr-decay` run.
    """
    result = descend(w0, lr, steps, decay, decay_steps)
    out = Path(out)
    atomic.write_csv(out / "steps.csv", result.rows())
    plot_descent(result, out / "descent.png", show_lr=decay != 1.0)
    return result
