"""The fast CIFAR-10 recipe: its network, whitening, test-time augmentation, saving,
schedule, loss and batches, and a short real training. (Timings are in bench/.)"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tfnote.errors import TfnoteError

ROOT = Path(__file__).resolve().parents[1]
PARAMS = 1_973_944  # widths 64, 256, 256 on 32x32x3, 10 classes (BN statistics included)


@pytest.fixture(scope="module")
def cifar(shared_data):
    from tfnote.data import load_dataset

    return load_dataset("cifar10", data_dir=str(shared_data))


def small_net(tta=1, widths=(8, 16, 16)):
    from tfnote.models.fast import fast_cifar

    return fast_cifar((32, 32, 3), 10, widths=widths, tta=tta)


def test_parameter_count_by_hand_and_registry():
    from tfnote.models import build_model

    model = build_model("fast-cifar", (32, 32, 3), 10)
    assert model.count_params() == PARAMS

    def group(c_in, c):  # two 3x3 convolutions, no bias; BN: bias + 2 statistics per conv
        return 9 * c_in * c + 9 * c * c + 2 * 3 * c

    whitening = 2 * 2 * 3 * 24 + 24  # frozen kernel + bias
    by_hand = whitening + group(24, 64) + group(64, 256) + group(256, 256) + 256 * 10
    assert by_hand == PARAMS
    # a 28x28 Fashion-MNIST image fits; 24x24 is too small for the poolings
    fashion = build_model("fast-cifar", (28, 28, 1), 10, widths=(8, 8, 8))
    assert fashion(np.zeros((2, 28, 28, 1), "float32")).shape == (2, 10)
    with pytest.raises(TfnoteError, match="at least 25x25"):
        build_model("fast-cifar", (24, 24, 3), 10)
    with pytest.raises(TfnoteError, match="tta"):
        build_model("fast-cifar", (32, 32, 3), 10, tta=3)


def test_whitening_decorrelates_real_patches(cifar):
    from tfnote.models.fast import PatchWhitening, image_patches

    images = cifar.x_train[:300].astype("float32") / 255
    layer = PatchWhitening(patch_size=2, epsilon=5e-4)
    layer.adapt(images)
    out = np.asarray(layer(images))  # (300, 31, 31, 24): +v and -v filters
    assert out.shape == (300, 31, 31, 24)
    half = out[..., :12].reshape(-1, 12)
    np.testing.assert_allclose(out[..., 12:].reshape(-1, 12), -half, atol=1e-4)  # -v filters
    # centred: the bias removes the patch mean
    assert np.abs(half.mean(axis=0)).max() < 0.05
    # decorrelated, with variance eigenvalue / (eigenvalue + floor): near 1 but for the
    # smallest directions, which epsilon keeps from being blown up
    covariance = np.cov(half, rowvar=False)
    patches = image_patches(images, 2)
    eigenvalues = np.linalg.eigvalsh(np.cov(patches, rowvar=False))
    floor = 5e-4 * eigenvalues.sum() / 12
    np.testing.assert_allclose(np.diag(covariance), eigenvalues / (eigenvalues + floor), atol=1e-3)
    off_diagonal = covariance - np.diag(np.diag(covariance))
    assert np.abs(off_diagonal).max() < 1e-4
    assert (np.diag(covariance) > 0.9).sum() >= 9  # all but the few smallest directions
    with pytest.raises(TfnoteError, match="N, H, W, C"):
        layer.adapt(images[0])


def test_mirror_tta_is_the_mean_of_both_views():
    from tfnote import _tf

    tf, keras = _tf.load()
    model = small_net(tta=1)
    x = np.random.default_rng(0).random((4, 32, 32, 3), dtype="float32")
    model.adapt(x)
    both = (model.logits(x) + model.logits(x[:, :, ::-1])) / 2
    np.testing.assert_allclose(model(x), tf.nn.softmax(both), atol=1e-5)
    # training mode and tta=0 see the image once
    plain = tf.nn.softmax(model.logits(x))
    np.testing.assert_allclose(small_net(tta=0)(x).shape, (4, 10))
    assert not np.allclose(plain, model(x), atol=1e-6)


def test_save_and_load_keep_whitening_and_tta(tmp_path):
    from tfnote import _tf

    _, keras = _tf.load()
    model = small_net(tta=2)
    x = np.random.default_rng(1).random((6, 32, 32, 3), dtype="float32")
    model.adapt(x)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.tta == 2 and loaded.widths == (8, 16, 16)
    np.testing.assert_array_equal(loaded.whiten.kernel.numpy(), model.whiten.kernel.numpy())
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


def test_schedule_warms_up_then_decays():
    from tfnote.schedules import PiecewiseLinear, warmup_decay

    schedule = warmup_decay(2.0, total_steps=100, warmup=0.25, start=0.2, end=0.05)
    rates = [float(schedule(s)) for s in (0, 10, 25, 60, 100, 150)]
    expected = [0.4, 0.4 + 1.6 * 10 / 25, 2.0, 2.0 - 1.9 * 35 / 75, 0.1, 0.1]
    np.testing.assert_allclose(rates, expected, rtol=1e-5)
    assert PiecewiseLinear.from_config(schedule.get_config()).rates == schedule.rates
    straight = warmup_decay(0.24, total_steps=10, warmup=0, end=0)  # Muon's: no warm-up
    np.testing.assert_allclose([float(straight(s)) for s in (0, 5, 10)], [0.24, 0.12, 0.0])
    one_step = warmup_decay(2.0, total_steps=1)  # `--epochs 1` on one batch: the first rate
    assert float(one_step(0)) == pytest.approx(0.4)
    with pytest.raises(TfnoteError, match="increase"):
        PiecewiseLinear([0, 0], [1, 1])


def test_smoothed_loss_matches_the_formula():
    from tfnote.label_smoothing import SparseSmoothedCrossentropy

    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], "float32")
    y = np.array([0, 1])
    s = 0.3
    target = np.full((2, 3), s / 3) + np.eye(3)[y] * (1 - s)
    expected = np.mean(-np.sum(target * np.log(p), axis=1))
    assert float(SparseSmoothedCrossentropy(s)(y, p)) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(TfnoteError, match="smoothing"):
        SparseSmoothedCrossentropy(1.0)


def test_batches_alternate_flips_and_shift_by_reflection():
    from tfnote.flip_shift import shift_images, train_batches

    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (8, 6, 6, 1), dtype=np.uint8)
    y = np.arange(8)
    batches = list(train_batches(x, y, 8, epochs=2, scale=1.0, shift=0))
    assert len(batches) == 2
    seen = []
    for images, labels in batches:
        by_label = {int(label): image for label, image in zip(labels.numpy(), images.numpy())}
        seen.append([np.array_equal(by_label[i][..., 0], x[i, :, ::-1, 0]) for i in range(8)])
    # an image mirrored in epoch 0 is shown straight in epoch 1, and the other way round
    assert all(a != b for a, b in zip(*seen))
    shifted = shift_images(np.float32(x), 2, seed=(1, 2)).numpy()
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
    for image, source in zip(shifted, padded):
        windows = [source[r : r + 6, c : c + 6] for r in range(5) for c in range(5)]
        assert any(np.array_equal(image, w) for w in windows)


def test_short_real_training_beats_the_bar(cifar):
    """4,096 real images, 6 epochs of a narrow net with the preset's optimizer and loss:
    far above chance (0.1) on the exact 1,000 test images."""
    from tfnote import _tf
    from tfnote.flip_shift import train_batches
    from tfnote.label_smoothing import SparseSmoothedCrossentropy
    from tfnote.muon import ConvMuon
    from tfnote.schedules import warmup_decay

    _, keras = _tf.load()
    keras.utils.set_random_seed(1)
    model = small_net(tta=1, widths=(16, 32, 32))
    x, y = cifar.x_train[:4096], cifar.y_train[:4096]
    model.adapt(x / 255)
    batch, epochs = 256, 6
    steps = len(x) // batch
    optimizer = ConvMuon(warmup_decay(0.24, epochs * steps, warmup=0, end=0), sgd_ratio=3.0)
    model.compile(
        optimizer=optimizer,
        loss=SparseSmoothedCrossentropy(0.2),
        metrics=["sparse_categorical_accuracy"],
    )
    model.fit(train_batches(x, y, batch, epochs), epochs=epochs, steps_per_epoch=steps, verbose=0)
    _, accuracy = model.evaluate(cifar.x_test[:1000] / 255, cifar.y_test[:1000], verbose=0)
    assert accuracy > 0.45


def test_muon_orthogonalizes_and_keeps_kernel_norms():
    from tfnote import _tf
    from tfnote.muon import ConvMuon, orthogonalize

    _, keras = _tf.load()
    g = np.random.default_rng(3).normal(size=(72, 16)).astype("float32")
    update = np.asarray(orthogonalize(keras.ops.convert_to_tensor(g)))
    singular = np.linalg.svd(update, compute_uv=False)
    assert 0.4 < singular.min() and singular.max() < 1.6  # all near 1, none near 0
    kernel = keras.Variable(np.random.default_rng(4).normal(size=(3, 3, 8, 16)).astype("float32"))
    bias = keras.Variable(np.ones(16, "float32"))
    optimizer = ConvMuon(learning_rate=0.1, sgd_ratio=2.0, weight_decay=0.5)
    optimizer.apply([np.ones((3, 3, 8, 16), "float32"), np.ones(16, "float32")], [kernel, bias])
    # the kernel was rescaled to norm sqrt(16) = 4, then moved by 0.1 * an orthogonal update
    assert abs(np.linalg.norm(kernel.numpy()) - 4.0) < 0.1 * 4 * 1.6
    # the bias took an SGD step (lr 0.2, first Nesterov step 0.2 * (1 + 0.85)) and weight decay
    expected = 1.0 * (1 - 0.5 * 0.1) - 0.2 * (1 + 0.85)
    np.testing.assert_allclose(bias.numpy(), expected, rtol=1e-5)


def test_preset_resumes_exactly_and_predicts(shared_data, tmp_path, cli):
    """`tfnote train cifar10-fast`, killed after an epoch and resumed, ends with exactly the
    losses of an uninterrupted run: order, flips and shifts depend on (seed, epoch) alone,
    and Muon's momentum and the schedule's step come back from the checkpoint. Then
    `tfnote predict` reads the folder (custom layers, TTA) and agrees with the model."""
    from tfnote import open_run

    args = ["cifar10-fast", "--data-dir", str(shared_data), "--limit-train", "8000"]
    args += ["--limit-test", "500", "--epochs", "4"]
    straight = cli("train", *args, "--quiet", "--out", tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr

    out = tmp_path / "killed"
    command = [sys.executable, "-m", "tfnote", "train", *args, "--quiet", "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    state = out / "state.json"
    deadline = time.time() + 300
    while not (state.is_file() and json.loads(state.read_text())["epoch"] >= 1):
        assert process.poll() is None and time.time() < deadline, process.stderr.read()
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = json.loads(state.read_text())["epoch"]
    assert killed_at < 4 and not (out / "metrics.json").exists()
    resumed = cli("train", *args, "--out", out)
    assert resumed.returncode == 0, resumed.stderr
    assert f"after epoch {killed_at}" in resumed.stdout

    def losses(folder):
        return [row["loss"] for row in json.loads((folder / "history.json").read_text())]

    assert losses(out) == losses(tmp_path / "straight") and len(losses(out)) == 4
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.3  # 4 short epochs on 8,000 images; chance is 0.1
    assert (out / "weights.txt").stat().st_size > 0 and (out / "curves.png").is_file()

    from tfnote.data import load_dataset

    cifar = load_dataset("cifar10", data_dir=str(shared_data))
    photo = tmp_path / "first-test-image.png"
    Image.fromarray(cifar.x_test[0]).save(photo)
    model = open_run(out).load_model()
    expected = int(np.argmax(model.predict(cifar.x_test[:1] / 255, verbose=0)))
    result = cli("predict", out, photo, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["class"] == expected


def test_bench_runs_and_reports_time_to_accuracy(shared_data):
    """bench/bench_cifar_fast.py on a slice: the fast preset's timeline and its table."""
    bench = ROOT / "bench" / "bench_cifar_fast.py"
    command = [sys.executable, str(bench), "--data-dir", str(shared_data), "--epochs", "1"]
    command += ["--limit-train", "4000", "--skip-baseline", "--skip-resnet"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "fast (cifar10-fast): 498,680 parameters, 1 epochs of 2 steps" in result.stdout
    # the table's row: "fast  <time to 0.63>  <on the exact 1,000>/<on all 10,000>  ..."
    accuracies = re.search(r"^fast .* (0\.\d{4})/(0\.\d{4}) ", result.stdout, flags=re.M)
    final_1000, final_10000 = float(accuracies[1]), float(accuracies[2])
    assert 0.1 < final_1000 < 1 and 0.1 < final_10000 < 1
