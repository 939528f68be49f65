"""How fast the CLI answers `--help` (it must not import TensorFlow), against `import tensorflow`.

.venv/bin/python bench/bench_cli.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

COMMANDS = [
    ["-m", "tfnote", "--help"],
    ["-m", "tfnote", "train", "--help"],
    ["-m", "tfnote", "presets"],
    ["-m", "tfnote", "train", "p14", "--epochs", "0"],  # an argument error
    ["-c", "import tensorflow"],  # what every command would cost with an eager import
]


def timed(args: list[str], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    results = {
        " ".join(args): timed(args, 3 if "tensorflow" in args[-1] else 5) for args in COMMANDS
    }
    baseline = results[" ".join(COMMANDS[-1])]
    for command, seconds in results.items():
        ratio = baseline / seconds
        print(f"{seconds:6.3f} s  ({ratio:5.1f}x faster than importing TF)  python {command}")


if __name__ == "__main__":
    main()
