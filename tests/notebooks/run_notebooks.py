"""Execute every course notebook top to bottom, as `make test` does after the unit suite.

    TFNOTE_DATA=../shared/data python tests/notebooks/run_notebooks.py
    python tests/notebooks/run_notebooks.py notebooks/class1_tensors.ipynb --out /tmp/executed
    python tests/notebooks/run_notebooks.py --full      # the learners' setting (much longer)

Each notebook runs in a fresh kernel, in a scratch folder (its runs/ and drawings go
there), with TFNOTE_QUICK=1 unless --full. The executed copies are written to --out (a
temporary folder by default), never over the committed notebooks. It fails when a cell
raises, when a notebook shows no figure (no image output), or when all of them together
take longer than --budget seconds (the issue's 6 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[2]


def images(notebook: nbformat.NotebookNode) -> int:
    """How many figures (PNG or SVG outputs) the executed notebook shows."""
    return sum(
        1
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if {"image/png", "image/svg+xml"} & set(output.get("data", {}))
    )


TF_NOISE = re.compile(r"oneDNN|cpu_feature_guard|absl::")  # what tfnote.notebook hides


def noise(notebook: nbformat.NotebookNode) -> list[str]:
    """TensorFlow's C++ start-up lines that reached a cell's output (a learner sees them)."""
    return [
        line
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("name") == "stderr"
        for line in output.get("text", "").splitlines()
        if TF_NOISE.search(line)
    ]


def execute(path: Path, out: Path, cell_timeout: int) -> tuple[float, int, list[str]]:
    """Run one notebook in a scratch folder; write the executed copy to `out`."""
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix=f"{path.stem}-") as scratch:
        start = time.perf_counter()
        client = NotebookClient(
            notebook,
            timeout=cell_timeout,
            kernel_name="python3",
            resources={"metadata": {"path": scratch}},
        )
        try:
            client.execute()
        finally:
            nbformat.write(notebook, out / path.name)
        return time.perf_counter() - start, images(notebook), noise(notebook)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument(
        "--out", type=Path, help="where the executed copies go (default: a temp folder)"
    )
    parser.add_argument(
        "--full", action="store_true", help="the learners' setting, not TFNOTE_QUICK=1"
    )
    parser.add_argument(
        "--budget", type=float, default=360.0, help="seconds for all (default: 360)"
    )
    parser.add_argument(
        "--cell-timeout", type=int, default=600, help="seconds per cell (default: 600)"
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    # TensorFlow's C++ start-up lines go to the kernels' stderr, which is this log: keep it short.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.full:
        os.environ.pop("TFNOTE_QUICK", None)
    else:
        os.environ["TFNOTE_QUICK"] = "1"
    # Relative data folders (TFNOTE_DATA=../shared/data) must not depend on the scratch cwd.
    if os.environ.get("TFNOTE_DATA"):
        os.environ["TFNOTE_DATA"] = str(Path(os.environ["TFNOTE_DATA"]).resolve())
    out = args.out or Path(tempfile.mkdtemp(prefix="tfnote-notebooks-"))
    out.mkdir(parents=True, exist_ok=True)
    setting = "full" if args.full else "quick (TFNOTE_QUICK=1)"
    print(
        f"executing {len(paths)} notebooks, {setting}, data: {os.environ.get('TFNOTE_DATA', '-')}"
    )
    failures, total = [], 0.0
    for path in paths:
        try:
            seconds, figures, noisy = execute(path, out, args.cell_timeout)
        except CellExecutionError as e:
            failures.append(f"{path.name}: a cell failed:\n{e}")
            print(f"  {path.name:34} FAILED (executed copy: {out / path.name})")
            continue
        total += seconds
        print(f"  {path.name:34} {seconds:6.1f} s  {figures:2d} figures")
        if figures == 0:
            failures.append(f"{path.name}: no figure in the outputs")
        if noisy:
            failures.append(f"{path.name}: TensorFlow's C++ log lines in a cell: {noisy[0]}")
    print(f"all: {total:.1f} s (budget {args.budget:.0f} s); executed copies in {out}")
    if total > args.budget:
        failures.append(f"the notebooks took {total:.0f} s, over the budget of {args.budget:.0f} s")
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
