"""给图识物 in the browser: a page to draw or upload an image and see what the model sees.

The end of class 4 ("recognize your own image") as a small web server. One page (a drawing
canvas, a photo upload that also offers the phone camera, a picker of the runs served) and
a JSON API under it:

    GET  /               the page (and /favicon.ico, /favicon.svg: its icon)
    GET  /api/runs       the runs served: name, dataset, test accuracy, input shape, classes
    POST /api/predict    multipart field `image` (and optional field `run`, a name from
                         /api/runs) -> {"run", "mode", "predictions": [{"class", "name",
                         "probability"}...], "input": "data:image/png;base64,..."}

The photo goes through `tfnote.photo.prepare`, the very code `tfnote predict` uses, and the
prepared 28x28 (or 32x32) input comes back as a PNG: the course's lesson on preprocessing,
made visible. Errors are JSON `{"error": "..."}` (400 not an image, 404 unknown run, 413
over the upload limit), never a traceback page.

Safety: a client names a run only from the server's own list, never a path; an upload is
read into memory (at most `max_upload_bytes`, refused by its Content-Length or as soon as
the streamed body passes the limit) and never written to disk; a refused body is read and
dropped (at most DRAIN_BYTES more, DRAIN_SECONDS) so that a plain client reads the 413;
photo.open_image refuses decompression bombs before decoding; each model is loaded once,
in `make_app`.

    >>> from tfnote.serve import make_app
    >>> app = make_app({"mnist": "runs/mnist"})      # then: uvicorn.run(app)

(a folder, or a `tfnote.open_run` Run: its model.json is read once for everything).

Nothing here imports TensorFlow at import time; `make_app` loads the models.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import anyio
import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from tfnote import photo
from tfnote.errors import TfnoteError
from tfnote.run_folder import ModelInfo, Run, is_run_folder, open_run

MB = 1024 * 1024
DEFAULT_MAX_UPLOAD = 10 * MB
DEFAULT_BATCH_MS = 5.0  # see Batcher. bench/bench_serve.py, 2 busy cores: 9.3-12.9
# requests/s against 8.6-10.2 for one model call per request (mean batch only 1.2: the
# photo's preparation, ~0.1 s a drawing, is what takes the time, not the model's ~6 ms)
TOP = 3
# A refused upload is still read (and dropped) up to this much past the limit and for this
# long, so that a plain client can read the 413; past either, the answer goes out at once.
DRAIN_BYTES = 64 * MB
DRAIN_SECONDS = 30.0  # nginx reads a refused body for as long ("lingering_time")
# The page may only load from this server: no CDN, fonts or analytics, so it works offline.
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; connect-src 'self'; form-action 'self'"
)


QUIET = logging.getLogger("tfnote.serve.multipart")  # python-multipart's lines: see parse_form
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


class ApiError(Exception):
    """A client mistake: answered as JSON {"error": message} with this HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


# --- the runs served ---------------------------------------------------------------------


@dataclass
class Served:
    """One run, loaded once: its model, its facts and what /api/runs says about it."""

    name: str
    run: Run
    model: object
    batcher: Batcher
    dataset: str | None
    accuracy: float | None
    evaluated_on: str | None
    title: str

    @property
    def info(self) -> ModelInfo:
        return self.run.info

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "dataset": self.dataset,
            "accuracy": None if self.accuracy is None else round(self.accuracy, 4),
            "evaluated_on": self.evaluated_on,
            "input_shape": list(self.info.input_shape),
            "classes": self.info.names,
        }


def image_run_problem(run: Run) -> str | None:
    """Why `run` cannot be served (not trained, not an image classifier), or None."""
    try:
        info = run.info
    except TfnoteError as e:  # not trained, or a damaged model.json
        return str(e)
    try:
        photo.input_image_shape(info)  # (H, W) is a grey image too
    except TfnoteError:
        shape = list(info.input_shape)
        return f"{run.path} is not an image model (input shape {shape}); serve image runs only"
    try:
        return None if run.has_weights else f"{run.path} has no saved weights yet; train it first"
    except TfnoteError as e:  # a damaged state.json
        return str(e)


def load_run(name: str, run: Run | str | os.PathLike, batch_ms: float) -> Served:
    """Load one run's model (once) and read its facts; raises TfnoteError if it cannot."""
    from tfnote import runs

    run = run if isinstance(run, Run) else Run(run)
    problem = image_run_problem(run)
    if problem:
        raise TfnoteError(problem)
    model = run.load_model()
    row = runs.describe(run, name)
    served = Served(
        name=name,
        run=run,
        model=model,
        batcher=None,  # set below: it calls back into `served`
        dataset=row.dataset or run.info.dataset,
        accuracy=row.accuracy,
        evaluated_on=row.evaluated_on,
        title=row.title or name,
    )
    served.batcher = Batcher(lambda prepared: _classify(served, prepared), batch_ms)
    # One call now, so the first visitor does not wait for TensorFlow's first-call set-up.
    model(np.zeros((1, *run.info.input_shape), np.float32), training=False)
    return served


def _classify(served: Served, prepared: list[photo.Prepared]):
    from tfnote import predict

    return predict.classify(served.model, served.info, prepared, TOP)


# --- batching concurrent predictions into one model call ------------------------------------


class Batcher:
    """Runs `fn(list_of_items) -> list_of_results` for requests that arrive together.

    The first request of a batch waits `wait_ms`, then for the previous batch's model call
    to end, and takes every request that arrived meanwhile: under load a batch grows to all
    the requests waiting, when idle it costs `wait_ms`. `wait_ms` 0 calls `fn` once per
    request, concurrently in threads.
    """

    def __init__(self, fn, wait_ms: float = DEFAULT_BATCH_MS):
        self.fn = fn
        self.wait_s = wait_ms / 1000
        self.pending: list[tuple[object, asyncio.Future]] = []
        self._lock: asyncio.Lock | None = None
        self._loop = None
        self.calls = 0  # model calls made, and requests answered: the mean batch size
        self.items = 0

    async def submit(self, item):
        if self.wait_s <= 0:
            self.calls, self.items = self.calls + 1, self.items + 1
            return (await anyio.to_thread.run_sync(self.fn, [item]))[0]
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a lock belongs to one event loop (tests start several)
            self._loop, self._lock, self.pending = loop, asyncio.Lock(), []
        future = loop.create_future()
        self.pending.append((item, future))
        if len(self.pending) == 1:  # the first of a new batch leads it
            await asyncio.sleep(self.wait_s)
            async with self._lock:
                batch, self.pending = self.pending, []
                self.calls, self.items = self.calls + 1, self.items + len(batch)
                try:
                    results = await anyio.to_thread.run_sync(self.fn, [i for i, _ in batch])
                except Exception as e:  # noqa: BLE001 - every waiting request gets the error
                    for _, f in batch:
                        f.set_exception(e)
                else:
                    for (_, f), result in zip(batch, results, strict=True):
                        f.set_result(result)
        return await future


# --- reading the upload ---------------------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) by its Content-Length or as soon as it passes `limit`."""
    length = request.headers.get("content-length")
    if length is not None and not length.isdigit():
        raise ApiError(400, f"bad Content-Length header: {length!r}")
    chunks = request.stream()
    if length is not None and int(length) > limit:
        # curl sends "Expect: 100-continue" and waits for this answer before the body
        waiting = "100-continue" in request.headers.get("expect", "").lower()
        if not waiting and int(length) <= limit + DRAIN_BYTES:
            await discard(chunks, int(length))
        raise ApiError(413, too_large(int(length), limit))
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            await discard(chunks, limit + DRAIN_BYTES - len(body))
            raise ApiError(413, too_large(None, limit))
    return bytes(body)


async def discard(chunks, most: int) -> None:
    """Read and drop the rest of a refused upload: at most `most` bytes, DRAIN_SECONDS.

    A plain client (urllib) sends the whole body before it reads the answer. A server that
    answers and closes with the body unread makes the kernel reset the connection, and the
    client gets "connection reset by peer" instead of the 413 (5 of 5 tries with 12 MB).
    """
    read = 0
    with anyio.move_on_after(DRAIN_SECONDS):
        try:
            async for chunk in chunks:
                read += len(chunk)
                if read > most:
                    return
        except ClientDisconnect:
            return


def too_large(size: int | None, limit: int) -> str:
    got = f"is {size / MB:.1f} MB" if size is not None else "is larger than that"
    return (
        f"the upload {got}; this server takes at most {limit / MB:g} MB "
        "(tfnote serve --max-upload-mb); send a smaller photo"
    )


def parse_form(content_type: str, body: bytes) -> dict[str, tuple[bytes, str | None]]:
    """A multipart/form-data body in memory -> {field: (bytes, file name or None)}.

    Starlette's own form parser spools files over 1 MB to a temporary file on disk; this one
    keeps everything in memory (the body is already there, and at most the upload limit).
    """
    from python_multipart.multipart import MultipartParser, parse_options_header

    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise ApiError(400, "send the image as multipart/form-data, in the field 'image'")
    fields: dict[str, tuple[bytes, str | None]] = {}
    part = {"headers": {}, "field": b"", "value": b"", "data": []}
    ended = []  # the closing boundary was read

    def on_part_begin():
        part.update(headers={}, field=b"", value=b"", data=[])

    def on_header_field(data, start, end):
        part["field"] += data[start:end]

    def on_header_value(data, start, end):
        part["value"] += data[start:end]

    def on_header_end():
        part["headers"][part["field"].lower()] = part["value"]
        part["field"], part["value"] = b"", b""

    def on_part_data(data, start, end):
        part["data"].append(bytes(data[start:end]))

    def on_part_end():
        _, disposition = parse_options_header(part["headers"].get(b"content-disposition", b""))
        name = disposition.get(b"name")
        if name is None:
            return
        filename = disposition.get(b"filename")
        key = name.decode("utf-8", "replace")
        value = (b"".join(part["data"]), filename.decode("utf-8", "replace") if filename else None)
        fields.setdefault(key, value)  # the first of repeated fields counts

    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_end": lambda: ended.append(True),
        },
    )
    # python-multipart logs each parse error before raising it, and with no logging set up
    # Python prints that line on the server's terminal; the client gets it in the 400.
    parser.logger = QUIET
    try:
        parser.write(body)
        parser.finalize()
    except Exception as e:  # noqa: BLE001 - python-multipart's parse errors
        raise ApiError(400, f"damaged multipart/form-data body ({e})") from None
    if not ended:
        raise ApiError(400, "damaged multipart/form-data body (it ends before its last boundary)")
    return fields


def input_png(prepared: photo.Prepared) -> str:
    """What the model saw, as a data: URL (the page enlarges it, pixel by pixel)."""
    from PIL import Image

    pixels = prepared.pixels.clip(0, 255).round().astype(np.uint8)
    image = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --- the app -----------------------------------------------------------------------------------


def page_html(max_upload_bytes: int) -> str:
    text = resources.files("tfnote").joinpath("web/index.html").read_text(encoding="utf-8")
    return text.replace("{{MAX_UPLOAD_BYTES}}", str(int(max_upload_bytes)))


def favicon_svg() -> bytes:
    return resources.files("tfnote").joinpath("web/favicon.svg").read_bytes()


def make_app(
    runs: dict[str, Run | str | os.PathLike],
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD,
    batch_ms: float = DEFAULT_BATCH_MS,
) -> FastAPI:
    """The web app serving `runs` (name -> run folder), each model loaded once, now.

    `batch_ms`: how long the first of concurrent requests waits for others to share its
    model call (0: one call per request).
    """
    if not runs:
        raise TfnoteError("no runs to serve; train one first (tfnote train mnist)")
    if max_upload_bytes < 1:
        raise TfnoteError(f"the upload limit must be at least 1 byte (got {max_upload_bytes})")
    served = {name: load_run(name, path, batch_ms) for name, path in runs.items()}
    default = next(iter(served))
    html = page_html(max_upload_bytes)
    icon = favicon_svg()
    # photo.prepare is NumPy/SciPy work on the CPU: at most this many at once, so 50
    # concurrent 10 MB photos do not each hold their decoded pixels in memory together.
    prepare_slots = anyio.CapacityLimiter(max(2, len(os.sched_getaffinity(0))))

    app = FastAPI(
        title="tfnote serve",
        summary="给图识物: recognize your own image with a trained run",
        docs_url=None,  # the interactive docs load scripts from a CDN; README documents the API
        redoc_url=None,
        openapi_url=None,
    )
    app.state.served = served
    app.state.max_upload_bytes = max_upload_bytes

    @app.exception_handler(ApiError)
    async def api_error(request: Request, e: ApiError):
        return JSONResponse({"error": str(e)}, status_code=e.status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException):
        return JSONResponse({"error": str(e.detail)}, status_code=e.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, e: RequestValidationError):
        return JSONResponse({"error": f"bad request: {e.errors()}"}, status_code=400)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, e: Exception):
        # A bug, not the client's mistake: one line, no traceback page.
        return JSONResponse({"error": f"internal error: {type(e).__name__}"}, status_code=500)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/", response_class=HTMLResponse)
    async def index():
        return HTMLResponse(html)

    # The page names /favicon.svg; browsers (and other pages' habits) also ask /favicon.ico.
    @app.get("/favicon.svg")
    @app.get("/favicon.ico")
    async def favicon():
        return Response(icon, media_type="image/svg+xml")

    @app.get("/api/runs")
    async def list_runs():
        return [s.to_dict() for s in served.values()]

    @app.post("/api/predict")
    async def predict_one(request: Request):
        body = await read_body(request, max_upload_bytes)
        form = parse_form(request.headers.get("content-type", ""), body)
        del body
        name = form.get("run", (default.encode(), None))[0].decode("utf-8", "replace").strip()
        run = served.get(name or default)
        if run is None:
            raise ApiError(404, f"unknown run {name!r}; this server has: {', '.join(served)}")
        if "image" not in form:
            raise ApiError(400, "no image: send the file in the multipart field 'image'")
        data, filename = form["image"]
        label = f"upload {filename!r}" if filename else "upload"
        try:
            prepared = await anyio.to_thread.run_sync(
                lambda: photo.prepare(data, run.info, name=label), limiter=prepare_slots
            )
        except TfnoteError as e:
            raise ApiError(400, str(e)) from None
        answer = {
            "run": run.name,
            "mode": prepared.mode,
            "recipe": prepared.recipe,
            "preprocessing": "; ".join([prepared.describe(), *prepared.notes]),
            "predictions": [],
            "input": input_png(prepared),
        }
        if prepared.blank:  # nothing found: no guess from a blank input
            answer["warning"] = prepared.warning
            return answer
        result = await run.batcher.submit(prepared)
        answer["predictions"] = [
            {"class": c, "name": n, "probability": round(p, 6)} for c, n, p in result.top
        ]
        return answer

    return app


# --- finding the runs to serve -------------------------------------------------------------


def find_runs(paths: list[str], runs_dir: str | None) -> tuple[dict[str, Run], list[str]]:
    """name -> run folder for `tfnote serve RUN... --runs DIR`, and notes on folders skipped.

    A RUN that is a run folder must be servable (else TfnoteError); folders of run folders
    and --runs DIR (default runs/, when no RUN is given) give every servable run inside.
    """
    from tfnote import runs as runs_table

    found: dict[str, Run] = {}
    skipped: list[str] = []

    def add(name: str, run: Run):
        unique, n = name, 2
        while unique in found:
            unique, n = f"{name}-{n}", n + 1
        found[unique] = run

    sources = list(paths) + ([runs_dir] if runs_dir else [])
    if not sources:
        sources = ["runs"]
    for source in sources:
        folder = Path(source)
        if is_run_folder(folder):
            run = open_run(folder)
            problem = image_run_problem(run)
            if problem:
                raise TfnoteError(problem)
            add(folder.resolve().name, run)
            continue
        if not folder.is_dir():
            raise TfnoteError(f"{folder}: no such run folder")
        for inner in runs_table.find_folders(folder):
            run = open_run(inner)
            problem = image_run_problem(run)
            if problem:
                skipped.append(problem)
            else:
                add(inner.relative_to(folder).as_posix(), run)
    if not found:
        where = ", ".join(sources)
        raise TfnoteError(f"no trained image runs in {where}; train one first (tfnote train mnist)")
    return found, skipped


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(host: str = "127.0.0.1", port: int = 8000):
    """A socket listening on host:port (port 0: a free one), before the slow model loading, so
    a port in use is one line at once."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise TfnoteError(
            f"cannot listen on {host}:{port} ({e.strerror}); choose another with --port"
        ) from None
    # Listening now: a browser or script that connects as soon as the address is printed
    # waits in the queue until uvicorn starts, instead of "connection refused".
    sock.listen(2048)  # uvicorn's default backlog
    return sock


def serve(app: FastAPI, sock) -> None:  # pragma: no cover - until Ctrl-C; tests run uvicorn
    """Answer on the bound socket with uvicorn until Ctrl-C (or SIGTERM)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
