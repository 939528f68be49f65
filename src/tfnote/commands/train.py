"""Commands of the six-step pipeline: presets, train, resume, params, curves."""

from __future__ import annotations

import argparse
from pathlib import Path

from tfnote.commands import price_flags
from tfnote.commands.flags import dataset_ref, model_ref, positive_float, positive_int, seed
from tfnote.outputs import check_output_file, check_writable_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("presets", help="list the named training presets")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser(
        "train",
        help="train a preset (the six steps) into a run folder",
        description="Train a preset into a run folder. Flags left out keep the preset's "
        "values (`tfnote presets` lists its epochs and batch size).",
    )
    p.add_argument(
        "preset",
        help="preset name or course program (e.g. fashion or p16), or your own FILE.toml"
        ' (the fields of a preset; `preset = "p14"` starts from a built-in one)',
    )
    add_train_options(p)
    price_flags.add_price_options(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("resume", help="continue an interrupted run from its last saved epoch")
    p.add_argument("run", help="the run folder (e.g. runs/fashion)")
    p.add_argument("--epochs", type=positive_int, help="train up to this many epochs in all")
    p.add_argument("--data-dir", help="where the dataset is now, if it moved")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser("params", help="write a run's weights.txt (every trainable variable)")
    p.add_argument("run", help="the run folder")
    p.add_argument(
        "--checkpoint",
        choices=["best", "last"],
        default="last",
        help="which saved weights to dump (default: last, as the course does)",
    )
    p.add_argument("--print", action="store_true", help="print to the terminal instead")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("curves", help="redraw a run's accuracy and loss curves (curves.png)")
    p.add_argument("run", help="the run folder")
    p.add_argument("--out", help="image path (default: RUN/curves.png)")
    p.set_defaults(func=cmd_curves)


def add_train_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=positive_int)
    p.add_argument("--batch-size", type=positive_int)
    p.add_argument("--lr", type=positive_float, help="learning rate")
    p.add_argument("--optimizer", help="sgd, adam, rmsprop, adagrad, ...")
    p.add_argument(
        "--model",
        type=model_ref,
        help="another registered model (`tfnote models`), or your own FILE.py:FUNCTION, a"
        " function of (input_shape, num_classes) that returns a Keras model",
    )
    p.add_argument(
        "--data",
        dest="dataset",
        type=dataset_ref,
        help="train on another dataset: mnist, fashion, cifar10, your own pictures in class"
        " folders image-folder:DIR (DIR/train/<class>/ + DIR/test/<class>/, or DIR/<class>/"
        " with 20%% held out for testing; preset own-images suits a few hundred), or the"
        " course's image folder + label file image-label:PATH",
    )
    p.add_argument("--data-dir", help="folder (or file) holding the dataset")
    p.add_argument("--out", help="run folder (default: runs/<preset>)")
    p.add_argument("--seed", type=seed)
    p.add_argument(
        "--limit-train",
        type=positive_int,
        dest="train_limit",
        help="use only the first N training samples",
    )
    p.add_argument(
        "--limit-test",
        type=positive_int,
        dest="test_limit",
        help="use only the first N test samples",
    )
    p.add_argument(
        "--augment",
        help="augmentation preset: mnist, fashion, cifar, own (milder, for your own pictures),"
        " or flip-shift (the fast CIFAR-10 one)",
    )
    p.add_argument(
        "--strategy",
        default="auto",
        choices=["auto", "mirrored", "default"],
        help="tf.distribute strategy (auto: mirrored when several GPUs are visible)",
    )
    p.add_argument("--fresh", action="store_true", help="start over, discarding saved state")
    p.add_argument(
        "--tensorboard",
        action="store_true",
        help="also write TensorBoard event files into RUN/logs (view: tensorboard --logdir runs)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")


SPEC_FLAGS = (
    "model",
    "epochs",
    "batch_size",
    "lr",
    "optimizer",
    "dataset",
    "data_dir",
    "seed",
    "train_limit",
    "test_limit",
    "augment",
)


def cmd_presets(args) -> int:
    from tfnote.spec import Spec, presets

    rows = [("name", "course (class, program)", "dataset", "model", "epochs", "batch")]
    for name, table in presets().items():
        spec = Spec.from_dict(table)  # fills in the defaults a table does not state
        rows.append(
            (
                name,
                _short(table.get("course", "")),
                spec.dataset,
                spec.model,
                spec.epochs,
                spec.batch_size,
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [f"{str(c):<{w}}" for c, w in zip(row[:4], widths)]
        cells += [f"{str(c):>{w}}" for c, w in zip(row[4:], widths[4:])]
        print("  ".join(cells).rstrip())
    print(
        "\nTrain one with `tfnote train NAME` (the course's program name, e.g. p14, works too)."
        "\nClasses 1-2 are commands of their own: tfnote backprop, lr-decay, iris-scratch,"
        " optimizers, losses, activations, regularization."
    )
    return 0


def _short(course: str, width: int = 32) -> str:
    """The course column without a long remark in brackets ("class 5, beyond the course")."""
    return course.split(" (")[0] if len(course) > width else course


def cmd_train(args) -> int:
    from tfnote.spec import get_preset

    spec = get_preset(args.preset)
    changes = {k: getattr(args, k) for k in SPEC_FLAGS if getattr(args, k) is not None}
    if changes.get("data_dir"):  # absolute, so `resume` works from any folder
        changes["data_dir"] = str(Path(changes["data_dir"]).resolve())
    spec = price_flags.apply_price_options(spec.replace(**changes), args)
    check_writable_dir(args.out or Path("runs") / spec.name)  # before minutes of training
    from tfnote import train

    result = train.run(
        spec,
        args.out,
        quiet=args.quiet,
        fresh=args.fresh,
        strategy=args.strategy,
        tensorboard=args.tensorboard,
    )
    if spec.dataset.kind == "prices":
        from tfnote import forecast  # class 6: price runs in price units, beside naive forecasts

        print(forecast.report_run(result.run_dir))
    return 0


def cmd_resume(args) -> int:
    from tfnote.run_folder import Run

    spec = Run(args.run).require_spec()
    check_writable_dir(args.run)
    changes = {k: getattr(args, k) for k in ("epochs", "data_dir") if getattr(args, k)}
    from tfnote import train

    train.run(spec.replace(**changes), args.run, quiet=args.quiet)
    return 0


def cmd_params(args) -> int:
    from tfnote import artifacts
    from tfnote.run_folder import Run

    run = Run(args.run)
    if not args.print:
        check_output_file(run.weights_txt_path, ".txt")
    model = run.load_model(args.checkpoint)
    if args.print:
        print(artifacts.weights_text(model), end="")
    else:
        path = run.weights_txt_path
        artifacts.write_weights_txt(model, path)
        print(f"wrote {path}")
    return 0


def cmd_curves(args) -> int:
    from tfnote.run_folder import Run

    run = Run(args.run)
    out = Path(args.out) if args.out else run.curves_path
    check_output_file(out, ".png")  # never over the run's spec.json or history
    run.plot_curves(out)
    print(f"wrote {out}")
    return 0
