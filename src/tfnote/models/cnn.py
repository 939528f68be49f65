"""The course's classic convolutional networks (class 5): Baseline, LeNet5, AlexNet8, VGG16,
and a small CNN for a learner's own few hundred pictures (the own-images preset).

Each one is a stack of "CBAPD" steps, the course's building block:

    C  Conv2D           B  BatchNormalization      A  Activation
    P  Pooling          D  Dropout

`cbapd()` returns the layers of one such step, leaving out the parts a network does not
use (LeNet5 has no BatchNorm, AlexNet's last convolutions have no pooling...). A model is
then a plain `keras.Sequential` of those steps plus a dense head, so `model.summary()`
shows exactly the course's layers.
"""

from __future__ import annotations

from tfnote import _tf
from tfnote.models import Inputs

_, keras = _tf.load()
layers = keras.layers


def cbapd(
    filters: int,
    kernel_size: int = 3,
    *,
    strides: int = 1,
    padding: str = "same",
    batch_norm: bool = True,
    activation: str | None = "relu",
    pool: int | None = None,
    pool_strides: int = 2,
    pool_padding: str = "valid",
    dropout: float = 0.0,
) -> list:
    """One Conv -> BatchNorm -> Activation -> Pooling -> Dropout step, as a list of layers.

    `pool` is the max-pool window (None: no pooling); `dropout` 0 leaves out the Dropout.
    """
    step = [layers.Conv2D(filters, kernel_size, strides=strides, padding=padding)]
    if batch_norm:
        step.append(layers.BatchNormalization())
    if activation:
        step.append(layers.Activation(activation))
    if pool:
        step.append(layers.MaxPooling2D(pool, strides=pool_strides, padding=pool_padding))
    if dropout:
        step.append(layers.Dropout(dropout))
    return step


def classifier(num_classes: int) -> layers.Layer:
    """The softmax output layer; float32 even under mixed precision, so its sums stay exact."""
    return layers.Dense(num_classes, activation="softmax", dtype="float32")


def baseline(input_shape, num_classes: int) -> keras.Model:
    """Course p5 Baseline: one CBAPD step (6 filters 5x5), Dense(128), softmax."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            *cbapd(6, 5, pool=2, pool_padding="same", dropout=0.2),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.2),
            classifier(num_classes),
        ],
        name="baseline",
    )


def lenet5(input_shape, num_classes: int) -> keras.Model:
    """Course LeNet5: two sigmoid convolutions (6 and 16 filters, 5x5, no padding), no BN."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            *cbapd(6, 5, padding="valid", batch_norm=False, activation="sigmoid", pool=2),
            *cbapd(16, 5, padding="valid", batch_norm=False, activation="sigmoid", pool=2),
            layers.Flatten(),
            layers.Dense(120, activation="sigmoid"),
            layers.Dense(84, activation="sigmoid"),
            classifier(num_classes),
        ],
        name="lenet5",
    )


def alexnet8(input_shape, num_classes: int) -> keras.Model:
    """Course AlexNet8: 5 convolutions (96, 256, 384, 384, 256) and two Dense(2048)."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            *cbapd(96, 3, padding="valid", pool=3),
            *cbapd(256, 3, padding="valid", pool=3),
            *cbapd(384, 3, batch_norm=False),
            *cbapd(384, 3, batch_norm=False),
            *cbapd(256, 3, batch_norm=False, pool=3),
            layers.Flatten(),
            layers.Dense(2048, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(2048, activation="relu"),
            layers.Dropout(0.5),
            classifier(num_classes),
        ],
        name="alexnet8",
    )


VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (filters, convolutions)


def vgg16(input_shape, num_classes: int) -> keras.Model:
    """Course VGG16: 13 3x3 convolutions in 5 blocks, each ending in MaxPool(2) + Dropout(0.2)."""
    steps = []
    for filters, convolutions in VGG16_BLOCKS:
        for i in range(convolutions):
            last = i == convolutions - 1
            steps += cbapd(
                filters,
                3,
                pool=2 if last else None,
                pool_padding="same",  # as the course; lets 28x28 inputs reach the 5th block
                dropout=0.2 if last else 0.0,
            )
    return keras.Sequential(
        [
            keras.Input(input_shape),
            *steps,
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            classifier(num_classes),
        ],
        name="vgg16",
    )


def small_cnn(input_shape, num_classes: int, filters=(16, 32, 64, 64), dropout: float = 0.3):
    """The own-images preset's net for a few hundred pictures of any size, grey or RGB.

    One Conv(3x3)-BN-ReLU-MaxPool step per entry of `filters` (64x64 -> 4x4 with four),
    then the average of each filter over the picture: about 60,000 weights, whatever the
    picture's size, which a few hundred images can train (LeNet5's Dense head cannot).
    """
    steps = []
    for count in filters:
        steps += [
            layers.Conv2D(count, 3, padding="same"),
            # Keras's default momentum 0.99 needs hundreds of steps before the statistics
            # used at test time fit: a few hundred images give 12 steps an epoch, and with
            # 0.99 validation stayed at chance while training accuracy rose to 0.88.
            layers.BatchNormalization(momentum=0.9),
            layers.Activation("relu"),
            layers.MaxPooling2D(2, padding="same"),  # "same": small pictures keep a pixel
        ]
    return keras.Sequential(
        [
            keras.Input(input_shape),
            *steps,
            layers.GlobalAveragePooling2D(),
            layers.Dropout(dropout),
            classifier(num_classes),
        ],
        name="small_cnn",
    )


MODELS = {
    "small-cnn": small_cnn,
    "baseline": baseline,
    "lenet5": lenet5,
    "alexnet8": alexnet8,
    "vgg16": vgg16,
}

INPUTS = Inputs("image", (32, 32, 3), 10)  # CIFAR-10
