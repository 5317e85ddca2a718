"""Run every lab solution in one profile; record wall time, peak memory and key results per lab.

    python benchmarks/bench_labs.py --profile cpu             # all four labs, rows into results.md
    python benchmarks/bench_labs.py --profile smoke solutions/02_mnist_cnn.ipynb --no-write

Peak memory is the largest resident size of the notebook's kernel (and its children), sampled
every 0.2 s. Key results are what the notebook reports with ``course_utils.record``.
"""
from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import nbformat
import psutil
from _results import write_result  # run as a script: python benchmarks/bench_labs.py

from course_utils.notebooks.execute import execute, reported_metrics

ROOT = Path(__file__).resolve().parents[1]


class PeakKernelMemory:
    """Sample the resident memory of this process's descendants in a background thread (bytes)."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.interval):
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)

    def __enter__(self) -> "PeakKernelMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every solutions/*.ipynb")
    parser.add_argument("--profile", choices=("smoke", "cpu", "full"), required=True)
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results.md alone")
    args = parser.parse_args()
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "solutions").glob("*.ipynb"))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        with PeakKernelMemory() as memory:
            nb, status, error = execute(nb, path.parent, profile=args.profile)
        seconds = time.perf_counter() - start
        metrics = reported_metrics(nb)
        print(f"{path.name}: {status} {error} | {seconds:.0f} s | peak {memory.peak / 2**30:.2f} GiB | {metrics}")
        if args.no_write or status != "ok":
            continue
        lab = f"{path.stem} ({args.profile} profile)"
        write_result(lab, "wall time", seconds, "s", "whole notebook, kernel start included")
        write_result(lab, "peak memory", memory.peak / 2**30, "GiB", "kernel resident set")
        for name, value in metrics.items():
            write_result(lab, name, value, "", "reported by the notebook")


if __name__ == "__main__":
    main()
