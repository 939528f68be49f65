"""A fast CIFAR-10 network (class 5, beyond the course): 90-94% test accuracy in minutes.

The course's ResNet18 needs about 100 epochs for 93.5%. This network follows the ideas of
the fastest published CIFAR-10 trainers (David Page's ResNet-9 "How to train your ResNet",
tysam-code's hlb-CIFAR10, Keller Jordan's airbench, arXiv:2404.00498), re-derived here for
Keras on a CPU:

    PatchWhitening   a frozen 2x2 convolution, its filters the eigenvectors of the training
                     set's 2x2 patch covariance: the first layer decorrelates pixels from
                     the start, which the network would otherwise spend epochs learning
    GELU
    3 conv groups    Conv3x3 -> MaxPool(2) -> BN -> GELU -> Conv3x3 -> BN -> GELU,
                     widths 64, 256, 256 (about 1.97M parameters); every convolution starts
                     as a partial identity (Dirac), so the untrained net passes its input on
    MaxPool(3) -> Dense(10, no bias) -> x 1/9 -> softmax

BatchNorm has no scale (it would only duplicate the next convolution's) and a bias that
learns `bias_boost`**2 times faster than the convolutions (BatchNormBias). At inference
(`training=False`: evaluate, predict) the network averages its logits over the image and
its mirror (`tta=1`), and over two one-pixel shifts as well (`tta=2`): test-time
augmentation inside the model, so every caller gets it.

Before training, `model.adapt(x_train)` computes the whitening from the training images
(inputs scaled to [0, 1]); the trainer calls it when a model has it.
"""

from __future__ import annotations

import time

import numpy as np

from tfnote import _tf
from tfnote.errors import TfnoteError
from tfnote.models import Inputs

tf, keras = _tf.load()
layers = keras.layers
ops = keras.ops
serializable = keras.saving.register_keras_serializable(package="tfnote")

WHITENING_IMAGES = 5000  # the patch covariance of 5,000 images (4.8M patches) is settled


@serializable
class DiracUniform(keras.initializers.Initializer):
    """A convolution kernel that starts as a partial identity.

    The first min(in, out) filters copy input channel i to output channel i (a 1 at the
    kernel's centre); the other filters are PyTorch's default uniform(+-1/sqrt(fan_in)),
    the initialisation the published recipes were tuned with.
    """

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        # VarianceScaling(1/3, fan_in, uniform) draws from +-sqrt(3 * (1/3) / fan_in).
        uniform = keras.initializers.VarianceScaling(
            scale=1 / 3, mode="fan_in", distribution="uniform", seed=self.seed
        )(shape, dtype=dtype)
        height, width, channels_in, channels_out = shape
        identity = np.zeros(shape, "float32")
        copied = min(channels_in, channels_out)
        identity[height // 2, width // 2, np.arange(copied), np.arange(copied)] = 1.0
        is_identity_filter = np.arange(channels_out) < copied
        return ops.where(is_identity_filter, ops.cast(identity, uniform.dtype), uniform)

    def get_config(self) -> dict:
        return {"seed": self.seed}


@serializable
class PatchWhitening(layers.Layer):
    """A frozen `patch_size` x `patch_size` convolution that whitens image patches.

    `adapt(images)` sets its filters to the eigenvectors V of the patches' covariance C,
    each divided by sqrt(eigenvalue + epsilon * mean variance): the outputs of a patch are
    decorrelated with variance about 1 (epsilon keeps the smallest directions, mostly
    noise, from being blown up). Each filter comes twice, as +v and -v, so the activation
    after it keeps both signs. The bias is -V^T mean: centred outputs.

    Nothing here trains (airbench trains the bias for 3 epochs): with no gradient wanted
    before the first convolution, TensorFlow skips that convolution's input gradient, 6.5%
    of a training step, at the same accuracy (widths 32-128-128, 8 epochs: 0.900 / 0.835
    on the exact 1,000 / all 10,000 test images, against 0.903 / 0.830 with the bias
    trained). Computed in float32 even under mixed precision: it multiplies small
    differences by up to 1/sqrt(epsilon), too much for bfloat16's 8 bits (and it costs
    little: 0.3M multiply-adds an image).
    """

    def __init__(self, patch_size: int = 2, epsilon: float = 5e-4, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.epsilon = epsilon

    def build(self, input_shape) -> None:
        size = self.patch_size * self.patch_size * input_shape[-1]  # values in one patch
        shape = (self.patch_size, self.patch_size, input_shape[-1], 2 * size)
        self.kernel = self.add_weight(shape=shape, initializer="zeros", trainable=False)
        self.bias = self.add_weight(
            shape=(2 * size,), initializer="zeros", trainable=False, name="bias"
        )

    def adapt(self, images: np.ndarray, max_images: int = WHITENING_IMAGES) -> None:
        """Compute the filters from (at most `max_images` of) `images`, (N, H, W, C) floats."""
        images = np.asarray(images[:max_images], dtype="float32")
        if images.ndim != 4 or min(images.shape[1:3]) < self.patch_size:
            raise TfnoteError(
                f"whitening needs images shaped (N, H, W, C) of at least "
                f"{self.patch_size}x{self.patch_size} pixels, got {images.shape}"
            )
        if not self.built:
            self.build(images.shape)
        patches = image_patches(images, self.patch_size)
        mean = patches.mean(axis=0)
        covariance = np.cov(patches, rowvar=False)  # float64, centred
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        floor = self.epsilon * np.trace(covariance) / len(covariance)
        filters = eigenvectors / np.sqrt(eigenvalues + floor)  # column j: v_j / sqrt(l_j + e)
        both = np.concatenate([filters, -filters], axis=1)
        self.kernel.assign(both.reshape(self.kernel.shape).astype("float32"))
        self.bias.assign((-mean @ both).astype("float32"))

    def call(self, x):
        return ops.conv(x, self.kernel, padding="valid") + self.bias

    def get_config(self) -> dict:
        return {**super().get_config(), "patch_size": self.patch_size, "epsilon": self.epsilon}


def image_patches(images: np.ndarray, size: int) -> np.ndarray:
    """Every `size` x `size` patch of `images` (N, H, W, C), flattened in a conv kernel's
    (row, column, channel) order: shape (N * (H - size + 1) * (W - size + 1), size*size*C)."""
    windows = np.lib.stride_tricks.sliding_window_view(images, (size, size), axis=(1, 2))
    # windows: (N, H', W', C, size, size) -> (N, H', W', size, size, C)
    windows = windows.transpose(0, 1, 2, 4, 5, 3)
    return windows.reshape(-1, size * size * images.shape[-1])


@serializable
class BatchNormBias(layers.Layer):
    """BatchNorm without a scale, with a bias that learns `boost`**2 times faster under SGD.

    No scale: the convolution after it has one. The bias (beta) is stored divided by
    `boost`, so its gradient is `boost` times beta's and each step moves beta `boost` times
    the variable's move: the published recipes give this bias a 64x learning rate (boost 8),
    and this way one optimizer with one rate does it. Decoupled weight decay still shrinks
    beta by the same fraction as every other weight.

    `momentum` is Keras's: moving = momentum * moving + (1 - momentum) * batch, so 0.6 is
    PyTorch's momentum=0.4; a short memory suits a short run. It runs TensorFlow's fused
    kernel, statistics in float32 for bfloat16 inputs: 14% faster per training step than
    Keras's BatchNormalization + a bias, which computes the moments in separate passes
    (measured on the 2-core CPU, whole network, bfloat16).
    """

    def __init__(self, momentum: float = 0.6, boost: float = 8.0, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.boost = boost
        self.epsilon = epsilon

    def build(self, input_shape) -> None:
        channels = (input_shape[-1],)
        # autocast=False: the fused kernel wants float32 parameters beside bfloat16 data
        self.offset = self.add_weight(shape=channels, initializer="zeros", autocast=False)
        self.moving_mean = self.add_weight(
            shape=channels, initializer="zeros", trainable=False, autocast=False, name="mean"
        )
        self.moving_variance = self.add_weight(
            shape=channels, initializer="ones", trainable=False, autocast=False, name="variance"
        )

    def call(self, x, training=False):
        scale = tf.ones_like(self.offset)
        beta = self.offset * self.boost
        if not training:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                x,
                scale,
                beta,
                self.moving_mean,
                self.moving_variance,
                self.epsilon,
                is_training=False,
            )
            return y
        y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            x,
            scale,
            beta,
            self.moving_mean,
            self.moving_variance,
            self.epsilon,
            is_training=True,
            exponential_avg_factor=1.0 - self.momentum,
        )  # mean and variance come back already averaged into the moving ones
        self.moving_mean.assign(mean)
        self.moving_variance.assign(variance)
        return y

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "boost": self.boost,
            "epsilon": self.epsilon,
        }


def activation_function(name: str):
    """ "gelu" (exact, erf: what the published recipes use) or "relu".

    ReLU trains 23% more images a second on 2 CPU cores (widths 32-128-128, bfloat16:
    1,374 against 1,114, CPU time): TensorFlow runs GELU as several elementwise kernels
    forward and back, ReLU as one.
    """
    if name == "gelu":
        return lambda x: keras.activations.gelu(x, approximate=False)
    if name == "relu":
        return keras.activations.relu
    raise TfnoteError(f"activation must be gelu or relu (got {name!r})")


@serializable
class ConvGroup(layers.Layer):
    """Conv3x3 -> MaxPool(2) -> BN -> GELU -> Conv3x3 -> BN -> GELU, `filters` channels.

    Pooling right after the first convolution makes the second run on a quarter of the
    pixels.
    """

    def __init__(
        self,
        filters: int,
        momentum: float = 0.6,
        bias_boost: float = 8.0,
        activation: str = "gelu",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = filters
        self.momentum = momentum
        self.bias_boost = bias_boost
        self.activation = activation
        self.act = activation_function(activation)

        policy = self.dtype_policy  # the sublayers compute in the group's precision

        def conv():
            return layers.Conv2D(
                filters,
                3,
                padding="same",
                use_bias=False,
                kernel_initializer=DiracUniform(),
                dtype=policy,
            )

        self.conv1, self.conv2 = conv(), conv()
        self.pool = layers.MaxPooling2D(2, dtype=policy)
        self.norm1 = BatchNormBias(momentum, bias_boost, dtype=policy)
        self.norm2 = BatchNormBias(momentum, bias_boost, dtype=policy)

    def call(self, x, training=False):
        x = self.pool(self.conv1(x))
        x = self.act(self.norm1(x, training=training))
        return self.act(self.norm2(self.conv2(x), training=training))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "momentum": self.momentum,
            "bias_boost": self.bias_boost,
            "activation": self.activation,
        }


@serializable
class FastNet(keras.Model):
    """The network of this module's docstring; `tta` 0, 1 (mirror) or 2 (mirror + shifts).

    `dtype="mixed_bfloat16"` runs the convolutions in bfloat16 with float32 weights: 1.6x
    the float32 speed on a CPU with AVX512-BF16 (440 against 270 images/s in training,
    measured on 2 cores); BatchNorm statistics, whitening and softmax stay float32. The
    precision belongs to the model, so a saved model loads with it.
    """

    def __init__(
        self,
        num_classes: int = 10,
        widths: tuple[int, ...] = (64, 256, 256),
        tta: int = 1,
        momentum: float = 0.6,
        bias_boost: float = 8.0,
        head_scale: float = 1 / 9,
        whitening_epsilon: float = 5e-4,
        activation: str = "gelu",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if tta not in (0, 1, 2):
            raise TfnoteError(f"tta must be 0, 1 or 2 (got {tta})")
        self.num_classes = num_classes
        self.widths = tuple(widths)
        self.tta = tta
        self.momentum = momentum
        self.bias_boost = bias_boost
        self.head_scale = head_scale
        self.whitening_epsilon = whitening_epsilon
        self.activation = activation
        self.act = activation_function(activation)
        policy = self.dtype_policy  # from `dtype`, e.g. "mixed_bfloat16"; saved with the model
        self.whiten = PatchWhitening(2, whitening_epsilon)  # float32 always (see the class)
        self.groups = [
            ConvGroup(w, momentum, bias_boost, activation, dtype=policy) for w in self.widths
        ]
        self.pool = layers.MaxPooling2D(3, dtype=policy)
        self.flatten = layers.Flatten(dtype=policy)
        self.head = layers.Dense(
            num_classes,
            use_bias=False,
            kernel_initializer=keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform"),
            dtype=policy,
        )
        self.softmax = layers.Activation("softmax", dtype="float32")

    @property
    def input_dtype(self):
        """Images enter in float32 under any policy: the whitening needs their precision."""
        return "float32"

    def adapt(self, images: np.ndarray, verbose: bool = False) -> None:
        """Set the whitening filters from training images (N, H, W, C), scaled as inputs.

        `verbose` says what it does and how long it took: 2 s on the idle 2-core machine,
        but longer on a busy one, before any progress bar appears."""
        size, count = self.whiten.patch_size, min(len(images), WHITENING_IMAGES)
        if verbose:
            print(
                f"whitening: learning {size}x{size} patch filters from {count:,} training"
                " images...",
                end="",
                flush=True,
            )
        started = time.monotonic()
        self.whiten.adapt(images, count)
        if verbose:
            print(f" done in {time.monotonic() - started:.1f} s", flush=True)

    def logits(self, x, training=False):
        x = self.act(ops.cast(self.whiten(x), self.compute_dtype))
        for group in self.groups:
            x = group(x, training=training)
        x = self.head(self.flatten(self.pool(x)))
        return ops.cast(x, "float32") * self.head_scale

    def call(self, x, training=False):
        if training or self.tta == 0:
            return self.softmax(self.logits(x, training))
        views = [x, ops.flip(x, axis=2)]  # the image and its mirror
        if self.tta == 2:
            # one pixel up-left and one down-right, the border filled by reflection
            padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
            height, width = x.shape[1], x.shape[2]
            for shifted in (padded[:, :height, :width], padded[:, 2:, 2:]):
                views += [shifted, ops.flip(shifted, axis=2)]
        # all views in one batch: one call, larger matrix products
        logits = self.logits(ops.concatenate(views, axis=0), training=False)
        logits = ops.stack(ops.split(logits, len(views), axis=0))
        if self.tta == 2:  # the unshifted pair weighs as much as the four shifted views
            weights = ops.convert_to_tensor([0.25, 0.25, 0.125, 0.125, 0.125, 0.125])
            averaged = ops.sum(logits * weights[:, None, None], axis=0)
        else:
            averaged = ops.mean(logits, axis=0)
        return self.softmax(averaged)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "widths": list(self.widths),
            "tta": self.tta,
            "momentum": self.momentum,
            "bias_boost": self.bias_boost,
            "head_scale": self.head_scale,
            "whitening_epsilon": self.whitening_epsilon,
            "activation": self.activation,
        }


def fast_cifar(input_shape, num_classes: int, **args) -> FastNet:
    """The fast CIFAR-10 network; `args` are FastNet's (widths, tta, momentum, ...)."""
    if len(input_shape) != 3 or min(input_shape[:2]) < 25:
        raise TfnoteError(
            f"model fast-cifar needs images (height, width, channels) of at least 25x25 pixels "
            f"(a 2x2 convolution, three 2x poolings and a 3x3 one), got {tuple(input_shape)}"
        )
    model = FastNet(num_classes, **args)
    model(np.zeros((1, *input_shape), "float32"))  # creates the weights
    return model


MODELS = {"fast-cifar": fast_cifar}

INPUTS = Inputs("image", (32, 32, 3), 10)  # CIFAR-10
