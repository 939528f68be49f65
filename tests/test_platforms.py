"""Installing where learners are: macOS on Apple silicon, Windows, Linux x86-64 and aarch64.

The dependency resolution for each platform and every Python version that requires-python
allows is checked with uv's cross-platform resolver against the package index (PyPI, or the
index that UV_INDEX_URL / UV_DEFAULT_INDEX names), all at once so it takes seconds. Every
package must come as a wheel (--only-binary): a learner's laptop has no compilers.

The index must be reachable: when it is not, these tests fail and say so. Where that is
expected (an offline machine), TFNOTE_TESTS_OFFLINE=1 skips them.

The code paths that differ by platform and cannot run here are forced here instead: image
decoding without `fork` (Windows; macOS's default is spawn) and without sched_getaffinity.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from packaging.specifiers import SpecifierSet
from PIL import Image

from tfnote.data import imagelabel

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
OFFLINE = os.environ.get("TFNOTE_TESTS_OFFLINE") == "1"

# uv's target triple -> (name in messages, the TensorFlow distribution it must get)
PLATFORMS = {
    "aarch64-apple-darwin": ("macOS arm64", "tensorflow"),
    "x86_64-pc-windows-msvc": ("Windows x86-64", "tensorflow-cpu"),
    "x86_64-manylinux_2_28": ("Linux x86-64", "tensorflow-cpu"),
    "aarch64-manylinux_2_28": ("Linux aarch64", "tensorflow"),
}


def supported_pythons() -> list[str]:
    """Every 3.x that requires-python admits (3.11, 3.12, 3.13 for ">=3.11,<3.14")."""
    spec = SpecifierSet(
        tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["requires-python"]
    )
    return [f"3.{minor}" for minor in range(8, 30) if f"3.{minor}" in spec]


PYTHONS = supported_pythons()
CASES = [(triple, python) for triple in PLATFORMS for python in PYTHONS]

# uv's words when it got no answer from the index (as opposed to an unsatisfiable resolution)
NETWORK_ERROR = re.compile(
    r"Failed to fetch|error sending request|tcp connect error|dns error|Could not connect|"
    r"failed to lookup address|operation timed out|Network is unreachable|Connection refused",
    re.IGNORECASE,
)


def uv_command() -> list[str]:
    try:
        from uv import find_uv_bin
    except ImportError:
        pytest.fail("uv is not installed: .venv/bin/pip install -e '.[dev]'")
    return [find_uv_bin()]


def resolve(uv: list[str], triple: str, python: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            *uv,
            "pip",
            "compile",
            str(PYPROJECT),
            # This interpreter runs uv; the target is --python-version. Without it uv searches
            # for a Python of that version (seconds each, through pyenv's shims).
            "--python",
            sys.executable,
            "--python-platform",
            triple,
            "--python-version",
            python,
            "--only-binary",
            ":all:",
            "--no-header",
            "--no-annotate",
            "--quiet",
            "--color",
            "never",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture(scope="module")
def resolutions() -> dict[tuple[str, str], subprocess.CompletedProcess]:
    """Every (platform, Python) resolution, run concurrently; fails once if the index is down."""
    if OFFLINE:
        pytest.skip("TFNOTE_TESTS_OFFLINE=1: the package index is not consulted")
    uv = uv_command()
    with ThreadPoolExecutor(len(CASES)) as pool:
        results = dict(zip(CASES, pool.map(lambda case: resolve(uv, *case), CASES), strict=True))
    unreachable = [r for r in results.values() if r.returncode and NETWORK_ERROR.search(r.stderr)]
    if unreachable:
        pytest.fail(
            "could not reach the package index to resolve the install for other platforms "
            f"({len(unreachable)} of {len(results)} resolutions); uv said:\n"
            f"{unreachable[0].stderr.strip()}\n"
            "On a machine without network access set TFNOTE_TESTS_OFFLINE=1 to skip these tests.",
            pytrace=False,
        )
    return results


def failing_package(stderr: str) -> str:
    """The package uv could not install, from its explanation."""
    for pattern in (r"wheels for `([^`]+)`", r"available for `([^`]+)`", r"Because ([\w.-]+)"):
        if match := re.search(pattern, stderr):
            return match.group(1)
    return "(see uv's output)"


def pinned(output: str) -> dict[str, str]:
    """name -> version of a `uv pip compile` requirements listing."""
    found = {}
    for line in output.splitlines():
        name, sep, version = line.strip().partition("==")
        if sep:
            found[name.split("[")[0].lower()] = version
    return found


@pytest.mark.parametrize(("triple", "python"), CASES, ids=[f"{t}-py{p}" for t, p in CASES])
def test_dependencies_resolve_to_wheels(resolutions, triple, python):
    name, tensorflow = PLATFORMS[triple]
    result = resolutions[triple, python]
    if result.returncode != 0:
        pytest.fail(
            f"{name} ({triple}), Python {python}: {failing_package(result.stderr)} cannot be "
            f"installed from wheels; uv said:\n{result.stderr.strip()}",
            pytrace=False,
        )
    packages = pinned(result.stdout)
    other = "tensorflow" if tensorflow == "tensorflow-cpu" else "tensorflow-cpu"
    assert tensorflow in packages and packages[tensorflow].startswith("2.21."), (
        f"{name}, Python {python}: expected {tensorflow} 2.21, got {packages.get(tensorflow)}"
    )
    assert other not in packages, (
        f"{name}, Python {python}: both tensorflow and tensorflow-cpu would be installed "
        "(they write the same files)"
    )
    assert "keras" in packages and packages["keras"].startswith("3."), (name, python, packages)


def test_every_tensorflow_marker_case_is_covered():
    """The two markers are complements: exactly one TensorFlow build on any platform."""
    from packaging.requirements import Requirement

    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    builds = [r for r in map(Requirement, deps) if r.name in ("tensorflow", "tensorflow-cpu")]
    for sys_platform in ("linux", "win32", "darwin", "freebsd"):
        for machine in ("x86_64", "AMD64", "aarch64", "arm64", "ARM64"):
            env = {"sys_platform": sys_platform, "platform_machine": machine}
            chosen = [r.name for r in builds if r.marker is None or r.marker.evaluate(env)]
            assert len(chosen) == 1, (sys_platform, machine, chosen)
            cpu_build = sys_platform in ("linux", "win32") and machine in ("x86_64", "AMD64")
            assert chosen == ["tensorflow-cpu" if cpu_build else "tensorflow"], env


# --- code paths of the other platforms, forced here ----------------------------------------


def make_images(folder: Path, n: int) -> tuple[Path, Path, list[np.ndarray]]:
    images = folder / "images"
    images.mkdir(parents=True)
    rng = np.random.default_rng(0)
    pixels, lines = [], []
    for i in range(n):
        pixels.append(rng.integers(0, 256, (8, 8), dtype=np.uint8))
        Image.fromarray(pixels[-1]).save(images / f"img_{i}.png")
        lines.append(f"img_{i}.png {i % 3}")
    labels = folder / "labels.txt"
    labels.write_text("\n".join(lines) + "\n")
    return images, labels, pixels


def test_image_decoding_falls_back_to_one_process_without_fork(tmp_path, monkeypatch):
    """Windows has no `fork`: a parallel build decodes in this process instead, same result."""
    monkeypatch.setenv("TFNOTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)  # only `fork` decides here
    n = imagelabel.MIN_PARALLEL + 10
    assert imagelabel.worker_count(n, 2) == 2  # with fork: parallel
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])

    def no_fork(method=None):
        raise ValueError(f"cannot find context for {method!r}")

    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started without fork")

    monkeypatch.setattr(multiprocessing, "get_context", no_fork)
    monkeypatch.setattr(imagelabel, "ProcessPoolExecutor", no_pool)
    assert imagelabel.worker_count(n, 2) == 1
    images, labels, pixels = make_images(tmp_path, n)
    built = imagelabel.build(images, labels, workers=2, cache=tmp_path / "set.npz")
    assert built.workers == 1 and built.x.shape == (n, 8, 8, 1)
    assert all(np.array_equal(built.x[i, ..., 0], pixels[i]) for i in range(n))
    assert built.y.tolist() == [i % 3 for i in range(n)]


def test_worker_count_without_sched_getaffinity(monkeypatch):
    """macOS and Windows have no os.sched_getaffinity: all cores, by os.cpu_count()."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    assert imagelabel.default_workers() == os.cpu_count()
