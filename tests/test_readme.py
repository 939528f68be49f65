"""README.md's tour and "Train on your own pictures" run as written, and README.zh-CN.md
has the same sections and the same commands.

The tour is every ```bash block of README.md's "## A tour" section (its sub-sections
included). Each line is run in order, in a fresh folder, in this process (importing
TensorFlow once instead of for each of some 25 commands):

- `tfnote ...` lines: `$VARIABLES` and `*` globs expanded as a shell would, then run through
  `tfnote.cli.main`; the exit code must be 0. The rewrite rule that keeps the test short:
  the flags in SHORT[command] are appended (argparse keeps the last value of a flag), so
  every `tfnote train` runs 1 epoch on 2,000 training and 1,000 test images, and
  `tfnote resume` goes on to epoch 2.
- `. .venv/bin/activate` is skipped (the test calls tfnote directly).
- `export TFNOTE_DATA=...` sets TFNOTE_DATA to the shared test data (../shared/data or
  $TFNOTE_SHARED_DATA), which is where the tour's own value points in a checkout.
- anything else fails the test: the tour may only hold lines the test can run.

The whole tour is also run with TFNOTE_DATA set from the start (so MNIST and CIFAR-10 come
from the shared data, not a download), TFNOTE_OFFLINE=1, and a private Keras cache and
dataset cache. Fashion-MNIST comes from the apt package that `make run` installs.
About 2-3 minutes on 2 cores.

"Train on your own pictures" runs the same way on drawings that tests/drawings.py makes in
the folder the README names (my-pictures), with a held-out drawing as photo.jpg.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The rewrite rule: flags appended to each command (later flags win in argparse).
SHORT = {
    "train": ["--epochs", "1", "--limit-train", "2000", "--limit-test", "1000"],
    "resume": ["--epochs", "2"],
    "iris-scratch": ["--epochs", "50"],
    "optimizers": ["--lr", "0.1", "--epochs", "20"],
    "losses": ["--epochs", "300"],
    "regularization": ["--epochs", "20"],
}


def section(text: str, heading: str) -> str:
    """The text of `## heading` up to the next level-2 heading."""
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def bash_lines(text: str) -> list[str]:
    """The non-empty, non-comment lines of every ```bash block, comments removed."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                lines.append(" ".join(shlex.quote(w) for w in words))
    return lines


def tour_lines(readme: Path = ROOT / "README.md", heading: str = "A tour") -> list[str]:
    return bash_lines(section(readme.read_text(encoding="utf-8"), heading))


def tfnote_commands(lines: list[str]) -> list[str]:
    """The sub-command of each `tfnote` line: ["presets", "show", "train", ...]."""
    return [shlex.split(line)[1] for line in lines if line.startswith("tfnote ")]


def expand(line: str) -> list[str]:
    words = []
    for word in shlex.split(os.path.expandvars(line)):
        words += sorted(glob.glob(word)) or [word] if "*" in word else [word]
    return words


def test_the_tour_has_a_line_for_every_class():
    commands = tfnote_commands(tour_lines())
    for command in ("presets", "show", "train", "resume", "params", "curves", "backprop",
                    "iris-scratch", "optimizers", "losses", "regularization", "dataset",
                    "augment-preview", "predict", "models", "letters", "forecast"):  # fmt: skip
        assert command in commands, command


def test_the_tour_runs_as_written(tmp_path, monkeypatch, capsys, shared_data):
    from tfnote.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TFNOTE_DATA", str(shared_data))
    monkeypatch.setenv("TFNOTE_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFNOTE_CACHE_DIR", str(tmp_path / "cache"))
    outputs, times = {}, []
    for line in tour_lines():
        if line in (". .venv/bin/activate", "source .venv/bin/activate"):
            continue
        if line.startswith("export TFNOTE_DATA="):
            monkeypatch.setenv("TFNOTE_DATA", str(shared_data))
            continue
        assert line.startswith("tfnote "), f"the tour test cannot run this line: {line}"
        argv = expand(line)[1:]
        argv += SHORT.get(argv[0], [])
        start = time.perf_counter()
        code = main(argv)
        captured = capsys.readouterr()
        times.append((time.perf_counter() - start, line))
        assert code == 0, f"{line}\n{captured.out}\n{captured.err}"
        outputs[line] = captured.out
    with capsys.disabled():
        for seconds, line in sorted(times, reverse=True)[:5]:
            print(f"\n  {seconds:6.1f} s  {line}", end="")
    # What the tour promises a learner, checked on the short runs.
    presets = outputs["tfnote presets"]
    assert re.search(r"^mnist\s+class 3, p14\b", presets, re.M)
    assert "tfnote backprop" in presets
    for name in ("runs/mnist-samples.png", "runs/cifar10-samples.png", "selfmade.png"):
        assert (tmp_path / name).stat().st_size > 10_000, name
    assert (tmp_path / "runs/augment-fashion.png").stat().st_size > 10_000
    assert "100,480" in (tmp_path / "runs/mnist/summary.txt").read_text(encoding="utf-8")
    assert (tmp_path / "runs/f10/weights.txt").is_file()
    assert (tmp_path / "runs/losses/weights.png").is_file()
    predicted = [line for line in outputs.values() if "7.png:" in line]
    assert predicted, "predict printed nothing for the digit photos"


def headings(text: str) -> list[tuple[int, list[str]]]:
    """(level, the `code` in it) of every Markdown heading outside code blocks, in order."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    found = re.findall(r"^(#+) (.*)$", text, flags=re.M)
    return [(len(hashes), re.findall(r"`([^`]+)`", title)) for hashes, title in found]


def commands(text: str) -> list[str]:
    """Every command in the code blocks, in order: each line of a bash block and each code
    line of a python block (comments removed: they are in the README's language), and the
    `$ ` or `tfnote` lines of other blocks (a listing's other lines are prose)."""
    found = []
    for language, body in re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M):
        if language == "bash":
            found += bash_lines(f"```bash\n{body}```")
        elif language == "python":
            found += [c for line in body.splitlines() if (c := re.sub(r"\s*#.*", "", line))]
        else:
            found += [line for line in body.splitlines() if line.startswith(("$ ", "tfnote"))]
    return found


def test_zh_cn_readme_has_the_same_sections_and_commands():
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    chinese = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    assert "README.zh-CN.md" in english[:2000], "link near the top"
    assert "README.md" in chinese[:2000], "link back near the top"
    assert headings(chinese) == headings(english), "the sections differ (level, `code`)"
    assert len(headings(english)) >= 20
    ours, theirs = commands(chinese), commands(english)
    assert len(theirs) >= 60
    for n, (zh, en) in enumerate(zip(ours, theirs, strict=False)):
        assert zh == en, f"command {n + 1} differs:\n  en: {en}\n  zh: {zh}"
    assert len(ours) == len(theirs), "one README has more commands"
    terms = ("六步法", "断点续训", "参数提取", "acc/loss 可视化")  # the course's own words
    for term in (*terms, "给图识物", "数据增强", "自制数据集"):
        assert term in chinese, term


def test_own_pictures_section_runs(tmp_path, monkeypatch, capsys):
    from drawings import held_out_files, make_drawings
    from PIL import Image

    from tfnote.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFNOTE_CACHE_DIR", str(tmp_path / "cache"))
    make_drawings(tmp_path / "my-pictures", per_class=30, test_per_class=10, size=48)
    photo, _ = held_out_files(tmp_path / "my-pictures")[0]
    Image.open(photo).convert("RGB").save(tmp_path / "photo.jpg")  # a JPEG, as a camera gives
    lines = tour_lines(heading="Train on your own pictures")
    assert any("image-folder:my-pictures" in line for line in lines)
    outputs = {}
    for line in lines:
        if line.startswith("tfnote serve"):
            continue  # a server that runs until Ctrl-C: tests/test_serve.py drives it
        argv = expand(line)[1:]
        argv += SHORT.get(argv[0], [])
        code = main(argv)
        captured = capsys.readouterr()
        assert code == 0, f"{line}\n{captured.out}\n{captured.err}"
        outputs[argv[0]] = captured.out
    assert (tmp_path / "my-pictures.png").stat().st_size > 10_000
    metrics = json.loads((tmp_path / "runs/own-images/metrics.json").read_text(encoding="utf-8"))
    assert 0 <= metrics["accuracy"] <= 1
    assert "photo.jpg" in outputs["predict"]
    assert any(name in outputs["predict"] for name in ("circle", "cross", "square", "triangle"))
    assert "own-images" in (tmp_path / "own.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("readme", ["README.md", "README.zh-CN.md"])
def test_course_map_names_every_course_program(readme):
    text = (ROOT / readme).read_text(encoding="utf-8")
    for program in ("class3/p14_mnist_sequential.py", "class4/MNIST_FC/p16_mnist_train_ex3.py",
                    "class5/CIFAR10_CNN/p27_cifar10_baseline.py", "class6/p56_GRU_stock.py",
                    "class1/p45_iris.py", "class2/p40_adam.py"):  # fmt: skip
        assert program in text, program
