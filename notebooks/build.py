"""Make the course notebooks from their sources: notebooks/src/*.py -> notebooks/*.ipynb.

The sources are the one place to edit: jupytext "percent" scripts (`# %%` starts a code
cell, `# %% [markdown]` a text cell), each also runnable as plain Python. Every notebook
gets, after its title, the same two cells: how to open it, and the install cell of
tfnote.notebook (Colab installs tfnote from tfnote.notebook.REPO_URL; the venv skips it).
Notebooks are written without outputs, with fixed cell ids and metadata, so the same
sources always give the same files.

    python notebooks/build.py            # regenerate every notebook (make notebooks)
    python notebooks/build.py --check    # list notebooks that differ from their sources
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

from tfnote.notebook import install_cell

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"

OPEN_TEXT = """\
**Run it / 运行方式** — in the project's venv: `make setup`, then
`.venv/bin/pip install -e '.[notebooks]'` and `.venv/bin/jupyter lab notebooks/`;
in Colab: open the `.ipynb` and run the next cell first (it installs tfnote).
Set `TFNOTE_QUICK=1` for a short run (fewer epochs, data slices); `TFNOTE_DATA` names a
folder with data you already have (else data is downloaded the usual Keras way).

在项目的 venv 中：先 `make setup`，再 `.venv/bin/pip install -e '.[notebooks]'`，然后
`.venv/bin/jupyter lab notebooks/`；在 Colab 中：打开 `.ipynb`，先运行下面的安装单元格。
`TFNOTE_QUICK=1` 只训练几个迭代周期、用部分数据；`TFNOTE_DATA` 指向已有数据所在的文件夹。"""

METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def sources() -> list[Path]:
    return sorted(SOURCES.glob("*.py"))


def target(source: Path) -> Path:
    return HERE / f"{source.stem}.ipynb"


def build(source: Path) -> nbformat.NotebookNode:
    """The notebook that `source` makes, install cells included, without outputs."""
    cells = jupytext.read(source, fmt="py:percent").cells
    setup = [nbformat.v4.new_markdown_cell(OPEN_TEXT), nbformat.v4.new_code_cell(install_cell())]
    notebook = nbformat.v4.new_notebook(metadata=METADATA)
    for i, cell in enumerate(cells[:1] + setup + cells[1:]):
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(cell.source)
        else:
            new = nbformat.v4.new_markdown_cell(cell.source)
        new.id = f"{source.stem}-{i:02d}"  # stable: regenerating changes nothing
        notebook.cells.append(new)
    return notebook


def cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """What a notebook says, without ids, outputs or metadata: (type, source) per cell."""
    return [(c.cell_type, c.source) for c in notebook.cells]


def stale() -> list[str]:
    """Names of the notebooks that are missing or differ from what their sources make."""
    out = []
    for source in sources():
        path = target(source)
        if not path.is_file() or cells(nbformat.read(path, as_version=4)) != cells(build(source)):
            out.append(path.name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)
    if args.check:
        names = stale()
        for name in names:
            print(f"{name} differs from its source: run `make notebooks`")
        return 1 if names else 0
    for source in sources():
        nbformat.write(build(source), target(source))
        print(f"{source.relative_to(HERE.parent)} -> {target(source).relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
