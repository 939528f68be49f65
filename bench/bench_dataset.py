"""Benchmark: the self-made dataset (class 4) built the course's way and tfnote's way.

The course's generateds() reads the label file and decodes the images one by one with PIL
in a serial loop (convert to L, / 255), then np.save()s the arrays so that later runs can
np.load() them instead. tfnote decodes in parallel processes, checks every entry, and
caches uint8 arrays in one .npz, validated against the sources on every load.

Both build the 7,000-image sample ../shared/data/mnist_image_label (6,000 train + 1,000
test) in the same run; each step is timed best-of-N, alternating, because the machine is
shared. The course's per-line `print('loading : ...')` is left out (it would only slow the
course's side down).

    .venv/bin/python bench/bench_dataset.py [--data DIR] [--repeat 3]

Bars (issue 4): build >= 1.8x faster on 2 cores; loading from the cache >= 20x faster
than decoding.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tfnote.data import imagelabel

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist_image_label"
SPLITS = ("mnist_train_jpg_6000", "mnist_test_jpg_1000")


# --- the course's way (class 4, mnist_train_ex1.py) ---------------------------------------


def generateds(path: str, txt: str):
    """The course's loader, as written there (path ends with a slash)."""
    f = open(txt)  # noqa: SIM115 - the course's code, kept as it is
    contents = f.readlines()
    f.close()
    x, y_ = [], []
    for content in contents:
        value = content.split()
        img_path = path + value[0]
        img = Image.open(img_path)
        img = np.array(img.convert("L"))
        img = img / 255.0
        x.append(img)
        y_.append(value[1])
    x = np.array(x)
    y_ = np.array(y_)
    y_ = y_.astype(np.int64)
    return x, y_


def course_build(data: Path, out: Path) -> None:
    for split in SPLITS:
        x, y = generateds(f"{data / split}/", str(data / f"{split}.txt"))
        np.save(out / f"{split}_x.npy", np.reshape(x, (len(x), -1)))
        np.save(out / f"{split}_y.npy", y)


def course_load(out: Path) -> None:
    for split in SPLITS:
        x = np.load(out / f"{split}_x.npy")
        np.reshape(x, (len(x), 28, 28))
        np.load(out / f"{split}_y.npy")


# --- tfnote's way ----------------------------------------------------------------------------


def tfnote_build(data: Path, cache: Path, rebuild: bool) -> bool:
    """Build (or, with rebuild=False, load) both splits; True when both came from the cache."""
    from_cache = True
    for split in SPLITS:
        built = imagelabel.build(
            data / split, data / f"{split}.txt", cache=cache / f"{split}.npz", rebuild=rebuild
        )
        from_cache &= built.from_cache
    return from_cache


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the decoding workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def best_of(repeat: int, step) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the fastest of `repeat` runs."""
    runs = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), cpu_seconds()
        step()
        runs.append((time.perf_counter() - started, cpu_seconds() - cpu))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cores = imagelabel.default_workers()
    print(f"data: {args.data}  cores: {cores}  load average: {os.getloadavg()[0]:.1f}")
    print("(timings are best-of; CPU counts the decoding processes too. On a busy machine")
    print(" the wall-clock ratio shrinks: parallel workers wait for cores like everyone else)")

    with tempfile.TemporaryDirectory() as tmp:
        course_dir, cache = Path(tmp) / "course", Path(tmp) / "cache"
        course_dir.mkdir()
        tfnote_build(args.data, cache, rebuild=True)  # warm the file cache for both sides
        times = {"course build": [], "tfnote build": [], "course load": [], "tfnote load": []}
        for _ in range(args.repeat):  # alternate, so both see the same machine load
            times["course build"].append(best_of(1, lambda: course_build(args.data, course_dir)))
            times["tfnote build"].append(best_of(1, lambda: tfnote_build(args.data, cache, True)))
            times["course load"].append(best_of(3, lambda: course_load(course_dir)))
            times["tfnote load"].append(best_of(3, lambda: tfnote_build(args.data, cache, False)))
        assert tfnote_build(args.data, cache, rebuild=False), "the cache was not reused"
        x_course = np.load(course_dir / f"{SPLITS[0]}_x.npy")
        x_tfnote = np.load(cache / f"{SPLITS[0]}.npz")["x"]
        assert np.array_equal(np.round(x_course * 255).astype(np.uint8), x_tfnote.reshape(6000, -1))

    best = {k: min(wall for wall, _ in v) for k, v in times.items()}
    for name, runs in times.items():
        walls = ", ".join(f"{wall * 1000:.0f}" for wall, _ in runs)
        cpu = min(cpu for _, cpu in runs)
        print(
            f"{name:13} {best[name] * 1000:8.1f} ms wall  {cpu * 1000:8.1f} ms CPU  (runs: {walls})"
        )
    build_ratio = best["course build"] / best["tfnote build"]
    load_ratio = best["course build"] / best["tfnote load"]
    own_ratio = best["tfnote build"] / best["tfnote load"]
    # Each round ran both sides back to back; the median of the rounds' ratios is steadier
    # than best-of on a machine whose load changes from second to second.
    rounds = [c[0] / t[0] for c, t in zip(times["course build"], times["tfnote build"])]
    print(
        f"build: tfnote {build_ratio:.2f}x faster than the course's serial loop (bar 1.8x); "
        f"median of the rounds {float(np.median(rounds)):.2f}x"
    )
    print(
        f"load from cache (with source check) vs the course's decoding: {load_ratio:.1f}x (bar 20x)"
    )
    print(f"load from cache vs tfnote's own parallel decoding: {own_ratio:.1f}x")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(
        f"(the course's np.load of its float64 .npy files, no source check: "
        f"{best['course load'] * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
