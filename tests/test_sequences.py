"""Class 6: letters, price windows, forecasts against naive forecasts, fetchers, CLI errors."""

from __future__ import annotations

import re
import sys

import numpy as np
import pandas as pd
import pytest

from tfnote import forecast
from tfnote.data import letters, load_dataset, prices
from tfnote.errors import TfnoteError
from tfnote.spec import get_preset

COURSE_CSV = "SH600519.csv"


# --- letters -----------------------------------------------------------------------------


def test_letters_windows_match_the_course():
    data = letters.load("abcde", window=4, encoding="index")
    pairs = {
        "".join("abcde"[int(i)] for i in x): "abcde"[y] for x, y in zip(data.x_train, data.y_train)
    }
    assert pairs == {"abcd": "e", "bcde": "a", "cdea": "b", "deab": "c", "eabc": "d"}
    az = letters.load("a-z", window=4, encoding="index", cyclic=False)
    assert az.x_train.shape == (22, 4) and az.num_classes == 26
    onehot = letters.load(None, window=1)
    assert onehot.x_train.shape == (5, 1, 5) and onehot.class_names == list("abcde")


LETTER_PRESETS = [
    "letters-onehot-1",
    "letters-onehot-4",
    "letters-embedding-1",
    "letters-embedding-4",
]


@pytest.fixture(scope="module")
def letter_runs(tmp_path_factory) -> dict:
    """Each letters preset trained once with the course's settings: preset -> RunResult."""
    from tfnote import train

    root = tmp_path_factory.mktemp("letters")
    return {p: train.run(get_preset(p), root / p, quiet=True) for p in LETTER_PRESETS}


@pytest.mark.parametrize("preset", LETTER_PRESETS)
def test_letters_presets_learn_every_training_sequence(preset, letter_runs):
    assert letter_runs[preset].metrics["accuracy"] == 1.0, letter_runs[preset].metrics


@pytest.fixture(scope="module")
def letters_run(letter_runs):
    return letter_runs["letters-onehot-4"].run_dir


def test_letters_cli_predicts_and_prompts(cli, letters_run):
    done = cli("letters", letters_run, "abcd", "eabc")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["abcd -> e", "eabc -> d"]
    # no text: the course's interactive prompt; a typing mistake is answered, not fatal
    asked = cli_input(cli, letters_run, "bcde\nxyz\ncdea\n\n")
    assert "bcde -> a" in asked.stdout and "cdea -> b" in asked.stdout
    assert "'x', 'y', 'z' not in this model's alphabet" in asked.stdout


def cli_input(cli, *args_and_input):
    import subprocess

    *args, text = args_and_input
    return subprocess.run(
        [sys.executable, "-m", "tfnote", "letters", *map(str, args)],
        input=text,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_letters_cli_rejects_bad_text(cli, letters_run):
    done = cli("letters", letters_run, "abcz")
    assert done.returncode == 2
    assert "'z' not in this model's alphabet 'abcde'" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    with pytest.raises(TfnoteError, match=re.escape("reads 4 letter(s) at a time; got 3")):
        letters.check_text("abc", "abcde", 4)


# --- price windows -----------------------------------------------------------------------


def test_course_windows_and_scaling(shared_data):
    data = prices.load(data_dir=str(shared_data))
    assert data.x_train.shape == (2066, 60, 1) and data.x_test.shape == (240, 60, 1)
    table = pd.read_csv(shared_data / COURSE_CSV)
    train_open = table["open"].to_numpy()[:2126]
    low, high = train_open.min(), train_open.max()  # fit on the training rows only
    assert data.info["scaling"]["min_max"]["open"] == [low, high]
    assert data.x_train.min() == 0 and data.x_train.max() == 1
    assert data.x_test.max() > 1.5  # test prices far above the training maximum
    # the first training window is days 0..59 and predicts day 60, as the course does
    np.testing.assert_allclose(data.x_train[0, :, 0], (train_open[:60] - low) / (high - low), 1e-6)
    np.testing.assert_allclose(data.y_train[0, 0], (train_open[60] - low) / (high - low), 1e-6)
    assert data.info["test_dates"][0] == table["date"][2186]
    assert data.info["test_dates"][-1] == "2020-04-24"


def test_change_mode_is_naive_at_zero(shared_data):
    data = prices.load(data_dir=str(shared_data), inputs=["open", "close"], predict="change")
    assert data.x_train.shape == (2066, 60, 2)
    # an output of 0 means "tomorrow's open = today's close"
    zeros = forecast.to_prices(np.zeros(240), data.info)
    np.testing.assert_allclose(zeros, data.info["naive"]["close"])
    # the scaled targets give back the real prices
    real = forecast.to_prices(data.y_test, data.info)
    np.testing.assert_allclose(real, data.info["test_real"], rtol=1e-5)


class ZeroModel:
    """Stands in for a network that always outputs 0 (no change)."""

    def predict(self, x, batch_size=None, verbose=0):
        return np.zeros((len(x), 1))


def test_zero_change_model_scores_exactly_as_naive_close(shared_data, tmp_path):
    data = prices.load(data_dir=str(shared_data), inputs=["open", "close"], predict="change")
    result = forecast.evaluate(ZeroModel(), data, name="zero")
    assert result.scores["model"] == pytest.approx(result.scores["naive: open = today's close"])
    assert "does NOT beat" in forecast.table(result)
    data.x_test = data.x_test[:100]  # as with --limit-test
    assert len(forecast.evaluate(ZeroModel(), data).predicted) == 100
    forecast.plot(result, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 10_000


def test_any_csv_with_named_columns(tmp_path):
    days = pd.date_range("2021-01-01", periods=120, freq="D")
    price = 50 + np.sin(np.arange(120) / 5) * 5
    shuffled = pd.DataFrame({"Day": days.strftime("%Y-%m-%d"), "Price": price}).sample(frac=1)
    shuffled.to_csv(tmp_path / "p.csv", index=False)
    data = load_dataset(
        f"prices:{tmp_path / 'p.csv'}",
        inputs=["Price"],
        target="Price",
        date_column="Day",
        window=10,
        test_days=30,
    )
    assert data.x_train.shape == (80, 10, 1) and data.x_test.shape == (20, 10, 1)
    assert list(data.info["naive"]) == ["Price"]  # only the columns the file has
    assert data.info["test_dates"][-1] == "2021-04-30"  # sorted oldest first


def test_naive_scores_on_the_course_test_days(shared_data):
    data = prices.load(data_dir=str(shared_data))
    real = np.array(data.info["test_real"])
    rmse = {c: forecast.score(v, real)["rmse"] for c, v in data.info["naive"].items()}
    assert rmse["open"] == pytest.approx(19.6, abs=0.05)
    assert rmse["close"] == pytest.approx(11.9, abs=0.05)
    s = forecast.score(np.array([110.0, 90.0]), np.array([100.0, 100.0]))
    assert s == {"mse": 100.0, "rmse": 10.0, "mae": 10.0, "mape": 10.0}


def bad_csv(tmp_path, rows=400, **changes):
    table = pd.DataFrame(
        {
            "date": pd.date_range("2015-01-01", periods=rows).strftime("%Y-%m-%d"),
            "open": np.linspace(10, 20, rows),
            "close": np.linspace(10, 20, rows),
        }
    )
    for column, (row, value) in changes.items():
        table[column] = table[column].astype(object)
        table.loc[row, column] = value
    path = tmp_path / "bad.csv"
    table.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"open": (5, "n/a")}, "column 'open' has 1 missing or non-numeric value(s) (line 7)"),
        ({"close": (9, "")}, "column 'close' has 1 missing or non-numeric value(s) (line 11)"),
        ({"rows": 300}, "300 rows is too few for 60-day windows and 300 test days"),
    ],
)
def test_bad_price_files_are_refused(tmp_path, changes, message):
    path = bad_csv(tmp_path, **changes)
    with pytest.raises(TfnoteError, match=re.escape(message)):
        prices.load(str(path), predict="change", inputs=["open", "close"])


def test_bad_price_file_via_cli_is_one_line_exit_2(cli, tmp_path):
    path = tmp_path / "no-open.csv"
    pd.read_csv(bad_csv(tmp_path)).drop(columns="open").to_csv(path, index=False)
    out = tmp_path / "run"
    done = cli("train", "stock-lstm", "--data", f"prices:{path}", "--out", out, "--epochs", "1")
    assert done.returncode == 2, done.stderr
    assert "no column 'open' (columns: date, close)" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
