"""Multi-device training: MirroredStrategy over two logical CPUs gives the single-device result.

The CPU is split into two logical devices before TensorFlow starts, which has to happen in
a fresh process; the child trains the same LeNet5 run twice (default strategy, then
MirroredStrategy with one half of every batch on each device) and prints what to compare.
LeNet5 has no BatchNorm (whose batch statistics would be per device) and no Dropout (whose
random masks differ), so the two runs do the same arithmetic up to rounding. Plain SGD
(not Adam, which hides the scale of the gradient) makes a wrongly summed or averaged
gradient show in the weights. Shuffling is off: distributing a tf.data pipeline rebuilds
it, and its shuffle then draws another (equally seeded, but different) order, which alone
moves the results by about 1% after an epoch.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

CHILD = r"""
import json, sys
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from tfnote import _tf, train
from tfnote.models import build_model
from tfnote.spec import get_preset

_, keras = _tf.load()
data_dir, out = sys.argv[1], sys.argv[2]
spec = get_preset("cifar10-lenet5").replace(
    data_dir=data_dir, train_limit=1024, test_limit=512, epochs=2,
    optimizer="sgd", lr=0.1, shuffle=False,
)
keras.utils.set_random_seed(1)
initial = build_model("lenet5", (32, 32, 3), 10).get_weights()
report = {"replicas": train.pick_strategy("mirrored").num_replicas_in_sync}
for strategy in ("default", "mirrored"):
    keras.utils.set_random_seed(1)  # the same initial weights for both runs
    result = train.run(spec, f"{out}/{strategy}", quiet=True, fresh=True, strategy=strategy)
    report[strategy] = {
        "metrics": result.metrics,
        "history": result.history,
        "weights": [w.tolist() for w in result.model.get_weights()],
        "moved": float(max(abs(a - b).max() for a, b in zip(result.model.get_weights(), initial))),
    }
print(json.dumps(report))
"""


def test_mirrored_strategy_matches_single_device(shared_data, tmp_path):
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(shared_data), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    single, mirrored = report["default"], report["mirrored"]
    for row_single, row_mirrored in zip(single["history"], mirrored["history"], strict=True):
        for key in ("loss", "val_loss", "sparse_categorical_accuracy"):
            np.testing.assert_allclose(row_mirrored[key], row_single[key], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(
        mirrored["metrics"]["accuracy"], single["metrics"]["accuracy"], atol=2e-3
    )
    for w_single, w_mirrored in zip(single["weights"], mirrored["weights"], strict=True):
        np.testing.assert_allclose(w_mirrored, w_single, rtol=1e-3, atol=1e-4)
    # training did move the weights: the comparison is not between two untouched models
    assert single["moved"] > 1e-3 and mirrored["moved"] > 1e-3
