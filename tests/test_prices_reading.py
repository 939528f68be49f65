"""Own price tables: .csv.gz, any column case, one ticker of a long table, and loud refusals.

Every bad table must stop with one line (exit 2 from the CLI) and leave no run folder.
"""

from __future__ import annotations

import gzip
import re

import numpy as np
import pandas as pd
import pytest

from tfnote.data import prices
from tfnote.errors import TfnoteError

CHANGE = {"inputs": ["open", "close", "high", "low"], "predict": "change"}


def long_table(shared_data, tmp_path, name="stocks.csv.gz"):
    """The course file twice, as two tickers interleaved by date, with Yahoo-style headers.

    The second ticker's prices are doubled, so picking the wrong one changes every number.
    """
    course = pd.read_csv(shared_data / "SH600519.csv", index_col=0)
    other = course.copy()
    other[["open", "close", "high", "low"]] *= 2
    both = pd.concat([course.assign(ticker="SH600519"), other.assign(ticker="DOUBLE")])
    both = both.sort_values("date", kind="stable").rename(columns=str.capitalize)
    both["Adj Close"] = both["Close"]
    columns = ["Ticker", "Date", "Open", "High", "Low", "Close", "Volume", "Adj Close"]
    path = tmp_path / name
    both[columns].to_csv(path, index=False)  # pandas gzips by the .gz suffix
    return path


def test_one_ticker_of_a_gzipped_long_table_equals_the_plain_file(shared_data, tmp_path):
    path = long_table(shared_data, tmp_path)
    assert gzip.open(path).readline().startswith(b"Ticker,Date,Open")
    plain = prices.load(data_dir=str(shared_data), **CHANGE)
    picked = prices.load(str(path), ticker="SH600519", **CHANGE)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(picked, name), getattr(plain, name), name)
    a, b = plain.info, picked.info
    assert b["filter"] == "Ticker=SH600519" and b["rows"] == 2426
    assert b["fingerprint"] == a["fingerprint"]  # the same rows, whatever the file looks like
    assert {k: v for k, v in b.items() if k not in ("file", "filter")} == {
        k: v for k, v in a.items() if k not in ("file", "filter")
    }
    # --where does the same, and values match ignoring case when nothing matches exactly
    other = prices.load(str(path), where="ticker=double", **CHANGE)
    assert other.info["filter"] == "Ticker=double"
    assert other.info["test_real"][0] == 2 * a["test_real"][0]


def test_a_long_table_without_a_filter_names_the_series(shared_data, tmp_path):
    path = long_table(shared_data, tmp_path)
    message = f"{path}: holds 2 series (column 'Ticker': SH600519, DOUBLE); pick one with --ticker"
    with pytest.raises(TfnoteError, match=re.escape(message)):
        prices.load(str(path), **CHANGE)
    with pytest.raises(TfnoteError, match=r"no rows with Ticker = 'AAPL' \(Ticker: SH600519, DOU"):
        prices.load(str(path), ticker="AAPL", **CHANGE)


def small_table(tmp_path, rows=400, name="p.csv", **columns):
    days = pd.bdate_range("2015-01-01", periods=rows).strftime("%Y-%m-%d")
    table = pd.DataFrame({"date": days, "open": np.linspace(10, 20, rows), **columns})
    table["close"] = table["open"]
    path = tmp_path / name
    table.to_csv(path, index=False)
    return path, table


def test_series_told_apart_by_another_column_and_repeated_days(tmp_path):
    path, table = small_table(tmp_path)
    two = pd.concat([table.assign(market="SH"), table.assign(market="HK")])
    two.to_csv(path, index=False)
    with pytest.raises(TfnoteError, match=r"holds 2 series \(column 'market': SH, HK\); pick one "
                       r"with --where market=VALUE"):  # fmt: skip
        prices.load(str(path))
    assert prices.load(str(path), where="market=HK").info["rows"] == 400
    pd.concat([table, table.iloc[[7, 9]]]).to_csv(path, index=False)
    with pytest.raises(TfnoteError, match=r"2 day\(s\) appear more than once in column 'date' "
                       r"\(2015-01-12, 2015-01-14\); one row per day"):  # fmt: skip
        prices.load(str(path))


def test_dates_with_times_and_zones_keep_their_own_day(tmp_path):
    path, table = small_table(tmp_path)
    table["date"] = table["date"] + " 00:00:00+08:00"  # yfinance, Shanghai
    table.to_csv(path, index=False)
    info = prices.load(str(path), window=10, test_days=30).info
    assert info["first_date"] == "2015-01-01" and info["test_dates"][-1] == info["last_date"]


@pytest.mark.parametrize(
    "content, message",
    [
        (
            b"PK\x03\x04\x00\x00binary",
            "a binary file, not CSV text (an Excel file? save it as CSV)",
        ),
        ("日期,开盘\n2020-01-02,1.0\n".encode("gbk"), "not UTF-8 text (byte 0xc8 at offset 0)"),
        (b"", "the file is empty"),
    ],
)
def test_files_that_are_not_csv_text(tmp_path, content, message):
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    with pytest.raises(TfnoteError, match=re.escape(message)):
        prices.load(str(path))


def test_a_gz_file_that_is_not_gzip(tmp_path):
    path = tmp_path / "p.csv.gz"
    path.write_text("date,open\n2020-01-02,1\n")
    with pytest.raises(TfnoteError, match=r"p.csv.gz: cannot read \(Not a gzipped file"):
        prices.load(str(path))


def test_a_split_like_jump_is_warned_about(tmp_path):
    path, table = small_table(tmp_path)
    table.loc[200:, ["open", "close"]] /= 2  # a 2-for-1 split on row 200 (2015-10-08)
    table.to_csv(path, index=False)
    facts = prices.load(str(path), window=10, test_days=100).info  # the split in training rows
    split = [w for w in facts["warnings"] if "split" in w]
    assert split == [
        "1 day(s) where prices jump by more than 49% or fall by more than 33% from the day "
        "before (2015-10-08; 2015-10-08 open 14.99 -> 7.51): that looks like an unadjusted "
        "stock split; use adjusted prices (an 'Adj Close' column, or `tfnote fetch-prices "
        "--adjust qfq`)"
    ]
    # the halved test prices lie inside the training range: no warning about that
    assert [w for w in facts["warnings"] if "outside" in w] == []


def test_course_file_warns_that_levels_must_extrapolate(shared_data):
    facts = prices.load(data_dir=str(shared_data)).info
    assert facts["warnings"] == [
        "100% of the 240 test targets (open) lie outside the training range 80.41 .. 788.80, "
        "where a min-max level model must extrapolate (predict = 'change' does not)"
    ]
    assert prices.load(data_dir=str(shared_data), **CHANGE).info["warnings"] == []


def test_validation_tail_never_reaches_the_test_days(shared_data):
    """The trainer's validation = "split" takes the last training windows: all before the
    first test row, inputs and targets alike (windows never cross the split)."""
    from tfnote import train
    from tfnote.spec import get_preset

    spec = get_preset("stock-gru-change").replace(data_dir=str(shared_data))
    assert spec.validation == "split"  # every price preset selects on validation by default
    data = train.load_data(spec)
    x_fit, _, x_val, y_val = train.split_validation(spec, data)
    assert len(x_val) == int(2066 * spec.validation_split) and len(x_fit) + len(x_val) == 2066
    # the last validation window is the last training window: target = last training row
    facts = data.info
    np.testing.assert_array_equal(y_val[-1], data.y_train[-1])
    first_test_row = facts["rows"] - facts["test_days"]
    _, ends = prices.make_windows(np.arange(facts["rows"]), 60, 0, first_test_row)
    assert ends.max() == first_test_row - 1  # the last training target is before the test rows


# --- the CLI: one line, exit 2, nothing left behind -----------------------------------------


def bad_tables(shared_data, tmp_path):
    """Two of the bad tables above, through the CLI (each call imports TensorFlow: slow)."""
    yield "long", str(long_table(shared_data, tmp_path)), "holds 2 series (column 'Ticker'"
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("date,open,close\n2020-01-02,1.0,1.0,备注\n".encode("gbk"))
    yield "gbk", str(gbk), "not UTF-8 text"


def test_bad_tables_via_cli_one_line_exit_2_no_folder(cli, shared_data, tmp_path):
    for name, path, message in bad_tables(shared_data, tmp_path):
        out = tmp_path / f"run-{name}"
        done = cli("train", "stock-lstm", "--data", f"prices:{path}", "--out", out, "--epochs", "1")
        assert done.returncode == 2, (name, done.stderr)
        assert message in done.stderr, (name, done.stderr)
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert not out.exists(), name
