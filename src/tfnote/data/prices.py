"""Daily price series (class 6): windows of past days that predict the next day's price.

    --data prices               the course's file SH600519.csv, found in --data-dir,
                                $TFNOTE_DATA or the Keras cache (~/.keras/datasets)
    --data prices:FILE.csv      any daily price table, plain or .csv.gz, with a date column
                                and price columns named in dataset_args (`inputs`, `target`,
                                `base`, `date_column`; names match whatever their case)

A long table of several stocks (a `Ticker` or `Symbol` column) needs a filter: `ticker`
keeps the rows whose ticker column equals it, `where = "COLUMN=VALUE"` any column. A table
holding several series without one, or a day listed twice, stops with one line.

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

What a run needs to judge itself later travels in `PriceFacts` (as `Data.info`, a dict):
the file, filter, rows and a fingerprint of the data, the scaling, the test days' real
prices and naive forecasts, and warnings about the data (see tfnote.forecast).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfnote import csvfile
from tfnote.data import Data
from tfnote.errors import TfnoteError

COURSE_FILE = "SH600519.csv"
PREDICT_MODES = ("level", "change")
# Columns that name the series in a long table; `ticker` finds the first one present.
SERIES_COLUMNS = ("ticker", "symbol", "ts_code", "code", "stock", "instrument", "name")
# A day-to-day move of more than this in log terms (x1.49 or x0.67) looks like an
# unadjusted split: the course's Moutai file moves at most 0.14 (China's limit is 10%).
SPLIT_LOG_JUMP = 0.4


@dataclass
class PriceFacts:
    """What a price run was trained and tested on; model.json keeps it as "info"."""

    file: str
    inputs: list[str]
    target: str
    predict: str
    window: int
    test_days: int
    scaling: dict  # {"type": "minmax", "min_max": {col: [lo, hi]}} or "change" stds
    train_dates: list[str]  # first and last training day
    test_dates: list[str]  # the days predicted (targets), oldest first
    test_real: list[float]  # the target's real price on those days
    naive: dict[str, list[float]]  # column -> "tomorrow = today's <column>" on those days
    test_base: list[float] | None = None  # today's base price (predict = "change")
    base: str | None = None
    filter: str | None = None  # "Ticker=AAPL" when rows were picked from a long table
    date_column: str = "date"
    rows: int = 0  # rows used (after the filter)
    first_date: str = ""
    last_date: str = ""
    fingerprint: str = ""  # sha256 of the rows used: dates and every column read
    warnings: list[str] = field(default_factory=list)
    kind: str = "prices"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, info: dict) -> PriceFacts:
        """The facts from a run's info (fields a newer tfnote added get their defaults)."""
        if not isinstance(info, dict) or info.get("kind") != "prices":
            raise TfnoteError("not the facts of a price run (dataset prices)")
        known = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in info.items() if k in known})
        except TypeError as e:  # a required fact is missing: a damaged model.json
            raise TfnoteError(f"the run's price facts are incomplete ({e})") from None

    @property
    def label(self) -> str:
        """The data in a few words: 'SH600519.csv' or 'stocks.csv.gz, Ticker=AAPL'."""
        name = Path(self.file).name
        return f"{name}, {self.filter}" if self.filter else name


def find_course_file(data_dir: str | os.PathLike | None) -> Path:
    """Where SH600519.csv is: --data-dir (a folder or the file), $TFNOTE_DATA, Keras cache."""
    from tfnote.data.locate import find_file

    hint = (
        "pass --data-dir to its folder, --data prices:FILE.csv for another file, or fetch "
        "one with `tfnote fetch-prices 600519 --out SH600519.csv` (needs akshare)"
    )
    return find_file(COURSE_FILE, data_dir, hint)


# --- reading ------------------------------------------------------------------------------

_COLUMN_HINT = "; choose columns with --inputs, --target and --date-column"


def read_price_table(
    path: Path,
    columns: list[str],
    date_column: str = "date",
    *,
    optional: list[str] | tuple[str, ...] = (),
    ticker: str | None = None,
    where: str | None = None,
):
    """(days, {column: float64 values}, filter) of one daily series, oldest day first.

    `columns` must exist (names match ignoring case), `optional` ones are read when present.
    `ticker` or `where` ("COLUMN=VALUE") pick one series from a long table. Stops with one
    line naming the file, the column and a few lines, values or days when a column is
    missing or holds empty or non-numeric cells, a date cannot be read, the table holds
    several series and no filter says which, or a day appears twice.
    """
    table = csvfile.read_table(path)
    rule = _filter_rule(table, path, ticker, where)
    if rule:
        table = _apply_filter(table, path, *rule)
    present = [c for c in optional if c.lower() in {name.lower() for name in table.columns}]
    wanted = list(dict.fromkeys([*columns, *present]))
    names = csvfile.match_columns(table, [date_column, *wanted], path, hint=_COLUMN_HINT)
    days = _read_days(table, names[date_column], path)
    if rule is None:
        _refuse_several_series(table, days, path, used=set(names.values()))
    _refuse_repeated_days(days, path, names[date_column])
    values = {c: csvfile.numbers(table, names[c], path) for c in wanted}
    order = np.argsort(days, kind="stable")  # oldest first, whatever the file's order
    label = f"{rule[0]}={rule[1]}" if rule else None
    return days[order].tolist(), {c: v[order] for c, v in values.items()}, label


def _filter_rule(table, path: Path, ticker: str | None, where: str | None):
    """(column, value) of the ticker or where filter, or None."""
    if ticker is not None and where is not None:
        raise TfnoteError("give --ticker or --where, not both")
    if where is not None:
        column, sep, value = where.partition("=")
        if not sep or not column.strip() or not value.strip():
            raise TfnoteError(f"--where needs COLUMN=VALUE (got {where!r})")
        name = csvfile.match_columns(table, [column.strip()], path)[column.strip()]
        return name, value.strip()
    if ticker is not None:
        lower = {c.lower(): c for c in table.columns}
        name = next((lower[c] for c in SERIES_COLUMNS if c in lower), None)
        if name is None:
            have = ", ".join(c for c in table.columns if not c.startswith("Unnamed"))
            raise TfnoteError(
                f"{path}: --ticker needs a column named {', '.join(SERIES_COLUMNS[:3])} or "
                f"code (columns: {have}); use --where COLUMN=VALUE"
            )
        return name, str(ticker).strip()
    return None


def _apply_filter(table, path: Path, column: str, value: str):
    """The rows whose `column` equals `value` (as text; ignoring case if nothing matches)."""
    text = table[column].astype(str).str.strip()
    keep = text == value
    if not keep.any():
        keep = text.str.lower() == value.lower()
    if not keep.any():
        raise TfnoteError(f"{path}: no rows with {column} = {value!r} ({column}: {_few(text)})")
    return table[keep.to_numpy()]


def _few(values, shown: int = 5) -> str:
    """'AAPL, MSFT, NVDA and 2 more': the distinct values, in the order of the file."""
    distinct = list(dict.fromkeys(str(v) for v in values))
    text = ", ".join(distinct[:shown])
    return text + (f" and {len(distinct) - shown} more" if len(distinct) > shown else "")


def _read_days(table, column: str, path: Path) -> np.ndarray:
    """Each row's day as 'YYYY-MM-DD' text.

    Text starting with YYYY-MM-DD keeps those ten characters, whatever follows (a time, a
    time zone: yfinance writes "2020-01-02 00:00:00+08:00", which UTC would move to the day
    before). Anything else goes through pandas' date parser.
    """
    import pandas as pd

    text = table[column].astype(str).str.strip()
    if text.str.match(r"\d{4}-\d{2}-\d{2}([ T].*)?$").all():
        text = text.str.slice(0, 10)
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    else:
        try:
            parsed = pd.to_datetime(text, format="mixed", errors="coerce")
        except (ValueError, TypeError, OverflowError) as e:
            raise TfnoteError(f"{path}: cannot read the dates in column {column!r} ({e})") from None
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise TfnoteError(
            f"{path}: {bad.sum()} unreadable date(s) in column {column!r} "
            f"(line {csvfile.line_numbers(table.index.to_numpy()[bad])})"
        )
    return parsed.dt.strftime("%Y-%m-%d").to_numpy(dtype=str)


def _refuse_several_series(table, days: np.ndarray, path: Path, used: set[str]) -> None:
    """Stop when the table holds more than one series: a filter must say which one."""
    lower = {c.lower(): c for c in table.columns}
    for name in (lower[c] for c in SERIES_COLUMNS if c in lower):
        values = table[name].astype(str).str.strip()
        if values.nunique() > 1:
            raise TfnoteError(_several(path, name, values))
    repeated = _repeated(days)
    if repeated.any():
        # A column that tells the repeated days apart and has few values names the series
        # (volume tells them apart too, but has as many values as rows).
        for name in table.columns:
            if name in used or table[name].nunique() > len(table) // 2:
                continue
            values = table[name].astype(str).str.strip()
            pairs = values[repeated].str.cat(days[repeated], sep="|")
            if values.nunique() > 1 and not pairs.duplicated().any():
                raise TfnoteError(_several(path, name, values))


def _several(path: Path, column: str, values) -> str:
    distinct = values.nunique()
    pick = "--ticker VALUE" if column.lower() in SERIES_COLUMNS else f"--where {column}=VALUE"
    return (
        f"{path}: holds {distinct} series (column {column!r}: {_few(values)}); pick one with {pick}"
    )


def _repeated(days: np.ndarray) -> np.ndarray:
    """True for every row whose day appears more than once."""
    _, index, counts = np.unique(days, return_inverse=True, return_counts=True)
    return counts[index] > 1


def _refuse_repeated_days(days: np.ndarray, path: Path, column: str) -> None:
    repeated = _repeated(days)
    if repeated.any():
        twice = list(dict.fromkeys(days[repeated]))
        raise TfnoteError(
            f"{path}: {len(twice)} day(s) appear more than once in column {column!r} "
            f"({_few(twice, 3)}); one row per day is needed (daily prices of one series)"
        )


def fingerprint(days: list[str], prices: dict[str, np.ndarray]) -> str:
    """sha256 of the rows used: their days and every column read, in a fixed order."""
    digest = hashlib.sha256()
    names = sorted(prices)
    digest.update(",".join(["date", *names]).encode())
    digest.update(np.asarray(days, dtype="S10").tobytes())
    for name in names:
        digest.update(np.asarray(prices[name], dtype="<f8").tobytes())
    return digest.hexdigest()


# --- windows ------------------------------------------------------------------------------


def make_windows(series: np.ndarray, window: int, start: int, stop: int):
    """(windows, days): series[i - window : i] for every target day i in start + window .. stop - 1.

    Like the course, a window never crosses from the training rows into the test rows, so
    the validation tail that the trainer cuts from the training windows (validation =
    "split") never sees a test day either.
    """
    ends = np.arange(start + window, stop)
    return np.stack([series[i - window : i] for i in ends]), ends


def load(
    arg: str | None = None,
    data_dir: str | None = None,
    download: bool = True,
    *,
    inputs: list[str] | tuple[str, ...] | str = ("open",),
    target: str = "open",
    base: str = "close",
    predict: str = "level",
    window: int = 60,
    test_days: int = 300,
    date_column: str = "date",
    naive: list[str] | tuple[str, ...] = ("open", "close"),
    ticker: str | None = None,
    where: str | None = None,
    scaling: dict | None = None,
) -> Data:
    """Windows of `inputs` (window days) -> the next day's `target`, split train/test by date.

    `naive` lists the columns whose "tomorrow = today's value" forecast is reported beside the
    model's (those present in the file). `base` is the price changes are measured from.
    `ticker` / `where` pick one series from a long table. `scaling` (a run's own) is used
    instead of fitting one on the training rows: a trained model scores other data that way.
    """
    if predict not in PREDICT_MODES:
        raise TfnoteError(f"predict must be one of {', '.join(PREDICT_MODES)} (got {predict!r})")
    if window < 1 or test_days < 1:
        raise TfnoteError(f"window and test_days must be at least 1 (got {window}, {test_days})")
    path = Path(arg).expanduser() if arg else find_course_file(data_dir)
    if isinstance(inputs, str):
        inputs = inputs.split(",")
    inputs = [c.strip() for c in inputs]
    needed = list(dict.fromkeys([*inputs, target] + ([base] if predict == "change" else [])))
    dates, prices, label = read_price_table(
        path, needed, date_column, optional=list(naive), ticker=ticker, where=where
    )
    naive_columns = [c for c in naive if c in prices] or [target]
    rows = len(dates)
    if rows < test_days + window + 1 or test_days <= window:
        raise TfnoteError(
            f"{path}: {rows} rows is too few for {window}-day windows and {test_days} test days "
            f"(need more than {window} test days and at least {test_days + window + 1} rows)"
        )
    split = rows - test_days  # rows before `split` are training rows

    if predict == "level":
        x_all, y_all, scaling = _level_arrays(prices, inputs, target, split, scaling)
        x_train, train_days = make_windows(x_all, window, 0, split)
        x_test, test_day_index = make_windows(x_all, window, split, rows)
    else:
        x_train, x_test, y_all, train_days, test_day_index, scaling = _change_arrays(
            prices, inputs, target, base, window, split, scaling
        )
    yesterday = test_day_index - 1
    facts = PriceFacts(
        file=str(path),
        filter=label,
        rows=rows,
        first_date=dates[0],
        last_date=dates[-1],
        fingerprint=fingerprint(dates, prices),
        date_column=date_column,
        inputs=inputs,
        target=target,
        base=base if predict == "change" else None,
        predict=predict,
        window=window,
        test_days=test_days,
        scaling=scaling,
        train_dates=[dates[0], dates[split - 1]],
        test_dates=[dates[i] for i in test_day_index],
        test_real=prices[target][test_day_index].tolist(),
        test_base=prices[base][yesterday].tolist() if predict == "change" else None,
        naive={c: prices[c][yesterday].tolist() for c in naive_columns},
        warnings=data_warnings(dates, prices, test_day_index, scaling, target),
    )
    return Data(
        x_train.astype("float32"),
        y_all[train_days].reshape(-1, 1).astype("float32"),
        x_test.astype("float32"),
        y_all[test_day_index].reshape(-1, 1).astype("float32"),
        source=f"{path} ({label})" if label else str(path),
        info=facts.to_dict(),
    )


def _level_arrays(prices: dict, inputs: list[str], target: str, split: int, scaling=None):
    """The course's scaling: min-max per column with the training rows' min and max."""
    columns = list(dict.fromkeys([*inputs, target]))
    if scaling is None:
        min_max = {
            c: [float(prices[c][:split].min()), float(prices[c][:split].max())] for c in columns
        }
        scaling = {"type": "minmax", "min_max": min_max}
    elif scaling.get("type") != "minmax" or set(columns) - set(scaling["min_max"]):
        raise TfnoteError(f"the given scaling does not fit min-max levels of {columns}")

    def scaled(c: str) -> np.ndarray:
        low, high = scaling["min_max"][c]
        return (prices[c] - low) / ((high - low) or 1.0)

    x_all = np.stack([scaled(c) for c in inputs], axis=-1)
    return x_all, scaled(target), scaling


def _change_arrays(
    prices: dict, inputs: list[str], target: str, base: str, window: int, split: int, scaling=None
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
    if scaling is None:
        x_std = float(x_train.std()) or 1.0
        y_std = float(y_all[train_days].std()) or 1.0
        scaling = {"type": "change", "x_std": x_std, "y_std": y_std}
    elif scaling.get("type") != "change":
        raise TfnoteError("the given scaling does not fit predict = 'change'")
    x_std, y_std = scaling["x_std"], scaling["y_std"]
    return x_train / x_std, x_test / x_std, y_all / y_std, train_days, test_days, scaling


# --- warnings -----------------------------------------------------------------------------


def data_warnings(
    dates: list[str], prices: dict, test_day_index: np.ndarray, scaling: dict, target: str
) -> list[str]:
    """One line for each thing in the data that makes the numbers doubtful."""
    found = []
    if scaling["type"] == "minmax":
        low, high = scaling["min_max"][target]
        real = prices[target][test_day_index]
        outside = (real < low) | (real > high)
        if outside.any():
            found.append(
                f"{outside.mean():.0%} of the {len(real)} test targets ({target}) lie outside "
                f"the training range {low:.2f} .. {high:.2f}, where a min-max level model "
                "must extrapolate (predict = 'change' does not)"
            )
    jumps = []
    for column, values in prices.items():
        positive = (values[1:] > 0) & (values[:-1] > 0)
        change = np.zeros(len(values) - 1)
        change[positive] = np.log(values[1:][positive] / values[:-1][positive])
        for i in np.flatnonzero(np.abs(change) > SPLIT_LOG_JUMP):
            jumps.append((dates[i + 1], column, values[i], values[i + 1]))
    if jumps:
        days = list(dict.fromkeys(day for day, *_ in jumps))
        day, column, before, after = jumps[0]
        found.append(
            f"{len(days)} day(s) where prices jump by more than {np.expm1(SPLIT_LOG_JUMP):.0%} "
            f"or fall by more than {-np.expm1(-SPLIT_LOG_JUMP):.0%} from the day before "
            f"({_few(days, 3)}; {day} {column} {before:.2f} -> {after:.2f}): that looks like an "
            "unadjusted stock split; use adjusted prices (an 'Adj Close' column, or "
            "`tfnote fetch-prices --adjust qfq`)"
        )
    return found


# --- comparing the data of two loads (tfnote.forecast on other data) ---------------------

FACT_NAMES = {
    "file": "file",
    "filter": "filter",
    "rows": "rows",
    "first_date": "first day",
    "last_date": "last day",
    "fingerprint": "fingerprint",
}


def differences(old: PriceFacts, new: PriceFacts) -> list[str]:
    """'rows 2426 -> 2000'-style lines for each fact of the data that differs.

    None when the rows are the same (equal fingerprints), wherever the file now lives.
    """
    if old.fingerprint and old.fingerprint == new.fingerprint:
        return []
    out = []
    for key, name in FACT_NAMES.items():
        a, b = getattr(old, key), getattr(new, key)
        if a != b and (a or key == "filter"):  # facts an older tfnote did not keep: skip
            if key == "fingerprint":
                a, b = a[:12], b[:12]
            out.append(f"{name} {a} -> {b}")
    return out
