"""Recognize your own image: prepare each photo the way the training data was made, predict.

The course (class 4) resizes a photo to 28x28, makes it grayscale and inverts or
thresholds it. tfnote.photo does that step the way the run's dataset was made (MNIST's
20x20 box and centre of mass, Fashion-MNIST's trim-resize-sharpen-negate, the whole photo
for CIFAR-10, and for a learner's own class folders whatever makes the photo look like the
run's training images as it recorded them); this module loads the run's model, predicts and
ranks the classes. A model of (H, W) inputs (keras.Input((28, 28))) gets grey images.
An input with nothing on it gets no answer: its Prediction has label None and says why.

    >>> from tfnote.predict import predict
    >>> for p in predict("runs/mnist", ["digit.png"]):
    ...     print(p.name, p.probability)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from tfnote import photo
from tfnote.errors import TfnoteError
from tfnote.run_folder import ModelInfo, Run, open_run

MODES = photo.MODES
RECIPES = photo.RECIPES


@dataclass
class Prediction:
    """One image's most likely class, its probability, and the top classes in order.

    A blank input (nothing found in the photo) has label, name and probability None and
    an empty `top`: `warning` says why, instead of the model's guess.
    """

    path: str
    label: int | None
    name: str | None
    probability: float | None
    top: list[tuple[int, str, float]] = field(default_factory=list)
    prepared: photo.Prepared | None = None

    @property
    def warning(self) -> str | None:
        return self.prepared.warning if self.prepared else None

    def to_dict(self) -> dict:
        return {
            "image": self.path,
            "class": self.label,
            "name": self.name,
            "probability": None if self.probability is None else round(self.probability, 6),
            "top": [{"class": c, "name": n, "probability": round(p, 6)} for c, n, p in self.top],
            "preprocessing": self.prepared.to_dict() if self.prepared else None,
        }


def predict(
    run: Run | str | os.PathLike,
    paths: list,
    mode: str = "auto",
    level: int | None = None,
    top: int = 3,
    recipe: str = "auto",
) -> list[Prediction]:
    """Classify each image (path, bytes or PIL image) with the run's best weights."""
    if top < 1:
        raise TfnoteError(f"top must be at least 1 (got {top})")
    run = run if isinstance(run, Run) else open_run(run)
    prepared = [photo.prepare(p, run.info, mode, recipe, level) for p in paths]
    return classify(run.load_model(), run.info, prepared, top)


def classify(
    model, info: ModelInfo, prepared: list[photo.Prepared], top: int = 3
) -> list[Prediction]:
    """Run a loaded model on prepared inputs in one batch; blank inputs get no answer."""
    scale = info.scale
    if scale is None:  # a run of your own script that did not say how it scaled its inputs
        raise TfnoteError(
            "the run does not record how its inputs were scaled: train it with"
            " tfnote.RunFolder(..., scale=1 / 255) (or scale=1 for unscaled inputs)"
        )
    # (N, H, W, C), or (N, H, W) for a model of 2-D inputs (keras.Input((28, 28)))
    x = np.stack([p.pixels for p in prepared]).reshape(len(prepared), *info.input_shape)
    x = x * scale
    scores = np.asarray(model(x.astype(np.float32), training=False), np.float64)
    probabilities = as_probabilities(scores)
    names = info.class_names or [str(i) for i in range(probabilities.shape[1])]
    results = []
    for p, row in zip(prepared, probabilities):
        if p.blank:
            results.append(Prediction(p.source, None, None, None, prepared=p))
            continue
        best = np.argsort(row)[::-1][:top]
        ranked = [(int(c), names[c], float(row[c])) for c in best]
        results.append(Prediction(p.source, *ranked[0], top=ranked, prepared=p))
    return results


def as_probabilities(scores: np.ndarray) -> np.ndarray:
    """Softmax outputs pass through; raw scores (a from_logits model) get a softmax."""
    if np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-3):
        return scores
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
