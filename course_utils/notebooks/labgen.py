"""Student labs generated from the solution notebooks.

Code between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` becomes ``# YOUR CODE HERE`` followed by
``raise NotImplementedError``, indented like the BEGIN marker; all outputs are cleared.
"""

from __future__ import annotations

import copy
import re

import nbformat

from course_utils import manifest
from course_utils.notebooks import colab, hygiene

BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")


def stub_source(source: str) -> str:
    """Replace every solution block of one cell's source with the student stub."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise ValueError(f"line {number}: '# BEGIN SOLUTION' inside another solution block")
            indent = begin.group(1)
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError"]
            inside = True
        elif END.match(line):
            if not inside:
                raise ValueError(f"line {number}: '# END SOLUTION' without a '# BEGIN SOLUTION'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("a '# BEGIN SOLUTION' block is never closed by '# END SOLUTION'")
    return "\n".join(out)


def make_lab(
    solution: nbformat.NotebookNode, lab_relpath: str, course: manifest.Course | None = None
) -> nbformat.NotebookNode:
    """The student notebook for ``solution``, with its badge pointing at ``lab_relpath`` of ``course``
    (default: the packaged manifest's)."""
    lab = copy.deepcopy(solution)
    for index, cell in enumerate(lab.cells):
        if cell.cell_type == "code":
            try:
                cell.source = stub_source(cell.source)
            except ValueError as error:
                raise ValueError(f"{lab_relpath}, cell {index}: {error}") from None
            cell.outputs = []
            cell.execution_count = None
    lab.metadata.pop("jupytext", None)  # labs are not paired
    colab.apply(lab, lab_relpath, course or manifest.course())
    return hygiene.clean(lab)


def render(solution: nbformat.NotebookNode, lab_relpath: str, course: manifest.Course | None = None) -> str:
    """The exact file text of the generated lab (what a staleness check compares)."""
    return nbformat.writes(make_lab(solution, lab_relpath, course)) + "\n"
