"""`tfnote.RunFolder`: a Keras callback that gives any `model.fit` a resumable run folder.

    model.fit(x, y, epochs=5, validation_data=(x_val, y_val),
              callbacks=[tfnote.RunFolder("runs/mine")])

Run the same script again after Ctrl-C or kill -9 and training continues after the last
saved epoch, with the optimizer's state (the way Keras's BackupAndRestore moves the start
epoch in `on_train_begin`); a finished run is not trained again. The folder ends with
the course's artifacts: history, curves.png, weights.txt, summary.txt, the best weights,
metrics.json and the model as model.keras (tfnote.run_folder lists them), so `tfnote
predict`, `params` and `curves` work on it (and `tfnote.open_run` reads it). `tfnote
train` uses this same callback.
"""

from __future__ import annotations

import math
import numbers
import signal
import threading
import time
from os import PathLike
from pathlib import Path

import numpy as np

from tfnote import _tf, outputs, runs
from tfnote.data.looks import image_shape
from tfnote.data.looks import measure as looks_of
from tfnote.errors import TfnoteError
from tfnote.run_folder import Metrics, ModelInfo, ResumeState, Run
from tfnote.run_folder.records import task_facts

_, keras = _tf.load()

SAVE_INTERVAL_S = 1.0  # the resume state is saved after an epoch at most this often (and last)


def _better(key: str, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value > best if "acc" in key else value < best


def signature(model) -> list[list[int]]:
    """Each weight's shape: a continuation must be the same network.

    (Not the weights' names: Keras numbers layers per process, dense, dense_1, ...)
    """
    return [list(w.shape) for w in model.weights]


def _check_arguments(path, scale, class_names, monitor) -> None:
    """Refuse in one line what the CLI would: a bad value is written into model.json and
    fails only later, in `tfnote predict` (scale="abc" died in NumPy)."""
    if not isinstance(path, str | PathLike):
        raise TfnoteError(f"RunFolder: path must be a folder name (got {path!r})")
    outputs.check_writable_dir(path)  # not a file, not read-only: refused before training
    is_number = isinstance(scale, numbers.Real) and not isinstance(scale, bool)
    if scale is not None and not (is_number and math.isfinite(scale) and scale != 0):
        raise TfnoteError(
            f"RunFolder: scale must be a finite, non-zero number such as 1 / 255, or None"
            f" (got {scale!r})"
        )
    names = class_names if isinstance(class_names, list | tuple) else None
    if class_names is not None and (names is None or not all(isinstance(n, str) for n in names)):
        raise TfnoteError(
            f"RunFolder: class_names must be a list of strings (got {class_names!r:.80})"
        )
    if not isinstance(monitor, str) or not monitor:
        raise TfnoteError(
            f'RunFolder: monitor must be a log name such as "val_loss", or "auto" (got {monitor!r})'
        )


class RunFolder(keras.callbacks.Callback):
    """Save, resume and document a training run in folder `path`.

    Args:
        path: the run folder (created when training starts).
        data: the `tfnote.load_dataset` result, to record the dataset and class names.
        scale: what the inputs were multiplied by (1/255 for images divided by 255), so
            `tfnote predict` prepares photos the same way. None: not recorded.
        class_names: names of the classes (default: the data's).
        monitor: the log value that picks the best epoch ("auto": val_loss when there is
            validation, else loss).
        fresh: start over, deleting what an earlier run left in `path`.
        title: the title of the figures (default: the folder's name).
        spec: the tfnote preset (Spec) this run follows, when `tfnote train` runs it.
        verbose: print a line when resuming or when a run is already finished.
        tensorboard: also write TensorBoard event files into the folder (`logs/`); view
            them with `tensorboard --logdir runs`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        data=None,
        scale: float | None = None,
        class_names: list[str] | None = None,
        monitor: str = "auto",
        fresh: bool = False,
        title: str = "",
        spec=None,
        verbose: bool = True,
        tensorboard: bool = False,
    ):
        super().__init__()
        _check_arguments(path, scale, class_names, monitor)
        self.board = (
            keras.callbacks.TensorBoard(str(Run(path).tensorboard_dir)) if tensorboard else None
        )
        self.path = Path(path)
        self.run = Run(path)
        self.data = data
        self.scale = None if scale is None else float(scale)  # a NumPy number too
        self.class_names = list(class_names or ()) or (
            data.class_names if data is not None else None
        )
        self.monitor = monitor
        self.fresh = fresh
        self.title = title or (spec.title or spec.name if spec is not None else self.path.name)
        self.spec = spec
        self.verbose = verbose
        self.state = ResumeState()
        self.ctrl_c_pressed = False
        self._previous_handler = None

    # --- the start: check, restore, record -----------------------------------------------

    def on_train_begin(self, logs=None):
        self.epochs = self.params.get("epochs") or 0
        run = self.run
        run.lock()  # one writer at a time
        run.forget()  # read what is on disk now
        if self.fresh:
            run.clear()
            self.fresh = False  # a second fit() on this callback continues
        state = run.state
        run.clean_leftovers()
        self.state = state or ResumeState()
        if self.spec is not None:  # kept beside spec.json: `tfnote runs` marks a quick run
            self.state.scaled_down = runs.scaled_down(self.spec)  # even without that file
        if self.data is not None:
            self._check_data(self.data.fingerprint())
        self.recorded = False
        if state is not None:
            # A subclassed model gets its weights at its first call: make them now, so the
            # checkpoint has somewhere to go.
            self._build(run.info.input_shape)
            self._record()
            run.load_checkpoint(self.model, self.state)
            done = self.state.epoch
            self.model._initial_epoch = done  # where fit's epoch loop starts (as Keras's own)
            if self.verbose and done < self.epochs:
                print(f"resuming {self.path} after epoch {done} of {self.epochs}")
            elif self.verbose:
                print(
                    f"{self.path} already finished {done} epochs"
                    + (
                        " (--fresh retrains, --epochs N extends)"
                        if self.spec is not None
                        else " (fresh=True retrains, more epochs extend it)"
                    )
                )
        elif self.model.built or self.data is not None:
            self._build(self.data.input_shape if self.data is not None else None)
            self._record()  # else after the first epoch, when Keras has built the model
        self.unsaved = False
        self.best_weights = None  # the best epoch's weights, until they are written
        self.last_save = self.started = time.monotonic()
        self._catch_ctrl_c()
        if self.board is not None:
            self.board.set_model(self.model)
            self.board.set_params(self.params)
            self.board.on_train_begin(logs)

    # TensorBoard, when asked for, sees the same events as this callback.
    def on_epoch_begin(self, epoch, logs=None):
        if self.board is not None:
            self.board.on_epoch_begin(epoch, logs)

    def on_test_begin(self, logs=None):
        if self.board is not None:
            self.board.on_test_begin(logs)

    def on_test_end(self, logs=None):
        if self.board is not None:
            self.board.on_test_end(logs)

    def _check_data(self, fingerprint: str) -> None:
        saved = self.state.data_fingerprint
        if saved is not None and saved != fingerprint:
            self.release()
            raise TfnoteError(
                f"{self.path} was trained on other data (a different dataset, or the same one"
                " changed); use --fresh (fresh=True) or another folder"
            )
        self.state.data_fingerprint = fingerprint

    def release(self) -> None:
        """Give up the folder's lock (and Ctrl-C handling): fit ended, or failed."""
        self._restore_ctrl_c()
        self.run.release()

    def _build(self, input_shape) -> None:
        if self.model.built or input_shape is None:
            return
        if isinstance(self.model, keras.Sequential):  # symbolic: summaries show batch None
            self.model.build((None, *input_shape))
        else:  # a subclass makes its weights only when called (build() would mark it built)
            self.model(np.zeros((1, *input_shape), "float32"))

    def _record(self) -> None:
        """Write spec.json and model.json; refuse a folder that holds another network."""
        saved = self.state.signature
        if saved is not None and saved != signature(self.model):
            self.release()
            raise TfnoteError(
                f"{self.path} holds a run of a different model; use another folder or"
                " fresh=True (--fresh) to start over"
            )
        self.state.signature = signature(self.model)
        if self.spec is not None:
            self.run.write_spec(self.spec)
        self.run.write_info(self._info())
        self.recorded = True

    def _info(self) -> ModelInfo:
        """model.json: what a reader needs to use the model without the training script."""
        model = self.model
        if getattr(model, "inputs", None):
            input_shape = tuple(model.inputs[0].shape[1:])
        else:  # a subclassed model knows the shape of its first call
            input_shape = tuple(next(iter(model._build_shapes_dict.values()))[1:])
        output = model(np.zeros((1, *input_shape), "float32"), training=False)
        info = ModelInfo(
            input_shape=tuple(int(d) for d in input_shape),
            num_classes=int(output.shape[-1]),
            class_names=self.class_names,
            scale=self.scale,
            params=int(model.count_params()),
            title=self.title,
            built_by=f"preset {self.spec.name}" if self.spec is not None else "own model",
            model_class=type(model).__name__,
        )
        if self.spec is not None:  # how to rebuild it without model.keras
            info.model, info.model_args = str(self.spec.model), self.spec.model_args
            info.dataset = str(self.spec.dataset)
        if self.data is not None:
            info.dataset = info.dataset or self.data.name
            info.data_source = self.data.source
            info.task = task_facts(self.data.info)
            # How the training images look: predict makes a photo look the same.
            if image_shape(input_shape) is not None:
                info.images = looks_of(self.data.x_train)
        return info

    # --- each epoch: history, best weights, resume state ----------------------------------

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}}
        if not self.recorded:
            self._record()
        if not math.isfinite(row.get("loss", 0.0)):
            self.release()
            raise TfnoteError(
                f"the loss became {row['loss']} in epoch {epoch + 1}: training diverged"
                " (try a smaller learning rate); the last good checkpoint is kept"
            )
        self.state.history.append(row)
        self.state.epoch = epoch + 1
        if self.board is not None:
            self.board.on_epoch_end(epoch, logs)
        key = self._monitor_key(row)
        if key in row and _better(key, row[key], self.state.best):
            self.state.best, self.state.best_epoch, self.state.monitor = row[key], epoch + 1, key
            # Kept in memory and written with the resume state: writing an HDF5 file after
            # every better epoch took 15 of 20 s in a 100-epoch letters run.
            self.best_weights = self.model.get_weights()
        self.unsaved = True
        now = time.monotonic()
        if self.ctrl_c_pressed or now - self.last_save >= SAVE_INTERVAL_S:
            self._save_state()
        if self.ctrl_c_pressed:
            self._stop()

    def _monitor_key(self, row: dict) -> str:
        """The value that picks the best epoch; "auto" switches to val_loss once it appears."""
        if self.monitor != "auto":
            return self.monitor
        if "val_loss" in row and self.state.monitor != "val_loss":
            self.state.best = None  # validated epochs compete only with each other
        if "val_loss" in row or self.state.monitor == "val_loss":
            return "val_loss"
        return "loss"

    def _save_state(self):
        """Write the checkpoint, the best weights (if they changed) and the resume state."""
        now = time.monotonic()
        self.state.train_seconds += now - self.started
        self.started = self.last_save = now
        try:
            self.run.save_state(self.model, self.state, self.best_weights)
        except TfnoteError:  # a full disk: training stops, and the folder is free again
            self.release()
            raise
        self.best_weights = None
        self.unsaved = False

    # --- the end: artifacts ----------------------------------------------------------------

    def on_train_end(self, logs=None):
        if self.board is not None:
            self.board.on_train_end(logs)
        self.model._initial_epoch = None  # a later fit() on this model starts where it asks
        if self.unsaved:
            self._save_state()
        history = self.state.history
        self.run.write_artifacts(self.model, history, self.title)
        problem = self.run.save_model(self.model)
        if problem:
            print(f"tfnote: note: {problem}")
        if history:
            self.run.write_metrics(Metrics.from_dict(self.summary(history[-1])))
        self.release()

    def summary(self, last_row: dict | None = None) -> dict:
        """Facts about the training (epochs, time, best epoch), plus the last epoch's logs."""
        scores = {k: v for k, v in (last_row or {}).items() if k != "epoch"}
        return {
            **({"evaluated_on": "last epoch"} if scores else {}),
            **scores,
            "epochs": self.state.epoch,
            "train_seconds": round(self.state.train_seconds, 2),
            "params": int(self.model.count_params()),
            "best_epoch": self.state.best_epoch,
            "monitor": self.state.monitor,
            **({"scaled_down": self.state.scaled_down} if self.state.scaled_down else {}),
        }

    @property
    def history(self) -> list[dict]:
        return self.state.history

    # --- Ctrl-C: stop at a safe point ------------------------------------------------------
    # Python runs a signal's handler wherever the main thread happens to be. When that is a
    # finalizer or a C callback (TF freeing an iterator, h5py writing a checkpoint), the
    # KeyboardInterrupt is printed as "ignored" and training goes on: a fresh-clone CI run
    # once saw Ctrl-C end in a finished run with exit code 0. So while fit runs, Ctrl-C only
    # sets a flag; training stops after the current block of steps, or after the epoch
    # that just finished has been saved. A second Ctrl-C gets Python's usual handling.

    def _catch_ctrl_c(self):
        self.ctrl_c_pressed = False
        if threading.current_thread() is threading.main_thread():  # signals: main only
            # (None means a handler set outside Python: put Python's usual one back)
            self._previous_handler = signal.getsignal(signal.SIGINT) or signal.default_int_handler
            signal.signal(signal.SIGINT, self._press)

    def _press(self, signum, frame):
        self.ctrl_c_pressed = True
        self._restore_ctrl_c()  # pressed again: stop at once

    def _restore_ctrl_c(self):
        if self._previous_handler is not None:
            signal.signal(signal.SIGINT, self._previous_handler)
            self._previous_handler = None

    def on_train_batch_end(self, batch, logs=None):
        if self.ctrl_c_pressed:
            self._stop()

    def _stop(self):
        self.release()
        self.run.forget()
        saved = self.run.state.epoch if self.run.state else 0
        raise KeyboardInterrupt(f"epoch {saved} is saved in {self.path}")

    on_test_batch_end = on_train_batch_end
