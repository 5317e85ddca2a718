"""Execute one notebook in a fresh kernel, then run the judge's calls in it: the process the grader starts
for each submission (inside the sandbox where there is one).

    python -m course_utils.grading.runner      (the job, then one request per line, on stdin)

The first line on stdin is the job: {"notebook": notebook JSON, "cell_timeout": s, "call_timeout": s,
"token": str, "max_processes": int or None (the sandbox's process limit, see ``processes.limit_processes``)}.
The runner executes every cell with the course's execution service (``course_utils.notebooks.execute``, with
keep_going): a cell that raises does not stop the next ones, and a cell that runs past ``cell_timeout`` is
interrupted and the notebook goes on. The kernel then
stays alive: each further line on stdin is a request of the judge (see ``kernel_side``), run in the
kernel by one small cell with ``call_timeout``; end of input ends the kernel. It reports on stdout, on
lines starting with the token (which the kernel never sees, so nothing the notebook prints can pass for them):

    <token> cell <index>          before each of the notebook's cells runs
    <token> notebook <json>       after the last one: {"outcome", "detail", "cells"}
    <token> reply <json>          one per request: {"ok": reply} | {"timeout": s} | {"failed": why}
                                  | {"kernel_died": how}

outcome is an ``execute.Outcome``: "ok", "kernel-died" (detail: how the kernel process ended) or "error"; cells
lists the cells that raised, as {"index", "error", "timed_out"}. The kernel's own stdout and stderr are
discarded (never mixed into these lines).
"""

from __future__ import annotations

import json
import os
import shutil
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
from nbclient.exceptions import DeadKernelError  # noqa: E402

from course_utils.grading import kernel_side  # noqa: E402
from course_utils.notebooks import processes  # noqa: E402
from course_utils.notebooks.execute import ERROR_CHARS, Limits, Outcome, Session, how_it_ended, kernel  # noqa: E402


def reply_of(cell: nbformat.NotebookNode, seconds: float, limit: float) -> dict:
    """What a call cell answered: the last output of kernel_side's MIME type, else why there is none."""
    replies = [
        out["data"][kernel_side.MIME]
        for out in cell.get("outputs", [])
        if out.get("output_type") == "display_data" and kernel_side.MIME in out.get("data", {})
    ]
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


def serve(session: Session, requests, report) -> None:
    """Run each request line of ``requests`` in the kernel by a call cell; report each reply."""
    for line in requests:
        source = f"__import__('course_utils.grading.kernel_side', fromlist=['serve']).serve({line.strip()!r})"
        start = time.monotonic()
        try:
            cell = session.run_cell(source)
        except DeadKernelError:
            report(f"reply {json.dumps({'kernel_died': how_it_ended(session.kernel_returncode())})}")
            return
        report(f"reply {json.dumps(reply_of(cell, time.monotonic() - start, session.limits.call_seconds))}")


def execute(job: dict, report, requests) -> None:
    """Run the job's notebook, report its outcome, then serve ``requests`` (lines) in the same kernel."""
    nb = nbformat.reads(job["notebook"], as_version=4)
    limits = Limits(cell_seconds=job["cell_timeout"], call_seconds=job["call_timeout"])
    told = False
    try:
        with kernel(
            nb,
            Path.cwd(),
            limits,
            keep_going=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            on_cell=lambda index: report(f"cell {index}"),
        ) as session:
            result = session.run_notebook()
            outcome = {"outcome": result.outcome, "detail": result.detail, "cells": result.failures}
            report(f"notebook {json.dumps(outcome)}")
            told = True
            if result.outcome == Outcome.OK:
                serve(session, requests, report)
    except Exception as error:  # the kernel could not start, or nbclient failed: report, do not crash
        if not told:
            detail = f"{type(error).__name__}: {error}"[:ERROR_CHARS]
            report(f"notebook {json.dumps({'outcome': Outcome.ERROR, 'detail': detail, 'cells': []})}")


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
