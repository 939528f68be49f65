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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfnote import _tf, run_folder
from tfnote.data import Data, load_dataset
from tfnote.errors import TfnoteError
from tfnote.spec import Spec


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


def make_pipeline(x, y, spec: Spec, seeds=None, augment=None):
    """A tf.data pipeline: (shuffle) -> batch -> cast and scale (-> augment) -> prefetch.

    With `seeds` (training data: an epoch_seeds callback) the batches follow the order
    that callback draws for each epoch from the seed and the epoch alone, so a resumed run
    sees the batches an uninterrupted one would.
    Scaling per batch keeps the arrays in their compact dtype (uint8 images) in memory.
    """
    tf, _ = _tf.load()
    scale = spec.scale

    def prepare(xb, yb):
        xb = tf.cast(xb, tf.float32)
        return (xb * scale if scale != 1.0 else xb), yb

    flip_shift = None
    if seeds is not None and spec.augment == "flip-shift":  # the fast CIFAR-10 recipe's
        from tfnote.flip_shift import flip_shift

        if not spec.shuffle:  # it is applied where the shuffled batches are gathered
            raise TfnoteError("augment flip-shift needs shuffle = true")
        if np.ndim(x) != 4:
            raise TfnoteError(
                f"augment flip-shift needs images (height, width, channels); "
                f"{spec.dataset} has samples of shape {tuple(np.shape(x)[1:])}"
            )

    if seeds is not None and spec.shuffle:
        x, y = tf.constant(x), tf.constant(y)
        order = seeds.order_of(len(x))

        def batch_of(i):  # one function for gather and scale: tf.data pays per function
            picked = tf.gather(order, i)
            xb, yb = prepare(tf.gather(x, picked), tf.gather(y, picked))
            if flip_shift is not None:  # a function of (images' indices, epoch, seed) alone
                xb = flip_shift(xb, picked, seeds.epoch, spec.seed)
            return xb, yb

        ds = tf.data.Dataset.range(len(x)).batch(spec.batch_size)
        ds = ds.map(batch_of, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = tf.data.Dataset.from_tensor_slices((x, y))
        ds = ds.batch(spec.batch_size if seeds is not None else max(spec.batch_size, 256))
        ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    if augment is not None:
        # The random layers share one seed state. Run on several batches at once, which batch
        # gets which draw would change from run to run; one at a time, a seed repeats its run.
        ds = ds.map(lambda xb, yb: (augment(xb, training=True), yb))
    return ds.prefetch(tf.data.AUTOTUNE)


def epoch_seeds(seed: int, *models):
    """A callback that makes epoch k's randomness a function of (seed, k) alone.

    At the start of each epoch it draws the order of the training samples (which
    make_pipeline follows) and sets the seed state of every random layer (Dropout,
    augmentation). Keras keeps that state outside the saved weights, so without this a
    resumed run would draw other batches, dropout masks and augmentations than an
    uninterrupted one.
    """
    tf, keras = _tf.load()

    class EpochSeeds(keras.callbacks.Callback):
        order = None
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False)  # for flip_shift

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
    model(np.zeros((1, *input_shape), "float32"))  # build subclassed models so they have weights
    return model


def adapt_model(model, spec: Spec, x_train) -> None:
    """Let a model that learns something from the data before training do so (the fast
    CIFAR-10 net's whitening filters come from training patches). Deterministic, so a
    resumed run computes the same, and the checkpoint restores it anyway."""
    if hasattr(model, "adapt"):
        model.adapt(np.asarray(x_train[:5000], "float32") * spec.scale)


def make_optimizer(spec: Spec, steps_per_epoch: int):
    _, keras = _tf.load()
    name = spec.optimizer.lower()  # checked against spec.OPTIMIZERS by Spec.check
    lr = spec.lr
    schedule = spec.lr_schedule or {}
    if schedule.get("type") == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(
            spec.lr, decay_steps=spec.epochs * steps_per_epoch, alpha=schedule.get("alpha", 0.0)
        )
    if schedule.get("type") == "warmup-decay":
        from tfnote.schedules import warmup_decay

        settings = {k: v for k, v in schedule.items() if k != "type"}
        if set(settings) - {"warmup", "start", "end"}:
            unknown = ", ".join(sorted(set(settings) - {"warmup", "start", "end"}))
            raise TfnoteError(f"lr_schedule warmup-decay takes warmup, start, end (not {unknown})")
        lr = warmup_decay(spec.lr, spec.epochs * steps_per_epoch, **settings)
    try:
        if name == "conv_muon":
            from tfnote.muon import ConvMuon

            return ConvMuon(learning_rate=lr, **spec.optimizer_args)
        config = {"learning_rate": lr, **spec.optimizer_args}
        return keras.optimizers.get({"class_name": name, "config": config})
    except (TypeError, ValueError) as e:  # an unknown or wrong optimizer_args entry
        raise TfnoteError(f"optimizer {name}: {str(e).splitlines()[0]}") from None


def compile_model(model, spec: Spec, steps_per_epoch: int) -> None:
    tf, keras = _tf.load()
    steps_per_execution = spec.steps_per_execution
    if tf.distribute.get_strategy().num_replicas_in_sync > 1:
        # Keras 3 fails with several replicas and several steps per call ("You must feed a
        # value for placeholder tensor", keras-team/keras#19246): one step per call there.
        steps_per_execution = 1
    loss = spec.loss
    if spec.loss == "sparse_categorical_crossentropy" and spec.label_smoothing:
        from tfnote.label_smoothing import SparseSmoothedCrossentropy

        loss = SparseSmoothedCrossentropy(spec.label_smoothing, from_logits=spec.from_logits)
    elif spec.loss == "sparse_categorical_crossentropy":
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
    return []  # "cosine" lives in the optimizer (make_optimizer); Spec.check knows the types


def step_progress():
    """Keras's progress bar, counting steps: with steps_per_execution it reports the end of
    each block of 64 steps and overshoots on the last, short one ("192/188")."""
    _, keras = _tf.load()

    class StepProgress(keras.callbacks.ProgbarLogger):
        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(min(batch, (self.target or batch + 1) - 1), logs)

    return StepProgress()


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
    run_folder.check_spec(folder, spec, fresh)  # fails early on a mismatched folder
    run_folder.check_not_running(folder)
    data = load_data(spec)  # step 2, before TensorFlow: bad data fails at once, writes nothing
    x_train, y_train, x_val, y_val = split_validation(spec, data)
    if not quiet:
        print(data_line(data, x_train, x_val, spec))
    for warning in data.info.get("warnings", []):  # e.g. prices far outside the training range
        print(f"warning: {warning}")
    _, keras = _tf.load()
    from tfnote.augment import augmentation
    from tfnote.callback import RunFolder
    from tfnote.models import check_fits

    keras.utils.set_random_seed(spec.seed)  # same seed: same weights, batches, augmentation
    with pick_strategy(strategy).scope():  # steps 3 and 4
        model = make_model(spec, data.input_shape, data.num_classes)
        check_fits(model, data, spec.loss, f"preset {spec.name}'s model {spec.model!r}")
        adapt_model(model, spec, x_train)
        compile_model(model, spec, steps_per_epoch=math.ceil(len(x_train) / spec.batch_size))
    keras_layers = spec.augment and spec.augment != "flip-shift"  # that one is in the pipeline
    augment = augmentation(spec.augment) if keras_layers else None
    seeds = epoch_seeds(spec.seed, *([augment] if augment is not None else []))
    folder_callback = RunFolder(
        folder, data=data, scale=spec.scale, monitor=spec.monitor or "auto", fresh=fresh,
        spec=spec, verbose=not quiet, tensorboard=tensorboard,
    )  # fmt: skip
    try:
        model.fit(  # step 5
            make_pipeline(x_train, y_train, spec, seeds, augment),
            epochs=spec.epochs,
            validation_data=make_pipeline(x_val, y_val, spec) if x_val is not None else None,
            validation_freq=spec.validation_freq,
            callbacks=[seeds, folder_callback, *schedule_callbacks(spec)]
            + ([] if quiet else [step_progress()]),
            shuffle=False,  # the pipeline shuffles, with the spec's seed
            verbose=0 if quiet else (1 if sys.stdout.isatty() else 2),  # a bar in a terminal
        )
        metrics = {**evaluate(model, spec, data, x_val, y_val), **folder_callback.summary()}
        run_folder.write_metrics(folder, metrics)  # step 6 (the callback wrote the rest)
    finally:
        folder_callback.release()
    print(result_line(metrics, folder))  # even when quiet: quiet hides the progress only
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


def data_line(data: Data, x_train, x_val, spec: Spec) -> str:
    """What was loaded, from where, and how it is split: said before training starts."""
    parts = [f"{len(x_train)} training"]
    if x_val is not None and spec.validation != "test":
        parts.append(f"{len(x_val)} validation (the last {spec.validation_split:.0%})")
    if data.x_test is not None:
        parts.append(f"{len(data.x_test)} test")
    return f"data: {data.name} from {data.source or 'memory'}: {', '.join(parts)} samples"


def result_line(metrics: dict, folder: Path) -> str:
    scores = ("loss", "accuracy") if "accuracy" in metrics else ("loss",)
    shown = ", ".join(f"{k} {metrics[k]:.4f}" for k in scores if k in metrics)
    return (
        f"{metrics['evaluated_on']}: {shown}  ({metrics['epochs']} epochs,"
        f" {metrics['train_seconds']:.1f} s) -> {folder}"
    )
