"""Shared test fixtures: where the real data lives, and a CLI runner.

Tests read the real datasets from ../shared/data (beside the repository), or from the
folder named by TFNOTE_SHARED_DATA. Nothing is downloaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TFNOTE_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "mnist.npz").is_file():
        pytest.fail(f"the shared test data is missing: {SHARED_DATA} (set TFNOTE_SHARED_DATA)")
    return SHARED_DATA


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600, env: dict | None = None):
    """Run `python -m tfnote ARGS` in a child process; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "tfnote", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def cli():
    return run_cli
