"""The course's one notebook-execution service: a kernel that runs a notebook's cells under limits.

Every caller runs notebooks through it: the course run (``python -m course_utils.notebooks run``, which
writes executed copies, the kernels' standard error under build/logs/ and build/summary.*),
``benchmarks/bench_labs.py`` and the grader's runner (``course_utils.grading.runner``, which keeps the kernel
alive after the last cell to run the judge's calls in it). So they share one set of nbclient options
(``Session``), one outcome vocabulary (``Outcome``), one memory measure (``processes.tree_memory``: the
process tree's proportional set size where psutil offers it) and the same limits (``Limits``), enforced by
one ``Watchdog``.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from course_utils.notebooks import hygiene, processes
from course_utils.report import METRIC_KEY

ERROR_CHARS = 300  # a cell's error, as reported, is cut to this length
POLL_SECONDS = 0.2  # the watchdog's period: memory (RSS) and time are checked this often
PSS_SECONDS = 1.0  # the tree's PSS (costly to read) is read this often, and whenever its RSS passes the limit


class Outcome(str, Enum):
    """How the execution of one notebook ended (the words of build/summary.* and of the grader's runs)."""

    OK = "ok"  # every cell ran (with keep_going some may have raised: see Report.failures)
    CELL_ERROR = "cell-error"  # a cell raised and the run stopped there
    CELL_TIMEOUT = "cell-timeout"  # a cell ran past Limits.cell_seconds and the run stopped there
    TIMEOUT = "timeout"  # the run passed Limits.total_seconds and was stopped
    MEMORY_LIMIT = "memory-limit"  # the kernel's process tree passed Limits.memory_bytes and was stopped
    KERNEL_DIED = "kernel-died"  # the kernel process ended (crashed, was killed) before the last cell
    ERROR = "error"  # the executor itself failed: the kernel could not start, nbclient or the runner failed
    CANCELLED = "cancelled"  # the caller stopped the run (Ctrl-C in the grader)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Limits:
    """Wall time (s) and memory (bytes) one notebook may use; None: no limit.

    cell_seconds: one cell, then it is interrupted; call_seconds: one cell run by ``Session.run_cell`` after the
    notebook (the grader's calls of a student's function); total_seconds: the whole run, kernel start included;
    memory_bytes: the kernel's process tree (see ``processes.tree_memory``).
    """

    cell_seconds: float | None = 1800.0
    call_seconds: float | None = 60.0
    total_seconds: float | None = None
    memory_bytes: int | None = None

    def __post_init__(self):
        for name in ("cell_seconds", "call_seconds", "total_seconds", "memory_bytes"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise ValueError(f"Limits.{name} must be a positive number or None (no limit), got {value!r}.")


@dataclass
class Report:
    """What running a notebook's cells gave: the outcome, a sentence on it, and the cells that raised, each
    {"index", "error" ("Name: message"), "timed_out"} (with keep_going there may be several and outcome OK)."""

    outcome: Outcome
    detail: str = ""
    failures: list[dict] = field(default_factory=list)


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


class Session:
    """One kernel running one notebook: ``run_notebook`` runs its cells, ``run_cell`` more cells after them.
    Made by ``kernel``, which starts and ends the kernel."""

    def __init__(
        self,
        nb: nbformat.NotebookNode,
        workdir: Path,
        limits: Limits,
        keep_going: bool,
        on_cell: Callable[[int], None] | None,
    ):
        self.nb, self.limits, self.keep_going = nb, limits, keep_going
        self._timeout = limits.cell_seconds
        self._on_cell = on_cell
        self._reply: dict = {}
        # The one nbclient option set. keep_going: a cell that raises, or runs past its time and is interrupted,
        # is recorded and the next cell runs (the grader); otherwise the run stops there (the course run).
        self.client = NotebookClient(
            nb,
            kernel_name="python3",
            allow_errors=keep_going,
            interrupt_on_timeout=keep_going,
            timeout=limits.cell_seconds,
            timeout_func=lambda cell: self._timeout,
            startup_timeout=120,
            iopub_timeout=60,  # a busy machine delivers outputs late: wait, do not drop them
            record_timing=False,
            shutdown_kernel="immediate",
            on_cell_execute=self._started,
            on_cell_executed=self._executed,
            resources={"metadata": {"path": str(workdir)}},
        )

    def _started(self, cell, cell_index):
        if cell_index >= 0 and self._on_cell is not None:
            self._on_cell(cell_index)

    def _executed(self, cell, cell_index, execute_reply):
        self._reply = (execute_reply or {}).get("content", {})

    def run_notebook(self) -> Report:
        """Run every cell of the notebook in order (outputs stored in its cells)."""
        failures: list[dict] = []
        try:
            self._language_info()
            for index, cell in enumerate(self.nb.cells):
                self._reply, start = {}, time.monotonic()
                try:
                    self.client.execute_cell(cell, index)
                except CellTimeoutError:
                    failures.append(
                        {
                            "index": index,
                            "timed_out": True,
                            "error": f"interrupted after {self.limits.cell_seconds:g} s (the per-cell limit)",
                        }
                    )
                    return Report(Outcome.CELL_TIMEOUT, failures[-1]["error"], failures)
                except CellExecutionError:
                    pass  # the reply was recorded: below
                if self._reply.get("status") == "error":
                    failures.append(self._failure(index, time.monotonic() - start))
                    if not self.keep_going:
                        return Report(Outcome.CELL_ERROR, failures[-1]["error"], failures)
        except DeadKernelError:
            return Report(Outcome.KERNEL_DIED, how_it_ended(self.kernel_returncode()), failures)
        return Report(Outcome.OK, "", failures)

    def _failure(self, index: int, seconds: float) -> dict:
        name = self._reply.get("ename", "Error")
        error = f"{name}: {self._reply.get('evalue', '')}".strip().rstrip(":")
        limit = self.limits.cell_seconds
        timed_out = name == "KeyboardInterrupt" and limit is not None and seconds >= limit
        return {"index": index, "error": error[:ERROR_CHARS], "timed_out": timed_out}

    def _language_info(self) -> None:
        """Store the kernel's language in the notebook's metadata, as nbclient's own ``execute`` does."""
        reply = self.client.wait_for_reply(self.client.kc.kernel_info())
        if reply is not None and "language_info" in reply["content"]:
            self.nb.metadata["language_info"] = reply["content"]["language_info"]

    def run_cell(self, source: str) -> nbformat.NotebookNode:
        """Run ``source`` as one more cell (not stored in the notebook, nor in the kernel's history) under
        ``Limits.call_seconds`` (interrupted past it when keep_going); return the cell with its outputs.
        Raises nbclient's DeadKernelError when the kernel has died."""
        cell = nbformat.v4.new_code_cell(source)
        self._timeout = self.limits.call_seconds
        try:
            self.client.execute_cell(cell, -1, store_history=False)
        finally:
            self._timeout = self.limits.cell_seconds
        return cell

    def kernel_returncode(self) -> int | None:
        """The kernel process's exit status (None while it runs, or when it is not known)."""
        km = self.client.km
        process = getattr(km.provisioner, "process", None) if km is not None else None
        return process.poll() if process is not None else None


@contextmanager
def kernel(
    nb: nbformat.NotebookNode,
    workdir: Path,
    limits: Limits = Limits(),
    *,
    keep_going: bool = False,
    env: dict[str, str] | None = None,
    stdout=None,
    stderr=None,
    on_cell: Callable[[int], None] | None = None,
) -> Iterator[Session]:
    """Start a kernel for ``nb`` in folder ``workdir``; yield its Session; end the kernel on leaving.

    env: the kernel's environment (default: this process's); stdout, stderr: where the kernel process's own
    output goes (a file, subprocess.DEVNULL; default: this process's); on_cell(index) is called as each code
    cell of the notebook starts. Total time and memory are not watched here: see ``Watchdog``.
    """
    session = Session(nb, workdir, limits, keep_going, on_cell)
    launch = {key: value for key, value in (("env", env), ("stdout", stdout), ("stderr", stderr)) if value is not None}
    with session.client.setup_kernel(**launch):
        yield session


class Watchdog:
    """Watch a process tree's memory and the run's total time from a thread; at a limit call ``stop(outcome)``
    once (it must end the tree). ``peak_bytes``: the largest memory seen (PSS, read every PSS_SECONDS and
    whenever the cheap RSS passes the memory limit); ``stopped``: the Outcome it stopped for, else None.

    root: the tree's top process (include_root=False: only its descendants, e.g. this process's kernel: the
    course run watches one kernel at a time);
    start: time.monotonic() when the run began (default: now); cancel: an Event that stops the run when set.
    """

    def __init__(
        self,
        root: psutil.Process,
        limits: Limits,
        stop: Callable[[Outcome], None],
        *,
        include_root: bool = True,
        start: float | None = None,
        cancel: threading.Event | None = None,
    ):
        self.root, self.limits, self.include_root, self.cancel = root, limits, include_root, cancel
        self.start = time.monotonic() if start is None else start
        self.peak_bytes, self.stopped = 0, None
        self._stop, self._done = stop, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _memory_used(self, last_pss: float) -> tuple[int | None, float]:
        """The tree's PSS when due (or when its RSS passes the limit), else None; and when it was read."""
        limit = self.limits.memory_bytes
        now = time.monotonic()
        over = (
            limit is not None
            and processes.tree_memory(self.root, include_root=self.include_root, proportional=False) > limit
        )
        if not over and now - last_pss < PSS_SECONDS:
            return None, last_pss
        return processes.tree_memory(self.root, include_root=self.include_root), now

    def _watch(self) -> None:
        last_pss = -PSS_SECONDS
        while not self._done.wait(POLL_SECONDS):
            used, last_pss = self._memory_used(last_pss)
            if used is not None:
                self.peak_bytes = max(self.peak_bytes, used)
            limits = self.limits
            why = (
                Outcome.MEMORY_LIMIT
                if used is not None and limits.memory_bytes is not None and used > limits.memory_bytes
                else Outcome.TIMEOUT
                if limits.total_seconds is not None and time.monotonic() - self.start > limits.total_seconds
                else Outcome.CANCELLED
                if self.cancel is not None and self.cancel.is_set()
                else None
            )
            if why is not None:
                self.stopped = why
                self._stop(why)
                return

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


# ---------------------------------------------------------------------------------------------------------
# The course run: one notebook at a time, executed copy written out, key figures collected


@dataclass
class RunResult:
    """One executed notebook: its outcome (``Outcome``), seconds, key figures, the error, peak memory."""

    notebook: str
    status: Outcome
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    peak_memory_gb: float = 0.0  # largest memory of the kernel and its children (PSS where available)


def reported_metrics(nb: nbformat.NotebookNode) -> dict[str, float]:
    """Key figures the notebook tagged with ``course_utils.record``."""
    metrics: dict[str, float] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            metrics.update(output.get("metadata", {}).get(METRIC_KEY, {}))
    return metrics


def execute(
    nb: nbformat.NotebookNode, workdir: Path, kernel_log: Path, *, profile: str | None, limits: Limits = Limits()
) -> tuple[nbformat.NotebookNode, Report, int]:
    """Run every cell of ``nb`` in a fresh kernel started in ``workdir`` under ``limits``, stopping at the first
    cell that fails; return (nb, report, peak memory in bytes).

    What the kernel process itself writes to its standard error (its start-up notices, TensorFlow's
    C++ log lines, a crash report) goes to the file ``kernel_log``, not to the terminal.
    """
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline")
    if profile:
        env["COURSE_PROFILE"] = profile
    kernel_log.parent.mkdir(parents=True, exist_ok=True)
    me = psutil.Process()
    with (
        open(kernel_log, "wb") as log,
        Watchdog(me, limits, lambda why: processes.end_descendants(me), include_root=False) as watchdog,
    ):
        try:
            with kernel(nb, workdir, limits, env=env, stderr=log) as session:
                report = session.run_notebook()
        except Exception as error:  # the kernel could not start, or nbclient failed
            report = Report(Outcome.ERROR, f"{type(error).__name__}: {error}"[:ERROR_CHARS])
    if watchdog.stopped is not None:  # the kernel "died" because the watchdog ended it
        report = Report(watchdog.stopped, _stopped_detail(watchdog.stopped, limits), report.failures)
    return nb, report, watchdog.peak_bytes


def _stopped_detail(outcome: Outcome, limits: Limits) -> str:
    if outcome == Outcome.MEMORY_LIMIT:
        return f"stopped at the memory limit ({limits.memory_bytes / 2**30:g} GiB)"
    return f"stopped at the total time limit ({limits.total_seconds:g} s)"


def run_notebook(
    path: Path, out_path: Path, kernel_log: Path, *, profile: str | None, limits: Limits = Limits()
) -> RunResult:
    """Execute ``path`` (in its own folder) under ``limits``, write the executed copy to ``out_path`` and the
    kernel's standard error to ``kernel_log``."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    nb, report, peak_bytes = execute(nb, path.parent, kernel_log, profile=profile, limits=limits)
    seconds = time.perf_counter() - start
    out_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(hygiene.clean(nb), out_path)
    return RunResult(
        notebook=str(path),
        status=report.outcome,
        seconds=round(seconds, 1),
        metrics=reported_metrics(nb),
        error=report.detail,
        peak_memory_gb=round(peak_bytes / 2**30, 2),
    )


def write_summary(results: list[RunResult], build: Path, profile: str | None) -> Path:
    """Write build/summary.json and build/summary.md; return the markdown path."""
    build.mkdir(parents=True, exist_ok=True)
    (build / "summary.json").write_text(
        json.dumps({"profile": profile, "notebooks": [asdict(r) for r in results]}, indent=2) + "\n"
    )
    lines = [
        f"# Course run (profile: {profile or 'automatic'})",
        "",
        "| notebook | status | wall time (s) | peak memory (GiB) | key figures |",
        "|---|---|---:|---:|---|",
    ]
    for r in results:
        figures = ", ".join(f"{k} = {v:.4g}" for k, v in r.metrics.items()) or "-"
        status = r.status if not r.error else f"{r.status}: {r.error}"
        lines.append(f"| {r.notebook} | {status} | {r.seconds:.1f} | {r.peak_memory_gb:.2f} | {figures} |")
    md = build / "summary.md"
    md.write_text("\n".join(lines) + "\n")
    return md
