"""Class 1: the iris classifier from scratch (class 2 compares optimizers on it: compare.py).

One dense layer written as two variables, w1[4, 3] and b1[3] (truncated normal,
stddev 0.1, TensorFlow seed 116 and op seed 1, as the course), softmax on top, mean squared
error against one-hot labels. The data is the course's split: scikit-learn iris shuffled
with seed 116, the first 120 flowers for training, the last 30 for the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfnote import _tf, atomic, plots
from tfnote.scratch import loop
from tfnote.scratch.optimizers import check_lr, make_optimizer


@dataclass
class IrisResult:
    optimizer: str
    lr: float
    epochs: int
    loss: np.ndarray  # training loss per epoch (mean of the batch losses)
    test_accuracy: np.ndarray  # test accuracy after each epoch
    seconds: float  # total training time, graph tracing included
    w1: np.ndarray
    b1: np.ndarray

    def rows(self) -> list[dict]:
        """One row per epoch (history.csv): epoch (from 1), loss, test_accuracy."""
        return [
            {"epoch": i + 1, "loss": float(loss), "test_accuracy": float(acc)}
            for i, (loss, acc) in enumerate(zip(self.loss, self.test_accuracy))
        ]

    def metrics(self) -> dict:
        """The settings and the final numbers (metrics.json)."""
        return {
            "optimizer": self.optimizer,
            "lr": self.lr,
            "epochs": self.epochs,
            "final_loss": float(self.loss[-1]),
            "test_accuracy": float(self.test_accuracy[-1]),
            "seconds": round(self.seconds, 4),
        }

    def lines(self) -> list[str]:
        """The course's printout for the first, middle and last epoch (counted from 0)."""
        epochs = sorted({0, self.epochs // 2, self.epochs - 1})
        return [
            f"Epoch {i}, loss: {self.loss[i]:.6f}, test_acc: {self.test_accuracy[i]:.4f}"
            for i in epochs
        ]


def initial_weights():
    """w1[4, 3] and b1[3] exactly as the course draws them (same seeds, same values)."""
    tf, _ = _tf.load()
    tf.random.set_seed(116)  # also resets the op-seed counters, so every call repeats
    w1 = tf.Variable(tf.random.truncated_normal([4, 3], stddev=0.1, seed=1), name="w1")
    b1 = tf.Variable(tf.random.truncated_normal([3], stddev=0.1, seed=1), name="b1")
    return w1, b1


def iris_data():
    """(x_train, y_train, x_test, y_test): the course's 120/30 split, float32 features."""
    from tfnote.data import iris

    data = iris.load(test_size=30)
    return data.x_train, data.y_train, data.x_test, data.y_test


def train_iris(
    optimizer: str = "sgd",
    lr: float = 0.1,
    epochs: int = 500,
    batch_size: int = 32,
    safe: bool = False,
) -> IrisResult:
    """Train the one-layer iris network from scratch with a hand-written optimizer."""
    check_lr(lr)
    loop.check_epochs(epochs)
    opt = make_optimizer(optimizer, lr, safe=safe)  # checks the name before TF loads
    tf, _ = _tf.load()
    x_train, y_train, x_test, y_test = iris_data()
    w1, b1 = initial_weights()
    x_test, y_test = tf.constant(x_test), tf.constant(y_test)

    def loss_fn(x, y):
        probs = tf.nn.softmax(tf.matmul(x, w1) + b1)
        return tf.reduce_mean(tf.square(tf.one_hot(y, depth=3) - probs))

    def test_accuracy():
        pred = tf.argmax(tf.matmul(x_test, w1) + b1, axis=1)  # softmax keeps the argmax
        return tf.reduce_mean(tf.cast(tf.equal(pred, y_test), tf.float32))

    history = loop.train(
        loss_fn, [w1, b1], opt, x_train, y_train, epochs, batch_size, evaluate=test_accuracy
    )
    return IrisResult(
        optimizer, lr, epochs, history.loss, history.score, history.seconds, w1.numpy(), b1.numpy()
    )


def run_iris(
    optimizer: str = "sgd",
    lr: float = 0.1,
    epochs: int = 500,
    batch_size: int = 32,
    safe: bool = False,
    out: str | Path = "runs/iris-scratch",
) -> IrisResult:
    """`train_iris`, then write what the course shows into `out`.

    history.csv (loss and test accuracy per epoch), loss.png and accuracy.png (the course's
    two curves), metrics.json (settings and final numbers), weights.txt (the trained w1, b1).
    What `tfnote iris-scratch` runs.
    """
    result = train_iris(optimizer, lr, epochs, batch_size, safe)
    out = Path(out)
    atomic.write_csv(out / "history.csv", result.rows())
    plots.curves({"training loss": result.loss}, "loss", "Loss Function Curve", out / "loss.png")
    accuracy = {"test accuracy": result.test_accuracy}
    plots.curves(accuracy, "accuracy", "Acc Curve", out / "accuracy.png", ylim=(0, 1.05))
    atomic.write_json(out / "metrics.json", result.metrics())
    atomic.write_text(out / "weights.txt", f"w1\n{result.w1}\nb1\n{result.b1}\n")
    return result
