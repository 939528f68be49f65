"""`tfnote train` flags for price data (commands/price_flags.py) and what they map to."""

from __future__ import annotations

import argparse
import json

import pytest

from tfnote.commands.price_flags import (
    add_price_options,
    apply_price_options,
    price_args,
    selection_fields,
)
from tfnote.errors import TfnoteError
from tfnote.spec import get_preset


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_price_options(parser)
    return parser.parse_args(argv)


def test_flags_become_dataset_args_and_spec_fields():
    args = parse(
        "--window", "20", "--test-days", "100", "--target", "Close", "--inputs", "Open, Close",
        "--base", "Close", "--date-column", "Date", "--ticker", "AAPL",
    )  # fmt: skip
    assert price_args(args) == {
        "window": 20,
        "test_days": 100,
        "target": "Close",
        "inputs": ["Open", "Close"],
        "base": "Close",
        "date_column": "Date",
        "ticker": "AAPL",
    }
    assert selection_fields(args) == {}
    assert price_args(parse()) == {} and selection_fields(parse()) == {}
    assert price_args(parse("--where", "Market=SH")) == {"where": "Market=SH"}
    assert selection_fields(parse("--select-on", "test")) == {"validation": "test"}
    assert selection_fields(parse("--select-on", "validation")) == {"validation": "split"}


def test_apply_to_a_preset_keeps_its_other_dataset_args():
    spec = apply_price_options(
        get_preset("stock-lstm"), parse("--window", "30", "--select-on", "test")
    )
    assert spec.dataset_args == {
        "inputs": ["open"], "target": "open", "predict": "level", "window": 30, "test_days": 300,
    }  # fmt: skip
    assert spec.validation == "test"
    assert apply_price_options(get_preset("stock-lstm"), parse()) == get_preset("stock-lstm")
    with pytest.raises(
        TfnoteError, match=r"price flags \(--window, --ticker\) apply only to price data"
    ):
        apply_price_options(get_preset("p14"), parse("--window", "3", "--ticker", "X"))


def test_bad_flag_values_are_argument_errors(capsys):
    for argv in (["--window", "0"], ["--test-days", "x"], ["--inputs", "open,,close"]):
        with pytest.raises(SystemExit):
            parse(*argv)
    assert "must be at least 1, got 0" in capsys.readouterr().err


def test_train_help_documents_price_data(cli):
    done = cli("train", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for words in ("--data prices:FILE", ".csv.gz", "--ticker VALUE", "(default: 60)",
                  "(default: 300", "(default: open)", "--select-on {test,validation}"):  # fmt: skip
        assert words in text, words


def test_ticker_flag_trains_like_the_plain_file(cli, shared_data, tmp_path):
    """The bar of the long table: with --ticker, the same run as on the course file."""
    from test_prices_reading import long_table

    path = long_table(shared_data, tmp_path)
    common = ["--epochs", "1", "--limit-train", "128", "--quiet"]
    plain = cli(
        "train", "stock-gru-change", "--data-dir", shared_data, "--out", tmp_path / "a", *common
    )
    assert plain.returncode == 0, plain.stderr
    picked = cli(
        "train", "stock-gru-change", "--data", f"prices:{path}", "--ticker", "SH600519",
        "--out", tmp_path / "b", *common,
    )  # fmt: skip
    assert picked.returncode == 0, picked.stderr
    for run in ("a", "b"):
        assert cli("forecast", tmp_path / run).returncode == 0
    a, b = (json.loads((tmp_path / run / "forecast.json").read_text()) for run in "ab")
    assert a["predicted"] == b["predicted"] and a["scores"] == b["scores"]
    assert a["data"]["fingerprint"] == b["data"]["fingerprint"]
    assert b["data"]["filter"] == "Ticker=SH600519"
