"""Grade a folder of submitted notebooks: snapshot the checks, read every submission, run each in
its own sandbox (several at once with ``jobs``), judge it where no student code runs, score, and write
the gradebook. Without a sandbox, the checks, the course package and the submissions are verified
unchanged after each notebook, and the run stops when they are not.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
from tqdm import tqdm

from course_utils import manifest
from course_utils.grading import gradebook, sandbox, score, submissions
from course_utils.grading.checkset import CheckSet
from course_utils.grading.score import Grade
from course_utils.grading.submissions import Submission
from course_utils.grading.supervise import Setting, run_notebook
from course_utils.notebooks.execute import Limits

SECONDS_PER_CALL = 60  # one call of a student's function by a check


class TamperedError(RuntimeError):
    """A notebook graded without a sandbox changed the checks, the course package or the submissions."""


@dataclass(frozen=True)
class Options:
    """How to run the notebooks: profile, limits (None: the profile's default in course_utils/course.toml;
    ``call_seconds`` for one call of a student's function by a check), parallel jobs, whether to
    use the sandbox (``isolate=False``: never, as where there is none) and folders the notebooks may read."""

    profile: str = manifest.course().grading_profile
    cell_seconds: float | None = None
    total_seconds: float | None = None
    memory_gb: float | None = None
    call_seconds: float = SECONDS_PER_CALL
    jobs: int = 1
    isolate: bool = True
    share: tuple[Path, ...] = ()

    def isolation(self) -> sandbox.Isolation:
        return sandbox.probe() if self.isolate else sandbox.Isolation(False, "the sandbox was switched off")

    def limits(self) -> Limits:
        default = manifest.course().profiles[self.profile].grader
        memory_gb = self.memory_gb or default.memory_gb
        return Limits(
            cell_seconds=self.cell_seconds or default.cell_seconds,
            total_seconds=self.total_seconds or default.total_seconds,
            memory_bytes=int(memory_gb * 2**30),
            call_seconds=self.call_seconds,
        )


def grade_submission(
    submission: Submission,
    checks: CheckSet,
    limits: Limits,
    profile: str,
    setting: Setting,
    cancel: threading.Event | None = None,
) -> Grade:
    """Grade one submission; a broken notebook gets its status, never an exception."""
    if submission.notebook is None:
        return score.rejected(
            submission.student,
            checks,
            "invalid-notebook",
            f"{submission.problem}. Download it again from Colab (File > Download > "
            "Download .ipynb) and submit that file.",
        )
    other = submissions.other_lab(submission.notebook, checks.lab)
    if other:
        return score.rejected(
            submission.student,
            checks,
            "wrong-lab",
            f"This notebook is {other}, not {checks.lab}: submit the {checks.lab} notebook.",
        )
    notebook = nbformat.from_dict(submission.notebook)
    job = {"lab": checks.lab, "sources": checks.sources, "hidden_module": checks.hidden_module}
    execution = run_notebook(nbformat.writes(notebook), limits, profile, job, setting, cancel)
    return score.from_execution(submission.student, checks, notebook, execution, limits)


def _grade_safely(
    submission: Submission, checks: CheckSet, limits: Limits, profile: str, setting: Setting, cancel: threading.Event
) -> Grade:
    try:
        return grade_submission(submission, checks, limits, profile, setting, cancel)
    except Exception as error:  # a grader bug on one notebook must not stop the room
        return score.rejected(submission.student, checks, "grader-error", f"{type(error).__name__}: {error}")


def grade_folder(
    checks: CheckSet, folder: Path, out_dir: Path, options: Options = Options(), *, progress: bool = True
) -> list[Grade]:
    """Grade every .ipynb under ``folder`` with ``checks`` (see ``checkset.load``); write gradebook.csv
    and feedback/ to ``out_dir``; return the grades sorted by student. Raises TamperedError when,
    without a sandbox, a notebook changed the checks, the course package or the submissions."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: give the folder of downloaded .ipynb files.")
    staged = [submissions.read(path, folder) for path in submissions.find(folder)]  # before anything runs
    if not staged:
        raise FileNotFoundError(f"No .ipynb file under {folder}.")
    limits, isolation = options.limits(), options.isolation()
    out_dir = Path(out_dir)
    setting = Setting(
        isolation,
        secrets=(
            sandbox.PACKAGE_DIR / "grading" / "hidden",
            *filter(None, [checks.hidden_path, folder.resolve(), out_dir.resolve()]),
        ),
        share=tuple(options.share),
    )
    watched = (
        None
        if isolation.sandboxed
        else sandbox.Fingerprint([sandbox.PACKAGE_DIR, checks.hidden_path, checks.checks_path, folder])
    )
    cancel = threading.Event()
    grades = []
    with (
        ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool,
        tqdm(total=len(staged), unit="notebook", desc=f"grading {checks.lab}", disable=not progress) as bar,
    ):
        futures = [pool.submit(_grade_safely, s, checks, limits, options.profile, setting, cancel) for s in staged]
        try:
            for future in as_completed(futures):
                grade = future.result()
                grades.append(grade)
                changed = watched.changes() if watched else []
                if changed:
                    raise TamperedError(
                        f"Stopped: while {grade.student}'s notebook ran (without a sandbox: {isolation.reason}), "
                        f"{len(changed)} file(s) of the checks, the course package or the submissions changed: "
                        f"{', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}. Restore them (git checkout, "
                        "the submissions as collected), then grade again, in a sandbox (install bubblewrap) "
                        "or one notebook at a time (--jobs 1) to see which notebook did it. No gradebook written."
                    )
                bar.set_postfix_str(f"{grade.student}: {grade.status}, {grade.total:g}/{checks.max_points:g}")
                bar.update()
        except BaseException:  # Ctrl-C: end every running notebook before leaving, write nothing
            cancel.set()
            for future in futures:
                future.cancel()
            raise
    for grade in grades:
        grade.isolated = isolation.sandboxed
    gradebook.write(out_dir, checks, grades)
    return sorted(grades, key=lambda g: g.student)
