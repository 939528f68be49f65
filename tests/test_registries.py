"""The registries by name: schedules, optimizers, losses, augmentations and model families.

A recipe (fast CIFAR-10) is data in a preset plus entries here, never a branch in the
trainer; a model family declares its own input, so a new one is listed by `tfnote models`.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import types

import numpy as np
import pytest

from tfnote import augment, losses, optimizers, schedules
from tfnote.errors import TfnoteError
from tfnote.spec import Spec


def test_every_schedule_builds():
    for name in schedules.SCHEDULES:
        rate = schedules.make_schedule({"type": name}, 0.1, total_steps=100)
        value = rate.rate(50) if callable(rate.rate) else rate.rate
        assert 0 < float(value) <= 0.1, name
    plateau = schedules.make_schedule({"type": "plateau", "patience": 2}, 0.1, 100)
    assert plateau.rate == 0.1 and plateau.callbacks[0].patience == 2  # a callback for fit
    assert schedules.make_schedule(None, 0.1, 100) == schedules.LearningRate(0.1)


def test_every_optimizer_builds_and_takes_its_arguments():
    for name in optimizers.OPTIMIZERS:
        optimizer = optimizers.make_optimizer(name.upper(), 0.01)  # any case, as Keras's names
        assert float(optimizer.learning_rate) == pytest.approx(0.01), name
    muon = optimizers.make_optimizer("conv_muon", 0.24, {"sgd_ratio": 6.9})
    assert type(muon).__name__ == "ConvMuon" and muon.sgd_ratio == 6.9
    with pytest.raises(TfnoteError, match="optimizer adam: .*bogus"):
        optimizers.make_optimizer("adam", 0.01, {"bogus": 1})


def test_every_loss_builds():
    from tfnote import _tf

    _, keras = _tf.load()
    labels, scores = np.array([0, 2]), np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], "float32")
    for name, entry in losses.LOSSES.items():
        loss = keras.losses.get(losses.make_loss(name))
        if entry.classes:
            value = loss(labels, scores)
        else:
            value = loss(np.array([[1.0], [2.0]]), np.array([[1.5], [2.5]], "float32"))
        value = float(np.mean(value))  # Keras's named losses give one value a sample
        assert np.isfinite(value) and value > 0, name
    smoothed = losses.make_loss("sparse_categorical_crossentropy", label_smoothing=0.2)
    assert type(smoothed).__name__ == "SparseSmoothedCrossentropy"
    assert losses.CLASS_LOSSES == ("sparse_categorical_crossentropy",)


def test_every_augmentation_builds_and_keeps_the_batch_shape():
    x = np.random.default_rng(0).uniform(size=(4, 28, 28, 1)).astype("float32")
    for name in augment.AUGMENTATIONS:
        made = augment.make_augmentation(Spec(augment=name), x.shape[1:])
        if made.layers is not None:
            out = made.layers(x, training=True)
        else:
            out = made.by_index(x, np.arange(4), 0, 1)
        assert np.shape(out) == x.shape, name
    assert augment.make_augmentation(Spec(), x.shape[1:]) == augment.Augmentation()
    with pytest.raises(TfnoteError, match="flip-shift needs images"):
        augment.make_augmentation(Spec(augment="flip-shift"), (4,))
    with pytest.raises(TfnoteError, match="needs shuffle = true"):
        augment.make_augmentation(Spec(augment="flip-shift", shuffle=False), (28, 28, 1))


UNKNOWN = [
    (lambda: schedules.make_schedule({"type": "nosuch"}, 0.1, 10), schedules.SCHEDULES),
    (lambda: optimizers.make_optimizer("nosuch", 0.1), optimizers.OPTIMIZERS),
    (lambda: losses.make_loss("nosuch"), losses.LOSSES),
    (lambda: augment.make_augmentation(Spec(augment="nosuch"), (8,)), augment.AUGMENTATIONS),
    (lambda: Spec(optimizer="nosuch").check(), optimizers.OPTIMIZERS),
    (lambda: Spec(lr_schedule={"type": "nosuch"}).check(), schedules.SCHEDULES),
    (lambda: Spec(loss="nosuch").check(), losses.LOSSES),
    (lambda: Spec(augment="nosuch").check(), augment.AUGMENTATIONS),
]


@pytest.mark.parametrize(("make", "registry"), UNKNOWN)
def test_an_unknown_name_is_one_line_listing_the_known_ones(make, registry):
    with pytest.raises(TfnoteError) as error:
        make()
    message = str(error.value)
    assert "'nosuch'" in message and "\n" not in message
    assert all(name in message for name in registry)


def test_a_schedule_refuses_settings_it_does_not_take():
    with pytest.raises(TfnoteError, match=r"lr_schedule cosine takes alpha \(not warmup\)"):
        schedules.make_schedule({"type": "cosine", "warmup": 0.1}, 0.1, 10)
    with pytest.raises(TfnoteError, match=r"takes warmup, start, end \(not peak\)"):
        Spec(lr_schedule={"type": "warmup-decay", "peak": 2}).check()  # as the spec is read


def test_the_spec_names_come_from_the_registries_without_tensorflow():
    """One home for each list of names; reading them (`--help`, `runs`) loads no TensorFlow."""
    from tfnote import spec

    assert spec.OPTIMIZERS is optimizers.OPTIMIZERS
    assert spec.RULES["lr_schedule"] is schedules.schedule_problem
    assert (spec.CLASS_LOSSES, spec.NUMBER_LOSSES) == (losses.CLASS_LOSSES, losses.NUMBER_LOSSES)
    code = (
        "import sys, tfnote.spec, tfnote.augment, tfnote.schedules, tfnote.train\n"
        "tfnote.spec.get_preset('cifar10-fast')\n"
        "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _code_words(module) -> set[str]:
    """The names and the non-docstring strings of a module's code (comments left out)."""
    tree = ast.parse(inspect.getsource(module))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    words = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                words.add(node.value)
    return words


def test_the_trainer_has_no_branch_for_the_fast_recipe():
    from tfnote import train

    words = " ".join(_code_words(train)).lower()
    for part in ("muon", "warmup", "flip", "smoothed", "fast", "cifar", "whiten"):
        assert part not in words, f"tfnote/train.py's code names {part!r}"


# --- model families ----------------------------------------------------------------------

THROWAWAY = """
from tfnote import _tf
from tfnote.models import Inputs

_, keras = _tf.load()


def tiny(input_shape, num_classes, units=4):
    layers = [keras.Input(input_shape), keras.layers.Dense(units), keras.layers.Dense(num_classes)]
    return keras.Sequential(layers)


MODELS = {"tiny": tiny}
INPUTS = Inputs("features", (3,), 2)
"""


def _family(monkeypatch, name: str, source: str) -> None:
    """Register models/NAME.py as if it were a file of the package, for this test only."""
    from tfnote import models

    module = types.ModuleType(f"tfnote.models.{name}")
    exec(compile(source, f"models/{name}.py", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(models, "FAMILIES", (*models.FAMILIES, name))


def test_a_new_family_is_listed_by_tfnote_models(monkeypatch, capsys):
    from tfnote import models
    from tfnote.cli import main

    monkeypatch.setattr(models, "FAMILIES", ("dense",))  # a short table
    _family(monkeypatch, "throwaway", THROWAWAY)
    _family(monkeypatch, "bare", THROWAWAY.replace("INPUTS =", "_ =").replace("tiny", "tiny2"))
    _family(monkeypatch, "broken", "MODELS = None\n")
    assert main(["models"]) == 0
    out, err = capsys.readouterr()
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.split()[0] != "-"}
    assert rows["tiny"].split()[1:5] == ["throwaway", "features", "3", "2"]
    assert rows["tiny"].split()[5] == "26"  # 3*4 + 4 + 4*2 + 2
    assert "declares no INPUTS" in rows["tiny2"]
    assert "family broken:" in out and "Traceback" not in out + err
    assert "101,770" in rows["mlp"]
    assert main(["models", "--family", "throwaway", "--input-shape", "5"]) == 0
    assert " 74" in capsys.readouterr().out  # 5*4 + 4 + 4*10 + 10: 10 classes


def test_models_are_listed_at_the_sizes_the_presets_use():
    from tfnote.commands.zoo import model_table
    from tfnote.models import FAMILIES, Inputs

    for family in FAMILIES:
        module = __import__(f"tfnote.models.{family}", fromlist=["INPUTS"])
        assert isinstance(module.INPUTS, Inputs), family
    rows = model_table("fast")
    assert [(row.params, row.presets) for row in rows] == [
        (498_680, ["cifar10-fast"]),  # widths 32-128-128
        (1_973_944, ["cifar10-fast-94"]),  # the model's defaults: 64-256-256
    ]
