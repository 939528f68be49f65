"""The course's own published results, in one place, keyed by preset (or program) name.

They come from the course's result tables (see COURSE.md, "The course's published
results"); `tfnote runs`, `tfnote report` and `tfnote course` show them beside ours.

    >>> from tfnote.course_results import published
    >>> published("cifar10-vgg16").text
    'validation accuracy 0.6690 after 5 epochs (batch 32)'
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Published:
    """One published number: which score, its value (or range), and how the course said it."""

    metric: str  # "accuracy" (higher is better) or "rmse" (lower is better)
    value: float  # the number; for a range, its middle
    text: str  # as shown beside ours
    low: float | None = None  # a range ("about 0.975-0.98")
    high: float | None = None
    extra: dict = field(default_factory=dict)  # other scores of the same run (MSE, MAE)
    about: bool = False  # the course gave a rough number ("about 0.88")

    def short(self) -> str:
        """The number alone, for a table cell."""
        if self.low is not None and self.high is not None and self.low != self.high:
            return f"{self.low:g}-{self.high:g}"
        if self.about:
            return f"~{self.value:g}"
        return f"{self.value:.4f}" if self.metric == "accuracy" else f"{self.value:.2f}"


def _cifar(value: float, batch: int = 32) -> Published:
    return Published(
        "accuracy", value, f"validation accuracy {value:.4f} after 5 epochs (batch {batch})"
    )


def _stock(mse: float, rmse: float, mae: float) -> Published:
    return Published(
        "rmse",
        rmse,
        f"RMSE {rmse:.2f}, MSE {mse:.2f}, MAE {mae:.2f} (last 240 test days)",
        extra={"mse": mse, "mae": mae},
    )


_MNIST = Published("accuracy", 0.9775, "test accuracy about 0.975-0.98", low=0.975, high=0.98)
_FASHION = Published("accuracy", 0.88, "test accuracy about 0.88", about=True)

PUBLISHED: dict[str, Published] = {
    # class 1: the iris classifier from scratch
    "iris-scratch": Published("accuracy", 1.0, "test accuracy 1.0 after 500 epochs"),
    # class 3 (and class 4, which trains the same networks)
    "mnist": _MNIST,
    "mnist-subclass": _MNIST,
    "fashion": _FASHION,
    "fashion-subclass": _FASHION,
    # class 5: CIFAR-10 after 5 epochs
    "cifar10-baseline": _cifar(0.4177),
    "cifar10-lenet5": _cifar(0.4832),
    "cifar10-alexnet8": _cifar(0.6194),
    "cifar10-vgg16": _cifar(0.6690),
    "cifar10-inception10": _cifar(0.4453, batch=1024),
    "cifar10-resnet18": _cifar(0.6276, batch=128),
    # class 6: Moutai's opening price
    "stock-simplernn": _stock(4064.36, 63.75, 59.36),
    "stock-lstm": _stock(3083.84, 55.53, 49.04),
    "stock-gru": _stock(1742.81, 41.75, 36.35),
}

# Class 2's optimizer comparison: learners' filled-in templates, iris, lr 0.1, 500 epochs.
OPTIMIZER_SECONDS = (4.9, 43.8)


def published(name: str | None) -> Published | None:
    """The course's number for preset (or program) `name`, or None when it published none."""
    return PUBLISHED.get(name or "")
