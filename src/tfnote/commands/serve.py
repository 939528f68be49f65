"""给图识物 in the browser: tfnote serve.

    tfnote serve                       every trained image run under runs/
    tfnote serve runs/mnist runs/p16   these runs (or folders of runs)
    tfnote serve --port 8080 --host 0.0.0.0   reachable from a phone on the same network

The page and its JSON API live in tfnote.serve; nothing here imports TensorFlow or FastAPI
until the command runs, so `--help` answers at once.
"""

from __future__ import annotations

import argparse
import sys

from tfnote.commands.flags import int_range, nonnegative_float, positive_float


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="a web page to draw or upload an image and see what a run recognizes (给图识物)",
        description="Serve a page (drawing canvas, photo upload or phone camera) and a JSON API "
        "(GET /api/runs, POST /api/predict) for trained image runs. See README, 'tfnote serve'.",
    )
    p.add_argument(
        "runs",
        nargs="*",
        metavar="RUN",
        help="run folders, or folders of run folders (default: every image run in --runs DIR, "
        "else in runs/)",
    )
    p.add_argument("--runs", dest="runs_dir", metavar="DIR", help="serve every image run in DIR")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0: the network)",
    )
    p.add_argument(
        "--port", type=int_range(0, 65535), default=8000, help="default 8000 (0: a free one)"
    )
    p.add_argument(
        "--max-upload-mb",
        type=positive_float,
        default=10,
        metavar="MB",
        help="refuse larger uploads with 413 (default 10)",
    )
    p.add_argument(
        "--batch-ms",
        type=nonnegative_float,
        default=None,
        metavar="MS",
        help="collect concurrent requests for up to MS ms into one model call (0: one call "
        "per request; default 5, see bench/bench_serve.py)",
    )
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    from tfnote import serve

    runs, skipped = serve.find_runs(args.runs, args.runs_dir)
    for note in skipped:
        print(f"skipped: {note}", file=sys.stderr)
    if not serve.is_loopback(args.host):
        print(
            f"tfnote: warning: listening on {args.host}: anyone who can reach this computer "
            "can use the page (uploads stay in memory, runs are named from this list only)",
            file=sys.stderr,
        )
    batch_ms = serve.DEFAULT_BATCH_MS if args.batch_ms is None else args.batch_ms
    sock = serve.listen(args.host, args.port)
    print(f"loading {len(runs)} run(s): {', '.join(runs)}", flush=True)
    app = serve.make_app(runs, int(args.max_upload_mb * serve.MB), batch_ms)
    for s in app.state.served.values():
        acc = f", {s.evaluated_on or 'test'} accuracy {s.accuracy:.4f}" if s.accuracy else ""
        print(f"  {s.name}: {s.dataset or 'own data'}{acc}")
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    if ":" in shown:
        shown = f"[{shown}]"
    port = sock.getsockname()[1]
    print(f"给图识物: open http://{shown}:{port}/ in a browser (Ctrl-C stops)", flush=True)
    try:
        serve.serve(app, sock)
    except KeyboardInterrupt:
        pass
    for s in app.state.served.values():
        b = s.batcher
        if b.items:
            print(f"{s.name}: {b.items} answers in {b.calls} model calls", flush=True)
    return 0
