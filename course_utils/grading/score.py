"""A student's grade: the status of the run, points per question, and what to tell the student.

Points come from the instructor's question list and the judge's verdicts (``judge``), which the
notebook never sees, so nothing a notebook prints or does can change what a question is worth. A
question that could not be verified (the run stopped, the notebook was of another lab) scores zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from course_utils.grading import submissions
from course_utils.grading.checkset import CheckSet
from course_utils.grading.supervise import Execution
from course_utils.notebooks.execute import Limits, Outcome

STATUSES = {
    "ok": "ran to the end; every question was scored",
    "cell-timeout": "a cell ran past the per-cell time limit and was interrupted; the rest ran and was scored",
    "timeout": "stopped at the total time limit; nothing could be verified",
    "memory-limit": "stopped for using more memory than allowed; nothing could be verified",
    "kernel-died": "the Python kernel crashed or was killed; nothing could be verified",
    "invalid-notebook": "the file is not a readable notebook; not run",
    "wrong-lab": "the notebook belongs to another lab; not run",
    "grader-error": "the grader could not run the notebook (see the detail); not scored",
}


@dataclass(frozen=True)
class QuestionResult:
    passed: bool
    points: float
    message: str


@dataclass
class Grade:
    """One student's result. ``detail`` says in one or two sentences what happened and what to do."""

    student: str
    status: str
    results: dict[str, QuestionResult]
    detail: str = ""
    cell_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    peak_memory: int = 0
    isolated: bool = True  # run in the sandbox (False: without one, see sandbox.Isolation)

    @property
    def total(self) -> float:
        return sum(r.points for r in self.results.values())


def unverified(checks: CheckSet, why: str) -> dict[str, QuestionResult]:
    """Zero for every question, each saying why it could not be checked."""
    return {q.qid: QuestionResult(False, 0.0, why) for q in checks.questions}


def rejected(student: str, checks: CheckSet, status: str, detail: str) -> Grade:
    """The grade of a notebook that was not run."""
    return Grade(student, status, unverified(checks, f"not checked: {STATUSES[status]}"), detail)


def _stopped_detail(execution: Execution, notebook, limits: Limits) -> str:
    where = (
        "while its answers were being checked (its functions called by the checks)"
        if execution.judging
        else "while " + submissions.describe_cell(notebook, execution.running_cell) + " was running"
        if execution.running_cell is not None
        else "before its first cell ran"
    )
    if execution.outcome == Outcome.TIMEOUT:
        return (
            f"Stopped after {limits.total_seconds:g} s (the total time limit) {where}. Make sure every "
            "cell finishes (no endless loop, no waiting for input) and that the notebook runs within "
            "the limit from a fresh start."
        )
    if execution.outcome == Outcome.MEMORY_LIMIT:
        return (
            f"Stopped for using {execution.peak_memory / 2**30:.2f} GB of memory {where}; "
            f"the limit is {limits.memory_bytes / 2**30:g} GB. Use smaller arrays or batches there."
        )
    if execution.outcome == Outcome.KERNEL_DIED:
        return (
            f"The Python kernel stopped ({execution.detail}) {where}. Run the notebook from a fresh "
            "start (Runtime > Restart session and run all) to see which cell crashes it."
        )
    return f"The grader could not run this notebook: {execution.detail}"


def from_execution(student: str, checks: CheckSet, notebook, execution: Execution, limits: Limits) -> Grade:
    """Score a notebook that was run: points from the judge's results, status from the run."""
    errors = [
        f"{submissions.describe_cell(notebook, c['index'])}: "
        + ("interrupted after the per-cell time limit" if c["timed_out"] else c["error"])
        for c in execution.cells
    ]
    base = dict(cell_errors=errors, seconds=execution.seconds, peak_memory=execution.peak_memory)
    if execution.outcome != Outcome.OK:
        stopped = (Outcome.TIMEOUT, Outcome.MEMORY_LIMIT, Outcome.KERNEL_DIED)  # their grade statuses: the same words
        status = execution.outcome.value if execution.outcome in stopped else "grader-error"
        return Grade(
            student,
            status,
            unverified(checks, f"not checked: {STATUSES[status]}"),
            _stopped_detail(execution, notebook, limits),
            **base,
        )
    results = {}
    for q in checks.questions:
        answer = execution.results.get(q.qid)
        if not isinstance(answer, dict) or not isinstance(answer.get("message"), str):
            results[q.qid] = QuestionResult(False, 0.0, "not checked: the judge skipped this question")
            continue
        passed = answer.get("passed") is True
        results[q.qid] = QuestionResult(passed, q.points if passed else 0.0, answer["message"])
    timed_out = [c for c in execution.cells if c["timed_out"]]
    if timed_out:
        cells = ", ".join(submissions.describe_cell(notebook, c["index"]) for c in timed_out)
        return Grade(
            student,
            "cell-timeout",
            results,
            f"{cells} ran past the per-cell time limit and was interrupted; the cells after it ran "
            "and were scored. Make that cell finish faster.",
            **base,
        )
    return Grade(student, "ok", results, **base)
