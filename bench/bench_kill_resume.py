"""kill -9 at random moments, then run the same command again: does every run end as if
it had never been interrupted, with no temporary file left?

Each trial starts `tfnote train p14` (a slice of MNIST, a few epochs), kills it with
SIGKILL after a random delay (start-up, mid-epoch, during checkpoint and state writes),
runs the same command to the end, and compares metrics.json with an uninterrupted run.

    .venv/bin/python bench/bench_kill_resume.py [--trials 20] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def command(data_dir: str, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "tfnote", "train", "p14", "--data-dir", data_dir,
        "--limit-train", "12000", "--limit-test", "2000", "--epochs", "4", "--out", str(out),
        "--quiet",
    ]  # fmt: skip


def finish(data_dir: str, out: Path) -> dict:
    done = subprocess.run(command(data_dir, out), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the run did not finish: {done.stderr.strip()}")
    return json.loads((out / "metrics.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA))
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="bench-kill-"))
    try:
        started = time.perf_counter()
        reference = finish(args.data_dir, work / "straight")
        longest = time.perf_counter() - started
        print(f"uninterrupted: loss {reference['loss']!r} in {longest:.1f} s")
        same = 0
        for trial in range(args.trials):
            out = work / f"trial{trial}"
            delay = rng.uniform(0.5, longest)
            process = subprocess.Popen(command(args.data_dir, out), stdout=subprocess.DEVNULL)
            time.sleep(delay)
            killed = process.poll() is None
            process.send_signal(signal.SIGKILL)
            process.wait()
            state = out / "state.json"
            at = json.loads(state.read_text())["epoch"] if state.is_file() else 0
            metrics = finish(args.data_dir, out)
            leftovers = [p.name for p in out.rglob(".*")]
            equal = metrics["loss"] == reference["loss"] and metrics["epochs"] == 4
            same += equal and not leftovers
            print(
                f"trial {trial + 1:2}: killed after {delay:4.1f} s"
                f" ({'mid-run, epoch ' + str(at) + ' saved' if killed else 'after it ended'}),"
                f" resumed loss {metrics['loss']!r} {'==' if equal else '!='} reference,"
                f" leftovers: {leftovers or 'none'}"
            )
        print(f"{same}/{args.trials} trials ended with the uninterrupted metrics and no leftovers")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
