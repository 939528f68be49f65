"""One self-contained HTML page about training runs: what `tfnote report` writes.

Per run: its settings, its curves (and a price run's forecast), its scores and the
course's published number beside ours (tfnote.course_results); above them a table that
compares every run. The folders of the class 1-2 commands (runs/backprop, runs/losses, ...:
plain files, no model) get a table and a card each: their numbers, figures and printout.
Figures are embedded as base64 PNG and the CSS is inline, so the one file opens in any
browser, offline, and can be mailed around.

    >>> from tfnote import report
    >>> report.write_report(["runs/cifar10-baseline", "runs/backprop"], "runs/report.html")

The building blocks (`page`, `figure`, `runs_table`, `run_section`) also make the page
of `tfnote course` (tfnote.course).
"""

from __future__ import annotations

import base64
import html
import json
import os
import time
from pathlib import Path

from tfnote import atomic, runs
from tfnote.course_results import published
from tfnote.errors import TfnoteError
from tfnote.run_folder import Run, is_run_folder

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1100px; padding: 1.5em; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; margin-top: 2em; }
h3 { margin-bottom: 0.3em; } .sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.3em 0; }
.figs { display: flex; flex-wrap: wrap; gap: 0.8em; }
.figs figure { margin: 0; flex: 1 1 420px; max-width: 100%; }
figcaption { font-size: 0.85em; color: #555; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.4em 1em 0.8em; margin: 1em 0; }
.badge { display: inline-block; font-size: 0.78em; padding: 1px 7px; border-radius: 9px;
         margin-left: 0.4em; vertical-align: middle; font-weight: normal; }
.quick { background: #fff3cd; color: #7a5b00; border: 1px solid #f0d78c; }
.ok, .finished, .reused { background: #e3f4e6; color: #1d6b2c; }
.failed, .damaged, .interrupted { background: #fbe3e3; color: #8a1f1f; }
.running, .skipped { background: #e3ecfb; color: #1f4a8a; }
.banner { background: #fff3cd; border: 1px solid #f0d78c; padding: 0.6em 1em; border-radius: 6px; }
.error { background: #fbe3e3; border: 1px solid #e8b4b4; padding: 0.5em 1em; white-space: pre-wrap;
         font-family: ui-monospace, monospace; font-size: 0.85em; }
pre { background: #f7f7f7; padding: 0.5em; overflow-x: auto; font-size: 0.82em; }
.beside td:first-child { font-weight: 600; }
"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def badge(text: str, kind: str = "") -> str:
    return f'<span class="badge {esc(kind)}">{esc(text)}</span>'


def quick_badge(note: str | None) -> str:
    """The mark every scaled-down result carries, with what was scaled in its tooltip."""
    if not note:
        return ""
    return f'<span class="badge quick" title="{esc(note)}">quick: {esc(note)}</span>'


def image_uri(path: str | Path) -> str | None:
    """The PNG at `path` as a data: URI, or None when there is no such file."""
    path = Path(path)
    if not path.is_file():
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def figure(path: str | Path, caption: str = "") -> str:
    """An embedded figure (nothing when the file is missing)."""
    uri = image_uri(path)
    if uri is None:
        return ""
    caption = caption or Path(path).name
    return (
        f'<figure><img src="{uri}" alt="{esc(caption)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def figures(items: list[tuple[str | Path, str]]) -> str:
    inner = "".join(figure(p, c) for p, c in items)
    return f'<div class="figs">{inner}</div>' if inner else ""


def table(header: list[str], rows: list[list], numeric: set[int] = frozenset(), cls="") -> str:
    """A plain HTML table; cells are escaped unless they are `Markup`."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        tds = []
        for i, cell in enumerate(row):
            text = cell if isinstance(cell, Markup) else esc(cell)
            tds.append(f'<td class="num">{text}</td>' if i in numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><tr>{head}</tr>{''.join(body)}</table>"


class Markup(str):
    """HTML that `table` puts in a cell as it is (already escaped)."""


def page(title: str, body: str, subtitle: str = "") -> str:
    """A whole HTML document: inline CSS, no external resources."""
    made = time.strftime("%Y-%m-%d %H:%M")
    sub = f'<p class="sub">{esc(subtitle)}</p>' if subtitle else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1>{sub}{body}"
        f'<p class="sub">made by tfnote on {esc(made)}</p></body></html>\n'
    )


# --- runs --------------------------------------------------------------------------------


def ours_vs_course(row: runs.RunRow) -> tuple[str, str]:
    """(our score, the course's) as two short texts for the comparison table."""
    course = published(row.preset) if row.course else None  # runs.describe decided
    if row.rmse is not None:
        ours = f"RMSE {row.rmse:.2f}" + (f", {row.verdict} than naive" if row.verdict else "")
    elif row.accuracy is not None:
        ours = f"accuracy {row.accuracy:.4f}" + (
            f" ({row.evaluated_on})" if row.evaluated_on else ""
        )
    elif row.loss is not None:
        ours = f"loss {row.loss:.4g}" + (f" ({row.evaluated_on})" if row.evaluated_on else "")
    else:
        ours = ""
    return ours, course.text if course else ""


def runs_table(rows: list[runs.RunRow], link: bool = True) -> str:
    """The comparison table: one line per run, ours beside the course's number."""
    lines = []
    for r in rows:
        ours, _ = ours_vs_course(r)
        published_ = published(r.preset) if r.course else None
        course = ""
        if published_:
            unit = "RMSE " if published_.metric == "rmse" else ""
            course = Markup(
                f'<span title="{esc(published_.text)}">{unit}{published_.short()}</span>'
            )
        name = Markup(f'<a href="#{_anchor(r.path)}">{esc(r.name)}</a>') if link else r.name
        quick = (
            f'<span class="badge quick" title="{esc(r.scaled_down)}">quick</span>'
            if r.scaled_down
            else ""
        )
        status = Markup(badge(r.status, r.status.split()[0]) + quick)
        params = f"{r.params:,}" if r.params is not None else ""
        lines.append(
            [
                name,
                r.preset or r.built_by,
                runs.short_dataset(r.dataset),
                params,
                r.epochs,
                status,
                ours,
                course,
                r.best_epoch or "",
                runs.seconds_text(r.train_seconds),
            ]  # fmt: skip
        )
    header = ["run", "preset", "dataset", "params", "epochs", "status", "ours",
              "the course's", "best epoch", "time"]  # fmt: skip
    return table(header, lines, numeric={3, 8, 9})


def _anchor(path: str) -> str:
    return "run-" + "".join(c if c.isalnum() else "-" for c in str(path))


SETTINGS = ("dataset", "model", "optimizer", "lr", "batch_size", "epochs", "validation",
            "train_limit", "test_limit", "augment", "lr_schedule", "early_stopping",
            "seed")  # fmt: skip


def settings_rows(run: Run) -> list[list]:
    if run.spec is not None:
        spec = run.spec.to_dict()
        rows = [[k, spec[k]] for k in SETTINGS if spec.get(k) not in (None, {}, [])]
    else:
        info = run.info
        rows = [
            [k, v]
            for k, v in (
                ("model_class", info.model_class),
                ("input_shape", list(info.input_shape)),
                ("num_classes", info.num_classes),
                ("dataset", info.dataset),
                ("scale", info.scale),
            )
            if v is not None
        ]
    return rows + image_rows(run)


def image_rows(run: Run) -> list[list]:
    """How the training images looked, and how `tfnote predict` prepares a photo for the run
    (the same choice predict and serve make); nothing for a model of other inputs."""
    from tfnote import photo

    try:
        recipe, why = photo.choose_recipe(run.info)
    except TfnoteError:  # not trained yet, or not an image model
        return []
    looks = run.info.images
    rows = [["training images", looks.describe()]] if looks is not None else []
    return [*rows, ["photos for predict", f"{recipe} recipe: {why}"]]


def metrics_rows(run: Run) -> list[list]:
    metrics = run.metrics
    rows = []
    if metrics is not None:
        for k, v in metrics.to_dict().items():  # the best epoch's scores: a row of their own
            if k == "schema":
                continue
            if isinstance(v, float):
                v = f"{v:.4f}" if abs(v) < 1000 else f"{v:.1f}"
            if isinstance(v, str | int | float) or v is None:
                rows.append([k, v])
    if metrics is not None and metrics.best is not None:  # the best epoch's, if not the last's
        best = metrics.best
        shown = ("loss", "accuracy")
        scores = ", ".join(f"{k} {v:.4f}" for k, v in best.scores.items() if k in shown)
        rows.append([f"best epoch ({best.epoch}), used by predict", scores])
    forecast = run.forecast
    if forecast:
        for label, scores in forecast.scores.items():
            text = ", ".join(f"{k.upper()} {v:.2f}" for k, v in scores.items())
            rows.append([f"price {label}", text])
        rows.append(["verdict", forecast.summary or forecast.verdict])
    return rows


def run_section(row: runs.RunRow, heading: str = "h3") -> str:
    """One run: title, ours beside the course's, settings, scores, curves (and forecast)."""
    run = Run(row.path)
    ours, course = ours_vs_course(row)
    head = (
        f'<{heading} id="{_anchor(row.path)}">{esc(row.title or row.name)}'
        f"{badge(row.status, row.status.split()[0])}{quick_badge(row.scaled_down)}</{heading}>"
        f'<p class="sub">{esc(row.path)} &middot; {esc(row.built_by)}'
        + (
            f" &middot; TensorBoard: <code>tensorboard --logdir {esc(row.path)}</code>"
            if row.tensorboard
            else ""
        )
        + "</p>"
    )
    if row.status == "damaged":
        return f'<div class="card">{head}<div class="error">{esc(row.problem)}</div></div>'
    beside = table(
        ["", "score"],
        [["ours", ours + (f" (quick: {row.scaled_down})" if row.scaled_down else "")]]
        + ([["the course's", course]] if course else []),
        cls="beside",
    )
    details = (
        '<div class="figs"><div>'
        + table(["setting", "value"], settings_rows(run))
        + "</div><div>"
        + table(["score", "value"], metrics_rows(run))
        + "</div></div>"
    )
    figs = figures(
        [
            (run.curves_path, "accuracy and loss per epoch (curves.png)"),
            (run.forecast_plot_path, "predicted vs real price (forecast.png)"),
        ]
    )
    return f'<div class="card">{head}{beside}{details}{figs}</div>'


# --- classes 1-2: the folders of the raw-TensorFlow commands ----------------------------------
# `tfnote backprop`, `iris-scratch`, ... (tfnote.scratch) write plain files, no model.json:
# each command is known by the files it writes, so a folder made with --out is found too.
SCRATCH_FILES = {
    "optimizers": ("results.csv", "results.md"),
    "losses": ("losses.json",),
    "regularization": ("boundaries.png", "metrics.json"),
    "activations": ("activations.png",),
    "iris-scratch": ("history.csv", "weights.txt", "loss.png", "accuracy.png"),
    "backprop": ("steps.csv", "descent.png"),  # or lr-decay: see scratch_command
}


def scratch_command(folder: str | Path) -> str | None:
    """The class 1-2 command that wrote `folder` ("backprop", "losses", ...), or None."""
    folder = Path(folder)
    if not folder.is_dir() or is_run_folder(folder):
        return None
    for command, names in SCRATCH_FILES.items():
        if all((folder / name).is_file() for name in names):
            if (
                command == "backprop"
                and len({r["lr"] for r in _csv_rows(folder / "steps.csv")}) > 1
            ):
                return "lr-decay"  # the same files; its learning rate changes step by step
            return command
    return None


def _csv_rows(path: Path) -> list[dict]:
    import csv

    try:
        with path.open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TfnoteError(f"{path}: cannot read ({e})") from None
    if not isinstance(data, dict):
        raise TfnoteError(f"{path}: not a JSON object")
    return data


def _descent(folder: Path) -> tuple[list, list, str, str | None]:
    rows = _csv_rows(folder / "steps.csv")
    if not rows:
        raise TfnoteError(f"{folder / 'steps.csv'}: no steps in it")
    last = rows[-1]
    lines = [
        f"After {r['step']} epoch,w is {float(r['w']):f},loss is {float(r['loss']):f}"
        + (f",lr is {float(r['lr']):f}" if scratch_command(folder) == "lr-decay" else "")
        for r in rows[-3:]
    ]
    numbers = [(f"w after {len(rows)} steps", f"{float(last['w']):.6f}", "w goes to -1")]
    return numbers, [(folder / "descent.png", "w and loss per step")], "\n".join(lines), None


def _iris(folder: Path) -> tuple[list, list, str, str | None]:
    m = _json(folder / "metrics.json")
    course = published("iris-scratch")
    numbers = [("test accuracy", f"{m['test_accuracy']:.4f}", course.text if course else "")]
    text = f"optimizer {m['optimizer']}, lr {m['lr']:g}, {m['epochs']} epochs, {m['seconds']} s"
    own = (m["optimizer"], m["lr"], m["epochs"]) != ("sgd", 0.1, 500)
    figs = [
        (folder / "loss.png", "training loss (Loss Function Curve)"),
        (folder / "accuracy.png", "test accuracy (Acc Curve)"),
    ]
    return numbers, figs, text, "the course's: sgd, lr 0.1, 500 epochs" if own else None


def _optimizers(folder: Path) -> tuple[list, list, str, str | None]:
    from tfnote.course_results import OPTIMIZER_SECONDS
    from tfnote.scratch.compare import COURSE_SETTINGS

    rows = _csv_rows(folder / "results.csv")
    seconds = [float(r["seconds"]) for r in rows if r.get("seconds")]
    low, high = OPTIMIZER_SECONDS
    numbers = []
    if seconds:
        course = f"{low}-{high} s (learners' machines, lr 0.1, 500 epochs)"
        numbers.append(
            ("seconds per optimizer", f"{min(seconds):.1f}-{max(seconds):.1f} s", course)
        )
    figs = [(p, p.stem.replace("_", ", ")) for p in sorted(folder.glob("loss_*.png"))]
    figs += [(p, p.stem.replace("_", ", ")) for p in sorted(folder.glob("accuracy_*.png"))]
    settings = {(float(r["lr"]), int(r["epochs"])) for r in rows if r.get("lr") and r.get("epochs")}
    own = settings != set(COURSE_SETTINGS)
    note = "the course's: lr 0.1 for 500 epochs, lr 0.01 for 100" if own else None
    return numbers, figs, (folder / "results.md").read_text(encoding="utf-8"), note


def _losses(folder: Path) -> tuple[list, list, str, str | None]:
    data = _json(folder / "losses.json")
    fits = data.get("sales_fits", [])
    numbers = [(f"w fitted with {f['loss']}", f"[{f['w'][0]:.3f}, {f['w'][1]:.3f}]", _lean(f))
               for f in fits]  # fmt: skip
    guesses = data.get("cross_entropy", {}).get("two_guesses", [])
    text = "cross entropy of the two guesses: " + ", ".join(f"{v:.4f}" for v in guesses)
    epochs = {f.get("epochs") for f in fits}
    own = bool(fits) and epochs != {15000, 10000} and epochs != {15000}
    note = "the course's: 15000 epochs (MSE), 10000 (custom)" if own else None
    return numbers, [(folder / "weights.png", "fitted weights per loss")], text, note


def _lean(fit: dict) -> str:
    """Where the course says the weights go (the truth is y = x1 + x2): MSE finds [1, 1]; a
    loss that charges more for too few (PROFIT > COST) pushes them above 1."""
    import re

    found = re.search(r"COST=([\d.]+) PROFIT=([\d.]+)", fit["loss"])
    if not found:
        return "about [1, 1]" if fit["loss"] == "MSE" else ""
    cost, profit = map(float, found.groups())
    return "above 1" if profit > cost else "below 1" if cost > profit else "about [1, 1]"


def _activations(folder: Path) -> tuple[list, list, str, str | None]:
    return [], [(folder / "activations.png", "activations and their derivatives")], "", None


def _regularization(folder: Path) -> tuple[list, list, str, str | None]:
    data = _json(folder / "metrics.json")
    numbers = [(f"final loss, l2 {r['l2']:g}", f"{r['final_loss']:.4f}", "") for r in data["runs"]]
    text = f"{data.get('points')} points from {data.get('data')}"
    figs = [(folder / "boundaries.png", "0.5 contour without and with L2")]
    return numbers, figs, text, None


SCRATCH_PARTS = {
    "backprop": _descent,
    "lr-decay": _descent,
    "iris-scratch": _iris,
    "optimizers": _optimizers,
    "losses": _losses,
    "activations": _activations,
    "regularization": _regularization,
}


def scratch_sections(folders: list[Path]) -> tuple[str, str]:
    """Classes 1-2: (a table of the folders, a card for each: numbers, figures, printout), in
    the course's order, with the course's section names and program files."""
    from tfnote.course import programs

    known = {p.id: p for p in programs()}
    order = list(known)
    folders = sorted(folders, key=lambda f: (order.index(scratch_command(f)), str(f)))
    lines, cards = [], []
    for folder in folders:
        program = known[scratch_command(folder)]
        anchor = _anchor(str(folder))
        try:
            numbers, figs, text, note = SCRATCH_PARTS[program.id](folder)
            status = "finished"
        except (TfnoteError, OSError, KeyError, IndexError, TypeError, ValueError) as e:
            numbers, figs, text, note = [], [], f"cannot read {folder}: {e}", None
            status = "damaged"
        mark = f'<span class="badge quick" title="{esc(note)}">own settings</span>' if note else ""
        lines.append(
            [
                program.klass,
                Markup(f'<a href="#{anchor}">{esc(program.section)}</a>'),
                str(folder),
                program.files,
                Markup(badge(status, status) + mark),
                "; ".join(f"{what}: {ours}" for what, ours, _ in numbers),
                "; ".join(course for *_, course in numbers if course),
            ]  # fmt: skip
        )
        card = [
            f'<h3 id="{anchor}">Class {program.klass} &middot; {esc(program.section)}'
            f"{badge(status, status)}{mark}</h3>"
            f'<p class="sub">{esc(folder)} &middot; <code>tfnote {esc(program.id)}</code>'
            f" &middot; the course's {esc(program.files)} &middot; {esc(program.title)}</p>"
        ]
        if note:
            card.append(f'<p class="sub">other settings than the course\'s ({esc(note)})</p>')
        if numbers:
            card.append(
                table(["", "ours", "the course's"], [list(n) for n in numbers], cls="beside")
            )
        card.append(figures(figs))
        if text:
            card.append(f"<pre{' class=error' if status == 'damaged' else ''}>{esc(text)}</pre>")
        cards.append('<div class="card">' + "".join(card) + "</div>")
    header = ["class", "program", "folder", "the course's file", "status", "ours", "the course's"]
    return table(header, lines), "".join(cards)


def find_all(directory: str | Path) -> list[Path]:
    """Every run folder and class 1-2 folder under `directory` (itself included), sorted."""
    found = []
    for root, dirs, _ in os.walk(directory):
        if is_run_folder(root) or scratch_command(root):
            found.append(Path(root))
            dirs.clear()  # checkpoints/ and the like are the run's own
        else:
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    return sorted(found)


def expand(paths: list[str | Path]) -> list[Path]:
    """The folders to report on: a run folder or class 1-2 folder itself, or every one under
    a folder. Files are passed over (`runs/*` also matches runs/report.html and PNGs)."""
    found: list[Path] = []
    files = [Path(p) for p in paths if Path(p).is_file()]
    for p in map(Path, paths):
        if is_run_folder(p) or scratch_command(p):
            found.append(p)
        elif p.is_dir():
            inner = find_all(p)
            if not inner:
                raise TfnoteError(
                    f"{p}: no run folders in it (no model.json or spec.json) and no folders"
                    " of the class 1-2 commands (tfnote backprop, iris-scratch, ...)"
                )
            found += inner
        elif not p.exists():
            raise TfnoteError(f"{p}: no such run folder")
    if not found:
        raise TfnoteError(f"{files[0]}: a file, not a run folder" if len(files) == 1 else
                          "no run folders among the arguments, only files")  # fmt: skip
    return list(dict.fromkeys(found))


def report_html(paths: list[str | Path], title: str = "tfnote report") -> str:
    folders = expand(paths)
    scratch = [p for p in folders if scratch_command(p)]
    folders = [p for p in folders if p not in scratch]
    unique = len({p.name for p in folders}) == len(folders)
    rows = [runs.describe(p, p.name if unique else str(p)) for p in folders]
    body = ""
    summary, cards = scratch_sections(scratch) if scratch else ("", "")
    if scratch:
        body += "<h2>Classes 1-2: raw TensorFlow</h2>" + summary
    if rows:
        body += "<h2>Comparison</h2>" + runs_table(rows)
    if any(r.scaled_down for r in rows):
        body += (
            '<p class="banner">Runs marked <b>quick</b> trained on fewer epochs or a slice of the'
            " data: their scores are not comparable with the course's.</p>"
        )
    if scratch:
        body += "<h2>Classes 1-2: the programs</h2>" + cards
    if rows:
        body += "<h2>Runs</h2>" + "".join(run_section(r) for r in rows)
    counts = [f"{len(rows)} run(s)"] if rows else []
    counts += [f"{len(scratch)} class 1-2 folder(s)"] if scratch else []
    return page(title, body, ", ".join(counts))


def write_report(paths: list[str | Path], out: str | Path = "report.html", title: str = "") -> Path:
    """Write the page about run folders `paths` to `out`; returns its path."""
    out = Path(out)
    text = report_html(paths, title or "tfnote report")
    atomic.write_text(out, text)
    return out
