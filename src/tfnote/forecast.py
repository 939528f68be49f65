"""Judge a price run in price units, beside the forecasts that need no network at all.

A network that predicts tomorrow's opening price is only useful if it beats "tomorrow's
open = today's open" and "tomorrow's open = today's close". This module turns a run's test
predictions back into prices, scores them (MSE, RMSE, MAE, MAPE) next to those naive
forecasts, and draws predicted against real prices with the best naive forecast.

    >>> from tfnote import forecast
    >>> result = forecast.evaluate_run("runs/stock-lstm", data_dir="../shared/data")
    >>> print(forecast.table(result))
    >>> forecast.save(result, "runs/stock-lstm")      # forecast.json and forecast.png
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfnote import atomic
from tfnote.errors import TfnoteError


@dataclass
class Forecast:
    """Test days, real and predicted prices, naive forecasts, and the score of each."""

    name: str
    target: str
    dates: list[str]
    real: np.ndarray
    predicted: np.ndarray
    naive: dict[str, np.ndarray]  # column -> "tomorrow = today's <column>" forecast
    scores: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def best_naive(self) -> str:
        """The label of the naive forecast with the lowest RMSE."""
        return min((k for k in self.scores if k != "model"), key=lambda k: self.scores[k]["rmse"])

    @property
    def beats_naive(self) -> bool:
        return self.scores["model"]["rmse"] < self.scores[self.best_naive]["rmse"]


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


def to_prices(outputs: np.ndarray, info: dict) -> np.ndarray:
    """The network's outputs (scaled) as prices, undoing the loader's scaling."""
    outputs = np.asarray(outputs, float).reshape(-1)
    scaling = info["scaling"]
    if scaling["type"] == "minmax":
        low, high = scaling["min_max"][info["target"]]
        return outputs * (high - low) + low
    if scaling["type"] == "change":
        return np.asarray(info["test_base"]) * np.exp(outputs * scaling["y_std"])
    raise TfnoteError(f"unknown scaling {scaling['type']!r} in the run's data info")


def naive_label(column: str, target: str) -> str:
    return f"naive: {target} = today's {column}"


def evaluate(model, data, name: str = "model", scale: float = 1.0) -> Forecast:
    """Predict the test windows of `data` (a prices Data) and score them in price units."""
    info = data.info
    if info.get("kind") != "prices":
        raise TfnoteError("forecast evaluation needs a price run (dataset prices)")
    x = np.asarray(data.x_test, "float32") * scale  # the training pipeline's scaling
    n = len(x)  # fewer than the info lists when the run used --limit-test
    info = dict(info, test_base=(info.get("test_base") or [])[:n] or None)
    outputs = model.predict(x, batch_size=256, verbose=0)
    real = np.asarray(info["test_real"][:n], float)
    result = Forecast(
        name=name,
        target=info["target"],
        dates=list(info["test_dates"][:n]),
        real=real,
        predicted=to_prices(outputs, info),
        naive={c: np.asarray(v[:n], float) for c, v in info["naive"].items()},
    )
    result.scores["model"] = score(result.predicted, real)
    for column, values in result.naive.items():
        result.scores[naive_label(column, result.target)] = score(values, real)
    return result


def evaluate_run(
    run_dir: str | Path, data_dir: str | None = None, checkpoint: str = "best"
) -> Forecast:
    """Reload a finished price run (its spec, data and weights) and evaluate it."""
    from tfnote import run_folder, train

    run_dir = Path(run_dir)
    spec = run_folder.read_spec(run_dir)
    if not spec.dataset.startswith("prices"):
        raise TfnoteError(f"{run_dir} was trained on {spec.dataset!r}, not on prices")
    if data_dir is not None:
        spec = spec.replace(data_dir=data_dir)
    model, _ = run_folder.load_model(run_dir, checkpoint)
    data = train.load_data(spec)
    return evaluate(model, data, name=spec.name, scale=spec.scale)


def table(result: Forecast) -> str:
    """A text table: one row per forecast, the model first, the winner marked."""
    rows = [(result.name if key == "model" else key, s) for key, s in result.scores.items()]
    width = max(len(label) for label, _ in rows)
    lines = [
        f"{len(result.real)} test days {result.dates[0]} .. {result.dates[-1]}, "
        f"predicting tomorrow's {result.target}",
        f"{'forecast':{width}}  {'MSE':>10} {'RMSE':>8} {'MAE':>8} {'MAPE %':>7}",
    ]
    for label, s in rows:
        lines.append(
            f"{label:{width}}  {s['mse']:10.2f} {s['rmse']:8.2f} {s['mae']:8.2f} {s['mape']:7.2f}"
        )
    model_rmse = result.scores["model"]["rmse"]
    best = result.best_naive
    best_rmse = result.scores[best]["rmse"]
    change = (model_rmse - best_rmse) / best_rmse * 100
    verdict = "beats" if result.beats_naive else "does NOT beat"
    lines.append(
        f"the model {verdict} the best naive forecast ({best}): RMSE {model_rmse:.2f} vs "
        f"{best_rmse:.2f} ({abs(change):.1f}% {'lower' if change < 0 else 'higher'})"
    )
    return "\n".join(lines)


def plot(result: Forecast, path: str | Path) -> None:
    """Real, predicted and the best naive forecast over the test days, in price units."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    days = pd.to_datetime(result.dates)
    best = result.best_naive
    column = next(c for c in result.naive if naive_label(c, result.target) == best)
    fig, ax = plt.subplots(figsize=(11, 5))
    ax.plot(days, result.real, color="black", linewidth=1.6, label=f"real {result.target}")
    rmse = result.scores["model"]["rmse"]
    ax.plot(
        days,
        result.predicted,
        color="tab:blue",
        linewidth=1.2,
        label=f"predicted: {result.name} (RMSE {rmse:.2f})",
    )
    naive_rmse = result.scores[best]["rmse"]
    ax.plot(
        days,
        result.naive[column],
        color="tab:orange",
        linewidth=1,
        linestyle="--",
        label=f"{best} (RMSE {naive_rmse:.2f})",
    )
    ax.set_title(f"Tomorrow's {result.target}: predicted vs real, with the naive forecast")
    ax.set_xlabel("date")
    ax.set_ylabel("price")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    with atomic.atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


def save(result: Forecast, run_dir: str | Path) -> tuple[Path, Path]:
    """Write RUN/forecast.json (scores and per-day prices) and RUN/forecast.png."""
    run_dir = Path(run_dir)
    atomic.write_json(
        run_dir / "forecast.json",
        {
            "target": result.target,
            "scores": result.scores,
            "best_naive": result.best_naive,
            "beats_naive": result.beats_naive,
            "dates": result.dates,
            "real": result.real.tolist(),
            "predicted": result.predicted.tolist(),
            "naive": {c: v.tolist() for c, v in result.naive.items()},
        },
    )
    plot(result, run_dir / "forecast.png")
    return run_dir / "forecast.json", run_dir / "forecast.png"


def report_run(run_dir: str | Path, data_dir: str | None = None, checkpoint: str = "best") -> str:
    """Evaluate a price run, write forecast.json and forecast.png, return the text table."""
    result = evaluate_run(run_dir, data_dir=data_dir, checkpoint=checkpoint)
    json_path, png_path = save(result, run_dir)
    return f"{table(result)}\nwrote {json_path} and {png_path}"
