"""Your own model in tfnote's machinery: the RunFolder callback on plain Keras scripts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tfnote import TfnoteError, open_run
from tfnote.run_folder import Run

# The course's p14 as a learner writes it: plain Keras, NumPy arrays, one extra callback.
SCRIPT = textwrap.dedent(
    """
    import sys
    import keras, tfnote

    data_dir, out, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    keras.utils.set_random_seed(1)
    data = tfnote.load_dataset("mnist", data_dir=data_dir)
    x_train, x_test = data.x_train / 255, data.x_test / 255
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    model.fit(x_train, data.y_train, batch_size=32, epochs=epochs, verbose=0,
              validation_data=(x_test, data.y_test),
              callbacks=[tfnote.RunFolder(out, data=data, scale=1 / 255)])
    print("optimizer steps", int(model.optimizer.iterations))
    """
)


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("script") / "mnist_mlp.py"
    path.write_text(SCRIPT)
    return path


def _run(script, shared_data, out, epochs=5, **kwargs):
    return subprocess.Popen(
        [sys.executable, str(script), str(shared_data), str(out), str(epochs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_kill_minus_9_then_rerun_continues_a_plain_keras_script(script, shared_data, tmp_path, cli):
    out = tmp_path / "killed"
    process = _run(script, shared_data, out)
    deadline = time.monotonic() + 300
    while getattr(Run(out).state, "epoch", 0) < 1:  # at least one saved epoch
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = open_run(out).state.epoch
    assert 1 <= killed_at < 5 and not (out / "metrics.json").exists()

    again = _run(script, shared_data, out)
    stdout, stderr = again.communicate(timeout=600)
    assert again.returncode == 0, stderr
    assert f"resuming {out} after epoch {killed_at} of 5" in stdout
    # The optimizer state came back: Adam counts the steps of all five epochs (60,000 / 32).
    assert "optimizer steps 9375" in stdout
    history = open_run(out).history
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5]

    straight = _run(script, shared_data, tmp_path / "straight")
    assert straight.communicate(timeout=600)[0].endswith("optimizer steps 9375\n")
    resumed, uninterrupted = (open_run(p).metrics for p in (out, tmp_path / "straight"))
    assert resumed.epochs == uninterrupted.epochs == 5
    assert uninterrupted.headline == "val_sparse_categorical_accuracy"  # chosen when written
    assert uninterrupted.accuracy > 0.97
    assert abs(resumed.accuracy - uninterrupted.accuracy) < 0.01
    for name in ("curves.png", "weights.txt", "summary.txt", "history.csv", "model.keras"):
        assert (out / name).stat().st_size > 0, name
    assert not list(out.rglob(".*"))  # no temporary files left behind

    # Everything a preset run offers works on it, without knowing how it was built.
    digits = sorted(shared_data.glob("digits/*.png"))
    result = cli("predict", out, *digits, "--json")
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    right = sum(a["class"] == int(d.stem) for a, d in zip(answers, digits))
    assert right >= 9, answers
    for command in ("params", "curves"):
        assert cli(command, out).returncode == 0


def test_a_finished_run_is_not_trained_again(script, shared_data, tmp_path):
    out = tmp_path / "r"
    for _ in range(2):
        stdout, stderr = _run(script, shared_data, out, epochs=1).communicate(timeout=300)
    assert "already finished 1 epochs" in stdout, stderr
    assert "optimizer steps 1875" in stdout  # restored, not stepped again
    assert len(open_run(out).history) == 1


def _tiny_data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int32")


def test_subclassed_models_resume_and_say_when_keras_cannot_save_them(tmp_path, capsys):
    import keras

    from tfnote import RunFolder

    class Net(keras.Model):  # takes an argument but has no get_config: Keras can't save it
        def __init__(self, units):
            super().__init__()
            self.hidden = keras.layers.Dense(units, activation="relu")
            self.out = keras.layers.Dense(2, activation="softmax")

        def call(self, x):
            return self.out(self.hidden(x))

    x, y = _tiny_data()
    for epochs in (2, 3):  # the second call continues the first
        model = Net(8)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=epochs, verbose=0, callbacks=[RunFolder(tmp_path / "r")])
    printed = capsys.readouterr().out
    assert "resuming" in printed and "after epoch 2 of 3" in printed
    assert "model.keras not written: Keras cannot rebuild Net" in printed
    assert "get_config" in printed
    assert [row["epoch"] for row in open_run(tmp_path / "r").history] == [1, 2, 3]
    info = open_run(tmp_path / "r").info
    assert info.input_shape == (4,) and info.num_classes == 2
    assert info.built_by == "own model"
    for name in ("weights.txt", "curves.png", "best.weights.h5", "metrics.json"):
        assert (tmp_path / "r" / name).is_file()
    with pytest.raises(TfnoteError, match="no model.keras"):
        open_run(tmp_path / "r").load_model()


def test_another_network_in_the_same_folder_is_refused(tmp_path):
    import keras

    from tfnote import RunFolder

    x, y = _tiny_data()
    for units, epochs in ((8, 1), (16, 2)):
        model = keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(units), keras.layers.Dense(2)]
        )
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        callback = RunFolder(tmp_path / "r", verbose=False)
        if units == 8:
            model.fit(x, y, epochs=epochs, verbose=0, callbacks=[callback])
            continue
        with pytest.raises(TfnoteError, match="holds a run of a different model"):
            model.fit(x, y, epochs=epochs, verbose=0, callbacks=[callback])
    # fresh=True starts over instead
    model.fit(x, y, epochs=1, verbose=0, callbacks=[RunFolder(tmp_path / "r", fresh=True)])
    assert open_run(tmp_path / "r").info.params == model.count_params()


def test_a_diverging_run_stops_with_one_line(tmp_path):
    import keras

    from tfnote import RunFolder

    x, y = _tiny_data()
    x[0, 0] = np.nan  # one bad number makes the loss NaN
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(TfnoteError, match="loss became nan in epoch 1"):
        model.fit(x, y, epochs=3, verbose=0, callbacks=[RunFolder(tmp_path / "r")])
    assert not (tmp_path / "r" / "best.weights.h5").exists()


BUILDER = """
import keras

def build(input_shape, num_classes):
    return keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="tanh"),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])
"""


def test_own_model_file_and_experiment_file_on_the_command_line(shared_data, tmp_path, cli):
    (tmp_path / "mynet.py").write_text(BUILDER)
    (tmp_path / "tanh.toml").write_text(
        'preset = "p14"\nmodel = "mynet.py:build"\nepochs = 1\ntrain_limit = 3000\n'
    )
    result = cli("train", "tanh.toml", "--data-dir", shared_data, "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = open_run(tmp_path / "runs" / "tanh")
    assert run.info.params == 28 * 28 * 32 + 32 + 33 * 10
    assert run.metrics.accuracy > 0.8
    spec = run.spec
    assert str(spec.model) == f"{tmp_path / 'mynet.py'}:build"  # absolute: resume finds it anywhere

    result = cli(
        "train", "p14", "--model", "mynet.py:build", "--epochs", "1", "--limit-train", "2000",
        "--data-dir", shared_data, "--out", "own", "--quiet", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr

    (tmp_path / "typo.toml").write_text('preset = "p14"\nepoch = 3\n')
    for args, message in [
        (["train", "typo.toml"], "typo.toml: unknown field 'epoch'"),
        (["train", "p14", "--model", "nowhere.py:build"], "model file nowhere.py not found"),
        (["train", "p14", "--model", "mynet.py:nope", "--data-dir", shared_data], "no function"),
    ]:
        result = cli(*args, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_tensorboard_event_files_go_into_the_run_folder(tmp_path):
    import keras

    from tfnote import RunFolder

    x, y = _tiny_data()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    folder = RunFolder(tmp_path / "r", tensorboard=True)
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[folder])
    for part in ("train", "validation"):
        assert list((tmp_path / "r" / "logs" / part).glob("events.out.tfevents.*")), part


def _python_block(section: str) -> str:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    text = readme.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return text.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize("section", ["Your own model", "Library use"])
def test_readme_python_runs_as_written(section, shared_data, tmp_path):
    """README's Python, run as written (one epoch instead of several, to keep it short)."""
    import os

    code = _python_block(section).replace("epochs=5", "epochs=1").replace("epochs=3", "epochs=1")
    env = {**os.environ, "TFNOTE_DATA": str(shared_data)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    run = tmp_path / "runs" / ("mine" if section == "Your own model" else "mnist3")
    assert open_run(run).metrics.epochs == 1
    assert (run / "model.keras").is_file()


def test_predict_asks_for_the_scale_a_script_did_not_record(shared_data, tmp_path):
    import keras

    from tfnote import RunFolder, predict

    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.zeros((8, 28, 28, 1), "float32")
    model.fit(x, np.arange(8), epochs=1, verbose=0, callbacks=[RunFolder(tmp_path / "r")])
    with pytest.raises(TfnoteError, match="does not record how its inputs were scaled"):
        predict.predict(tmp_path / "r", [shared_data / "digits" / "7.png"])
