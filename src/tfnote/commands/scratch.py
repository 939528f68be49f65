"""Commands of the raw-TensorFlow track (classes 1 and 2): everything written by hand.

    tfnote backprop          gradient descent on loss = (w + 1)^2, printing each step
    tfnote lr-decay          the same with an exponentially decaying learning rate
    tfnote iris-scratch      the iris classifier from tensors and GradientTape
    tfnote optimizers        the five hand-written optimizers compared on iris
    tfnote losses            MSE vs the cost-sensitive loss; cross entropy checks
    tfnote activations       activation functions and their derivatives
    tfnote regularization    a 2-11-1 net on dot.csv without and with L2

Each command parses its options and calls one `run_*` function of tfnote.scratch, which
trains and writes the files into --out (default runs/<command>); a notebook can call the
same functions. TensorFlow is imported inside the command functions only, so
`tfnote --help` stays instant.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tfnote.commands.flags import (
    finite_float,
    nonnegative_float,
    positive_float,
    positive_int,
    seed,
)
from tfnote.errors import TfnoteError
from tfnote.outputs import check_writable_dir


def register(sub: argparse._SubParsersAction) -> None:
    """Add this group's sub-commands to the `tfnote` parser."""
    p = sub.add_parser("backprop", help="gradient descent on loss=(w+1)^2, each step printed")
    _descent_options(p, decay=False)
    p.set_defaults(func=cmd_descent, command_name="backprop")

    p = sub.add_parser("lr-decay", help="the back-prop demo with exponential learning-rate decay")
    _descent_options(p, decay=True)
    p.set_defaults(func=cmd_descent, command_name="lr-decay")

    p = sub.add_parser("iris-scratch", help="iris from scratch: w1[4,3], b1[3], GradientTape")
    p.add_argument("--optimizer", default="sgd", help="sgd, sgdm, adagrad, rmsprop or adam")
    _train_options(p, lr=0.1, epochs=500)
    p.add_argument("--safe", action="store_true", help="add epsilon 1e-7 to the divisions")
    p.set_defaults(func=cmd_iris, command_name="iris-scratch")

    p = sub.add_parser("optimizers", help="compare the five hand-written optimizers on iris")
    p.add_argument("--only", default="all", help="comma-separated subset (default: all five)")
    p.add_argument(
        "--lr", type=positive_float, help="one setting of your own instead of the course's two"
    )
    p.add_argument("--epochs", type=positive_int, help="with --lr: epochs of that setting")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--safe", action="store_true", help="add epsilon 1e-7 to the divisions")
    p.add_argument("--out", help="output folder (default: runs/optimizers)")
    p.set_defaults(func=cmd_optimizers, command_name="optimizers")

    p = sub.add_parser("losses", help="MSE vs the cost-sensitive loss; cross entropy checks")
    p.add_argument("--cost", type=positive_float, default=1.0, help="loss per yogurt made too many")
    p.add_argument(
        "--profit", type=positive_float, default=99.0, help="profit lost per yogurt too few"
    )
    p.add_argument("--lr", type=positive_float, default=0.002)
    p.add_argument("--epochs", type=positive_int, help="default: 15000 for MSE, 10000 for custom")
    p.add_argument("--out", help="output folder (default: runs/losses)")
    p.set_defaults(func=cmd_losses, command_name="losses")

    p = sub.add_parser("activations", help="sigmoid, tanh, ReLU, Leaky ReLU and derivatives")
    p.add_argument("--out", help="output folder (default: runs/activations)")
    p.set_defaults(func=cmd_activations, command_name="activations")

    p = sub.add_parser("regularization", help="2-11-1 net without and with L2, boundaries drawn")
    p.add_argument(
        "--data", help="CSV of points (default: dot.csv here, in $TFNOTE_DATA or the Keras cache)"
    )
    p.add_argument("--features", default="x1,x2", help="the two feature columns")
    p.add_argument("--label", default="y_c", help="the 0/1 label column")
    p.add_argument("--l2", type=nonnegative_float, default=0.03, help="L2 factor of the second run")
    _train_options(p, lr=0.01, epochs=400)
    p.add_argument("--seed", type=seed, default=1, help="seed of the initial weights")
    p.set_defaults(func=cmd_regularization, command_name="regularization")


def _descent_options(p: argparse.ArgumentParser, decay: bool) -> None:
    p.add_argument("--w0", type=finite_float, default=5.0, help="starting weight")
    p.add_argument("--lr", type=positive_float, default=0.2, help="(initial) learning rate")
    p.add_argument("--steps", type=positive_int, default=40)
    if decay:
        p.add_argument(
            "--decay", type=positive_float, default=0.99, help="lr = lr0 * decay^(step/N)"
        )
        p.add_argument("--decay-steps", type=positive_int, default=1, help="N in the formula above")
    p.add_argument("--out", help="output folder (default: runs/<command>)")


def _train_options(p: argparse.ArgumentParser, lr: float, epochs: int) -> None:
    p.add_argument("--lr", type=positive_float, default=lr, help=f"learning rate (default {lr})")
    p.add_argument("--epochs", type=positive_int, default=epochs, help=f"default {epochs}")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--out", help="output folder (default: runs/<command>)")


def _out(args) -> Path:
    return check_writable_dir(args.out or Path("runs") / args.command_name)


def cmd_descent(args) -> int:
    from tfnote.scratch.backprop import run_descent

    decay = getattr(args, "decay", 1.0)  # lr-decay has --decay and --decay-steps
    decay_steps = getattr(args, "decay_steps", 1)
    out = _out(args)
    result = run_descent(args.w0, args.lr, args.steps, decay, decay_steps, out=out)
    print("\n".join(result.lines(show_lr=decay != 1.0)))
    print(f"wrote {out}/steps.csv and {out}/descent.png")
    return 0


def cmd_iris(args) -> int:
    from tfnote.scratch.iris import run_iris

    out = _out(args)
    result = run_iris(args.optimizer, args.lr, args.epochs, args.batch_size, args.safe, out=out)
    print("\n".join(result.lines()))
    print(
        f"total time: {result.seconds:.3f} s; wrote {out}/ (history.csv, loss.png, "
        "accuracy.png, metrics.json, weights.txt)"
    )
    return 0


def cmd_optimizers(args) -> int:
    from tfnote.scratch.compare import COURSE_SETTINGS, any_nan, markdown_table, run_comparison

    if (args.lr is None) != (args.epochs is None):
        raise TfnoteError("give --lr and --epochs together (one setting of your own)")
    settings = COURSE_SETTINGS if args.lr is None else ((args.lr, args.epochs),)
    out = _out(args)
    rows = run_comparison(args.only, settings, args.batch_size, args.safe, out=out)
    print(markdown_table(rows), end="")
    if any_nan(rows):
        print("(nan: the course's form divided 0 by 0; --safe adds epsilon 1e-7)")
    print(f"wrote {out}/ (results.csv, results.md, loss_*.png, accuracy_*.png)")
    return 0


def cmd_losses(args) -> int:
    from tfnote.scratch.losses import run_losses

    out = _out(args)
    result = run_losses(args.cost, args.profit, args.epochs, args.lr, out=out)
    print("\n".join(result.lines()))
    print(f"wrote {out}/losses.json and {out}/weights.png")
    return 0


def cmd_activations(args) -> int:
    from tfnote.scratch.activations import run_activations

    out = _out(args)
    peaks = run_activations(out)
    for name, peak in peaks.items():
        print(f"  max {name}'(x) = {peak:.4f}")
    print(f"sigmoid's derivative never exceeds 0.25; wrote {out}/activations.png")
    return 0


def cmd_regularization(args) -> int:
    from tfnote.scratch.regularization import run_regularization

    features = tuple(c.strip() for c in args.features.split(","))
    out = _out(args)
    fits = run_regularization(
        args.data,
        features,
        args.label,
        l2=args.l2,
        lr=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        out=out,
    )
    for f in fits:
        term = f", L2 term {f.penalty():.4f} included" if f.l2 else ""
        print(f"l2 {f.l2:g}: final loss {f.loss[-1]:.4f}{term} ({f.seconds:.2f} s)")
    print(f"wrote {out}/boundaries.png and {out}/metrics.json")
    return 0
