"""The raw-TensorFlow track (classes 1-2): real runs with the course's settings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tfnote.errors import TfnoteError


def test_iris_split_is_the_courses():
    from sklearn import datasets

    from tfnote.scratch.iris import iris_data

    x, y = datasets.load_iris().data, datasets.load_iris().target
    np.random.seed(116)
    np.random.shuffle(x)
    np.random.seed(116)
    np.random.shuffle(y)
    x_train, y_train, x_test, y_test = iris_data()
    assert len(x_train) == 120 and len(x_test) == 30
    np.testing.assert_allclose(x_train, x[:-30], rtol=1e-6)
    np.testing.assert_allclose(x_test, x[-30:], rtol=1e-6)
    assert (y_train == y[:-30]).all() and (y_test == y[-30:]).all()


def test_iris_from_scratch_reaches_full_test_accuracy():
    from tfnote.scratch.iris import train_iris

    r = train_iris("sgd", lr=0.1, epochs=500, batch_size=32)
    assert len(r.loss) == 500 and len(r.test_accuracy) == 500
    assert r.test_accuracy[-1] == 1.0
    assert r.loss[-1] == pytest.approx(0.0323, abs=5e-4)  # the course prints 0.0323
    assert r.loss[0] > 5 * r.loss[-1]


def test_backprop_demo_prints_the_courses_steps():
    from tfnote.scratch.backprop import descend

    d = descend(w0=5, lr=0.2, steps=40)
    lines = d.lines()
    assert len(lines) == 40
    assert lines[0] == "After 0 epoch,w is 2.600000,loss is 36.000000"
    assert d.w[-1] == pytest.approx(-1.0, abs=1e-5)


def test_lr_decay_follows_the_formula():
    from tfnote.scratch.backprop import descend

    d = descend(lr=0.2, steps=40, decay=0.99, decay_steps=1)
    np.testing.assert_allclose(d.lr, 0.2 * 0.99 ** np.arange(40), rtol=1e-5)
    assert d.lines(show_lr=True)[1].endswith("lr is 0.198000")
    assert d.w[-1] == pytest.approx(-1.0, abs=1e-4)


def test_cost_sensitive_loss_leans_toward_the_cheaper_error():
    from tfnote.scratch.losses import fit_sales

    profit = fit_sales("custom", cost=1, profit=99)
    swapped = fit_sales("custom", cost=99, profit=1)
    assert (profit.w > 1).all(), profit.w
    assert (swapped.w < 1).all(), swapped.w


def test_mse_fit_lands_near_one():
    from tfnote.scratch.losses import fit_sales

    fit = fit_sales("mse", epochs=15000)
    np.testing.assert_allclose(fit.w, [1, 1], atol=0.02)


def test_softmax_then_cross_entropy_equals_the_fused_op():
    from tfnote.scratch.losses import cross_entropy_examples

    ce = cross_entropy_examples()
    np.testing.assert_allclose(ce["two_guesses"], [0.5108, 0.2231], atol=1e-4)
    np.testing.assert_allclose(ce["softmax_then_ce"], ce["fused"], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(ce["softmax_then_keras_ce"], ce["fused"], rtol=1e-4, atol=1e-7)


def test_sigmoid_derivative_is_at_most_a_quarter(tmp_path):
    from tfnote.scratch.activations import plot_activations, values_and_derivatives

    x, table = values_and_derivatives(np.linspace(-10, 10, 2001, dtype="float32"))
    y, dy = table["sigmoid"]
    assert dy.max() <= 0.25 + 1e-7
    assert dy.max() == pytest.approx(0.25, abs=1e-6)
    np.testing.assert_allclose(dy, y * (1 - y), atol=1e-6)
    assert table["relu"][1][x < 0].max() == 0  # dead side
    peaks = plot_activations(tmp_path / "act.png")
    assert (tmp_path / "act.png").stat().st_size > 10_000
    assert peaks["sigmoid"] <= 0.25 + 1e-7


def test_safe_rmsprop_trains_where_the_course_form_is_fragile():
    """Course-form RMSProp at lr 0.1 divides by sqrt(v) with no epsilon; whether a 0/0 (nan)
    happens depends on last-bit rounding of the kernels. The safe form always trains."""
    from tfnote.scratch.iris import train_iris

    safe = train_iris("rmsprop", lr=0.1, epochs=500, safe=True)
    assert np.isfinite(safe.loss).all()
    assert safe.test_accuracy[-1] == 1.0


def test_regularization_cli_on_dot_csv(cli, shared_data, tmp_path):
    out = tmp_path / "reg"
    r = cli("regularization", "--data", shared_data / "dot.csv", "--out", out)
    assert r.returncode == 0, r.stderr
    assert (out / "boundaries.png").stat().st_size > 10_000
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["points"] == 300
    no_l2, with_l2 = metrics["runs"]
    assert no_l2["l2"] == 0 and with_l2["l2"] == 0.03
    assert no_l2["final_loss"] < 0.2 and with_l2["final_loss"] < 0.3


def test_l2_keeps_weights_smaller(shared_data):
    from tfnote.scratch.regularization import read_points, train_net

    x, y = read_points(shared_data / "dot.csv")
    plain = train_net(x, y, l2=0.0)
    l2 = train_net(x, y, l2=0.03)
    norm = lambda fit: sum(float((w**2).sum()) for w in (fit.weights[0], fit.weights[2]))  # noqa: E731
    assert norm(l2) < norm(plain)


def test_optimizers_cli_fills_the_template(cli, tmp_path):
    out = tmp_path / "opt"
    r = cli("optimizers", "--lr", "0.1", "--epochs", "20", "--out", out)
    assert r.returncode == 0, r.stderr
    for name in ("loss_lr0.1_epochs20.png", "accuracy_lr0.1_epochs20.png", "results.csv"):
        assert (out / name).is_file(), name
    lines = (out / "results.csv").read_text().splitlines()
    assert lines[0] == "lr,epochs,optimizer,final_loss,test_accuracy,seconds"
    names = [line.split(",")[2] for line in lines[1:]]
    assert names == "sgd sgdm adagrad rmsprop adam".split()
    assert "| adam |" in r.stdout


def test_library_rejects_bad_settings():
    from tfnote.scratch.iris import train_iris

    with pytest.raises(TfnoteError, match="learning rate"):
        train_iris("sgd", lr=0)
    with pytest.raises(TfnoteError, match="epochs"):
        train_iris("sgd", epochs=0)
    with pytest.raises(TfnoteError, match="unknown optimizer"):
        train_iris("nadam")


BAD_CSVS = {
    "missing": ("a,b,c\n1,2,0\n3,4,1\n", "no column"),
    "text": ("x1,x2,y_c\n1,2,0\n3,oops,1\n", "non-numeric"),
    "empty-cell": ("x1,x2,y_c\n1,2,0\n3,,1\n", "missing or non-numeric"),
    "labels": ("x1,x2,y_c\n1,2,0\n3,4,7\n", "only 0 and 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_CSVS))
def test_bad_csv_is_one_line_exit_2(cli, tmp_path, case):
    text, message = BAD_CSVS[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    r = cli("regularization", "--data", path, "--out", tmp_path / "out")
    assert r.returncode == 2
    assert r.stderr.startswith("tfnote: error: ") and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (("iris-scratch", "--optimizer", "nadam"), "unknown optimizer 'nadam'"),
        (("optimizers", "--only", "sgd,adamw"), "unknown optimizer 'adamw'"),
        (("iris-scratch", "--lr", "0"), "--lr: must be positive"),  # flag types: commands/flags
        (("iris-scratch", "--lr", "-0.1"), "--lr: must be positive"),
        (("optimizers", "--lr", "0", "--epochs", "5"), "--lr: must be positive"),
        (("iris-scratch", "--epochs", "0"), "--epochs: must be at least 1"),
        (("regularization", "--epochs", "0"), "--epochs: must be at least 1"),
        (("backprop", "--steps", "0"), "--steps: must be at least 1"),
        (("lr-decay", "--lr", "0"), "--lr: must be positive"),
        (("regularization", "--data", "no/such.csv"), "no such file"),
        (("regularization", "--l2", "-1"), "--l2: must be 0 or more"),
        (("regularization", "--features", "x1"), "--features needs two column names"),
        (("regularization", "--safe"), "unrecognized arguments: --safe"),  # SGD divides by nothing
    ],
)
def test_bad_options_are_one_line_exit_2(cli, tmp_path, args, message):
    r = cli(*args, "--out", tmp_path / "out")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("tfnote") and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_lr_decay_cli_prints_each_step_and_writes_files(cli, tmp_path):
    out = tmp_path / "decay"
    r = cli("lr-decay", "--out", out)
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.startswith("After ")]
    assert len(lines) == 40
    assert lines[0] == "After 0 epoch,w is 2.600000,loss is 36.000000,lr is 0.200000"
    assert (out / "steps.csv").read_text().startswith("step,lr,w,loss\n0,0.2")
    assert (out / "descent.png").stat().st_size > 10_000


def test_library_functions_write_their_files(shared_data, tmp_path, monkeypatch):
    """What each command writes, a notebook gets from one call of the library."""
    from tfnote.scratch.activations import run_activations
    from tfnote.scratch.backprop import run_descent
    from tfnote.scratch.compare import run_comparison
    from tfnote.scratch.iris import run_iris
    from tfnote.scratch.losses import run_losses
    from tfnote.scratch.regularization import run_regularization

    descent = run_descent(decay=0.99, out=tmp_path / "descent")
    assert descent.w[-1] == pytest.approx(-1.0, abs=1e-4)
    assert len((tmp_path / "descent/steps.csv").read_text().splitlines()) == 41

    iris = run_iris("adam", epochs=20, out=tmp_path / "iris")
    metrics = json.loads((tmp_path / "iris/metrics.json").read_text())
    assert metrics["test_accuracy"] == pytest.approx(iris.test_accuracy[-1])
    assert (tmp_path / "iris/weights.txt").read_text().startswith("w1\n[[")
    assert len((tmp_path / "iris/history.csv").read_text().splitlines()) == 21

    rows = run_comparison(["sgd", "adam"], settings=[(0.1, 20)], out=tmp_path / "opt")
    assert [r["optimizer"] for r in rows] == ["sgd", "adam"]
    assert "| adam |" in (tmp_path / "opt/results.md").read_text()

    losses = run_losses(epochs=300, out=tmp_path / "losses")
    saved = json.loads((tmp_path / "losses/losses.json").read_text())
    assert [fit["epochs"] for fit in saved["sales_fits"]] == [300, 300, 300]
    assert len(losses.lines()) == 7

    peaks = run_activations(tmp_path / "act")
    assert peaks["sigmoid"] == pytest.approx(0.25, abs=1e-6)

    # dot.csv is found through $TFNOTE_DATA when the current folder has none
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TFNOTE_DATA", str(shared_data))
    fits = run_regularization(epochs=20, out=tmp_path / "reg")
    assert [f.l2 for f in fits] == [0.0, 0.03]
    assert json.loads((tmp_path / "reg/metrics.json").read_text())["data"].endswith("dot.csv")

    pngs = ["descent/descent.png", "iris/loss.png", "iris/accuracy.png", "act/activations.png"]
    pngs += ["opt/loss_lr0.1_epochs20.png", "opt/accuracy_lr0.1_epochs20.png"]
    for png in [*pngs, "reg/boundaries.png"]:
        assert (tmp_path / png).stat().st_size > 10_000, png


def test_no_dot_csv_names_the_places_tried(tmp_path, monkeypatch):
    from tfnote.scratch.regularization import run_regularization

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TFNOTE_DATA", str(tmp_path / "empty"))
    with pytest.raises(TfnoteError, match=r"dot.csv not found \(looked in: current folder"):
        run_regularization(out=tmp_path / "reg")
    assert not (tmp_path / "reg").exists()
