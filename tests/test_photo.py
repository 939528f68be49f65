"""Photos -> model inputs (tfnote.photo): the datasets' own recipes, any image, no blank answers.

Besides the course's ten digit photos, the accuracy checks use "photos" rendered here with a
seeded generator from the datasets' *test* images: the object upscaled, given its own
shade and colour, put off-centre (small, or filling the frame) on grey paper with grain,
a lighting gradient, vignetting, a drop shadow and sensor noise. Light objects on light
paper are a third of them. No image file is stored in the repository.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tfnote import photo
from tfnote.errors import TfnoteError

MNIST_INFO = {"input_shape": [28, 28, 1], "dataset": "mnist", "class_names": list("0123456789")}
FASHION_INFO = {"input_shape": [28, 28, 1], "dataset": "fashion"}


# --- rendering test photos -------------------------------------------------------------------


def render_photo(
    x28: np.ndarray,
    rng: np.random.Generator,
    ink: bool = False,
    paper: float | None = None,
    tone: float | None = None,
    size: float | None = None,
) -> Image.Image:
    """A photo-like RGB image of a 28x28 dataset image (a light object on black).

    `ink`: a digit in dark ink; otherwise a product with its own shade and colour, light on
    light paper a third of the time. `paper`, `tone` (the object's grey) and `size` (its
    side over the frame's short side; above 1 the frame cuts it) replace the random draws.
    """
    from scipy import ndimage

    height, width = rng.integers(220, 400, size=2)
    draw = dict(paper=rng.uniform(170, 250), size=rng.uniform(0.3, 1.0), light=rng.random())
    paper = draw["paper"] if paper is None else paper
    side = int((draw["size"] if size is None else size) * min(height, width))
    top = rng.integers(min(0, height - side), max(0, height - side) + 1)
    left = rng.integers(min(0, width - side), max(0, width - side) + 1)
    cover = np.asarray(Image.fromarray(x28).resize((side, side), Image.Resampling.BICUBIC), float)
    cover = np.pad(cover.clip(0, 255) / 255, height + width)  # room to place it anywhere
    rows = slice(height + width - top, height + width - top + height)
    cols = slice(height + width - left, height + width - left + width)
    cover = cover[rows, cols]
    alpha = (cover / 0.15).clip(0, 1)
    inside = cover >= 0.15
    shade = np.where(inside, cover, cover[inside].mean())  # the blurred rim has no shade
    light = draw["light"] < 1 / 3
    if ink:
        tone = rng.uniform(20, 120) if tone is None else tone
        contrast = 0.0
    else:
        # Light on light: 25-60 levels darker than the paper, or lighter where there is room.
        base = paper - rng.uniform(25, 60) if light else rng.uniform(30, 200)
        if light and paper < 200 and rng.random() < 0.5:
            base = paper + rng.uniform(25, 50)
        tone = base if tone is None else tone
        contrast = rng.uniform(0.05, 0.25) if light else rng.uniform(0.2, 0.6)
    # The dataset's shades (negated) become the product's folds and seams.
    grey = tone + contrast * 255 * (cover[inside].mean() - shade)
    colour = 1 + rng.uniform(0, 0.4) * (rng.dirichlet([1, 1, 1]) * 3 - 1)
    obj = grey[..., None] * colour
    back = paper + np.array([rng.uniform(0, 6), 0, -rng.uniform(0, 6)])  # a warm paper
    grain = ndimage.gaussian_filter(rng.normal(0, 1, (height, width)), 1.2)
    back = back + (grain * rng.uniform(2, 6) / grain.std())[..., None]
    # A soft drop shadow, offset down and to the right.
    offset = rng.integers(0, max(2, side // 25), size=2)
    shadow = ndimage.gaussian_filter(np.roll(alpha, tuple(offset), (0, 1)), side / 40)
    back = back * (1 - rng.uniform(0, 0.15) * shadow[..., None])
    image = alpha[..., None] * obj + (1 - alpha[..., None]) * back
    # Light: a gradient in a random direction and vignetting, then sensor noise.
    y, x = np.mgrid[-1 : 1 : height * 1j, -1 : 1 : width * 1j]
    angle = rng.uniform(0, 2 * np.pi)
    lamp = 1 + rng.uniform(0, 0.12) * (np.cos(angle) * x + np.sin(angle) * y)
    lamp -= rng.uniform(0, 0.08) * (x * x + y * y) / 2
    image = image * lamp[..., None] + rng.normal(0, rng.uniform(1, 4), image.shape)
    return Image.fromarray(image.clip(0, 255).round().astype(np.uint8))
