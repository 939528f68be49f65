"""A learner's own small image set, made by the tests: simple drawings in class folders.

Four classes (circle, square, triangle, cross) drawn with a pen of random width, rotated,
shifted and scaled at random and blurred a little, on paper of a random grey with grain:

    ROOT/train/<class>/<n>.png   (per_class images each)
    ROOT/test/<class>/<n>.png    (test_per_class images each)

`style` is how a learner's own pictures may look: "dark-on-light" (pen on white paper),
"light-on-dark" (chalk on a blackboard) or "colour" (coloured pens on tinted paper, RGB).
The same seed always makes the same files.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CLASSES = ("circle", "cross", "square", "triangle")  # sorted: the class folders' order
STYLES = ("dark-on-light", "light-on-dark", "colour")


def _shape_points(kind: str, cx: float, cy: float, r: float, angle: float) -> list:
    """The outline (a list of point lists) of one drawing, rotated by `angle` radians."""

    def rotate(points):
        c, s = math.cos(angle), math.sin(angle)
        return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in points]

    if kind == "circle":
        return [
            rotate([(r * math.cos(t), r * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 40)])
        ]
    if kind == "square":
        q = r * 0.85
        return [rotate([(-q, -q), (q, -q), (q, q), (-q, q), (-q, -q)])]
    if kind == "triangle":
        pts = [
            (r * math.cos(t), r * math.sin(t)) for t in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)
        ]
        return [rotate([*pts, pts[0]])]
    if kind == "cross":
        return [rotate([(-r, -r), (r, r)]), rotate([(-r, r), (r, -r)])]
    raise ValueError(kind)


def drawing(kind: str, rng: np.random.Generator, size: int = 64, style: str = "dark-on-light"):
    """One PIL image of `kind` in `style`: L for the grey styles, RGB for colour."""
    big = size * 4  # drawn 4x larger, then shrunk: smooth edges
    if style == "colour":
        paper = tuple(int(v) for v in rng.integers(170, 256, 3))
        ink = tuple(int(v) for v in rng.integers(0, 110, 3))
        image = Image.new("RGB", (big, big), paper)
    else:
        light, dark = int(rng.integers(200, 256)), int(rng.integers(0, 60))
        paper, ink = (light, dark) if style == "dark-on-light" else (dark, light)
        image = Image.new("L", (big, big), paper)
    pen = ImageDraw.Draw(image)
    r = big * rng.uniform(0.22, 0.34)
    cx = big / 2 + rng.uniform(-0.12, 0.12) * big
    cy = big / 2 + rng.uniform(-0.12, 0.12) * big
    angle = rng.uniform(-0.5, 0.5)  # about +-30 degrees
    width = int(rng.integers(6, 16))
    for line in _shape_points(kind, cx, cy, r, angle):
        pen.line(line, fill=ink, width=width, joint="curve")
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0, 4)))
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    a = np.asarray(image, np.float32)
    a = a + rng.normal(0, 4, a.shape)  # the paper's grain
    return Image.fromarray(a.clip(0, 255).round().astype(np.uint8))


def make_drawings(
    root: str | Path,
    style: str = "dark-on-light",
    per_class: int = 60,
    test_per_class: int = 20,
    size: int = 64,
    seed: int = 1,
) -> Path:
    """Write ROOT/train/<class>/ and ROOT/test/<class>/ PNG drawings; return ROOT."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}")
    root = Path(root)
    rng = np.random.default_rng(seed)
    for split, count in (("train", per_class), ("test", test_per_class)):
        for kind in CLASSES:
            folder = root / split / kind
            folder.mkdir(parents=True, exist_ok=True)
            for n in range(count):
                drawing(kind, rng, size, style).save(folder / f"{n:03d}.png")
    return root


def held_out_files(root: str | Path) -> list[tuple[Path, str]]:
    """(file, class name) of every image in ROOT/test, in a fixed order."""
    root = Path(root)
    return [(f, f.parent.name) for f in sorted((root / "test").glob("*/*.png"))]
