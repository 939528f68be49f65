"""What the course notebooks (notebooks/*.ipynb) share: the quick setting and the install cell.

    from tfnote.notebook import quick
    EPOCHS = 1 if quick() else 5     # TFNOTE_QUICK=1: CI's short run; unset: the course's

Every notebook starts with the same install cell (notebooks/build.py puts it there, from
`install_cell()`): in Colab, or any Python without tfnote, it pip-installs tfnote from
REPO_URL; in the project's venv it does nothing. Importing this module imports no TensorFlow.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys

# The one place that names the repository: the notebooks' install cell is made from it
# (`make notebooks` after changing it). A placeholder until the project is published.
REPO_URL = "https://github.com/OWNER/tfnote"

QUICK_VARIABLE = "TFNOTE_QUICK"


def quick() -> bool:
    """True when TFNOTE_QUICK is set to anything but "" or "0": fewer epochs, data slices."""
    return os.environ.get(QUICK_VARIABLE, "") not in ("", "0")


def quiet_tensorflow() -> None:
    """Import TensorFlow with its C++ start-up notices (oneDNN, CPU features, absl) sent
    nowhere, as the CLI does: in a notebook they fill the first cell in pink."""
    from tfnote import _tf

    _tf.load()


def ensure_installed(source: str, run=subprocess.run) -> list[str] | None:
    """pip-install tfnote from `source` (a git URL or a local folder) unless it is importable.

    Returns the pip command it ran, or None when tfnote was already there.
    """
    if importlib.util.find_spec("tfnote") is not None:
        return None  # the project's venv, or installed earlier in this session
    command = [sys.executable, "-m", "pip", "install", "--quiet", source]
    run(command, check=True)
    return command


def install_cell(source: str = f"git+{REPO_URL}") -> str:
    """The code of the notebooks' first cell: `ensure_installed` itself, then its call.

    The function is copied into the cell because, in Colab, tfnote is not there yet to
    import it from.
    """
    return "\n".join(
        [
            "# Colab, or a Python without tfnote: install it (a few minutes: TensorFlow is large).",
            "# In the project's .venv this does nothing.",
            "# 在 Colab 或未安装 tfnote 的环境中先安装它；项目的 .venv 中跳过。",
            "import importlib.util",
            "import subprocess",
            "import sys",
            "",
            "",
            inspect.getsource(ensure_installed).rstrip(),
            "",
            "",
            f"ensure_installed({source!r})",
        ]
    )
