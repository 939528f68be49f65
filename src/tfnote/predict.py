"""Recognize your own image: prepare a photo the way the training data looks, then predict.

The course (class 4) opens a user's photo, resizes it to 28x28, makes it grayscale and then
either inverts it (255 - x) or thresholds it (pixel < 200 -> 255, else 0) so that the digit
is white on black like MNIST. Which of the two works depends on the photo: plain inversion
suits a clean white background, but a photo of paper is grey and textured, and inverting
it leaves a grey haze that the model takes for ink. So `mode="auto"` looks at the image's
border (its background) and decides:

- light background: `invert` when it is clean white, else `threshold` (ink -> 255)
- dark background: `none` when it is clean black, else `threshold` (light strokes -> 255)
- colour (RGB) models such as CIFAR-10 get the photo as it is (`none`)

The threshold level follows the background instead of the course's fixed 200: a pixel is
ink when it is at least 15 grey levels (or 4x the background's noise) darker than the
background, as measured after resizing. Thin pen strokes shrink to faint grey pixels at
28x28, and a level near the background keeps them (the course's 200 lost parts of the
test digits with some models). `level=` (`--threshold`) sets it by hand.

Photos are turned upright by their EXIF orientation, transparent parts count as white
paper, and images over Pillow's decompression-bomb limit (about 89 megapixels) are
refused before they are decoded.

    >>> from tfnote.predict import predict
    >>> for p in predict("runs/mnist", ["digit.png"]):
    ...     print(p.name, p.probability)
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfnote.errors import TfnoteError

MODES = ("auto", "invert", "threshold", "none")
LEVEL_MARGIN = 15  # a pixel is ink when at least this much darker than the background
CLEAN = 5  # a background within this of pure white (or black) needs no thresholding
BORDER = 0.05  # the outer 5% of each side is taken as the background


@dataclass
class Prepared:
    """A photo turned into one model input, and how that was done."""

    path: str
    pixels: np.ndarray  # (H, W, C) float32 in 0..255: light object on a dark background
    mode: str  # invert, threshold or none
    background: float  # median grey level of the border
    level: int | None = None  # the threshold used


@dataclass
class Prediction:
    """One image's most likely class, its probability, and the top classes in order."""

    path: str
    label: int
    name: str
    probability: float
    top: list[tuple[int, str, float]] = field(default_factory=list)
    prepared: Prepared | None = None

    def to_dict(self) -> dict:
        prepared = self.prepared
        return {
            "image": self.path,
            "class": self.label,
            "name": self.name,
            "probability": round(self.probability, 6),
            "top": [{"class": c, "name": n, "probability": round(p, 6)} for c, n, p in self.top],
            "preprocessing": {
                "mode": prepared.mode,
                "threshold": prepared.level,
                "background": round(prepared.background, 1),
            },
        }


# --- opening an image safely --------------------------------------------------------------


def open_image(path: str | os.PathLike):
    """Open and fully decode an image, or raise TfnoteError saying what is wrong with it."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise TfnoteError(f"{path}: no such image file")
    if path.stat().st_size == 0:
        raise TfnoteError(f"{path}: the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Pillow refuses (here: always) images over Image.MAX_IMAGE_PIXELS, about 89
            # megapixels, before decoding them: a small file must not fill the memory.
            image = Image.open(path)
            image.load()
    except UnidentifiedImageError:
        raise TfnoteError(f"{path}: not an image file (unknown format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise TfnoteError(f"{path}: image too large to open safely, scale it down ({e})") from None
    except OSError as e:
        what = "truncated" if "truncated" in str(e).lower() else "unreadable"
        raise TfnoteError(f"{path}: the image is {what} ({e})") from None
    except Exception as e:  # noqa: BLE001 - corrupt files make decoders raise many kinds
        raise TfnoteError(f"{path}: corrupt image ({type(e).__name__}: {e})") from None
    image = ImageOps.exif_transpose(image)  # phone photos store their rotation in EXIF
    if "A" in image.getbands() or "transparency" in image.info:
        # Transparent parts become white paper, not black.
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return image


# --- preprocessing ---------------------------------------------------------------------------


def background_level(gray: np.ndarray) -> tuple[float, float]:
    """(median, spread) of the border pixels: the background's grey level and its noise."""
    h, w = gray.shape
    bh, bw = max(1, round(h * BORDER)), max(1, round(w * BORDER))
    band = np.concatenate(
        [gray[:bh].ravel(), gray[-bh:].ravel(), gray[:, :bw].ravel(), gray[:, -bw:].ravel()]
    )
    low, median, high = np.percentile(band, [10, 50, 90])
    return float(median), float(high - low)


def choose_mode(background: float, spread: float) -> str:
    """invert, threshold or none for a grayscale photo with this background."""
    if background >= 128:
        clean = background >= 255 - CLEAN and spread <= CLEAN
        return "invert" if clean else "threshold"
    clean = background <= CLEAN and spread <= CLEAN
    return "none" if clean else "threshold"


def preprocess(
    path: str | os.PathLike,
    input_shape: tuple[int, ...] | list[int],
    mode: str = "auto",
    level: int | None = None,
) -> Prepared:
    """Turn the photo at `path` into one input for a model of `input_shape` (H, W, C)."""
    from PIL import Image

    if mode not in MODES:
        raise TfnoteError(f"unknown preprocessing mode {mode!r}; choose from {', '.join(MODES)}")
    if level is not None and not 0 <= level <= 255:
        raise TfnoteError(f"threshold level must be within 0..255 (got {level})")
    if len(input_shape) != 3 or input_shape[2] not in (1, 3):
        raise TfnoteError(f"the model takes inputs of shape {tuple(input_shape)}, not images")
    height, width, channels = input_shape
    image = open_image(path).convert("L" if channels == 1 else "RGB")
    small = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    pixels = np.asarray(small, np.float32).reshape(height, width, channels)
    # Judged at the model's size, where resizing has averaged the paper's texture away.
    background, spread = background_level(pixels.mean(axis=2))

    if mode == "auto" and level is not None:
        mode = "threshold"  # a level given by hand asks for thresholding
    elif mode == "auto":
        mode = choose_mode(background, spread) if channels == 1 else "none"
    used_level = None
    if mode == "invert":
        pixels = 255 - pixels
    elif mode == "threshold":
        if channels != 1:
            raise TfnoteError("threshold works on grayscale models only; use invert or none")
        light = background >= 128
        if level is None:
            margin = max(LEVEL_MARGIN, 4 * spread)
            level = background - margin if light else background + margin
        used_level = int(round(level))
        ink = pixels < used_level if light else pixels > used_level
        pixels = np.where(ink, 255.0, 0.0).astype(np.float32)
    return Prepared(str(path), pixels, mode, background, used_level)


# --- predicting --------------------------------------------------------------------------------


def predict(
    run_dir: str | os.PathLike,
    paths: list[str | os.PathLike],
    mode: str = "auto",
    level: int | None = None,
    top: int = 3,
) -> list[Prediction]:
    """Classify each image with the run's best weights; top-`top` classes for each."""
    from tfnote import run_folder

    if top < 1:
        raise TfnoteError(f"top must be at least 1 (got {top})")
    info = run_folder.read_info(run_dir)
    prepared = [preprocess(p, info["input_shape"], mode, level) for p in paths]
    model, info = run_folder.load_model(run_dir)
    x = np.stack([p.pixels for p in prepared]) * info.get("scale", 1.0)
    scores = np.asarray(model(x.astype(np.float32), training=False), np.float64)
    probabilities = as_probabilities(scores)
    names = info.get("class_names") or [str(i) for i in range(probabilities.shape[1])]
    results = []
    for p, row in zip(prepared, probabilities):
        best = np.argsort(row)[::-1][:top]
        ranked = [(int(c), names[c], float(row[c])) for c in best]
        results.append(Prediction(p.path, *ranked[0], top=ranked, prepared=p))
    return results


def as_probabilities(scores: np.ndarray) -> np.ndarray:
    """Softmax outputs pass through; raw scores (a from_logits model) get a softmax."""
    if np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-3):
        return scores
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def save_input(prepared: Prepared, folder: str | os.PathLike) -> Path:
    """Write what the model saw as a PNG (FOLDER/<image name>.input.png), to check by eye."""
    from PIL import Image

    from tfnote.atomic import atomic_path

    pixels = prepared.pixels.clip(0, 255).astype(np.uint8)
    image = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    out = Path(folder) / f"{Path(prepared.path).stem}.input.png"
    with atomic_path(out, suffix=".png") as tmp:
        image.save(tmp)
    return out
