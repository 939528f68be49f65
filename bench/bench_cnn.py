"""Benchmark: class 5's CNNs on full CIFAR-10, the course's way against tfnote's way.

The course's way: NumPy arrays divided by 255.0 (float64), `model.fit(x, y, batch_size=32,
epochs=5, validation_data=test, callbacks=[ModelCheckpoint(best)])` with Keras's defaults
(no XLA on a CPU-only machine, one step per call), one log line per epoch.
tfnote's way: `tfnote.train.run` on the model's preset (uint8 arrays scaled per batch in a
tf.data pipeline, many steps per call, the preset's XLA setting, checkpoints and resume
state, weights.txt, curves). Same architecture, optimizer, batch size and epochs; both run
one after the other in this process. Load from other programs moves the ratio a lot (1.1x to
1.9x on a shared 2-core machine): on a busy machine run it several times.

    .venv/bin/python bench/bench_cnn.py                       # baseline and lenet5, 5 epochs
    .venv/bin/python bench/bench_cnn.py --models lenet5 --epochs 2 --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARS = {"baseline": 0.55, "lenet5": 0.45}  # the test-accuracy bars after 5 epochs


def course_way(model_name: str, data, epochs: int, seed: int, out: Path) -> dict:
    """Train like the course's script: plain fit on float64 NumPy arrays, a best checkpoint."""
    from tfnote import _tf
    from tfnote.models import build_model

    tf, keras = _tf.load()
    keras.utils.set_random_seed(seed)
    x_train, x_test = data.x_train / 255.0, data.x_test / 255.0
    model = build_model(model_name, data.input_shape, data.num_classes)
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
        metrics=["sparse_categorical_accuracy"],
    )
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(out / f"{model_name}.weights.h5"), save_weights_only=True, save_best_only=True
    )
    started = time.perf_counter()
    model.fit(
        x_train,
        data.y_train,
        batch_size=32,
        epochs=epochs,
        validation_data=(x_test, data.y_test),
        validation_freq=1,
        callbacks=[checkpoint],
        verbose=2,  # one line per epoch like tfnote's (the course's progress bar costs a bit more)
    )
    seconds = time.perf_counter() - started
    _, accuracy = model.evaluate(x_test, data.y_test, verbose=0)
    return {"fit_seconds": seconds, "total_seconds": seconds, "accuracy": float(accuracy)}


def tfnote_way(model_name: str, data_dir: str, epochs: int, seed: int, out: Path) -> dict:
    """Train with tfnote.train.run on the model's CIFAR-10 preset."""
    from tfnote import train
    from tfnote.spec import get_preset

    spec = get_preset(f"cifar10-{model_name}").replace(epochs=epochs, data_dir=data_dir, seed=seed)
    started = time.perf_counter()
    result = train.run(spec, out / model_name, fresh=True)
    total = time.perf_counter() - started
    return {
        "fit_seconds": result.metrics["train_seconds"],
        "total_seconds": total,
        "accuracy": result.metrics["accuracy"],
        "jit_compile": spec.jit_compile,
        "steps_per_execution": spec.steps_per_execution,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="baseline,lenet5", help="comma-separated names")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--skip-course", action="store_true", help="time tfnote's way only")
    args = parser.parse_args()

    from tfnote.data import load_dataset

    data = load_dataset("cifar10", data_dir=args.data_dir)
    print(f"CIFAR-10: {len(data.x_train)} train, {len(data.x_test)} test ({data.source})")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            course = None
            if not args.skip_course:
                print(f"\n== {name}: the course's way (plain fit on NumPy)")
                course = course_way(name, data, args.epochs, args.seed, Path(tmp))
            print(f"\n== {name}: tfnote's way (train.run on preset cifar10-{name})")
            ours = tfnote_way(name, args.data_dir, args.epochs, args.seed, Path(tmp))
            rows.append((name, course, ours))

    print(f"\n{'model':10} {'way':8} {'fit s':>8} {'total s':>8} {'test acc':>9}  bar")
    for name, course, ours in rows:
        bar = BARS.get(name) if args.epochs >= 5 else None
        for way, r in (("course", course), ("tfnote", ours)):
            if r is None:
                continue
            verdict = "" if bar is None else f">= {bar}: {'ok' if r['accuracy'] >= bar else 'MISS'}"
            print(
                f"{name:10} {way:8} {r['fit_seconds']:8.1f} {r['total_seconds']:8.1f} "
                f"{r['accuracy']:9.4f}  {verdict}"
            )
        if course:
            print(
                f"{name:10} speed-up: fit {course['fit_seconds'] / ours['fit_seconds']:.2f}x, "
                f"whole run {course['total_seconds'] / ours['total_seconds']:.2f}x "
                f"(tfnote jit_compile={ours['jit_compile']}, "
                f"steps_per_execution={ours['steps_per_execution']}); "
                f"accuracy difference {ours['accuracy'] - course['accuracy']:+.4f}"
            )


if __name__ == "__main__":
    main()
