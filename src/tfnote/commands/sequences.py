"""Class 6 commands: predict letters with a trained run, judge a price run, fetch prices.

tfnote letters RUN [TEXT ...]     next letter after each TEXT (asks when none is given)
tfnote forecast RUN               a price run in price units against the naive forecasts
tfnote fetch-prices SYMBOL --out FILE.csv   daily prices via akshare or yfinance
"""

from __future__ import annotations

import argparse

from tfnote.errors import TfnoteError
from tfnote.outputs import check_output_file


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's sub-commands to the `tfnote` parser."""
    p = sub.add_parser("letters", help="predict the next letter with a trained letters run")
    p.add_argument("run", help="the run folder (e.g. runs/letters-onehot-4)")
    p.add_argument("text", nargs="*", help="letters to continue, e.g. abcd (none: ask)")
    p.add_argument("--checkpoint", choices=["best", "last"], default="best")
    p.set_defaults(func=cmd_letters)

    p = sub.add_parser(
        "forecast",
        help="score a price run against the naive forecasts (Diebold-Mariano verdict), and plot it",
    )
    p.add_argument("run", help="the run folder (e.g. runs/stock-lstm)")
    p.add_argument(
        "--data-dir",
        help="score on another copy or version of the run's price file (a folder, or the file "
        "itself); refused when its test days are training days of the run",
    )
    p.add_argument(
        "--checkpoint",
        choices=["best", "last"],
        default="best",
        help="best: the epoch chosen on validation (or on the test days, if the run was "
        "trained with --select-on test); last: the last epoch (default: best)",
    )
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("fetch-prices", help="download daily prices into the course's CSV layout")
    p.add_argument("symbol", help="e.g. 600519 (akshare) or 600519.SS, AAPL (yfinance)")
    p.add_argument("--source", choices=["akshare", "yfinance"], default="akshare")
    p.add_argument("--start", default="2010-04-26", help="first day, YYYY-MM-DD")
    p.add_argument("--end", default="2020-04-24", help="last day, YYYY-MM-DD")
    p.add_argument(
        "--adjust",
        default="qfq",
        choices=["qfq", "hfq", ""],
        help="price adjustment: qfq forward (default), hfq backward, '' none",
    )
    p.add_argument("--out", required=True, help="the CSV file to write")
    p.set_defaults(func=cmd_fetch_prices)


def cmd_letters(args) -> int:
    from tfnote import open_run
    from tfnote.data import letters

    run = open_run(args.run)
    facts = run.info.letters
    if facts is None:
        raise TfnoteError(f"{args.run} is not a letters run (train a letters-* preset)")
    for text in args.text:  # check every text before the slow part: loading TensorFlow
        letters.check_text(text, facts.alphabet, facts.window)
    model = run.load_model(args.checkpoint)
    for text in args.text:
        print(f"{text} -> {letters.predict_next(model, facts, text)}")
    if args.text:
        return 0
    print(f"type {facts.window} letter(s) of {facts.alphabet!r}, then Enter; an empty line ends")
    while True:
        try:
            text = input("letters: ").strip()
        except EOFError:
            print()
            return 0
        if not text:
            return 0
        try:
            print(f"{text} -> {letters.predict_next(model, facts, text)}")
        except TfnoteError as e:  # a typing mistake: say so and ask again
            print(f"tfnote: {e}")


def cmd_forecast(args) -> int:
    from tfnote import forecast

    print(forecast.report_run(args.run, data_dir=args.data_dir, checkpoint=args.checkpoint))
    return 0


def cmd_fetch_prices(args) -> int:
    from tfnote import fetch

    check_output_file(args.out, ".csv")  # before the download, not after it
    table = fetch.fetch_prices(args.symbol, args.source, args.start, args.end, args.adjust)
    path = fetch.save_prices(table, args.out)
    first, last = table["date"].iloc[0], table["date"].iloc[-1]
    print(f"wrote {path}: {len(table)} days of {args.symbol} ({first} .. {last})")
    return 0
