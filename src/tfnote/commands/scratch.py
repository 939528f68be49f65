"""Commands of the raw-TensorFlow track (classes 1 and 2): everything written by hand.

    tfnote backprop          gradient descent on loss = (w + 1)^2, printing each step
    tfnote lr-decay          the same with an exponentially decaying learning rate
    tfnote iris-scratch      the iris classifier from tensors and GradientTape
    tfnote optimizers        the five hand-written optimizers compared on iris
    tfnote losses            MSE vs the cost-sensitive loss; cross entropy checks
    tfnote activations       activation functions and their derivatives
    tfnote regularization    a 2-11-1 net on dot.csv without and with L2

Each writes into --out (default runs/<command>). TensorFlow is imported inside the
command functions only, so `tfnote --help` stays instant.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
from pathlib import Path

from tfnote.errors import TfnoteError


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
    p.set_defaults(func=cmd_iris, command_name="iris-scratch")

    p = sub.add_parser("optimizers", help="compare the five hand-written optimizers on iris")
    p.add_argument("--only", default="all", help="comma-separated subset (default: all five)")
    p.add_argument("--lr", type=float, help="one setting of your own instead of the course's two")
    p.add_argument("--epochs", type=int, help="with --lr: epochs of that setting")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--safe", action="store_true", help="add epsilon 1e-7 to the divisions")
    p.add_argument("--out", help="output folder (default: runs/optimizers)")
    p.set_defaults(func=cmd_optimizers, command_name="optimizers")

    p = sub.add_parser("losses", help="MSE vs the cost-sensitive loss; cross entropy checks")
    p.add_argument("--cost", type=float, default=1.0, help="loss per yogurt made too many")
    p.add_argument("--profit", type=float, default=99.0, help="profit lost per yogurt too few")
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--epochs", type=int, help="default: 15000 for MSE, 10000 for custom")
    p.add_argument("--out", help="output folder (default: runs/losses)")
    p.set_defaults(func=cmd_losses, command_name="losses")

    p = sub.add_parser("activations", help="sigmoid, tanh, ReLU, Leaky ReLU and derivatives")
    p.add_argument("--out", help="output folder (default: runs/activations)")
    p.set_defaults(func=cmd_activations, command_name="activations")

    p = sub.add_parser("regularization", help="2-11-1 net without and with L2, boundaries drawn")
    p.add_argument("--data", help="CSV of points (default: dot.csv here or in $TFNOTE_DATA)")
    p.add_argument("--features", default="x1,x2", help="the two feature columns")
    p.add_argument("--label", default="y_c", help="the 0/1 label column")
    p.add_argument("--l2", type=float, default=0.03, help="L2 factor of the second run")
    _train_options(p, lr=0.01, epochs=400)
    p.add_argument("--seed", type=int, default=1, help="seed of the initial weights")
    p.set_defaults(func=cmd_regularization, command_name="regularization")


def _descent_options(p: argparse.ArgumentParser, decay: bool) -> None:
    p.add_argument("--w0", type=float, default=5.0, help="starting weight")
    p.add_argument("--lr", type=float, default=0.2, help="(initial) learning rate")
    p.add_argument("--steps", type=int, default=40)
    if decay:
        p.add_argument("--decay", type=float, default=0.99, help="lr = lr0 * decay^(step/N)")
        p.add_argument("--decay-steps", type=int, default=1, help="N in the formula above")
    p.add_argument("--out", help="output folder (default: runs/<command>)")


def _train_options(p: argparse.ArgumentParser, lr: float, epochs: int) -> None:
    p.add_argument("--lr", type=float, default=lr, help=f"learning rate (default {lr})")
    p.add_argument("--epochs", type=int, default=epochs, help=f"default {epochs}")
    p.add_argument("--batch-size", type=int, default=32)
    if "--safe" not in p._option_string_actions:
        p.add_argument("--safe", action="store_true", help="add epsilon 1e-7 to the divisions")
    p.add_argument("--out", help="output folder (default: runs/<command>)")


def _out(args) -> Path:
    return Path(args.out or Path("runs") / args.command_name)


def _write_csv(path: Path, rows: list[dict]) -> None:
    from tfnote import atomic

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic.write_text(path, text.getvalue())


def cmd_descent(args) -> int:
    from tfnote import plots
    from tfnote.scratch.backprop import descend

    decay = getattr(args, "decay", 1.0)
    result = descend(args.w0, args.lr, args.steps, decay, getattr(args, "decay_steps", 1))
    print("\n".join(result.lines(show_lr=decay != 1.0)))
    out = _out(args)
    _write_csv(out / "steps.csv", result.rows())
    plt = plots.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(result.w, "o-", ms=3)
    axes[0].axhline(-1, color="gray", ls="--", lw=0.8)
    axes[0].set(title="w after each step (minimum at -1)", xlabel="step", ylabel="w")
    axes[1].semilogy(result.loss, "o-", ms=3, color="tab:red")
    axes[1].set(title="loss = (w + 1)^2", xlabel="step", ylabel="loss (log scale)")
    if decay != 1.0:
        twin = axes[0].twinx()
        twin.plot(result.lr, color="tab:green", lw=1)
        twin.set_ylabel("learning rate", color="tab:green")
    fig.tight_layout()
    plots.save(fig, out / "descent.png")
    print(f"wrote {out}/steps.csv and {out}/descent.png")
    return 0


def cmd_iris(args) -> int:
    from tfnote import atomic, plots
    from tfnote.scratch.iris import train_iris

    r = train_iris(args.optimizer, args.lr, args.epochs, args.batch_size, args.safe)
    out = _out(args)
    rows = [
        {"epoch": i + 1, "loss": float(loss), "test_accuracy": float(acc)}
        for i, (loss, acc) in enumerate(zip(r.loss, r.test_accuracy))
    ]
    _write_csv(out / "history.csv", rows)
    plots.curves({"training loss": r.loss}, "loss", "Loss Function Curve", out / "loss.png")
    plots.curves(
        {"test accuracy": r.test_accuracy},
        "accuracy",
        "Acc Curve",
        out / "accuracy.png",
        ylim=(0, 1.05),
    )
    metrics = {
        "optimizer": r.optimizer,
        "lr": r.lr,
        "epochs": r.epochs,
        "final_loss": float(r.loss[-1]),
        "test_accuracy": float(r.test_accuracy[-1]),
        "seconds": round(r.seconds, 4),
    }
    atomic.write_json(out / "metrics.json", metrics)
    atomic.write_text(out / "weights.txt", f"w1\n{r.w1}\nb1\n{r.b1}\n")
    for i in sorted({0, len(rows) // 2, len(rows) - 1}):
        print(f"Epoch {i}, loss: {rows[i]['loss']:.6f}, test_acc: {rows[i]['test_accuracy']:.4f}")
    print(
        f"total time: {r.seconds:.3f} s; wrote {out}/ (history.csv, loss.png, accuracy.png, "
        f"metrics.json, weights.txt)"
    )
    return 0


def cmd_optimizers(args) -> int:
    from tfnote import atomic, plots
    from tfnote.scratch.iris import COURSE_SETTINGS, compare_optimizers
    from tfnote.scratch.loop import check_epochs
    from tfnote.scratch.optimizers import check_lr, parse_names

    names = parse_names(args.only)
    if (args.lr is None) != (args.epochs is None):
        raise TfnoteError("give --lr and --epochs together (one setting of your own)")
    settings = COURSE_SETTINGS if args.lr is None else ((args.lr, args.epochs),)
    for lr, epochs in settings:
        check_lr(lr)
        check_epochs(epochs)
    out = _out(args)
    rows = []
    for lr, epochs in settings:
        tag = f"lr{lr:g}_epochs{epochs}"
        results = compare_optimizers(names, lr, epochs, args.batch_size, args.safe)
        title = f"iris, lr {lr:g}, {epochs} epochs, batch {args.batch_size}"
        plots.curves(
            {_label(r): r.loss for r in results},
            "training loss",
            f"Loss curves: {title}",
            out / f"loss_{tag}.png",
        )
        plots.curves(
            {r.optimizer: r.test_accuracy for r in results},
            "test accuracy",
            f"Accuracy curves: {title}",
            out / f"accuracy_{tag}.png",
            ylim=(0, 1.05),
        )
        for r in results:
            rows.append(
                {
                    "lr": lr,
                    "epochs": epochs,
                    "optimizer": r.optimizer,
                    "final_loss": float(r.loss[-1]),
                    "test_accuracy": float(r.test_accuracy[-1]),
                    "seconds": round(r.seconds, 4),
                }
            )
    _write_csv(out / "results.csv", rows)
    table = _markdown_table(rows)
    atomic.write_text(out / "results.md", table)
    print(table, end="")
    if any(r["final_loss"] != r["final_loss"] for r in rows):
        print("(nan: the course's form divided 0 by 0; --safe adds epsilon 1e-7)")
    print(f"wrote {out}/ (results.csv, results.md, loss_*.png, accuracy_*.png)")
    return 0


def _label(result) -> str:
    """The legend name, noting where the loss turned into nan (the course's 0/0)."""
    bad = (result.loss != result.loss).nonzero()[0]
    return f"{result.optimizer} (nan from epoch {bad[0] + 1})" if len(bad) else result.optimizer


def _markdown_table(rows: list[dict]) -> str:
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


def cmd_losses(args) -> int:
    from tfnote import atomic
    from tfnote.scratch.losses import cross_entropy_examples, fit_sales

    fits = [
        fit_sales("mse", epochs=args.epochs, lr=args.lr),
        fit_sales("custom", args.cost, args.profit, args.epochs, args.lr),
        fit_sales("custom", args.profit, args.cost, args.epochs, args.lr),
    ]
    labels = [
        "MSE",
        f"custom COST={args.cost:g} PROFIT={args.profit:g}",
        f"custom COST={args.profit:g} PROFIT={args.cost:g} (swapped)",
    ]
    report = {"sales_fits": [], "cross_entropy": cross_entropy_examples()}
    print("yogurt sales, y = x1 + x2 + noise: fitted weights (the truth is 1, 1)")
    for label, fit in zip(labels, fits):
        print(
            f"  {label:<34} w = [{fit.w[0]:.4f}, {fit.w[1]:.4f}]  "
            f"({len(fit.loss)} epochs, {fit.seconds:.2f} s)"
        )
        report["sales_fits"].append(
            {
                "loss": label,
                "w": fit.w.tolist(),
                "final_loss": float(fit.loss[-1]),
                "epochs": len(fit.loss),
            }
        )
    ce = report["cross_entropy"]
    print(
        f"cross entropy to [1, 0]: [0.6, 0.4] -> {ce['two_guesses'][0]:.3f}, "
        f"[0.8, 0.2] -> {ce['two_guesses'][1]:.3f}"
    )
    print("softmax then CE:", " ".join(f"{v:.5f}" for v in ce["softmax_then_ce"]))
    print("fused op:       ", " ".join(f"{v:.5f}" for v in ce["fused"]))
    out = _out(args)
    atomic.write_json(out / "losses.json", report)
    print(f"wrote {out}/losses.json")
    return 0


def cmd_activations(args) -> int:
    from tfnote.scratch.activations import plot_activations

    out = _out(args)
    peaks = plot_activations(out / "activations.png")
    for name, peak in peaks.items():
        print(f"  max {name}'(x) = {peak:.4f}")
    print(f"sigmoid's derivative never exceeds 0.25; wrote {out}/activations.png")
    return 0


def _find_points(path: str | None) -> Path:
    if path:
        return Path(path)
    places = [Path("dot.csv")]
    if os.environ.get("TFNOTE_DATA"):
        places.append(Path(os.environ["TFNOTE_DATA"]) / "dot.csv")
    for place in places:
        if place.is_file():
            return place
    tried = ", ".join(map(str, places))
    raise TfnoteError(
        f"no dot.csv found (tried {tried}); pass --data PATH to the course's "
        "dot.csv or any CSV with two feature columns and a 0/1 label"
    )


def cmd_regularization(args) -> int:
    from tfnote import atomic
    from tfnote.scratch.loop import check_epochs
    from tfnote.scratch.optimizers import check_lr
    from tfnote.scratch.regularization import plot_boundaries, read_points, train_net

    features = tuple(c.strip() for c in args.features.split(","))
    if len(features) != 2 or not all(features):
        raise TfnoteError(f"--features needs two column names, got {args.features!r}")
    check_lr(args.lr)
    check_epochs(args.epochs)
    path = _find_points(args.data)
    x, y = read_points(path, features, args.label)
    fits = [
        train_net(x, y, 0.0, args.lr, args.epochs, args.batch_size, args.seed),
        train_net(x, y, args.l2, args.lr, args.epochs, args.batch_size, args.seed),
    ]
    out = _out(args)
    plot_boundaries(x, y, fits, out / "boundaries.png")
    metrics = {
        "data": str(path),
        "points": len(x),
        "runs": [
            {"l2": f.l2, "final_loss": float(f.loss[-1]), "seconds": round(f.seconds, 4)}
            for f in fits
        ],
    }
    atomic.write_json(out / "metrics.json", metrics)
    for f in fits:
        print(f"l2 {f.l2:g}: final loss {f.loss[-1]:.4f} ({f.seconds:.2f} s)")
    print(f"wrote {out}/boundaries.png and {out}/metrics.json")
    return 0
