"""One self-contained HTML page about training runs: what `tfnote report` writes.

Per run: its settings, its curves (and a price run's forecast), its scores and the
course's published number beside ours (tfnote.course_results); above them a table that
compares every run. Figures are embedded as base64 PNG and the CSS is inline, so the
one file opens in any browser, offline, and can be mailed around.

    >>> from tfnote import report
    >>> report.write_report(["runs/cifar10-baseline", "runs/cifar10-vgg16"], "report.html")

The building blocks (`page`, `figure`, `runs_table`, `run_section`) also make the page
of `tfnote course` (tfnote.course).
"""

from __future__ import annotations

import base64
import html
import time
from pathlib import Path

from tfnote import atomic, run_folder, runs
from tfnote.course_results import published
from tfnote.errors import TfnoteError

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
    course = published(row.preset)
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
        published_ = published(r.preset)
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
            "train_limit", "test_limit", "augment", "lr_schedule", "seed")  # fmt: skip


def settings_rows(run_dir: Path) -> list[list]:
    if run_folder.has_spec(run_dir):
        spec = run_folder.read_spec(run_dir).to_dict()
        return [[k, spec[k]] for k in SETTINGS if spec.get(k) not in (None, {}, [])]
    info = run_folder.read_info(run_dir)
    keys = ("model_class", "input_shape", "num_classes", "dataset", "scale")
    return [[k, info[k]] for k in keys if info.get(k) is not None]


def metrics_rows(run_dir: Path) -> list[list]:
    metrics = run_folder.read_metrics(run_dir) or {}
    rows = []
    for k, v in metrics.items():
        if isinstance(v, float):
            v = f"{v:.4f}" if abs(v) < 1000 else f"{v:.1f}"
        if isinstance(v, str | int | float) or v is None:
            rows.append([k, v])
    forecast = run_folder.read_forecast(run_dir)
    if forecast:
        for label, scores in forecast.get("scores", {}).items():
            text = ", ".join(f"{k.upper()} {v:.2f}" for k, v in scores.items())
            rows.append([f"price {label}", text])
        rows.append(["verdict", forecast.get("summary") or forecast.get("verdict")])
    return rows


def run_section(row: runs.RunRow, heading: str = "h3") -> str:
    """One run: title, ours beside the course's, settings, scores, curves (and forecast)."""
    run_dir = Path(row.path)
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
        + table(["setting", "value"], settings_rows(run_dir))
        + "</div><div>"
        + table(["score", "value"], metrics_rows(run_dir))
        + "</div></div>"
    )
    figs = figures(
        [
            (run_folder.curves_path(run_dir), "accuracy and loss per epoch (curves.png)"),
            (run_folder.forecast_plot_path(run_dir), "predicted vs real price (forecast.png)"),
        ]
    )
    return f'<div class="card">{head}{beside}{details}{figs}</div>'


def expand(paths: list[str | Path]) -> list[Path]:
    """Run folders from the arguments: a run folder itself, or every run under a folder."""
    found: list[Path] = []
    for p in map(Path, paths):
        if run_folder.is_run_folder(p):
            found.append(p)
        elif p.is_dir():
            inner = runs.find_folders(p)
            if not inner:
                raise TfnoteError(f"{p}: no run folders in it (no model.json or spec.json)")
            found += inner
        else:
            raise TfnoteError(f"{p}: no such run folder")
    return list(dict.fromkeys(found))


def report_html(paths: list[str | Path], title: str = "tfnote report") -> str:
    folders = expand(paths)
    unique = len({p.name for p in folders}) == len(folders)
    rows = [runs.describe(p, p.name if unique else str(p)) for p in folders]
    body = "<h2>Comparison</h2>" + runs_table(rows)
    if any(r.scaled_down for r in rows):
        body += (
            '<p class="banner">Runs marked <b>quick</b> trained on fewer epochs or a slice of the'
            " data: their scores are not comparable with the course's.</p>"
        )
    body += "<h2>Runs</h2>" + "".join(run_section(r) for r in rows)
    return page(title, body, f"{len(rows)} run(s)")


def write_report(paths: list[str | Path], out: str | Path = "report.html", title: str = "") -> Path:
    """Write the page about run folders `paths` to `out`; returns its path."""
    out = Path(out)
    text = report_html(paths, title or "tfnote report")
    atomic.write_text(out, text)
    return out
