"""The run folder: the spec used, the checkpoints and the resume state of one training run.

    runs/<name>/spec.json          the spec (what `tfnote resume` reads back)
    runs/<name>/model.json         how to rebuild the model (name, input shape, classes)
    runs/<name>/state.json         epochs done, history so far, best value, last checkpoint
    runs/<name>/checkpoints/       epoch-NNNN.weights.h5: weights + optimizer state
    runs/<name>/best.weights.h5    the best weights so far (the course's checkpoint)

Every file is written atomically, and state.json is written after the checkpoint it names,
so a kill at any moment leaves a folder that resumes from its last saved epoch.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tfnote import atomic
from tfnote.errors import TfnoteError
from tfnote.spec import Spec

# Spec fields that may differ between a run and its continuation.
FREE_FIELDS = {"epochs", "data_dir", "title"}


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TfnoteError(f"{path}: cannot read ({e})") from None


def read_spec(run_dir: Path) -> Spec:
    path = Path(run_dir) / "spec.json"
    if not path.is_file():
        raise TfnoteError(f"{run_dir} is not a run folder (no spec.json)")
    return Spec.from_dict(read_json(path))


def read_info(run_dir: str | Path) -> dict:
    """A run's model.json (input shape, classes, scale, dataset...), read without TensorFlow."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise TfnoteError(f"{run_dir}: no such run folder")
    if not (run_dir / "model.json").is_file():
        raise TfnoteError(f"{run_dir} is not a trained run folder (no model.json); train it first")
    return read_json(run_dir / "model.json")


def read_state(run_dir: Path) -> dict | None:
    path = Path(run_dir) / "state.json"
    return read_json(path) if path.is_file() else None


def check_run(run_dir: Path, spec: Spec, fresh: bool) -> dict | None:
    """The saved state to resume `spec` from in `run_dir`, or None; changes nothing on disk.

    Refuses a folder that holds a run with other settings (more epochs are allowed).
    """
    run_dir = Path(run_dir)
    state = None if fresh else read_state(run_dir)
    if state is not None and (run_dir / "spec.json").is_file():
        old = read_json(run_dir / "spec.json")
        new = spec.to_dict()
        changed = sorted(k for k in new if k not in FREE_FIELDS and old.get(k) != new[k])
        if changed:
            raise TfnoteError(
                f"{run_dir} holds a run with different settings ({', '.join(changed)}); "
                "pass --fresh to start it over or --out to use another folder"
            )
    return state


def start_run(run_dir: Path, spec: Spec, fresh: bool) -> None:
    """Write the spec; with `fresh`, first clear what an earlier run left."""
    run_dir = Path(run_dir)
    if fresh and run_dir.exists():
        for name in ("state.json", "checkpoints", "best.weights.h5", "metrics.json"):
            target = run_dir / name
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    atomic.write_json(run_dir / "spec.json", spec.to_dict())


def save_state(run_dir: Path, model, state: dict) -> None:
    """Checkpoint the model and optimizer for epoch state['epoch'], then point state.json at it."""
    run_dir = Path(run_dir)
    name = f"checkpoints/epoch-{state['epoch']:04d}.weights.h5"
    atomic.save_weights(model, run_dir / name)
    previous, state["checkpoint"] = state.get("checkpoint"), name
    atomic.write_json(run_dir / "state.json", state)
    if previous and previous != name:
        (run_dir / previous).unlink(missing_ok=True)


def load_checkpoint(model, path: Path) -> None:
    """Load weights and optimizer state saved by save_state into a compiled model."""
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)  # so its slots exist to receive values
    try:
        model.load_weights(path)
    except Exception as e:  # h5py and Keras raise many types for a damaged or foreign file
        raise TfnoteError(f"{path}: cannot load checkpoint ({str(e).splitlines()[0]})") from None


def load_model(run_dir: str | Path, checkpoint: str = "best"):
    """Rebuild a finished run's model and load its weights ("best" or "last").

    Returns (model, info) where info is model.json (input shape, class names, scale...).
    """
    run_dir = Path(run_dir)
    info = read_info(run_dir)
    if checkpoint == "best" and (run_dir / "best.weights.h5").is_file():
        weights = run_dir / "best.weights.h5"
    else:
        state = read_state(run_dir)
        if not state or not state.get("checkpoint"):
            raise TfnoteError(f"{run_dir} has no saved weights yet")
        weights = run_dir / state["checkpoint"]
    import numpy as np

    from tfnote.models import build_model

    model = build_model(
        info["model"], info["input_shape"], info["num_classes"], **info["model_args"]
    )
    model(np.zeros((1, *info["input_shape"]), "float32"))
    try:
        # skip_mismatch would hide a wrong file; the optimizer part is simply not needed here.
        model.load_weights(weights)
    except Exception as e:
        raise TfnoteError(f"{weights}: cannot load weights ({str(e).splitlines()[0]})") from None
    return model, info
