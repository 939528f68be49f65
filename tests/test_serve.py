"""tfnote serve: the JSON API (FastAPI's test client) and the page in a real browser.

One quick MNIST run (the course's p14 MLP, 1 epoch on 10,000 images) is trained for the
module. The API must give the same answer as `tfnote predict` for a phone photo of a 7, and
every mistake must come back as JSON with its status: 400 not an image, 404 unknown run,
413 over the upload limit, also to a plain client (urllib) that sends 12 MB to `tfnote
serve`. The browser test draws a 7 on the canvas with the mouse in Debian's chromium
(driven by Playwright), uploads a photo of a 2, and checks the answers, the enlarged 28x28
model input, Clear and a blank page's warning (TFNOTE_KEEP_SCREENSHOTS=1 keeps its
screenshots).
"""

from __future__ import annotations

import base64
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
MB = 1024 * 1024
LIMIT = 2 * MB  # a small upload limit, so the 413 tests send little


@pytest.fixture(scope="module")
def mnist_run(shared_data, tmp_path_factory) -> Path:
    from tfnote import train
    from tfnote.spec import get_preset

    out = tmp_path_factory.mktemp("serve") / "mnist"
    spec = get_preset("p14").replace(data_dir=str(shared_data), epochs=1, train_limit=10000)
    train.run(spec, out=out, quiet=True)
    return out


@pytest.fixture(scope="module")
def client(mnist_run):
    with warnings.catch_warnings():  # Starlette's note on httpx versions, not ours
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from tfnote.serve import make_app

    app = make_app({"mnist": mnist_run}, max_upload_bytes=LIMIT)
    with TestClient(app) as c:
        yield c


def upload(client, data: bytes, filename: str = "image.png", **form):
    return client.post("/api/predict", files={"image": (filename, data)}, data=form)


def png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# --- the API ---------------------------------------------------------------------------------


def test_runs_list_says_dataset_accuracy_and_input(client):
    r = client.get("/api/runs")
    assert r.status_code == 200
    (run,) = r.json()
    assert run["name"] == "mnist" and run["dataset"] == "mnist"
    assert run["accuracy"] > 0.85 and run["evaluated_on"] == "test"
    assert run["input_shape"] == [28, 28, 1]
    assert run["classes"] == [str(d) for d in range(10)]


def test_photo_of_a_7_gets_the_same_answer_as_tfnote_predict(client, mnist_run, shared_data):
    from PIL import Image

    from tfnote import predict

    photo = shared_data / "digits" / "7.png"
    (expected,) = predict.predict(mnist_run, [photo])
    assert expected.label == 7  # the run itself is good enough to test with
    r = upload(client, photo.read_bytes(), "7.png", run="mnist")
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["run"] == "mnist" and answer["mode"] == "threshold"
    top = answer["predictions"]
    assert [p["class"] for p in top] == [c for c, _, _ in expected.top]
    assert top[0] == {"class": 7, "name": "7", "probability": pytest.approx(expected.probability)}
    assert len(top) == 3 and top[0]["probability"] >= top[1]["probability"] >= top[2]["probability"]
    # What the model saw: a 28x28 grey PNG, the digit light on black.
    assert answer["input"].startswith("data:image/png;base64,")
    seen = Image.open(io.BytesIO(base64.b64decode(answer["input"].split(",", 1)[1])))
    assert seen.size == (28, 28) and seen.mode == "L"
    assert seen.getpixel((0, 0)) == 0 and np.asarray(seen).max() == 255


def test_default_run_is_the_first(client, shared_data):
    r = upload(client, (shared_data / "digits" / "7.png").read_bytes(), "7.png")
    assert r.status_code == 200 and r.json()["run"] == "mnist"


def test_blank_drawing_gets_a_warning_and_no_guess(client):
    from PIL import Image

    r = upload(client, png(Image.new("L", (280, 280), 0)), "drawing.png")
    assert r.status_code == 200
    answer = r.json()
    assert answer["predictions"] == [] and "no object" in answer["warning"]


def test_text_file_is_400(client):
    r = upload(client, b"these are my notes, not a photo\n", "notes.txt")
    assert r.status_code == 400
    assert r.json() == {"error": "upload 'notes.txt': not an image file (unknown format)"}


def test_truncated_image_is_400(client, shared_data):
    data = (shared_data / "digits" / "7.png").read_bytes()
    r = upload(client, data[: len(data) // 3], "7.png")
    assert r.status_code == 400 and "7.png" in r.json()["error"]


def test_decompression_bomb_is_400_before_decoding(client):
    from PIL import Image

    bomb = png(Image.new("1", (10_000, 10_000)))  # 100 megapixels in a small file
    assert len(bomb) < LIMIT
    r = upload(client, bomb, "bomb.png")
    assert r.status_code == 400 and "too large to open safely" in r.json()["error"]


def test_missing_image_and_wrong_body_are_400(client):
    r = client.post("/api/predict", files={"picture": ("7.png", b"x")})
    assert r.status_code == 400 and "field 'image'" in r.json()["error"]
    r = client.post("/api/predict", content=b"\x89PNG...", headers={"content-type": "image/png"})
    assert r.status_code == 400 and "multipart/form-data" in r.json()["error"]


@pytest.mark.parametrize("name", ["nope", "../mnist", "/tmp", "mnist/../.."])
def test_unknown_run_is_404_and_never_a_path(client, name):
    r = upload(client, b"x" * 100, "7.png", run=name)
    assert r.status_code == 404
    assert r.json()["error"] == f"unknown run {name!r}; this server has: mnist"


def test_over_the_limit_is_413_by_content_length(client):
    r = upload(client, b"\0" * (LIMIT + 1), "big.png")
    assert r.status_code == 413
    assert "at most 2 MB" in r.json()["error"] and "--max-upload-mb" in r.json()["error"]


def test_over_the_limit_is_413_while_streaming(client):
    """No Content-Length (chunked): refused once the bytes read pass the limit."""
    boundary = "tfnoteboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()

    def body():
        yield head
        for _ in range(LIMIT // 65536 + 2):
            yield b"\0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    r = client.post(
        "/api/predict",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413 and "larger than that" in r.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        b"not multipart at all",
        b'--b\r\nContent-Disposition: form-data; name="image"\r\n\r\ncut off here',
        b"--b\r\nno colon in this header\r\n\r\nx\r\n--b--\r\n",
        b"",
    ],
)
def test_damaged_multipart_is_400(client, body):
    """Nothing printed on the server's terminal: test_tfnote_serve_answers_a_plain_client..."""
    r = client.post(
        "/api/predict", content=body, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert r.status_code == 400 and "damaged multipart/form-data body" in r.json()["error"]


def test_favicon(client):
    for path in ("/favicon.ico", "/favicon.svg"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
        assert r.content.startswith(b"<svg ") and b"http" not in r.content.replace(
            b'xmlns="http://www.w3.org/2000/svg"', b""
        )


def test_unknown_page_is_json_404(client):
    r = client.get("/etc/passwd")
    assert r.status_code == 404 and r.json() == {"error": "Not Found"}


def test_page_is_self_contained(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "画一个数字" in page and 'capture="environment"' in page
    assert "image-rendering: pixelated" in page
    assert f'content="{LIMIT}"' in page
    # Nothing from elsewhere: the page works offline, and the browser is told so.
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_help_imports_neither_tensorflow_nor_fastapi():
    code = (
        "import sys\nfrom tfnote.cli import main\n"
        "try:\n    main(['serve', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('tensorflow' in sys.modules, 'fastapi' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "--max-upload-mb" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_find_runs_skips_what_it_cannot_serve(mnist_run, tmp_path):
    from tfnote.errors import TfnoteError
    from tfnote.serve import find_runs

    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "model.json").write_text('{"input_shape": [10, 1]}')
    runs, skipped = find_runs([str(mnist_run), str(tmp_path)], None)
    assert {name: run.path for name, run in runs.items()} == {"mnist": mnist_run}
    assert len(skipped) == 1 and "not an image" in skipped[0]
    with pytest.raises(TfnoteError, match="no trained image runs"):
        find_runs([], str(tmp_path / "empty"))
    with pytest.raises(TfnoteError, match="not an image model"):
        find_runs([str(tmp_path / "broken")], None)


# --- a real server: plain clients, concurrent requests, the page in a browser ---------------


def multipart(data: bytes, boundary: str = "tfnoteboundary") -> tuple[bytes, dict]:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def urllib_post(url: str, data, headers: dict) -> tuple[int, dict]:
    """POST with Python's urllib: it sends the whole body before it reads the answer."""
    import json
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
    try:
        with opener.open(urllib.request.Request(url, data=data, headers=headers), timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_tfnote_serve_answers_a_plain_client_413_and_400_quietly(mnist_run):
    """The command itself, with its default 10 MB limit: 12 MB from urllib gets the 413 JSON
    (it got "connection reset by peer"), chunked too; a damaged body prints nothing."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tfnote", "serve", str(mnist_run), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not (lines and "open http://" in lines[-1]):
            line = server.stdout.readline()
            assert line, f"tfnote serve stopped: {lines} {server.stderr.read()}"
            lines.append(line)
        url = lines[-1].split("open ", 1)[1].split()[0] + "api/predict"
        body, headers = multipart(b"\0" * (12 * 1024 * 1024))
        for _ in range(3):
            status, answer = urllib_post(url, body, headers)
            assert status == 413 and "the upload is 12.0 MB" in answer["error"], answer
            assert "at most 10 MB" in answer["error"]
        # No Content-Length: urllib sends an iterable body chunked.
        chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
        status, answer = urllib_post(url, chunks, headers)
        assert status == 413 and "larger than that" in answer["error"]
        # The server still answers, and a good photo after all that is recognized.
        damaged = b"--tfnoteboundary\r\nno colon in this header\r\n\r\nx\r\n--tfnoteboundary--\r\n"
        status, answer = urllib_post(url, damaged, headers)
        assert status == 400 and "damaged multipart" in answer["error"]
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert err == ""  # no stray parser line, no traceback
    assert "boundary" not in out


def raw_request(base: str, head: str, body: bytes = b"", wait: float = 30) -> tuple[str, float]:
    """Send `head` (and `body`) on a socket, keep it open; the answer's status line and when."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        start = time.monotonic()
        sock.sendall(head.encode() + b"\r\n" + body)
        answer = sock.recv(65536).decode("latin-1")
        return answer.split("\r\n", 1)[0], time.monotonic() - start


def test_refused_upload_is_read_within_bounds(live_server, monkeypatch):
    """A refused body is read and dropped at most DRAIN_SECONDS and DRAIN_BYTES: a slow or
    huge upload cannot hold the server; curl's "Expect: 100-continue" is answered at once."""
    from tfnote import serve

    base, _ = live_server
    post = (
        "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
    )
    monkeypatch.setattr(serve, "DRAIN_SECONDS", 2.0)
    # Slow: 3 MB announced, 1 KB sent, then nothing: the answer comes after DRAIN_SECONDS.
    status, took = raw_request(base, post + f"Content-Length: {3 * MB}\r\n", b"x" * 1024)
    assert status == "HTTP/1.1 413 Request Entity Too Large" and 1.9 < took < 15
    # Huge: more than the limit + DRAIN_BYTES is answered without reading it.
    huge = LIMIT + serve.DRAIN_BYTES + 1
    status, took = raw_request(base, post + f"Content-Length: {huge}\r\n")
    assert status == "HTTP/1.1 413 Request Entity Too Large" and took < 1.5
    # curl waits for "100 Continue" before it sends the body: it gets the 413 instead.
    status, took = raw_request(base, post + f"Content-Length: {3 * MB}\r\nExpect: 100-continue\r\n")
    assert status == "HTTP/1.1 413 Request Entity Too Large" and took < 1.5


@pytest.fixture(scope="module")
def live_server(mnist_run):
    """uvicorn on a free loopback port, in a thread; yields the base URL."""
    import uvicorn

    from tfnote.serve import make_app

    app = make_app({"mnist": mnist_run}, max_upload_bytes=LIMIT)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    server.should_exit = True
    thread.join(30)
    sock.close()


def test_concurrent_requests_all_answered(live_server, shared_data):
    import httpx

    base, _ = live_server
    image = (shared_data / "digits" / "7.png").read_bytes()

    def ask(_):
        r = httpx.post(
            f"{base}/api/predict", files={"image": ("7.png", image)}, timeout=120, trust_env=False
        )
        return r.status_code, r.json()["predictions"][0]["class"]

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(ask, range(16)))
    assert answers == [(200, 7)] * 16


@pytest.mark.skipif(
    not CHROMIUM.is_file(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
)
def test_page_in_a_browser_draw_and_upload(live_server, shared_data, tmp_path):
    from playwright.sync_api import sync_playwright

    base, _ = live_server
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 820})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"{r.url}: {r.failure}"))
            page.goto(base + "/")
            page.wait_for_selector("#run option[value=mnist]", state="attached")
            assert "mnist" in page.text_content("#run-facts")
            assert page.text_content("#draw-title") == "Draw a digit / 画一个数字"

            # Draw a 7 with the mouse: the bar, then the stroke down to the left.
            box = page.locator("#canvas").bounding_box()

            def to_page(x: float, y: float) -> tuple[float, float]:
                return box["x"] + x * box["width"], box["y"] + y * box["height"]

            page.mouse.move(*to_page(0.25, 0.22))
            page.mouse.down()
            page.mouse.move(*to_page(0.72, 0.22), steps=12)
            page.mouse.move(*to_page(0.45, 0.82), steps=16)
            page.mouse.up()  # the end of a stroke asks for an answer
            page.wait_for_selector("#answer-box[data-answers='1']", timeout=60_000)
            drawn = page.locator("#predictions li").first.get_attribute("data-class")
            page.screenshot(path=str(tmp_path / "drawn-7.png"), full_page=True)
            assert drawn == "7", page.text_content("#predictions")
            assert page.locator("#predictions li").count() == 3

            # The model input, 28x28, shown big with its pixels as squares.
            shown = page.eval_on_selector(
                "#input-image",
                "img => [img.naturalWidth, img.naturalHeight, img.clientWidth,"
                " getComputedStyle(img).imageRendering, img.hidden]",
            )
            assert shown[:2] == [28, 28] and shown[3:] == ["pixelated", False]
            assert shown[2] >= 5 * 28  # enlarged at least 5 times

            # A phone photo of a 2, through the file input.
            page.set_input_files("#file", str(shared_data / "digits" / "2.png"))
            page.wait_for_selector("#answer-box[data-answers='2']", timeout=60_000)
            page.screenshot(path=str(tmp_path / "photo-2.png"), full_page=True)
            uploaded = page.locator("#predictions li").first.get_attribute("data-class")
            assert uploaded == "2", page.text_content("#predictions")
            assert page.text_content("#status").startswith("Answer / 答案: 2")

            # A phone-sized photo (21 megapixels) is shrunk by the page before it is sent.
            from PIL import Image

            white = Image.new("L", (280, 280), 255)
            big = Image.open(shared_data / "digits" / "7.png").convert("RGB")
            jpeg = io.BytesIO()
            big.resize((4000, 5300)).save(jpeg, format="JPEG", quality=90)
            page.set_input_files(
                "#file", {"name": "7.jpg", "mimeType": "image/jpeg", "buffer": jpeg.getvalue()}
            )
            page.wait_for_selector("#answer-box[data-answers='3']", timeout=60_000)
            assert page.locator("#predictions li").first.get_attribute("data-class") == "7"
            sent = int(page.get_attribute("#answer-box", "data-sent"))
            assert 0 < sent < len(jpeg.getvalue())

            # Clear clears the answer too, then Recognize with nothing drawn asks for a drawing.
            page.click("#clear")
            page.screenshot(path=str(tmp_path / "cleared.png"), full_page=True)
            assert page.locator("#predictions li").count() == 0
            assert page.is_hidden("#input-image") and page.is_hidden("#source-image")
            assert page.text_content("#quick") == "" and page.text_content("#how") == ""
            assert page.text_content("#status").startswith("Draw or choose an image.")
            page.click("#recognize")
            assert page.text_content("#error") == "Draw something first / 请先画一个"

            # A blank page: the server's warning takes the place of a class.
            page.set_input_files(
                "#file", {"name": "blank.png", "mimeType": "image/png", "buffer": png(white)}
            )
            page.wait_for_selector("#answer-box[data-answers='4']", timeout=60_000)
            page.screenshot(path=str(tmp_path / "blank.png"), full_page=True)
            assert page.text_content("#warning").startswith("No answer / 没有答案: no object")
            assert page.is_visible("#warning") and page.is_hidden("#error")
            assert page.locator("#predictions li").count() == 0
            assert page.text_content("#status") == ""
            assert errors == []
            if os.environ.get("TFNOTE_KEEP_SCREENSHOTS"):
                print(f"screenshots in {tmp_path}")
        finally:
            browser.close()
