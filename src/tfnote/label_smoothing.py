"""Cross entropy for integer labels, with label smoothing.

Keras's `SparseCategoricalCrossentropy` has no label smoothing and its
`CategoricalCrossentropy` wants one-hot labels; this loss takes the integer labels the
datasets give and smooths them: the target is 1 - s + s/K for the true class and s/K for
the others. The fast CIFAR-10 recipes use s = 0.2: the network stops pushing its scores
apart once it is sure enough, which generalises better in a short run.
"""

from __future__ import annotations

from tfnote import _tf
from tfnote.errors import TfnoteError

tf, keras = _tf.load()
ops = keras.ops


@keras.saving.register_keras_serializable(package="tfnote")
class SparseSmoothedCrossentropy(keras.losses.Loss):
    """Sparse categorical cross entropy with label smoothing `smoothing` (0 <= s < 1)."""

    def __init__(self, smoothing: float = 0.1, from_logits: bool = False, **kwargs):
        kwargs.setdefault("name", "sparse_smoothed_crossentropy")
        super().__init__(**kwargs)
        if not 0 <= smoothing < 1:
            raise TfnoteError(f"label smoothing must be in [0, 1) (got {smoothing})")
        self.smoothing = smoothing
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        classes = y_pred.shape[-1]
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        one_hot = ops.one_hot(labels, classes, dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(
            one_hot, y_pred, from_logits=self.from_logits, label_smoothing=self.smoothing
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "smoothing": self.smoothing,
            "from_logits": self.from_logits,
        }
