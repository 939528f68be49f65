"""Class 2: the optimizer comparison template. Every optimizer trains the iris network from
the same start on the same batches, and their loss and accuracy curves share one figure.

The course runs the template twice: lr 0.1 for 500 epochs and lr 0.01 for 100 epochs
(COURSE_SETTINGS). In the course's form Adagrad, RMSProp and Adam divide by sqrt(v) with no
epsilon, so a gradient that is exactly 0 can turn the loss into nan (0/0); the legend
names the epoch where that happened, and `safe=True` adds epsilon 1e-7 as Keras does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from tfnote import atomic, plots
from tfnote.scratch.iris import IrisResult, train_iris
from tfnote.scratch.loop import check_epochs
from tfnote.scratch.optimizers import check_lr, parse_names

# The two settings of the course's optimizer comparison template: (lr, epochs).
COURSE_SETTINGS = ((0.1, 500), (0.01, 100))


def compare_optimizers(
    names: list[str], lr: float, epochs: int, batch_size: int = 32, safe: bool = False
) -> list[IrisResult]:
    """The course's comparison template: each optimizer on the same data and start."""
    return [train_iris(name, lr, epochs, batch_size, safe) for name in names]


def run_comparison(
    names: str | Sequence[str] = "all",
    settings: Sequence[tuple[float, int]] = COURSE_SETTINGS,
    batch_size: int = 32,
    safe: bool = False,
    out: str | Path = "runs/optimizers",
) -> list[dict]:
    """Compare the optimizers `names` ("all", "sgd,adam" or a list) for each (lr, epochs).

    Writes into `out`, per setting, loss_lr<lr>_epochs<epochs>.png and accuracy_....png, then
    results.csv and results.md (one row per setting and optimizer). Returns those rows.
    What `tfnote optimizers` runs.
    """
    names = parse_names(names if isinstance(names, str) else ",".join(names))
    for lr, epochs in settings:  # check every setting before the first one trains
        check_lr(lr)
        check_epochs(epochs)
    out = Path(out)
    rows = []
    for lr, epochs in settings:
        results = compare_optimizers(names, lr, epochs, batch_size, safe)
        plot_comparison(results, f"iris, lr {lr:g}, {epochs} epochs, batch {batch_size}", out)
        rows += [result_row(r) for r in results]
    atomic.write_csv(out / "results.csv", rows)
    atomic.write_text(out / "results.md", markdown_table(rows))
    return rows


def plot_comparison(results: list[IrisResult], title: str, out: Path) -> None:
    """The loss curves and the accuracy curves of one setting, one line per optimizer.

    RMSProp's loss and accuracy jump up and down for its first ~80 epochs at lr 0.1; drawn
    together, its band covered three other optimizers. So the loss axis is logarithmic
    (the curves part where the losses are small) and the jumpiest curve is drawn first,
    under the others; the accuracies get one panel per optimizer on the same axes.
    """
    tag = f"lr{results[0].lr:g}_epochs{results[0].epochs}"
    plt = plots.pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for r in sorted(results, key=_jumpiness, reverse=True):
        ax.plot(range(1, len(r.loss) + 1), r.loss, label=_legend(r), color=_color(r, results))
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")  # 0.03, not 3 x 10^-2
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (log scale)")
    ax.set_title(f"Loss curves: {title}", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    handles, labels = ax.get_legend_handles_labels()
    order = [labels.index(_legend(r)) for r in results]  # the legend in the course's order
    ax.legend([handles[i] for i in order], [labels[i] for i in order])
    plots.save(fig, out / f"loss_{tag}.png")

    fig, axes = plt.subplots(
        1, len(results), figsize=(2.4 * len(results) + 0.6, 3.0), sharey=True, squeeze=False
    )
    for ax, r in zip(axes[0], results):
        ax.plot(range(1, len(r.test_accuracy) + 1), r.test_accuracy, color=_color(r, results))
        ax.set_title(f"{r.optimizer}: {r.test_accuracy[-1]:.2f} at the end", fontsize=9)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy")
    fig.suptitle(f"Accuracy curves: {title}", fontsize=10)
    fig.tight_layout()
    plots.save(fig, out / f"accuracy_{tag}.png")


def _jumpiness(result: IrisResult) -> float:
    """How much a loss curve goes up and down: the sum of its rises."""
    import numpy as np

    loss = np.nan_to_num(np.asarray(result.loss, dtype=float))
    return float(np.clip(np.diff(loss), 0, None).sum())


def _color(result: IrisResult, results: list[IrisResult]) -> str:
    """The same color for an optimizer in both figures (matplotlib's default cycle)."""
    return f"C{results.index(result)}"


def result_row(result: IrisResult) -> dict:
    """One row of results.csv: the setting, the optimizer and its final numbers."""
    return {
        "lr": result.lr,
        "epochs": result.epochs,
        "optimizer": result.optimizer,
        "final_loss": float(result.loss[-1]),
        "test_accuracy": float(result.test_accuracy[-1]),
        "seconds": round(result.seconds, 4),
    }


def markdown_table(rows: list[dict]) -> str:
    """The rows of `run_comparison` as a Markdown table (results.md)."""
    lines = [
        "| lr | epochs | optimizer | final loss | test accuracy | time (s) |",
        "|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['lr']:g} | {r['epochs']} | {r['optimizer']} | {r['final_loss']:.5f} "
            f"| {r['test_accuracy']:.4f} | {r['seconds']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def any_nan(rows: list[dict]) -> bool:
    """Whether some optimizer's final loss is nan (the course's form divided 0 by 0)."""
    return any(math.isnan(r["final_loss"]) for r in rows)


def _legend(result: IrisResult) -> str:
    """The legend name, noting where the loss turned into nan (the course's 0/0)."""
    bad = (result.loss != result.loss).nonzero()[0]
    return f"{result.optimizer} (nan from epoch {bad[0] + 1})" if len(bad) else result.optimizer
