"""The course's six steps for every Keras model, driven by a Spec.

    1. import        2. data (load_data)        3. model (make_model)
    4. compile       5. fit (with tfnote.RunFolder)         6. evaluate

`run(spec)` does all six and leaves a run folder (see tfnote.run_folder). The RunFolder
callback does the saving: a run that was interrupted (Ctrl-C, kill -9, power cut)
continues from its last saved epoch when `run` is called again with the same spec and
folder, optimizer state included.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfnote import _tf
from tfnote.augment import Augmentation, make_augmentation
from tfnote.data import Data, load_dataset
from tfnote.errors import TfnoteError
from tfnote.losses import make_loss
from tfnote.optimizers import make_optimizer
from tfnote.run_folder import Metrics, ResumeState, Run
from tfnote.schedules import make_schedule
from tfnote.spec import OWN_DATA, Spec, on_course_data


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
            raise TfnoteError(f"dataset '{spec.dataset}' has no test set; use validation 'split'")
        return data.x_train, data.y_train, data.x_test, data.y_test
    if spec.validation == "split":
        n_val = int(len(data.x_train) * spec.validation_split)
        if n_val < 1 or n_val >= len(data.x_train):
            raise TfnoteError(f"validation split {spec.validation_split} leaves no data to use")
        cut = len(data.x_train) - n_val
        return data.x_train[:cut], data.y_train[:cut], data.x_train[cut:], data.y_train[cut:]
    return data.x_train, data.y_train, None, None


def make_pipeline(x, y, spec: Spec, seeds=None, augment: Augmentation | None = None):
    """A tf.data pipeline: (shuffle) -> batch -> cast and scale (-> augment) -> prefetch.

    With `seeds` (training data: an epoch_seeds callback) the batches follow the order
    that callback draws for each epoch from the seed and the epoch alone, so a resumed run
    sees the batches an uninterrupted one would; `augment` (tfnote.augment) changes them.
    Scaling per batch keeps the arrays in their compact dtype (uint8 images) in memory.
    """
    tf, _ = _tf.load()
    scale = spec.scale
    augment = augment or Augmentation()

    def prepare(xb, yb):
        xb = tf.cast(xb, tf.float32)
        return (xb * scale if scale != 1.0 else xb), yb

    if seeds is not None and spec.shuffle:
        x, y = tf.constant(x), tf.constant(y)
        order = seeds.order_of(len(x))

        def batch_of(i):  # one function for gather and scale: tf.data pays per function
            picked = tf.gather(order, i)
            xb, yb = prepare(tf.gather(x, picked), tf.gather(y, picked))
            if augment.by_index is not None:  # a function of (indices, epoch, seed) alone
                xb = augment.by_index(xb, picked, seeds.epoch, spec.seed)
            return xb, yb

        ds = tf.data.Dataset.range(len(x)).batch(spec.batch_size)
        ds = ds.map(batch_of, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = tf.data.Dataset.from_tensor_slices((x, y))
        ds = ds.batch(spec.batch_size if seeds is not None else max(spec.batch_size, 256))
        ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    if augment.layers is not None:
        # The random layers share one seed state. Run on several batches at once, which batch
        # gets which draw would change from run to run; one at a time, a seed repeats its run.
        ds = ds.map(lambda xb, yb: (augment.layers(xb, training=True), yb))
    return ds.prefetch(tf.data.AUTOTUNE)


def epoch_seeds(seed: int, *models):
    """A callback that makes epoch k's randomness a function of (seed, k) alone.

    At the start of each epoch it draws the order of the training samples (which
    make_pipeline follows) and sets the seed state of every random layer (Dropout,
    augmentation) of the trained model and of `models` (None: left out). Keras keeps that
    state outside the saved weights, so without this a resumed run would draw other
    batches, dropout masks and augmentations than an uninterrupted one.
    """
    tf, keras = _tf.load()

    class EpochSeeds(keras.callbacks.Callback):
        order = None
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False)  # for by-index augmentation

        def order_of(self, n: int):
            """The variable holding this epoch's order of n samples."""
            self.order = tf.Variable(tf.range(n, dtype=tf.int64), trainable=False)
            return self.order

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch.assign(epoch)
            if self.order is not None:
                n = int(self.order.shape[0])
                seeds = tf.constant([seed, epoch], tf.int64)
                self.order.assign(
                    tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seeds)
                )
            generators = [
                g
                for model in (self.model, *models)
                if model is not None
                for layer in model._flatten_layers()
                for g in getattr(layer, "_seed_generators", [])
            ]
            for i, generator in enumerate(generators):
                state = np.array([seed + epoch, i], generator.state.dtype)
                generator.state.assign(state)

    return EpochSeeds()


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
    return model


def adapt_model(model, spec: Spec, x_train, verbose: bool = False) -> None:
    """Let a model with an `adapt(images, verbose)` method learn from the training data
    before training (e.g. whitening filters from training patches). Deterministic, so a
    resumed run computes the same, and the checkpoint restores it anyway."""
    if hasattr(model, "adapt"):
        model.adapt(np.asarray(x_train[:5000], "float32") * spec.scale, verbose=verbose)


def compile_model(model, spec: Spec, steps_per_epoch: int) -> list:
    """Step 4: the spec's optimizer, learning rate and loss, each looked up by name in its
    registry (tfnote.optimizers, tfnote.schedules, tfnote.losses). Returns the callbacks
    that fit needs for the learning-rate schedule."""
    tf, _ = _tf.load()
    steps_per_execution = spec.steps_per_execution
    if tf.distribute.get_strategy().num_replicas_in_sync > 1:
        # Keras 3 fails with several replicas and several steps per call ("You must feed a
        # value for placeholder tensor", keras-team/keras#19246): one step per call there.
        steps_per_execution = 1
    rate = make_schedule(spec.lr_schedule, spec.lr, spec.epochs * steps_per_epoch)
    model.compile(
        optimizer=make_optimizer(spec.optimizer, rate.rate, spec.optimizer_args),
        loss=make_loss(spec.loss, spec.from_logits, spec.label_smoothing),
        metrics=list(spec.metrics),
        jit_compile=spec.jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return list(rate.callbacks)


# --- step 5: fit --------------------------------------------------------------------------


def step_progress():
    """Keras's progress bar, counting steps: with steps_per_execution it reports the end of
    each block of 64 steps and overshoots on the last, short one ("192/188").

    In a terminal, the waits the bar does not show get a line that counts the seconds: the
    first block of an epoch (the first also builds TensorFlow's graph: 70 s before
    cifar10-fast's first 5 steps of 2,000 images on a busy 2-core machine), the validation
    and the checkpoint after the last step. Call `stop_waiting()` if fit raises.
    """
    _, keras = _tf.load()

    class StepProgress(keras.callbacks.ProgbarLogger):
        waiting: Waiting | None = None
        graph_built = False

        def wait(self, text: str) -> None:
            self.stop_waiting()
            if self.verbose == 1:  # a terminal: the line is rewritten in place
                self.waiting = Waiting(text)

        def stop_waiting(self) -> None:
            if self.waiting is not None:
                self.waiting.stop()
                self.waiting = None

        def on_epoch_begin(self, epoch, logs=None):
            super().on_epoch_begin(epoch, logs)
            first = "" if self.graph_built else "building the graph, "
            self.wait(f"0/{self.target} steps: {first}running the first steps...")

        def on_train_batch_end(self, batch, logs=None):
            self.stop_waiting()
            self.graph_built = True
            super().on_train_batch_end(min(batch, (self.target or batch + 1) - 1), logs)
            if self.target and batch + 1 >= self.target:
                self.wait(f"{self.target}/{self.target} steps: saving the epoch...")

        def on_test_begin(self, logs=None):
            super().on_test_begin(logs)
            if self._called_in_fit:
                self.wait(f"{self.target}/{self.target} steps: validating...")

        def on_test_end(self, logs=None):
            super().on_test_end(logs)
            if self._called_in_fit:
                self.wait(f"{self.target}/{self.target} steps: saving the epoch...")

        def on_epoch_end(self, epoch, logs=None):
            self.stop_waiting()
            super().on_epoch_end(epoch, logs)

    return StepProgress()


class Waiting:
    """Until stopped, rewrite one terminal line each second: `text` and the seconds so far.

    A thread that sleeps in between: training does not notice it (cifar10-fast, blocks of 5
    steps of 2,000 images, alternated on a busy 2-core machine: medians 17.9 and 20.5 s
    without it, 20.5 and 17.3 s with it: noise). Stopping clears the line for the bar."""

    def __init__(self, text: str):
        self.text, self.started, self.shown = text, time.monotonic(), 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(1.0):
            line = f"\r{self.text} {time.monotonic() - self.started:.0f} s"
            sys.stdout.write(line)
            sys.stdout.flush()
            self.shown = len(line)

    def stop(self) -> None:
        self.done.set()
        self.thread.join()
        if self.shown:
            sys.stdout.write("\r" + " " * self.shown + "\r")
            sys.stdout.flush()


# --- the whole run ------------------------------------------------------------------------


def run(
    spec: Spec,
    out: str | Path | None = None,
    *,
    quiet: bool = False,
    fresh: bool = False,
    strategy: str = "auto",
    tensorboard: bool = False,
) -> RunResult:
    """Train `spec` into run folder `out` (default runs/<spec.name>), resuming if it can.

    `quiet` hides the progress; the one-line result is printed all the same.
    `tensorboard` also writes TensorBoard's event files into the folder.
    """
    folder = Path(out) if out else Path("runs") / spec.name
    spec.check()
    run = Run(folder)
    run.check_spec(spec, fresh)  # fails early on a mismatched folder
    run.check_not_running()
    data = load_data(spec)  # step 2, before TensorFlow: bad data fails at once, writes nothing
    if not on_course_data(spec):  # the preset's title ("MNIST ... Dense(10)") is not this run
        spec = spec.replace(title=data_title(spec, data))
    x_train, y_train, x_val, y_val = split_validation(spec, data)
    if not quiet:
        print(data_line(data, x_train, x_val, spec))
    for warning in data.info.get("warnings", []):  # e.g. prices far outside the training range
        print(f"warning: {warning}")
    _, keras = _tf.load()
    from tfnote.callback import RunFolder
    from tfnote.models import check_fits

    keras.utils.set_random_seed(spec.seed)  # same seed: same weights, batches, augmentation
    with pick_strategy(strategy).scope():  # steps 3 and 4
        model = make_model(spec, data.input_shape, data.num_classes)
        check_fits(model, data, spec.loss, f"preset {spec.name}'s model '{spec.model}'")
        adapt_model(model, spec, x_train, verbose=not quiet)
        steps_per_epoch = math.ceil(len(x_train) / spec.batch_size)
        schedule = compile_model(model, spec, steps_per_epoch)  # fit's callbacks, if any
    augment = make_augmentation(spec, np.shape(x_train)[1:])
    seeds = epoch_seeds(spec.seed, augment.layers)
    folder_callback = RunFolder(
        folder, data=data, scale=spec.scale, monitor=spec.monitor or "auto", fresh=fresh,
        spec=spec, verbose=not quiet, tensorboard=tensorboard,
    )  # fmt: skip
    stopper = early_stop(spec, folder_callback, verbose=not quiet)
    epochs = spec.epochs
    state = None if fresh else run.state
    if stopper is not None and state and stopped_early(state, spec):
        epochs = state.epoch  # it stopped early before: nothing left to train
        if not quiet:
            print(
                f"{folder} stopped early after epoch {epochs} (no better since epoch "
                f"{state.best_epoch}); more epochs would not train, --fresh starts over"
            )
    progress = [] if quiet else [step_progress()]
    try:
        model.fit(  # step 5
            make_pipeline(x_train, y_train, spec, seeds, augment),
            epochs=epochs,
            validation_data=make_pipeline(x_val, y_val, spec) if x_val is not None else None,
            validation_freq=spec.validation_freq,
            callbacks=[seeds, folder_callback, *schedule]
            + ([stopper] if stopper is not None else [])
            + progress,
            shuffle=False,  # the pipeline shuffles, with the spec's seed
            verbose=0 if quiet else (1 if sys.stdout.isatty() else 2),  # a bar in a terminal
        )
        stopped = stopper is not None and stopped_early(folder_callback.state, spec)
        if stopper is not None:
            restore_best(model, folder)
        metrics = {**evaluate(model, spec, data, x_val, y_val), **folder_callback.summary()}
        metrics.update(best_scores(model, spec, data, (x_val, y_val), metrics, folder, stopper))
        if stopped:
            metrics["stopped_early"] = folder_callback.state.epoch
        record = Metrics.from_dict(metrics)  # its headline score is chosen here, once
        run.write_metrics(record)  # step 6 (the callback wrote the rest)
    finally:
        folder_callback.release()
        for bar in progress:  # a Ctrl-C or an error ends fit: clear the waiting line
            bar.stop_waiting()
    print(result_line(record, folder))  # even when quiet: quiet hides the progress only
    return RunResult(folder, metrics, folder_callback.history, model)


def evaluate(model, spec: Spec, data: Data, x_val, y_val) -> dict:
    """Scores on the test set (else the validation part, else the training data)."""
    if data.x_test is not None:
        x, y, on = data.x_test, data.y_test, "test"
    elif x_val is not None:
        x, y, on = x_val, y_val, "validation"
    else:
        x, y, on = data.x_train, data.y_train, "train"
    scores = model.evaluate(make_pipeline(x, y, spec), verbose=0, return_dict=True)
    metrics = {"evaluated_on": on, **{k: float(v) for k, v in scores.items()}}
    accuracy = next((v for k, v in metrics.items() if "acc" in k), None)
    if accuracy is not None:
        metrics["accuracy"] = accuracy
    return metrics


def best_scores(model, spec: Spec, data: Data, val, metrics: dict, folder: Path, restored) -> dict:
    """Which epoch's weights `metrics` scored ("scored_epoch"), and, when that was the last
    epoch but the checkpoint kept another as the best, that one's scores too ("best"):
    predict and serve load the best epoch (best.weights.h5), while fit ends on the last."""
    best, has_best = metrics.get("best_epoch"), Run(folder).best_path.is_file()
    scored = best if restored and has_best else metrics["epochs"]
    if not (best and has_best and best != scored):
        return {"scored_epoch": scored}
    last_weights = model.get_weights()
    restore_best(model, folder)
    scores = evaluate(model, spec, data, *val)  # about 1 s on MNIST, 13 s on cifar10-fast
    model.set_weights(last_weights)  # the run's model stays the last epoch's
    del scores["evaluated_on"]
    return {"scored_epoch": scored, "best": {"epoch": best, **scores}}


def stopped_early(state: ResumeState, spec: Spec) -> bool:
    """Whether the run in resume state `state` has gone `patience` epochs without a new best.

    The count comes from the state's best epoch, which the resume state keeps: a resumed
    run goes on counting where the interrupted one was.
    """
    best = state.best_epoch
    patience = (spec.early_stopping or {}).get("patience")
    return bool(patience and best) and state.epoch - best >= patience


def early_stop(spec: Spec, folder_callback, verbose: bool = True):
    """A callback that ends fit when the spec's early_stopping says so, or None.

    It reads the RunFolder callback's best epoch (the checkpoint's monitored value, val_loss
    with validation), so the stop and the best checkpoint agree. Keras's EarlyStopping
    keeps its count in memory and would start it again on resume.
    """
    if not spec.early_stopping:
        return None
    _, keras = _tf.load()

    class EarlyStop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if stopped_early(folder_callback.state, spec):
                self.model.stop_training = True
                if not verbose:
                    return
                patience = spec.early_stopping["patience"]
                best = folder_callback.state.best_epoch
                print(f"early stop after epoch {epoch + 1}: no better since epoch {best}"
                      f" ({patience} epochs); evaluating epoch {best}'s weights")  # fmt: skip

    return EarlyStop()


def restore_best(model, folder: Path) -> None:
    """Load the best epoch's weights (best.weights.h5) into `model` for evaluation."""
    best = Run(folder).best_path
    if best.is_file():
        model.load_weights(best)


def data_title(spec: Spec, data: Data) -> str:
    """What the run trains on, for a run whose data is not its preset's course dataset:
    "your dataset shapes: 4 classes, 64x64 grey (preset own-images, model small-cnn)"."""
    kind, where = spec.dataset.kind, spec.dataset.arg
    if kind in OWN_DATA:  # the folder as spec.json keeps it: absolute, as `train` made it
        what = f"your dataset {where or spec.data_dir}"
    else:
        what = f"dataset {spec.dataset}"
    classes = np.issubdtype(np.asarray(data.y_train).dtype, np.integer)
    facts = [f"{data.num_classes} classes" if classes else "numbers to predict"]
    facts.append(shape_words(data.input_shape))
    return f"{what}: {', '.join(facts)} (preset {spec.name}, model {spec.model})"


def shape_words(shape: tuple[int, ...]) -> str:
    """(64, 64, 1) -> "64x64 grey", (32, 32, 3) -> "32x32 RGB", (4,) -> "4 features"."""
    if len(shape) == 3 and shape[2] in (1, 3):
        return f"{shape[1]}x{shape[0]} {'grey' if shape[2] == 1 else 'RGB'}"
    if len(shape) == 2 and min(shape) >= 8:  # a 2-D image (the course's 28x28 MNIST)
        return f"{shape[1]}x{shape[0]} grey"
    if len(shape) == 1:
        return f"{shape[0]} features"
    return "inputs of shape " + "x".join(map(str, shape))


def data_line(data: Data, x_train, x_val, spec: Spec) -> str:
    """What was loaded, from where, and how it is split: said before training starts."""
    parts = [f"{len(x_train)} training"]
    if x_val is not None and spec.validation != "test":
        parts.append(f"{len(x_val)} validation (the last {spec.validation_split:.0%})")
    if data.x_test is not None:
        parts.append(f"{len(data.x_test)} test")
    return f"data: {data.name} from {data.source or 'memory'}: {', '.join(parts)} samples"


def result_line(metrics: Metrics, folder: Path) -> str:
    """The run's one-line result, saying which epoch's weights were scored: the last
    epoch's, and the best epoch's (which predict uses) when that is another."""

    def shown(scores: dict) -> str:
        names = ("loss", "accuracy") if "accuracy" in scores else ("loss",)
        return ", ".join(f"{k} {scores[k]:.4f}" for k in names if k in scores)

    on, best, scored = metrics.evaluated_on, metrics.best_epoch, metrics.scored_epoch
    by = f"by {metrics.monitor or 'val_loss'}"
    if metrics.best is not None:
        text = (
            f"{on}, last epoch ({scored}): {shown(metrics.scores)}; best epoch {by} ({best}):"
            f" {shown(metrics.best.scores)}, used by predict"
        )
    elif best and scored == best == metrics.epochs:
        text = (
            f"{on}: {shown(metrics.scores)} (epoch {best}: the last and the best {by},"
            " used by predict)"
        )
    elif best and scored == best:
        text = f"{on}, best epoch {by} ({best}), used by predict: {shown(metrics.scores)}"
    else:
        text = f"{on}: {shown(metrics.scores)}"
    return f"{text}  ({metrics.epochs} epochs, {metrics.train_seconds:.1f} s) -> {folder}"
