"""Atomic file writes: a reader (or a resumed run) never sees a half-written file.

Each helper writes to a temporary file in the target's folder, flushes it to disk and then
renames it over the target with os.replace, which is atomic on POSIX file systems.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` atomically.

    `suffix` keeps writers that check the extension (Keras wants `.weights.h5`) happy.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A hidden name in the same folder, so os.replace never crosses a file system.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a file for writing that appears at `path` only once it is complete."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as f:
        yield f


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_json(path: str | os.PathLike, data: Any) -> None:
    """`data` as JSON; NaN and infinities become null (bare NaN is not JSON: readers fail)."""
    text = json.dumps(finite(data), indent=2, sort_keys=False, allow_nan=False)
    write_text(path, text + "\n")


def finite(data: Any) -> Any:
    """`data` with every non-finite float (NaN, inf, also NumPy's) replaced by None."""
    if isinstance(data, float):  # np.float64 is a float too
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite(v) for v in data]
    if hasattr(data, "dtype") and hasattr(data, "item") and getattr(data, "ndim", 1) == 0:
        return finite(data.item())  # a NumPy scalar such as np.float32
    return data


def write_csv(path: str | os.PathLike, rows: list[dict]) -> None:
    """One CSV row per dict, the first dict's keys as the header."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def save_weights(model: Any, path: str | os.PathLike) -> None:
    """model.save_weights, atomically (Keras itself writes the HDF5 file in place)."""
    with atomic_path(path, suffix=".weights.h5") as tmp:
        model.save_weights(tmp)
