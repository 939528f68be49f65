"""Benchmark: the course's LSTM stock program against `tfnote train stock-lstm`, in one run.

The course's way: NumPy windows built in Python, MinMaxScaler, model.fit with the test
set as validation every epoch and a ModelCheckpoint on val_loss (course settings: 60-day
windows, LSTM(80) LSTM(100) with dropout 0.2, adam 1e-3, MSE, batch 64, 50 epochs).
tfnote's way: the same spec through tfnote.train.run (tf.data pipeline, many steps per
call, its own checkpoints and resume state). Both are scored by RMSE in price units on
the 240 test days, from their best (val_loss) weights.

    .venv/bin/python bench/bench_lstm.py --data-dir ../shared/data [--epochs 50] [--repeats 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def course_way(csv: Path, epochs: int, workdir: Path) -> tuple[float, float]:
    """The course's lstm_stock program (updated only where Keras 3 requires it)."""
    import pandas as pd
    from sklearn.preprocessing import MinMaxScaler

    from tfnote import _tf

    tf, keras = _tf.load()
    maotai = pd.read_csv(csv)
    training_set = maotai.iloc[0 : 2426 - 300, 2:3].values  # the open price
    test_set = maotai.iloc[2426 - 300 :, 2:3].values
    sc = MinMaxScaler(feature_range=(0, 1))
    training_set_scaled = sc.fit_transform(training_set)
    test_set = sc.transform(test_set)
    x_train, y_train, x_test, y_test = [], [], [], []
    for i in range(60, len(training_set_scaled)):
        x_train.append(training_set_scaled[i - 60 : i, 0])
        y_train.append(training_set_scaled[i, 0])
    np.random.seed(7)
    np.random.shuffle(x_train)
    np.random.seed(7)
    np.random.shuffle(y_train)
    tf.random.set_seed(7)
    x_train, y_train = np.array(x_train), np.array(y_train)
    x_train = np.reshape(x_train, (x_train.shape[0], 60, 1))
    for i in range(60, len(test_set)):
        x_test.append(test_set[i - 60 : i, 0])
        y_test.append(test_set[i, 0])
    x_test, y_test = np.array(x_test), np.array(y_test)
    x_test = np.reshape(x_test, (x_test.shape[0], 60, 1))

    model = keras.Sequential(
        [
            keras.layers.LSTM(80, return_sequences=True),
            keras.layers.Dropout(0.2),
            keras.layers.LSTM(100),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="mean_squared_error")
    checkpoint = str(workdir / "LSTM_stock.weights.h5")  # Keras 3 needs .weights.h5
    cp_callback = keras.callbacks.ModelCheckpoint(
        filepath=checkpoint, save_weights_only=True, save_best_only=True, monitor="val_loss"
    )
    started = time.perf_counter()
    model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=epochs,
        validation_data=(x_test, y_test),
        validation_freq=1,
        callbacks=[cp_callback],
        verbose=0,
    )
    seconds = time.perf_counter() - started
    model.load_weights(checkpoint)
    predicted = sc.inverse_transform(model.predict(x_test, verbose=0))
    real = sc.inverse_transform(test_set[60:])
    rmse = float(np.sqrt(np.mean((predicted - real) ** 2)))
    return seconds, rmse


def tfnote_way(data_dir: str, epochs: int, workdir: Path, preset: str) -> tuple[float, float]:
    from tfnote import forecast, train
    from tfnote.spec import get_preset

    spec = get_preset(preset).replace(epochs=epochs, data_dir=data_dir)
    run_dir = workdir / preset
    started = time.perf_counter()
    train.run(spec, run_dir, quiet=True, fresh=True)
    seconds = time.perf_counter() - started
    result = forecast.evaluate_run(run_dir)
    return seconds, result.scores["model"]["rmse"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(Path(__file__).parents[1] / "../shared/data"))
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=1, help="alternate the two this often")
    parser.add_argument("--preset", default="stock-lstm")
    args = parser.parse_args()
    csv = Path(args.data_dir) / "SH600519.csv"

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            # Alternate which goes first, so a busy machine penalizes both alike.
            order = ("course", "tfnote") if r % 2 == 0 else ("tfnote", "course")
            for way in order:
                if way == "course":
                    seconds, rmse = course_way(csv, args.epochs, Path(tmp))
                else:
                    seconds, rmse = tfnote_way(args.data_dir, args.epochs, Path(tmp), args.preset)
                rows.append((way, seconds, rmse))
                print(f"{way:7} {seconds:7.1f} s   RMSE {rmse:6.2f}", flush=True)

    course = [r for r in rows if r[0] == "course"]
    mine = [r for r in rows if r[0] == "tfnote"]
    course_s, mine_s = np.median([r[1] for r in course]), np.median([r[1] for r in mine])
    course_rmse, mine_rmse = np.median([r[2] for r in course]), np.median([r[2] for r in mine])
    print(
        f"{args.epochs} epochs, median of {args.repeats}: course {course_s:.1f} s RMSE "
        f"{course_rmse:.2f} | tfnote {mine_s:.1f} s RMSE {mine_rmse:.2f} | "
        f"speed-up {course_s / mine_s:.2f}x"
    )


if __name__ == "__main__":
    main()
