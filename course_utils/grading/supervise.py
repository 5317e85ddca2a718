"""Run one notebook under limits: a runner process in a private folder, watched for time and memory.

Each notebook gets a new temporary folder as working directory and HOME (so what it writes "at
home" lands there and is deleted afterwards), its own runner process and kernel, and the kernel
environment the instructor chose (COURSE_PROFILE). A watchdog samples the resident memory of the
whole process tree (runner, kernel, anything the kernel started) every ``POLL_SECONDS`` and ends
the tree when it passes the memory limit or the total time limit. A memory limit through
RLIMIT_AS is not used: TensorFlow reserves far more virtual memory than it touches (measured
here: 2.9 GB virtual for 0.8 GB resident after fitting a small CNN).
"""
from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import site
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from course_utils.grading import processes

POLL_SECONDS = 0.2
# Per-user folders the kernel must not share with the instructor: unset, they default under HOME.
USER_FOLDER_VARIABLES = ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                         "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR",
                         "MPLCONFIGDIR", "KERAS_HOME")


@dataclass(frozen=True)
class Limits:
    """Per-cell and total wall time (s), memory of the notebook's process tree (bytes), profile."""

    cell_seconds: float
    total_seconds: float
    memory_bytes: int
    profile: str


@dataclass
class Execution:
    """What happened to one notebook.

    outcome: "finished", "timeout" (total limit), "memory-limit", "kernel-died", "error" (the runner
    failed) or "cancelled" (the grading run was interrupted).
    running_cell: index of the cell that was running when the notebook was stopped (or None).
    cells: the cells that raised, as {"index", "error", "timed_out"}. last_output: what the last cell printed.
    """

    outcome: str
    detail: str = ""
    running_cell: int | None = None
    cells: list[dict] = field(default_factory=list)
    last_output: str = ""
    seconds: float = 0.0
    peak_memory: int = 0


def kernel_environment(home: str, profile: str) -> dict[str, str]:
    """The grader's environment with HOME and the temporary folder moved into ``home``, and the profile set.

    Whatever a notebook leaves in HOME or in its temporary folder (lab 04 writes a folder of FITS files)
    goes when ``home`` is removed, even if the notebook failed half-way. The data cache and the user's
    site-packages stay where the instructor has them; ``pip install`` inside a notebook cannot download
    into the instructor's environment (PIP_NO_INDEX).
    """
    from course_utils.data.cache import CACHE_ENV, cache_dir

    env = {k: v for k, v in os.environ.items() if k not in USER_FOLDER_VARIABLES}
    env.update({"HOME": home, "COURSE_PROFILE": profile, "PIP_NO_INDEX": "1",
                CACHE_ENV: str(cache_dir()), "PYTHONUSERBASE": site.getuserbase(),
                "MPLCONFIGDIR": str(Path(home) / ".matplotlib"), "TMPDIR": str(Path(home) / "tmp")})
    return env


@functools.cache
def _font_lists() -> tuple[Path, ...]:
    """The instructor's matplotlib font lists (matplotlib rebuilds a missing one: seconds per notebook)."""
    import matplotlib

    return tuple(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))


def prepare_home(home: str) -> None:
    """Make the kernel's temporary folder, and give its new HOME a copy of the font lists (so matplotlib
    starts as fast as usual)."""
    (Path(home) / "tmp").mkdir()
    config = Path(home) / ".matplotlib"
    config.mkdir()
    for font_list in _font_lists():
        shutil.copy(font_list, config / font_list.name)


def _read_reports(stream, token: str, sink: dict) -> None:
    """Collect the runner's token-tagged lines: the running cell and the final result."""
    prefix = f"{token} "
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if not line.startswith(prefix):
            continue
        kind, _, rest = line[len(prefix):].partition(" ")
        if kind == "cell":
            sink["running_cell"] = int(rest)
        elif kind == "result":
            sink["result"] = json.loads(rest)


def run_notebook(notebook_json: str, limits: Limits, last_cell_seconds: float,
                 cancel: threading.Event | None = None) -> Execution:
    """Execute one notebook (JSON text) in its own runner process under ``limits``."""
    token = secrets.token_hex(16)
    job = json.dumps({"notebook": notebook_json, "cell_timeout": limits.cell_seconds,
                      "last_cell_timeout": last_cell_seconds, "token": token})
    home = tempfile.mkdtemp(prefix="course-grade-")
    reports: dict = {}
    start = time.monotonic()
    try:
        prepare_home(home)
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen([sys.executable, "-m", "course_utils.grading.runner"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                    cwd=home, env=kernel_environment(home, limits.profile),
                                    start_new_session=True)  # Ctrl-C reaches the grader only; it ends the trees
            reader = threading.Thread(target=_read_reports, args=(proc.stdout, token, reports), daemon=True)
            reader.start()
            try:
                proc.stdin.write(job.encode())
                proc.stdin.close()
            except BrokenPipeError:
                pass  # the runner died at once; its stderr says why
            stopped, peak = _watch(proc, limits, start, cancel)
            reader.join(timeout=10)
            errors.seek(0)
            runner_errors = errors.read().decode("utf-8", "replace")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    seconds = time.monotonic() - start
    if stopped:
        return Execution(stopped, running_cell=reports.get("running_cell"), seconds=seconds, peak_memory=peak)
    result = reports.get("result")
    if result is None:
        tail = runner_errors.strip().splitlines()[-3:]
        return Execution("error", detail=" | ".join(tail) or f"the runner exited with code {proc.returncode}",
                         running_cell=reports.get("running_cell"), seconds=seconds, peak_memory=peak)
    return Execution(result["outcome"], detail=result["detail"], cells=result["cells"],
                     last_output=result["last_output"],
                     running_cell=reports.get("running_cell") if result["outcome"] != "finished" else None,
                     seconds=seconds, peak_memory=peak)


def _watch(proc: subprocess.Popen, limits: Limits, start: float,
           cancel: threading.Event | None) -> tuple[str, int]:
    """Wait for the runner; end its tree at a limit. Returns (why it was stopped or "", peak bytes)."""
    root = psutil.Process(proc.pid)
    peak, stopped = 0, ""
    while True:
        try:
            proc.wait(timeout=POLL_SECONDS)
            break
        except subprocess.TimeoutExpired:
            pass
        rss = processes.tree_rss(root)
        peak = max(peak, rss)
        if rss > limits.memory_bytes:
            stopped = "memory-limit"
        elif time.monotonic() - start > limits.total_seconds:
            stopped = "timeout"
        elif cancel is not None and cancel.is_set():
            stopped = "cancelled"
        if stopped:
            processes.end_descendants(root, include_root=True)
            proc.wait()
            break
    return stopped, peak
