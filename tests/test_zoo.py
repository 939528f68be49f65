"""Class 5, the CNN zoo: architectures, presets, `tfnote models`, and short real trainings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tfnote.spec import get_preset, presets

# Parameter counts on 32x32x3 inputs with 10 classes (BatchNorm's moving statistics included,
# as Keras's summary counts them).
PARAMS = {
    "baseline": 198_506,
    "lenet5": 62_006,
    "alexnet8": 9_639_178,
    "vgg16": 15_262_026,
    "inception10": 121_418,
    "resnet18": 11_183_562,
}
ZOO = list(PARAMS)


def build(name, input_shape=(32, 32, 3), num_classes=10):
    from tfnote.models import build_model

    return build_model(name, input_shape, num_classes)


@pytest.mark.parametrize("name", ZOO)
def test_parameter_count_and_a_training_step(name):
    from tfnote import _tf

    tf, keras = _tf.load()
    model = build(name)
    assert model.count_params() == PARAMS[name]
    x = tf.random.uniform((2, 32, 32, 3), seed=1)
    y = tf.constant([3, 7])
    with tf.GradientTape() as tape:
        probs = model(x, training=True)
        loss = keras.losses.sparse_categorical_crossentropy(y, probs)
    grads = tape.gradient(loss, model.trainable_variables)
    assert probs.shape == (2, 10)
    np.testing.assert_allclose(np.sum(probs.numpy(), axis=1), 1.0, rtol=1e-5)
    assert np.isfinite(loss.numpy()).all()
    assert all(g is not None for g in grads), "every trainable variable gets a gradient"
    # Fashion-MNIST's 28x28x1 images fit every model too.
    assert build(name, (28, 28, 1)).output_shape == (None, 10)


def test_resnet18_count_is_its_architecture_by_hand():
    """PARAMS (checked against Keras above) equals the count from the layer list by hand."""

    def conv(k, c_in, c_out):  # no bias: BatchNorm follows
        return k * k * c_in * c_out

    def bn(c):  # gamma, beta, moving mean, moving variance
        return 4 * c

    total = conv(3, 3, 64) + bn(64)  # the stem
    c_in = 64
    for filters in (64, 128, 256, 512):
        for _ in range(2):  # two residual blocks per stage
            total += conv(3, c_in, filters) + conv(3, filters, filters) + 2 * bn(filters)
            if filters != c_in:  # the first block of stages 2-4 projects its shortcut
                total += conv(1, c_in, filters) + bn(filters)
            c_in = filters
    total += 512 * 10 + 10  # the dense head
    assert PARAMS["resnet18"] == total
    assert round(total / 1e6, 2) == 11.18  # the course's "about 11.18M"


def test_inception10_batchnorm_learns_its_statistics():
    """The course's bug: BatchNorm called with training=False never updated its averages."""
    from tfnote import _tf

    _, keras = _tf.load()
    model = build("inception10")
    bn = next(layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization))
    x = np.random.default_rng(1).uniform(size=(8, 32, 32, 3)).astype("float32")
    model(x, training=False)
    assert np.abs(bn.moving_mean.numpy()).max() == 0  # inference leaves the averages alone
    model(x, training=True)  # a training step's forward pass (fit calls it this way)
    assert np.abs(bn.moving_mean.numpy()).max() > 1e-4


def test_class5_presets_use_the_course_settings():
    tables = presets()
    for dataset in ("cifar10", "fashion"):
        for model in ZOO:
            spec = get_preset(f"{dataset}-{model}")
            assert (str(spec.dataset), str(spec.model)) == (dataset, model)
            assert spec.scale == pytest.approx(1 / 255)
            assert (spec.optimizer, spec.lr, spec.batch_size, spec.epochs) == ("adam", 0.001, 32, 5)
            assert spec.loss == "sparse_categorical_crossentropy" and not spec.from_logits
            assert spec.validation == "test"
            assert get_preset(f"{dataset}_{model}") == spec  # the course's file name works too
    tuned = get_preset("cifar10-resnet18-tuned")
    assert tables["cifar10-resnet18-tuned"]["model"] == "resnet18"
    assert tuned.augment == "cifar" and tuned.batch_size == 256 and tuned.mixed_precision
    assert tuned.lr_schedule["type"] == "cosine"


def test_cifar_augmentation_shifts_by_whole_pixels_and_flips():
    from tfnote.augment import augmentation

    rng = np.random.default_rng(0)
    x = rng.uniform(0.01, 1, size=(16, 32, 32, 3)).astype("float32")
    out = np.asarray(augmentation("cifar", seed=3)(x, training=True))
    assert out.shape == x.shape
    changed = 0
    for image, result in zip(x, out):
        # pad-and-crop moves pixels without blending them: every value is an input value or 0
        assert np.isin(result[result != 0], image).all()
        changed += not np.array_equal(image, result)
    assert changed >= 8


def test_models_command_lists_parameter_counts(cli):
    result = cli("models")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    for name, params in PARAMS.items():
        assert f"{params:,}" in rows[name]
    assert "101,770" in rows["mlp"]  # the dense models are listed too
    bad = cli("models", "--input-shape", "32,x")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_train_baseline_on_a_cifar_slice_then_resume(cli, shared_data, tmp_path):
    out = tmp_path / "run"
    args = ["train", "cifar10-baseline", "--data-dir", shared_data, "--out", out]
    args += ["--limit-train", "5000", "--limit-test", "1000", "--quiet"]
    result = cli(*args, "--epochs", "2")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.3  # chance is 0.1
    for name in ("weights.txt", "curves.png", "best.weights.h5", "summary.txt", "spec.json"):
        assert (out / name).is_file(), name
    assert "conv2d" in (out / "weights.txt").read_text()[:200]

    result = cli(*args, "--epochs", "3")  # continues from epoch 2 instead of starting over
    assert result.returncode == 0, result.stderr
    history = json.loads((out / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2, 3]


def test_tuned_recipe_runs_with_augmentation_and_cosine_schedule(shared_data, tmp_path):
    """The ResNet recipe's pipeline (crop+flip, batch 256, cosine lr) on a small model."""
    from tfnote import train

    spec = get_preset("cifar10-resnet18-tuned").replace(
        model="baseline", data_dir=str(shared_data), train_limit=1024, test_limit=256, epochs=1
    )
    result = train.run(spec, tmp_path / "tuned", quiet=True)
    assert result.metrics["epochs"] == 1 and np.isfinite(result.metrics["loss"])
