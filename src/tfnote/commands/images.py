"""Commands of class 4: self-made datasets, augmentation preview, recognizing your own image.

tfnote dataset build IMAGE_DIR LABEL_FILE     the course's image folder + label file
tfnote dataset build FOLDER                   one sub-folder per class
tfnote augment-preview --augment mnist        a PNG grid of augmented samples
tfnote predict RUN IMAGE...                   classify your own photos with a trained run
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tfnote.commands.flags import int_range, positive_int, seed
from tfnote.outputs import check_output_file, check_writable_dir

MAX_LISTED = 50  # skipped entries printed one per line; the rest are counted


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's sub-commands to the `tfnote` parser."""
    p = sub.add_parser("dataset", help="build the cache of a self-made image dataset")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    b = actions.add_parser(
        "build",
        help="decode and check images once, cache the arrays",
        description="Decode a self-made dataset in parallel and cache it. With a LABEL_FILE "
        "('<file> <label>' per line) images are read from IMAGE_DIR; without one, "
        "IMAGE_DIR holds one sub-folder per class.",
    )
    b.add_argument("image_dir", help="folder of images (or of class folders)")
    b.add_argument("label_file", nargs="?", help="the course's label file (optional)")
    b.add_argument("--cache", help="cache file (default: in $TFNOTE_CACHE_DIR or ~/.cache)")
    b.add_argument("--skip-bad", action="store_true", help="leave bad entries out, list them")
    b.add_argument("--mode", choices=["L", "RGB"], help="convert every image to this mode")
    b.add_argument("--num-classes", type=positive_int, help="labels must be below this")
    b.add_argument(
        "--workers", type=int_range(1, 512), help="decoding processes (default: all cores)"
    )
    b.add_argument("--rebuild", action="store_true", help="ignore an up-to-date cache")
    b.set_defaults(func=cmd_dataset_build)

    p = sub.add_parser("augment-preview", help="save a PNG grid of augmented training images")
    p.add_argument("--augment", default="mnist", help="augmentation preset (default: mnist)")
    p.add_argument("--data", help="dataset to sample (default: the preset's own, e.g. mnist)")
    p.add_argument("--data-dir", help="folder (or file) holding the dataset")
    p.add_argument(
        "--samples", type=int_range(1, 200), default=6, help="rows: images to show (default 6)"
    )
    p.add_argument(
        "--copies", type=int_range(1, 20), default=5, help="augmented copies per image (default 5)"
    )
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--out", help="PNG to write (default: runs/augment-PRESET.png)")
    p.set_defaults(func=cmd_augment_preview)

    p = sub.add_parser("predict", help="recognize your own images with a trained run")
    p.add_argument("run", help="the run folder (e.g. runs/mnist)")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    p.add_argument(
        "--mode",
        choices=["auto", "threshold", "subtract", "invert", "none"],
        default="auto",
        help="make the object light on black: threshold (black and white), subtract the "
        "background (keeps shades), invert (255 - x) or none (default auto: threshold for "
        "MNIST, subtract for Fashion-MNIST, none for colour models; for your own images, "
        "what makes the photo look like the training images)",
    )
    p.add_argument(
        "--recipe",
        choices=["auto", "mnist", "fashion", "whole", "match"],
        default="auto",
        help="place the object as the dataset's images were made: mnist (20x20 box, centre "
        "of mass), fashion (trim, longest edge 28, sharpen), whole (the whole photo "
        "resized), match (like the run's own training images, as recorded: your class "
        "folders); default auto: from the run's dataset",
    )
    p.add_argument(
        "--threshold",
        type=int_range(0, 255),
        metavar="LEVEL",
        help="threshold at this grey level, 0-255, the course's way (pixel < 200 is ink; "
        "implies --mode threshold; default: computed from the background)",
    )
    p.add_argument(
        "--top", type=positive_int, default=3, help="how many classes to list (default 3)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--save-inputs", metavar="DIR", help="also save what the model saw as PNGs")
    p.set_defaults(func=cmd_predict)


def cmd_dataset_build(args) -> int:
    if args.cache:
        check_output_file(args.cache, ".npz")
    from tfnote.data import imagelabel

    options = dict(
        cache=args.cache,
        skip_bad=args.skip_bad,
        mode=args.mode,
        workers=args.workers,
        rebuild=args.rebuild,
    )
    if args.label_file:
        built = imagelabel.build(
            args.image_dir, args.label_file, num_classes=args.num_classes, **options
        )
        # 999 among 0..9 is a typo, not 11 (or 1000) classes: refused as `train` refuses it
        classes = args.num_classes or imagelabel.class_count(Path(args.label_file), built)
    else:
        built = imagelabel.build_folder(args.image_dir, **options)
        classes = len(built.class_names)
    if built.from_cache:
        print(
            f"up to date: {built.cache} ({built.describe()}, {classes} classes; "
            f"checked in {built.seconds:.2f} s)"
        )
    else:
        print(
            f"built {built.cache}: {built.describe()}, {classes} classes "
            f"in {built.seconds:.2f} s ({built.workers} processes)"
        )
    if built.skipped:
        print(f"skipped {len(built.skipped)} bad entries:")
        for line in built.skipped[:MAX_LISTED]:
            print(f"  {line}")
        if len(built.skipped) > MAX_LISTED:
            print(f"  ... and {len(built.skipped) - MAX_LISTED} more")
    return 0


def cmd_augment_preview(args) -> int:
    from tfnote import augment
    from tfnote.errors import TfnoteError

    if args.augment not in augment.PRESETS:  # before loading any data
        augment.augmentation(args.augment)
    if args.samples < 1 or args.copies < 1:
        raise TfnoteError("--samples and --copies must be at least 1")
    out = check_output_file(args.out or Path("runs") / f"augment-{args.augment}.png", ".png")
    import numpy as np

    from tfnote.data import load_dataset

    dataset = args.data or {"cifar": "cifar10"}.get(args.augment, args.augment)
    data = load_dataset(dataset, data_dir=args.data_dir)
    rng = np.random.default_rng(args.seed)
    picks = rng.choice(len(data.x_train), size=min(args.samples, len(data.x_train)), replace=False)
    picks = np.sort(picks)
    out = augment.preview(
        data.x_train[picks],
        args.augment,
        out,
        args.copies,
        args.seed,
        labels=data.y_train[picks],
        class_names=data.class_names,
    )
    print(f"augmentation {args.augment!r}: {augment.describe(args.augment)}")
    print(f"wrote {out}")
    return 0


def cmd_predict(args) -> int:
    if args.save_inputs:
        check_writable_dir(args.save_inputs)
    from tfnote import predict
    from tfnote.photo import save_input

    results = predict.predict(
        args.run, args.images, args.mode, args.threshold, args.top, args.recipe
    )
    saved = []
    if args.save_inputs:
        saved = [save_input(r.prepared, args.save_inputs) for r in results]
    for r in results:
        if r.warning:  # on stderr too, so that --json readers see it
            print(f"tfnote: warning: {r.path}: {r.warning}; no answer", file=sys.stderr)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
        return 0
    for r in results:
        how = "; ".join([r.prepared.describe(), *r.prepared.notes])
        if r.label is None:
            print(f"{Path(r.path).name}: no answer ({r.warning})   [{how}]")
            continue
        top = ", ".join(f"{name} {p:.1%}" for _, name, p in r.top)
        print(
            f"{Path(r.path).name}: {r.name} ({r.probability:.1%})   top {len(r.top)}: {top}"
            f"   [{how}]"
        )
    for path in saved:
        print(f"wrote {path}")
    return 0
