"""What a run leaves behind, besides checkpoints: weights.txt, curves.png, history, summary.

These work on a live model or on a finished run folder (`tfnote params`, `tfnote curves`).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from tfnote import atomic, plots


def weights_text(model) -> str:
    """The course's parameter dump: for every trainable variable its name, shape and values.

    Values are never abbreviated with "..." (the course set NumPy's print threshold to
    infinity). They are written one row per slice of the last axis, like np.savetxt,
    which is 40x faster than NumPy's bracketed printing for an 11M-parameter ResNet18.
    """
    out = io.StringIO()
    for v in model.trainable_variables:
        values = np.asarray(v.numpy(), dtype=np.float64)
        out.write(f"{v.path}\n{tuple(values.shape)}\n")
        rows = values.reshape(-1, values.shape[-1]) if values.ndim else values.reshape(1, 1)
        np.savetxt(out, rows, fmt="%.8g")
    return out.getvalue()


def write_weights_txt(model, path: Path) -> None:
    atomic.write_text(path, weights_text(model))


SUMMARY_WIDTH = 100  # characters: room for every column, "Param #" included


def summary_text(model) -> str:
    """`model.summary()` as text, every column whole whatever the terminal's width.

    Keras draws the table with rich, whose console takes its width from the terminal
    (or $COLUMNS) and cuts what does not fit, first the "Param #" column: the course's
    lesson that a Dense layer has (inputs + 1) * outputs parameters. So the width is
    fixed while the summary is drawn.
    """
    lines: list[str] = []
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(SUMMARY_WIDTH + 4)
    try:
        model.summary(
            print_fn=lambda line, *args, **kwargs: lines.append(line), line_length=SUMMARY_WIDTH
        )
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    text = "\n".join(lines) + "\n"
    if " Optimizer params:" in text:  # after training Keras adds the optimizer's state in
        # "Total params" (305,312 for p14); the course's total is the model's own 101,770
        total = next(line for line in text.splitlines() if line.startswith(" Total params:"))
        with_optimizer = total.removeprefix(" Total params: ")
        text = text.replace(
            total,
            f" Total params: {model.count_params():,} (with the optimizer's state: "
            f"{with_optimizer})",
        )
    return text


def write_history(history: list[dict], json_path: Path, csv_path: Path) -> None:
    """History as JSON and CSV: one row per epoch; validation cells empty when skipped."""
    atomic.write_json(json_path, history)
    columns: list[str] = []
    for row in history:
        columns += [k for k in row if k not in columns]
    # UTF-8 with LF line endings, like every other file a run writes (csv's default is CRLF).
    with atomic.atomic_open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(history)


def _accuracy_key(history: list[dict]) -> str | None:
    for row in history:
        for key in row:
            if "acc" in key and not key.startswith("val_"):
                return key
    return None


def plot_curves(
    history: list[dict],
    path: Path,
    title: str = "",
    *,
    validation_label: str = "validation",
    best_epoch: int | None = None,
) -> None:
    """The course's figure: accuracy and validation accuracy | loss and validation loss.

    Runs without an accuracy metric (regression) get the loss panel only.
    `validation_label` names the val_ curves: "test" when the run validated on the test
    set (the course's way), "validation" for a held-out part of the training data.
    `best_epoch` (1-based), when given, is marked with a dotted line: the epoch whose
    weights best.weights.h5 holds and `tfnote predict` uses.
    """
    import textwrap

    from matplotlib.ticker import MaxNLocator

    plt = plots.pyplot()

    acc = _accuracy_key(history)
    panels = [(acc, "accuracy")] if acc else []
    panels.append(("loss", "loss"))
    width = 6 * len(panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 4.4), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels):
        for name, style in ((key, "-"), (f"val_{key}", "o-")):
            points = [(r["epoch"], r[name]) for r in history if r.get(name) is not None]
            if points:
                xs, ys = zip(*points)
                prefix = validation_label if name.startswith("val_") else "training"
                ax.plot(xs, ys, style, markersize=3, label=f"{prefix} {label}")
        if best_epoch is not None:
            ax.axvline(
                best_epoch,
                color="gray",
                linestyle=":",
                label=f"best epoch {best_epoch} (weights used by predict)",
            )
        ax.set_title(f"training and {validation_label} {label}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:  # wrapped to the figure's width, so a long preset title is never cut off
        fig.suptitle(textwrap.fill(title, width=int(width * 11)), fontsize=11)
    fig.tight_layout()
    plots.save(fig, path)
