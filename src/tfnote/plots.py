"""The one plotting helper: matplotlib on the Agg backend (no display) and atomic PNG writes."""

from __future__ import annotations

from pathlib import Path

from tfnote import atomic


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only, no display needed).

    Inside a Jupyter or Colab kernel the notebook's inline backend is kept: switching it
    to Agg would stop every later figure of the notebook from showing.
    """
    import sys

    import matplotlib

    if "ipykernel" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: str | Path) -> Path:
    """Write `fig` to `path` as PNG, atomically, and close it."""
    path = Path(path)
    with atomic.atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return path


def curves(series: dict, ylabel: str, title: str, path: str | Path, ylim=None) -> Path:
    """One line per name in `series` (name -> values per epoch)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, values in series.items():
        ax.plot(range(1, len(values) + 1), values, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ylim:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend()
    return save(fig, path)
