"""The course's ResNet18 (class 5), the CIFAR-10 variant (3x3 stem, no stem pooling).

    stem: Conv(64, 3x3, no bias) -> BN -> ReLU
    4 stages of 2 residual blocks, filters 64, 128, 256, 512
    global average pooling -> Dense(num_classes, softmax, L2)

A residual block computes relu(F(x) + shortcut(x)) with F = conv-BN-ReLU-conv-BN. The first
block of stages 2-4 halves the resolution (stride 2) and doubles the filters; its shortcut
is a 1x1 convolution + BN so the shapes match. About 11.18M parameters on 32x32x3.
"""

from __future__ import annotations

from tfnote import _tf
from tfnote.models import Inputs

_, keras = _tf.load()
layers = keras.layers


def residual_block(x, filters: int, strides: int = 1, projection: bool = False):
    """relu(conv-BN-relu-conv-BN(x) + shortcut(x)); `projection` uses a 1x1 conv + BN shortcut."""
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    if projection:
        shortcut = layers.Conv2D(filters, 1, strides=strides, padding="same", use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.Activation("relu")(layers.Add()([y, shortcut]))


def resnet18(
    input_shape,
    num_classes: int,
    block_list: tuple[int, ...] = (2, 2, 2, 2),
    initial_filters: int = 64,
    l2: float = 0.01,
):
    """Course ResNet18; `block_list` is the number of residual blocks in each stage."""
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(initial_filters, 3, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    filters = initial_filters
    for stage, blocks in enumerate(block_list):
        for i in range(blocks):
            downsample = stage > 0 and i == 0  # first block of stages 2-4
            x = residual_block(x, filters, strides=2 if downsample else 1, projection=downsample)
        filters *= 2
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(
        num_classes,
        activation="softmax",
        kernel_regularizer=keras.regularizers.l2(l2),
        dtype="float32",  # softmax in float32 even under mixed precision
    )(x)
    return keras.Model(inputs, outputs, name="resnet18")


MODELS = {"resnet18": resnet18}

INPUTS = Inputs("image", (32, 32, 3), 10)  # CIFAR-10
