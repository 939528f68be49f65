"""The course notebooks: in sync with their sources, no outputs, bilingual, glossary terms.

Executing them is a separate step of `make test` (tests/notebooks/run_notebooks.py).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tfnote import notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CJK = re.compile(r"[\u4e00-\u9fff]")


def load_build():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build():
    return load_build()


def committed() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_every_notebook_is_what_its_source_makes(build):
    sources = build.sources()
    assert len(sources) == 7  # class 1 ... 6, and your own data and model
    assert [build.target(s) for s in sources] == committed()  # no notebook without a source
    assert build.stale() == []  # else: make notebooks


def test_the_check_notices_an_edited_source(build, tmp_path, monkeypatch):
    source = build.sources()[0]
    copy = tmp_path / "src" / source.name
    copy.parent.mkdir()
    copy.write_text(source.read_text() + "\n# %%\nprint('a new cell')\n")
    monkeypatch.setattr(build, "SOURCES", copy.parent)
    monkeypatch.setattr(build, "HERE", NOTEBOOKS)
    assert build.stale() == [f"{source.stem}.ipynb"]


@pytest.mark.parametrize("path", committed(), ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs_and_starts_with_the_install_cell(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert code[0].source == notebook.install_cell()
    assert notebook.REPO_URL in code[0].source


@pytest.mark.parametrize("path", committed(), ids=lambda p: p.stem)
def test_every_heading_is_in_chinese_and_english(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        headings = " ".join(line for line in cell.source.splitlines() if line.startswith("#"))
        if headings:
            assert CJK.search(headings) and re.search(r"[A-Za-z]{3}", headings), headings
        elif not cell.source.startswith("**Run it"):  # text cells: a key sentence in both
            assert CJK.search(cell.source) and re.search(r"[A-Za-z]{3} [a-z]{3}", cell.source)


def test_quick_setting_reads_tfnote_quick(monkeypatch):
    monkeypatch.delenv("TFNOTE_QUICK", raising=False)
    assert not notebook.quick()
    for value, expected in [("1", True), ("yes", True), ("0", False), ("", False)]:
        monkeypatch.setenv("TFNOTE_QUICK", value)
        assert notebook.quick() is expected
    sources = "".join(p.read_text() for p in (NOTEBOOKS / "src").glob("*.py"))
    assert sources.count("QUICK = quick()") == 7  # one switch, the same name everywhere


def test_install_cell_does_nothing_where_tfnote_is_installed(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    exec(notebook.install_cell(), {})  # the notebooks' first cell, run here
    assert calls == []


def test_install_cell_installs_from_a_local_folder_offline(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tfnote" else real_find_spec(name, *a),
    )
    ran = []

    def dry_run(command, check):
        # pip resolves the local project for real, without network and without installing.
        offline = ["--dry-run", "--no-deps", "--no-index", "--no-build-isolation"]
        ran.append(
            subprocess.run([*command, *offline], check=check, capture_output=True, cwd=ROOT.parent)
        )

    command = notebook.ensure_installed(str(ROOT), run=dry_run)
    assert command == [sys.executable, "-m", "pip", "install", "--quiet", str(ROOT)]
    assert ran[0].returncode == 0


def glossary() -> list[tuple[str, str, list[str]]]:
    """(Chinese, English, rejected variants) per row of docs/glossary.md's table."""
    rows = []
    for line in (ROOT / "docs" / "glossary.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and CJK.search(cells[0]) and cells[0] != "中文":
            variants = [] if cells[2] == "–" else cells[2].split("、")
            rows.append((cells[0], cells[1], variants))
    return rows


def test_glossary_has_the_course_terms_and_no_term_is_also_rejected():
    terms = {zh: en for zh, en, _ in glossary()}
    for zh, en in [("张量", "tensor"), ("梯度", "gradient"), ("学习率", "learning rate"),
                   ("正则化", "regularization"), ("过拟合", "overfitting"), ("卷积", "convolution"),
                   ("池化", "pooling"), ("循环神经网络", "RNN"), ("断点续训", "resume"),
                   ("参数提取", "parameter extraction"), ("迭代周期", "epoch")]:  # fmt: skip
        assert en in terms[zh]
    rejected = {v for _, _, variants in glossary() for v in variants}
    assert "轮次" in rejected and not rejected & set(terms)


def test_notebooks_and_chinese_readme_use_no_rejected_variant():
    texts = {p.name: p.read_text() for p in [*committed(), *(NOTEBOOKS / "src").glob("*.py")]}
    texts["README.zh-CN.md"] = (ROOT / "README.zh-CN.md").read_text()
    found = [
        f"{name}: {variant} (use {zh})"
        for zh, _, variants in glossary()
        for variant in variants
        for name, text in texts.items()
        if variant in text
    ]
    assert found == []


def test_tfnote_figures_leave_a_notebooks_inline_backend_alone():
    # tfnote draws its own figures on Agg; inside a kernel that must not switch the
    # notebook's backend, or no later figure of the notebook would show.
    code = (
        "import sys, types, matplotlib; sys.modules['ipykernel'] = types.ModuleType('ipykernel');"
        "matplotlib.use('module://matplotlib_inline.backend_inline');"
        "from tfnote import plots; plots.pyplot(); print(matplotlib.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "inline" in out.stdout
