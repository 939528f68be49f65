"""Model registry: a name -> a builder `build(input_shape, num_classes, **args) -> keras.Model`.

One module per family; each module has a `MODELS` dict of its builders. Importing a
family imports Keras, so this registry imports families only when a model is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from tfnote.errors import TfnoteError
from tfnote.spec import CLASS_LOSSES  # losses that compare a score per class with a label

FAMILIES = ("dense", "cnn", "inception", "resnet", "fast", "recurrent")


def all_models() -> dict[str, Callable]:
    models: dict[str, Callable] = {}
    for family in FAMILIES:
        models.update(importlib.import_module(f"tfnote.models.{family}").MODELS)
    return models


def build_model(name: str, input_shape, num_classes: int, **args):
    """Build model `name` for inputs of `input_shape` (without the batch axis), called once.

    `name` is a registered model, or `FILE.py:FUNCTION`: your own builder, a function of
    (input_shape, num_classes) that returns a Keras model.
    """
    import numpy as np

    if ".py:" in name:
        builder = builder_from_file(name)
    else:
        models = all_models()
        if name not in models:
            known = ", ".join(sorted(models))
            raise TfnoteError(f"unknown model {name!r}; known models: {known} (or FILE.py:FUNC)")
        builder = models[name]
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


def builder_from_file(name: str) -> Callable:
    """The function FUNC of the Python file FILE for a name `FILE.py:FUNC`."""
    import importlib.util
    from pathlib import Path

    file, _, func = name.rpartition(":")
    path = Path(file)
    if not path.is_file():
        raise TfnoteError(f"model file {file} not found")
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
