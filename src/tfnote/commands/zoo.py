"""`tfnote models`: every registered model with its parameter count.

Counts depend on the input, so each family is measured on the data the course gives it
(MNIST images for the dense networks, CIFAR-10 images for the CNN zoo...). `--input-shape`
measures every model on one input instead.
"""

from __future__ import annotations

import argparse

from tfnote.commands.flags import int_range

# family -> (input shape, classes) the course uses it with; a few models differ (below).
FAMILY_INPUTS: dict[str, tuple[tuple[int, ...], int]] = {
    "dense": ((28, 28, 1), 10),
    "cnn": ((32, 32, 3), 10),
    "inception": ((32, 32, 3), 10),
    "resnet": ((32, 32, 3), 10),
    "recurrent": ((60, 1), 1),
    "fast": ((32, 32, 3), 10),
}
MODEL_INPUTS: dict[str, tuple[tuple[int, ...], int]] = {
    "dense1": ((4,), 3),  # iris
    "dense1-subclass": ((4,), 3),
    "letters-onehot": ((4, 5), 5),  # 4 letters in, one of 5 letters out
    "letters-embedding": ((4,), 5),
}


def register(sub) -> None:
    """Add this group's sub-commands to the `tfnote` parser."""
    p = sub.add_parser("models", help="list the models with their parameter counts")
    p.add_argument(
        "--input-shape",
        type=shape_arg,
        help="count every model on this input, e.g. 28,28,1 (default: each model's course data)",
    )
    p.add_argument(
        "--classes", type=int_range(1, 100_000), default=10, help="classes with --input-shape"
    )
    p.add_argument("--family", help="list only this family (dense, cnn, inception, ...)")
    p.set_defaults(func=cmd_models)


def shape_arg(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"expected sizes like 32,32,3, got {text!r}")
    return shape


def count_params(name: str, input_shape: tuple[int, ...], num_classes: int) -> int:
    """Build model `name` for `input_shape` and return its number of parameters."""
    from tfnote.models import build_model

    model = build_model(name, input_shape, num_classes)  # called once: subclasses have weights
    return int(model.count_params())


def model_table(family: str | None = None, input_shape=None, num_classes: int = 10) -> list[dict]:
    """One row per model: name, family, input shape, classes and parameters (None if it fails)."""
    import importlib

    from tfnote.errors import TfnoteError
    from tfnote.models import FAMILIES

    if family and family not in FAMILIES:
        raise TfnoteError(f"unknown family {family!r}; families: {', '.join(FAMILIES)}")
    rows = []
    for fam in [family] if family else FAMILIES:
        for name in importlib.import_module(f"tfnote.models.{fam}").MODELS:
            shape, classes = input_shape, num_classes
            if shape is None:
                shape, classes = MODEL_INPUTS.get(name, FAMILY_INPUTS[fam])
            row = {"name": name, "family": fam, "input_shape": shape, "classes": classes}
            try:
                row["params"] = count_params(name, shape, classes)
            except Exception as e:  # a model that cannot take this input shape
                row["params"], row["error"] = None, str(e).splitlines()[0][:60]
            rows.append(row)
    return rows


def cmd_models(args) -> int:
    rows = model_table(args.family, args.input_shape, args.classes)
    print(f"{'model':20} {'family':10} {'input':>12} {'classes':>7} {'parameters':>12}")
    for row in rows:
        shape = "x".join(map(str, row["input_shape"]))
        params = f"{row['params']:,}" if row["params"] is not None else "-"
        line = f"{row['name']:20} {row['family']:10} {shape:>12} {row['classes']:>7} {params:>12}"
        print(line + (f"  ({row['error']})" if "error" in row else ""))
    return 0
