"""How a run's training images look, so that a photo can be made to look the same.

A model knows only its training images. `tfnote predict` must turn a learner's photo into
an input from the same distribution: the same background (light paper or a dark board),
the same ink, the object as big and as centred as in training. These facts are measured
once, at training time, on a sample of the training images, and kept in the run's
model.json under "images":

    >>> looks = measure(data.x_train)          # None for data that are not images
    >>> looks.polarity, looks.background, looks.ink, looks.extent
    ('light', 231.0, 32.0, 0.62)

Levels are grey levels 0..255 (floats in 0..1 are read as 0..255), whatever the run's
`scale`: a photo is prepared in 0..255 and scaled afterwards, like the training images.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

SAMPLE = 2000  # images measured: 60,000 MNIST images in 0.4 s would be 12 s whole
BORDER = 0.1  # the outer 10% of each side is where an image's background is measured
INK_SHARE = 0.5  # a pixel is "object" when over half-way from the background to the ink
AGREE = 0.8  # share of images whose background is on one side; fewer: "mixed" (photos)
MIN_GREY_SIDE = 8  # a 2-D input narrower than this is a sequence (days x columns), not grey
TOUCH = 0.25  # more of the images' objects touch the edge: they fill the frame


@dataclass
class ImageLooks:
    """The training images' typical appearance (medians over a sample, levels 0..255)."""

    height: int
    width: int
    channels: int
    polarity: str  # "light" (dark ink on light paper), "dark" (light on dark) or "mixed"
    background: float  # the background's grey level
    ink: float  # the object's most contrasting grey level (its 1st or 99th percentile)
    background_range: tuple[float, float] = (0.0, 255.0)  # lowest..highest over the images
    ink_range: tuple[float, float] = (0.0, 255.0)
    extent: float = 1.0  # the object's longest side / the image's side
    extent_range: tuple[float, float] = (0.0, 1.0)  # 1st..99th percentile (a few odd ones)
    centred: bool = False  # objects sit near the middle, clear of the edge (MNIST-like)

    def describe(self) -> str:
        """'dark objects on a light background (grey 231), centred, about 62% of the frame'"""
        kind = {
            "light": f"dark objects on a light background (grey {self.background:.0f})",
            "dark": f"light objects on a dark background (grey {self.background:.0f})",
            "mixed": "whole photos (no common background)",
        }[self.polarity]
        if self.polarity == "mixed":
            return kind
        where = "centred" if self.centred else "anywhere in the frame"
        return f"{kind}, {where}, about {self.extent:.0%} of the frame"

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("background", "ink", "extent"):
            d[key] = round(d[key], 3)
        for key in ("background_range", "ink_range", "extent_range"):
            d[key] = [round(v, 3) for v in d[key]]
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> ImageLooks | None:
        """The record in model.json, or None when it is missing or unusable (an older run)."""
        if not isinstance(d, dict):
            return None
        known = {f.name for f in fields(cls)}
        try:
            looks = cls(**{k: v for k, v in d.items() if k in known})
            if "extent_range" not in d:  # no spread recorded: the typical size alone
                looks.extent_range = (looks.extent, looks.extent)
            for key in ("background_range", "ink_range", "extent_range"):
                low, high = getattr(looks, key)
                setattr(looks, key, (float(low), float(high)))
        except (TypeError, ValueError):  # a required key missing, or a wrong type
            return None
        return looks if looks.polarity in ("light", "dark", "mixed") else None


def image_shape(shape) -> tuple[int, int, int] | None:
    """(height, width, channels) of one image of this array shape (without the batch axis),
    or None when it is not an image: (H, W) is a grey image, (H, W, 1) grey, (H, W, 3) colour.
    A sequence's (steps, features), such as the prices' (60, 1), is not: under 8 wide."""
    shape = tuple(int(d) for d in shape)
    if len(shape) == 2:
        return (*shape, 1) if min(shape) >= MIN_GREY_SIDE else None
    if len(shape) == 3 and shape[2] in (1, 3):
        return shape
    return None


def measure(x: np.ndarray) -> ImageLooks | None:
    """Measure a sample of the images `x` (N, H, W[, C]); None if they are not images."""
    x = np.asarray(x)
    shape = image_shape(x.shape[1:]) if x.ndim in (3, 4) else None
    if shape is None or len(x) == 0 or min(shape[:2]) < 4:
        return None
    height, width, channels = shape
    if len(x) > SAMPLE:  # evenly spaced: the same images every time, every class
        x = x[np.linspace(0, len(x) - 1, SAMPLE).astype(int)]
    g = x.astype(np.float32).reshape(len(x), height, width, channels).mean(axis=3)
    if np.issubdtype(x.dtype, np.floating) and g.max() <= 1.0:
        g = g * 255

    bh, bw = max(1, round(height * BORDER)), max(1, round(width * BORDER))
    border = np.ones((height, width), bool)
    border[bh:-bh, bw:-bw] = False
    background = np.median(g[:, border], axis=1)  # per image
    flat = g.reshape(len(g), -1)
    light = background > flat.mean(axis=1)  # the ink pulls the mean away from the paper
    share = light.mean()
    polarity = "light" if share >= AGREE else "dark" if share <= 1 - AGREE else "mixed"
    ink = np.where(light, np.percentile(flat, 1, axis=1), np.percentile(flat, 99, axis=1))

    # The object: pixels over half-way from the background to the ink.
    contrast = np.abs(ink - background)[:, None, None]
    far = np.abs(g - background[:, None, None]) > INK_SHARE * np.maximum(contrast, 8)
    rows, cols = far.any(axis=2), far.any(axis=1)
    found = rows.any(axis=1)
    if not found.any():
        extent, extent_range, centred = 1.0, (0.0, 1.0), False
    else:
        rows, cols = rows[found], cols[found]
        top, bottom = rows.argmax(axis=1), height - rows[:, ::-1].argmax(axis=1)
        left, right = cols.argmax(axis=1), width - cols[:, ::-1].argmax(axis=1)
        sides = np.maximum((bottom - top) / height, (right - left) / width)
        extent = float(np.median(sides))
        extent_range = float(np.percentile(sides, 1)), float(np.percentile(sides, 99))
        touches = (top == 0) | (left == 0) | (bottom == height) | (right == width)
        centred = polarity != "mixed" and touches.mean() <= TOUCH and extent < 0.95

    def spread(v: np.ndarray) -> tuple[float, float]:
        # All of it: a photo within it could be one of the training images (5th..95th
        # percentiles sent a tenth of a learner's own test images through level mapping).
        return float(v.min()), float(v.max())

    return ImageLooks(
        height=height,
        width=width,
        channels=channels,
        polarity=polarity,
        background=float(np.median(background)),
        ink=float(np.median(ink)),
        background_range=spread(background),
        ink_range=spread(ink),
        extent=extent,
        extent_range=extent_range,
        centred=bool(centred),
    )
