"""Class 2: activation functions and their derivatives.

The derivatives come from GradientTape, not from formulas, so the figure shows what
back-propagation actually multiplies by. Sigmoid's derivative s(x) * (1 - s(x)) is at
most 0.25 (at x = 0): through ten sigmoid layers a gradient shrinks by 0.25^10, about
1e-6, which is the vanishing-gradient problem. ReLU passes gradients through unchanged
where x > 0 but passes nothing where x < 0 (a "dead" unit); Leaky ReLU keeps a small slope.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tfnote import _tf, plots

LEAKY_ALPHA = 0.1  # the slope of Leaky ReLU for x < 0 (the course's figure uses a small one)


def activations() -> dict:
    """name -> function on a tensor: sigmoid, tanh, relu, leaky_relu."""
    tf, _ = _tf.load()
    return {
        "sigmoid": tf.nn.sigmoid,
        "tanh": tf.nn.tanh,
        "relu": tf.nn.relu,
        "leaky_relu": lambda x: tf.nn.leaky_relu(x, alpha=LEAKY_ALPHA),
    }


def values_and_derivatives(
    x: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """(x, {name: (f(x), f'(x))}) on a grid (default -6..6), derivatives by GradientTape."""
    tf, _ = _tf.load()
    if x is None:
        x = np.linspace(-6, 6, 1201, dtype="float32")
    xt = tf.constant(x, tf.float32)
    out = {}
    for name, fn in activations().items():
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = fn(xt)
        out[name] = (y.numpy(), tape.gradient(y, xt).numpy())
    return x, out


def plot_activations(path: str | Path) -> dict:
    """Draw each activation beside its derivative; return the largest derivative of each."""
    x, table = values_and_derivatives()
    plt = plots.pyplot()
    fig, axes = plt.subplots(2, 4, figsize=(13, 5.6), sharex=True)
    for col, (name, (y, dy)) in enumerate(table.items()):
        axes[0, col].plot(x, y, color="tab:blue")
        axes[0, col].set_title(name)
        axes[1, col].plot(x, dy, color="tab:red")
        axes[1, col].set_title(f"{name}'  (max {dy.max():.3g})")
        axes[1, col].set_xlabel("x")
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
            ax.axhline(0, color="gray", lw=0.6)
            ax.axvline(0, color="gray", lw=0.6)
    axes[1, 0].axhline(0.25, color="black", ls="--", lw=0.8)
    axes[1, 0].annotate(
        "0.25", (x[-1], 0.25), xytext=(-2, -12), textcoords="offset points", ha="right"
    )
    axes[0, 0].set_ylabel("f(x)")
    axes[1, 0].set_ylabel("f'(x)  (GradientTape)")
    fig.suptitle("Activation functions (top) and their derivatives (bottom)")
    fig.tight_layout()
    plots.save(fig, path)
    return {name: float(dy.max()) for name, (_, dy) in table.items()}


def run_activations(out: str | Path = "runs/activations") -> dict:
    """Draw `out`/activations.png; return the largest derivative of each function.

    What `tfnote activations` runs.
    """
    return plot_activations(Path(out) / "activations.png")
