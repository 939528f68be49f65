"""`tfnote serve` under load: 50 concurrent clients x 20 requests on loopback, batched or not.

Starts `tfnote serve` in a subprocess on a free loopback port, once for each --batch-ms
value (0: one model call per request; 5: concurrent requests share one model call), and
sends canvas drawings (280x280 PNGs, what the page sends) from CLIENTS concurrent clients.
Prints requests/s, p50 and p99 latency and errors, then checks that a 12 MB upload gets 413
and a text file 400 while the server stays up.

    .venv/bin/python bench/bench_serve.py                  # trains a 1-epoch MNIST run first
    .venv/bin/python bench/bench_serve.py --run runs/mnist --photo ../shared/data/digits/7.png
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def drawing() -> bytes:
    """A "7" drawn white on black on a 280x280 canvas, as the page sends it."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(image).line([(70, 60), (210, 60), (120, 230)], fill=255, width=20)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(run: Path, port: int, batch_ms: float) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "tfnote", "serve", str(run), "--port", str(port)]
        + ["--batch-ms", str(batch_ms)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in server.stdout:  # the models load first; this line comes when it listens
        if "open http" in line:
            return server
    raise SystemExit(f"the server did not start (exit {server.wait()})")


async def load(url: str, image: bytes, clients: int, requests: int):
    latencies, errors = [], []

    async def client(http: httpx.AsyncClient):
        for _ in range(requests):
            start = time.perf_counter()
            try:
                r = await http.post(url, files={"image": ("drawing.png", image, "image/png")})
                if r.status_code != 200 or not r.json()["predictions"]:
                    errors.append(f"{r.status_code} {r.text[:80]}")
            except httpx.HTTPError as e:
                errors.append(repr(e))
            latencies.append(time.perf_counter() - start)

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=300, limits=limits, trust_env=False) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        wall = time.perf_counter() - start
    return wall, latencies, errors


def checks(base: str) -> list[str]:
    """The bars besides load: 12 MB -> 413, text -> 400, and the server still answers."""
    lines = []
    big = os.urandom(12 * 1024 * 1024)
    try:
        r = httpx.post(
            f"{base}/api/predict", files={"image": ("big.jpg", big)}, timeout=60, trust_env=False
        )
        lines.append(f"12 MB upload: {r.status_code} {r.json()['error'][:60]}")
    except httpx.HTTPError as e:
        lines.append(f"12 MB upload: no response ({e!r})")
    r = httpx.post(
        f"{base}/api/predict", files={"image": ("notes.txt", b"not an image\n")}, trust_env=False
    )
    lines.append(f"text file:    {r.status_code} {r.json()['error']}")
    r = httpx.get(f"{base}/api/runs", trust_env=False)
    lines.append(f"still up:     GET /api/runs -> {r.status_code}")
    return lines


def train_quick_run(folder: Path, data_dir: str) -> Path:
    from tfnote import train
    from tfnote.spec import get_preset

    spec = get_preset("p14").replace(data_dir=data_dir, epochs=1, train_limit=10000)
    train.run(spec, folder, quiet=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a trained image run (default: train a 1-epoch MNIST MLP)")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="per client")
    parser.add_argument("--batch-ms", default="0,5", help="comma-separated values to compare")
    parser.add_argument("--photo", help="send this image instead of a canvas drawing")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        run = Path(args.run) if args.run else train_quick_run(Path(tmp) / "mnist", args.data_dir)
        image = Path(args.photo).read_bytes() if args.photo else drawing()
        what = args.photo or "280x280 canvas drawing"
        total = args.clients * args.requests
        print(f"{args.clients} clients x {args.requests} requests = {total}, image: {what}")
        print(f"load before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for batch_ms in (float(v) for v in args.batch_ms.split(",")):
            port = free_port()
            server = start_server(run, port, batch_ms)
            try:
                base = f"http://127.0.0.1:{port}"
                wall, latencies, errors = asyncio.run(
                    load(f"{base}/api/predict", image, args.clients, args.requests)
                )
                q = statistics.quantiles(latencies, n=100)
                print(
                    f"batch-ms {batch_ms:g}: {total / wall:6.1f} requests/s, p50 {q[49]:.3f} s, "
                    f"p99 {q[98]:.3f} s, errors {len(errors)}  (load {os.getloadavg()[0]:.1f})"
                )
                for e in errors[:5]:
                    print("   ", e)
                for line in checks(base):
                    print("   ", line)
            finally:
                server.send_signal(signal.SIGINT)  # Ctrl-C: tfnote serve counts its calls
                rest = server.communicate(timeout=60)[0]
            for line in rest.splitlines():
                if "model calls" in line:
                    print("   ", line)


if __name__ == "__main__":
    main()
