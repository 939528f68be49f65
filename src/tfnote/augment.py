"""Data augmentation: the course's ImageDataGenerator settings as Keras 3 preprocessing layers.

The course (class 4) augmented MNIST and Fashion-MNIST with

    ImageDataGenerator(rotation_range=45, width_shift_range=0.15, height_shift_range=0.15,
                       zoom_range=0.5, horizontal_flip=...)   # flip for Fashion only

ImageDataGenerator is gone in Keras 3. The same random transforms now exist as layers,
which run inside the tf.data pipeline on scaled float batches (tfnote.train applies them
to training batches only; validation and test data are never augmented):

    >>> from tfnote.augment import augmentation
    >>> augment = augmentation("mnist")
    >>> x_augmented = augment(x_batch, training=True)   # x_batch: (N, H, W, C) floats

AUGMENTATIONS maps every name a spec's `augment` may take to a builder: the course's
presets above, and the fast CIFAR-10 recipe's flip-shift (tfnote.flip_shift).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tfnote import _tf
from tfnote.errors import TfnoteError

if TYPE_CHECKING:
    from tfnote.spec import Spec

# name -> the course's settings. Angles in degrees, shifts and zoom as fractions of the size.
PRESETS: dict[str, dict] = {
    "mnist": {"rotation": 45, "shift": 0.15, "zoom": 0.5, "flip": False},
    "fashion": {"rotation": 45, "shift": 0.15, "zoom": 0.5, "flip": True},
    # ResNet recipe (class 5): a random crop after 4-pixel zero padding is a random shift of
    # up to 4 of 32 pixels (1/8) filled with zeros, by whole pixels; plus a horizontal flip.
    "cifar": {"rotation": 0, "shift": 0.125, "zoom": 0, "flip": True, "fill": "constant"},
    # The own-images preset (a learner's few hundred pictures): milder than the course's, so
    # a drawing stays inside the frame, and no flip, which would turn a "b" into a "d".
    "own": {"rotation": 15, "shift": 0.1, "zoom": 0.15, "flip": False},
}

# ImageDataGenerator filled the space uncovered by a transform with the nearest edge pixel.
FILL_MODE = "nearest"


def augmentation(name: str, seed: int | None = None):
    """A Keras Sequential of random layers for preset `name` (a key of PRESETS).

    Call it as `layer(x, training=True)`; with training=False it returns x unchanged.
    `seed` makes the random draws repeatable (the preview uses it).
    """
    if name not in PRESETS:
        raise TfnoteError(f"unknown augmentation {name!r}; choose from {', '.join(PRESETS)}")
    settings = PRESETS[name]
    _, keras = _tf.load()
    layers = keras.layers
    fill = settings.get("fill", FILL_MODE)
    # Zero-filled shifts stand for pad-and-crop, so they move by whole pixels (nearest).
    interpolation = "nearest" if fill == "constant" else "bilinear"

    def seed_of(i: int) -> int | None:  # one seed per layer, or their draws would move together
        return None if seed is None else seed + i

    steps = []
    if settings["rotation"]:
        # RandomRotation takes a fraction of a full turn: 45 degrees = 45/360.
        steps.append(
            layers.RandomRotation(settings["rotation"] / 360, fill_mode=fill, seed=seed_of(0))
        )
    if settings["shift"]:
        steps.append(
            layers.RandomTranslation(
                settings["shift"],
                settings["shift"],
                fill_mode=fill,
                interpolation=interpolation,
                seed=seed_of(1),
            )
        )
    if settings["zoom"]:
        # zoom_range=0.5 zoomed height and width independently by 0.5..1.5.
        steps.append(
            layers.RandomZoom(settings["zoom"], settings["zoom"], fill_mode=fill, seed=seed_of(2))
        )
    if settings["flip"]:
        steps.append(layers.RandomFlip("horizontal", seed=seed_of(3)))
    return keras.Sequential(steps, name=f"augment_{name}")


@dataclass(frozen=True)
class Augmentation:
    """How the trainer augments training batches (tfnote.train.make_pipeline), in one of
    two ways:

    layers      random Keras layers, run on one batch at a time: they share one seed
                state, which the trainer sets at each epoch (tfnote.train.epoch_seeds)
    by_index    a function of (batch, its images' places in the training set, epoch,
                seed) alone, run where the shuffled batches are gathered
    """

    layers: Any = None
    by_index: Callable | None = None


def _course_preset(name: str) -> Callable[[Spec, tuple], Augmentation]:
    return lambda spec, sample_shape: Augmentation(layers=augmentation(name))


def _flip_shift(spec: Spec, sample_shape: tuple) -> Augmentation:
    """Alternating flips and 2-pixel reflected shifts (the fast CIFAR-10 recipe's)."""
    if not spec.shuffle:  # it is applied where the shuffled batches are gathered
        raise TfnoteError("augment flip-shift needs shuffle = true")
    if len(sample_shape) != 3:
        raise TfnoteError(
            f"augment flip-shift needs images (height, width, channels); "
            f"{spec.dataset} has samples of shape {sample_shape}"
        )
    from tfnote.flip_shift import flip_shift

    return Augmentation(by_index=flip_shift)


# name -> builder (the spec, one training sample's shape) -> Augmentation
AUGMENTATIONS: dict[str, Callable[[Spec, tuple], Augmentation]] = {
    **{name: _course_preset(name) for name in PRESETS},
    "flip-shift": _flip_shift,
}


def make_augmentation(spec: Spec, sample_shape: tuple) -> Augmentation:
    """The spec's `augment` (None: no augmentation) for training samples of `sample_shape`."""
    name = spec.augment
    if name is None:
        return Augmentation()
    if name not in AUGMENTATIONS:
        raise TfnoteError(f"unknown augmentation {name!r}; choose from {', '.join(AUGMENTATIONS)}")
    return AUGMENTATIONS[name](spec, tuple(int(d) for d in sample_shape))


def describe(name: str) -> str:
    """Preset `name`'s settings in words, as ImageDataGenerator's arguments read."""
    settings = PRESETS[name]
    parts = []
    if settings["rotation"]:
        parts.append(f"rotation up to ±{settings['rotation']:g}°")
    if settings["shift"]:
        parts.append(f"shift up to ±{settings['shift']:.1%} of the size".replace(".0%", "%"))
    if settings["zoom"]:
        z = settings["zoom"]
        parts.append(f"zoom x{1 - z:g} to x{1 + z:g}")
    parts.append("horizontal flip" if settings["flip"] else "no flip")
    fill = settings.get("fill", FILL_MODE)
    parts.append("empty space filled with " + ("black" if fill == "constant" else "edge pixels"))
    return ", ".join(parts)


def preview(
    images: np.ndarray,
    name: str,
    out: str | os.PathLike,
    copies: int = 5,
    seed: int = 0,
    labels=None,
    class_names: list[str] | None = None,
) -> Path:
    """Save a PNG grid: one row per image, the original first, then `copies` augmented ones.

    `images` are uint8 (N, H, W, C) as the datasets return them; this is the course's
    "look at the augmented samples" step (p11_show_augmented_images). The title states
    the preset's settings; with `labels`, each row names its class.
    """
    from tfnote import plots

    plt = plots.pyplot()
    layer = augmentation(name, seed=seed)
    x = images.astype("float32") / 255.0
    columns = [x] + [np.asarray(layer(x, training=True)) for _ in range(copies)]
    rows = len(x)
    fig, axes = plt.subplots(
        rows, copies + 1, figsize=(1.5 * (copies + 1) + 0.8, 1.4 * rows + 0.9), squeeze=False
    )
    for col, batch in enumerate(columns):
        for row in range(rows):
            ax = axes[row][col]
            picture = batch[row].clip(0, 1)
            if picture.shape[-1] == 1:
                ax.imshow(picture[..., 0], cmap="gray", vmin=0, vmax=1)
            else:
                ax.imshow(picture)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0][col].set_title("original" if col == 0 else f"augmented {col}", fontsize=8)
    if labels is not None:
        for row in range(rows):
            label = int(labels[row])
            name_of = class_names[label] if class_names and label < len(class_names) else ""
            text = f"{label}: {name_of}" if name_of and name_of != str(label) else str(label)
            axes[row][0].set_ylabel(text, fontsize=8, rotation=0, ha="right", va="center")
    import textwrap

    settings = textwrap.fill(describe(name), width=int(11 * (copies + 1)))
    fig.suptitle(f"augmentation {name!r}: {settings}", fontsize=9)
    fig.tight_layout()
    return plots.save(fig, out)
