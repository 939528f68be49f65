"""Train the cifar10-resnet18-tuned recipe on a GPU through Keras's JAX backend; print its
accuracy and time per epoch.

Why JAX: the GPU machines lent to this project carry JAX with CUDA but no TensorFlow, and
nothing can be installed there beyond a few small wheels. Keras 3 runs the same model code
on either backend, so this script measures the recipe itself: tfnote's ResNet18 and the
preset's augmentation, batch size, optimizer, learning rate, cosine schedule, epochs and
mixed precision. What it does not measure is tfnote's TensorFlow input pipeline and run
folder (`tfnote train cifar10-resnet18-tuned` does all of it where a TensorFlow GPU build is
installed).

The augmentation (random crop after 4-pixel zero padding, random horizontal flip; the
preset's "cifar") runs here in NumPy on the host, once per epoch: Keras's random image
layers inside a JAX model on an accelerator are very slow (keras-team/keras#23229; a first
run here with them took 403 s for one epoch on an H200).

    KERAS_BACKEND=jax python bench/gpu_resnet18_recipe.py --data-dir ../shared/data
    # or from uint8 arrays saved as .npy (x_train*.npy are joined in name order):
    KERAS_BACKEND=jax python bench/gpu_resnet18_recipe.py --arrays DIR [--minutes 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

import keras  # noqa: E402

# tfnote's model modules ask tfnote._tf for (tf, keras); they use only keras, so hand them
# Keras alone instead of importing TensorFlow (which the GPU machine does not have).
sys.modules["tfnote._tf"] = types.SimpleNamespace(load=lambda: (None, keras))

from tfnote.models.resnet import resnet18  # noqa: E402
from tfnote.spec import get_preset  # noqa: E402


def pad_crop_flip(x: np.ndarray, rng: np.random.Generator, pad: int = 4) -> np.ndarray:
    """Each image shifted by up to `pad` pixels (zeros fill the gap) and flipped half the time."""
    n, h, w, _ = x.shape
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(1, 2))
    dy, dx = rng.integers(0, 2 * pad + 1, n), rng.integers(0, 2 * pad + 1, n)
    out = windows[np.arange(n), dy, dx].transpose(0, 2, 3, 1)  # (n, c, h, w) -> (n, h, w, c)
    flip = rng.random(n) < 0.5
    out[flip] = out[flip, :, ::-1]
    return out


def load_arrays(args) -> tuple[np.ndarray, ...]:
    if args.arrays:
        folder = Path(args.arrays)
        parts = sorted(folder.rglob("x_train*.npy"), key=lambda p: p.name)
        x_train = np.concatenate([np.load(p) for p in parts])
        y_train, x_test, y_test = (
            np.load(next(folder.rglob(f"{n}.npy"))) for n in ("y_train", "x_test", "y_test")
        )
    else:
        from tfnote.data.formats import read_cifar10_folder

        x_train, y_train, x_test, y_test = read_cifar10_folder(
            Path(args.data_dir) / "cifar-10-batches-py"
        )
    if args.limit:
        x_train, y_train, x_test, y_test = (
            x_train[: args.limit],
            y_train[: args.limit],
            x_test[: args.limit],
            y_test[: args.limit],
        )
    return x_train, y_train.ravel(), x_test, y_test.ravel()


class TimeLimit(keras.callbacks.Callback):
    """Stop after the epoch that crosses the time budget, so the script always reports."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds, self.started, self.epoch_times = seconds, time.perf_counter(), []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_times.append(time.perf_counter() - self.epoch_started)
        if time.perf_counter() - self.started > self.seconds:
            self.model.stop_training = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(Path(__file__).parents[1] / "../shared/data"))
    parser.add_argument(
        "--arrays", help="folder of x_train*.npy, y_train.npy, x_test.npy, y_test.npy"
    )
    parser.add_argument("--epochs", type=int, help="default: the preset's")
    parser.add_argument("--minutes", type=float, default=60, help="stop after the epoch past this")
    parser.add_argument("--limit", type=int, help="use only this many images (a quick check)")
    args = parser.parse_args()

    spec = get_preset("cifar10-resnet18-tuned")
    epochs = args.epochs or spec.epochs
    x_train, y_train, x_test, y_test = load_arrays(args)
    x_test = x_test.astype("float32") * spec.scale
    steps_per_epoch = -(-len(x_train) // spec.batch_size)
    print(f"backend {keras.backend.backend()}; devices: {keras.distribution.list_devices()}")
    print(f"{len(x_train)} training images, batch {spec.batch_size}, {epochs} epochs")

    keras.utils.set_random_seed(spec.seed)
    if spec.mixed_precision:  # as tfnote.train does on a GPU
        keras.mixed_precision.set_global_policy("mixed_float16")
    model = resnet18(x_train.shape[1:], 10)
    schedule = keras.optimizers.schedules.CosineDecay(spec.lr, decay_steps=epochs * steps_per_epoch)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    rng = np.random.default_rng(spec.seed)
    limit = TimeLimit(args.minutes * 60)
    started = time.perf_counter()
    done = 0
    while done < epochs and not model.stop_training:  # one fit per epoch: fresh augmentation
        x_epoch = pad_crop_flip(x_train, rng).astype("float32") * spec.scale
        model.fit(
            x_epoch,
            y_train,
            batch_size=spec.batch_size,
            initial_epoch=done,
            epochs=done + 1,
            callbacks=[limit],
            verbose=2,
        )  # the cosine schedule follows the optimizer's step count across these calls
        done += 1
    seconds = time.perf_counter() - started
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    later = limit.epoch_times[1:] or limit.epoch_times
    print(
        f"RESULT epochs {done}/{epochs}, test accuracy {accuracy:.4f}, "
        f"first epoch {limit.epoch_times[0]:.1f} s (compiling), then median "
        f"{np.median(later):.2f} s per epoch, total {seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
