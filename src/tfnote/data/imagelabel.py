"""Self-made image datasets: the course's image folder + label file, or one folder per class.

The course's format (class 4) is a folder of images and a text file with one line per image,
`<file> <label>`, the file name relative to the image folder:

    28755_0.jpg 0
    13360_5.jpg 5

`build(image_dir, label_file)` decodes the images in parallel processes (in one process
once TensorFlow is loaded, see `worker_count`), checks them (every image readable, all of
one size and mode, every label an integer in range) and caches the arrays in one .npz
file, written atomically. Later calls reuse the cache only while the sources
are unchanged: the label file's content and every image's size and modification time make
up the cache's fingerprint, so editing the label file or replacing an image rebuilds it.

A bad entry stops the build with one error naming the label file and line. With
`skip_bad=True` (`--skip-bad`) bad entries are left out and listed instead; the cache
remembers them, so it is reused as built while the sources stay unchanged.

Training any preset on such data:

    tfnote train mnist --data image-label:PATH

PATH is either a folder holding one label file named `*train*.txt` and at most one named
`*test*.txt` (the course's layout, e.g. mnist_train_jpg_6000.txt), or a single label file.
A label file's images lie in the folder of the same name beside it
(mnist_train_jpg_6000.txt -> mnist_train_jpg_6000/), or, when there is no such folder,
beside the label file. Labels count from 0; class names are "0", "1", ...

`image-folder:PATH` reads the folder-per-class layout instead: PATH/<class>/<image>, or
PATH/train/<class>/<image> plus PATH/test/<class>/<image>. Class names are the sorted
folder names of the training set, and a label is its class's position in that list.

When a dataset has no test set, a fixed (seeded) 20% of its entries is held out as one.
Images keep their own mode (L gives 1 channel, RGB 3); `mode="L"` or `"RGB"` converts all.
Caches live in $TFNOTE_CACHE_DIR, else in ~/.cache/tfnote/datasets ($XDG_CACHE_HOME is
respected); `cache=` (`--cache`) names the file directly.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
import warnings
import zipfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from tfnote.atomic import atomic_path
from tfnote.data import Data
from tfnote.errors import TfnoteError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
MODES = {"L": 1, "RGB": 3}  # supported image modes -> channels
MAX_CLASSES = 1000  # labels above this are almost surely a mistake unless num_classes says so
MIN_PARALLEL = 200  # fewer images than this decode faster in one process than a pool starts
TEST_FRACTION = 0.2  # held out as the test set when a dataset has none
CACHE_VERSION = 1  # bump when the cache layout changes; old caches are then rebuilt


@dataclass
class Entry:
    """One image to read: where it was named (for messages), its file and its label."""

    where: str  # "labels.txt:12" or the image's path
    path: str | None
    label: int | None
    problem: str | None = None  # set when the entry is already known to be bad


@dataclass
class ImageSet:
    """Checked images and labels, and how they were obtained."""

    x: np.ndarray  # (N, H, W, C) uint8
    y: np.ndarray  # (N,) int64
    cache: Path
    from_cache: bool
    class_names: list[str] | None = None
    skipped: list[str] = field(default_factory=list)  # "where: problem" of each left-out entry
    seconds: float = 0.0
    workers: int = 1

    def describe(self) -> str:
        n, h, w, c = self.x.shape
        mode = "L" if c == 1 else "RGB"
        return f"{n} images {w}x{h} {mode}"


# --- reading the entries --------------------------------------------------------------------


def parse_labels(
    text: str, label_file: str | os.PathLike, image_dir: str | os.PathLike, num_classes: int | None
) -> list[Entry]:
    """The entries of label file text `text` (`label_file` names it in messages)."""
    folder = str(image_dir)
    limit = num_classes or MAX_CLASSES
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue  # blank lines (a trailing newline, say) carry nothing
        where = f"{label_file}:{number}"
        fields = line.split()
        if len(fields) != 2:
            problem = f"malformed line {line.strip()!r} (expected '<file> <label>')"
            entries.append(Entry(where, None, None, problem))
            continue
        name, label_text = fields
        path = os.path.join(folder, name)  # plain strings: thousands of Paths cost time
        try:
            label = int(label_text)
        except ValueError:
            entries.append(Entry(where, path, None, f"label {label_text!r} is not an integer"))
            continue
        problem = None
        if not 0 <= label < limit:
            problem = f"label {label} is out of range 0..{limit - 1}"
            if num_classes is None and label >= limit:
                problem += " (set num_classes / --num-classes to allow more classes)"
        entries.append(Entry(where, path, label, problem))
    if not entries:
        raise TfnoteError(f"{label_file}: the label file has no entries")
    return entries


def _read_text(label_file: Path) -> str:
    try:
        return label_file.read_text(encoding="utf-8-sig")  # -sig: Notepad's byte-order mark
    except FileNotFoundError:
        raise TfnoteError(f"{label_file}: no such label file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TfnoteError(f"{label_file}: cannot read the label file ({e})") from None


def scan_class_folders(
    folder: str | os.PathLike, class_names: list[str] | None = None
) -> tuple[list[Entry], list[str]]:
    """Entries of a folder-per-class layout; `class_names` fixes the order (for a test set)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TfnoteError(f"{folder}: no such folder")
    found = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not found:
        raise TfnoteError(f"{folder}: no class folders (expected {folder}/<class>/<image>)")
    if class_names is None:
        class_names = found
    unknown = sorted(set(found) - set(class_names))
    if unknown:
        raise TfnoteError(f"{folder}: class folder(s) {', '.join(unknown)} not in the training set")
    entries = []
    for label, name in enumerate(class_names):
        class_dir = folder / name
        if not class_dir.is_dir():
            continue
        images = [
            Entry(str(path), str(path), label)
            for path in sorted(class_dir.iterdir())
            if path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")
        ]
        if not images and name in found and class_names is found:  # a class nothing teaches
            raise TfnoteError(
                f"{class_dir}: class folder {name!r} holds no images (remove it or add images)"
            )
        entries += images
    if not entries:
        raise TfnoteError(f"{folder}: the class folders hold no images")
    return entries, class_names


# --- decoding (in worker processes) -----------------------------------------------------------


def decode_image(path: str, mode: str | None = None) -> tuple[str | None, tuple, bytes | str]:
    """(mode, (height, width), pixel bytes) of one image, or (None, (), problem) if unusable.

    Call it where Pillow's DecompressionBombWarning is an error (as decode_all does), so an
    image of more than about 89 megapixels is refused instead of decoded.
    """
    try:
        with Image.open(path) as image:
            if mode and image.mode != mode:
                image = image.convert(mode)
            pixels = image.tobytes()  # decodes; raw bytes pickle fast back to the parent
            image_mode, (width, height) = image.mode, image.size
    except FileNotFoundError:
        return None, (), "image file is missing"
    except UnidentifiedImageError:
        empty = os.path.getsize(path) == 0
        return None, (), "image file is empty" if empty else "not an image file (unknown format)"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        return None, (), f"image is too large ({e})"
    except OSError as e:
        if "truncated" in str(e).lower():
            return None, (), f"image is truncated ({e})"
        return None, (), f"cannot read image ({e})"
    except Exception as e:  # noqa: BLE001 - corrupt files make decoders raise many kinds
        return None, (), f"corrupt image ({type(e).__name__}: {e})"
    return image_mode, (height, width), pixels


def _decode_chunk(paths: list[str], mode: str | None) -> list[tuple]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return [decode_image(path, mode) for path in paths]


def default_workers() -> int:
    """The CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def worker_count(images: int, workers: int | None = None) -> int:
    """How many processes decode `images` images (`workers` caps it; default: all cores).

    Workers are forked: they start in milliseconds and need no `if __name__ == "__main__"`
    guard in the user's script. A process running TensorFlow's threads must not be forked
    (and spawned workers would rerun an unguarded script), so there one process decodes;
    `tfnote dataset build` beforehand decodes in parallel.
    """
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if images < MIN_PARALLEL or not forkable or "tensorflow" in sys.modules:
        return 1
    return max(1, workers or default_workers())


def _die_with_parent(parent: int) -> None:
    """Worker start-up: end this process when its parent dies (kill -9 included).

    Without it a killed `tfnote dataset build` left its decoders running. Linux's
    prctl(PR_SET_PDEATHSIG) has the kernel send SIGKILL; elsewhere a thread watches.
    """
    import signal
    import threading

    done = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            done = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    if done:
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def decode_all(paths: list[str], mode: str | None = None, workers: int | None = None) -> list:
    """decode_image for every path, in order, spread over worker processes."""
    workers = worker_count(len(paths), workers)
    if workers == 1:
        return _decode_chunk(paths, mode)
    size = -(-len(paths) // (workers * 4))  # a few chunks per worker balance the load
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    context = multiprocessing.get_context("fork")
    Image.preinit()  # import the common format plugins once, not in every worker
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        return [result for part in pool.map(_decode_chunk, chunks, repeat(mode)) for result in part]


# --- building and caching ---------------------------------------------------------------------


def build(
    image_dir: str | os.PathLike,
    label_file: str | os.PathLike,
    *,
    cache: str | os.PathLike | None = None,
    skip_bad: bool = False,
    mode: str | None = None,
    num_classes: int | None = None,
    workers: int | None = None,
    rebuild: bool = False,
) -> ImageSet:
    """Read the images a course label file names, through the cache (see the module doc)."""
    image_dir, label_file = Path(image_dir), Path(label_file)
    _check_mode(mode)
    if num_classes is not None and num_classes < 1:
        raise TfnoteError(f"num_classes must be at least 1 (got {num_classes})")
    if not image_dir.is_dir():
        raise TfnoteError(f"{image_dir}: no such image folder")
    text = _read_text(label_file)
    sources = f"labels {label_file.resolve()}\n{text}\nclasses {num_classes}"
    # The first word of each line names an image: enough to check a cache, before parsing.
    folder = str(image_dir)
    paths = [
        os.path.join(folder, line.split(None, 1)[0]) for line in text.splitlines() if line.strip()
    ]

    def entries() -> list[Entry]:
        return parse_labels(text, label_file, image_dir, num_classes)

    cache = Path(cache) if cache else default_cache(label_file, image_dir, mode)
    return _build(entries, paths, sources, cache, skip_bad, mode, workers, rebuild)


def build_folder(
    folder: str | os.PathLike,
    *,
    class_names: list[str] | None = None,
    cache: str | os.PathLike | None = None,
    skip_bad: bool = False,
    mode: str | None = None,
    workers: int | None = None,
    rebuild: bool = False,
) -> ImageSet:
    """Read a folder-per-class layout (FOLDER/<class>/<image>) through the cache."""
    folder = Path(folder)
    _check_mode(mode)
    entries, class_names = scan_class_folders(folder, class_names)
    sources = f"folder {folder.resolve()}\nclasses {class_names}"
    cache = Path(cache) if cache else default_cache(folder, folder, mode)
    paths = [e.path for e in entries]
    result = _build(lambda: entries, paths, sources, cache, skip_bad, mode, workers, rebuild)
    result.class_names = class_names
    return result


def _check_mode(mode: str | None) -> None:
    if mode is not None and mode not in MODES:
        raise TfnoteError(f"unsupported mode {mode!r}; use L (grayscale) or RGB")


def _build(get_entries, paths, sources, cache, skip_bad, mode, workers, rebuild) -> ImageSet:
    """Return the cache when its fingerprint matches, else decode, check and cache."""
    started = time.perf_counter()
    remove_leftovers(cache)
    fingerprint = _fingerprint(paths, sources, mode)
    if not rebuild:
        cached = _read_cache(cache, fingerprint)
        if cached is not None:
            x, y, skipped = cached
            return ImageSet(x, y, cache, True, None, skipped, time.perf_counter() - started)

    entries = get_entries()
    bad = [e for e in entries if e.problem]
    if bad and not skip_bad:
        raise TfnoteError(_bad_message(bad))  # a malformed label file: no need to decode
    todo = [e for e in entries if not e.problem]
    workers = worker_count(len(todo), workers)
    decoded = decode_all([e.path for e in todo], mode, workers)

    usable = Counter((m, shape) for m, shape, _ in decoded if m in MODES)
    if not usable:
        bad += [Entry(e.where, e.path, e.label, _problem(d)) for e, d in zip(todo, decoded)]
        raise TfnoteError(_bad_message(_in_order(bad, entries), skippable=False))
    (ref_mode, ref_shape), _ = usable.most_common(1)[0]
    good = []
    for entry, (image_mode, shape, data) in zip(todo, decoded):
        problem = _problem((image_mode, shape, data), ref_mode, ref_shape)
        if problem:
            bad.append(Entry(entry.where, entry.path, entry.label, problem))
        else:
            good.append((entry.label, data))
    if bad and not skip_bad:
        raise TfnoteError(_bad_message(_in_order(bad, entries)))

    x = np.frombuffer(bytearray(b"".join(data for _, data in good)), np.uint8)
    x = x.reshape(len(good), ref_shape[0], ref_shape[1], MODES[ref_mode])
    y = np.array([label for label, _ in good], np.int64)
    skipped = [f"{e.where}: {e.problem}" for e in _in_order(bad, entries)]
    _write_cache(cache, x, y, fingerprint, skipped)
    return ImageSet(x, y, cache, False, None, skipped, time.perf_counter() - started, workers)


def _problem(decoded: tuple, ref_mode: str | None = None, ref_shape: tuple = ()) -> str | None:
    image_mode, shape, data = decoded
    if image_mode is None:
        return data  # decode_image's own message
    if image_mode not in MODES:
        return f"image mode {image_mode} is not supported (set mode / --mode L or RGB to convert)"
    if image_mode != ref_mode:
        return (
            f"image mode {image_mode} differs from the other images' {ref_mode} (--mode converts)"
        )
    if shape[:2] != ref_shape[:2]:
        size, ref_size = f"{shape[1]}x{shape[0]}", f"{ref_shape[1]}x{ref_shape[0]}"
        return f"image size {size} differs from the other images' {ref_size}"
    return None


def _in_order(bad: list[Entry], entries: list[Entry]) -> list[Entry]:
    position = {e.where: i for i, e in enumerate(entries)}
    return sorted(bad, key=lambda e: position.get(e.where, 0))


def _bad_message(bad: list[Entry], skippable: bool = True) -> str:
    first = bad[0]
    message = f"{first.where}: {first.problem}"
    more = f"{len(bad) - 1} more bad entries" if len(bad) > 1 else ""
    if skippable:
        hint = "--skip-bad (skip_bad=True) leaves bad entries out"
        return f"{message} ({more}; {hint})" if more else f"{message} ({hint})"
    return f"{message} (and {more}; no usable image left)" if more else message


def _fingerprint(paths: list[str], sources: str, mode: str | None) -> str:
    """A hash of what the arrays are made from: the sources, options and every image's stat."""
    lines = [f"v{CACHE_VERSION}", f"mode {mode}", sources, *_stat_lines(paths)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _stat_lines(paths: list[str]) -> list[str]:
    """ "path, size, modification time" of each path, in order."""
    lines = []
    for path in paths:
        try:
            stat = os.stat(path)
            lines.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
        except OSError:
            lines.append(f"{path}\0missing")
    return lines


def cache_dir() -> Path:
    """Where caches go: $TFNOTE_CACHE_DIR, else $XDG_CACHE_HOME/tfnote/datasets."""
    if os.environ.get("TFNOTE_CACHE_DIR"):
        return Path(os.environ["TFNOTE_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "tfnote" / "datasets"


def default_cache(source: Path, image_dir: Path, mode: str | None) -> Path:
    """A cache file named after the source, unique per source, image folder and mode."""
    key = f"{source.resolve()}|{image_dir.resolve()}|{mode}"
    return cache_dir() / f"{source.stem}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.npz"


def _read_cache(path: Path, fingerprint: str):
    """(x, y, skipped) from a cache made from exactly these sources, else None."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["fingerprint"]) != fingerprint:
                return None
            return saved["x"], saved["y"], [str(s) for s in saved["skipped"]]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # missing or unreadable: build it again


LEFTOVER_AGE = 60  # seconds; a temp file this old was left by a killed build (writes touch it)


def remove_leftovers(path: Path) -> None:
    """Delete temp files of cache `path` that a killed build left (.NAME.*, see atomic_path)."""
    now = time.time()
    for tmp in path.parent.glob(f".{path.name}.*"):
        try:
            if now - tmp.stat().st_mtime > LEFTOVER_AGE:
                tmp.unlink()
        except OSError:
            pass  # gone already, or not ours to remove


def _write_cache(path: Path, x, y, fingerprint: str, skipped: list[str]) -> None:
    try:
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez(
                tmp, x=x, y=y, fingerprint=np.array(fingerprint), skipped=np.array(skipped, str)
            )
    except OSError as e:
        raise TfnoteError(f"{path}: cannot write the cache ({e}); set TFNOTE_CACHE_DIR") from None


# --- the dataset loaders (tfnote.data registry) -----------------------------------------------


def find_label_files(path: Path) -> tuple[Path, Path | None]:
    """(train label file, test label file or None) for `image-label:PATH`."""
    if path.is_file():
        return path, None
    if not path.is_dir():
        raise TfnoteError(f"{path}: no such label file or folder")
    texts = sorted(path.glob("*.txt"))
    train = [t for t in texts if "train" in t.stem.lower()]
    test = [t for t in texts if "test" in t.stem.lower()]
    if not train and len(texts) == 1:
        train = texts
    if len(train) != 1 or len(test) > 1:
        if not texts and looks_like_class_folders(path):
            raise TfnoteError(f"{path} looks like class folders: use --data image-folder:{path}")
        found = ", ".join(t.name for t in texts) or "none"
        raise TfnoteError(
            f"{path}: expected one *train*.txt label file and at most one *test*.txt "
            f"(found: {found}); or name the label file itself"
        )
    return train[0], (test[0] if test else None)


def looks_like_class_folders(path: Path) -> bool:
    """Whether PATH/<class>/ or PATH/train/<class>/ holds images (the image-folder layout)."""
    top = path / "train" if (path / "train").is_dir() else path
    return any(
        image.suffix.lower() in IMAGE_SUFFIXES
        for folder in top.iterdir()
        if folder.is_dir()
        for image in folder.iterdir()
    )


def image_dir_for(label_file: Path) -> Path:
    """mnist_train_jpg_6000.txt -> mnist_train_jpg_6000/ when it exists, else its folder."""
    beside = label_file.with_suffix("")
    return beside if beside.is_dir() else label_file.parent


def load(
    arg: str | None = None,
    data_dir: str | None = None,
    download: bool = True,
    *,
    skip_bad: bool = False,
    mode: str | None = None,
    num_classes: int | None = None,
    workers: int | None = None,
) -> Data:
    """`image-label:PATH`: a course-format dataset (see the module doc for PATH)."""
    path = Path(arg or data_dir or "")
    if not (arg or data_dir):
        raise TfnoteError("image-label needs a path: --data image-label:FOLDER_OR_LABEL_FILE")
    train_file, test_file = find_label_files(path)
    options = dict(skip_bad=skip_bad, mode=mode, num_classes=num_classes, workers=workers)
    train = build(image_dir_for(train_file), train_file, **options)
    test = build(image_dir_for(test_file), test_file, **options) if test_file else None
    classes = num_classes or class_count(train_file, train, test_file, test)
    layout = f"label files {train_file.name}" + (f" and {test_file.name}" if test_file else "")
    return _as_data(train, test, [str(i) for i in range(classes)], path, layout)


def class_count(
    train_file: Path, train: ImageSet, test_file: Path | None = None, test: ImageSet | None = None
) -> int:
    """1 + the largest label, refused when that leaves classes without any training image.

    A typo such as 999 for 9 would otherwise make 1000 classes, 990 of them never seen;
    `num_classes` (in dataset_args) states the count when gaps are meant.
    """
    labels = [train.y] + ([test.y] if test is not None else [])
    classes = 1 + int(max(y.max() for y in labels if len(y)))
    seen = np.zeros(classes, bool)
    seen[train.y] = True
    if seen.all():
        return classes
    missing = np.flatnonzero(~seen)
    # The labels above the first gap are the suspects; name the file they come from.
    suspects = sorted({int(v) for y in labels for v in np.unique(y) if v > missing[0]})
    source = train_file if np.isin(suspects, train.y).any() else test_file
    shown = ", ".join(map(str, suspects[:3])) + (", ..." if len(suspects) > 3 else "")
    first = next(s for s in suspects if s in (train.y if source == train_file else test.y))
    raise TfnoteError(
        f"{source}:{_line_of(source, first)}: label(s) {shown} make {classes} classes, but "
        f"{len(missing)} of them have no training image (first: {int(missing[0])}); fix the"
        " labels, or set --num-classes (num_classes in dataset_args) if the gaps are meant"
    )


def _line_of(label_file: Path, label: int) -> int | str:
    """The number of the first line of `label_file` that gives `label` (for the message)."""
    for number, line in enumerate(_read_text(label_file).splitlines(), start=1):
        fields = line.split()
        if len(fields) == 2 and fields[1].lstrip("+-").isdigit() and int(fields[1]) == label:
            return number
    return "?"


def load_folder(
    arg: str | None = None,
    data_dir: str | None = None,
    download: bool = True,
    *,
    skip_bad: bool = False,
    mode: str | None = None,
    workers: int | None = None,
) -> Data:
    """`image-folder:PATH`: PATH/<class>/<image>, or PATH/train/... and PATH/test/..."""
    if not (arg or data_dir):
        raise TfnoteError("image-folder needs a path: --data image-folder:FOLDER")
    path = Path(arg or data_dir)
    options = dict(skip_bad=skip_bad, mode=mode, workers=workers)
    if (path / "train").is_dir() and (path / "test").is_dir():
        train = build_folder(path / "train", **options)
        test = build_folder(path / "test", class_names=train.class_names, **options)
        layout = "class folders train/<class>/ and test/<class>/"
    else:
        train, test = build_folder(path, **options), None
        layout = "class folders <class>/"
    data = _as_data(train, test, train.class_names, path, layout)
    # The folders are read class by class; validation "split" takes the last part of the
    # training set, which would then be the last class alone. A fixed shuffle mixes them.
    order = np.random.default_rng(0).permutation(len(data.x_train))
    data.x_train, data.y_train = data.x_train[order], data.y_train[order]
    return data


def _as_data(
    train: ImageSet, test: ImageSet | None, class_names: list[str], path: Path, layout: str
) -> Data:
    if test is not None and test.x.shape[1:] != train.x.shape[1:]:
        raise TfnoteError(
            f"{path}: test images are {test.describe()}, training images {train.describe()}"
        )
    x_train, y_train = train.x, train.y
    if test is not None:
        x_test, y_test = test.x, test.y
    else:
        x_train, y_train, x_test, y_test = hold_out(x_train, y_train, path)
    if test is None:
        layout += f"; no test set, so a fixed {TEST_FRACTION:.0%} is held out as one"
    skipped = len(train.skipped) + (len(test.skipped) if test else 0)
    info = {"train_cache": str(train.cache), "test_cache": str(test.cache) if test else None}
    info["layout"] = layout  # recorded in the run's model.json: how train and test were split
    source = f"{path} ({layout}" + (f"; {skipped} bad entries skipped)" if skipped else ")")
    return Data(x_train, y_train, x_test, y_test, class_names, source=source, info=info)


def hold_out(x: np.ndarray, y: np.ndarray, path: Path, fraction: float = TEST_FRACTION):
    """Split off a fixed, seeded `fraction` as the test set: (x_train, y_train, x_test, y_test)."""
    n_test = round(len(x) * fraction)
    if n_test < 1 or n_test >= len(x):
        raise TfnoteError(f"{path}: too few images ({len(x)}) to hold out a test set")
    order = np.random.default_rng(0).permutation(len(x))
    train, test = np.sort(order[n_test:]), np.sort(order[:n_test])
    return x[train], y[train], x[test], y[test]
