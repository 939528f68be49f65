"""MNIST MLP (class 3, p14), 5 epochs: the course's way against tfnote's, in one process.

The course's way: `model.fit` on NumPy arrays divided by 255, batch 32, the test set as
validation data every epoch (Keras defaults otherwise). tfnote's way: `tfnote train p14`,
which adds a tf.data pipeline, XLA compilation and 64 steps per call, plus checkpoints.

    .venv/bin/python bench/bench_mnist.py [--data-dir ../shared/data] [--epochs 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tfnote import _tf, train
from tfnote.data import load_dataset
from tfnote.spec import get_preset

ROOT = Path(__file__).resolve().parents[1]


def course_way(data_dir: str, epochs: int, seed: int) -> tuple[float, float]:
    tf, keras = _tf.load()
    data = load_dataset("mnist", data_dir=data_dir)
    x_train, x_test = data.x_train / 255.0, data.x_test / 255.0
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
        metrics=["sparse_categorical_accuracy"],
    )
    start = time.perf_counter()
    model.fit(
        x_train,
        data.y_train,
        batch_size=32,
        epochs=epochs,
        validation_data=(x_test, data.y_test),
        validation_freq=1,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, data.y_test, verbose=0)
    return seconds, accuracy


def tfnote_way(data_dir: str, epochs: int, seed: int) -> tuple[float, float]:
    spec = get_preset("p14").replace(data_dir=data_dir, epochs=epochs, seed=seed)
    with tempfile.TemporaryDirectory() as out:
        result = train.run(spec, out, quiet=True)
    return result.metrics["train_seconds"], result.metrics["accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    for seed in args.seeds:
        course_s, course_acc = course_way(args.data_dir, args.epochs, seed)
        ours_s, ours_acc = tfnote_way(args.data_dir, args.epochs, seed)
        print(f"seed {seed}: course way {course_s:6.1f} s  accuracy {course_acc:.4f}")
        print(f"seed {seed}: tfnote     {ours_s:6.1f} s  accuracy {ours_acc:.4f}")
        print(f"seed {seed}: speed-up   {course_s / ours_s:6.2f}x  (training time, side by side)")


if __name__ == "__main__":
    main()
