"""What the grader leaves behind: gradebook.csv, one feedback file per student, and a summary.

Only the grader's own process writes here, once, after every notebook has run; each file is written
to a temporary name and renamed into place, so a half-written gradebook never exists and whatever a
notebook may have written at these paths is replaced.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from course_utils.grading.checkset import CheckSet
from course_utils.grading.sandbox import Isolation
from course_utils.grading.score import STATUSES, Grade

GRADEBOOK = "gradebook.csv"
FEEDBACK_DIR = "feedback"


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def feedback_name(student: str) -> str:
    """File name of a student's feedback ("group2/bob" -> "group2__bob.md")."""
    return student.replace("/", "__") + ".md"


def csv_text(checks: CheckSet, grades: list[Grade]) -> str:
    """The gradebook: one row per student; points per question (named by question), total, status, and
    whether the notebook ran in the sandbox ("sandbox") or not ("NOT ISOLATED")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *(q.name for q in checks.questions), "total", "status", "isolation"])
    for grade in sorted(grades, key=lambda g: g.student):
        writer.writerow(
            [
                grade.student,
                *(f"{grade.results[q.qid].points:g}" for q in checks.questions),
                f"{grade.total:g}",
                grade.status,
                "sandbox" if grade.isolated else "NOT ISOLATED",
            ]
        )
    return out.getvalue()


def feedback_text(checks: CheckSet, grade: Grade) -> str:
    """A student's feedback in Markdown: score, status, each question's result, the cells that failed."""
    lines = [
        f"# {checks.lab}: feedback for {grade.student}",
        "",
        f"**Score: {grade.total:g} / {checks.max_points:g}**, status `{grade.status}` ({STATUSES[grade.status]}).",
        "",
    ]
    if grade.detail:
        lines += [grade.detail, ""]
    lines += ["## Questions", ""]
    for q in checks.questions:
        result = grade.results[q.qid]
        mark = "\u2714" if result.passed else "\u2718"
        kind = ", hidden check" if q.hidden else ""
        lines.append(f"- {mark} **{q.name}** ({result.points:g} / {q.points:g}{kind}): {result.message}")
    if grade.cell_errors:
        lines += ["", "## Cells that raised an error", ""]
        lines += [f"- {error}" for error in grade.cell_errors]
    return "\n".join(lines) + "\n"


def write(out_dir: Path, checks: CheckSet, grades: list[Grade]) -> Path:
    """Write gradebook.csv and feedback/<student>.md under ``out_dir`` (replacing an older run's);
    return the gradebook's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".{FEEDBACK_DIR}."))
    for grade in grades:
        (fresh / feedback_name(grade.student)).write_text(feedback_text(checks, grade), encoding="utf-8")
    target = out_dir / FEEDBACK_DIR
    if target.exists():
        old = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".{FEEDBACK_DIR}.old."))
        os.replace(target, old / FEEDBACK_DIR)
        shutil.rmtree(old)
    os.replace(fresh, target)
    gradebook = out_dir / GRADEBOOK
    _atomic_write(gradebook, csv_text(checks, grades))
    return gradebook


def summary(checks: CheckSet, grades: list[Grade], profile: str, isolation: Isolation) -> str:
    """A few lines for the terminal: isolation, statuses, mean score, and how many passed each question."""
    n = len(grades)
    statuses = Counter(g.status for g in grades)
    mean = sum(g.total for g in grades) / n if n else 0.0
    hidden = sum(q.hidden for q in checks.questions)
    lines = [
        f"{checks.lab} ({profile} profile): {n} notebook(s), mean score {mean:.2f} / {checks.max_points:g}",
        ("" if isolation.sandboxed else "WARNING: ") + isolation.describe(),
        "status: " + ", ".join(f"{status} {count}" for status, count in statuses.most_common()),
        f"hidden checks: {hidden} question(s) from {checks.hidden_path}"
        if checks.hidden_path
        else "hidden checks: none (pass --hidden FILE to add them)",
    ]
    width = max(len(q.name) for q in checks.questions)
    for q in checks.questions:
        passed = sum(g.results[q.qid].passed for g in grades)
        hidden = " (hidden)" if q.hidden else ""
        lines.append(f"  {q.name:<{width}}  {q.points:>4g} pt  passed by {passed}/{n}{hidden}")
    return "\n".join(lines)
