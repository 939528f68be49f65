"""Import TensorFlow and Keras once, quietly.

TensorFlow prints start-up notices (oneDNN, CPU features, absl) from C++ straight to the
process's stderr, where TF_CPP_MIN_LOG_LEVEL does not reach them all. We point file
descriptor 2 at /dev/null for the duration of the import only; real errors raised later
still show.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def _stderr_silenced():
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load():
    """Return (tf, keras), importing them on first use."""
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with _stderr_silenced():
            import tensorflow as tf

            tf.constant(0)  # the first op prints the CPU-feature notice; absorb it here
    import keras
    import tensorflow as tf

    return tf, keras
