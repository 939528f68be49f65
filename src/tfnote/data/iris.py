"""Iris from scikit-learn, shuffled the course's way (NumPy seed 116)."""

from __future__ import annotations

import numpy as np

from tfnote.data import Data


def load(arg=None, data_dir=None, download=True, test_size: int = 0, seed: int = 116) -> Data:
    """All 150 flowers shuffled with the course's seed; the last `test_size` become the test set.

    Class 3 (p8) trains on all 150 with validation_split 0.2; class 1 holds out the last 30.
    """
    from sklearn.datasets import load_iris

    iris = load_iris()
    x, y = iris.data.astype("float32"), iris.target.astype("int64")
    # The course shuffles x and y separately with the same seed, which keeps pairs together.
    order = np.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    names = [str(n) for n in iris.target_names]
    if test_size:
        return Data(
            x[:-test_size],
            y[:-test_size],
            x[-test_size:],
            y[-test_size:],
            names,
            source="scikit-learn",
        )
    return Data(x, y, class_names=names, source="scikit-learn")
