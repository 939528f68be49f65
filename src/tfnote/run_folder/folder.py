"""The files of a run folder, and how they are written safely (read them through `Run`).

    spec.json          the preset's settings (runs made by `tfnote train` only)
    model.json         facts about the model and data: input shape, classes, scale, dataset
    state.json         epochs done, history so far, best value, the last checkpoint's name
    checkpoints/       epoch-NNNN.weights.h5: weights + optimizer state of the last saved epoch
    best.weights.h5    the best weights by the monitored value (the course's checkpoint)
    model.keras        the model in Keras's own format (weights of the last epoch)
    history.csv/json   one row per epoch
    metrics.json       the final scores
    summary.txt, weights.txt, curves.png   the course's artifacts (tfnote.artifacts)
    logs/              TensorBoard's event files (when asked for)
    run.lock           held by the process that trains into the folder

Every file is written atomically, and state.json is written after the checkpoint it names,
so a kill at any moment leaves a folder that resumes from its last saved epoch.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from tfnote import atomic
from tfnote.errors import TfnoteError
from tfnote.run_folder.records import ModelInfo, ResumeState

SPEC, INFO, STATE, HISTORY, METRICS = (
    "spec.json",
    "model.json",
    "state.json",
    "history.json",
    "metrics.json",
)
BEST, MODEL, CURVES, WEIGHTS_TXT = "best.weights.h5", "model.keras", "curves.png", "weights.txt"
CHECKPOINTS = "checkpoints"
TENSORBOARD = "logs"  # TensorBoard's event files, when asked for
LOCK = "run.lock"  # held (an OS file lock) by the process that trains into the folder
FORECAST, FORECAST_PLOT = "forecast.json", "forecast.png"  # written by tfnote.forecast

# Spec fields that may differ between a run and its continuation.
FREE_FIELDS = {"epochs", "data_dir", "title"}


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TfnoteError(f"{path}: cannot read ({e})") from None


def read_dict(path: Path) -> dict:
    data = read_json(path)
    if not isinstance(data, dict):
        raise TfnoteError(f"{path}: damaged (expected a JSON object, found {type(data).__name__})")
    return data


def check_spec_is_a_file(run_dir: Path) -> None:
    if (run_dir / SPEC).exists() and not (run_dir / SPEC).is_file():
        raise TfnoteError(f"{run_dir / SPEC}: damaged (not a file); use --fresh to start over")


def is_run_folder(path: str | Path) -> bool:
    """A folder that training has written into (model.json or spec.json).

    A spec.json that is not a file (a folder) counts: reading it then says it is damaged.
    """
    path = Path(path)
    return (path / INFO).is_file() or (path / SPEC).exists()


# --- one writer at a time ------------------------------------------------------------------
# An OS file lock: the system drops it when its process ends, so a kill -9 leaves no stale
# lock behind. fcntl on Linux and macOS, msvcrt on Windows.

_held: dict[Path, object] = {}  # folder -> the open lock file of this process


def _try_lock(f) -> bool:
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def lock(run_dir: str | Path) -> None:
    """Take the folder's lock for this process, or say which process trains into it."""
    run_dir = Path(run_dir)
    release(run_dir)  # this process again (a notebook re-running fit): take it anew
    run_dir.mkdir(parents=True, exist_ok=True)
    f = open(run_dir / LOCK, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
    if not _try_lock(f):
        f.seek(0)
        other = f.read().strip() or "unknown"
        f.close()
        raise TfnoteError(
            f"{run_dir} is being trained by another process (pid {other}); wait for it to"
            " finish or stop it"
        )
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()}\n")
    f.flush()
    _held[run_dir.resolve()] = f


def release(run_dir: str | Path) -> None:
    f = _held.pop(Path(run_dir).resolve(), None)
    if f is not None:
        f.close()  # closing drops the OS lock


def is_running(run_dir: str | Path) -> bool:
    """Whether some process holds the folder's lock (is training into it now)."""
    path = Path(run_dir) / LOCK
    if Path(run_dir).resolve() in _held:
        return True
    if not path.is_file():
        return False
    with open(path, "a+", encoding="utf-8") as f:
        return not _try_lock(f)  # closing the file drops the lock we may have taken


def check_not_running(run_dir: str | Path) -> None:
    if Path(run_dir).resolve() not in _held and is_running(run_dir):
        lock(run_dir)  # raises, naming the other process


def clean_leftovers(run_dir: str | Path, state: ResumeState | None) -> None:
    """Remove what a kill can leave: temporary files, and checkpoints state.json doesn't name."""
    run_dir = Path(run_dir)
    keep = run_dir / state.checkpoint if state and state.checkpoint else None
    for folder in (run_dir, run_dir / CHECKPOINTS):
        if folder.is_dir():
            for path in folder.glob(".*.*"):  # atomic.py's temporary names: .<name>.<random>
                path.unlink(missing_ok=True)
    for path in (run_dir / CHECKPOINTS).glob("epoch-*.weights.h5"):
        if path != keep:
            path.unlink(missing_ok=True)


def clear(run_dir: str | Path) -> None:
    """Remove what an earlier run left, so a fresh one starts clean."""
    run_dir = Path(run_dir)
    for name in (SPEC, INFO, STATE, CHECKPOINTS, BEST, MODEL, HISTORY, METRICS, TENSORBOARD):
        target = run_dir / name
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    for name in ("history.csv", CURVES, WEIGHTS_TXT, "summary.txt", FORECAST, FORECAST_PLOT):
        (run_dir / name).unlink(missing_ok=True)


def save_state(
    run_dir: str | Path, model, state: ResumeState, best_weights: list | None = None
) -> None:
    """Checkpoint the model and optimizer for epoch state.epoch and, when given, write
    `best_weights` as best.weights.h5; then point state.json at the checkpoint.

    state.json is the commit: a write error removes what this save wrote (a disk that filled
    after the best weights once left them behind, beside "nothing was saved"), so the folder
    stays as the last good save left it. A full disk is found before writing (h5py has
    crashed the process on one: exit 139).
    """
    run_dir = Path(run_dir)
    name = f"{CHECKPOINTS}/epoch-{state.epoch:04d}.weights.h5"
    previous = state.checkpoint
    kept = f"the last good checkpoint ({previous}) is kept" if previous else "no epoch is saved"
    # Weights plus up to two optimizer slots per weight (Adam), in float32, the best weights,
    # and some slack.
    need = (3 + (best_weights is not None)) * 4 * int(model.count_params()) + (1 << 20)
    (run_dir / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(run_dir / CHECKPOINTS).free
    if free < 2 * need:
        raise TfnoteError(
            f"not enough disk space for the checkpoint of epoch {state.epoch} in {run_dir}"
            f" (about {need >> 20} MB needed, {free >> 20} MB free); {kept}"
        )
    committed = False  # state.json names the new checkpoint
    try:
        atomic.save_weights(model, run_dir / name)  # not used until state.json names it
        # The best weights replace best.weights.h5 just after state.json is written: a kill
        # between the two leaves the previous best file, one save behind but whole.
        with contextlib.ExitStack() as stack:
            if best_weights is not None:
                best = stack.enter_context(atomic.atomic_path(run_dir / BEST, ".weights.h5"))
                current = model.get_weights()  # lend the best epoch's weights for the save
                model.set_weights(best_weights)
                try:
                    model.save_weights(best)
                finally:
                    model.set_weights(current)
            state.checkpoint = name
            atomic.write_json(run_dir / STATE, state.to_dict())
            committed = True
    except OSError as e:
        if committed:  # only the best weights' rename failed
            raise TfnoteError(
                f"cannot write {run_dir / BEST} ({e}); epoch {state.epoch} is saved, the"
                " best weights are those of an earlier save"
            ) from None
        state.checkpoint = previous
        if name != previous:
            (run_dir / name).unlink(missing_ok=True)
        raise TfnoteError(f"cannot write the checkpoint in {run_dir} ({e}); {kept}") from None
    if previous and previous != name:
        (run_dir / previous).unlink(missing_ok=True)


def load_checkpoint(model, run_dir: str | Path, state: ResumeState) -> None:
    """Load the weights and optimizer state that `state` names into a compiled model."""
    if not state.checkpoint:
        raise TfnoteError(f"{Path(run_dir) / STATE}: damaged (no checkpoint name); use --fresh")
    path = Path(run_dir) / state.checkpoint
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)  # so its slots exist to receive values
    try:
        model.load_weights(path)
    except Exception as e:  # h5py and Keras raise many types for a damaged or foreign file
        raise TfnoteError(f"{path}: cannot load checkpoint ({str(e).splitlines()[0]})") from None


def write_artifacts(run_dir: str | Path, model, history: list[dict], **curves) -> None:
    """summary.txt, history.csv/json, weights.txt and curves.png (plot_curves) of a live model."""
    from tfnote import artifacts

    run_dir = Path(run_dir)
    atomic.write_text(run_dir / "summary.txt", artifacts.summary_text(model))
    artifacts.write_history(history, run_dir / HISTORY, run_dir / "history.csv")
    artifacts.write_weights_txt(model, run_dir / WEIGHTS_TXT)
    plot_curves(history, run_dir / CURVES, **curves)


def plot_curves(
    history: list[dict], out: Path, heading: str, on_test: bool, best_epoch: int | None
) -> None:
    """curves.png, its validation curves named for what they are, the best epoch marked."""
    from tfnote import artifacts

    artifacts.plot_curves(
        history,
        out,
        heading,
        validation_label="test" if on_test else "validation",
        best_epoch=best_epoch,
    )


def save_model(run_dir: str | Path, model) -> str | None:
    """Write model.keras (without optimizer state: that lives in the checkpoints).

    Returns None, or one line saying why Keras cannot save or rebuild this model. The
    file is loaded back once, so a model that Keras could write but not rebuild (a
    subclass that is not registered) is found now rather than at `tfnote predict`; a
    class defined in the training script itself is noted too: other programs (`tfnote
    predict`) cannot import a script's classes.
    """
    _, keras = _load_keras()
    path = Path(run_dir) / MODEL
    optimizer = model.optimizer
    try:
        with atomic.atomic_path(path, suffix=".keras") as tmp:
            model.optimizer = None  # only for the save; put back below
            try:
                model.save(tmp)
            finally:
                model.optimizer = optimizer
            keras.saving.load_model(tmp, compile=False)
    except (NotImplementedError, TypeError, ValueError) as e:
        path.unlink(missing_ok=True)
        name = type(model).__name__
        if isinstance(e, NotImplementedError):
            fix = "give it a get_config() method that returns its __init__ arguments"
        else:
            fix = "decorate it with @keras.saving.register_keras_serializable()"
        return (
            f"{MODEL} not written: Keras cannot rebuild {name} from its config ({fix});"
            " everything else is saved"
        )
    in_script = sorted(
        {
            type(m).__name__
            for m in [model, *model._flatten_layers()]
            if type(m).__module__ == "__main__"
        }
    )
    if in_script:
        return (
            f"{MODEL} needs {', '.join(in_script)} from your script, which `tfnote predict`"
            " cannot import: move the class into a module of its own"
        )
    return None


# --- loading a model ---------------------------------------------------------------------


def _load_keras():
    from tfnote import _tf

    return _tf.load()


def load_model(run_dir: Path, info: ModelInfo, state: ResumeState | None, which: str = "best"):
    """The run's model with its "best" (default) or "last" weights.

    The model comes from model.keras; runs made before it existed (or whose model Keras
    cannot save) are rebuilt from the builder that model.json names.
    """
    if which not in ("best", "last"):
        raise TfnoteError(f'which weights: "best" or "last" (got {which!r})')
    _, keras = _load_keras()
    if which == "best" and (run_dir / BEST).is_file():
        weights = run_dir / BEST
    elif state and state.checkpoint:
        weights = run_dir / state.checkpoint
    else:
        raise TfnoteError(f"{run_dir} has no saved weights yet")
    if (run_dir / MODEL).is_file():
        from tfnote.models import all_models

        all_models()  # imports every family: their own layer classes register with Keras
        try:
            model = keras.saving.load_model(run_dir / MODEL, compile=False)
        except Exception as e:  # noqa: BLE001 - unknown classes, damaged zip files...
            raise TfnoteError(
                f"{run_dir / MODEL}: Keras cannot rebuild the model ({str(e).splitlines()[0]})"
            ) from None
    elif info.model:
        from tfnote.models import build_model

        model = build_model(info.model, info.input_shape, info.num_classes, **info.model_args)
    else:
        raise TfnoteError(f"{run_dir} has no {MODEL} (see the note printed when it trained)")
    try:
        # skip_mismatch would hide a wrong file; the optimizer part is simply not needed here.
        model.load_weights(weights)
    except Exception as e:
        raise TfnoteError(f"{weights}: cannot load weights ({str(e).splitlines()[0]})") from None
    return model
