"""`tfnote.open_run`: typed records, their round trips, and run folders of earlier releases.

The old folders are built here, in the layout the releases wrote: the JSON records as dicts
with the keys commit 3b6d3fe wrote (no "schema"), plus those c154d89 added ("images",
"scaled_down", "scored_epoch"), and a model saved by Keras. Nothing binary is committed.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from tfnote import TfnoteError, open_run
from tfnote.data.letters import LetterFacts
from tfnote.data.looks import ImageLooks
from tfnote.run_folder import (
    SCHEMA,
    BestScores,
    FolderFacts,
    ForecastRecord,
    Metrics,
    ModelInfo,
    ResumeState,
    Run,
)

# --- each record: write, read back ----------------------------------------------------------

LOOKS = ImageLooks(28, 28, 1, "dark", 0.0, 255.0, (0.0, 3.0), (200.0, 255.0), 0.7, (0.5, 0.9), True)
RECORDS = [
    ModelInfo(
        (28, 28),
        10,
        [str(d) for d in range(10)],
        1 / 255,
        101770,
        "t",
        "preset p14",
        "Sequential",
        "mlp",
        {"hidden": 64},
        "mnist",
        "mnist.npz",
        LOOKS,
        FolderFacts("class folders <class>/", "/c/train", None),
    ),  # fmt: skip
    ModelInfo((4, 5), 5, list("abcde"), 1.0, task=LetterFacts("abcde", 4, "onehot")),
    ModelInfo((4,), 3, scale=None),  # a script that did not say how it scaled
    ResumeState(
        3,
        [{"epoch": 1, "loss": 0.5}],
        0.4,
        2,
        "val_loss",
        "checkpoints/epoch-0003.weights.h5",
        12.5,
        "abc",
        [[4, 3], [3]],
        "first 2000 training samples",
    ),  # fmt: skip
    Metrics(
        "test",
        {"loss": 0.3, "accuracy": 0.91},
        "accuracy",
        5,
        9.5,
        100,
        4,
        "val_loss",
        5,
        BestScores(4, {"loss": 0.28, "accuracy": 0.92}),
        5,
        None,
    ),  # fmt: skip
    ForecastRecord({"model": {"rmse": 45.2, "mae": 30.1}}, "better", "beats naive", "close"),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_each_record_round_trips(record, tmp_path):
    run = Run(tmp_path)
    write = {ModelInfo: run.write_info, ResumeState: None, Metrics: run.write_metrics,
             ForecastRecord: run.write_forecast}[type(record)]  # fmt: skip
    if write is None:
        path = tmp_path / "state.json"
        path.write_text(json.dumps(record.to_dict()))
    else:
        write(record)
    saved = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert saved["schema"] == SCHEMA
    fresh = open_run(tmp_path)  # nothing cached: read from the file
    name = {ModelInfo: "info", ResumeState: "state", Metrics: "metrics", ForecastRecord: "forecast"}
    assert getattr(fresh, name[type(record)]) == record


def test_metrics_know_their_headline():
    test = Metrics.from_dict(
        {"evaluated_on": "test", "loss": 0.3, "sparse_categorical_accuracy": 0.9}
    )
    assert (test.headline, test.accuracy, test.loss) == ("sparse_categorical_accuracy", 0.9, 0.3)
    logs = {"evaluated_on": "last epoch", "loss": 0.2, "accuracy": 0.95, "val_loss": 0.4,
            "val_accuracy": 0.88, "epochs": 3}  # fmt: skip
    last = Metrics.from_dict(logs)
    assert last.headline == "val_accuracy" and last.evaluated_on == "validation (last epoch)"
    assert (last.value, last.accuracy, last.loss) == (0.88, 0.88, 0.4)
    regression = Metrics.from_dict({"evaluated_on": "test", "loss": 2.5, "mae": 1.1})
    assert regression.headline == "loss" and regression.accuracy is None
    # Written once, the headline is what the file says, not guessed again.
    said = Metrics.from_dict({**regression.to_dict(), "headline": "mae"})
    assert said.value == 1.1


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("model.json", '{"input_shape": [28, "x"]}', "input_shape"),
        ("model.json", '{"num_classes": 10}', "no input_shape"),
        ("model.json", '{"input_shape": [4], "scale": "abc"}', "scale"),
        ("model.json", '{"input_shape": [4], "info": {"kind": "letters"}}', "info"),
        ("state.json", '{"epoch": "2", "history": []}', "no epoch count"),
        ("state.json", '{"epoch": 2, "history": [], "checkpoint": 7}', "checkpoint"),
        ("metrics.json", '{"epochs": "five"}', "epochs"),
        ("metrics.json", "[1, 2]", "expected a JSON object"),
        ("forecast.json", '{"scores": [1]}', "scores"),
        ("spec.json", '{"epochs": "three"}', "epochs"),
    ],
)
def test_a_damaged_record_says_so_in_one_line_naming_its_file(name, text, says, tmp_path):
    (tmp_path / name).write_text(text)
    record = {"model.json": "info", "state.json": "state", "metrics.json": "metrics",
              "forecast.json": "forecast", "spec.json": "spec"}[name]  # fmt: skip
    with pytest.raises(TfnoteError) as caught:
        getattr(open_run(tmp_path), record)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / name}: damaged") and says in message
    assert "\n" not in message


# --- run folders of earlier releases ------------------------------------------------------

# spec.json as 3b6d3fe wrote it for `tfnote train p14 --epochs 2 --limit-train 2000
# --limit-test 500` (every Spec field of that release, none added since).
SPEC_3B6D3FE = {
    "name": "mnist",
    "title": "MNIST, Sequential MLP: Flatten, Dense(128, relu), Dense(10, softmax)",
    "dataset": "mnist", "dataset_args": {}, "data_dir": None, "scale": 1 / 255,
    "train_limit": 2000, "test_limit": 500, "augment": None, "model": "mlp", "model_args": {},
    "optimizer": "adam", "lr": 0.001, "optimizer_args": {},
    "loss": "sparse_categorical_crossentropy", "from_logits": False, "label_smoothing": 0.0,
    "metrics": ["sparse_categorical_accuracy"], "epochs": 2, "batch_size": 32,
    "validation": "test", "validation_split": 0.2, "validation_freq": 1, "shuffle": True,
    "seed": 1, "monitor": None, "lr_schedule": None, "jit_compile": True,
    "steps_per_execution": 64, "mixed_precision": False,
}  # fmt: skip
CHECKPOINT = "checkpoints/epoch-0002.weights.h5"


def _train_two_epochs(model, data):
    """Two epochs as the release's fit ran them: (history rows, best val_loss)."""
    model.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"]
    )
    fit = model.fit(
        data.x_train / 255, data.y_train, epochs=2, batch_size=32, verbose=0,
        validation_data=(data.x_test / 255, data.y_test),
    )  # fmt: skip
    keys = fit.history
    rows = [{"epoch": e + 1, **{k: float(v[e]) for k, v in keys.items()}} for e in range(2)]
    return rows, min(r["val_loss"] for r in rows)


def _save_keras_files(folder, model) -> None:
    """What the release's RunFolder saved through Keras: the checkpoint (weights and the
    optimizer's state), the best weights and model.keras (without the optimizer)."""
    (folder / "checkpoints").mkdir(parents=True)
    model.save_weights(folder / CHECKPOINT)
    model.save_weights(folder / "best.weights.h5")
    optimizer, model.optimizer = model.optimizer, None
    model.save(folder / "model.keras")
    model.optimizer = optimizer


def _write(folder, name: str, record: dict) -> None:
    (folder / name).write_text(json.dumps(record, indent=2), encoding="utf-8")


def _old_folder(folder, data, rows, best, model, *, spec: dict | None, newer: bool) -> None:
    """The JSON records with the keys 3b6d3fe wrote; with `newer`, also c154d89's."""
    looks = ImageLooks(28, 28, 1, "dark", 0.0, 253.0, (0.0, 0.0), (250.0, 255.0), 0.72,
                       (0.5, 0.9), True).to_dict()  # fmt: skip
    own = spec is None
    info = {
        "built_by": "own model" if own else "preset mnist",
        "model_class": "Sequential",
        "input_shape": [28, 28],
        "num_classes": 10,
        "class_names": data.class_names,
        "scale": 1 / 255,
        "params": int(model.count_params()),
        "title": folder.name if own else spec["title"],
        **({} if own else {"model": "mlp", "model_args": {}}),
        "dataset": "mnist",
        "data_source": data.source,
        "info": {},
        **({"images": looks} if newer else {}),
    }
    state = {
        "epoch": 2,
        "history": rows,
        "best": best,
        "train_seconds": 3.25,
        **(
            {}
            if own or not newer
            else {"scaled_down": "2 of 5 epochs, first 2000 training samples"}
        ),
        "data_fingerprint": data.fingerprint(),
        "signature": [list(w.shape) for w in model.weights],
        "best_epoch": 2,
        "monitor": "val_loss",
        "checkpoint": CHECKPOINT,
    }
    last = {k: v for k, v in rows[-1].items() if k != "epoch"}
    if own:  # RunFolder's summary of the last epoch's logs
        scores = {"evaluated_on": "last epoch", **last}
    else:  # tfnote train evaluated on the test set
        accuracy = last["val_sparse_categorical_accuracy"]
        test = {"loss": last["val_loss"], "sparse_categorical_accuracy": accuracy}
        scores = {"evaluated_on": "test", **test, "accuracy": test["sparse_categorical_accuracy"]}
    metrics = {**scores, "epochs": 2, "train_seconds": 3.25, "params": info["params"],
               "best_epoch": 2, "monitor": "val_loss"}  # fmt: skip
    if newer and not own:
        metrics.update(scaled_down=state["scaled_down"], scored_epoch=2)
    history = json.dumps(rows)
    (folder / "history.json").write_text(history, encoding="utf-8")
    if spec is not None:
        _write(folder, "spec.json", spec)
    _write(folder, "model.json", info)
    _write(folder, "state.json", state)
    _write(folder, "metrics.json", metrics)


@pytest.fixture(scope="module")
def old_runs(tmp_path_factory, shared_data):
    """runs/{preset-3b6d3fe, preset-c154d89, own-3b6d3fe}: two epochs each, as the releases
    left them; plus the data (the first 2,000 training and 500 test images)."""
    import keras

    from tfnote.models import build_model
    from tfnote.spec import Spec
    from tfnote.train import load_data

    root = tmp_path_factory.mktemp("old-runs")
    data = load_data(Spec.from_dict({**SPEC_3B6D3FE, "data_dir": str(shared_data)}))
    keras.utils.set_random_seed(1)
    model = build_model("mlp", (28, 28), 10)
    rows, best = _train_two_epochs(model, data)
    for name, spec, newer in (
        ("preset-3b6d3fe", SPEC_3B6D3FE, False),
        ("preset-c154d89", SPEC_3B6D3FE, True),
        ("own-3b6d3fe", None, False),
    ):
        folder = root / name
        _save_keras_files(folder, model)
        _old_folder(folder, data, rows, best, model, spec=spec, newer=newer)
    return root, data


def test_old_folders_open_with_typed_records(old_runs):
    root, _ = old_runs
    for name in ("preset-3b6d3fe", "preset-c154d89", "own-3b6d3fe"):
        run = open_run(root / name)
        assert run.info.input_shape == (28, 28) and run.info.num_classes == 10
        assert run.info.scale == pytest.approx(1 / 255) and run.info.dataset == "mnist"
        assert (run.info.images is not None) == name.endswith("c154d89")
        assert run.state.epoch == 2 and run.state.checkpoint == CHECKPOINT
        assert [row["epoch"] for row in run.history] == [1, 2]
        metrics = run.metrics
        assert metrics.epochs == 2 and 0.5 < metrics.accuracy <= 1
        if name.startswith("own"):
            assert run.spec is None and run.info.built_by == "own model"
            assert metrics.headline == "val_sparse_categorical_accuracy"
            assert metrics.evaluated_on == "validation (last epoch)"
        else:
            assert run.spec.epochs == 2 and str(run.spec.model) == "mlp"
            assert metrics.headline == "accuracy" and metrics.evaluated_on == "test"


def test_old_folders_predict_and_appear_in_runs_and_report(old_runs, shared_data, capsys):
    from tfnote.cli import main

    root, _ = old_runs
    digit = shared_data / "digits" / "7.png"
    for name in ("preset-3b6d3fe", "own-3b6d3fe"):
        assert main(["predict", str(root / name), str(digit), "--json"]) == 0
        answer = json.loads(capsys.readouterr().out)
        assert answer[0]["class"] is not None and answer[0]["preprocessing"]["recipe"] == "mnist"
    assert main(["runs", str(root), "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"preset-3b6d3fe", "preset-c154d89", "own-3b6d3fe"}
    assert {r["status"] for r in rows.values()} == {"finished"}
    assert rows["preset-3b6d3fe"]["evaluated_on"] == "test" and rows["own-3b6d3fe"]["accuracy"]
    assert rows["preset-c154d89"]["scaled_down"]
    assert main(["report", str(root), "--out", str(root / "report.html")]) == 0
    page = (root / "report.html").read_text(encoding="utf-8")
    assert all(name in page for name in rows) and '<div class="error">' not in page


def test_old_folders_resume(old_runs, shared_data, capsys):
    from tfnote import RunFolder
    from tfnote.cli import main
    from tfnote.models import build_model

    root, data = old_runs
    preset = root / "preset-3b6d3fe"
    assert main(["resume", str(preset), "--epochs", "3", "--data-dir", str(shared_data)]) == 0
    assert "resuming" in capsys.readouterr().out
    run = open_run(preset)
    assert run.state.epoch == 3 and [r["epoch"] for r in run.history] == [1, 2, 3]
    assert run.metrics.evaluated_on == "test"
    assert json.loads((preset / "state.json").read_text())["schema"] == SCHEMA  # written anew
    # A plain Keras script with RunFolder, run again with one more epoch.
    model = build_model("mlp", (28, 28), 10)
    model.compile(
        "adam", "sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"]
    )
    own = root / "own-3b6d3fe"
    model.fit(
        data.x_train / 255, data.y_train, epochs=3, verbose=0,
        validation_data=(data.x_test / 255, data.y_test),
        callbacks=[RunFolder(own, data=data, scale=1 / 255)],
    )  # fmt: skip
    assert "resuming" in capsys.readouterr().out
    assert open_run(own).state.epoch == 3 and open_run(own).metrics.epochs == 3


def test_a_record_left_as_it_was_keeps_its_fields(old_runs):
    """Fields a record does not know are not needed; those it knows keep their values."""
    root, _ = old_runs
    info = open_run(root / "preset-c154d89").info
    again = ModelInfo.from_dict(info.to_dict())
    assert again == info and dataclasses.asdict(again)["images"]["polarity"] == "dark"
    assert np.isclose(again.scale, 1 / 255)


def test_history_csv_is_utf8_with_lf_line_endings(tmp_path):
    from tfnote.artifacts import write_history

    history = [{"epoch": 1, "loss": 0.5, "准确率": 0.9}, {"epoch": 2, "loss": 0.25, "准确率": 0.95}]
    write_history(history, tmp_path / "history.json", tmp_path / "history.csv")
    raw = (tmp_path / "history.csv").read_bytes()
    assert b"\r" not in raw
    assert raw.decode("utf-8").splitlines() == ["epoch,loss,准确率", "1,0.5,0.9", "2,0.25,0.95"]
