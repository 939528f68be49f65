"""tfnote: the programs of "AI Practice: TensorFlow Notes" on current TensorFlow and Keras.

Importing this package is cheap: TensorFlow is imported only by the modules that need it,
so `tfnote --help` answers at once.
"""

from tfnote.errors import TfnoteError

__version__ = "0.1.0"
__all__ = ["TfnoteError", "__version__"]
