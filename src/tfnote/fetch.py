"""Download daily prices into the course's CSV layout (for users with internet).

The course used tushare's `get_k_data`, which is deprecated. Two maintained libraries
replace it, both optional extras imported only when asked for:

    pip install "tfnote[akshare]"    # China A-shares, e.g. 600519 (Kweichow Moutai)
    pip install "tfnote[yfinance]"   # Yahoo Finance tickers, e.g. 600519.SS or AAPL

The file written has the course's header `,date,open,close,high,low,volume,code`, oldest
day first, so `--data prices:FILE.csv` reads it like SH600519.csv.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from tfnote import atomic
from tfnote.errors import TfnoteError

SOURCES = ("akshare", "yfinance")
COLUMNS = ["date", "open", "close", "high", "low", "volume", "code"]

# akshare's stock_zh_a_hist names its columns in Chinese.
AKSHARE_COLUMNS = {
    "日期": "date",
    "开盘": "open",
    "收盘": "close",
    "最高": "high",
    "最低": "low",
    "成交量": "volume",
}


def _import(name: str):
    """Import an optional market-data library, or say how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise TfnoteError(
            f"{name} is not installed; install it with: pip install 'tfnote[{name}]'"
        ) from None


def _reason(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def fetch_akshare(symbol: str, start: str, end: str, adjust: str = "qfq"):
    """Daily A-share prices from akshare (adjust: "qfq" forward, "hfq" backward, "" none)."""
    ak = _import("akshare")
    try:
        raw = ak.stock_zh_a_hist(
            symbol=symbol,
            period="daily",
            start_date=start.replace("-", ""),
            end_date=end.replace("-", ""),
            adjust=adjust,
        )
    except Exception as e:  # network, server and parsing errors all become one line
        raise TfnoteError(f"akshare could not fetch {symbol}: {_reason(e)}") from None
    if raw is None or len(raw) == 0:
        raise TfnoteError(f"akshare returned no prices for {symbol} between {start} and {end}")
    missing = [c for c in AKSHARE_COLUMNS if c not in raw.columns]
    if missing:
        raise TfnoteError(f"akshare returned no column(s) {', '.join(missing)} for {symbol}")
    table = raw.rename(columns=AKSHARE_COLUMNS)[list(AKSHARE_COLUMNS.values())].copy()
    table["code"] = symbol
    return table


def fetch_yfinance(symbol: str, start: str, end: str, adjust: str = "qfq"):
    """Daily prices from Yahoo Finance; any adjust other than "" uses adjusted prices."""
    yf = _import("yfinance")
    try:
        raw = yf.Ticker(symbol).history(start=start, end=end, auto_adjust=bool(adjust))
    except Exception as e:
        raise TfnoteError(f"yfinance could not fetch {symbol}: {_reason(e)}") from None
    if raw is None or len(raw) == 0:
        raise TfnoteError(f"yfinance returned no prices for {symbol} between {start} and {end}")
    raw = raw.reset_index()
    raw.columns = [str(c).lower() for c in raw.columns]
    missing = [c for c in ("date", "open", "close", "high", "low", "volume") if c not in raw]
    if missing:
        raise TfnoteError(f"yfinance returned no column(s) {', '.join(missing)} for {symbol}")
    table = raw[["date", "open", "close", "high", "low", "volume"]].copy()
    table["code"] = symbol
    return table


def fetch_prices(
    symbol: str,
    source: str = "akshare",
    start: str = "2010-04-26",
    end: str = "2020-04-24",
    adjust: str = "qfq",
):
    """A DataFrame in the course's layout (dates as YYYY-MM-DD, oldest first).

    The default dates are those of the course's SH600519.csv.
    """
    import pandas as pd

    fetchers = {"akshare": fetch_akshare, "yfinance": fetch_yfinance}
    if source not in fetchers:
        raise TfnoteError(f"unknown price source {source!r}; use {' or '.join(SOURCES)}")
    table = fetchers[source](symbol, start, end, adjust)
    dates = pd.to_datetime(table["date"], errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    table["date"] = dates.dt.strftime("%Y-%m-%d")
    table = table.iloc[dates.argsort(kind="stable")].reset_index(drop=True)
    return table[COLUMNS]


def save_prices(table, path: str | Path) -> Path:
    """Write a fetched table as the course's CSV (with its unnamed index column)."""
    path = Path(path)
    with atomic.atomic_open(path, "w", newline="", encoding="utf-8") as f:
        table.to_csv(f)
    return path
