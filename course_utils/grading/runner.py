"""Execute one notebook in a fresh kernel: the process the grader starts for each submission.

    python -m course_utils.grading.runner < job.json

The job (JSON on stdin): {"notebook": notebook JSON, "cell_timeout": s, "last_cell_timeout": s,
"token": str}. Started in a private temporary folder (its working directory and HOME), the runner
executes every cell with nbclient; a cell that raises does not stop the next ones, and a cell that
runs past ``cell_timeout`` is interrupted and the notebook goes on. It reports on stdout, on lines
starting with the token (which the kernel never sees, so nothing the notebook prints can pass for them):

    <token> cell <index>          before each cell runs
    <token> result <json>         at the end: {"outcome", "detail", "cells", "last_output"}

outcome is "finished", "kernel-died" (detail: how the kernel process ended) or "error"; cells lists
the cells that raised, as {"index", "error", "timed_out"}; last_output is the text the last cell
printed. The kernel's own stdout and stderr are discarded (never mixed into these lines).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# jsonschema (under nbformat) builds an IRI grammar at import when rfc3987_syntax is installed: ~1.5 s
# of CPU in every runner, for a format check notebooks never need. Without it, jsonschema skips that check.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
import psutil  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

from course_utils.grading import processes  # noqa: E402

ERROR_CHARS = 300


def stdout_text(cell: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stdout")


def how_it_ended(returncode: int | None) -> str:
    """A dead kernel's exit status in words ("killed by SIGKILL", "exited with code 1")."""
    if returncode is None:
        return "it stopped answering"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


def execute(job: dict, report) -> dict:
    """Run the job's notebook; ``report(line)`` receives the progress lines. Returns the result dict."""
    nb = nbformat.reads(job["notebook"], as_version=4)
    cell_timeout, last_timeout = job["cell_timeout"], job["last_cell_timeout"]
    last = len(nb.cells) - 1
    started: dict[int, float] = {}
    failed: list[dict] = []

    def on_cell_execute(cell, cell_index):
        started[cell_index] = time.monotonic()
        report(f"cell {cell_index}")

    def on_cell_executed(cell, cell_index, execute_reply):
        content = (execute_reply or {}).get("content", {})
        if content.get("status") != "error":
            return
        limit = last_timeout if cell_index == last else cell_timeout
        timed_out = (content.get("ename") == "KeyboardInterrupt"
                     and time.monotonic() - started[cell_index] >= limit)
        error = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}".strip().rstrip(":")
        failed.append({"index": cell_index, "error": error[:ERROR_CHARS], "timed_out": timed_out})

    ended: list[int | None] = []

    def on_notebook_error(notebook):  # runs before nbclient cleans the dead kernel up
        process = getattr(client.km.provisioner, "process", None) if client.km else None
        ended.append(process.poll() if process is not None else None)

    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
        timeout=cell_timeout, timeout_func=lambda cell: last_timeout if cell is nb.cells[last] else cell_timeout,
        startup_timeout=120, iopub_timeout=60,  # a busy machine delivers outputs late: wait, do not drop them
        record_timing=False, shutdown_kernel="immediate",
        on_cell_execute=on_cell_execute, on_cell_executed=on_cell_executed, on_notebook_error=on_notebook_error,
        resources={"metadata": {"path": str(Path.cwd())}})
    result = {"outcome": "finished", "detail": "", "cells": failed, "last_output": ""}
    try:
        client.execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except DeadKernelError:
        result.update(outcome="kernel-died", detail=how_it_ended(ended[0] if ended else None))
    except Exception as error:  # the kernel could not start, or nbclient failed: report, do not crash
        result.update(outcome="error", detail=f"{type(error).__name__}: {error}"[:ERROR_CHARS])
    if result["outcome"] == "finished" and last >= 0:
        result["last_output"] = stdout_text(nb.cells[last])
    return result


def end_with_grader() -> None:
    """When the grader that started this runner is gone (killed, crashed), end the notebook's
    processes, delete the working folder and exit, instead of running on with no one to report to."""
    grader_pid = os.getppid()

    def watch() -> None:
        while os.getppid() == grader_pid:
            time.sleep(1)
        processes.end_descendants(psutil.Process())
        shutil.rmtree(Path.cwd(), ignore_errors=True)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def main() -> int:
    job = json.load(sys.stdin)
    token = job["token"]

    def report(line: str) -> None:
        print(f"{token} {line}", flush=True)

    processes.adopt_orphans()
    end_with_grader()
    result = execute(job, report)
    processes.end_descendants(psutil.Process())
    processes.reap_children()
    report(f"result {json.dumps(result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
