"""What the RunFolder callback costs: the course's p14 in plain Keras, with and without it.

Both runs train the same MLP on the same MNIST arrays (batch 32, 5 epochs, the test set
as validation) in one process, alternating, and the script prints the ratio. The callback's
work: a checkpoint with optimizer state after each epoch, the best weights, and at the end
weights.txt, curves.png, summary.txt, history and model.keras.

    .venv/bin/python bench/bench_runfolder.py [--data-dir ../shared/data] [--repeats 2]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import keras

import tfnote

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def train(data, epochs: int, folder: Path | None) -> tuple[float, float]:
    """(seconds in fit, final validation accuracy) of the course's p14 MLP."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"]
    )
    callbacks = [tfnote.RunFolder(folder, data=data, scale=1 / 255)] if folder else []
    x_train, x_test = data.x_train / 255, data.x_test / 255
    started = time.perf_counter()
    history = model.fit(
        x_train,
        data.y_train,
        batch_size=32,
        epochs=epochs,
        validation_data=(x_test, data.y_test),
        callbacks=callbacks,
        verbose=0,
    )
    seconds = time.perf_counter() - started
    return seconds, history.history["val_sparse_categorical_accuracy"][-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    data = tfnote.load_dataset("mnist", data_dir=args.data_dir)
    work = Path(tempfile.mkdtemp(prefix="bench-runfolder-"))
    train(data, 1, None)  # warm-up: the first fit pays for TensorFlow's start-up
    plain, with_folder = [], []
    try:
        for i in range(args.repeats):
            for label, folder in (("plain", None), ("RunFolder", work / f"run{i}")):
                seconds, accuracy = train(data, args.epochs, folder)
                (plain if folder is None else with_folder).append(seconds)
                print(f"{label:10} {seconds:6.1f} s  val accuracy {accuracy:.4f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = min(with_folder) / min(plain)
    print(f"RunFolder costs {100 * (ratio - 1):+.1f}% of training time (best of {args.repeats})")


if __name__ == "__main__":
    main()
