"""The course's six steps for every Keras model, driven by a Spec.

    1. import        2. data (load_data)        3. model (make_model)
    4. compile       5. fit (with checkpoints and resume)       6. summary and artifacts

`run(spec)` does all six and leaves a run folder (see tfnote.run_folder). A run that was
interrupted (Ctrl-C, kill -9, power cut) continues from its last saved epoch when `run`
is called again with the same spec and folder, optimizer state included.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfnote import _tf, artifacts, atomic, run_folder
from tfnote.data import Data, load_dataset
from tfnote.errors import TfnoteError
from tfnote.spec import Spec

SAVE_INTERVAL_S = 1.0  # resume state is saved after an epoch at most this often (and last)


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict
    history: list[dict]
    model: object = None


# --- step 2: data -------------------------------------------------------------------------


def load_data(spec: Spec) -> Data:
    """The dataset of `spec`, cut to train_limit / test_limit when those are set."""
    data = load_dataset(spec.dataset, data_dir=spec.data_dir, **spec.dataset_args)
    if spec.train_limit:
        data.x_train, data.y_train = (
            data.x_train[: spec.train_limit],
            data.y_train[: spec.train_limit],
        )
    if spec.test_limit and data.x_test is not None:
        data.x_test, data.y_test = data.x_test[: spec.test_limit], data.y_test[: spec.test_limit]
    return data


def split_validation(spec: Spec, data: Data):
    """(x_train, y_train, x_val, y_val); "split" takes the last fraction, as Keras's own does."""
    if spec.validation == "test":
        if data.x_test is None:
            raise TfnoteError(f"dataset {spec.dataset!r} has no test set; use validation 'split'")
        return data.x_train, data.y_train, data.x_test, data.y_test
    if spec.validation == "split":
        n_val = int(len(data.x_train) * spec.validation_split)
        if n_val < 1 or n_val >= len(data.x_train):
            raise TfnoteError(f"validation split {spec.validation_split} leaves no data to use")
        cut = len(data.x_train) - n_val
        return data.x_train[:cut], data.y_train[:cut], data.x_train[cut:], data.y_train[cut:]
    return data.x_train, data.y_train, None, None


def make_pipeline(x, y, spec: Spec, training: bool, augment=None):
    """A tf.data pipeline: (shuffle) -> batch -> cast and scale (-> augment) -> prefetch.

    Scaling per batch keeps the arrays in their compact dtype (uint8 images) in memory.
    """
    tf, _ = _tf.load()
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training and spec.shuffle:
        ds = ds.shuffle(len(x), seed=spec.seed, reshuffle_each_iteration=True)
    ds = ds.batch(spec.batch_size if training else max(spec.batch_size, 256))
    scale = spec.scale

    def prepare(xb, yb):
        xb = tf.cast(xb, tf.float32)
        return (xb * scale if scale != 1.0 else xb), yb

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    if augment is not None:
        # The random layers share one seed state. Run on several batches at once, which batch
        # gets which draw would change from run to run; one at a time, a seed repeats its run.
        ds = ds.map(lambda xb, yb: (augment(xb, training=True), yb))
    return ds.prefetch(tf.data.AUTOTUNE)


# --- step 3 and 4: model and compile ------------------------------------------------------


def pick_strategy(name: str = "auto"):
    """ "auto": MirroredStrategy when several GPUs are visible, else the default strategy.

    "mirrored" forces MirroredStrategy over every visible device (GPUs, or logical CPUs);
    "default" forces the plain single-device strategy.
    """
    tf, _ = _tf.load()
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name != "auto":
        raise TfnoteError(f"unknown strategy {name!r}; use auto, mirrored or default")
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def make_model(spec: Spec, input_shape, num_classes: int):
    from tfnote.models import build_model

    tf, keras = _tf.load()
    mixed = spec.mixed_precision and tf.config.list_physical_devices("GPU")
    if mixed:  # the policy applies to layers made now; put it back for later models
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(spec.model, input_shape, num_classes, **spec.model_args)
    finally:
        if mixed:
            keras.mixed_precision.set_global_policy("float32")
    model(np.zeros((1, *input_shape), "float32"))  # build subclassed models so they have weights
    return model


def make_optimizer(spec: Spec, steps_per_epoch: int):
    _, keras = _tf.load()
    name = spec.optimizer.lower()  # checked against spec.OPTIMIZERS by Spec.check
    lr = spec.lr
    schedule = spec.lr_schedule or {}
    if schedule.get("type") == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(
            spec.lr, decay_steps=spec.epochs * steps_per_epoch, alpha=schedule.get("alpha", 0.0)
        )
    config = {"learning_rate": lr, **spec.optimizer_args}
    return keras.optimizers.get({"class_name": name, "config": config})


def compile_model(model, spec: Spec, steps_per_epoch: int) -> None:
    tf, keras = _tf.load()
    steps_per_execution = spec.steps_per_execution
    if tf.distribute.get_strategy().num_replicas_in_sync > 1:
        # Keras 3 fails with several replicas and several steps per call ("You must feed a
        # value for placeholder tensor", keras-team/keras#19246): one step per call there.
        steps_per_execution = 1
    loss = spec.loss
    if spec.loss == "sparse_categorical_crossentropy":
        # from_logits must match the output: False for a softmax layer, True for raw scores.
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=spec.from_logits)
    model.compile(
        optimizer=make_optimizer(spec, steps_per_epoch),
        loss=loss,
        metrics=list(spec.metrics),
        jit_compile=spec.jit_compile,
        steps_per_execution=steps_per_execution,
    )


# --- step 5: fit --------------------------------------------------------------------------


def _better(monitor: str, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value > best if "acc" in monitor else value < best


def checkpoint_callback(run_dir: Path, monitor: str, state: dict, epochs: int):
    """A Keras callback that records history and saves best and resume checkpoints atomically."""
    _, keras = _tf.load()

    class RunCheckpoint(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.last_save = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            row = {"epoch": epoch + 1}
            row.update({k: float(v) for k, v in (logs or {}).items()})
            state["history"].append(row)
            state["epoch"] = epoch + 1
            if monitor in row and _better(monitor, row[monitor], state.get("best")):
                state["best"] = row[monitor]
                state["best_epoch"] = epoch + 1
                atomic.save_weights(self.model, run_dir / "best.weights.h5")
            now = time.monotonic()
            if now - self.last_save >= SAVE_INTERVAL_S or epoch + 1 >= epochs:
                run_folder.save_state(run_dir, self.model, state)
                self.last_save = now

    return RunCheckpoint()


def interrupt_callback():
    """A callback that turns Ctrl-C during fit into KeyboardInterrupt at a safe point.

    Python runs a signal's handler wherever the main thread happens to be. When that is a
    finalizer or a C callback (TF freeing an iterator, h5py writing a checkpoint), the
    KeyboardInterrupt is printed as "ignored" and training goes on: a fresh-clone CI run
    once saw Ctrl-C end in a finished run with exit code 0. So while fit runs, Ctrl-C only
    sets a flag, and the callback raises after the current block of steps, or after the
    epoch's checkpoint has been written. A second Ctrl-C gets Python's usual handling.
    Use it as a context manager around fit; it restores the previous handler on exit.
    """
    _, keras = _tf.load()

    class StopOnCtrlC(keras.callbacks.Callback):
        pressed = False

        def __enter__(self):
            self.previous = None
            if threading.current_thread() is threading.main_thread():  # signals: main only
                # (None means a handler set outside Python: put Python's usual one back)
                self.previous = signal.getsignal(signal.SIGINT) or signal.default_int_handler
                signal.signal(signal.SIGINT, self._press)
            return self

        def __exit__(self, *exc):
            if self.previous is not None:
                signal.signal(signal.SIGINT, self.previous)

        def _press(self, signum, frame):
            self.pressed = True
            signal.signal(signal.SIGINT, self.previous)  # pressed again: stop at once

        def _stop_if_pressed(self, *args, **kwargs):
            if self.pressed:
                raise KeyboardInterrupt

        on_train_batch_end = on_test_batch_end = on_epoch_end = _stop_if_pressed

    return StopOnCtrlC()


def schedule_callbacks(spec: Spec) -> list:
    _, keras = _tf.load()
    schedule = spec.lr_schedule or {}
    if schedule.get("type") == "plateau":
        return [
            keras.callbacks.ReduceLROnPlateau(
                monitor=schedule.get("monitor", "val_loss"),
                factor=schedule.get("factor", 0.5),
                patience=schedule.get("patience", 3),
                min_lr=schedule.get("min_lr", 1e-6),
            )
        ]
    if schedule and schedule.get("type") != "cosine":
        raise TfnoteError(
            f"unknown lr_schedule type {schedule.get('type')!r}; use plateau or cosine"
        )
    return []


# --- the whole run ------------------------------------------------------------------------


def run(
    spec: Spec,
    out: str | Path | None = None,
    *,
    quiet: bool = False,
    fresh: bool = False,
    strategy: str = "auto",
) -> RunResult:
    """Train `spec` into run folder `out` (default runs/<spec.name>), resuming if it can."""
    run_dir = Path(out) if out else Path("runs") / spec.name
    spec.check()
    state = run_folder.check_run(run_dir, spec, fresh)  # fails early on a mismatched folder
    tf, keras = _tf.load()

    data = load_data(spec)  # step 2
    x_train, y_train, x_val, y_val = split_validation(spec, data)
    steps_per_epoch = math.ceil(len(x_train) / spec.batch_size)

    keras.utils.set_random_seed(spec.seed)  # same seed: same weights, batches, augmentation
    augment = None
    if spec.augment:
        from tfnote.augment import augmentation

        augment = augmentation(spec.augment)
    with pick_strategy(strategy).scope():  # steps 3 and 4
        model = make_model(spec, data.input_shape, data.num_classes)
        compile_model(model, spec, steps_per_epoch)

    run_folder.start_run(run_dir, spec, fresh)  # only now: bad data leaves no folder behind
    atomic.write_json(
        run_dir / "model.json",
        {
            "model": spec.model,
            "model_args": spec.model_args,
            "input_shape": list(data.input_shape),
            "num_classes": data.num_classes,
            "class_names": data.class_names,
            "scale": spec.scale,
            "dataset": spec.dataset,
            "data_source": data.source,
            "info": data.info,
        },
    )

    state = state or {"epoch": 0, "history": [], "best": None, "train_seconds": 0.0}
    done = state["epoch"]
    if done:
        run_folder.load_checkpoint(model, run_dir / state["checkpoint"])
        keras.utils.set_random_seed(spec.seed + done)  # so resuming is itself reproducible
    monitor = spec.monitor or ("val_loss" if x_val is not None else "loss")

    started = time.perf_counter()
    if done < spec.epochs:  # step 5
        if not quiet and done:
            print(f"resuming {run_dir} after epoch {done} of {spec.epochs}")
        val_ds = make_pipeline(x_val, y_val, spec, training=False) if x_val is not None else None
        # The Ctrl-C callback comes last, so an epoch's checkpoint is saved before it stops.
        with interrupt_callback() as stop_on_ctrl_c:
            model.fit(
                make_pipeline(x_train, y_train, spec, training=True, augment=augment),
                epochs=spec.epochs,
                initial_epoch=done,
                validation_data=val_ds,
                validation_freq=spec.validation_freq,
                callbacks=[checkpoint_callback(run_dir, monitor, state, spec.epochs)]
                + schedule_callbacks(spec)
                + [stop_on_ctrl_c],
                shuffle=False,  # the pipeline shuffles, with the spec's seed
                # a live progress bar in a terminal, one line per epoch in a log file
                verbose=0 if quiet else (1 if sys.stdout.isatty() else 2),
            )
    elif not quiet:
        print(f"{run_dir} already finished {done} epochs (--fresh retrains, --epochs N extends)")
    state["train_seconds"] = state.get("train_seconds", 0.0) + time.perf_counter() - started
    if state["epoch"] > done:
        run_folder.save_state(run_dir, model, state)  # records the total time too

    # step 6: evaluate, summary, artifacts
    if data.x_test is not None:
        x_eval, y_eval, on = data.x_test, data.y_test, "test"
    elif x_val is not None:
        x_eval, y_eval, on = x_val, y_val, "validation"
    else:
        x_eval, y_eval, on = x_train, y_train, "train"
    scores = model.evaluate(
        make_pipeline(x_eval, y_eval, spec, training=False), verbose=0, return_dict=True
    )
    metrics = {"evaluated_on": on, **{k: float(v) for k, v in scores.items()}}
    accuracy = next((v for k, v in metrics.items() if "acc" in k), None)
    if accuracy is not None:
        metrics["accuracy"] = accuracy
    metrics.update(
        epochs=state["epoch"],
        train_seconds=round(state["train_seconds"], 2),
        params=int(model.count_params()),
        best_epoch=state.get("best_epoch"),
        monitor=monitor,
    )
    write_artifacts(model, spec, state["history"], metrics, run_dir)
    if not quiet:
        shown = ", ".join(
            f"{k} {v:.4f}" for k, v in metrics.items() if k in scores or k == "accuracy"
        )
        print(
            f"{on}: {shown}  ({state['epoch']} epochs, {state['train_seconds']:.1f} s) -> {run_dir}"
        )
    return RunResult(run_dir, metrics, state["history"], model)


def write_artifacts(model, spec: Spec, history: list[dict], metrics: dict, run_dir: Path) -> None:
    atomic.write_text(run_dir / "summary.txt", artifacts.summary_text(model))
    artifacts.write_history(history, run_dir)
    artifacts.write_weights_txt(model, run_dir / "weights.txt")
    artifacts.plot_curves(history, run_dir / "curves.png", spec.title or spec.name)
    atomic.write_json(run_dir / "metrics.json", metrics)
