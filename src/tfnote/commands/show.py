"""`tfnote show DATASET`: a PNG grid of sample images with labels (the course's p13 / p24)."""

from __future__ import annotations

import argparse

from tfnote.commands.flags import int_range, seed
from tfnote.outputs import check_output_file


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's sub-commands to the `tfnote` parser."""
    p = sub.add_parser(
        "show",
        help="save a grid of a dataset's images with labels and class names (p13, p24)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "dataset",
        help="mnist, fashion, cifar10, image-label:PATH or image-folder:PATH",
    )
    p.add_argument("--data-dir", help="folder (or file) holding the dataset")
    p.add_argument("--out", help="PNG to write (default: runs/DATASET-samples.png)")
    p.add_argument("--count", type=int_range(1, 400), default=20, help="how many images")
    p.add_argument("--split", choices=["train", "test"], default="train", help="which images")
    p.add_argument("--seed", type=seed, help="pick random images (default: the first ones)")
    p.set_defaults(func=cmd_show)


def cmd_show(args) -> int:
    from tfnote.show import default_out, show_dataset

    out = check_output_file(args.out or default_out(args.dataset), ".png")
    path, about = show_dataset(args.dataset, args.data_dir, out, args.count, args.split, args.seed)
    print(about)
    print(f"wrote {path}")
    return 0
