"""Model registry: a name -> a builder `build(input_shape, num_classes, **args) -> keras.Model`.

One module per family, named in FAMILIES; each module has a `MODELS` dict of its builders
and declares the input they read (`INPUTS`, an Inputs; `MODEL_INPUTS` for the models that
read another). Importing a family imports Keras, so this registry imports families only
when a model is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tfnote.errors import TfnoteError
from tfnote.losses import CLASS_LOSSES  # losses that compare a score per class with a label

FAMILIES = ("dense", "cnn", "inception", "resnet", "fast", "recurrent")


@dataclass(frozen=True)
class Inputs:
    """What a family's models read, as its module declares it (INPUTS, and MODEL_INPUTS for
    the models that read something else): `tfnote models` counts parameters on this input."""

    kind: str  # "image" (height, width, channels), "features", "letters", "sequence" (days, values)
    shape: tuple[int, ...]  # one sample, without the batch axis
    classes: int  # the outputs: classes, or 1 for a number to predict


@dataclass(frozen=True)
class ModelRef:
    """A model as a spec or a flag names it: registered (`mlp`) or your own (`FILE.py:FUNC`).

    Parsed once where the name is read; `str()` gives the text back (spec.json keeps it).
    """

    name: str | None = None  # a registered model
    file: str | None = None  # or the Python file of your own builder...
    function: str | None = None  # ...and the function in it

    def __str__(self) -> str:
        return f"{self.file}:{self.function}" if self.file else str(self.name)

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        if ".py:" not in text:
            return cls(name=text)
        file, _, function = text.rpartition(":")
        return cls(file=file, function=function)

    def check(self) -> None:
        """Refuse a model file that is not there (a registered name is checked when built:
        listing the models imports Keras)."""
        if self.file and not Path(self.file).is_file():
            raise TfnoteError(f"model file {self.file} not found")

    def beside(self, folder: str | Path) -> ModelRef:
        """The same reference with its file found from `folder`, as an absolute path, so that
        `resume` finds it from anywhere."""
        if not self.file:
            return self
        return ModelRef(file=str((Path(folder) / self.file).resolve()), function=self.function)


def all_models() -> dict[str, Callable]:
    models: dict[str, Callable] = {}
    for family in FAMILIES:
        models.update(importlib.import_module(f"tfnote.models.{family}").MODELS)
    return models


def build_model(ref: str | ModelRef, input_shape, num_classes: int, **args):
    """Build model `ref` for inputs of `input_shape` (without the batch axis), called once.

    `ref` is a registered model, or `FILE.py:FUNCTION`: your own builder, a function of
    (input_shape, num_classes) that returns a Keras model.
    """
    import numpy as np

    ref = ref if isinstance(ref, ModelRef) else ModelRef.parse(ref)
    name = str(ref)
    if ref.file:
        builder = builder_from_file(ref)
    else:
        models = all_models()
        if ref.name not in models:
            known = ", ".join(sorted(models))
            raise TfnoteError(f"unknown model {name!r}; known models: {known} (or FILE.py:FUNC)")
        builder = models[ref.name]
    shape = tuple(int(d) for d in input_shape)
    try:
        model = builder(shape, num_classes, **args)
    except TfnoteError:
        raise
    except Exception as e:  # noqa: BLE001 - Keras refuses a wrong input in many ways
        raise TfnoteError(
            f"model {name!r} cannot take inputs of shape {_shape(shape)}: {_first_line(e)}"
        ) from None
    if not hasattr(model, "fit"):
        raise TfnoteError(f"model {name!r} returned {type(model).__name__}, not a Keras model")
    _check_input_shape(model, shape, name)
    try:  # one call builds a subclassed model's weights, and finds any other misfit now
        model(np.zeros((1, *shape), "float32"))
    except Exception as e:  # noqa: BLE001 - Keras refuses a wrong input in many ways
        raise TfnoteError(
            f"model {name!r} cannot take inputs of shape {_shape(shape)}: {_first_line(e)}"
        ) from None
    return model


def _check_input_shape(model, shape: tuple[int, ...], name: str) -> None:
    """Refuse a model declared for other inputs (keras.Input((32, 32, 3)) on MNIST) in one line,
    before Keras's own refusal: a 27-line traceback at the first call."""
    try:
        declared = tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError, ValueError):  # a subclass: not declared
        return
    # Keras adds or drops a last axis of size 1 by itself: (28, 28) takes (28, 28, 1) images.
    a, b = _without_last_one(declared), _without_last_one(shape)
    fits = len(a) == len(b) and all(d is None or d == s for d, s in zip(a, b))
    if not fits:
        shown = "x".join("?" if d is None else str(d) for d in declared)
        raise TfnoteError(
            f"model {name!r} takes inputs of shape {shown}, not the data's {_shape(shape)}"
        )


def _without_last_one(shape: tuple) -> tuple:
    return tuple(shape[:-1]) if len(shape) > 1 and shape[-1] == 1 else tuple(shape)


def check_fits(model, data, loss: str, name: str = "the model") -> None:
    """Refuse, in one line, a model that cannot learn `data` with `loss`, before training.

    Catches a preset meeting another course's data (the iris preset on MNIST, a price
    preset on MNIST, an image model on prices): the model cannot read the inputs, its
    outputs are not one score per class, or the loss wants class labels and the data holds
    prices (or the reverse). Runs the model once on one all-zero input.
    """
    import numpy as np

    shape = data.input_shape
    y = np.asarray(data.y_train)
    classes = np.issubdtype(y.dtype, np.integer)
    dataset = data.name or "the dataset"
    if loss in CLASS_LOSSES and not classes:
        raise TfnoteError(
            f"{name} learns classes (loss {loss}) but {dataset} holds numbers to predict, not "
            f"class labels: pick a preset made for {dataset}"
        )
    if loss not in CLASS_LOSSES and classes and data.class_names:
        raise TfnoteError(
            f"{name} predicts a number (loss {loss}) but {dataset} holds class labels: "
            f"pick a preset made for {dataset}"
        )
    try:
        out = model(np.zeros((1, *shape), "float32"), training=False)
    except Exception as e:  # noqa: BLE001 - Keras refuses a wrong input in many ways
        raise TfnoteError(
            f"{name} cannot take {dataset}'s inputs of shape {_shape(shape)}: {_first_line(e)}"
        ) from None
    out_shape = tuple(int(d) for d in out.shape[1:])
    want = (data.num_classes,) if loss in CLASS_LOSSES else tuple(y.shape[1:]) or (1,)
    if out_shape != want:
        what = f"one score for each of {want[0]} classes" if loss in CLASS_LOSSES else "one number"
        raise TfnoteError(
            f"{name} gives outputs of shape {_shape(out_shape)} for {dataset}'s inputs of shape "
            f"{_shape(shape)}, not {what}: pick a preset made for {dataset}"
        )


def _shape(shape) -> str:
    return "x".join(str(d) for d in shape) or "()"


def _first_line(e: Exception) -> str:
    lines = str(e).strip().splitlines()
    return (lines[0] if lines else type(e).__name__)[:200]


def builder_from_file(ref: str | ModelRef) -> Callable:
    """The function FUNC of the Python file FILE for a reference `FILE.py:FUNC`."""
    import importlib.util

    ref = ref if isinstance(ref, ModelRef) else ModelRef.parse(ref)
    ref.check()
    file, func = ref.file, ref.function
    path = Path(file)
    spec = importlib.util.spec_from_file_location(f"tfnote_user_model_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - the user's code may raise anything
        raise TfnoteError(f"{file}: cannot run it ({type(e).__name__}: {e})") from None
    builder = getattr(module, func, None)
    if not callable(builder):
        raise TfnoteError(f"{file} has no function {func!r}")
    return builder
