"""Read a user's CSV file, stopping with one clear line when it is wrong.

Both the price series (class 6) and the regularization points (class 2) come from CSV
files people make themselves or download, so the same mistakes turn up: a wrong path, a
compressed or binary file, a file saved in another encoding (GBK from Chinese trading
software), a column named `Close` where `close` was asked for, an empty or non-numeric
cell. Every one of them is reported in one line with the file and, for cells, the
spreadsheet line numbers (the header is line 1).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from tfnote.errors import TfnoteError

# Compressed formats pandas opens by their suffix; only .gz is sniffed here (see read_table).
_COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst", ".tar")


def read_table(path: str | Path):
    """The whole CSV at `path` (plain or .gz) as a pandas DataFrame, header names stripped."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise TfnoteError(f"{path}: no such file")
    _refuse_binary(path)
    try:
        # utf-8-sig: a byte-order mark (Excel's "CSV UTF-8") would otherwise stick to the
        # first column's name.
        table = pd.read_csv(path, encoding="utf-8-sig", compression="infer")
    except UnicodeDecodeError as e:
        raise TfnoteError(
            f"{path}: not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start}); "
            "save it as UTF-8, e.g. `iconv -f GBK -t UTF-8 IN.csv > OUT.csv`"
        ) from None
    except pd.errors.EmptyDataError:
        raise TfnoteError(f"{path}: the file is empty") from None
    except (OSError, EOFError, zlib.error, ValueError) as e:
        raise TfnoteError(f"{path}: cannot read as CSV ({str(e).splitlines()[0]})") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table


def _refuse_binary(path: Path) -> None:
    """Stop on a file whose first 8 KB hold a NUL byte: no CSV text does.

    pandas would otherwise read some binary files (a .npz, an .xlsx) into nonsense columns
    or fail deep inside its parser.
    """
    try:
        if path.suffix == ".gz":
            with gzip.open(path) as f:
                head = f.read(8192)
        elif path.suffix in _COMPRESSED:
            return  # pandas decompresses these itself
        else:
            with open(path, "rb") as f:
                head = f.read(8192)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        raise TfnoteError(f"{path}: cannot read ({e})") from None
    if b"\x00" in head:
        hint = " (an Excel file? save it as CSV)" if head[:2] == b"PK" else ""
        raise TfnoteError(f"{path}: a binary file, not CSV text{hint}")


def match_columns(table, wanted: list[str], path: str | Path, hint: str = "") -> dict[str, str]:
    """{name asked for: the table's column}, matching the exact name first, then ignoring case.

    `hint` is added to the message for missing columns (say how to choose other names).
    """
    found: dict[str, str] = {}
    missing = []
    for name in dict.fromkeys(wanted):
        if name in table.columns:
            found[name] = name
            continue
        same = [c for c in table.columns if c.lower() == name.lower()]
        if len(same) > 1:
            raise TfnoteError(f"{path}: {len(same)} columns match {name!r} ({', '.join(same)})")
        if same:
            found[name] = same[0]
        else:
            missing.append(name)
    if missing:
        have = ", ".join(c for c in table.columns if not c.startswith("Unnamed"))
        names = ", ".join(repr(name) for name in missing)
        raise TfnoteError(f"{path}: no column {names} (columns: {have}){hint}")
    return found


def numbers(table, column: str, path: str | Path, name: str | None = None) -> np.ndarray:
    """Column `column` as float64; stops on empty or non-numeric cells, naming their lines.

    Line numbers come from the table's index, so they stay right after rows were filtered.
    """
    import pandas as pd

    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values)  # empty cells and text both became NaN
    if bad.any():
        raise TfnoteError(
            f"{path}: column {name or column!r} has {bad.sum()} missing or non-numeric "
            f"value(s) (line {line_numbers(table.index.to_numpy()[bad])}); fill or drop those rows"
        )
    return values


def read_columns(path: str | Path, columns: list[str], numeric: list[str], hint: str = ""):
    """A DataFrame of `columns` from the CSV at `path`, named as asked, `numeric` ones float64."""
    table = read_table(path)
    names = match_columns(table, columns, path, hint)
    table = table[[names[c] for c in columns]].set_axis(columns, axis=1)
    for name in numeric:
        table[name] = numbers(table, name, path)
    return table


def line_numbers(rows: np.ndarray, shown: int = 5) -> str:
    """'3, 7 and 2 more': the file lines of table rows `rows` (0-based; the header is line 1).

    `rows` holds row positions, or a boolean mask over all rows.
    """
    rows = np.asarray(rows)
    if rows.dtype == bool:
        rows = np.flatnonzero(rows)
    lines = (rows + 2).tolist()
    text = ", ".join(str(n) for n in lines[:shown])
    return text + (f" and {len(lines) - shown} more" if len(lines) > shown else "")
