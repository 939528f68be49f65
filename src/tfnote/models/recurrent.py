"""Recurrent networks of class 6: next-letter prediction and next-day price prediction.

letters-onehot     SimpleRNN(units) -> Dense(letters, softmax), inputs one-hot letters
letters-embedding  Embedding(letters, 2) -> SimpleRNN(units) -> Dense(letters, softmax)
price-rnn          {SimpleRNN | LSTM | GRU}(80, return_sequences) -> Dropout(0.2)
                   -> (100) -> Dropout(0.2) -> Dense(1), the course's stock network
"""

from __future__ import annotations

from tfnote import _tf
from tfnote.errors import TfnoteError
from tfnote.models import Inputs

CELLS = {"simplernn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def letters_onehot(input_shape, num_classes: int, units: int = 3):
    """Input (window, letters) one-hot rows; output a probability for every letter."""
    _, keras = _tf.load()
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.SimpleRNN(units),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


def letters_embedding(input_shape, num_classes: int, units: int = 3, embed_dim: int = 2):
    """Input (window,) letter numbers; an Embedding learns a small vector for each letter."""
    _, keras = _tf.load()
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Embedding(num_classes, embed_dim),
            keras.layers.SimpleRNN(units),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


def price_rnn(
    input_shape,
    num_classes: int = 1,
    cell: str = "lstm",
    units: list[int] | tuple[int, ...] = (80, 100),
    dropout: float = 0.2,
    unroll: bool = False,
):
    """Stacked recurrent layers, each followed by dropout, then Dense(1): tomorrow's value.

    `unroll` writes the time loop out as plain operations (faster for short windows on CPU,
    at the cost of a bigger graph). `num_classes` is ignored: this is a regression.
    """
    _, keras = _tf.load()
    if cell.lower() not in CELLS:
        raise TfnoteError(f"unknown recurrent cell {cell!r}; use simplernn, lstm or gru")
    layer = getattr(keras.layers, CELLS[cell.lower()])
    stack = [keras.Input(input_shape)]
    for i, n in enumerate(units):
        last = i == len(units) - 1
        stack += [layer(n, return_sequences=not last, unroll=unroll), keras.layers.Dropout(dropout)]
    stack.append(keras.layers.Dense(1))
    return keras.Sequential(stack)


MODELS = {
    "letters-onehot": letters_onehot,
    "letters-embedding": letters_embedding,
    "price-rnn": price_rnn,
}

INPUTS = Inputs("sequence", (60, 1), 1)  # 60 days of one price -> the next day's
MODEL_INPUTS = {
    "letters-onehot": Inputs("letters", (4, 5), 5),  # 4 one-hot letters of 5 -> the next
    "letters-embedding": Inputs("letters", (4,), 5),  # 4 letter numbers -> the next
}
