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
    """Build model `name` for inputs of `input_shape` (without the batch axis)."""
    models = all_models()
    if name not in models:
        raise TfnoteError(f"unknown model {name!r}; known models: {', '.join(sorted(models))}")
    return models[name](tuple(input_shape), num_classes, **args)
