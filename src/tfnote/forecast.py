"""Judge a price run in price units, beside the forecasts that need no network at all.

A network that predicts tomorrow's opening price is only useful if it beats "tomorrow's
open = today's open" and "tomorrow's open = today's close". This module turns a run's test
predictions back into prices, scores them (MSE, RMSE, MAE, MAPE) next to those naive
forecasts, and asks the Diebold-Mariano test (tfnote.dm_test) whether the model's squared
errors differ from the best naive forecast's by more than chance: the verdict is "better",
"no better" or "worse" at the 5% level, and only "better" is called beating it.

It also says which days picked the checkpoint: the validation tail of the training days
(every price preset's default) or the test days themselves (the course's way, which
flatters the scores), and refuses to score a run on days it was trained on.

    >>> from tfnote import forecast
    >>> result = forecast.evaluate_run("runs/stock-lstm", data_dir="../shared/data")
    >>> print(forecast.table(result))
    >>> forecast.save(result, "runs/stock-lstm")      # forecast.json and forecast.png
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfnote import plots
from tfnote.data.prices import PriceFacts, differences
from tfnote.dm_test import LEVEL, DMResult, dm_test
from tfnote.errors import TfnoteError
from tfnote.run_folder import ForecastRecord, Run, open_run

ON_TEST = "chosen on the test days"  # said wherever such a run's scores appear


@dataclass
class Forecast:
    """Test days, real and predicted prices, naive forecasts, their scores and the verdict."""

    name: str
    facts: PriceFacts  # the data scored: file, filter, days, warnings
    dates: list[str]
    real: np.ndarray
    predicted: np.ndarray
    naive: dict[str, np.ndarray]  # column -> "tomorrow = today's <column>" forecast
    selected_on: str | None = None  # "validation", "test", "training", "last epoch"
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    dm: DMResult | None = None  # the model against the best naive forecast
    notes: list[str] = field(default_factory=list)

    @property
    def target(self) -> str:
        return self.facts.target

    @property
    def best_naive(self) -> str:
        """The label of the naive forecast with the lowest RMSE."""
        return min((k for k in self.scores if k != "model"), key=lambda k: self.scores[k]["rmse"])

    @property
    def best_naive_column(self) -> str:
        return next(c for c in self.naive if naive_label(c, self.target) == self.best_naive)

    @property
    def verdict(self) -> str:
        """'better', 'no better' or 'worse' than the best naive forecast (DM test, 5%)."""
        return self.dm.verdict

    @property
    def beats_naive(self) -> bool:
        return self.verdict == "better"


def score(predicted: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """MSE, RMSE, MAE in price units and MAPE in percent."""
    error = np.asarray(predicted, float) - np.asarray(real, float)
    mse = float(np.mean(error**2))
    return {
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "mae": float(np.mean(np.abs(error))),
        "mape": float(np.mean(np.abs(error) / np.abs(real)) * 100),
    }


def to_prices(outputs: np.ndarray, facts: PriceFacts | dict) -> np.ndarray:
    """The network's outputs (scaled) as prices, undoing the loader's scaling."""
    if isinstance(facts, dict):
        facts = PriceFacts.from_dict(facts)
    outputs = np.asarray(outputs, float).reshape(-1)
    scaling = facts.scaling
    if scaling["type"] == "minmax":
        low, high = scaling["min_max"][facts.target]
        return outputs * (high - low) + low
    if scaling["type"] == "change":
        return np.asarray(facts.test_base[: len(outputs)]) * np.exp(outputs * scaling["y_std"])
    raise TfnoteError(f"unknown scaling {scaling['type']!r} in the run's data info")


def naive_label(column: str, target: str) -> str:
    return f"naive: {target} = today's {column}"


def evaluate(
    model, data, name: str = "model", scale: float = 1.0, selected_on: str | None = None
) -> Forecast:
    """Predict the test windows of `data` (a prices Data) and score them in price units."""
    if data.info.get("kind") != "prices":
        raise TfnoteError("forecast evaluation needs a price run (dataset prices)")
    facts = PriceFacts.from_dict(data.info)
    x = np.asarray(data.x_test, "float32") * scale  # the training pipeline's scaling
    n = len(x)  # fewer than the facts list when the run used --limit-test
    real = np.asarray(facts.test_real[:n], float)
    result = Forecast(
        name=name,
        facts=facts,
        dates=list(facts.test_dates[:n]),
        real=real,
        predicted=to_prices(model.predict(x, batch_size=256, verbose=0), facts),
        naive={c: np.asarray(v[:n], float) for c, v in facts.naive.items()},
        selected_on=selected_on,
    )
    result.scores["model"] = score(result.predicted, real)
    for column, values in result.naive.items():
        result.scores[naive_label(column, result.target)] = score(values, real)
    naive = result.naive[result.best_naive_column]
    result.dm = dm_test(result.predicted - real, naive - real)
    return result


def selected_on(spec, checkpoint: str = "best") -> str:
    """Which days picked the weights being scored: 'validation', 'test', 'training' or none."""
    if checkpoint == "last":
        return "last epoch"
    monitor = spec.monitor or ("val_loss" if spec.validation != "none" else "loss")
    if not monitor.startswith("val_") or spec.validation == "none":
        return "training"
    return "test" if spec.validation == "test" else "validation"


def evaluate_run(
    run: Run | str | Path, data_dir: str | None = None, checkpoint: str = "best"
) -> Forecast:
    """Reload a finished price run (its data, checked against the run's, and weights).

    `data_dir` scores the run on another copy or version of its file: a folder, or for a
    `prices:FILE` run also a file. Scoring is refused when any test day of that data is
    one of the run's training days; the run's own scaling is used, not a new fit.
    """
    from tfnote import train

    run = run if isinstance(run, Run) else open_run(run)
    spec = run.require_spec()
    if spec.dataset.kind != "prices":
        raise TfnoteError(f"{run.path} was trained on '{spec.dataset}', not on prices")
    trained = run.info.prices
    if trained is None:
        raise TfnoteError(f"{run.path}: not the facts of a price run (dataset prices)")
    data = train.load_data(_scoring_spec(spec, trained, data_dir))
    notes = check_other_data(trained, PriceFacts.from_dict(data.info))
    model = run.load_model(checkpoint)
    result = evaluate(
        model, data, name=spec.name, scale=spec.scale, selected_on=selected_on(spec, checkpoint)
    )
    result.notes += notes
    return result


def _scoring_spec(spec, trained: PriceFacts, data_dir: str | None):
    """The run's spec, reading from `data_dir` if given, with the run's own scaling."""
    args = {**spec.dataset_args, "scaling": trained.scaling}
    if data_dir is None:
        return spec.replace(dataset_args=args)
    dataset, file = spec.dataset, spec.dataset.arg
    if file:  # prices:FILE reads FILE whatever data_dir says: point it at the other copy
        place = Path(data_dir).expanduser()
        dataset = f"prices:{place if place.is_file() else place / Path(file).name}"
    return spec.replace(dataset=dataset, data_dir=data_dir, dataset_args=args)


def check_other_data(trained: PriceFacts, scored: PriceFacts) -> list[str]:
    """Notes when the data scored is not the run's own; an error when it overlaps training."""
    changed = differences(trained, scored)
    if not changed:
        return []
    first, last = trained.train_dates
    seen = [day for day in scored.test_dates if first <= day <= last]
    if seen:
        raise TfnoteError(
            f"refusing to score: {len(seen)} of the {len(scored.test_dates)} test days "
            f"({seen[0]} .. {seen[-1]}) are training days of this run ({first} .. {last}), so "
            f"the score would measure memory, not forecasting; the data differs from the "
            f"run's: {'; '.join(changed)}"
        )
    return [
        f"scored on other data than the run's own ({'; '.join(changed)}); "
        "none of its test days is a training day of the run"
    ]


# --- reporting ----------------------------------------------------------------------------


def verdict_line(result: Forecast) -> str:
    """One sentence: the verdict, both RMSEs and the p-value; "beats" only when significant."""
    best = result.best_naive
    model_rmse, best_rmse = result.scores["model"]["rmse"], result.scores[best]["rmse"]
    if best_rmse == 0:  # a price that never changes: nothing can do better than "no change"
        return (
            f"the best naive forecast ({best}) is perfect on these test days (RMSE 0: the price"
            f" does not change), so no model can beat it; the model's RMSE is {model_rmse:.2f}"
        )
    change = (model_rmse - best_rmse) / best_rmse * 100
    numbers = (
        f"RMSE {model_rmse:.2f} vs {best_rmse:.2f} ({abs(change):.1f}% "
        f"{'lower' if change < 0 else 'higher'}), Diebold-Mariano p = {result.dm.p_value:.2g}"
    )
    level = f"the {LEVEL:.0%} level"
    if result.verdict == "better":
        return f"the model beats the best naive forecast ({best}): {numbers}, better at {level}"
    if result.verdict == "worse":
        return (
            f"the model is worse than the best naive forecast ({best}): {numbers}, worse at {level}"
        )
    return (
        f"the model does NOT beat the best naive forecast ({best}): {numbers}, no better at "
        f"{level} (a difference this size is noise)"
    )


def selection_text(selected_on: str | None) -> str:
    return {
        "validation": "best epoch chosen on the validation days (the last training days)",
        "test": f"best epoch {ON_TEST} (the course's way: the scores flatter the model)",
        "training": "best epoch chosen on the training loss",
        "last epoch": "the last epoch's weights",
    }.get(selected_on or "", "")


def table(result: Forecast) -> str:
    """A text table: the data, one row per forecast (the model first), the verdict, warnings."""
    facts = result.facts
    rows = [(result.name if key == "model" else key, s) for key, s in result.scores.items()]
    width = max(len(label) for label, _ in rows)
    data_line = f"data: {facts.label}"
    if facts.rows:
        data_line += (
            f", {facts.rows} days {facts.first_date} .. {facts.last_date} "
            f"(sha256 {facts.fingerprint[:12]}), training days {facts.train_dates[1]} and before"
        )
    test_line = (
        f"{len(result.real)} test days {result.dates[0]} .. {result.dates[-1]}, "
        f"predicting tomorrow's {result.target}"
    )
    if result.selected_on:
        test_line += f"; {selection_text(result.selected_on)}"
    lines = [
        data_line,
        test_line,
        f"{'forecast':{width}}  {'MSE':>10} {'RMSE':>8} {'MAE':>8} {'MAPE %':>7}",
    ]
    for label, s in rows:
        lines.append(
            f"{label:{width}}  {s['mse']:10.2f} {s['rmse']:8.2f} {s['mae']:8.2f} {s['mape']:7.2f}"
        )
    lines.append(verdict_line(result))
    lines += [f"note: {note}" for note in result.notes]
    lines += [f"warning: {warning}" for warning in facts.warnings]
    return "\n".join(lines)


def plot(result: Forecast, path: str | Path) -> Path:
    """Predicted, real and the best naive forecast; below, where the model gains or loses.

    The lower panel is the running sum of (model error^2 - naive error^2): it falls while the
    model is the better forecast and rises while naive is, so a model that hugs the naive
    line (the usual case) shows its small gains and losses there.
    """
    import pandas as pd

    plt = plots.pyplot()
    days = pd.to_datetime(result.dates)
    best, column = result.best_naive, result.best_naive_column
    naive = result.naive[column]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    top.plot(days, result.real, color="black", linewidth=1.6, label=f"real {result.target}")
    rmse = result.scores["model"]["rmse"]
    top.plot(
        days,
        result.predicted,
        color="tab:blue",
        linewidth=1.2,
        label=f"predicted: {result.name} (RMSE {rmse:.2f})",
    )
    top.plot(
        days,
        naive,
        color="tab:orange",
        linewidth=1,
        linestyle="--",
        label=f"{best} (RMSE {result.scores[best]['rmse']:.2f})",
    )
    title = f"{result.facts.label}: tomorrow's {result.target}, predicted vs real"
    if result.selected_on == "test":
        title += f"\n(best epoch {ON_TEST}: these scores flatter the model)"
    top.set_title(title)
    top.set_ylabel("price")
    top.legend()
    top.grid(alpha=0.3)

    gain = np.cumsum((result.predicted - result.real) ** 2 - (naive - result.real) ** 2)
    bottom.plot(days, gain, color="tab:blue", linewidth=1.2)
    bottom.axhline(0, color="black", linewidth=0.8)
    bottom.fill_between(
        days,
        gain,
        0,
        where=gain <= 0,
        color="tab:green",
        alpha=0.25,
        interpolate=True,
        label="model ahead so far",
    )
    bottom.fill_between(
        days,
        gain,
        0,
        where=gain > 0,
        color="tab:red",
        alpha=0.25,
        interpolate=True,
        label="naive ahead so far",
    )
    bottom.set_title(
        f"where the model gains (line falls) or loses (line rises) against {best}:\n"
        f"running sum of model error² − naive error². Verdict: {result.verdict} than naive "
        f"(Diebold-Mariano p = {result.dm.p_value:.2g})",
        fontsize=10,
    )
    bottom.set_ylabel("price²")
    bottom.set_xlabel("date")
    bottom.legend(loc="best")
    bottom.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    if result.facts.warnings:  # below the figure, so a reader of the PNG alone sees them too
        lines = [textwrap.fill(f"warning: {w}", 150) for w in result.facts.warnings]
        fig.text(0.01, 0.0, "\n".join(lines), fontsize=8, color="darkred", va="top")
    return plots.save(fig, path)


def to_record(result: Forecast) -> ForecastRecord:
    """What forecast.json keeps of `result`."""
    facts = result.facts
    return ForecastRecord(
        data={
            "file": facts.file,
            "filter": facts.filter,
            "rows": facts.rows,
            "first_date": facts.first_date,
            "last_date": facts.last_date,
            "fingerprint": facts.fingerprint,
            "train_dates": facts.train_dates,
        },
        target=result.target,
        selected_on=result.selected_on,
        verdict=result.verdict,
        p_value=result.dm.p_value,
        dm_statistic=result.dm.statistic,
        best_naive=result.best_naive,
        beats_naive=result.beats_naive,
        scores=result.scores,
        summary=verdict_line(result),
        selection=selection_text(result.selected_on),
        notes=result.notes,
        warnings=facts.warnings,
        dates=result.dates,
        real=result.real.tolist(),
        predicted=result.predicted.tolist(),
        naive={c: v.tolist() for c, v in result.naive.items()},
    )


def save(result: Forecast, run: Run | str | Path) -> tuple[Path, Path]:
    """Write RUN/forecast.json (scores, verdict, per-day prices) and RUN/forecast.png."""
    run = run if isinstance(run, Run) else Run(run)
    json_path = run.write_forecast(to_record(result))
    plot(result, run.forecast_plot_path)
    return json_path, run.forecast_plot_path


def report_run(run: Run | str | Path, data_dir: str | None = None, checkpoint: str = "best") -> str:
    """Evaluate a price run, write forecast.json and forecast.png, return the text table."""
    run = run if isinstance(run, Run) else open_run(run)
    result = evaluate_run(run, data_dir=data_dir, checkpoint=checkpoint)
    json_path, png_path = save(result, run)
    return f"{table(result)}\nwrote {json_path} and {png_path}"
