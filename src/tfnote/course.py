"""The whole course in one call: every program of classes 1-6, then one report page.

`run_course(out)` runs the programs in the course's order (the classes 1-2 functions of
tfnote.scratch, the class 3 presets, class 4's self-made dataset, augmentation, resume,
weights.txt, curves and "recognize your own image", class 5's six CNNs, class 6's letters
and stock presets) and writes `out`/report.html, organised by class with the course's own
section names, each result beside the course's published number (tfnote.course_results).

    >>> from tfnote.course import run_course
    >>> run_course("runs/course", scale="quick", data_dir="../shared/data").page

Scales: "full" is the course's own settings (hours on a CPU); "quick" trains fewer
epochs on slices of the big datasets (about 10 minutes on 2 cores), and the page marks
every such result as quick; "tiny" is for tests.

It is resumable: `out`/course.json records each program's settings and result, and a
second call reuses every program that finished with the same settings (a run folder that
finished with the same spec is not trained again) and redoes only what is missing, failed
or changed. A failing program is recorded with its error and the others go on.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tfnote import _tf, atomic, report, runs
from tfnote.course_results import OPTIMIZER_SECONDS, published
from tfnote.errors import TfnoteError
from tfnote.report import Markup, esc
from tfnote.run_folder import Run

CLASSES = {
    1: "Class 1 — the first neural network (raw TensorFlow)",
    2: "Class 2 — optimization",
    3: 'Class 3 — the Keras "six-step method"',
    4: "Class 4 — extending the six steps",
    5: "Class 5 — convolutional networks (CIFAR-10)",
    6: "Class 6 — recurrent networks",
}

# What "quick" and "tiny" change, per kind of program (spec fields; "full" changes nothing).
# Quick sizes were chosen on a loaded 2-core CPU so the whole course takes about 10 minutes.
SCALES: dict[str, dict[str, dict]] = {
    "full": {},
    "quick": {
        "iris": {"epochs": 100},
        "mlp": {"epochs": 2, "train_limit": 10000, "test_limit": 2000},
        "selfmade": {"epochs": 2},
        "cnn": {"epochs": 1, "train_limit": 2000, "test_limit": 500},
        "cnn-big": {"epochs": 1, "train_limit": 500, "test_limit": 200},
        "letters": {"epochs": 50},
        "stock": {"epochs": 2},
    },
    "tiny": {
        "iris": {"epochs": 5},
        "mlp": {"epochs": 1, "train_limit": 500, "test_limit": 200},
        "selfmade": {"epochs": 1, "train_limit": 500, "test_limit": 200},
        "cnn": {"epochs": 1, "train_limit": 200, "test_limit": 100},
        "cnn-big": {"epochs": 1, "train_limit": 100, "test_limit": 50},
        "letters": {"epochs": 3},
        "stock": {"epochs": 1, "train_limit": 300, "test_limit": 60},
    },
}
# The raw-TensorFlow programs are fast: quick keeps the course's settings, tiny cuts them.
SCRATCH_TINY = {"iris_epochs": 20, "loss_epochs": 200, "reg_epochs": 20, "opt": ((0.1, 10),)}


@dataclass
class Context:
    out: Path
    scale: str
    data_dir: str | None
    tensorboard: bool = False  # training programs also write TensorBoard's event files

    def spec(self, preset: str, kind: str, **changes):
        """Preset `preset` at this scale (its data is found through $TFNOTE_DATA, see
        run_course, so a dataset missing from --data-dir is still found where it lives)."""
        from tfnote.spec import get_preset

        return get_preset(preset).replace(**{**SCALES[self.scale].get(kind, {}), **changes})

    def folder(self, name: str) -> Path:
        return self.out / "runs" / name

    def data_path(self, name: str) -> Path | None:
        return Path(self.data_dir) / name if self.data_dir else None

    @property
    def tiny(self) -> bool:
        return self.scale == "tiny"


@dataclass
class Program:
    """One program of the course: its place in the course and how to run it."""

    id: str
    klass: int
    section: str  # the course's name for it
    files: str  # the course's program file(s), as learners know them
    title: str
    run: Callable[[Context], dict]  # -> outcome (see Outcome keys in _outcome)
    settings: Callable[[Context], dict]  # what must match for a result to be reused
    cost: float = 10.0  # seconds at quick scale on 2 cores (for the time estimate)


def _outcome(**kw) -> dict:
    """What a program leaves: figures [(path, caption)], numbers [(what, ours, course)],
    text, runs (run folders), quick (how it was scaled down), all paths relative to out."""
    return {"figures": [], "numbers": [], "text": "", "runs": [], "quick": None, **kw}


# --- training programs --------------------------------------------------------------------


def finished_with(folder: Path, spec) -> bool:
    """Whether `folder` holds a finished run of exactly `spec`."""
    try:
        old = Run(folder).spec
    except TfnoteError:
        return False
    same = old is not None and old.to_dict() == spec.to_dict()
    return same and runs.describe(folder).status == "finished"


def train(ctx: Context, spec, name: str) -> tuple[Path, bool]:
    """Train `spec` into out/runs/`name` unless it finished there already; (folder, trained)."""
    folder = ctx.folder(name)
    if finished_with(folder, spec):
        return folder, False
    from tfnote import train as training

    run = Run(folder)
    # another setting (a --quick run, then a full one): redo
    fresh = run.spec is not None and (not run.same_settings(spec) or spec.epochs < run.spec.epochs)
    try:
        training.run(spec, folder, quiet=True, fresh=fresh, tensorboard=ctx.tensorboard)
    finally:
        _tf.load()[1].backend.clear_session()  # free the model before the next program
    return folder, True


def train_program(preset: str, kind: str, **changes) -> Callable[[Context], dict]:
    def run(ctx: Context) -> dict:
        spec = ctx.spec(preset, kind, **changes)
        folder, trained = train(ctx, spec, preset)
        if spec.dataset.kind == "prices" and (trained or Run(folder).forecast is None):
            from tfnote import forecast

            forecast.report_run(folder)  # forecast.json/png: price units, beside naive ones
        if spec.dataset.kind == "letters":
            return _outcome(runs=[_rel(ctx, folder)], text=_letters_text(folder))
        return _outcome(runs=[_rel(ctx, folder)])

    return run


def spec_settings(preset: str, kind: str, **changes) -> Callable[[Context], dict]:
    return lambda ctx: ctx.spec(preset, kind, **changes).to_dict()


def _letters_text(folder: Path) -> str:
    """Every window of the alphabet and the letter the model expects next."""
    from tfnote.data import letters

    run = Run(folder)
    facts = run.info.letters
    if facts is None:
        raise TfnoteError(f"{folder} is not a letters run")
    alphabet, window = facts.alphabet, facts.window
    model = run.load_model()
    starts = range(len(alphabet) - window) if len(alphabet) > 5 else range(len(alphabet))
    lines = []
    for s in list(starts)[:8]:
        text = "".join(alphabet[(s + k) % len(alphabet)] for k in range(window))
        lines.append(f"{text} -> {letters.predict_next(model, facts, text)}")
    return "predictions (input -> next letter):\n" + "\n".join(lines)


def _rel(ctx: Context, path: Path) -> str:
    return Path(path).relative_to(ctx.out).as_posix()


# --- classes 1 and 2: the raw-TensorFlow programs -------------------------------------------


def _backprop(ctx: Context) -> dict:
    from tfnote.scratch.backprop import run_descent

    out = ctx.out / "scratch" / "backprop"
    result = run_descent(out=out)
    return _outcome(
        figures=[(_rel(ctx, out / "descent.png"), "w and loss per step, lr 0.2")],
        numbers=[("w after 40 steps", f"{result.w[-1]:.6f}", "w goes to -1")],
        text="\n".join(result.lines()[-3:]),
    )


def _lr_decay(ctx: Context) -> dict:
    from tfnote.scratch.backprop import run_descent

    out = ctx.out / "scratch" / "lr-decay"
    result = run_descent(decay=0.99, out=out)
    return _outcome(
        figures=[(_rel(ctx, out / "descent.png"), "lr = 0.2 * 0.99^(step/1)")],
        numbers=[("w after 40 steps", f"{result.w[-1]:.6f}", "")],
        text="\n".join(result.lines(show_lr=True)[-3:]),
    )


def _iris(ctx: Context) -> dict:
    from tfnote.scratch.iris import run_iris

    out = ctx.out / "scratch" / "iris-scratch"
    epochs = SCRATCH_TINY["iris_epochs"] if ctx.tiny else 500
    result = run_iris(epochs=epochs, out=out)
    course = published("iris-scratch")
    return _outcome(
        figures=[
            (_rel(ctx, out / "loss.png"), "training loss (Loss Function Curve)"),
            (_rel(ctx, out / "accuracy.png"), "test accuracy (Acc Curve)"),
        ],
        numbers=[("test accuracy", f"{result.test_accuracy[-1]:.4f}", course.text)],
        text="\n".join(result.lines()) + f"\ntotal time {result.seconds:.2f} s",
        quick="20 of 500 epochs" if ctx.tiny else None,
    )


def _activations(ctx: Context) -> dict:
    from tfnote.scratch.activations import run_activations

    out = ctx.out / "scratch" / "activations"
    peaks = run_activations(out)
    return _outcome(
        figures=[(_rel(ctx, out / "activations.png"), "activations and their derivatives")],
        numbers=[("max sigmoid'(x)", f"{peaks.get('sigmoid', float('nan')):.4f}", "0.25")],
        text="\n".join(f"max {k}'(x) = {v:.4f}" for k, v in peaks.items()),
    )


def _losses(ctx: Context) -> dict:
    from tfnote.scratch.losses import run_losses

    out = ctx.out / "scratch" / "losses"
    epochs = SCRATCH_TINY["loss_epochs"] if ctx.tiny else None
    result = run_losses(epochs=epochs, out=out)
    leans = {1: "w leans above 1 (profit > cost)", 2: "w leans below 1"}
    numbers = [
        (f"w fitted with {label}", f"[{fit.w[0]:.3f}, {fit.w[1]:.3f}]", leans.get(i, "about 1"))
        for i, (label, fit) in enumerate(zip(result.labels, result.fits))
    ]
    return _outcome(
        text="\n".join(result.lines()),
        numbers=numbers,
        quick="200 epochs instead of 15000/10000" if ctx.tiny else None,
    )


def _regularization(ctx: Context) -> dict:
    from tfnote.scratch.regularization import run_regularization

    out = ctx.out / "scratch" / "regularization"
    data = ctx.data_path("dot.csv")
    epochs = SCRATCH_TINY["reg_epochs"] if ctx.tiny else 400
    fits = run_regularization(data if data and data.is_file() else None, epochs=epochs, out=out)
    return _outcome(
        figures=[(_rel(ctx, out / "boundaries.png"), "0.5 contour without and with L2")],
        numbers=[(f"final loss, l2 {f.l2:g}", f"{f.loss[-1]:.4f}", "") for f in fits],
        quick="20 of 400 epochs" if ctx.tiny else None,
    )


def _optimizers(ctx: Context) -> dict:
    from tfnote.scratch.compare import COURSE_SETTINGS, markdown_table, run_comparison

    out = ctx.out / "scratch" / "optimizers"
    settings = SCRATCH_TINY["opt"] if ctx.tiny else COURSE_SETTINGS
    rows = run_comparison("all", settings, out=out)
    figs = []
    for lr, epochs in settings:
        for what in ("loss", "accuracy"):
            path = out / f"{what}_lr{lr:g}_epochs{epochs}.png"
            matches = [path] if path.is_file() else sorted(out.glob(f"{what}_*{epochs}*.png"))
            figs += [(_rel(ctx, p), f"{what}, lr {lr:g}, {epochs} epochs") for p in matches[:1]]
    seconds = [r.get("seconds") for r in rows if isinstance(r.get("seconds"), int | float)]
    low, high = OPTIMIZER_SECONDS
    numbers = []
    if seconds:
        numbers.append(
            (
                "seconds per optimizer",
                f"{min(seconds):.1f}-{max(seconds):.1f} s",
                f"{low}-{high} s (learners' machines, lr 0.1, 500 epochs)",
            )  # fmt: skip
        )
    return _outcome(
        figures=figs,
        numbers=numbers,
        text=markdown_table(rows),
        quick="one setting of 10 epochs" if ctx.tiny else None,
    )


def show_program(dataset: str) -> Callable[[Context], dict]:
    def run(ctx: Context) -> dict:
        from tfnote.show import show_dataset

        path = ctx.out / "datasets" / f"{dataset}-samples.png"
        path, about = show_dataset(dataset, None, path, count=20)
        return _outcome(figures=[(_rel(ctx, path), about)])

    return run


# --- class 4: extending the six steps ---------------------------------------------------------


def _image_label(ctx: Context) -> str:
    path = ctx.data_path("mnist_image_label")
    if path is None or not path.is_dir():
        raise TfnoteError(
            "class 4's self-made dataset needs the course's mnist_image_label folder in"
            " --data-dir (e.g. ../shared/data)"
        )
    return f"image-label:{path}"


def _selfmade_spec(ctx: Context):
    return ctx.spec(
        "mnist", "selfmade", dataset=_image_label(ctx), title="MNIST, self-made dataset"
    )


def _selfmade(ctx: Context) -> dict:
    folder, _ = train(ctx, _selfmade_spec(ctx), "mnist-selfmade")
    return _outcome(runs=[_rel(ctx, folder)], text="images + label file -> arrays, cached as .npz")


def _augment_preview(ctx: Context) -> dict:
    import numpy as np

    from tfnote import augment
    from tfnote.data import load_dataset

    data = load_dataset("mnist")
    picks = np.random.default_rng(0).choice(len(data.x_train), size=4, replace=False)
    path = ctx.out / "augment" / "augment-mnist.png"
    augment.preview(data.x_train[np.sort(picks)], "mnist", path, copies=5, seed=0)
    settings = augment.PRESETS["mnist"]
    return _outcome(
        figures=[(_rel(ctx, path), "original, then five augmented copies")],
        text=", ".join(f"{k} {v}" for k, v in settings.items()),
    )


def _augment_train(ctx: Context) -> dict:
    spec = ctx.spec("mnist", "mlp", augment="mnist", title="MNIST MLP with augmentation")
    folder, _ = train(ctx, spec, "mnist-augment")
    return _outcome(runs=[_rel(ctx, folder)])


def _resume_spec(ctx: Context):
    spec = ctx.spec("mnist", "mlp", title="MNIST MLP, stopped after one epoch and resumed")
    return spec.replace(epochs=max(2, spec.epochs))  # one epoch, then the rest


def _resume(ctx: Context) -> dict:
    spec = _resume_spec(ctx)
    folder = ctx.folder("mnist-resume")
    lines = []
    if not finished_with(folder, spec):
        first = spec.replace(epochs=max(1, spec.epochs - 1))
        if not finished_with(folder, first):
            train(ctx, first, "mnist-resume")
        lines.append(f"trained {first.epochs} epoch(s), then stopped (as if interrupted)")
        state = Run(folder).state
        lines.append(f"state.json: epoch {state.epoch}, checkpoint {state.checkpoint}")
        train(ctx, spec, "mnist-resume")
        lines.append(f"called again with epochs={spec.epochs}: continued after that epoch")
    history = Run(folder).history
    lines.append("epochs in the history: " + ", ".join(str(r["epoch"]) for r in history))
    return _outcome(runs=[_rel(ctx, folder)], text="\n".join(lines))


def _weights_txt(ctx: Context) -> dict:
    folder = ctx.folder("mnist-resume")
    path = Run(folder).weights_txt_path
    if not path.is_file():
        raise TfnoteError(f"{path} is missing (the resume program did not finish)")
    with path.open(encoding="utf-8") as f:
        head = [next(f, "") for _ in range(6)]
    size = path.stat().st_size
    text = "".join(line[:160] + ("...\n" if len(line) > 160 else "") for line in head)
    return _outcome(text=f"{_rel(ctx, path)} ({size / 1e6:.1f} MB), first lines:\n{text}")


def _curves(ctx: Context) -> dict:
    folder = ctx.folder("mnist-resume")
    path = Run(folder).curves_path
    if not path.is_file():
        raise TfnoteError(f"{path} is missing (the resume program did not finish)")
    return _outcome(figures=[(_rel(ctx, path), "accuracy | loss, training and validation")])


def _predict(ctx: Context) -> dict:
    from tfnote import plots, predict

    folder = ctx.folder("mnist")
    digits = ctx.data_path("digits")
    photos = sorted(digits.glob("*.png")) if digits and digits.is_dir() else []
    if not photos:
        raise TfnoteError("no digit photos: put PNGs in a digits/ folder of --data-dir")
    if runs.describe(folder).status != "finished":
        raise TfnoteError(f"{folder} has not finished (class 3's MNIST program)")
    results = predict.predict(folder, photos)
    plt = plots.pyplot()
    fig, axes = plt.subplots(2, len(results), figsize=(1.2 * len(results), 2.9), squeeze=False)
    from PIL import Image

    right = 0
    for i, r in enumerate(results):
        truth = Path(r.path).stem
        right += str(r.name) == truth
        axes[0][i].imshow(Image.open(r.path).convert("L"), cmap="gray")
        axes[1][i].imshow(r.prepared.pixels.reshape(28, 28), cmap="gray")
        axes[1][i].set_title(f"{r.name} ({(r.probability or 0):.0%})", fontsize=8)
        for ax in (axes[0][i], axes[1][i]):
            ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("your photos (top), as the model sees them (bottom), with its answer")
    path = ctx.out / "predict" / "digits.png"
    plots.save(fig, path)
    lines = [f"{Path(r.path).name}: {r.name} ({(r.probability or 0):.1%})" for r in results]
    return _outcome(
        figures=[(_rel(ctx, path), "recognize your own image")],
        numbers=[("photos recognized (file name = digit)", f"{right} of {len(results)}", "")],
        text="\n".join(lines),
    )


# --- the programs, in the course's order --------------------------------------------------------


def _fixed(**settings) -> Callable[[Context], dict]:
    return lambda ctx: {**settings, "tiny": ctx.tiny}


def programs() -> list[Program]:
    P = Program
    cnn = [
        ("baseline", "p27_cifar10_baseline", "Baseline (CBAPD)", "cnn", 25),
        ("lenet5", "P31_cifar10_lenet5", "LeNet5", "cnn", 15),
        ("alexnet8", "p34_cifar10_alexnet8", "AlexNet8", "cnn-big", 30),
        ("vgg16", "p36_cifar10_vgg16", "VGG16", "cnn-big", 45),
        ("inception10", "p40_cifar10_inception10", "Inception10", "cnn-big", 40),
        ("resnet18", "p46_cifar10_resnet18", "ResNet18", "cnn-big", 70),
    ]
    letters = [
        ("letters-onehot-1", "p15_rnn_onehot_1pre1", "Letters, one-hot, 1 -> 1"),
        ("letters-onehot-4", "p21_rnn_onehot_4pre1", "Letters, one-hot, 4 -> 1"),
        ("letters-embedding-1", "p27_rnn_embedding_1pre1", "Letters, Embedding, 1 -> 1"),
        ("letters-embedding-4", "p32_rnn_embedding_4pre1", "Letters a-z, Embedding, 4 -> 1"),
    ]
    stocks = [
        ("stock-simplernn", "p38_rnn_stock", "Moutai, SimpleRNN"),
        ("stock-lstm", "p47_LSTM_stock", "Moutai, LSTM"),
        ("stock-gru", "p56_GRU_stock", "Moutai, GRU"),
    ]
    mnist = "mnist"
    return [
        P("backprop", 1, "Back-propagation", "p13_backpropagation",
          "w from 5 to -1 on loss (w+1)^2", _backprop, _fixed(), 3),
        P("iris-scratch", 1, "Iris classifier from scratch", "p45_iris",
          "w1[4,3], b1[3], softmax + MSE, lr 0.1, 500 epochs", _iris, _fixed(), 3),
        P("lr-decay", 2, "Learning-rate exponential decay", "p10_backpropagation_decaylr",
          "lr = 0.2 * 0.99^(epoch/1)", _lr_decay, _fixed(), 3),
        P("activations", 2, "Activation functions", "(slides)",
          "sigmoid, tanh, ReLU, Leaky ReLU and their derivatives", _activations, _fixed(), 3),
        P("losses", 2, "Loss functions", "p19_mse, p20_custom, p22_ce, p23_softmaxce",
          "MSE vs the cost-sensitive yogurt loss; cross entropy", _losses, _fixed(), 10),
        P("regularization", 2, "Regularization", "p29_regularizationfree / contain",
          "2-11-1 net on dot.csv without and with L2", _regularization,
          lambda ctx: {"data": str(ctx.data_path("dot.csv")), "tiny": ctx.tiny}, 4),
        P("optimizers", 2, "Optimizers", "p32_sgd, p34_sgdm, p36_adagrad, p38_rmsprop, p40_adam",
          "five hand-written optimizers on iris, two settings", _optimizers, _fixed(), 12),
        P("mnist-datasets", 3, "MNIST: look at the data", "p13_mnist_datasets",
          "the first training images with their labels", show_program("mnist"),
          lambda ctx: {"data_dir": ctx.data_dir}, 4),
        *[
            P(name, 3, section, files, "", train_program(name, kind),
              spec_settings(name, kind), cost)  # fmt: skip
            for name, section, files, kind, cost in [
                ("iris", "Iris, Sequential", "p8_iris_sequential", "iris", 14),
                ("iris-subclass", "Iris, Model subclass", "p11_iris_class", "iris", 14),
                ("mnist", "MNIST, Sequential", "p14_mnist_sequential", "mlp", 14),
                ("mnist-subclass", "MNIST, Model subclass", "p15_mnist_class", "mlp", 14),
                ("fashion", "Fashion-MNIST, Sequential", "p16_fashion_sequential", "mlp", 14),
                ("fashion-subclass", "Fashion-MNIST, Model subclass", "p16_fashion_class",
                 "mlp", 14),
            ]
        ],
        P("self-made-dataset", 4, "Self-made dataset", "p8_mnist_train_ex1",
          "image folder + label file (mnist_image_label), MNIST MLP", _selfmade,
          lambda ctx: _selfmade_spec(ctx).to_dict(), 25),
        P("augmentation-preview", 4, "Data augmentation: the samples",
          "p11_show_augmented_images", "rotation 45, shift 0.15, zoom 0.5",
          _augment_preview, lambda ctx: {"data_dir": ctx.data_dir}, 5),
        P("augmentation", 4, "Data augmentation: training", "p13_mnist_train_ex2",
          "MNIST MLP on augmented images", _augment_train,
          spec_settings(mnist, "mlp", augment="mnist", title="MNIST MLP with augmentation"), 16),
        P("resume", 4, "Resume training (checkpoint)", "p16_mnist_train_ex3",
          "train, stop, call again: it continues", _resume,
          lambda ctx: _resume_spec(ctx).to_dict(), 16),
        P("weights-txt", 4, "Parameter extraction", "p19_mnist_train_ex4",
          "weights.txt: every trainable variable", _weights_txt,
          lambda ctx: _resume_spec(ctx).to_dict(), 1),
        P("curves", 4, "Acc/loss visualization", "p23_mnist_train_ex5",
          "accuracy and loss, training and validation", _curves,
          lambda ctx: _resume_spec(ctx).to_dict(), 1),
        P("recognize-your-image", 4, "Recognize your own image", "p27_mnist_app",
          "the digit photos through class 3's MNIST model", _predict,
          lambda ctx: {"model": ctx.spec(mnist, "mlp").to_dict()}, 6),
        P("cifar10-datasets", 5, "CIFAR-10: look at the data", "p24_cifar10_datasets",
          "the first training images with their class names", show_program("cifar10"),
          lambda ctx: {"data_dir": ctx.data_dir}, 5),
        *[
            P(f"cifar10-{m}", 5, section, files, "", train_program(f"cifar10-{m}", kind),
              spec_settings(f"cifar10-{m}", kind), cost)  # fmt: skip
            for m, files, section, kind, cost in cnn
        ],
        *[
            P(name, 6, section, files, "", train_program(name, "letters"),
              spec_settings(name, "letters"), 15)  # fmt: skip
            for name, files, section in letters
        ],
        *[
            P(name, 6, section, files, "", train_program(name, "stock"),
              spec_settings(name, "stock"), 30)  # fmt: skip
            for name, files, section in stocks
        ],
    ]  # fmt: skip


def select(all_programs: list[Program], only: str | None) -> list[Program]:
    """The programs `only` names (class numbers and/or ids, comma-separated); all if None."""
    if not only:
        return all_programs
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    ids = {p.id for p in all_programs}
    unknown = sorted(w for w in wanted if w not in ids and w not in {"1", "2", "3", "4", "5", "6"})
    if unknown:
        raise TfnoteError(f"--only: no program {unknown[0]!r}; `tfnote course --list` names them")
    return [p for p in all_programs if p.id in wanted or str(p.klass) in wanted]


# --- running ---------------------------------------------------------------------------------


@dataclass
class CourseResult:
    page: Path
    entries: dict = field(default_factory=dict)  # program id -> manifest entry
    seconds: float = 0.0

    @property
    def failed(self) -> list[str]:
        return [k for k, e in self.entries.items() if e.get("status") == "failed"]


MANIFEST = "course.json"


def _key(program: Program, ctx: Context) -> str:
    try:
        settings = program.settings(ctx)
    except TfnoteError as e:  # the program itself will fail with this and say so
        settings = {"unavailable": str(e)}
    settings = {"scale": ctx.scale, "data": ctx.data_dir, **settings}
    return json.dumps(settings, sort_keys=True, default=str)


def _reusable(entry: dict | None, key: str, ctx: Context) -> bool:
    if not entry or entry.get("status") != "ok" or entry.get("key") != key:
        return False
    outcome = entry.get("outcome", {})
    if not all((ctx.out / p).is_file() for p, _ in outcome.get("figures", [])):
        return False
    return all(runs.describe(ctx.out / r).status == "finished" for r in outcome.get("runs", []))


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TfnoteError(f"{path}: cannot read ({e})") from None
    return manifest if isinstance(manifest, dict) else {}


def run_course(
    out: str | Path = "runs/course",
    scale: str = "quick",
    data_dir: str | None = None,
    only: str | None = None,
    echo: Callable[[str], None] | None = None,
    tensorboard: bool = False,
) -> CourseResult:
    """Run the course's programs into `out`, reusing finished ones; write out/report.html."""
    if scale not in ("full", "quick", "tiny"):
        raise TfnoteError(f"unknown scale {scale!r}; use full, quick or tiny")
    echo = echo or (lambda line: print(line, flush=True))
    # Without --data-dir, the course's own files (mnist_image_label, digits) are looked for
    # in $TFNOTE_DATA, as the datasets are.
    data_dir = data_dir or os.environ.get("TFNOTE_DATA") or None
    data_dir = str(Path(data_dir).expanduser().resolve()) if data_dir else None
    ctx = Context(Path(out), scale, data_dir, tensorboard)
    chosen = select(programs(), only)
    ctx.out.mkdir(parents=True, exist_ok=True)
    manifest_path = ctx.out / MANIFEST
    manifest = _read_manifest(manifest_path) if manifest_path.is_file() else {}
    entries: dict = manifest.get("programs", {}) if manifest.get("scale") == scale else {}
    started = time.monotonic()
    with _data_folder(ctx.data_dir):
        _run_programs(chosen, ctx, entries, manifest_path, echo)
    total = time.monotonic() - started
    page_path = ctx.out / "report.html"
    shown = {p.id: entries[p.id] for p in chosen if p.id in entries}
    atomic.write_text(page_path, course_page(chosen, shown, ctx, total))
    echo(f"done in {_clock(total)}; {len(shown) - _failed(shown)} of {len(chosen)} programs ok")
    return CourseResult(page_path, shown, total)


@contextlib.contextmanager
def _data_folder(data_dir: str | None):
    """Datasets are searched in `data_dir` first ($TFNOTE_DATA), then where they live
    (the Keras cache, Debian's package folder), as `tfnote train` without --data-dir does."""
    old = os.environ.get("TFNOTE_DATA")
    if data_dir:
        os.environ["TFNOTE_DATA"] = data_dir
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TFNOTE_DATA", None)
        else:
            os.environ["TFNOTE_DATA"] = old


def _run_programs(chosen, ctx: Context, entries: dict, manifest_path: Path, echo) -> None:
    """Run (or reuse) each program, saving the manifest after each; progress via `echo`."""
    started = time.monotonic()
    spent = cost_done = 0.0  # seconds and expected seconds of the programs that ran
    tf_loaded = False
    for k, program in enumerate(chosen, 1):
        key = _key(program, ctx)
        entry = entries.get(program.id)
        left = sum(p.cost for p in chosen[k - 1 :]) * (spent / cost_done if cost_done else 1.0)
        where = f"[{k}/{len(chosen)}] class {program.klass} {program.id}"
        elapsed = time.monotonic() - started
        if _reusable(entry, key, ctx):
            entry["reused"] = True
            echo(f"{where}: reused (finished earlier)   {_clock(elapsed)} so far")
            continue
        echo(f"{where}: running   {_clock(elapsed)} so far, about {_clock(left)} left")
        if not tf_loaded:  # once, and not counted in any program's time
            t0 = time.monotonic()
            _tf.load()
            tf_loaded = True
            echo(f"    (TensorFlow loaded in {time.monotonic() - t0:.1f} s)")
        t0 = time.monotonic()
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # train.run's own result lines
                outcome = program.run(ctx)
            entry = {"status": "ok", "outcome": outcome}
        except KeyboardInterrupt:
            _save(manifest_path, ctx.scale, entries)
            raise
        except Exception as e:  # noqa: BLE001 - one failing program must not stop the others
            entry = {"status": "failed", "error": _error_text(e), "outcome": _outcome()}
        seconds = time.monotonic() - t0
        entry.update(key=key, seconds=round(seconds, 2), reused=False)
        entries[program.id] = entry
        spent, cost_done = spent + seconds, cost_done + program.cost
        status = "ok" if entry["status"] == "ok" else f"FAILED: {entry['error'].splitlines()[0]}"
        echo(f"    {status} ({seconds:.1f} s)")
        _save(manifest_path, ctx.scale, entries)


def _failed(entries: dict) -> int:
    return sum(e.get("status") == "failed" for e in entries.values())


def _save(path: Path, scale: str, entries: dict) -> None:
    atomic.write_json(path, {"scale": scale, "programs": entries})


def _error_text(e: Exception) -> str:
    if isinstance(e, TfnoteError):
        return str(e)
    tb = traceback.format_exception(type(e), e, e.__traceback__)
    return f"{type(e).__name__}: {e}\n" + "".join(tb[-3:])


# --- the page --------------------------------------------------------------------------------

SCALE_TEXT = {
    "full": "the course's own settings",
    "quick": "QUICK: scaled down (fewer epochs, slices of MNIST, Fashion-MNIST and CIFAR-10)",
    "tiny": "TINY: a test-sized course",
}


def _program_numbers(program: Program, entry: dict, ctx: Context) -> list[tuple]:
    """(what, ours, the course's) for the summary table and the program's card."""
    numbers = [tuple(n) for n in entry.get("outcome", {}).get("numbers", [])]
    for r in entry.get("outcome", {}).get("runs", []):
        row = runs.describe(ctx.out / r, r)
        ours, course = report.ours_vs_course(row)
        numbers.append(("score", ours, course))
    return numbers


def _labelled(number: tuple) -> str:
    what, ours = number[0], number[1]
    return str(ours) if what == "score" else f"{what}: {ours}"


def _quick_note(entry: dict, ctx: Context) -> str | None:
    outcome = entry.get("outcome", {})
    notes = [outcome.get("quick")] if outcome.get("quick") else []
    for r in outcome.get("runs", []):
        note = runs.describe(ctx.out / r).scaled_down
        if note:
            notes.append(note)
    return "; ".join(notes) or None


def _card(program: Program, entry: dict | None, ctx: Context) -> str:
    anchor = f"program-{program.id}"
    head = f'<h3 id="{anchor}">{esc(program.section)}'
    if entry is None:
        return f'<div class="card">{head}{report.badge("not run", "skipped")}</h3></div>'
    status = "reused" if entry.get("reused") else entry["status"]
    head += report.badge(status, status) + report.quick_badge(_quick_note(entry, ctx)) + "</h3>"
    what = f" &middot; {esc(program.title)}" if program.title else ""
    head += f'<p class="sub">the course\'s {esc(program.files)}{what}'
    head += f" &middot; {entry.get('seconds', 0):.1f} s</p>"
    parts = [head]
    if entry["status"] == "failed":
        parts.append(f'<div class="error">{esc(entry.get("error"))}</div>')
    outcome = entry.get("outcome", {})
    numbers = [tuple(n) for n in outcome.get("numbers", [])]
    if numbers:
        parts.append(table_numbers(numbers))
    parts.append(report.figures([(ctx.out / p, c) for p, c in outcome.get("figures", [])]))
    if outcome.get("text"):
        parts.append(f"<pre>{esc(outcome['text'])}</pre>")
    for r in outcome.get("runs", []):
        parts.append(report.run_section(runs.describe(ctx.out / r, r), heading="h4"))
    return '<div class="card">' + "".join(parts) + "</div>"


def table_numbers(numbers: list[tuple]) -> str:
    return report.table(["", "ours", "the course's"], [list(n) for n in numbers], cls="beside")


def course_page(chosen: list[Program], entries: dict, ctx: Context, seconds: float) -> str:
    ok = sum(e.get("status") == "ok" for e in entries.values())
    failed = _failed(entries)
    figures = 0
    summary = []
    for program in chosen:
        entry = entries.get(program.id)
        if entry is None:
            summary.append([program.klass, program.section, "", "not run", "", "", ""])
            continue
        numbers = _program_numbers(program, entry, ctx)
        ours = "; ".join(_labelled(n) for n in numbers if n[1])
        course = "; ".join(str(n[2]) for n in numbers if n[2])
        status = "reused" if entry.get("reused") else entry["status"]
        quick = _quick_note(entry, ctx)
        link = Markup(f'<a href="#program-{esc(program.id)}">{esc(program.section)}</a>')
        summary.append(
            [
                program.klass,
                link,
                program.files,
                Markup(
                    report.badge(status, status) + (report.badge("quick", "quick") if quick else "")
                ),
                ours if entry["status"] == "ok" else entry.get("error", "").splitlines()[0],
                course,
                f"{entry.get('seconds', 0):.1f} s",
            ]  # fmt: skip
        )
    body = []
    if ctx.scale != "full":
        body.append(
            f'<p class="banner"><b>{esc(SCALE_TEXT[ctx.scale])}</b>. Every result marked'
            " <i>quick</i> was trained on fewer epochs or a slice of the data, so it is"
            " lower than the course's numbers beside it; <code>tfnote course</code> without"
            " --quick uses the course's own settings (hours on a CPU).</p>"
        )
    body.append(
        f"<p>{ok} of {len(chosen)} programs ok"
        + (f", <b>{failed} failed</b>" if failed else "")
        + f"; this call took {_clock(seconds)} (min:s), the programs"
        + f" {_clock(sum(e.get('seconds', 0) for e in entries.values()))} in all"
        + " (reused ones when they ran).</p>"
    )
    body.append("<h2>At a glance</h2>")
    body.append(
        report.table(
            ["class", "program", "the course's file", "status", "ours", "the course's", "time"],
            summary,
            numeric={6},
        )
    )
    for klass, name in CLASSES.items():
        members = [p for p in chosen if p.klass == klass]
        if not members:
            continue
        body.append(f'<h2 id="class-{klass}">{esc(name)}</h2>')
        for program in members:
            card = _card(program, entries.get(program.id), ctx)
            figures += card.count("<img ")
            body.append(card)
    title = "AI Practice: TensorFlow Notes — the whole course"
    subtitle = f"{SCALE_TEXT[ctx.scale]} · {figures} figures · data: {ctx.data_dir or 'default'}"
    return report.page(title, "".join(body), subtitle)
