"""Find a dataset on disk, or download it, and say clearly what was tried when that fails.

Search order: an explicit folder or file (`--data-dir`, exclusive when given), the folder
in the TFNOTE_DATA environment variable, the Keras cache (KERAS_HOME or ~/.keras, under
`datasets/`), the Debian package location, and last a download through Keras's
`get_file` (into the Keras cache, like `keras.datasets`). TFNOTE_MIRROR replaces the
download address (useful behind a firewall or for a local mirror); TFNOTE_OFFLINE=1, or
download=False, skips the download.

This is the only module that searches for data: `find` for the datasets above, `find_file`
for a single course file (dot.csv, SH600519.csv) in the same places.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tfnote.data.formats import find_idx_files
from tfnote.errors import TfnoteError

KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class Source:
    """How one dataset looks on disk and where it is downloaded from."""

    subdirs: tuple[str, ...]  # folders (relative to a search place) that may hold it
    npz_names: tuple[str, ...] = ()  # file names of a Keras-style .npz
    debian: str | None = None  # folder where a Debian package installs it
    downloads: tuple[tuple[str, str], ...] = ()  # (file name, default URL)
    cache_subdir: str = "datasets"  # where get_file puts the download in the Keras cache
    extract: bool = False
    hint: str = ""


SOURCES = {
    "mnist": Source(
        subdirs=("", "mnist"),
        npz_names=("mnist.npz",),
        downloads=(("mnist.npz", KERAS_BASE + "mnist.npz"),),
        hint="pass --data-dir to a folder with mnist.npz or the four idx files",
    ),
    "fashion": Source(
        subdirs=("fashion-mnist", "fashion_mnist", "fashion"),
        npz_names=("fashion-mnist.npz", "fashion_mnist.npz"),
        debian="/usr/share/datasets/fashion-mnist",
        downloads=tuple(
            (f, KERAS_BASE + f)
            for f in (
                "train-labels-idx1-ubyte.gz",
                "train-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
            )
        ),
        cache_subdir="datasets/fashion-mnist",
        hint="on Debian/Ubuntu: apt-get install dataset-fashion-mnist",
    ),
    "cifar10": Source(
        subdirs=(
            "",
            "cifar-10-batches-py",
            "cifar-10-batches-py-target/cifar-10-batches-py",
        ),
        downloads=(
            # Keras names the extracted folder after `fname`; the same name keeps its cache valid.
            (
                "cifar-10-batches-py-target",
                "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            ),
        ),
        extract=True,
        hint="pass --data-dir to the cifar-10-batches-py folder",
    ),
}


def keras_cache() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser() / "datasets"


def _match(name: str, source: Source, place: Path) -> tuple[str, Path] | None:
    """("npz"|"idx"|"cifar", path) if `place` holds dataset `name`, else None."""
    if place.is_file():
        return ("npz", place) if place.suffix == ".npz" else None
    for sub in source.subdirs:
        folder = place / sub if sub else place
        if name == "cifar10":
            if (folder / "data_batch_1").is_file():
                return "cifar", folder
            continue
        for npz in source.npz_names:
            if (folder / npz).is_file():
                return "npz", folder / npz
        # idx files at the top of a shared place could be MNIST or Fashion: for Fashion
        # only trust them inside a fashion folder or an explicitly named one.
        if (sub or name == "mnist") and (files := find_idx_files(folder)):
            return "idx", files["x_train"].parent
    return None


def search_places(data_dir: str | os.PathLike | None) -> list[tuple[str, Path]]:
    if data_dir is not None:
        return [("--data-dir", Path(data_dir).expanduser())]
    places = []
    if os.environ.get("TFNOTE_DATA"):
        places.append(("TFNOTE_DATA", Path(os.environ["TFNOTE_DATA"]).expanduser()))
    places.append(("Keras cache", keras_cache()))
    return places


def find_file(file_name: str, data_dir=None, hint: str = "", current_folder: bool = False) -> Path:
    """Find one data file by name (the course's dot.csv, SH600519.csv); never downloads.

    `data_dir` (a folder, or the file itself) is searched alone when given; otherwise the
    current folder (with `current_folder`), $TFNOTE_DATA and the Keras cache, in this order.
    """
    places = search_places(data_dir)
    if data_dir is None and current_folder:
        places.insert(0, ("current folder", Path(".")))
    for label, place in places:
        if label == "--data-dir" and place.is_file():
            return place
        if (place / file_name).is_file():
            return place / file_name
    tried = "; ".join(f"{label} {path}" for label, path in places)
    raise TfnoteError(f"{file_name} not found (looked in: {tried}); {hint}")


def find(name: str, data_dir=None, download: bool = True) -> tuple[str, Path]:
    """Locate dataset `name`; return (format, path). Raise TfnoteError listing what was tried."""
    source = SOURCES[name]
    places = search_places(data_dir)
    if data_dir is None and source.debian:
        places.append(("Debian package", Path(source.debian)))
    for label, place in places:
        found = _match(name, source, place)
        # An explicit --data-dir, or the Debian folder, may be the idx folder itself.
        if found is None and label in ("--data-dir", "Debian package") and name != "cifar10":
            if files := find_idx_files(place):
                found = "idx", files["x_train"].parent
        if found:
            return found
    tried = "; ".join(f"{label} {path}" for label, path in places)
    problem = f"dataset {name!r} not found (looked in: {tried})"
    if data_dir is None and download and os.environ.get("TFNOTE_OFFLINE") != "1":
        try:
            _download(source)
        except Exception as e:  # any network or archive failure becomes one clear line
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise TfnoteError(f"{problem}; download failed: {reason}. {source.hint}") from None
        found = _match(name, source, keras_cache())
        if found:
            return found
        raise TfnoteError(f"{problem}; the download did not produce it. {source.hint}")
    raise TfnoteError(f"{problem}. {source.hint}")


def _download(source: Source) -> None:
    """Fetch into the Keras cache with keras.utils.get_file, as keras.datasets does."""
    from tfnote import _tf

    _, keras = _tf.load()
    # get_file falls back to /tmp/.keras when the cache folder does not exist yet (a fresh
    # machine), where the search above would never find the download: make it first.
    keras_cache().mkdir(parents=True, exist_ok=True)
    mirror = os.environ.get("TFNOTE_MIRROR")
    for fname, url in source.downloads:
        origin = mirror.rstrip("/") + "/" + url.rsplit("/", 1)[1] if mirror else url
        keras.utils.get_file(
            fname,
            origin=origin,
            cache_dir=str(keras_cache().parent),
            cache_subdir=source.cache_subdir,
            extract=source.extract,
        )
