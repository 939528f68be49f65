"""The course's Inception10 (class 5): GoogLeNet's Inception cell, small enough for CIFAR-10.

    stem: ConvBNReLU(16)
    2 blocks x 2 Inception cells (the first cell of a block has stride 2), channels 16, 32
    global average pooling -> Dense(num_classes, softmax)

Each cell runs four branches side by side and stacks their outputs on the channel axis:
1x1; 1x1 -> 3x3; 1x1 -> 5x5; 3x3 max-pool -> 1x1.

Fixed from the course: its ConvBNRelu called its layers with `training=False`, so BatchNorm
never learned its statistics and always normalised with mean 0 and variance 1. Here Keras
passes `training` through as usual: BatchNorm learns during fit and uses its averages after.
"""

from __future__ import annotations

from tfnote import _tf
from tfnote.models import Inputs
from tfnote.models.cnn import classifier

_, keras = _tf.load()
layers = keras.layers


def conv_bn_relu(x, channels: int, kernel_size: int = 3, strides: int = 1):
    """Conv2D (same padding) -> BatchNormalization -> ReLU, the course's ConvBNRelu."""
    x = layers.Conv2D(channels, kernel_size, strides=strides, padding="same")(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def inception_cell(x, channels: int, strides: int = 1):
    """Four branches concatenated; `strides` 2 halves height and width in every branch."""
    branch1 = conv_bn_relu(x, channels, 1, strides)
    branch2 = conv_bn_relu(conv_bn_relu(x, channels, 1, strides), channels, 3)
    branch3 = conv_bn_relu(conv_bn_relu(x, channels, 1, strides), channels, 5)
    pooled = layers.MaxPooling2D(3, strides=1, padding="same")(x)
    branch4 = conv_bn_relu(pooled, channels, 1, strides)  # the course strides here, not in the pool
    return layers.Concatenate(axis=-1)([branch1, branch2, branch3, branch4])


def inception10(input_shape, num_classes: int, num_blocks: int = 2, init_ch: int = 16):
    """Course Inception10: stem, `num_blocks` blocks of two cells, channels doubling per block."""
    inputs = keras.Input(input_shape)
    x = conv_bn_relu(inputs, init_ch)
    channels = init_ch
    for _ in range(num_blocks):
        x = inception_cell(x, channels, strides=2)
        x = inception_cell(x, channels, strides=1)
        channels *= 2
    x = layers.GlobalAveragePooling2D()(x)
    outputs = classifier(num_classes)(x)
    return keras.Model(inputs, outputs, name="inception10")


MODELS = {"inception10": inception10}

INPUTS = Inputs("image", (32, 32, 3), 10)  # CIFAR-10
