"""Submitted notebooks: find them, read each once, and tell which lab a notebook belongs to.

Every submission is read into memory before any notebook runs and only these copies are graded, so
a notebook that rewrites or deletes files in the submissions folder changes no one's grade.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

NOTEBOOK_LINK = re.compile(r"\b(\d\d)_[A-Za-z0-9_]+\.ipynb\b")  # the badge: labs/01_foundations.ipynb
LAB_LITERAL = re.compile(r"""["']lab(\d\d)["']""")  # check("lab01", ...)


@dataclass(frozen=True)
class Submission:
    """One student's notebook: outputs cleared, or ``problem`` saying why it cannot be graded."""

    student: str
    path: Path
    notebook: nbformat.NotebookNode | None
    problem: str = ""


def find(folder: Path) -> list[Path]:
    """Every .ipynb under ``folder`` (subfolders too, Jupyter checkpoints excluded), sorted."""
    return sorted(p for p in Path(folder).rglob("*.ipynb") if p.is_file() and ".ipynb_checkpoints" not in p.parts)


def student_id(path: Path, folder: Path) -> str:
    """The student a file belongs to: its path under ``folder`` without ``.ipynb`` ("alice", "group2/bob")."""
    return Path(path).relative_to(folder).with_suffix("").as_posix()


def read(path: Path, folder: Path) -> Submission:
    """Read and check one submitted file; never raises for a bad file."""
    student = student_id(path, folder)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return Submission(student, path, None, f"Cannot read the file as UTF-8 text ({error})")
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        return Submission(
            student,
            path,
            None,
            f"Not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg}): the file may be cut short or not a notebook",
        )
    if not isinstance(content, dict) or "nbformat" not in content:
        return Submission(student, path, None, "JSON, but not a notebook (no 'nbformat' field)")
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises ValueError, KeyError, AttributeError... on a damaged notebook
        return Submission(student, path, None, f"Not a readable notebook ({type(error).__name__}: {error})"[:300])
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell.outputs = []
            cell.execution_count = None
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        return Submission(student, path, None, f"Not a valid notebook: {error.message[:200]}")
    return Submission(student, path, notebook)


def lab_evidence(notebook: nbformat.NotebookNode) -> Counter:
    """How often each lab id is named: by links to a lab notebook (the Colab badge) in markdown cells
    and by "labNN" strings (the ``check`` calls) in code cells."""
    found: Counter = Counter()
    for cell in notebook.cells:
        pattern = NOTEBOOK_LINK if cell.cell_type == "markdown" else LAB_LITERAL
        if cell.cell_type in ("markdown", "code"):
            found.update(f"lab{number}" for number in pattern.findall(cell.source))
    return found


def other_lab(notebook: nbformat.NotebookNode, lab: str) -> str | None:
    """The lab this notebook belongs to when that is clearly not ``lab`` (named more often), else None.
    A notebook that names no lab at all is graded: the checks decide."""
    found = lab_evidence(notebook)
    if not found:
        return None
    best, count = found.most_common(1)[0]
    return best if count > found[lab] else None


def describe_cell(notebook: nbformat.NotebookNode, index: int) -> str:
    """How a student finds cell ``index``: its position and first line of code."""
    if not 0 <= index < len(notebook.cells):
        return f"cell {index + 1}"
    lines = [line.strip() for line in notebook.cells[index].source.splitlines() if line.strip()]
    first = next((line for line in lines if not line.startswith("#")), lines[0] if lines else "")
    if len(first) > 60:
        first = first[:57] + "..."
    return f"cell {index + 1} (`{first}`)" if first else f"cell {index + 1}"
