"""Grade a folder of submitted notebooks: snapshot the checks, read every submission, run each in
its own process (several at once with ``jobs``), score, and write the gradebook.
"""
from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
from tqdm import tqdm

from course_utils.grading import gradebook, score, submissions
from course_utils.grading.checkset import CheckSet
from course_utils.grading.score import Grade
from course_utils.grading.submissions import Submission
from course_utils.grading.supervise import Limits, run_notebook

# Per-cell and total time limits (s) when the instructor gives none: a smoke run takes seconds,
# a cpu run minutes per lab, a full run on a CPU machine can take an hour.
DEFAULT_SECONDS = {"smoke": (120, 600), "cpu": (900, 3600), "full": (3600, 4 * 3600)}
# Memory (GiB) one notebook may use when the instructor gives no limit. The labs' measured cpu-profile peaks
# (benchmarks/results.md) reach about 4.1 GiB (lab 04: 20,000 + 4,000 stamps); lab 04's full profile holds
# 40,000 + 20,000 stamps.
DEFAULT_MEMORY_GB = {"smoke": 4.0, "cpu": 6.0, "full": 16.0}
SECONDS_PER_QUESTION = 60


@dataclass(frozen=True)
class Options:
    """How to run the notebooks: profile, limits (None: the profile's default), parallel jobs."""

    profile: str = "smoke"
    cell_seconds: float | None = None
    total_seconds: float | None = None
    memory_gb: float | None = None
    jobs: int = 1

    def limits(self) -> Limits:
        cell, total = DEFAULT_SECONDS[self.profile]
        memory_gb = self.memory_gb or DEFAULT_MEMORY_GB[self.profile]
        return Limits(cell_seconds=self.cell_seconds or cell, total_seconds=self.total_seconds or total,
                      memory_bytes=int(memory_gb * 2**30), profile=self.profile)


def grade_submission(submission: Submission, checks: CheckSet, limits: Limits,
                     cancel: threading.Event | None = None) -> Grade:
    """Grade one submission; a broken notebook gets its status, never an exception."""
    if submission.notebook is None:
        return score.rejected(submission.student, checks, "invalid-notebook",
                              f"{submission.problem}. Download it again from Colab (File > Download > "
                              "Download .ipynb) and submit that file.")
    other = submissions.other_lab(submission.notebook, checks.lab)
    if other:
        return score.rejected(submission.student, checks, "wrong-lab",
                              f"This notebook is {other}, not {checks.lab}: submit the {checks.lab} notebook.")
    nonce = secrets.token_hex(16)
    notebook = nbformat.from_dict(submission.notebook)
    questions_seconds = SECONDS_PER_QUESTION * (len(checks.questions) + 1)
    notebook.cells.append(nbformat.v4.new_code_cell(checks.grading_cell(nonce, SECONDS_PER_QUESTION)))
    execution = run_notebook(nbformat.writes(notebook), limits, questions_seconds, cancel)
    return score.from_execution(submission.student, checks, notebook, execution, nonce, limits)


def _grade_safely(submission: Submission, checks: CheckSet, limits: Limits, cancel: threading.Event) -> Grade:
    try:
        return grade_submission(submission, checks, limits, cancel)
    except Exception as error:  # a grader bug on one notebook must not stop the room
        return score.rejected(submission.student, checks, "grader-error", f"{type(error).__name__}: {error}")


def grade_folder(checks: CheckSet, folder: Path, out_dir: Path, options: Options = Options(), *,
                 progress: bool = True) -> list[Grade]:
    """Grade every .ipynb under ``folder`` with ``checks`` (see ``checkset.load``); write gradebook.csv
    and feedback/ to ``out_dir``; return the grades sorted by student."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: give the folder of downloaded .ipynb files.")
    staged = [submissions.read(path, folder) for path in submissions.find(folder)]  # before anything runs
    if not staged:
        raise FileNotFoundError(f"No .ipynb file under {folder}.")
    limits = options.limits()
    cancel = threading.Event()
    grades = []
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool, \
            tqdm(total=len(staged), unit="notebook", desc=f"grading {checks.lab}", disable=not progress) as bar:
        futures = [pool.submit(_grade_safely, s, checks, limits, cancel) for s in staged]
        try:
            for future in as_completed(futures):
                grade = future.result()
                grades.append(grade)
                bar.set_postfix_str(f"{grade.student}: {grade.status}, {grade.total:g}/{checks.max_points:g}")
                bar.update()
        except BaseException:  # Ctrl-C: end every running notebook before leaving, write nothing
            cancel.set()
            for future in futures:
                future.cancel()
            raise
    gradebook.write(out_dir, checks, grades)
    return sorted(grades, key=lambda g: g.student)
