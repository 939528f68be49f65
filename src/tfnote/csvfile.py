"""Read named columns of a user's CSV file, stopping with one clear line when it is wrong.

Both the price series (class 6) and the regularization points (class 2) come from CSV
files people make themselves, so the same mistakes turn up: a wrong path, a column named
differently, an empty or non-numeric cell. Every one of them is reported with the file and
the spreadsheet line numbers (the header is line 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tfnote.errors import TfnoteError


def read_columns(path: str | Path, columns: list[str], numeric: list[str], hint: str = ""):
    """A pandas DataFrame of `columns` from the CSV at `path`, the `numeric` ones as float64.

    `hint` is added to the message for missing columns (say how to choose other names).
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise TfnoteError(f"{path}: no such file")
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise TfnoteError(f"{path}: cannot read as CSV ({str(e).splitlines()[0]})") from None
    missing = [name for name in columns if name not in table.columns]
    if missing:
        have = ", ".join(str(c) for c in table.columns if not str(c).startswith("Unnamed"))
        names = ", ".join(repr(name) for name in missing)
        raise TfnoteError(f"{path}: no column {names} (columns: {have}){hint}")
    table = table[columns].copy()
    for name in numeric:
        numbers = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype="float64")
        bad = ~np.isfinite(numbers)  # empty cells and text both became NaN
        if bad.any():
            raise TfnoteError(
                f"{path}: column {name!r} has {bad.sum()} missing or non-numeric value(s) "
                f"(line {line_numbers(bad)}); fill or drop those rows"
            )
        table[name] = numbers
    return table


def line_numbers(bad: np.ndarray, shown: int = 5) -> str:
    """'3, 7 and 2 more': the file lines of the rows flagged in `bad` (header = line 1)."""
    lines = (np.flatnonzero(bad) + 2).tolist()
    text = ", ".join(str(n) for n in lines[:shown])
    return text + (f" and {len(lines) - shown} more" if len(lines) > shown else "")
