"""Photos -> model inputs (tfnote.photo): the datasets' own recipes, any image, no blank answers.

Besides the course's ten digit photos, the accuracy checks use "photos" rendered here with a
seeded generator from the datasets' *test* images: the object upscaled, given its own
shade and colour, put off-centre (small, or filling the frame) on grey paper with grain,
a lighting gradient, vignetting, a drop shadow and sensor noise. Light objects on light
paper are a third of them. No image file is stored in the repository.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tfnote import photo, predict
from tfnote.errors import TfnoteError
from tfnote.run_folder import ModelInfo

MNIST_INFO = ModelInfo((28, 28, 1), 10, list("0123456789"), dataset="mnist")
FASHION_INFO = ModelInfo((28, 28, 1), 10, dataset="fashion")
CIFAR_INFO = ModelInfo((32, 32, 3), 10, dataset="cifar10")


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


def render_set(x: np.ndarray, y: np.ndarray, per_class: int, seed: int, ink: bool = False):
    """`per_class` rendered photos of each class's first test images, and their labels."""
    rng = np.random.default_rng(seed)
    picks = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(10)])
    return [render_photo(x[i], rng, ink=ink) for i in picks], y[picks], x[picks]


def stroke_image(background: float = 235, ink: float = 60, noise: float = 4) -> np.ndarray:
    """A 200x160 grey photo of a thick pen stroke, an 'L', off-centre, on noisy paper."""
    image = np.full((200, 160), background, np.float64)
    image[30:130, 20:34] = ink
    image[116:130, 20:80] = ink
    image += np.random.default_rng(0).normal(0, noise, image.shape)
    return image.clip(0, 255).round().astype(np.uint8)


def box(pixels: np.ndarray, above: float = 0) -> tuple[int, int]:
    """(height, width) of the bounding box of the pixels brighter than `above`."""
    rows = np.flatnonzero((pixels > above).any(axis=1))
    cols = np.flatnonzero((pixels > above).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


class FixedModel:
    """Stands in for a Keras model: the same probabilities for every input."""

    def __call__(self, x, training=False):
        return np.tile(np.linspace(1, 2, 10) / np.linspace(1, 2, 10).sum(), (len(x), 1))


# --- the recipes ---------------------------------------------------------------------------


def test_mnist_recipe_fits_20x20_box_and_centres_the_mass():
    prepared = photo.prepare(Image.fromarray(stroke_image()), MNIST_INFO)
    assert (prepared.recipe, prepared.mode, prepared.level_by) == ("mnist", "threshold", "auto")
    pixels = prepared.pixels[..., 0]
    assert pixels.shape == (28, 28) and pixels.max() > 250
    height, width = box(pixels)
    assert height in (20, 21) and width <= 20  # the long side fills the box (and a shift by
    # a fraction of a pixel spreads it over one more row), the aspect ratio kept
    from scipy import ndimage

    cy, cx = ndimage.center_of_mass(pixels)
    assert abs(cy - 13.9) < 0.1 and abs(cx - 14.0) < 0.1  # MNIST's mean centre of mass
    assert (pixels == 0).mean() > 0.6  # the paper became black


def test_mnist_recipe_grows_thin_pen_strokes():
    thin = np.full((400, 300), 240, np.uint8)
    thin[50:350, 148:151] = 40  # a 3-pixel stroke 300 pixels long: 0.2 pixels in the box
    pixels = photo.prepare(Image.fromarray(thin), MNIST_INFO).pixels[..., 0]
    assert box(pixels, 127)[1] >= 2  # MNIST's strokes: median 2.4 pixels wide


def test_fashion_recipe_trims_to_longest_edge_28_and_centres():
    bag = np.full((300, 400), 245, np.float64)
    bag[40:200, 60:300] = 90  # a wide dark product, up and to the left
    bag += np.random.default_rng(1).normal(0, 3, bag.shape)
    prepared = photo.prepare(Image.fromarray(bag.clip(0, 255).astype(np.uint8)), FASHION_INFO)
    assert (prepared.recipe, prepared.mode) == ("fashion", "subtract")
    pixels = prepared.pixels[..., 0]
    height, width = box(pixels, 30)
    assert width == 28 and 18 <= height <= 20  # 240x160 -> 28x19
    rows = np.flatnonzero((pixels > 30).any(axis=1))
    assert abs(rows[0] - (27 - rows[-1])) <= 1  # centred
    assert pixels.max() == 255 and pixels[0].max() == 0


def test_whole_recipe_for_colour_models_keeps_the_photo():
    info = CIFAR_INFO
    sky = np.zeros((60, 80, 3), np.uint8)
    sky[..., 2] = np.linspace(120, 250, 80).astype(np.uint8)
    sky[20:40, 30:50] = (200, 40, 40)
    prepared = photo.prepare(Image.fromarray(sky), info)
    assert (prepared.recipe, prepared.mode, prepared.blank) == ("whole", "none", False)
    assert prepared.pixels.shape == (32, 32, 3)
    assert abs(prepared.pixels[16, 16, 0] - 200) < 10 and prepared.pixels[2, 30, 2] > 100
    with pytest.raises(TfnoteError, match="grayscale models only"):
        photo.prepare(Image.fromarray(sky), info, mode="threshold")


@pytest.mark.parametrize(
    "info, recipe",
    [
        ({"input_shape": [28, 28, 1], "dataset": "mnist"}, "mnist"),
        ({"input_shape": [28, 28, 1], "dataset": "fashion-mnist"}, "fashion"),
        ({"input_shape": [32, 32, 3], "dataset": "cifar10"}, "whole"),
        ({"input_shape": [28, 28, 1], "dataset": "image-label:/data/digits"}, "mnist"),
        ({"input_shape": [28, 28, 1], "class_names": ["cat", "dog"]}, "fashion"),
        ({"input_shape": [28, 28, 1], "dataset": None, "class_names": list("0123")}, "mnist"),
        ({"input_shape": [64, 64, 1], "dataset": None}, "whole"),
        ({"input_shape": [28, 28, 3]}, "whole"),
    ],
)
def test_recipe_chosen_from_the_run(info, recipe):
    chosen, why = photo.choose_recipe(ModelInfo.from_dict(info))
    assert chosen == recipe and why
    if not info.get("dataset"):
        assert "no dataset recorded" in why  # a user's own model: says how it chose


def test_recipe_refuses_non_image_models():
    with pytest.raises(TfnoteError, match="not images"):
        photo.choose_recipe(ModelInfo((60, 1), 1))


# --- the level: clamped, sanity-checked, never a blank answer -----------------------------


def test_computed_level_is_clamped():
    assert photo.clamp_level(-73, noise=2) == photo.MIN_LEVEL  # the old pullover bug's level
    assert photo.clamp_level(300, noise=2) == photo.MAX_LEVEL
    assert photo.clamp_level(20, noise=10) == 40  # never within 4x the paper's noise


def test_light_pullover_filling_the_frame_is_found():
    """The photo that broke the old code: light grey on white, covering half the border."""
    pullover = np.full((300, 400), 246, np.float64)
    pullover[20:300, 40:360] = 205  # touches the bottom edge; sleeves to the sides
    pullover[20:160, 0:40] = 205
    pullover[20:160, 360:400] = 205
    pullover += np.random.default_rng(2).normal(0, 3, pullover.shape)
    image = Image.fromarray(pullover.clip(0, 255).astype(np.uint8))
    prepared = photo.prepare(image, FASHION_INFO)
    assert not prepared.blank and prepared.notes == []
    assert abs(prepared.background - 246) < 3 and photo.MIN_LEVEL <= prepared.level <= 41
    height, width = box(prepared.pixels[..., 0], 64)
    assert width == 28 and height >= 19  # the whole pullover, not specks of paper


@pytest.mark.parametrize(
    "kind",
    ["white", "black", "paper grain", "lighting gradient and vignetting"],
)
def test_blank_photos_get_no_answer(kind):
    rng = np.random.default_rng(3)
    y, x = np.mgrid[-1:1:300j, -1:1:400j]
    image = {
        "white": np.full((300, 400), 250.0),
        "black": np.zeros((300, 400)),
        "paper grain": 220 + rng.normal(0, 6, (300, 400)),
        "lighting gradient and vignetting": 200 + 30 * x + 20 * y - 25 * (x * x + y * y),
    }[kind]
    image = Image.fromarray(image.clip(0, 255).astype(np.uint8))
    for info in (MNIST_INFO, FASHION_INFO):
        prepared = photo.prepare(image, info)
        assert prepared.blank and prepared.warning.startswith("no object found: nearly all")
        [result] = predict.classify(FixedModel(), info, [prepared])
        assert result.label is None and result.name is None and result.top == []
        assert result.to_dict()["preprocessing"]["blank"] is True


def test_a_flat_colour_photo_is_blank_for_colour_models_too():
    info = CIFAR_INFO
    blue = Image.new("RGB", (80, 60), (20, 40, 200))
    prepared = photo.prepare(blue, info)
    assert prepared.blank and "blank input" in prepared.warning


def test_all_foreground_falls_back_to_the_whole_photo(monkeypatch):
    monkeypatch.setattr(photo, "MAX_OBJECT", 0.01)  # this stroke now counts as "everything"
    prepared = photo.prepare(Image.fromarray(stroke_image()), MNIST_INFO)
    assert prepared.recipe == "whole" and prepared.mode == "invert" and prepared.level is None
    assert "nearly all foreground" in prepared.notes[0] and not prepared.blank
    forced = photo.prepare(Image.fromarray(stroke_image()), MNIST_INFO, mode="threshold")
    assert forced.blank and forced.notes == []  # a mode chosen by hand is not overruled


def test_nothing_at_the_level_tries_the_lowest_level(monkeypatch):
    monkeypatch.setattr(photo, "otsu", lambda values: 255.0)  # level 128: above the ink
    prepared = photo.prepare(Image.fromarray(stroke_image(235, ink=150)), MNIST_INFO)
    assert not prepared.blank and "nearly all background" in prepared.notes[0]
    assert prepared.level == photo.MIN_LEVEL


# --- any image Pillow opens -------------------------------------------------------------------


IMAGE_MODES = ["I;16", "I", "F 0..1", "F 0..255", "RGB", "P", "CMYK", "RGBA", "LA"]


def image_modes(grey: np.ndarray) -> dict[str, Image.Image]:
    """The same greyscale picture in every kind of image Pillow reads."""
    rgb = Image.fromarray(grey).convert("RGB")
    rgba = np.dstack([np.asarray(rgb), np.full(grey.shape, 255, np.uint8)])
    rgba[:10, :10, 3] = 0  # a transparent corner counts as white paper
    return {
        "I;16": Image.fromarray(grey.astype(np.uint16) * 257),
        "I": Image.fromarray(grey.astype(np.int32) * 257),
        "F 0..1": Image.fromarray(grey.astype(np.float32) / 255),
        "F 0..255": Image.fromarray(grey.astype(np.float32)),
        "RGB": rgb,
        "P": rgb.convert("P"),
        "CMYK": rgb.convert("CMYK"),
        "RGBA": Image.fromarray(rgba),
        "LA": Image.fromarray(grey).convert("LA"),
    }


@pytest.mark.parametrize("mode", IMAGE_MODES)
def test_every_image_mode_gives_the_same_input(mode):
    grey = stroke_image(background=250)
    grey[:10, :10] = 255
    reference = photo.prepare(Image.fromarray(grey), MNIST_INFO)
    image = image_modes(grey)[mode]
    assert image.mode == mode.split()[0]
    prepared = photo.prepare(image, MNIST_INFO)
    assert np.abs(prepared.pixels - reference.pixels).max() <= 8, mode
    assert abs(prepared.level - reference.level) <= 2  # "P" quantizes the greys


def test_transparent_background_is_white_paper():
    """A PNG drawn with black ink on nothing: the transparent part is paper, not black ink."""
    rgba = np.zeros((140, 140, 4), np.uint8)
    rgba[30:110, 60:80, 3] = 255  # opaque black bar; the rest transparent black
    prepared = photo.prepare(Image.fromarray(rgba), MNIST_INFO)
    assert prepared.background == 255 and not prepared.blank
    assert box(prepared.pixels[..., 0], 127) == (20, 5)  # the 80x20 bar, not the frame


def test_sixteen_bit_photo_equals_eight_bit(shared_data, tmp_path):
    """A 16-bit PNG copy of a course digit photo: exactly the same model input."""
    eight = shared_data / "digits" / "3.png"
    grey = np.asarray(Image.open(eight).convert("L"))
    sixteen = tmp_path / "3-16bit.png"
    Image.fromarray(grey.astype(np.uint16) * 257).save(sixteen)
    assert Image.open(sixteen).mode == "I;16"
    a = photo.prepare(eight, MNIST_INFO)
    b = photo.prepare(sixteen, MNIST_INFO)
    assert not a.blank and np.array_equal(a.pixels, b.pixels)


def test_float_tiff_and_bad_floats(tmp_path):
    grey = stroke_image()
    tiff = tmp_path / "stroke.tif"
    Image.fromarray(grey.astype(np.float32) / 255).save(tiff)
    reference = photo.prepare(Image.fromarray(grey), MNIST_INFO)
    assert np.abs(photo.prepare(tiff, MNIST_INFO).pixels - reference.pixels).max() <= 1
    bad = grey.astype(np.float32)
    bad[5, 5] = np.nan
    with pytest.raises(TfnoteError, match="NaN or infinite"):
        photo.prepare(Image.fromarray(bad), MNIST_INFO, name="nan.tif")


@pytest.mark.parametrize("size", [(1, 1), (7, 300), (300, 5)])
def test_tiny_images_are_refused(size):
    image = Image.new("L", size, 255)
    with pytest.raises(TfnoteError, match=rf"tiny.png: the image is only {size[0]}x{size[1]} "):
        photo.prepare(image, MNIST_INFO, name="tiny.png")


def test_path_bytes_and_pil_image_agree_and_nothing_is_written(tmp_path):
    path = tmp_path / "stroke.png"
    Image.fromarray(stroke_image()).save(path)
    before = sorted(tmp_path.iterdir())
    from_path = photo.prepare(path, MNIST_INFO)
    from_bytes = photo.prepare(path.read_bytes(), MNIST_INFO, name="upload.png")
    from_image = photo.prepare(Image.open(path), MNIST_INFO)
    assert np.array_equal(from_path.pixels, from_bytes.pixels)
    assert np.array_equal(from_path.pixels, from_image.pixels)
    assert (from_path.source, from_bytes.source) == (str(path), "upload.png")
    assert sorted(tmp_path.iterdir()) == before
    with pytest.raises(TfnoteError, match="upload.png: not an image file"):
        photo.prepare(b"hello", MNIST_INFO, name="upload.png")
    with pytest.raises(TfnoteError, match="<upload>: the file is empty"):
        photo.prepare(b"", MNIST_INFO)


def test_exif_rotation_is_applied(tmp_path):
    upright = stroke_image()
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    Image.fromarray(np.rot90(upright)).save(path, exif=exif, quality=95)
    rotated = photo.prepare(path, MNIST_INFO)
    reference = photo.prepare(Image.fromarray(upright), MNIST_INFO)
    assert np.abs(rotated.pixels - reference.pixels).mean() < 10


def test_decompression_bomb_bytes_are_refused():
    from test_images_predict import png_header_only

    with pytest.raises(TfnoteError, match="too large to open safely"):
        photo.prepare(png_header_only(20_000, 20_000), MNIST_INFO, name="bomb.png")


# --- forced modes and levels -------------------------------------------------------------------


def test_forced_modes_and_hand_level(tmp_path):
    image = Image.fromarray(stroke_image())
    inverted = photo.prepare(image, MNIST_INFO, mode="invert")
    assert inverted.mode == "invert" and inverted.pixels.min() == 0  # black around the box
    hand = photo.prepare(image, MNIST_INFO, level=120)  # a level implies threshold
    assert (hand.mode, hand.level, hand.level_by) == ("threshold", 120, "hand")
    assert hand.describe() == "mnist recipe, threshold at 120"
    subtract = photo.prepare(image, MNIST_INFO, mode="subtract", recipe="fashion")
    assert (subtract.recipe, subtract.why) == ("fashion", "chosen by hand")
    assert hand.to_dict()["level_by"] == "hand" and subtract.to_dict()["recipe"] == "fashion"
    with pytest.raises(TfnoteError, match="unknown preprocessing mode"):
        photo.prepare(image, MNIST_INFO, mode="sharpen")
    with pytest.raises(TfnoteError, match="unknown recipe"):
        photo.prepare(image, MNIST_INFO, recipe="cifar")
    with pytest.raises(TfnoteError, match="within 0..255"):
        photo.prepare(image, MNIST_INFO, level=300)


def test_dark_backgrounds_and_chalk():
    for background, ink in ((0, 255), (40, 220)):  # already MNIST-like; chalk on a board
        prepared = photo.prepare(Image.fromarray(stroke_image(background, ink)), MNIST_INFO)
        pixels = prepared.pixels[..., 0]
        assert prepared.mode == "threshold" and box(pixels, 127)[0] == 20
        assert 11 <= box(pixels, 127)[1] <= 13  # the stroke is 100x60: 20x12 in the box
        assert (pixels == 0).mean() > 0.6  # the board became black


def test_save_input_writes_what_the_model_saw(tmp_path):
    prepared = photo.prepare(Image.fromarray(stroke_image()), MNIST_INFO, name="dir/x.png")
    out = photo.save_input(prepared, tmp_path / "seen")
    assert out == tmp_path / "seen" / "x.input.png"
    assert np.array_equal(np.asarray(Image.open(out)), prepared.pixels[..., 0].round())


# --- accuracy on photos (short trained runs) -------------------------------------------------


@pytest.fixture(scope="module")
def runs(shared_data, tmp_path_factory) -> dict[str, tuple]:
    """The course's p14 (MNIST) and p16 (Fashion-MNIST) MLPs as the course trains them, 5
    epochs (the bars are set for these): preset -> (run folder, model, info)."""
    from conftest import run_cli

    from tfnote import open_run

    out = tmp_path_factory.mktemp("photo-runs")
    runs = {}
    for preset in ("p14", "p16"):
        args = ["train", preset, "--out", out / preset, "--quiet"]
        result = run_cli(*args, "--data-dir", shared_data) if preset == "p14" else run_cli(*args)
        assert result.returncode == 0, result.stderr
        run = open_run(out / preset)
        runs[preset] = (out / preset, run.load_model(), run.info)
    return runs


def accuracy(run: tuple, photos, labels, mode="auto", recipe="auto") -> float:
    _, model, info = run
    prepared = [photo.prepare(p, info, mode, recipe) for p in photos]
    results = predict.classify(model, info, prepared)
    return float(np.mean([r.label == y for r, y in zip(results, labels)]))


def test_course_digit_photos(runs, shared_data):
    photos = [shared_data / "digits" / f"{d}.png" for d in range(10)]
    assert accuracy(runs["p14"], photos, range(10)) == 1.0  # the bar: 10/10 automatic
    # The course's way (the whole photo, inverted) leaves the paper as a grey haze.
    assert accuracy(runs["p14"], photos, range(10), mode="invert", recipe="whole") <= 0.5
    # A 16-bit copy gets the same answer (test_sixteen_bit_photo_equals_eight_bit: the same
    # input), through predict() and the run folder.
    grey = np.asarray(Image.open(photos[3]).convert("L"))
    sixteen = Image.fromarray(grey.astype(np.uint16) * 257)
    [a, b] = predict.predict(runs["p14"][0], [photos[3], sixteen])
    assert a.label == b.label == 3 and a.probability == b.probability


def test_rendered_product_photos(runs):
    """Fashion-MNIST test images as product photos, 5 per class: off-centre, small or
    filling the frame, light on light paper, shadows, gradients and noise."""
    from tfnote.data import load_dataset

    data = load_dataset("fashion", download=False)
    photos, labels, originals = render_set(data.x_test[..., 0], data.y_test, 5, seed=12)
    _, model, info = runs["p16"]
    ceiling = np.mean(np.argmax(model(originals[..., None] / 255.0), axis=1) == labels)
    automatic = accuracy(runs["p16"], photos, labels)
    assert automatic >= 0.75 and automatic >= ceiling - 0.1, (automatic, ceiling)
    course_way = accuracy(runs["p16"], photos, labels, mode="invert", recipe="whole")
    assert course_way <= automatic - 0.4


def test_rendered_digit_photos(runs, shared_data):
    """MNIST test digits in dark ink on grey paper, 5 per class."""
    mnist = np.load(shared_data / "mnist.npz")
    photos, labels, _ = render_set(mnist["x_test"], mnist["y_test"], 5, seed=13, ink=True)
    assert accuracy(runs["p14"], photos, labels) >= 0.9
