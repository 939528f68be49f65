"""Model registry: a name -> a builder `build(input_shape, num_classes, **args) -> keras.Model`.

One module per family; each module has a `MODELS` dict of its builders. Importing a
family imports Keras, so this registry imports families only when a model is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from tfnote.errors import TfnoteError

FAMILIES = ("dense", "cnn", "inception", "resnet", "recurrent")


def all_models() -> dict[str, Callable]:
    models: dict[str, Callable] = {}
    for family in FAMILIES:
        models.update(importlib.import_module(f"tfnote.models.{family}").MODELS)
    return models


def build_model(name: str, input_shape, num_classes: int, **args):
    """Build model `name` for inputs of `input_shape` (without the batch axis).

    `name` is a registered model, or `FILE.py:FUNCTION`: your own builder, a function of
    (input_shape, num_classes) that returns a Keras model.
    """
    if ".py:" in name:
        builder = builder_from_file(name)
    else:
        models = all_models()
        if name not in models:
            known = ", ".join(sorted(models))
            raise TfnoteError(f"unknown model {name!r}; known models: {known} (or FILE.py:FUNC)")
        builder = models[name]
    model = builder(tuple(input_shape), num_classes, **args)
    if not hasattr(model, "fit"):
        raise TfnoteError(f"model {name!r} returned {type(model).__name__}, not a Keras model")
    return model


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
