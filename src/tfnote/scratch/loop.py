"""The training loop of the raw-TensorFlow track, compiled once into one TensorFlow graph.

The course writes the loop in Python: `for epoch ...: for batch in dataset: GradientTape,
assign_sub`. Every TensorFlow op then runs one by one from Python, which is what makes
the class-1 iris program take about ten seconds. Here the very same steps (forward pass
under a GradientTape, gradients, the optimizer's update) sit inside one `tf.function`
that runs all epochs and batches with `tf.while_loop`, so TensorFlow builds the graph
once (the "tracing") and then runs the whole training without returning to Python:
about 0.2-0.5 s instead of 10-30 s for the iris program (bench/bench_scratch.py).

XLA (`jit_compile=True`) was measured and left off: it runs the 500 iris epochs in about
10 ms, but compiling takes 0.6-2 s on a 2-core CPU, far more than it saves here.

Batches are cut like `Dataset.batch(batch_size)`: in order, the last one may be smaller.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tfnote import _tf
from tfnote.errors import TfnoteError


@dataclass
class History:
    """What a compiled run returns: one loss (and one score) per epoch, and its wall time."""

    loss: np.ndarray  # mean of the batch losses of each epoch, as the course prints it
    score: np.ndarray | None  # e.g. test accuracy after each epoch, when asked for
    seconds: float  # wall time of the whole run, graph tracing included


def check_epochs(epochs: int) -> None:
    if int(epochs) != epochs or epochs < 1:
        raise TfnoteError(f"epochs must be a whole number of at least 1, got {epochs}")


def train(
    loss_fn: Callable,
    variables: list,
    optimizer,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    batch_size: int,
    evaluate: Callable | None = None,
) -> History:
    """Train `variables` to lower `loss_fn(x_batch, y_batch)` for `epochs` epochs.

    `optimizer` is one of tfnote.scratch.optimizers (anything with build/apply);
    `evaluate()` (optional) returns a scalar tensor computed after each epoch.
    """
    check_epochs(epochs)
    if batch_size < 1:
        raise TfnoteError(f"batch size must be at least 1, got {batch_size}")
    tf, _ = _tf.load()
    start = time.perf_counter()
    optimizer.build(variables)

    x = tf.constant(x, tf.float32)
    y = tf.constant(y)
    n_full = len(x) // batch_size  # full batches, stacked so a graph loop can index them
    cut = n_full * batch_size
    full_x = tf.reshape(x[:cut], [n_full, batch_size, *x.shape[1:]])
    full_y = tf.reshape(y[:cut], [n_full, batch_size, *y.shape[1:]])
    rest_x, rest_y = x[cut:], y[cut:]  # the smaller last batch (may be empty)
    n_batches = n_full + (1 if len(rest_x) else 0)

    def step(x_batch, y_batch):
        with tf.GradientTape() as tape:
            loss = loss_fn(x_batch, y_batch)
        grads = tape.gradient(loss, variables)
        optimizer.apply(grads, variables)
        return loss

    def one_epoch(epoch, losses, scores):
        # A graph loop over the full batches, then the smaller last batch, if any.
        _, total = tf.while_loop(
            lambda i, total: i < n_full,
            lambda i, total: (i + 1, total + step(tf.gather(full_x, i), tf.gather(full_y, i))),
            (tf.constant(0), tf.constant(0.0)),
        )
        if n_batches > n_full:
            total += step(rest_x, rest_y)
        losses = losses.write(epoch, total / n_batches)
        score = evaluate() if evaluate is not None else 0.0
        scores = scores.write(epoch, tf.cast(score, tf.float32))
        return epoch + 1, losses, scores

    # autograph=False: the loops are written as tf.while_loop already, and skipping
    # AutoGraph's source-code conversion makes tracing several times cheaper.
    @tf.function(autograph=False)
    def run_all_epochs():
        losses = tf.TensorArray(tf.float32, size=epochs)
        scores = tf.TensorArray(tf.float32, size=epochs)
        _, losses, scores = tf.while_loop(
            lambda epoch, losses, scores: epoch < epochs,
            one_epoch,
            (tf.constant(0), losses, scores),
        )
        return losses.stack(), scores.stack()

    # Each call builds a fresh graph on purpose (new variables); skip TF's retracing advice.
    run_all_epochs._omit_frequent_tracing_warning = True
    with _fast_executor(tf):
        losses, scores = run_all_epochs()
    losses = losses.numpy()
    scores = scores.numpy() if evaluate is not None else None
    return History(losses, scores, time.perf_counter() - start)


def _fast_executor(tf):
    """Run (and trace) the graph with TensorFlow's single-threaded executor on CPU.

    Our graphs are thousands of tiny ops in a row (a 4x3 matmul per step). The default
    executor hands ops to a thread pool and lowers while loops to low-level control flow;
    the single-threaded one runs each op in place and keeps `tf.while_loop` whole, which
    made the iris loop about 5x faster on a 2-core machine. It is selected through a
    private TensorFlow switch, so any other TensorFlow (or a visible GPU) simply gets
    the default executor.
    """
    try:
        from tensorflow.python.eager import context
    except ImportError:  # pragma: no cover - a TensorFlow without this module
        return contextlib.nullcontext()
    if not hasattr(context, "function_executor_type") or tf.config.list_logical_devices("GPU"):
        return contextlib.nullcontext()
    return context.function_executor_type("SINGLE_THREADED_EXECUTOR")
