"""What a learner sees: summary.txt, `tfnote presets`, `--help` defaults, `tfnote show`, figures."""

from __future__ import annotations

import numpy as np
import pytest

from tfnote import plots
from tfnote.cli import main


@pytest.fixture
def figures(monkeypatch):
    """Figures passed to plots.save, kept open for inspection (and still written)."""
    kept = []
    save = plots.save

    def keep(fig, path):
        kept.append(fig)
        fig.savefig(path)
        return path

    monkeypatch.setattr(plots, "save", keep)
    yield kept
    for fig in kept:
        plots.pyplot().close(fig)
    monkeypatch.setattr(plots, "save", save)


def texts(fig) -> str:
    """Every title, suptitle, label and legend entry of a figure, one per line."""
    out = [fig._suptitle.get_text()] if fig._suptitle else []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels()]
        if ax.get_legend():
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    return "\n".join(out)


@pytest.mark.parametrize("columns", [None, "40"])
def test_summary_keeps_the_param_column_in_a_narrow_terminal(monkeypatch, columns):
    from tfnote.artifacts import summary_text
    from tfnote.models import build_model

    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    text = summary_text(build_model("mlp", (28, 28, 1), 10))
    assert "Param #" in text
    assert "100,480" in text  # Dense(128): (784 + 1) * 128
    assert "1,290" in text  # Dense(10): (128 + 1) * 10
    assert "101,770" in text
    import os

    assert os.environ.get("COLUMNS") == columns  # put back as it was


def test_summary_total_is_the_models_own_after_training():
    from tfnote.artifacts import summary_text
    from tfnote.models import build_model

    model = build_model("mlp", (28, 28, 1), 10)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)  # as after fit: Adam's m and v exist
    text = summary_text(model)
    assert " Total params: 101,770 (with the optimizer's state: 305,312" in text


def test_presets_show_the_course_class_and_program(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["name", "course", "(class,"]
    for word in ("dataset", "model", "epochs", "batch"):
        assert word in lines[0]
    mnist = next(line for line in lines if line.startswith("mnist "))
    assert "class 3, p14" in mnist and " mlp " in mnist and mnist.split()[-2:] == ["5", "32"]
    # aligned: every row's dataset column starts where the header's does
    start = lines[0].index("dataset")
    table = lines[1 : lines.index("")]
    assert all(line[start - 2 : start] == "  " and line[start] != " " for line in table)
    for command in ("backprop", "lr-decay", "iris-scratch", "optimizers", "losses"):
        assert command in out


@pytest.mark.parametrize(
    "command, shown",
    [
        (["backprop"], "(default: 40)"),
        (["optimizers"], "(default: 32)"),
        (["show"], "(default: 20)"),
        (["augment-preview"], "(default: 0)"),
        (["params"], "(default: last"),
    ],
)
def test_help_shows_defaults(capsys, command, shown):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    assert shown in capsys.readouterr().out


@pytest.mark.parametrize("dataset", ["mnist", "image-label:{data}/mnist_image_label"])
def test_show_writes_a_grid_with_labels(shared_data, tmp_path, figures, dataset):
    from tfnote.show import show_dataset

    name = dataset.format(data=shared_data)
    path, about = show_dataset(name, data_dir=None if ":" in name else shared_data,
                               out=tmp_path / "s.png", count=12)  # fmt: skip
    assert path.stat().st_size > 5_000
    assert "train" in about and "10 classes" in about
    drawn = texts(figures[0])
    assert "first 12 train images" in drawn
    titles = [ax.get_title() for ax in figures[0].axes if ax.get_title()]
    assert len(titles) == 12 and all(t in "0123456789" for t in titles)  # digits: no names
    if name == "mnist":
        assert titles[0] == "5"  # MNIST's first training image is a 5


def test_show_names_fashion_classes_and_refuses_non_images(tmp_path, figures):
    from tfnote.errors import TfnoteError
    from tfnote.show import show_dataset

    show_dataset("fashion", out=tmp_path / "f.png", count=3)
    titles = [ax.get_title() for ax in figures[0].axes]
    assert titles[0] == "9: Ankle boot"
    with pytest.raises(TfnoteError, match="not an image dataset"):
        show_dataset("iris", out=tmp_path / "i.png")


HISTORY = [
    {"epoch": e, "loss": 1 / e, "val_loss": 1 / e + 0.1, "acc": 1 - 1 / e, "val_acc": 0.9}
    for e in range(1, 6)
]


def test_curves_name_the_test_set_and_mark_the_best_epoch(tmp_path, figures):
    from tfnote.artifacts import plot_curves

    plot_curves(HISTORY, tmp_path / "c.png", "a title", validation_label="test", best_epoch=3)
    drawn = texts(figures[0])
    assert "test loss" in drawn and "test accuracy" in drawn and "validation" not in drawn
    assert "best epoch 3 (weights used by predict)" in drawn
    assert (tmp_path / "c.png").stat().st_size > 10_000


def test_single_panel_curves_wrap_a_long_title(tmp_path, figures):
    from tfnote.artifacts import plot_curves

    title = "Moutai open, GRU(80) GRU(100) on OHLC relative to today's close, predicting it"
    history = [{k: v for k, v in row.items() if "acc" not in k} for row in HISTORY]
    plot_curves(history, tmp_path / "c.png", title)
    fig = figures[0]
    assert len(fig.axes) == 1 and "validation loss" in texts(fig)
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.x1  # inside the figure, not cut off


def test_losses_figure_shows_the_weights_of_each_loss(tmp_path, figures):
    from tfnote.scratch.losses import run_losses

    result = run_losses(epochs=200, out=tmp_path)
    assert (tmp_path / "weights.png").stat().st_size > 10_000
    ax = figures[-1].axes[0]
    bars = [p.get_height() for p in ax.patches]
    assert len(bars) == 6
    assert np.allclose(sorted(bars), sorted(np.concatenate([f.w for f in result.fits])))
    assert "MSE" in texts(figures[-1])


def test_backprop_figure_starts_at_w0_and_puts_each_loss_at_its_w(tmp_path, figures):
    from tfnote.scratch.backprop import run_descent

    result = run_descent(out=tmp_path)
    w, loss = result.path()
    assert w[0] == 5.0 and loss[0] == 36.0 and len(w) == 41
    assert np.allclose(loss[:-1], result.loss)  # loss before step k = loss at w after k steps
    line = figures[0].axes[0].get_lines()[0]
    assert line.get_xdata()[0] == 0 and line.get_ydata()[0] == 5.0


def test_optimizer_losses_on_a_log_axis_accuracies_one_panel_each(tmp_path, figures):
    from tfnote.scratch.compare import run_comparison

    run_comparison("all", ((0.1, 30),), out=tmp_path)
    loss_fig, accuracy_fig = figures
    assert loss_fig.axes[0].get_yscale() == "log"
    assert len(accuracy_fig.axes) == 5
    legend = [t.get_text() for t in loss_fig.axes[0].get_legend().get_texts()]
    assert legend == ["sgd", "sgdm", "adagrad", "rmsprop", "adam"]


def test_regularization_titles_compare_mse_without_the_l2_term(shared_data, tmp_path, figures):
    from tfnote.scratch.regularization import run_regularization

    fits = run_regularization(shared_data / "dot.csv", epochs=20, out=tmp_path)
    plain, l2 = fits
    assert plain.penalty() == 0
    w1, _, w2, _ = l2.weights
    assert l2.penalty() == pytest.approx(0.03 * (np.sum(w1**2) + np.sum(w2**2)) / 2, rel=1e-5)
    titles = [ax.get_title() for ax in figures[0].axes]
    assert titles[0].startswith("without regularization\nMSE ")
    assert "+ L2 term" in titles[1]


def test_augment_preview_states_settings_and_classes(tmp_path, figures):
    from tfnote import augment

    images = np.zeros((2, 28, 28, 1), "uint8")
    augment.preview(images, "fashion", tmp_path / "a.png", copies=2, labels=[9, 0],
                    class_names=["T-shirt/top"] + ["x"] * 8 + ["Ankle boot"])  # fmt: skip
    drawn = texts(figures[0])
    assert "rotation up to ±45°" in drawn and "horizontal flip" in drawn
    labels = [ax.get_ylabel() for ax in figures[0].axes]
    assert "9: Ankle boot" in labels and "0: T-shirt/top" in labels
