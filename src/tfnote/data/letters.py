"""Next-letter sequences (class 6): from `window` letters of an alphabet, predict the next one.

    --data letters              the course's "abcde"
    --data letters:abcde        any alphabet written out, or a range such as "a-z"

With `cyclic` (the course's "abcde" programs) the alphabet wraps around: "eabc" -> "d", so
there are as many windows as letters. Without it (the course's a-z program) windows stop at
the end: 26 letters in windows of 4 give 22 samples. Inputs are one-hot rows shaped
(window, letters) for `encoding = "onehot"`, or letter numbers shaped (window,) for an
Embedding layer (`encoding = "index"`). Every sample is also the test set: the course
measures whether the network learned its training sequences.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from tfnote.data import Data
from tfnote.errors import TfnoteError

ENCODINGS = ("onehot", "index")


@dataclass
class LetterFacts:
    """What a letters run reads: its alphabet, how many letters at a time, and how."""

    alphabet: str
    window: int
    encoding: str = "onehot"
    kind: str = "letters"

    def to_dict(self) -> dict:
        return asdict(self)


def parse_alphabet(text: str | None) -> str:
    """ "abcde" stays as it is; "a-z" becomes the letters from a to z."""
    text = text or "abcde"
    if len(text) == 3 and text[1] == "-" and text[0] < text[2]:
        text = "".join(chr(c) for c in range(ord(text[0]), ord(text[2]) + 1))
    if len(text) < 2 or len(set(text)) != len(text):
        raise TfnoteError(f"alphabet {text!r} needs at least two letters, each once")
    return text


def encode(letters: str, alphabet: str, encoding: str) -> np.ndarray:
    """One window of letters as the model's input: one-hot rows or letter numbers."""
    ids = np.array([alphabet.index(ch) for ch in letters])
    if encoding == "onehot":
        return np.eye(len(alphabet), dtype="float32")[ids]
    return ids.astype("float32")


def load(
    arg: str | None = None,
    data_dir: str | None = None,
    download: bool = True,
    *,
    window: int = 1,
    encoding: str = "onehot",
    cyclic: bool = True,
    seed: int = 7,
) -> Data:
    """All windows of the alphabet and the letter after each, shuffled with the course's seed."""
    alphabet = parse_alphabet(arg)
    if encoding not in ENCODINGS:
        raise TfnoteError(f"encoding must be onehot or index (got {encoding!r})")
    n = len(alphabet)
    if not 1 <= window < n:
        raise TfnoteError(f"window must be between 1 and {n - 1} for {n} letters (got {window})")
    starts = range(n) if cyclic else range(n - window)
    texts = ["".join(alphabet[(s + k) % n] for k in range(window)) for s in starts]
    following = [alphabet[(s + window) % n] for s in starts]
    x = np.stack([encode(t, alphabet, encoding) for t in texts])
    y = np.array([alphabet.index(ch) for ch in following], dtype="int64")
    order = np.random.RandomState(seed).permutation(len(x))  # the course shuffles with seed 7
    x, y = x[order], y[order]
    info = LetterFacts(alphabet, window, encoding).to_dict()
    return Data(x, y, x, y, class_names=list(alphabet), source=f"letters:{alphabet}", info=info)


def check_text(text: str, alphabet: str, window: int) -> None:
    """Stop with one line when `text` is not `window` letters of `alphabet`."""
    outside = sorted({ch for ch in text if ch not in alphabet})
    if outside:
        raise TfnoteError(
            f"{', '.join(repr(ch) for ch in outside)} not in this model's alphabet {alphabet!r}"
        )
    if len(text) != window:
        raise TfnoteError(
            f"this model reads {window} letter(s) at a time; got {len(text)} ({text!r})"
        )


def predict_next(model, facts: LetterFacts, text: str) -> str:
    """The letter a trained letters model expects after `text`."""
    check_text(text, facts.alphabet, facts.window)
    probabilities = model.predict(encode(text, facts.alphabet, facts.encoding)[None], verbose=0)
    return facts.alphabet[int(np.argmax(probabilities[0]))]
