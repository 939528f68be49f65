"""Class 2: over-fitting and L2 regularization on the course's dot.csv.

A 2-11-1 network (ReLU hidden layer, linear output) learns to separate two classes of
2-D points, trained by plain SGD on MSE. Without regularization the 0.5 contour of its
output can bend around single points; adding 0.03 * sum(l2_loss(w)) over the weight
matrices (l2_loss(w) = sum(w^2) / 2) keeps weights small and the boundary smoother.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfnote import _tf, atomic, plots
from tfnote.csvfile import read_columns
from tfnote.errors import TfnoteError
from tfnote.scratch import loop
from tfnote.scratch.optimizers import SGD, check_lr


def read_points(
    path: str | Path, features: tuple[str, str] = ("x1", "x2"), label: str = "y_c"
) -> tuple[np.ndarray, np.ndarray]:
    """(x[N, 2] float32, y[N, 1] float32 of 0/1) from a CSV with two feature columns and a label."""
    needed = [*features, label]
    hint = "; name them with --features and --label"
    values = read_columns(path, needed, numeric=needed, hint=hint)
    y = values[label].to_numpy()
    if not np.isin(y, (0, 1)).all():
        raise TfnoteError(f"{path}: label column {label!r} must hold only 0 and 1")
    if len(values) < 2:
        raise TfnoteError(f"{path}: needs at least 2 rows of data")
    x = values[list(features)].to_numpy("float32")
    return x, y.astype("float32").reshape(-1, 1)


@dataclass
class NetFit:
    l2: float
    loss: np.ndarray  # training loss (MSE plus the L2 term) per epoch
    weights: list[np.ndarray]  # w1, b1, w2, b2
    seconds: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The network's output for points x[N, 2] (NumPy, no TensorFlow needed)."""
        w1, b1, w2, b2 = self.weights
        return np.maximum(x @ w1 + b1, 0) @ w2 + b2

    def mse(self, x: np.ndarray, y: np.ndarray) -> float:
        """The mean squared error on (x, y) with the final weights, without the L2 term:
        the number to compare between a run with L2 and one without."""
        return float(np.mean(np.square(y - self.predict(x))))

    def penalty(self) -> float:
        """The L2 term of the loss: l2 * (sum(w1^2) + sum(w2^2)) / 2 (0 without L2)."""
        w1, _, w2, _ = self.weights
        return float(self.l2 * (np.sum(np.square(w1)) + np.sum(np.square(w2))) / 2)


def train_net(
    x: np.ndarray,
    y: np.ndarray,
    l2: float = 0.0,
    lr: float = 0.01,
    epochs: int = 400,
    batch_size: int = 32,
    seed: int = 1,
) -> NetFit:
    """Train the course's 2-11-1 ReLU net (normal weights, biases 0.01) with SGD on MSE + L2."""
    check_lr(lr)
    loop.check_epochs(epochs)
    if l2 < 0:
        raise TfnoteError(f"the L2 factor must be 0 or more, got {l2}")
    tf, _ = _tf.load()
    w1 = tf.Variable(tf.random.stateless_normal([2, 11], seed=[seed, 1]), name="w1")
    b1 = tf.Variable(tf.constant(0.01, shape=[11]), name="b1")
    w2 = tf.Variable(tf.random.stateless_normal([11, 1], seed=[seed, 2]), name="w2")
    b2 = tf.Variable(tf.constant(0.01, shape=[1]), name="b2")

    def loss_fn(xb, yb):
        h1 = tf.nn.relu(tf.matmul(xb, w1) + b1)
        y_pred = tf.matmul(h1, w2) + b2
        loss = tf.reduce_mean(tf.square(yb - y_pred))
        if l2:
            loss += l2 * (tf.nn.l2_loss(w1) + tf.nn.l2_loss(w2))
        return loss

    history = loop.train(loss_fn, [w1, b1, w2, b2], SGD(lr), x, y, epochs, batch_size)
    return NetFit(l2, history.loss, [v.numpy() for v in (w1, b1, w2, b2)], history.seconds)


def grid(step: float = 0.1, low: float = -3.0, high: float = 3.0):
    """The course's grid: np.mgrid[-3:3:.1, -3:3:.1] -> (xx, yy, points[N, 2])."""
    xx, yy = np.mgrid[low:high:step, low:high:step]
    return xx, yy, np.c_[xx.ravel(), yy.ravel()].astype("float32")


def plot_boundaries(x: np.ndarray, y: np.ndarray, fits: list[NetFit], path: str | Path) -> None:
    """The points (red 1, blue 0) with each fit's 0.5 output contour, side by side."""
    low = min(-3.0, float(np.floor(x.min())))
    high = max(3.0, float(np.ceil(x.max())))
    xx, yy, points = grid(0.1 if high - low <= 6 else (high - low) / 60, low, high)
    plt = plots.pyplot()
    fig, axes = plt.subplots(1, len(fits), figsize=(5.6 * len(fits), 5), squeeze=False)
    colors = np.where(y.ravel() > 0.5, "red", "blue")
    for ax, fit in zip(axes[0], fits):
        probs = fit.predict(points).reshape(xx.shape)
        ax.scatter(x[:, 0], x[:, 1], c=colors, s=12)
        ax.contour(xx, yy, probs, levels=[0.5], colors="black")
        mse = fit.mse(x, y)
        if fit.l2:
            name = f"with L2 ({fit.l2:g})"
            detail = f"MSE {mse:.3f} (+ L2 term {fit.penalty():.3f} = training loss)"
        else:
            name, detail = "without regularization", f"MSE {mse:.3f} (= training loss)"
        ax.set_title(f"{name}\n{detail}", fontsize=10)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.set_aspect("equal")
    fig.suptitle("red: label 1, blue: label 0; black line: where the network outputs 0.5")
    fig.tight_layout()
    plots.save(fig, path)


def find_points(data: str | Path | None = None) -> Path:
    """`data` itself, or the course's dot.csv in the current folder, $TFNOTE_DATA or the
    Keras cache."""
    if data:
        return Path(data)
    from tfnote.data.locate import find_file

    hint = (
        "pass --data PATH to the course's dot.csv or any CSV with two feature columns "
        "and a 0/1 label"
    )
    return find_file("dot.csv", hint=hint, current_folder=True)


def run_regularization(
    data: str | Path | None = None,
    features: tuple[str, str] = ("x1", "x2"),
    label: str = "y_c",
    l2: float = 0.03,
    lr: float = 0.01,
    epochs: int = 400,
    batch_size: int = 32,
    seed: int = 1,
    out: str | Path = "runs/regularization",
) -> list[NetFit]:
    """Train the 2-11-1 net on `data` (default: dot.csv) without and with L2 factor `l2`.

    Writes into `out` boundaries.png (both 0.5 contours over the points) and metrics.json
    (the data file, its size, and for each run its final training loss, its MSE on the
    points with the final weights, and the L2 term). Returns the two fits.
    What `tfnote regularization` runs.
    """
    if len(features) != 2 or not all(features):
        raise TfnoteError(f"--features needs two column names, got {','.join(features)!r}")
    check_lr(lr)
    loop.check_epochs(epochs)
    if l2 < 0:
        raise TfnoteError(f"the L2 factor must be 0 or more, got {l2}")
    path = find_points(data)
    x, y = read_points(path, features, label)
    fits = [train_net(x, y, factor, lr, epochs, batch_size, seed) for factor in (0.0, l2)]
    out = Path(out)
    plot_boundaries(x, y, fits, out / "boundaries.png")
    metrics = {
        "data": str(path),
        "points": len(x),
        "runs": [
            {
                "l2": f.l2,
                "final_loss": float(f.loss[-1]),
                "mse": f.mse(x, y),
                "l2_term": f.penalty(),
                "seconds": round(f.seconds, 4),
            }
            for f in fits
        ],
    }
    atomic.write_json(out / "metrics.json", metrics)
    return fits
