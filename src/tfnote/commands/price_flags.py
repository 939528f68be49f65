"""`tfnote train` flags for price data (class 6): what the presets' dataset_args hold.

    tfnote train stock-gru-change --data prices:stocks.csv.gz --ticker AAPL \\
        --target Open --inputs Open,Close,High,Low --date-column Date --test-days 250

commands/train.py adds these with `add_price_options(parser)` and applies them with
`apply_price_options(spec, args)`, or by hand: `price_args(args)` are dataset_args
overrides and `selection_fields(args)` spec fields. Nothing here imports numpy or
TensorFlow, so `tfnote train --help` stays instant.
"""

from __future__ import annotations

import argparse

from tfnote.commands.flags import positive_int
from tfnote.errors import TfnoteError

# flag destination -> dataset_args key of tfnote.data.prices.load
DATASET_ARGS = {
    "window": "window",
    "test_days": "test_days",
    "target": "target",
    "inputs": "inputs",
    "base": "base",
    "date_column": "date_column",
    "ticker": "ticker",
    "where": "where",
}
# --select-on -> Spec.validation: which days pick the best epoch (the checkpoint scored)
SELECT_ON = {"validation": "split", "test": "test"}

DESCRIPTION = """\
--data prices reads the course's SH600519.csv (found with --data-dir);
--data prices:FILE reads any daily price table, .csv or .csv.gz, one row per day (column
names match whatever their case). A long table of several stocks needs --ticker or --where.
Unset flags keep the preset's values; those of the stock presets are shown as defaults."""


def _columns(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected COLUMN,COLUMN,... (got {text!r})")
    return names


def add_price_options(p: argparse.ArgumentParser) -> None:
    """The price-data flags, as their own group in `--help`."""
    g = p.add_argument_group("price data (class 6)", DESCRIPTION)
    g.add_argument(
        "--window",
        type=positive_int,
        metavar="DAYS",
        help="days in each input window (default: 60)",
    )
    g.add_argument(
        "--test-days",
        type=positive_int,
        metavar="DAYS",
        help="the last DAYS rows are the test part (default: 300, which gives 240 test "
        "windows of 60 days)",
    )
    g.add_argument(
        "--target",
        metavar="COLUMN",
        help="the price to predict for tomorrow (default: open)",
    )
    g.add_argument(
        "--inputs",
        type=_columns,
        metavar="COL,COL",
        help="columns the network reads each day (default: open; stock-gru-change: "
        "open,close,high,low)",
    )
    g.add_argument(
        "--base",
        metavar="COLUMN",
        help="with predict = change, the price changes are measured from (default: close)",
    )
    g.add_argument(
        "--date-column", metavar="COLUMN", help="the column holding the day (default: date)"
    )
    g.add_argument(
        "--ticker",
        metavar="VALUE",
        help="keep the rows whose ticker column (ticker, symbol, ts_code or code) is VALUE "
        "(default: none; a table of several stocks stops and lists them)",
    )
    g.add_argument(
        "--where",
        metavar="COLUMN=VALUE",
        help="keep the rows where COLUMN is VALUE (default: none)",
    )
    g.add_argument(
        "--select-on",
        choices=sorted(SELECT_ON),
        help="the days that pick the best epoch: validation, the last 15%% of the "
        "training windows (default), or test, the course's way (its scores then say "
        "'chosen on the test days')",
    )


def price_args(args: argparse.Namespace) -> dict:
    """dataset_args overrides: only the price flags the user gave."""
    given = {key: getattr(args, dest, None) for dest, key in DATASET_ARGS.items()}
    return {key: value for key, value in given.items() if value is not None}


def selection_fields(args: argparse.Namespace) -> dict:
    """Spec field overrides for --select-on: {"validation": "split" or "test"}, or {}."""
    choice = getattr(args, "select_on", None)
    return {"validation": SELECT_ON[choice]} if choice else {}


def apply_price_options(spec, args: argparse.Namespace):
    """`spec` with the price flags applied; an error if they are given for other data."""
    changes, fields = price_args(args), selection_fields(args)
    if not changes and not fields:
        return spec
    if spec.dataset.kind != "prices":
        flags = [f"--{d.replace('_', '-')}" for d in (*DATASET_ARGS, "select_on")]
        used = [f for f in flags if getattr(args, f[2:].replace("-", "_"), None) is not None]
        raise TfnoteError(
            f"price flags ({', '.join(used)}) apply only to price data (--data prices or "
            "prices:FILE); "
            f"this run reads '{spec.dataset}'"
        )
    return spec.replace(dataset_args={**spec.dataset_args, **changes}, **fields)
