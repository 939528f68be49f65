"""Daily price series (class 6): windows of past days that predict the next day's price.

    --data prices               the course's file SH600519.csv, found in --data-dir,
                                $TFNOTE_DATA or the Keras cache (~/.keras/datasets)
    --data prices:FILE.csv      any CSV with a date column and price columns named in
                                dataset_args (`inputs`, `target`, `base`, `date_column`)

The last `test_days` rows are the test part; every window of `window` days inside a part
predicts the day after it (the course: 60-day windows, 300 test days -> 2066 train and 240
test samples). Scaling is fit on the training rows only. Two ways to present the numbers:

- predict = "level" (the course): each input column min-max scaled to [0, 1] with the
  training rows' min and max; the target is the next day's scaled price. Prices above the
  training maximum become values above 1 that the network never saw.
- predict = "change": every price in a window is divided by the window's last `base` price
  (today's close) and logged; the target is log(next target price / today's base). Both are
  divided by the training targets' standard deviation. Nothing depends on the price level,
  so test prices far above the training range look like training prices, and a network
  that outputs 0 is exactly the naive forecast "tomorrow = today's base price".

`Data.info` keeps what turning predictions back into prices needs (see tfnote.forecast).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tfnote.csvfile import line_numbers, read_columns
from tfnote.data import Data
from tfnote.errors import TfnoteError

COURSE_FILE = "SH600519.csv"
PREDICT_MODES = ("level", "change")


def find_course_file(data_dir: str | os.PathLike | None) -> Path:
    """Where SH600519.csv is: --data-dir (a folder or the file), $TFNOTE_DATA, Keras cache."""
    from tfnote.data.locate import keras_cache

    if data_dir is not None:
        places = [Path(data_dir).expanduser()]
    else:
        places = [Path(p).expanduser() for p in [os.environ.get("TFNOTE_DATA")] if p]
        places.append(keras_cache())
    for place in places:
        if place.is_file():
            return place
        if (place / COURSE_FILE).is_file():
            return place / COURSE_FILE
    tried = ", ".join(str(p) for p in places)
    raise TfnoteError(
        f"{COURSE_FILE} not found (looked in: {tried}); pass --data-dir to its folder, "
        "--data prices:FILE.csv for another file, or fetch one with "
        "`tfnote fetch-prices 600519 --out SH600519.csv` (needs akshare)"
    )


def read_price_table(path: Path, columns: list[str], date_column: str = "date"):
    """Read `columns` of a CSV as float64, oldest day first; return (dates, {column: values}).

    Stops with one line naming the file, the column and the first bad lines when a column
    is missing or holds empty or non-numeric cells, or a date cannot be read.
    """
    import pandas as pd

    table = read_columns(path, [date_column, *columns], numeric=columns)
    dates = pd.to_datetime(table[date_column], errors="coerce")
    if dates.isna().any():
        raise TfnoteError(
            f"{path}: {dates.isna().sum()} unreadable date(s) in column {date_column!r} "
            f"(line {line_numbers(dates.isna().to_numpy())})"
        )
    order = np.argsort(dates.to_numpy(), kind="stable")  # oldest first, whatever the file's order
    day_strings = [d.strftime("%Y-%m-%d") for d in dates.iloc[order]]
    return day_strings, {name: table[name].to_numpy()[order] for name in columns}


def make_windows(series: np.ndarray, window: int, start: int, stop: int):
    """(windows, days): series[i - window : i] for every target day i in start + window .. stop - 1.

    Like the course, a window never crosses from the training rows into the test rows.
    """
    ends = np.arange(start + window, stop)
    return np.stack([series[i - window : i] for i in ends]), ends


def load(
    arg: str | None = None,
    data_dir: str | None = None,
    download: bool = True,
    *,
    inputs: list[str] | tuple[str, ...] = ("open",),
    target: str = "open",
    base: str = "close",
    predict: str = "level",
    window: int = 60,
    test_days: int = 300,
    date_column: str = "date",
    naive: list[str] | tuple[str, ...] = ("open", "close"),
) -> Data:
    """Windows of `inputs` (window days) -> the next day's `target`, split train/test by date.

    `naive` lists the columns whose "tomorrow = today's value" forecast is reported beside the
    model's (those present in the file). `base` is the price changes are measured from.
    """
    if predict not in PREDICT_MODES:
        raise TfnoteError(f"predict must be one of {', '.join(PREDICT_MODES)} (got {predict!r})")
    if window < 1 or test_days < 1:
        raise TfnoteError(f"window and test_days must be at least 1 (got {window}, {test_days})")
    path = Path(arg).expanduser() if arg else find_course_file(data_dir)
    inputs = list(inputs)
    needed = list(dict.fromkeys([*inputs, target] + ([base] if predict == "change" else [])))
    naive_columns = [c for c in naive if c in _header(path)] or [target]
    dates, prices = read_price_table(path, list(dict.fromkeys(needed + naive_columns)), date_column)
    rows = len(dates)
    if rows < test_days + window + 1 or test_days <= window:
        raise TfnoteError(
            f"{path}: {rows} rows is too few for {window}-day windows and {test_days} test days "
            f"(need more than {window} test days and at least {test_days + window + 1} rows)"
        )
    split = rows - test_days  # rows before `split` are training rows

    if predict == "level":
        x_all, y_all, scaling = _level_arrays(prices, inputs, target, split)
        x_train, train_days = make_windows(x_all, window, 0, split)
        x_test, test_day_index = make_windows(x_all, window, split, rows)
    else:
        x_train, x_test, y_all, train_days, test_day_index, scaling = _change_arrays(
            prices, inputs, target, base, window, split
        )
    yesterday = test_day_index - 1
    info = {
        "kind": "prices",
        "file": str(path),
        "inputs": inputs,
        "target": target,
        "base": base if predict == "change" else None,
        "predict": predict,
        "window": window,
        "test_days": test_days,
        "scaling": scaling,
        "train_dates": [dates[0], dates[split - 1]],
        # What tfnote.forecast needs to judge the test predictions in price units:
        "test_dates": [dates[i] for i in test_day_index],
        "test_real": prices[target][test_day_index].tolist(),
        "test_base": prices[base][yesterday].tolist() if predict == "change" else None,
        "naive": {c: prices[c][yesterday].tolist() for c in naive_columns},
    }
    return Data(
        x_train.astype("float32"),
        y_all[train_days].reshape(-1, 1).astype("float32"),
        x_test.astype("float32"),
        y_all[test_day_index].reshape(-1, 1).astype("float32"),
        source=str(path),
        info=info,
    )


def _header(path: Path) -> list[str]:
    """The column names of a CSV (empty if unreadable: read_price_table reports that)."""
    try:
        with open(path, encoding="utf-8") as f:
            return [name.strip() for name in f.readline().strip().split(",")]
    except OSError:
        return []


def _level_arrays(prices: dict, inputs: list[str], target: str, split: int):
    """The course's scaling: min-max per column with the training rows' min and max."""
    columns = dict.fromkeys([*inputs, target])
    scaling = {c: [float(prices[c][:split].min()), float(prices[c][:split].max())] for c in columns}

    def scaled(c: str) -> np.ndarray:
        low, high = scaling[c]
        return (prices[c] - low) / ((high - low) or 1.0)

    x_all = np.stack([scaled(c) for c in inputs], axis=-1)
    return x_all, scaled(target), {"type": "minmax", "min_max": scaling}


def _change_arrays(
    prices: dict, inputs: list[str], target: str, base: str, window: int, split: int
):
    """Windows of log(price / the window's last base price); targets log(next / last base).

    Inputs are divided by the standard deviation of the training windows, targets by that of
    the training targets, so both are about unit size whatever the stock or its price level.
    """
    for c in dict.fromkeys([*inputs, target, base]):
        if (prices[c] <= 0).any():
            raise TfnoteError(f"column {c!r} has zero or negative prices; use predict = 'level'")
    rows = len(prices[base])
    log_base = np.log(prices[base])
    y_all = np.zeros(rows)  # for day i: log(target[i] / base[i - 1]); day 0 has no yesterday
    y_all[1:] = np.log(prices[target][1:]) - log_base[:-1]
    log_prices = np.stack([np.log(prices[c]) for c in inputs], axis=-1)
    x_train, train_days = make_windows(log_prices, window, 0, split)
    x_test, test_days = make_windows(log_prices, window, split, rows)
    x_train = x_train - log_base[train_days - 1][:, None, None]
    x_test = x_test - log_base[test_days - 1][:, None, None]
    x_std = float(x_train.std()) or 1.0
    y_std = float(y_all[train_days].std()) or 1.0
    scaling = {"type": "change", "x_std": x_std, "y_std": y_std}
    return x_train / x_std, x_test / x_std, y_all / y_std, train_days, test_days, scaling
