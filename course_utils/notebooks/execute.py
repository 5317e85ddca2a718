"""Execute notebooks with nbclient in a chosen profile and summarise what they report."""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from course_utils.notebooks import hygiene
from course_utils.report import METRIC_KEY


@dataclass
class RunResult:
    """One executed notebook: status ("ok", "error", "timeout", "kernel died"), seconds, key figures."""

    notebook: str
    status: str
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    peak_memory_gb: float = 0.0  # largest resident size of the kernel and its children


class PeakChildMemory:
    """Sample the resident memory of this process's descendants (the kernel) in a background thread."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak_bytes, self._stop = interval, 0, threading.Event()
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
            self.peak_bytes = max(self.peak_bytes, total)

    def __enter__(self) -> "PeakChildMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def reported_metrics(nb: nbformat.NotebookNode) -> dict[str, float]:
    """Key figures the notebook tagged with ``course_utils.record``."""
    metrics: dict[str, float] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            metrics.update(output.get("metadata", {}).get(METRIC_KEY, {}))
    return metrics


def execute(nb: nbformat.NotebookNode, workdir: Path, kernel_log: Path, *, profile: str | None,
            cell_timeout: int = 1800) -> tuple[nbformat.NotebookNode, str, str]:
    """Run every cell of ``nb`` in a fresh kernel started in ``workdir``; return (nb, status, error).

    What the kernel process itself writes to its standard error (its start-up notices, TensorFlow's
    C++ log lines, a crash report) goes to the file ``kernel_log``, not to the terminal.
    """
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline")
    if profile:
        env["COURSE_PROFILE"] = profile
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    kernel_log.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(kernel_log, "wb") as log:
            client.execute(env=env, stderr=log)
    except CellTimeoutError as error:
        return nb, "timeout", str(error).splitlines()[0]
    except DeadKernelError as error:
        return nb, "kernel died", str(error)
    except CellExecutionError as error:
        lines = [line for line in str(error).splitlines() if line.strip()]
        return nb, "error", lines[-1] if lines else "cell failed"
    return nb, "ok", ""


def run_notebook(path: Path, out_path: Path, kernel_log: Path, *, profile: str | None) -> RunResult:
    """Execute ``path`` (in its own folder), write the executed copy to ``out_path`` and the kernel's
    standard error to ``kernel_log``."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    with PeakChildMemory() as memory:
        nb, status, error = execute(nb, path.parent, kernel_log, profile=profile)
    seconds = time.perf_counter() - start
    out_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(hygiene.clean(nb), out_path)
    return RunResult(notebook=str(path), status=status, seconds=round(seconds, 1),
                     metrics=reported_metrics(nb), error=error, peak_memory_gb=round(memory.peak_bytes / 2**30, 2))


def write_summary(results: list[RunResult], build: Path, profile: str | None) -> Path:
    """Write build/summary.json and build/summary.md; return the markdown path."""
    build.mkdir(parents=True, exist_ok=True)
    (build / "summary.json").write_text(
        json.dumps({"profile": profile, "notebooks": [asdict(r) for r in results]}, indent=2) + "\n")
    lines = [f"# Course run (profile: {profile or 'automatic'})", "",
             "| notebook | status | wall time (s) | peak memory (GiB) | key figures |", "|---|---|---:|---:|---|"]
    for r in results:
        figures = ", ".join(f"{k} = {v:.4g}" for k, v in r.metrics.items()) or "-"
        status = r.status if not r.error else f"{r.status}: {r.error}"
        lines.append(f"| {r.notebook} | {status} | {r.seconds:.1f} | {r.peak_memory_gb:.2f} | {figures} |")
    md = build / "summary.md"
    md.write_text("\n".join(lines) + "\n")
    return md
