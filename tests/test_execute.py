"""The notebook-execution service that the course run, the benchmarks and the grader share: every way a run
ends has its one word (execute.Outcome), limits hold for the course run as for the grader, and memory is
the process tree's proportional set size, so pages shared by forked workers are not counted once per worker."""

from __future__ import annotations

import subprocess
import sys
import time

import nbformat
import psutil
import pytest

from course_utils.notebooks import processes
from course_utils.notebooks.execute import Limits, Outcome, RunResult, execute, write_summary

# 128 MiB a step up to 3 GiB (bounded: a broken limit must not take the machine's memory), then it waits.
HOG = "import time, numpy as np\nhog = [np.ones(2**24) for _ in range(24)]\ntime.sleep(30)"


def notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in sources],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


@pytest.mark.parametrize(
    "cells, limits, outcome, detail",
    [
        (["x = 1", "1 / 0", "y = 2"], Limits(), Outcome.CELL_ERROR, "ZeroDivisionError: division by zero"),
        (
            ["import time\ntime.sleep(60)", "y = 2"],
            Limits(cell_seconds=3),
            Outcome.CELL_TIMEOUT,
            "interrupted after 3 s",
        ),
        (
            ["import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "y = 2"],
            Limits(),
            Outcome.KERNEL_DIED,
            "killed by SIGKILL",
        ),
        (
            ["import time\ntime.sleep(60)", "y = 2"],
            Limits(cell_seconds=None, total_seconds=8),
            Outcome.TIMEOUT,
            "total time limit (8 s)",
        ),
        ([HOG, "y = 2"], Limits(memory_bytes=1 * 2**30), Outcome.MEMORY_LIMIT, "memory limit (1 GiB)"),
    ],
)
def test_the_course_run_stops_at_the_first_failure_and_names_it(tmp_path, cells, limits, outcome, detail):
    nb, report, peak = execute(notebook(*cells), tmp_path, tmp_path / "kernel.log", profile="smoke", limits=limits)
    assert (report.outcome, report.outcome.value) == (outcome, outcome.value) and detail in report.detail, report
    assert nb.cells[-1].outputs == [] and nb.cells[-1].get("execution_count") is None  # the next cell never ran
    if outcome == Outcome.MEMORY_LIMIT:
        assert limits.memory_bytes < peak < 2 * limits.memory_bytes  # stopped soon after it passed the limit
    assert not psutil.Process().children(recursive=True)  # no kernel left behind


def test_a_notebook_that_runs_reports_ok_and_its_peak_memory(tmp_path):
    nb, report, peak = execute(
        notebook("import numpy as np\nx = np.ones(2**25)\nimport time\ntime.sleep(2)", "print(x.sum())"),
        tmp_path,
        tmp_path / "kernel.log",
        profile="smoke",
    )
    assert report.outcome == Outcome.OK and report.failures == []
    assert nb.cells[1].outputs[0]["text"] == "33554432.0\n"
    assert peak > 2**28  # the kernel held a 256 MiB array


def test_the_summary_writes_the_outcome_words(tmp_path):
    results = [RunResult("a.ipynb", Outcome.OK, 1.0), RunResult("b.ipynb", Outcome.KERNEL_DIED, 2.0, error="killed")]
    text = write_summary(results, tmp_path, "smoke").read_text()
    assert "| a.ipynb | ok |" in text and "| b.ipynb | kernel-died: killed |" in text
    assert '"status": "kernel-died"' in (tmp_path / "summary.json").read_text()


@pytest.mark.skipif(not processes.PSS_AVAILABLE, reason="psutil offers no PSS here")
def test_memory_of_forked_workers_counts_their_shared_pages_once():
    script = (
        "import os, time, numpy as np\n"
        "big = np.ones(2**25)\n"  # 256 MiB, touched, then shared copy-on-write with three forks
        "for _ in range(3):\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(60)\n"
        "        os._exit(0)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        time.sleep(0.5)
        root = psutil.Process(proc.pid)
        assert len(root.children()) == 3
        rss = processes.tree_memory(root, proportional=False)
        pss = processes.tree_memory(root)
        assert rss > 4 * 2**28  # each of the four processes maps the 256 MiB
        assert 2**28 < pss < 0.5 * rss  # ... which the PSS counts once
    finally:
        processes.end_descendants(psutil.Process(proc.pid), include_root=True)
        proc.wait()


def test_limits_refuse_what_is_not_a_positive_number():
    with pytest.raises(ValueError, match="memory_bytes must be a positive number or None"):
        Limits(memory_bytes=0)
    with pytest.raises(ValueError, match="cell_seconds"):
        Limits(cell_seconds="60")
