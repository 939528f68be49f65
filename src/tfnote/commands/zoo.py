"""`tfnote models`: every registered model with its parameter count.

Counts depend on the input, so each family's module declares the input its models are
counted on (INPUTS: the course's data for them, MNIST images for the dense networks,
CIFAR-10 images for the CNN zoo...), and a model gets a row for each size (`model_args`)
the presets give it. `--input-shape` counts every model on one input instead.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field

from tfnote.commands.flags import int_range
from tfnote.models import Inputs


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


def count_params(build: Callable, input_shape: tuple[int, ...], num_classes: int, **args) -> int:
    """The number of parameters of the model `build` makes for `input_shape`, from its
    weights' shapes.

    Inside a StatelessScope Keras creates weights without drawing their values (VGG16's 15M
    among them: about half the time of `tfnote models`); a subclassed model makes its
    weights on a symbolic call.
    """
    from keras.src.backend.common import global_state

    from tfnote import _tf

    _, keras = _tf.load()
    # Keras lists the weights whose values it deferred, to draw them when a scope ends
    deferred = global_state.get_global_attribute("uninitialized_variables", [], set_to_default=True)
    before = len(deferred)
    try:
        with keras.StatelessScope(initialize_variables=False):
            model = build(tuple(input_shape), num_classes, **args)
            if not model.built:
                model(keras.Input(input_shape))
            return int(model.count_params())
    finally:
        del deferred[before:]  # this model is dropped: its weights never need values


def preset_sizes() -> dict[str, list[tuple[dict, list[str]]]]:
    """Model name -> each `model_args` the presets give it, with the presets that do."""
    from tfnote.spec import presets

    sizes: dict[str, list[tuple[dict, list[str]]]] = {}
    for preset, table in presets().items():
        args = table.get("model_args", {})
        rows = sizes.setdefault(table.get("model", ""), [])
        match = next((names for known, names in rows if known == args), None)
        if match is None:
            rows.append((args, [preset]))
        else:
            match.append(preset)
    return sizes


@dataclass
class ModelRow:
    """One line of `tfnote models`: a model at one size (the `model_args` of `presets`)."""

    name: str
    family: str
    inputs: Inputs | None  # what it is counted on; None: its family declares nothing
    presets: list[str] = field(default_factory=list)
    params: int | None = None
    error: str | None = None  # why `params` could not be counted


def model_table(family: str | None = None, input_shape=None, num_classes: int = 10) -> list:
    """A ModelRow for every model of every family (or of `family`) at every size the
    presets give it, counted on its family's INPUTS (or on `input_shape`)."""
    import importlib

    from tfnote.errors import TfnoteError
    from tfnote.models import FAMILIES

    if family and family not in FAMILIES:
        raise TfnoteError(f"unknown family {family!r}; families: {', '.join(FAMILIES)}")
    sizes = preset_sizes()
    rows = []
    for fam in [family] if family else FAMILIES:
        try:
            module = importlib.import_module(f"tfnote.models.{fam}")
            models = dict(module.MODELS)
        except Exception as e:  # noqa: BLE001 - a family's module may fail in any way
            rows.append(ModelRow("-", fam, None, error=f"family {fam}: {_first_line(e)}"))
            continue
        for name, build in models.items():
            inputs = getattr(module, "MODEL_INPUTS", {}).get(name) or getattr(
                module, "INPUTS", None
            )
            if input_shape is not None:
                kind = inputs.kind if inputs else ""
                inputs = Inputs(kind, tuple(input_shape), num_classes)
            for args, presets in sizes.get(name) or [({}, [])]:
                row = ModelRow(name, fam, inputs, presets)
                if inputs is None:
                    row.error = f"models/{fam}.py declares no INPUTS"
                else:
                    try:
                        row.params = count_params(build, inputs.shape, inputs.classes, **args)
                    except Exception as e:  # noqa: BLE001 - a model that cannot take this input
                        row.error = _first_line(e)[:60]
                rows.append(row)
    return rows


def _first_line(e: Exception) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


def cmd_models(args) -> int:
    rows = model_table(args.family, args.input_shape, args.classes)
    print(f"{'model':20} {'family':10} {'input':>16} {'classes':>7} {'parameters':>12}  presets")
    for row in rows:
        shape = "x".join(map(str, row.inputs.shape)) if row.inputs else "-"
        shown = f"{row.inputs.kind} {shape}".strip() if row.inputs else "-"
        classes = row.inputs.classes if row.inputs else "-"
        params = f"{row.params:,}" if row.params is not None else "-"
        line = f"{row.name:20} {row.family:10} {shown:>16} {classes:>7} {params:>12}"
        if row.presets:  # the first preset of this size, and how many more
            more = len(row.presets) - 1
            line += f"  {row.presets[0]}" + (f" +{more}" if more else "")
        print(line + (f"  ({row.error})" if row.error else ""))
    return 0
