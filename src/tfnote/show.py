"""Look at a dataset before training on it: the course's p13_mnist_datasets / p24_cifar10_datasets.

    >>> from tfnote.show import show_dataset
    >>> show_dataset("fashion")                                   # -> runs/fashion-samples.png
    >>> show_dataset("image-label:mnist_image_label", count=30, out="selfmade.png")

The course printed one image's array and label, then drew it with `plt.imshow`; here a
grid of training images, each titled with its label number and class name, and a title
that says which data was read, from where, and how many samples it holds.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from tfnote import plots
from tfnote.errors import TfnoteError

COLUMNS = 10  # images per row of the grid


def default_out(dataset: str) -> Path:
    """`fashion` -> runs/fashion-samples.png; `image-label:PATH` -> runs/image-label-samples.png
    (beside the run folders, which a project's .gitignore leaves out: the checkout stays clean)."""
    return Path("runs") / f"{dataset.partition(':')[0]}-samples.png"


def sample_grid(
    x: np.ndarray,
    y: np.ndarray,
    class_names: list[str] | None,
    out: str | os.PathLike,
    title: str = "",
):
    """Draw images `x` (N, H, W, C uint8) in a grid, each titled "label: class name"."""
    plt = plots.pyplot()
    count = len(x)
    columns = min(COLUMNS, count)
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(1.25 * columns, 1.45 * rows + 0.6), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= count:
            ax.axis("off")
            continue
        image = x[i]
        if image.ndim == 3 and image.shape[-1] == 1:
            ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255)
        else:
            ax.imshow(image.astype("uint8"))
        label = int(y[i])
        name = class_names[label] if class_names and label < len(class_names) else ""
        text = f"{label}: {name}" if name and name != str(label) else f"{label}"
        ax.set_title(text, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return plots.save(fig, out)


def show_dataset(
    dataset: str,
    data_dir: str | None = None,
    out: str | os.PathLike | None = None,
    count: int = 20,
    split: str = "train",
    seed: int | None = None,
) -> tuple[Path, str]:
    """Save a grid of `count` images of `dataset` (any image dataset tfnote reads).

    The first `count` images of the split, as the course showed x_train[0]; `seed` picks
    a random sample instead. Returns the PNG's path and a one-line description.
    """
    from tfnote.data import load_dataset

    if count < 1:
        raise TfnoteError(f"--count must be at least 1 (got {count})")
    data = load_dataset(dataset, data_dir=data_dir)
    x, y = (data.x_train, data.y_train) if split == "train" else (data.x_test, data.y_test)
    if x is None or x.ndim != 4:
        raise TfnoteError(f"{dataset!r} is not an image dataset; `tfnote show` draws images")
    if seed is None:
        picks = np.arange(min(count, len(x)))
    else:
        picks = np.sort(np.random.default_rng(seed).choice(len(x), min(count, len(x)), False))
    n_test = 0 if data.x_test is None else len(data.x_test)
    shape = "x".join(str(d) for d in x.shape[1:])
    classes = len(data.class_names) if data.class_names else data.num_classes
    about = (
        f"{data.name}: {len(data.x_train):,} train / {n_test:,} test images of {shape}, "
        f"{classes} classes"
    )
    which = "first" if seed is None else "random"
    named = data.class_names and data.class_names != [str(i) for i in range(classes)]
    title = f"{about}\n{which} {len(picks)} {split} images, titled " + (
        "label: class name" if named else "with their label"
    )
    path = sample_grid(x[picks], y[picks], data.class_names, out or default_out(dataset), title)
    return path, f"{about} (from {data.source})"
