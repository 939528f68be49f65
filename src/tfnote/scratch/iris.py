"""Class 1: the iris classifier from scratch, and the class-2 optimizer comparison on it.

One dense layer written as two variables, w1[4, 3] and b1[3] (truncated normal,
stddev 0.1, TensorFlow seed 116 and op seed 1, as the course), softmax on top, mean squared
error against one-hot labels. The data is the course's split: scikit-learn iris shuffled
with seed 116, the first 120 flowers for training, the last 30 for the test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tfnote import _tf
from tfnote.scratch import loop
from tfnote.scratch.optimizers import check_lr, make_optimizer

# The two settings of the course's optimizer comparison template: (lr, epochs).
COURSE_SETTINGS = ((0.1, 500), (0.01, 100))


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


def compare_optimizers(
    names: list[str], lr: float, epochs: int, batch_size: int = 32, safe: bool = False
) -> list[IrisResult]:
    """The course's comparison template: each optimizer on the same data and start."""
    return [train_iris(name, lr, epochs, batch_size, safe) for name in names]
