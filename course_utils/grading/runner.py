"""Execute one notebook in a fresh kernel, then run the judge's calls in it: the process the grader starts
for each submission (inside the sandbox where there is one).

    python -m course_utils.grading.runner      (the job, then one request per line, on stdin)

The first line on stdin is the job: {"notebook": notebook JSON, "cell_timeout": s, "call_timeout": s,
"token": str, "max_processes": int or None (the sandbox's process limit, see ``processes.limit_processes``)}. The runner executes every cell with nbclient; a cell that raises does not stop the next
ones, and a cell that runs past ``cell_timeout`` is interrupted and the notebook goes on. The kernel then
stays alive: each further line on stdin is a request of the judge (see ``kernel_side``), run in the
kernel by one small cell with ``call_timeout``; end of input ends the kernel. It reports on stdout, on
lines starting with the token (which the kernel never sees, so nothing the notebook prints can pass for them):

    <token> cell <index>          before each of the notebook's cells runs
    <token> notebook <json>       after the last one: {"outcome", "detail", "cells"}
    <token> reply <json>          one per request: {"ok": reply} | {"timeout": s} | {"failed": why}
                                  | {"kernel_died": how}

outcome is "finished", "kernel-died" (detail: how the kernel process ended) or "error"; cells lists
the cells that raised, as {"index", "error", "timed_out"}. The kernel's own stdout and stderr are
discarded (never mixed into these lines).
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

from course_utils.grading import kernel_side, processes  # noqa: E402

ERROR_CHARS = 300


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


def reply_of(cell: nbformat.NotebookNode, seconds: float, limit: float) -> dict:
    """What a call cell answered: the last output of kernel_side's MIME type, else why there is none."""
    replies = [out["data"][kernel_side.MIME] for out in cell.get("outputs", [])
               if out.get("output_type") == "display_data" and kernel_side.MIME in out.get("data", {})]
    if replies:
        try:
            reply = json.loads(replies[-1])
        except (TypeError, ValueError):
            reply = None
        return {"ok": reply} if isinstance(reply, dict) else {"failed": "the reply is not a JSON object"}
    errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    if errors and errors[-1].get("ename") == "KeyboardInterrupt" and seconds >= limit:
        return {"timeout": limit}
    if errors:
        return {"failed": f"{errors[-1].get('ename')}: {errors[-1].get('evalue', '')}"[:ERROR_CHARS]}
    return {"failed": "the kernel printed no reply"}


def serve(client: NotebookClient, requests, call_timeout: float, report) -> None:
    """Run each request line of ``requests`` in the kernel by a call cell; report each reply."""
    for line in requests:
        source = f"__import__('course_utils.grading.kernel_side', fromlist=['serve']).serve({line.strip()!r})"
        cell = nbformat.v4.new_code_cell(source)
        start = time.monotonic()
        try:
            client.execute_cell(cell, -1, store_history=False)
        except DeadKernelError:
            report(f"reply {json.dumps({'kernel_died': how_it_ended(kernel_returncode(client))})}")
            return
        report(f"reply {json.dumps(reply_of(cell, time.monotonic() - start, call_timeout))}")


def kernel_returncode(client: NotebookClient) -> int | None:
    process = getattr(client.km.provisioner, "process", None) if client.km else None
    return process.poll() if process is not None else None


def execute(job: dict, report, requests) -> None:
    """Run the job's notebook, report its outcome, then serve ``requests`` (lines) in the same kernel."""
    nb = nbformat.reads(job["notebook"], as_version=4)
    limit = {"seconds": job["cell_timeout"]}
    started: dict[int, float] = {}
    failed: list[dict] = []

    def on_cell_execute(cell, cell_index):
        if cell_index >= 0:
            started[cell_index] = time.monotonic()
            report(f"cell {cell_index}")

    def on_cell_executed(cell, cell_index, execute_reply):
        content = (execute_reply or {}).get("content", {})
        if cell_index < 0 or content.get("status") != "error":
            return
        timed_out = (content.get("ename") == "KeyboardInterrupt"
                     and time.monotonic() - started[cell_index] >= limit["seconds"])
        error = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}".strip().rstrip(":")
        failed.append({"index": cell_index, "error": error[:ERROR_CHARS], "timed_out": timed_out})

    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
        timeout=job["cell_timeout"], timeout_func=lambda cell: limit["seconds"],
        startup_timeout=120, iopub_timeout=60,  # a busy machine delivers outputs late: wait, do not drop them
        record_timing=False, shutdown_kernel="immediate",
        on_cell_execute=on_cell_execute, on_cell_executed=on_cell_executed,
        resources={"metadata": {"path": str(Path.cwd())}})
    result = {"outcome": "finished", "detail": "", "cells": failed}
    told = False
    try:
        with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            try:
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index)
            except DeadKernelError:
                result.update(outcome="kernel-died", detail=how_it_ended(kernel_returncode(client)))
            report(f"notebook {json.dumps(result)}")
            told = True
            if result["outcome"] == "finished":
                limit["seconds"] = job["call_timeout"]
                serve(client, requests, job["call_timeout"], report)
    except Exception as error:  # the kernel could not start, or nbclient failed: report, do not crash
        if not told:
            result.update(outcome="error", detail=f"{type(error).__name__}: {error}"[:ERROR_CHARS])
            report(f"notebook {json.dumps(result)}")


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
    job = json.loads(sys.stdin.readline())
    token = job["token"]
    out = sys.stdout

    def report(line: str) -> None:
        out.write(f"{token} {line}\n")
        out.flush()

    processes.limit_processes(job["max_processes"])
    processes.adopt_orphans()
    end_with_grader()
    execute(job, report, sys.stdin)
    processes.end_descendants(psutil.Process())
    processes.reap_children()
    return 0


if __name__ == "__main__":
    sys.exit(main())
