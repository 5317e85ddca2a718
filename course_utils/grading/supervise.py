"""Run and judge one notebook under limits: its runner (in the sandbox where there is one), watched for
time and memory, and its judge, whose calls this module relays to the runner and back.

Each notebook gets a new temporary folder holding its HOME (what it writes "at home" lands there; its
temporary folder is inside), the judge's exchange folder (files a check writes for the student's code
to read; read-only for the kernel) and the judge's own home; all of it is deleted afterwards. The execution
service's watchdog (``execute.Watchdog``) samples the memory of the runner's whole process tree (runner,
kernel, anything the kernel started; proportional set size where psutil offers it) and ends the tree, and the
judge, at the memory limit or the total time limit. A memory limit through RLIMIT_AS is not used: TensorFlow
reserves far more virtual memory than it touches (measured here: 2.9 GB virtual for 0.8 GB resident after
fitting a small CNN).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import queue
import secrets
import shutil
import site
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from course_utils.grading import codec, sandbox
from course_utils.notebooks import processes
from course_utils.notebooks.execute import POLL_SECONDS, Limits, Outcome, Watchdog

MAX_LINE = 3 * codec.MAX_BYTES // 2 + 2**20  # one reply of the runner: base64 data and JSON around it
# The instructor's environment variables the notebooks see (anything else, tokens and keys included, stays out).
KERNEL_VARIABLES = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "LD_LIBRARY_PATH",
    "PYTHONHASHSEED",
)
KERNEL_PREFIXES = (
    "LC_",
    "COURSE_",
    "KERAS_",
    "TF_",
    "XLA_",
    "JAX_",
    "CUDA_",
    "NVIDIA_",
    "OMP_",
    "MKL_",
    "OPENBLAS_",
    "TPU_",
)
STUDENT = {"USER": "student", "LOGNAME": "student"}  # the sandbox's user may have no account on the system


@dataclass(frozen=True)
class Setting:
    """Where notebooks run: the isolation, what to hide inside the sandbox, the folders it may read."""

    isolation: sandbox.Isolation
    secrets: tuple[Path, ...] = ()
    share: tuple[Path, ...] = ()


@dataclass
class Execution:
    """What happened to one notebook.

    outcome: an ``execute.Outcome``: OK, TIMEOUT (total limit), MEMORY_LIMIT, KERNEL_DIED, ERROR (the runner
    or the judge failed) or CANCELLED (the grading run was interrupted).
    running_cell: index of the cell that was running when the notebook was stopped (or None).
    cells: the cells that raised, as {"index", "error", "timed_out"}.
    results: the judge's {question id: {"passed", "message"}} (None when it did not judge).
    """

    outcome: Outcome
    detail: str = ""
    running_cell: int | None = None
    cells: list[dict] = field(default_factory=list)
    results: dict | None = None
    judging: bool = False  # stopped after the notebook's cells, while the judge was calling its functions
    seconds: float = 0.0
    peak_memory: int = 0  # bytes, the tree's largest PSS (RSS where psutil offers no PSS)


def kernel_environment(home: str, profile: str) -> dict[str, str]:
    """The kernel's environment: the instructor's locale, path and course/Keras settings only, with HOME and
    the temporary folder moved into ``home``, and the profile set.

    Whatever a notebook leaves in HOME or in its temporary folder (lab 04 writes a folder of FITS files)
    goes when ``home`` is removed, even if the notebook failed half-way. The data cache and the user's
    site-packages stay where the instructor has them; ``pip install`` inside a notebook cannot download
    into the instructor's environment (PIP_NO_INDEX).
    """
    from course_utils.data.cache import CACHE_ENV, cache_dir

    env = {k: v for k, v in os.environ.items() if k in KERNEL_VARIABLES or k.startswith(KERNEL_PREFIXES)}
    env.update(
        {
            **STUDENT,
            "HOME": home,
            "COURSE_PROFILE": profile,
            "PIP_NO_INDEX": "1",
            CACHE_ENV: str(cache_dir()),
            "PYTHONUSERBASE": site.getuserbase(),
            "MPLCONFIGDIR": str(Path(home) / ".matplotlib"),
            "TMPDIR": str(Path(home) / "tmp"),
        }
    )
    return env


@functools.cache
def _font_lists() -> tuple[Path, ...]:
    """The instructor's matplotlib font lists (matplotlib rebuilds a missing one: seconds per notebook)."""
    import matplotlib

    return tuple(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))


def prepare_home(home: str) -> None:
    """Make the kernel's temporary folder, and give its new HOME a copy of the font lists (so matplotlib
    starts as fast as usual)."""
    (Path(home) / "tmp").mkdir(parents=True)
    config = Path(home) / ".matplotlib"
    config.mkdir()
    for font_list in _font_lists():
        shutil.copy(font_list, config / font_list.name)


class _Runner:
    """The runner process and what it reported: the running cell, the notebook's outcome, the replies."""

    def __init__(self, argv: list[str], home: Path, profile: str, errors):
        self.token = secrets.token_hex(16)
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=home,
            env=kernel_environment(str(home), profile),
            start_new_session=True,
        )  # Ctrl-C reaches the grader only; it ends the trees
        self.running_cell: int | None = None
        self.notebook: dict | None = None
        self.notebook_done = threading.Event()
        self.replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        prefix = f"{self.token} "
        while line := self.proc.stdout.readline(MAX_LINE):
            if not line.endswith(b"\n"):  # longer than any reply can be: skip the rest of it
                while (rest := self.proc.stdout.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                    pass
                continue
            text = line.decode("utf-8", "replace").rstrip("\n")
            if not text.startswith(prefix):
                continue
            kind, _, rest = text[len(prefix) :].partition(" ")
            try:
                if kind == "cell":
                    self.running_cell = int(rest)
                elif kind == "notebook":
                    self.notebook = json.loads(rest)
                    self.notebook_done.set()
                elif kind == "reply":
                    self.replies.put(rest)
            except ValueError:
                pass
        self.notebook_done.set()
        self.replies.put(None)  # the runner is gone

    def send(self, text: str) -> bool:
        try:
            self.proc.stdin.write(text.encode() + b"\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, ValueError, OSError):
            return False

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass


def _judge(
    runner: _Runner, argv: list[str], env: dict, job: dict, stopped: threading.Event, judges: list
) -> tuple[dict | None, str]:
    """Start the judge (it loads the checks while the notebook's cells run); once the cells have run, relay its
    calls to the runner and the replies back. Returns (results, why not); (None, "") when there is nothing to
    judge (the notebook did not finish, or was stopped)."""
    with tempfile.TemporaryFile() as errors:
        judge = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
            cwd=env["HOME"],
            text=True,
            start_new_session=True,
        )
        judges.append(judge)
        try:
            judge.stdin.write(json.dumps(job) + "\n")
            judge.stdin.flush()
            runner.notebook_done.wait()
            if (runner.notebook or {}).get("outcome") != Outcome.OK or stopped.is_set():
                return None, ""
            while line := judge.stdout.readline():
                message = json.loads(line)
                if "results" in message:
                    return message, ""
                reply = None
                if runner.send(json.dumps(message)):
                    while reply is None and not stopped.is_set():
                        try:
                            reply = runner.replies.get(timeout=POLL_SECONDS) or json.dumps(
                                {"kernel_died": "the runner ended"}
                            )
                        except queue.Empty:
                            pass
                if stopped.is_set():
                    return None, ""
                judge.stdin.write((reply or json.dumps({"kernel_died": "the runner ended"})) + "\n")
                judge.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass
        finally:
            judge.kill()
            judge.wait()
        errors.seek(0)
        tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
    return None, " | ".join(tail) or f"the judge exited with code {judge.returncode}"


def run_notebook(
    notebook_json: str,
    limits: Limits,
    profile: str,
    judge_job: dict,
    setting: Setting,
    cancel: threading.Event | None = None,
) -> Execution:
    """Execute one notebook (JSON text) in its own runner process under ``limits`` (every one set), in
    COURSE_PROFILE ``profile``, then judge it with ``judge_job`` ({"lab", "sources", "hidden_module"})."""
    work = Path(tempfile.mkdtemp(prefix="course-grade-"))
    start = time.monotonic()
    with sandbox.account() if setting.isolation.sandboxed else contextlib.nullcontext() as uid:
        try:
            return _run(notebook_json, limits, profile, judge_job, setting, cancel, work, uid, start)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _run(
    notebook_json: str,
    limits: Limits,
    profile: str,
    judge_job: dict,
    setting: Setting,
    cancel,
    work: Path,
    uid: int | None,
    start: float,
) -> Execution:
    home, exchange, judge_home = work / "home", work / "exchange", work / "judge"
    sandboxed = setting.isolation.sandboxed
    stopped, judges = threading.Event(), []
    prepare_home(str(home))
    exchange.mkdir()
    prepare_home(str(judge_home))
    runner_argv = [sandbox.PYTHON, "-m", "course_utils.grading.runner"]
    judge_argv = [sandbox.PYTHON, "-m", "course_utils.grading.judge"]
    if sandboxed:
        sandbox.give_away(work, uid)
        runner_argv = sandbox.command(runner_argv, [home], [exchange], list(setting.secrets), setting.share, uid)
        judge_argv = sandbox.command(judge_argv, [judge_home, exchange], [], list(setting.secrets), setting.share, uid)
    judge_env = {**kernel_environment(str(judge_home), profile), "TMPDIR": str(exchange)}
    with tempfile.TemporaryFile() as errors:
        runner = _Runner(runner_argv, home, profile, errors)
        root = psutil.Process(runner.proc.pid)

        def stop(why: Outcome) -> None:  # the watchdog's thread, at a limit: end the runner's tree and the judge
            stopped.set()
            processes.end_descendants(root, include_root=True)
            for judge in judges:
                judge.kill()

        with Watchdog(root, limits, stop, start=start, cancel=cancel) as watchdog:
            runner.send(
                json.dumps(
                    {
                        "notebook": notebook_json,
                        "cell_timeout": limits.cell_seconds,
                        "call_timeout": limits.call_seconds,
                        "token": runner.token,
                        "max_processes": sandbox.MAX_PROCESSES if sandboxed else None,
                    }
                )
            )
            results, judge_error = _judge(runner, judge_argv, judge_env, judge_job, stopped, judges)
            notebook = runner.notebook
            runner.close()
            runner.proc.wait()  # the runner ends its kernel and exits (or the watchdog ends it at a limit)
        errors.seek(0)
        runner_errors = errors.read().decode("utf-8", "replace")
    seconds, peak = time.monotonic() - start, watchdog.peak_bytes
    if stopped.is_set():
        return Execution(
            watchdog.stopped,
            running_cell=runner.running_cell,
            judging=runner.notebook is not None,
            seconds=seconds,
            peak_memory=peak,
        )
    if notebook is None:
        tail = runner_errors.strip().splitlines()[-3:]
        return Execution(
            Outcome.ERROR,
            detail=" | ".join(tail) or f"the runner exited with code {runner.proc.returncode}",
            running_cell=runner.running_cell,
            seconds=seconds,
            peak_memory=peak,
        )
    base = dict(cells=notebook.get("cells", []), seconds=seconds, peak_memory=peak)
    if notebook.get("outcome") != Outcome.OK:
        return Execution(
            _reported_outcome(notebook), detail=notebook.get("detail", ""), running_cell=runner.running_cell, **base
        )
    if results is None:
        return Execution(Outcome.ERROR, detail=f"the judge failed: {judge_error}", **base)
    if results.get("dead"):
        return Execution(Outcome.KERNEL_DIED, detail=results["dead"], judging=True, **base)
    return Execution(Outcome.OK, results=results["results"], **base)


def _reported_outcome(notebook: dict) -> Outcome:
    """The outcome the runner reported (ERROR when it reported none the service knows)."""
    try:
        return Outcome(notebook.get("outcome"))
    except ValueError:
        return Outcome.ERROR
