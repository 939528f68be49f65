"""Class 6 price runs end to end (short runs), the forecast command, and the fetchers."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import numpy as np
import pandas as pd
import pytest

from tfnote import fetch
from tfnote.errors import TfnoteError


def run_cli(*args):
    done = subprocess.run(
        [sys.executable, "-m", "tfnote", *map(str, args)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def price_run(shared_data, tmp_path_factory):
    """stock-gru for 2 epochs on part of the training windows, through the CLI."""
    out = tmp_path_factory.mktemp("prices") / "gru"
    args = ["train", "stock-gru", "--data-dir", shared_data, "--out", out, "--limit-train", "640"]
    run_cli(*args, "--epochs", "1", "--quiet")
    resumed = run_cli(*args, "--epochs", "2")  # resumes, adds the second epoch
    # `tfnote train` judges a price run in price units right away
    assert "resuming" in resumed.stdout and "naive: open = today's close" in resumed.stdout
    return out


def test_price_run_leaves_the_usual_artifacts(price_run):
    state = json.loads((price_run / "state.json").read_text())
    assert state["epoch"] == 2 and len(state["history"]) == 2
    assert "val_loss" in state["history"][0]  # the validation tail of the training windows
    for name in ("best.weights.h5", "weights.txt", "curves.png", "metrics.json", "model.json"):
        assert (price_run / name).is_file(), name
    info = json.loads((price_run / "model.json").read_text())["info"]
    assert info["predict"] == "level" and len(info["test_real"]) == 240
    # what the run was trained on: file, rows, days and a fingerprint of the rows
    assert info["rows"] == 2426 and info["train_dates"] == ["2010-04-26", "2019-01-28"]
    assert len(info["fingerprint"]) == 64 and info["filter"] is None


def test_forecast_cli_scores_beside_naive_forecasts(cli, price_run):
    done = cli("forecast", price_run)
    assert done.returncode == 0, done.stderr
    assert "naive: open = today's open" in done.stdout
    assert "naive: open = today's close" in done.stdout
    assert "240 test days" in done.stdout and "data: SH600519.csv, 2426 days" in done.stdout
    assert "best epoch chosen on the validation days" in done.stdout
    report = json.loads((price_run / "forecast.json").read_text())
    assert report["scores"]["naive: open = today's close"]["rmse"] == pytest.approx(11.93, abs=0.01)
    assert set(report["scores"]["model"]) == {"mse", "rmse", "mae", "mape"}
    assert len(report["predicted"]) == 240
    assert report["selected_on"] == "validation"
    assert report["verdict"] in ("better", "no better", "worse") and 0 <= report["p_value"] <= 1
    # two short epochs of a level model: far worse than naive, and the test says so
    assert report["verdict"] == "worse" and "beats" not in report["summary"]
    assert report["warnings"][0].startswith("100% of the 240 test targets (open) lie outside")
    assert "warning: 100% of the 240 test targets" in done.stdout
    assert (price_run / "forecast.png").stat().st_size > 10_000


def test_forecast_refuses_other_runs(cli, tmp_path):
    done = cli("forecast", tmp_path)
    assert done.returncode == 2 and "not a run folder" in done.stderr


def test_forecast_on_other_data_refuses_training_days(cli, price_run, shared_data, tmp_path):
    course = pd.read_csv(shared_data / "SH600519.csv")
    shorter = tmp_path / "shorter"
    shorter.mkdir()
    course.iloc[:2000].to_csv(shorter / "SH600519.csv", index=False)  # its test days: trained on
    before = (price_run / "forecast.json").read_bytes()
    done = cli("forecast", price_run, "--data-dir", shorter)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert (
        "refusing to score: 240 of the 240 test days (2017-08-01 .. 2018-07-24) are training "
        "days of this run (2010-04-26 .. 2019-01-28)" in done.stderr
    )
    assert "rows 2426 -> 2000; first day" not in done.stderr  # the first day is the same
    assert "rows 2426 -> 2000; last day 2020-04-24 -> 2018-07-24; fingerprint" in done.stderr
    assert (price_run / "forecast.json").read_bytes() == before  # nothing written

    later = tmp_path / "later"  # the same test days, fewer old days: scored, with a note
    later.mkdir()
    course.iloc[500:].to_csv(later / "SH600519.csv", index=False)
    done = cli("forecast", price_run, "--data-dir", later)
    assert done.returncode == 0, done.stderr
    assert "note: scored on other data than the run's own (file" in done.stdout
    assert "rows 2426 -> 1926; first day 2010-04-26 -> 2012-" in done.stdout
    copy = tmp_path / "copy"  # the very same rows elsewhere: no note at all
    copy.mkdir()
    (copy / "SH600519.csv").write_bytes((shared_data / "SH600519.csv").read_bytes())
    done = cli("forecast", price_run, "--data-dir", copy)
    assert done.returncode == 0 and "note:" not in done.stdout, done.stderr


def test_selected_on_the_test_days_says_so_everywhere(shared_data, tmp_path):
    """The course's way (--select-on test) stays available, and is named in every output."""
    from tfnote import forecast, train
    from tfnote.spec import get_preset

    spec = get_preset("stock-gru-change").replace(
        epochs=1, data_dir=str(shared_data), train_limit=256, validation="test"
    )
    train.run(spec, tmp_path / "run", quiet=True)
    result = forecast.evaluate_run(tmp_path / "run")
    assert result.selected_on == "test"
    assert forecast.ON_TEST in forecast.table(result)
    json_path, _ = forecast.save(result, tmp_path / "run")
    report = json.loads(json_path.read_text())
    assert report["selected_on"] == "test" and forecast.ON_TEST in report["selection"]
    assert forecast.evaluate_run(tmp_path / "run", checkpoint="last").selected_on == "last epoch"


def test_change_preset_is_close_to_naive_after_a_short_run(shared_data, tmp_path):
    """The change preset starts from "tomorrow = today's close" and stays near it."""
    from tfnote import forecast, train
    from tfnote.spec import get_preset

    spec = get_preset("stock-gru-change").replace(
        epochs=2, data_dir=str(shared_data), train_limit=640
    )
    train.run(spec, tmp_path / "run", quiet=True)
    result = forecast.evaluate_run(tmp_path / "run")
    naive = result.scores["naive: open = today's close"]["rmse"]
    assert result.scores["model"]["rmse"] < naive * 1.05
    assert result.verdict == "no better" and "does NOT beat" in forecast.table(result)


# --- fetchers, against stand-ins for the libraries (never the network) --------------------


def fake_akshare():
    module = types.ModuleType("akshare")

    def stock_zh_a_hist(symbol, period, start_date, end_date, adjust):
        assert (period, start_date, end_date, adjust) == ("daily", "20200101", "20200110", "qfq")
        return pd.DataFrame(
            {
                "日期": ["2020-01-03", "2020-01-02"],
                "股票代码": [symbol, symbol],
                "开盘": [1117.0, 1128.0],
                "收盘": [1078.56, 1130.0],
                "最高": [1117.0, 1145.06],
                "最低": [1076.9, 1116.0],
                "成交量": [130318, 148099],
                "成交额": [1.4e10, 1.7e10],
            }
        )

    module.stock_zh_a_hist = stock_zh_a_hist
    return module


def fake_yfinance():
    module = types.ModuleType("yfinance")

    class Ticker:
        def __init__(self, symbol):
            self.symbol = symbol

        def history(self, start, end, auto_adjust):
            if self.symbol == "NOPE":
                return pd.DataFrame()
            index = pd.DatetimeIndex(["2020-01-02", "2020-01-03"], tz="Asia/Shanghai", name="Date")
            return pd.DataFrame(
                {
                    "Open": [1.0, 2.0],
                    "High": [1.5, 2.5],
                    "Low": [0.5, 1.5],
                    "Close": [1.2, 2.2],
                    "Volume": [10, 20],
                    "Dividends": [0.0, 0.0],
                },
                index=index,
            )

    module.Ticker = Ticker
    return module


def test_akshare_fetch_writes_the_course_layout(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "akshare", fake_akshare())
    table = fetch.fetch_prices("600519", "akshare", "2020-01-01", "2020-01-10")
    path = fetch.save_prices(table, tmp_path / "m.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == ",date,open,close,high,low,volume,code"
    assert lines[1] == "0,2020-01-02,1128.0,1130.0,1145.06,1116.0,148099,600519"  # oldest first


def test_yfinance_fetch_and_errors(monkeypatch):
    monkeypatch.setitem(sys.modules, "yfinance", fake_yfinance())
    table = fetch.fetch_prices("600519.SS", "yfinance", "2020-01-01", "2020-01-10")
    assert list(table["date"]) == ["2020-01-02", "2020-01-03"]
    assert list(table.columns) == fetch.COLUMNS
    with pytest.raises(TfnoteError, match="returned no prices for NOPE"):
        fetch.fetch_prices("NOPE", "yfinance")
    monkeypatch.setitem(sys.modules, "yfinance", None)  # as if not installed
    with pytest.raises(TfnoteError, match=r"pip install 'tfnote\[yfinance\]'"):
        fetch.fetch_prices("AAPL", "yfinance")


def test_fetch_cli_with_a_stand_in_library(cli, tmp_path, shared_data):
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "akshare.py").write_text(
        "import pandas as pd\n"
        "def stock_zh_a_hist(symbol, period, start_date, end_date, adjust):\n"
        f"    t = pd.read_csv({str(shared_data / 'SH600519.csv')!r})\n"
        "    return t.rename(columns={'date': '日期', 'open': '开盘', 'close': '收盘',\n"
        "        'high': '最高', 'low': '最低', 'volume': '成交量'})\n"
    )
    out = tmp_path / "SH600519.csv"
    done = cli("fetch-prices", "600519", "--out", out, env={"PYTHONPATH": str(tmp_path / "fake")})
    assert done.returncode == 0, done.stderr
    assert "2426 days of 600519 (2010-04-26 .. 2020-04-24)" in done.stdout
    mine = pd.read_csv(out)
    course = pd.read_csv(shared_data / "SH600519.csv")
    for column in ("date", "open", "close", "high", "low", "volume"):
        assert np.array_equal(mine[column].to_numpy(), course[column].to_numpy()), column
