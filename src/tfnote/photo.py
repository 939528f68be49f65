"""Turn a photo into a model input the way the model's training images were made.

A model knows only its training images, and MNIST's digits and Fashion-MNIST's products
were each made from bigger pictures by a fixed recipe. A photo goes through the same
recipe before the model sees it; resizing the whole photo to 28x28 (the course's way)
leaves the object small, off-centre and on grey paper.

- `mnist` (LeCun, Cortes and Burges, the MNIST page): the black-and-white digit is
  size-normalised to fit a 20x20 box keeping its aspect ratio (anti-aliasing makes the grey
  edges), then put in a 28x28 field with its centre of mass at the centre.
- `fashion` (Zalando's Fashion-MNIST README, "conversion"): the product photo is trimmed to
  the object, resized so its longest edge is 28, sharpened, centred on 28x28 and negated.
- `whole`: the whole photo resized to the model's input, as the course does; CIFAR-10's
  32x32 images are whole photos too.
- `match`: a learner's own images (class folders). The run recorded how its training
  images look (tfnote.data.looks: background polarity and grey, ink grey, how much of the
  frame the object fills); the photo is inverted only when its background is the other
  way round, framed to the training objects' size when its object is much smaller (a
  drawing on a big page) or bigger, and its levels mapped to the training ones when they
  are far off. A photo that already looks like the training images (one of the learner's
  own test images) is only resized. Self-made sets that look like MNIST's get `mnist`.

The steps: open any image Pillow reads -> fit the background (a smooth surface through
the photo's border, so a lighting gradient is not mistaken for the object) -> find the
object (pixels far enough from the background: the largest component and the sizeable
ones beside it) -> the tone, how the object becomes light on black:

- `threshold`: object pixels 255, the rest 0 (MNIST's digits were black and white)
- `subtract`: the distance from the background, stretched to 0..255 (keeps a product's
  folds and shades; the paper becomes black, whatever its grey)
- `invert`: 255 - x, the course's way (grey paper stays as a grey haze)
- `none`: the pixels as they are (colour models; images already light on black)

-> the recipe places it. In `auto` mode a result that comes out (nearly) all background
or all foreground falls back to another way, and when nothing is found the result says so
(`Prepared.warning`) instead of letting the model guess from a blank input.

The web server and the CLI share `prepare()`, which takes a path, bytes or a PIL image and
never writes anything; `save_input()` writes what the model saw, to look at.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfnote.errors import TfnoteError
from tfnote.run_folder import ModelInfo

MODES = ("auto", "threshold", "subtract", "invert", "none")
RECIPES = ("auto", "mnist", "fashion", "whole", "match")
MIN_SIDE = 8  # smaller images carry too little to recognize (a 1x1 image became a guess)
WORK_SIDE = 512  # the object is found on a copy this big at most: fast, and the paper's
# grain averages out, while a pen stroke stays several pixels wide
BORDER = 0.05  # the outer 5% of each side is where the background is measured
MIN_LEVEL = 8  # grey levels: never call a pixel "object" for less than this
MAX_LEVEL = 128  # nor demand more than this (a computed level is clamped to 8..128)
MIN_OBJECT = 0.0005  # an object covers at least 0.05% of the photo (130 pixels of 512x512:
# a "1" 45 pixels tall in a 3-pixel stroke; a speck of dirt is smaller)
MAX_OBJECT = 0.9  # a "foreground" covering more is the background measured wrong
COMPANION = 0.1  # components at least 10% of the largest one's area belong to the object
# (the separate top bar of a handwritten 5 is 15-20%; specks of dirt are far smaller)
BLANK_RANGE = 16  # a model input whose pixels span fewer grey levels than this is blank
DOT = 2.5  # a digit whose box is under 2.5 stroke widths long is a dot, not a digit: one
# brush dot on the web page's canvas measured 1.7 (and became "8, 91%"); a "1" drawn a fifth
# of the canvas tall 3.9; the course's ten digit photos 18-32
MNIST_STROKE = 2.4  # pixels: the median stroke width of MNIST's test digits
STRETCH = 99  # percentile of the object's distance from the paper that becomes 255 (99, 90
# and 75 scored the same on rendered product photos: 0.855, 0.850, 0.860)
SHARPEN = 100  # percent: Zalando's Gaussian sharpening, radius and standard deviation 1
# (0, 50, 100, 200% on rendered product photos: 0.860, 0.875, 0.860, 0.870, all within noise)
MATCH_LEVELS = 24  # grey levels a photo's background or ink may lie outside the training
# images' range and still count as theirs (the photo is then left alone)
MATCH_SMALL = 0.75  # an object under 75% of the smallest training objects' size is framed
MNIST_BOX, MNIST_CENTRE = 20, (13.9, 14.0)  # MNIST test images' mean centre of mass
# (row, column; spread 0.3 pixel), measured with scipy's center_of_mass


@dataclass
class Prepared:
    """A photo turned into one model input, and how that was done."""

    source: str  # the file, or the name given with an upload
    pixels: np.ndarray  # (H, W, C) float32 in 0..255, the object light on black
    recipe: str  # mnist, fashion, whole or match
    mode: str  # threshold, subtract, invert or none (match: invert when it inverted)
    why: str = ""  # why this recipe was chosen
    level: int | None = None  # the threshold: grey levels from the background (computed)
    level_by: str | None = None  # "auto", or "hand": a grey level given with --threshold
    background: float | None = None  # the background's median grey
    notes: list[str] = field(default_factory=list)  # fallbacks taken, in order
    warning: str | None = None  # set when the input is blank: an answer would be a guess

    @property
    def blank(self) -> bool:
        return self.warning is not None

    def describe(self) -> str:
        """One short line: 'mnist recipe, threshold, level 61 from background 244'."""
        how = f"{self.recipe} recipe, {self.mode}"
        if self.level_by == "hand":
            return f"{how} at {self.level}"
        if self.level is not None and self.background is not None:
            how += f", level {self.level} from background {self.background:.0f}"
        return how

    def to_dict(self) -> dict:
        return {
            "recipe": self.recipe,
            "why": self.why,
            "mode": self.mode,
            "level": self.level,
            "level_by": self.level_by,
            "background": None if self.background is None else round(self.background, 1),
            "notes": self.notes,
            "blank": self.blank,
            "warning": self.warning,
        }


# --- opening any image safely ------------------------------------------------------------


def open_image(source, name: str | None = None):
    """Decode a path, bytes or PIL image into an upright PIL image, or raise TfnoteError.

    `name` labels the image in messages (an upload's file name); a path labels itself.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    label = name or _label(source)
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, bytes | bytearray | memoryview):
        if not len(source):
            raise TfnoteError(f"{label}: the file is empty")
        image = io.BytesIO(bytes(source))
    else:
        path = Path(source)
        if not path.is_file():
            raise TfnoteError(f"{label}: no such image file")
        if path.stat().st_size == 0:
            raise TfnoteError(f"{label}: the file is empty")
        image = path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Pillow refuses (here: always) images over Image.MAX_IMAGE_PIXELS, about 89
            # megapixels, before decoding them: a small file must not fill the memory.
            if not isinstance(image, Image.Image):
                image = Image.open(image)
            image.load()
    except UnidentifiedImageError:
        raise TfnoteError(f"{label}: not an image file (unknown format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise TfnoteError(f"{label}: image too large to open safely, scale it down ({e})") from None
    except OSError as e:
        what = "truncated" if "truncated" in str(e).lower() else "unreadable"
        raise TfnoteError(f"{label}: the image is {what} ({e})") from None
    except Exception as e:  # noqa: BLE001 - corrupt files make decoders raise many kinds
        raise TfnoteError(f"{label}: corrupt image ({type(e).__name__}: {e})") from None
    image = ImageOps.exif_transpose(image)  # phone photos store their rotation in EXIF
    if min(image.size) < MIN_SIDE:
        raise TfnoteError(
            f"{label}: the image is only {image.width}x{image.height} pixels, too small to "
            f"recognize (at least {MIN_SIDE}x{MIN_SIDE})"
        )
    return image


def _label(source) -> str:
    if isinstance(source, str | os.PathLike):
        return str(source)
    return "<upload>"


def _shrink(image):
    """A phone photo cut down to about 2x the working size by whole-pixel box averaging
    (Pillow's reduce, in C) before it becomes floats. A 4494x5616 photo of a digit: 2.2 s
    without, 0.54 s with it; its 28x28 input moved by 0.3 grey levels on average (7 at most)."""
    factor = max(image.size) // (2 * WORK_SIDE)
    if factor < 2:
        return image
    try:
        return image.reduce(factor)
    except (ValueError, NotImplementedError):  # a mode reduce() does not take: keep it whole
        return image


def to_array(image, label: str = "<image>") -> np.ndarray:
    """The image as float32 (H, W, 1) grey or (H, W, 3) colour in 0..255, any Pillow mode.

    16-bit greyscale is divided by 257, so a 16-bit copy of an 8-bit photo gives the very
    same numbers; float images in 0..1 are multiplied by 255; other ranges are stretched.
    Transparent parts become white paper, not black.
    """
    from PIL import Image

    mode = image.mode
    if mode in ("I", "F") or mode.startswith("I;16"):
        a = np.asarray(image, dtype=np.float64)
        if not np.isfinite(a).all():
            raise TfnoteError(f"{label}: the image has NaN or infinite pixels")
        low, high = float(a.min()), float(a.max())
        if mode.startswith("I;16") or (low >= 0 and 255 < high <= 65535):
            a = a / 257
        elif mode == "F" and low >= 0 and high <= 1:
            a = a * 255
        elif not (low >= 0 and high <= 255):
            a = (a - low) * (255 / (high - low))  # high > 255 here, so never zero width
        return a.astype(np.float32)[..., None]
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    if mode in ("1", "L", "LA") or (mode == "P" and _grey_palette(image)):
        return np.asarray(image.convert("L"), np.float32)[..., None]
    return np.asarray(image.convert("RGB"), np.float32)  # RGB, P, CMYK, YCbCr, HSV, LAB


def _grey_palette(image) -> bool:
    colours = np.asarray(image.convert("RGB"))
    return bool((colours == colours[..., :1]).all())


def resize(a: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a float (H, W, C) array with Lanczos (anti-aliased when shrinking)."""
    from PIL import Image

    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(a[..., c], np.float32), "F").resize(
                (width, height), Image.Resampling.LANCZOS
            )
        )
        for c in range(a.shape[2])
    ]
    return np.stack(channels, axis=2).clip(0, 255)


def grey(a: np.ndarray) -> np.ndarray:
    """(H, W) luminance, with the weights of Pillow's "L" conversion (ITU-R 601-2)."""
    if a.shape[2] == 1:
        return a[..., 0]
    return a @ np.array([0.299, 0.587, 0.114], np.float32)


# --- the background and the object --------------------------------------------------------


@dataclass
class Background:
    """A smooth surface fitted to the photo's border, and how far a pixel is from it."""

    level: float  # median grey of the fitted surface
    noise: float  # robust spread of the border's distance from the surface
    distance: np.ndarray  # (H, W) every pixel's distance from the surface, all channels


def fit_background(a: np.ndarray) -> Background:
    """Fit a + bx + cy (+ d(x^2 + y^2)) to the border, each channel: light varies smoothly.

    Where the object touches the border its pixels must not bend the surface. The fit
    starts from a few guesses (the border's commonest grey; the darker and the lighter
    half of a border that has two tones) and keeps the surface that explains most of the
    border, corners counted four times since an object reaches them least. A light-grey
    pullover filling a white frame covers half of the border; one fit over both tones
    called the mix "noise" and found nothing.
    """
    h, w, channels = a.shape
    bh, bw = max(1, round(h * BORDER)), max(1, round(w * BORDER))
    band = np.zeros((h, w), bool)
    band[:bh], band[-bh:], band[:, :bw], band[:, -bw:] = True, True, True, True
    weight = np.ones((h, w))
    for rows in (slice(0, 2 * bh), slice(h - 2 * bh, h)):
        for cols in (slice(0, 2 * bw), slice(w - 2 * bw, w)):
            weight[rows, cols] = 4
    y, x = np.mgrid[-1 : 1 : h * 1j, -1 : 1 : w * 1j]
    design = np.stack([np.ones_like(x), x, y, x * x + y * y], axis=-1).astype(np.float32)
    g = grey(a)
    # The paper's grain, from differences 3 pixels apart along the border (an object's edge
    # is a small share of them): a pixel more than 3.5 grains off the surface is not paper.
    dx = np.abs(g[:, 3:] - g[:, :-3])[band[:, 3:] & band[:, :-3]]
    dy = np.abs(g[3:] - g[:-3])[band[3:] & band[:-3]]
    grain = 1.4826 * float(np.median(np.concatenate([dx, dy]))) / np.sqrt(2)
    tolerance = max(3.5 * grain, 6)

    values, basis, lum, weights = a[band], design[band], g[band], weight[band]
    counts, edges = np.histogram(lum, bins=64, range=(0, 256), weights=weights)
    mode = edges[np.argmax(counts)] + 2
    split = otsu(lum)
    guesses = [np.abs(lum - mode) <= 24, lum <= split, lum > split]  # 24: room for a gradient
    best = None
    for guess in guesses:
        inliers = guess
        for terms in (3, 4):  # a plane first; then vignetting, if it explains more
            for _ in range(8):
                if inliers.sum() < 16:
                    break
                coef, *_ = np.linalg.lstsq(basis[inliers, :terms], values[inliers], rcond=None)
                residual = np.sqrt(((values - basis[:, :terms] @ coef) ** 2).mean(axis=1))
                keep = residual <= tolerance
                if np.array_equal(keep, inliers):
                    break
                inliers = keep
            if inliers.sum() >= 16 and (best is None or weights[inliers].sum() > best[0]):
                best = (weights[inliers].sum(), terms, coef, residual[inliers])
    if best is None:  # no two border pixels agree: a flat surface at the median
        surface = np.broadcast_to(np.median(values, axis=0), a.shape)
        noise = float(np.std(lum))
    else:
        _, terms, coef, residual = best
        surface = design[..., :terms] @ coef
        noise = max(grain, 1.4826 * float(np.median(residual)))
    distance = np.sqrt(((a - surface) ** 2).mean(axis=2))
    return Background(float(np.median(grey(surface))), noise, distance)


def otsu(values: np.ndarray) -> float:
    """The level that best splits `values` into two classes (Otsu 1979)."""
    counts, edges = np.histogram(values, bins=256, range=(0, 256))
    p = counts / max(1, counts.sum())
    omega = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu[-1] * omega - mu) ** 2 / (omega * (1 - omega))
    if np.isnan(between).all():  # one value only: nothing to split
        return float(values.max())
    return float(edges[int(np.nanargmax(between)) + 1])


def clamp_level(otsu_level: float, noise: float) -> int:
    """The computed threshold, kept within 8..128 and above 4x the paper's noise.

    An unchecked level came out at -73 for a pullover filling the frame, and every pixel
    became background.
    """
    floor = max(MIN_LEVEL, 4 * noise)
    return int(round(min(max(otsu_level, floor), max(MAX_LEVEL, floor))))


@dataclass
class Found:
    """The object's pixels (largest component and companions) and its bounding box."""

    mask: np.ndarray  # (H, W) bool
    box: tuple[int, int, int, int]  # top, bottom, left, right (exclusive)


def find_object(ink: np.ndarray, inside: bool = False) -> Found | str:
    """The object in a boolean 'far from the background' map, or why there is none.

    `inside`: the object does not touch the photo's edge (a digit on a sheet), so what does
    (the table beside the sheet, a finger, the shadow of the phone) is left out, as long as
    something else is there.
    """
    from scipy import ndimage

    fraction = ink.mean()
    if fraction > MAX_OBJECT:
        return f"nearly all foreground ({fraction:.0%} of the photo differs from its border)"
    labels, count = ndimage.label(ink, structure=np.ones((3, 3)))
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    areas[0] = 0
    smallest = max(4, MIN_OBJECT * ink.size)
    if inside:
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        away = areas.copy()
        away[edge] = 0
        if away.max() >= smallest:
            areas = away
    largest = areas.max()
    if largest == 0:
        return "nearly all background (nothing stands out from it)"
    if largest < smallest:
        return f"nearly all background (the largest spot is {largest} pixels, too small)"
    mask = areas[labels] >= COMPANION * largest
    return Found(mask, _box(mask))


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1] + 1), int(cols[0]), int(cols[-1] + 1)


# --- choosing the recipe ---------------------------------------------------------------------


def input_image_shape(info: ModelInfo) -> tuple[int, int, int]:
    """(height, width, channels) of the run's inputs; (H, W), the course's p14 style
    keras.Input((28, 28)), is a grey image. Raises TfnoteError for a model of other inputs."""
    from tfnote.data.looks import image_shape

    shape = info.input_shape
    found = image_shape(shape)
    if found is None:
        raise TfnoteError(f"the model takes inputs of shape {tuple(shape)}, not images")
    return found


def choose_recipe(info: ModelInfo) -> tuple[str, str]:
    """(recipe, reason) for a run: from its dataset, then from how its training images
    looked (model.json's "images"), else from its input shape and classes."""
    from tfnote.data import DatasetRef
    from tfnote.data.images import FASHION_NAMES

    height, width, channels = input_image_shape(info)
    dataset = info.dataset or None
    kind = DatasetRef.parse(dataset, check=False).kind if dataset else None
    if kind == "mnist":
        return "mnist", "trained on MNIST: fit in 20x20, centre of mass at the centre"
    if kind == "fashion":
        return "fashion", "trained on Fashion-MNIST: trim, longest edge 28, sharpen, centre"
    if kind == "cifar10":
        return "whole", "trained on CIFAR-10: the whole photo, resized"
    looks = info.images
    names = info.class_names or []
    numbered = list(names) == [str(d) for d in range(len(names))]
    if looks is not None and numbered and _like_mnist(looks):  # the course's self-made set
        # MNIST's own recipe (threshold, strokes grown) gets the course's ten digit photos
        # 10 of 10 on p14 trained on mnist_image_label; matching the levels alone, 7.
        return "mnist", "your images look like MNIST's (28x28, light digits on black, centred)"
    if looks is not None:
        return "match", f"made to look like the training images: {looks.describe()}"
    origin = f"dataset {dataset!r}" if dataset else "no dataset recorded (your own model)"
    origin = f"no image facts recorded, {origin}"  # a run from before they were recorded
    if channels == 3:
        return "whole", f"{origin}, colour inputs: the whole photo, resized (like CIFAR-10's)"
    if (height, width) != (28, 28):
        return "whole", f"{origin}, {height}x{width} grey inputs: the whole photo, resized"
    if list(names) == FASHION_NAMES:
        return "fashion", f"{origin}, Fashion-MNIST's classes: Fashion-MNIST's recipe"
    if names and not numbered:
        return "fashion", f"{origin}, 28x28 grey objects: trim, longest edge 28, centre"
    return "mnist", f"{origin}, 28x28 grey digits or numbered classes: MNIST's recipe"


def _like_mnist(looks) -> bool:
    shape = (looks.height, looks.width, looks.channels)
    return (
        shape == (28, 28, 1)
        and looks.polarity == "dark"
        and looks.centred
        and looks.background <= MIN_LEVEL
    )


# --- preparing one input ---------------------------------------------------------------------


def prepare(
    source,
    info: ModelInfo,
    mode: str = "auto",
    recipe: str = "auto",
    level: int | None = None,
    name: str | None = None,
) -> Prepared:
    """Turn a photo (path, bytes or PIL image) into one input for the run described by
    `info` (a run's ModelInfo: input shape, dataset, class names, how its images look).

    `level` (0..255) thresholds at that grey level, the course's way (pixel < 200 is ink);
    it implies mode threshold. Nothing is written anywhere.
    """
    if mode not in MODES:
        raise TfnoteError(f"unknown preprocessing mode {mode!r}; choose from {', '.join(MODES)}")
    if recipe not in RECIPES:
        raise TfnoteError(f"unknown recipe {recipe!r}; choose from {', '.join(RECIPES)}")
    if level is not None and not 0 <= level <= 255:
        raise TfnoteError(f"threshold level must be within 0..255 (got {level})")
    if level is not None and mode == "auto":
        mode = "threshold"  # a level given by hand asks for thresholding
    chosen, why = choose_recipe(info)
    if recipe != "auto":
        chosen, why = recipe, "chosen by hand"
    height, width, channels = input_image_shape(info)
    looks = info.images
    if chosen == "match" and looks is None:
        raise TfnoteError(
            "the match recipe needs a run that recorded how its training images look"
            ' (model.json has no "images"; retrain it to record them)'
        )
    if chosen == "match" and mode != "auto":  # a tone given by hand: the whole photo in it
        chosen, why = "whole", f"--mode {mode} given by hand: the whole photo in that tone"
    if channels == 3 and mode in ("threshold", "subtract"):
        raise TfnoteError(f"{mode} works on grayscale models only; use invert or none")

    label = name or _label(source)
    a = to_array(_shrink(open_image(source, label)), label)
    scale = min(1.0, WORK_SIDE / max(a.shape[:2]))
    if scale < 1:
        a = resize(a, max(1, round(a.shape[1] * scale)), max(1, round(a.shape[0] * scale)))
    if channels == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)

    result = Prepared(label, np.zeros((height, width, channels), np.float32), chosen, mode, why)
    if channels == 3 and mode == "auto" and chosen == "whole":
        result.mode = "none"  # colour photos are the model's own kind of picture
    if chosen == "match":
        return _prepare_match(a, result, looks)
    if chosen == "whole" and result.mode in ("none", "invert"):
        # Nothing to find: the whole photo, as it is or inverted (the course's way).
        tone = resize(_tone_plain(a, result.mode), width, height)
        result.pixels = _as_channels(tone, channels)
        return _check_blank(result)
    return _prepare_object(a, result, level)


def _prepare_object(a: np.ndarray, result: Prepared, level: int | None) -> Prepared:
    from scipy import ndimage

    height, width, channels = result.pixels.shape
    # Smoothing by about 1/300 of the photo removes the paper's grain, not a pen stroke.
    sigma = max(a.shape[:2]) / 300
    smooth = ndimage.gaussian_filter(a, (sigma, sigma, 0)) if sigma >= 0.5 else a
    bg = fit_background(smooth)
    result.background = bg.level
    light = bg.level >= 128

    if level is not None:  # by hand: the course's absolute grey level, as the user asked
        g = grey(smooth)
        ink = g < level if light else g > level
        result.level, result.level_by = level, "hand"
    else:
        result.level, result.level_by = clamp_level(otsu(bg.distance), bg.noise), "auto"
        ink = bg.distance > result.level
    found = find_object(ink, inside=result.recipe == "mnist")
    automatic = result.mode == "auto"
    if automatic:  # MNIST's digits were black and white; products keep their shades
        result.mode = "threshold" if result.recipe == "mnist" else "subtract"
    if isinstance(found, str) and automatic and found.startswith("nearly all background"):
        floor = clamp_level(0, bg.noise)  # the lowest level the paper's noise allows
        if level is None and result.level > floor:  # a faint object: try the lowest level
            result.notes.append(f"level {result.level}: {found}; tried {floor}")
            result.level = floor
            found = find_object(bg.distance > floor, inside=result.recipe == "mnist")
    if isinstance(found, str):
        if automatic and found.startswith("nearly all foreground"):
            # The border is not background (the object fills the frame, or a close-up of a
            # texture): show the whole photo, made light-on-dark by its overall brightness.
            result.notes.append(f"{found}: the whole photo instead")
            result.recipe, result.level, result.level_by = "whole", None, None
            result.mode = "invert" if np.median(grey(smooth)) >= 128 else "none"
            tone = _tone_plain(smooth, result.mode)
            result.pixels = _as_channels(resize(tone, width, height), channels)
            return _check_blank(result)
        result.warning = f"no object found: {found}"
        return result

    near = _near(found.mask)
    if result.recipe == "mnist" and _length_in_strokes(found) < DOT:
        result.warning = (
            "not sure this is a digit: almost no ink (a dot, no longer than it is wide)"
        )
    if result.mode == "threshold":
        # Only the object's components: specks of dirt and shadows at the edge stay black.
        found = Found(ink & near, found.box)
        if result.recipe == "mnist":
            found = thicken(found)
        tone = np.where(found.mask, 255.0, 0.0).astype(np.float32)[..., None]
    elif result.mode == "subtract":
        tone = subtract(bg, found.mask, near)
    else:
        tone = _tone_plain(a, result.mode)
    if result.recipe == "mnist":
        pixels = _mnist(tone, found)
    elif result.recipe == "fashion":
        pixels = _fashion(tone, found)
    else:
        pixels = resize(tone, width, height)
    if pixels.shape[:2] != (height, width):
        pixels = resize(pixels, width, height)  # a 28x28 recipe for a model of another size
    result.pixels = _as_channels(pixels, channels)
    return _check_blank(result)


def _prepare_match(a: np.ndarray, result: Prepared, looks) -> Prepared:
    """Make the photo look like the run's training images (`looks`: data.looks.ImageLooks).

    A photo that already does (the same polarity, background and ink within the training
    images' spread, the object as big) is only resized: one of the learner's own test
    images reaches the model exactly as it would in `tfnote train`'s test.
    """
    from tfnote.data.looks import measure

    height, width, channels = result.pixels.shape
    a = a if channels == 3 else grey(a)[..., None]
    result.mode = "none"
    own = measure(a[None])
    if looks.polarity == "mixed" or _looks_alike(own, looks):
        why = "whole photos" if looks.polarity == "mixed" else "already like them"
        result.notes.append(f"{why}: only resized")
        result.pixels = a if a.shape[:2] == (height, width) else resize(a, width, height)
        return _check_blank(result)
    if own.polarity != looks.polarity and abs(own.ink - own.background) >= BLANK_RANGE:
        a, result.mode = 255 - a, "invert"
        result.notes.append(
            f"inverted: a {own.polarity} background, training's is {looks.polarity}"
        )
    if looks.centred:
        found = _object_box(a)
        if isinstance(found, str) and found.startswith("nearly all background"):
            result.warning = f"no object found: {found}"
            return result
        if not isinstance(found, str):
            top, bottom, left, right = found
            size = max((bottom - top) / a.shape[0], (right - left) / a.shape[1])
            low, high = looks.extent_range
            if size < MATCH_SMALL * low or size > high:
                a = _frame(a, found, looks.extent, width / height)
                result.notes.append(
                    f"framed like the training images' objects"
                    f" ({size:.0%} of the photo, theirs {looks.extent:.0%} of the frame)"
                )
    own = measure(a[None])
    if _far(own.background, looks.background_range) or _far(own.ink, looks.ink_range):
        contrast = own.ink - own.background
        if abs(contrast) >= BLANK_RANGE:  # else blank: _check_blank says so
            gain = (looks.ink - looks.background) / contrast
            a = (looks.background + (a - own.background) * gain).clip(0, 255)
            result.background = own.background
            result.notes.append(
                f"levels mapped: background {own.background:.0f} -> {looks.background:.0f},"
                f" ink {own.ink:.0f} -> {looks.ink:.0f}"
            )
    result.pixels = resize(a, width, height).astype(np.float32)
    return _check_blank(result)


def _far(value: float, spread) -> bool:
    low, high = spread
    return not low - MATCH_LEVELS <= value <= high + MATCH_LEVELS


def _looks_alike(own, looks) -> bool:
    """The photo could be one of the training images: leave it alone."""
    return (
        own.polarity == looks.polarity
        and not _far(own.background, looks.background_range)
        and not _far(own.ink, looks.ink_range)
        and (not looks.centred or own.extent >= MATCH_SMALL * looks.extent_range[0])
    )


def _object_box(a: np.ndarray) -> tuple[int, int, int, int] | str:
    """The object's box (top, bottom, left, right) in a photo, found as the other recipes
    find it (the background fitted to the border, the largest components), or why not."""
    from scipy import ndimage

    sigma = max(a.shape[:2]) / 300  # the paper's grain, not a pen stroke (as _prepare_object)
    smooth = ndimage.gaussian_filter(a, (sigma, sigma, 0)) if sigma >= 0.5 else a
    bg = fit_background(smooth)
    found = find_object(bg.distance > clamp_level(otsu(bg.distance), bg.noise), inside=True)
    return found if isinstance(found, str) else found.box


def _frame(a: np.ndarray, box: tuple[int, int, int, int], extent: float, aspect: float):
    """A window around the object in which it fills `extent` of the longer side, centred;
    beyond the photo's edge the window is the photo's border colour."""
    top, bottom, left, right = box
    h = max(bottom - top, (right - left) / aspect) / extent
    w = h * aspect
    cy, cx = (top + bottom) / 2, (left + right) / 2
    rows = np.arange(round(cy - h / 2), round(cy - h / 2) + max(1, round(h)))
    cols = np.arange(round(cx - w / 2), round(cx - w / 2) + max(1, round(w)))
    inside = (rows[:, None] >= 0) & (rows[:, None] < a.shape[0])
    inside = inside & (cols[None] >= 0) & (cols[None] < a.shape[1])
    window = a[rows.clip(0, a.shape[0] - 1)][:, cols.clip(0, a.shape[1] - 1)]
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    return np.where(inside[..., None], window, np.median(border, axis=0))


def subtract(bg: Background, mask: np.ndarray, near: np.ndarray) -> np.ndarray:
    """(H, W, 1) the distance from the background, 0 at the paper's noise, 255 at the
    object's 99th percentile: Fashion-MNIST's images reach 255 (92% of the test set),
    whatever the product's own shade. Outside `near` (the object, grown a little) all 0."""
    floor = 2 * bg.noise
    top = max(float(np.percentile(bg.distance[mask], STRETCH)), floor + 1)
    tone = ((bg.distance - floor) / (top - floor)).clip(0, 1) * 255
    return (tone * near).astype(np.float32)[..., None]


def thicken(found: Found) -> Found:
    """Grow pen strokes to MNIST's width: 2.4 pixels in the 20x20 box (the median of the
    test set; 10% are under 1.8). A pen on a big sheet gives strokes 1 pixel wide there
    (the course's ten digit photos: 0.8-1.3). Grown, the p14 MLP's mean probability for
    the right digit on those photos rose from 0.88 to 0.98 (the lowest: 0.62 to 0.80)."""
    from scipy import ndimage

    mask = found.mask
    stroke = _stroke_width(mask)
    top, bottom, left, right = found.box
    pixels_per_box = max(bottom - top, right - left) / MNIST_BOX
    grow = round((MNIST_STROKE * pixels_per_box - stroke) / 2)
    if grow < 1:
        return found
    grown = ndimage.distance_transform_edt(~mask) <= grow  # grown by a disk of radius grow
    return Found(grown, _box(grown))


def _stroke_width(mask: np.ndarray) -> float:
    """The pen's width in pixels: a stroke w wide and L long has area wL and 2L edge pixels."""
    from scipy import ndimage

    edge = (mask & ~ndimage.binary_erosion(mask)).sum()
    return 2 * float(mask.sum()) / max(int(edge), 1)


def _length_in_strokes(found: Found) -> float:
    """The object's longest side in pen widths: a written digit is many, a dot about 2."""
    top, bottom, left, right = found.box
    return max(bottom - top, right - left) / _stroke_width(found.mask)


def _tone_plain(a: np.ndarray, mode: str) -> np.ndarray:
    return (255 - a) if mode == "invert" else a.copy()


def _near(mask: np.ndarray) -> np.ndarray:
    """The object's components with their holes filled, grown by a little for soft edges."""
    from scipy import ndimage

    grow = max(1, round(max(mask.shape) / 200))
    return ndimage.binary_dilation(ndimage.binary_fill_holes(mask), iterations=grow)


def _crop(tone: np.ndarray, found: Found) -> np.ndarray:
    top, bottom, left, right = found.box
    return tone[top:bottom, left:right]


def _mnist(tone: np.ndarray, found: Found) -> np.ndarray:
    """Fit in a 20x20 box keeping the aspect ratio, centre of mass at MNIST's centre."""
    from scipy import ndimage

    crop = _crop(tone, found)
    h, w = crop.shape[:2]
    s = MNIST_BOX / max(h, w)
    small = resize(crop, max(1, round(w * s)), max(1, round(h * s)))
    mass = small.mean(axis=2)
    cy, cx = ndimage.center_of_mass(mass) if mass.sum() > 0 else ((h * s - 1) / 2, (w * s - 1) / 2)
    dy, dx = MNIST_CENTRE[0] - cy, MNIST_CENTRE[1] - cx
    out = np.zeros((28, 28, tone.shape[2]), np.float32)
    _paste(out, small, round(dy), round(dx))
    # The rest of the way, a fraction of a pixel, by linear interpolation. Whole pixels
    # only: the p14 MLP's probability for the course's "5" photo was 0.49-0.98 over five
    # trained runs (one read it as a 3); to the fraction: 0.57-0.99, all right.
    return ndimage.shift(out, (dy - round(dy), dx - round(dx), 0), order=1).clip(0, 255)


def _fashion(tone: np.ndarray, found: Found) -> np.ndarray:
    """Trim to the object, longest edge 28, sharpen, centre on 28x28 (tone did the negation)."""
    from PIL import Image, ImageFilter

    crop = _crop(tone, found)
    h, w = crop.shape[:2]
    s = 28 / max(h, w)
    small = resize(crop, max(1, round(w * s)), max(1, round(h * s)))
    sharp = [
        np.asarray(
            Image.fromarray(small[..., c].round().astype(np.uint8)).filter(
                ImageFilter.UnsharpMask(radius=1, percent=SHARPEN, threshold=0)
            ),
            np.float32,
        )
        for c in range(small.shape[2])
    ]
    small = np.stack(sharp, axis=2)
    out = np.zeros((28, 28, tone.shape[2]), np.float32)
    _paste(out, small, (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2)
    return out


def _paste(out: np.ndarray, small: np.ndarray, top: int, left: int) -> None:
    """Copy `small` into `out` at (top, left), cutting off whatever falls outside."""
    h, w = small.shape[:2]
    rows = slice(max(0, top), min(out.shape[0], top + h))
    cols = slice(max(0, left), min(out.shape[1], left + w))
    inside = small[rows.start - top : rows.stop - top]
    out[rows, cols] = inside[:, cols.start - left : cols.stop - left]


def _as_channels(pixels: np.ndarray, channels: int) -> np.ndarray:
    if pixels.shape[2] == channels:
        return pixels.astype(np.float32)
    if channels == 1:
        return grey(pixels)[..., None].astype(np.float32)
    return np.repeat(pixels, 3, axis=2).astype(np.float32)


def _check_blank(result: Prepared) -> Prepared:
    """Flag an input the model cannot answer from: (nearly) one flat grey or colour."""
    pixels = result.pixels.reshape(-1, result.pixels.shape[2])
    span = float((pixels.max(axis=0) - pixels.min(axis=0)).max())  # the widest channel
    if span < BLANK_RANGE:
        result.warning = (
            f"blank input: the prepared image spans only {span:.0f} grey levels "
            f"({result.recipe} recipe, {result.mode})"
        )
    return result


def save_input(prepared: Prepared, folder: str | os.PathLike) -> Path:
    """Write what the model saw as a PNG (FOLDER/<image name>.input.png), to check by eye."""
    from PIL import Image

    from tfnote.atomic import atomic_path

    pixels = prepared.pixels.clip(0, 255).round().astype(np.uint8)
    image = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    out = Path(folder) / f"{Path(prepared.source).stem}.input.png"
    with atomic_path(out, suffix=".png") as tmp:
        image.save(tmp)
    return out
