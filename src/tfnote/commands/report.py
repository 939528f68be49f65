"""Commands that look at many runs at once: runs, report, course.

    tfnote runs [DIR]            one table of every run folder under DIR (default runs/)
    tfnote report RUN...         one self-contained HTML page about the runs (and the
                                 folders of the class 1-2 commands)
    tfnote course [--quick]      every program of classes 1-6, then DIR/report.html

`runs` and `report` read JSON and PNG files only (no TensorFlow); `course` trains.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="one table of every run folder under DIR (default runs/)")
    p.add_argument("dir", nargs="?", default="runs", help="folder to search (default: runs)")
    p.add_argument(
        "--sort",
        default="name",
        metavar="COLUMN",
        help="name, preset, dataset, params, epochs, status, accuracy, loss, rmse, best, time",
    )
    p.add_argument("--desc", action="store_true", help="sort from the largest value down")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="JSON: one object per run")
    output.add_argument("--csv", action="store_true", help="CSV: one line per run")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("report", help="one self-contained HTML page about runs, with figures")
    p.add_argument(
        "runs",
        nargs="+",
        help="run folders, the class 1-2 commands' folders (runs/backprop, ...), or folders of"
        " them (runs/*: files among them are passed over)",
    )
    p.add_argument(
        "--out", default="runs/report.html", help="the HTML file (default: runs/report.html)"
    )
    p.add_argument("--title", default="", help="the page's title")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("course", help="run every program of classes 1-6 and write one report page")
    p.add_argument(
        "--quick",
        action="store_const",
        const="quick",
        dest="scale",
        default="full",
        help="scaled down (fewer epochs, slices of the big datasets): minutes on 2 CPU cores",
    )
    # Tests run an even smaller course; not for learners.
    p.add_argument(
        "--scale", choices=["full", "quick", "tiny"], default="full", help=argparse.SUPPRESS
    )
    p.add_argument("--out", default="runs/course", help="output folder (default: runs/course)")
    p.add_argument(
        "--data-dir",
        help="folder with the datasets and the course's files (default: $TFNOTE_DATA)",
    )
    p.add_argument(
        "--only",
        help="some programs only: class numbers and/or program names, comma-separated"
        " (e.g. 1,2 or cifar10-vgg16)",
    )
    p.add_argument("--list", action="store_true", help="list the programs and stop")
    p.add_argument(
        "--tensorboard",
        action="store_true",
        help="training programs also write TensorBoard event files (tensorboard --logdir OUT)",
    )
    p.set_defaults(func=cmd_course)


def cmd_runs(args) -> int:
    from tfnote import runs

    rows = runs.sort(runs.find(args.dir), args.sort, descending=args.desc)
    if args.json:
        sys.stdout.write(runs.to_json(rows))
    elif args.csv:
        sys.stdout.write(runs.to_csv(rows))
    elif not rows:
        print(f"no run folders under {args.dir}")
    else:
        sys.stdout.write(runs.text_table(rows))
    return 0


def cmd_report(args) -> int:
    from tfnote import report
    from tfnote.outputs import check_output_file

    check_output_file(args.out, ".html")
    out = report.write_report(args.runs, args.out, args.title)
    files = [p for p in args.runs if Path(p).is_file()]  # runs/* matches runs/report.html too
    if files:
        print(f"passed over {len(files)} file(s), not run folders: {', '.join(files)}")
    print(f"wrote {out}")
    return 0


def cmd_course(args) -> int:
    from tfnote import course

    if args.list:
        for program in course.select(course.programs(), args.only):
            print(f"class {program.klass}  {program.id:24} {program.section}")
        return 0
    from tfnote.outputs import check_writable_dir

    check_writable_dir(args.out)  # before an hour of training
    result = course.run_course(
        args.out, args.scale, args.data_dir, args.only, tensorboard=args.tensorboard
    )
    print(f"wrote {result.page}")
    return 1 if result.failed else 0
