"""The course's dense networks (class 3), in both of its styles.

Sequential: the layers in a list. Subclass: layers made in `__init__`, wired in `call`.
"""

from __future__ import annotations

from tfnote import _tf
from tfnote.models import Inputs

_, keras = _tf.load()
layers = keras.layers


def dense1(input_shape, num_classes, activation="softmax", l2=0.01):
    """Iris p8: one Dense layer with an L2 penalty on its kernel (regularizers.l2() = 0.01)."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Dense(
                num_classes, activation=activation, kernel_regularizer=keras.regularizers.l2(l2)
            ),
        ],
        name="dense1",
    )


class Dense1(keras.Model):
    """Iris p11: the same single layer as a Model subclass (the course used sigmoid here)."""

    def __init__(self, num_classes=3, activation="sigmoid", l2=0.01, **kwargs):
        super().__init__(**kwargs)
        self.d1 = layers.Dense(
            num_classes, activation=activation, kernel_regularizer=keras.regularizers.l2(l2)
        )

    def call(self, x):
        return self.d1(x)


def mlp(input_shape, num_classes, hidden=128):
    """MNIST / Fashion p14, p16: Flatten -> Dense(128, relu) -> Dense(10, softmax)."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Flatten(),
            layers.Dense(hidden, activation="relu"),
            layers.Dense(num_classes, activation="softmax"),
        ],
        name="mlp",
    )


class MLP(keras.Model):
    """MNIST / Fashion p15: the same MLP as a Model subclass."""

    def __init__(self, num_classes=10, hidden=128, **kwargs):
        super().__init__(**kwargs)
        self.flatten = layers.Flatten()
        self.d1 = layers.Dense(hidden, activation="relu")
        self.d2 = layers.Dense(num_classes, activation="softmax")

    def call(self, x):
        return self.d2(self.d1(self.flatten(x)))


MODELS = {
    "dense1": dense1,
    "dense1-subclass": lambda input_shape, num_classes, **a: Dense1(num_classes, **a),
    "mlp": mlp,
    "mlp-subclass": lambda input_shape, num_classes, **a: MLP(num_classes, **a),
}
INPUTS = Inputs("image", (28, 28, 1), 10)  # MNIST and Fashion-MNIST
IRIS = Inputs("features", (4,), 3)  # 4 measurements of a flower -> one of 3 species
MODEL_INPUTS = {"dense1": IRIS, "dense1-subclass": IRIS}
