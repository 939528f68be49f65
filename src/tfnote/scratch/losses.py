"""Class 2: loss functions. MSE, the cost-sensitive "yogurt" loss, and cross entropy.

The yogurt story: a shop predicts tomorrow's sales y from two features; the truth is
y_ = x1 + x2 plus noise. If making one yogurt costs COST = 1 and selling one earns
PROFIT = 99, predicting too few loses 99 per missing yogurt but too many loses only 1,
so the loss weighs the two errors differently and the fitted weights lean above 1
(below 1 when the numbers are swapped). With MSE they land near 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfnote import _tf, atomic
from tfnote.scratch import loop
from tfnote.scratch.optimizers import SGD, check_lr


def sales_data(seed: int = 23455) -> tuple[np.ndarray, np.ndarray]:
    """The course's 32 points: x in [0, 1)^2, y_ = x1 + x2 + U(-0.05, 0.05), float32."""
    rdm = np.random.RandomState(seed)
    x = rdm.rand(32, 2)
    y_ = [[x1 + x2 + (rdm.rand() / 10.0 - 0.05)] for (x1, x2) in x]
    return x.astype("float32"), np.array(y_, dtype="float32")


def cost_sensitive_loss(y_true, y_pred, cost: float = 1.0, profit: float = 99.0):
    """sum(where(y > y_, COST * (y - y_), PROFIT * (y_ - y))): over-prediction costs COST
    per unit, under-prediction loses PROFIT per unit."""
    tf, _ = _tf.load()
    return tf.reduce_sum(
        tf.where(tf.greater(y_pred, y_true), cost * (y_pred - y_true), profit * (y_true - y_pred))
    )


def mse(y_true, y_pred):
    """Mean squared error: mean((y_ - y)^2)."""
    tf, _ = _tf.load()
    return tf.reduce_mean(tf.square(y_true - y_pred))


@dataclass
class SalesFit:
    loss_name: str
    w: np.ndarray  # the fitted [w1, w2]; the truth is [1, 1]
    loss: np.ndarray  # loss per epoch
    seconds: float


def fit_sales(
    loss: str = "custom",
    cost: float = 1.0,
    profit: float = 99.0,
    epochs: int | None = None,
    lr: float = 0.002,
) -> SalesFit:
    """Fit y = x @ w1 (w1[2, 1], normal init with seed 1) on the sales data, full batch.

    loss is "mse" (course: 15000 epochs) or "custom" (the cost-sensitive loss, 10000 epochs).
    """
    from tfnote.errors import TfnoteError

    if loss not in ("mse", "custom"):
        raise TfnoteError(f"unknown loss {loss!r}; choose mse or custom")
    if epochs is None:
        epochs = 15000 if loss == "mse" else 10000
    check_lr(lr)
    if cost <= 0 or profit <= 0:
        raise TfnoteError(f"cost and profit must be positive, got {cost} and {profit}")
    tf, _ = _tf.load()
    x, y_ = sales_data()
    w1 = tf.Variable(tf.random.stateless_normal([2, 1], seed=[1, 0]), name="w1")

    def loss_fn(xb, yb):
        y = tf.matmul(xb, w1)
        return mse(yb, y) if loss == "mse" else cost_sensitive_loss(yb, y, cost, profit)

    history = loop.train(loss_fn, [w1], SGD(lr), x, y_, epochs, batch_size=len(x))
    return SalesFit(loss, w1.numpy().ravel(), history.loss, history.seconds)


def cross_entropy(y_true, y_prob):
    """H(y_, y) = -sum(y_ * ln y) over the classes, one value per sample."""
    tf, _ = _tf.load()
    return -tf.reduce_sum(y_true * tf.math.log(y_prob), axis=-1)


def cross_entropy_examples() -> dict:
    """The course's numbers: which prediction is closer to [1, 0], and softmax + CE vs fused.

    Returns the two CE values for [0.6, 0.4] and [0.8, 0.2] (0.511 and 0.223: the smaller
    is the better guess), and for five logit rows: CE of softmax(logits) computed by hand,
    by Keras, and by the fused `tf.nn.softmax_cross_entropy_with_logits`.
    """
    tf, keras = _tf.load()
    target = tf.constant([[1.0, 0.0], [1.0, 0.0]])
    guesses = tf.constant([[0.6, 0.4], [0.8, 0.2]])
    y_ = tf.constant(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]), tf.float32)
    logits = tf.constant(
        [[12, 3, 2], [3, 10, 1], [1, 2, 5], [4, 6.5, 1.2], [3, 6, 1]], dtype=tf.float32
    )
    y_prob = tf.nn.softmax(logits)
    return {
        "two_guesses": cross_entropy(target, guesses).numpy().tolist(),
        "two_guesses_keras": keras.losses.categorical_crossentropy(target, guesses)
        .numpy()
        .tolist(),
        "softmax_then_ce": cross_entropy(y_, y_prob).numpy().tolist(),
        "softmax_then_keras_ce": keras.losses.categorical_crossentropy(y_, y_prob).numpy().tolist(),
        "fused": tf.nn.softmax_cross_entropy_with_logits(y_, logits).numpy().tolist(),
    }


@dataclass
class LossComparison:
    """The yogurt fits under three losses, and the course's cross-entropy numbers."""

    labels: list[str]  # "MSE", "custom COST=1 PROFIT=99", and the swapped one
    fits: list[SalesFit]
    cross_entropy: dict  # what cross_entropy_examples returns

    def report(self) -> dict:
        """What losses.json holds."""
        fits = [
            {
                "loss": label,
                "w": fit.w.tolist(),
                "final_loss": float(fit.loss[-1]),
                "epochs": len(fit.loss),
            }
            for label, fit in zip(self.labels, self.fits)
        ]
        return {"sales_fits": fits, "cross_entropy": self.cross_entropy}

    def lines(self) -> list[str]:
        """The fitted weights of each loss, then the cross-entropy checks, as printed."""
        out = ["yogurt sales, y = x1 + x2 + noise: fitted weights (the truth is 1, 1)"]
        for label, fit in zip(self.labels, self.fits):
            out.append(
                f"  {label:<34} w = [{fit.w[0]:.4f}, {fit.w[1]:.4f}]  "
                f"({len(fit.loss)} epochs, {fit.seconds:.2f} s)"
            )
        ce = self.cross_entropy
        out.append(
            f"cross entropy to [1, 0]: [0.6, 0.4] -> {ce['two_guesses'][0]:.3f}, "
            f"[0.8, 0.2] -> {ce['two_guesses'][1]:.3f}"
        )
        out.append("softmax then CE: " + " ".join(f"{v:.5f}" for v in ce["softmax_then_ce"]))
        out.append("fused op:        " + " ".join(f"{v:.5f}" for v in ce["fused"]))
        return out


def run_losses(
    cost: float = 1.0,
    profit: float = 99.0,
    epochs: int | None = None,
    lr: float = 0.002,
    out: str | Path = "runs/losses",
) -> LossComparison:
    """Fit the sales data with MSE, the cost-sensitive loss, and that loss with COST and
    PROFIT swapped; add the cross-entropy checks; write it all to `out`/losses.json.

    What `tfnote losses` runs.
    """
    result = LossComparison(
        labels=[
            "MSE",
            f"custom COST={cost:g} PROFIT={profit:g}",
            f"custom COST={profit:g} PROFIT={cost:g} (swapped)",
        ],
        fits=[
            fit_sales("mse", epochs=epochs, lr=lr),
            fit_sales("custom", cost, profit, epochs, lr),
            fit_sales("custom", profit, cost, epochs, lr),
        ],
        cross_entropy=cross_entropy_examples(),
    )
    atomic.write_json(Path(out) / "losses.json", result.report())
    plot_weights(result, Path(out) / "weights.png")
    return result


def plot_weights(result: LossComparison, path: str | Path) -> Path:
    """The lesson as a bar chart: each loss's fitted w1, w2 beside the true 1, 1.

    MSE lands on the truth; a loss that charges more for selling too few (PROFIT > COST)
    pushes the predictions, and so the weights, above it; swapped, below it.
    """
    from tfnote import plots

    plt = plots.pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    x = np.arange(len(result.fits))
    for i, name in enumerate(("w1", "w2")):
        values = [float(fit.w[i]) for fit in result.fits]
        bars = ax.bar(x + (i - 0.5) * 0.36, values, width=0.34, label=name)
        ax.bar_label(bars, fmt="%.3f", fontsize=8, padding=2)
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1, label="truth: y = x1 + x2")
    ax.set_xticks(x, [label.replace(" (swapped)", "\n(swapped)") for label in result.labels])
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylabel("fitted weight")
    top = max(float(fit.w.max()) for fit in result.fits)
    ax.set_ylim(0, max(1.2, top * 1.15))
    ax.set_title("yogurt sales: weights fitted under each loss (the truth is 1, 1)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return plots.save(fig, path)
