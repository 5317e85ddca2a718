"""jupytext pairing: the percent-format .py is the source; the .ipynb carries the outputs.

The Colab badge, the install cell and the links to course files are written from the course manifest into
both files at sync, so a .py never keeps an install line or a repository the manifest no longer names.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs

from course_utils.manifest import Course
from course_utils.notebooks import colab, hygiene

PY_FORMAT = "py:percent"
HEADER = re.compile(r"\A# ---\n(?:#.*\n)*?# ---\n")  # jupytext's YAML header, kept as the author wrote it


def cell_sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(cell type, source) of every cell: what must agree between the two files of a pair."""
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def ipynb_for(py: Path) -> Path:
    return py.with_suffix(".ipynb")


def _read(py: Path, root: Path, course: Course) -> tuple[nbformat.NotebookNode, bool]:
    nb = jupytext.read(py)
    changed = colab.apply(nb, py.with_suffix(".ipynb").relative_to(root).as_posix(), course, root)
    return nb, changed


def read_source(py: Path, root: Path, course: Course) -> nbformat.NotebookNode:
    """The notebook a .py source describes, with the badge, install cell and course links the manifest gives."""
    return _read(py, root, course)[0]


def source_text(py: Path, nb: nbformat.NotebookNode) -> str:
    """The text of ``py`` for the cells of ``nb``, its header unchanged."""
    old = py.read_text(encoding="utf-8")
    header = HEADER.match(old)
    new = jupytext.writes(nb, fmt=PY_FORMAT)
    body = new[m.end() :] if (m := HEADER.match(new)) else new
    return (header[0] if header else "") + body


def sync(py: Path, root: Path, course: Course) -> list[Path]:
    """Write the .ipynb of ``py`` (its cells, the outputs of unchanged cells kept) and, where the manifest's
    badge, install cell or links differ from what ``py`` holds, ``py`` itself. Returns the files changed."""
    target = ipynb_for(py)
    nb, source_changed = _read(py, root, course)
    changed = [py] if source_changed else []
    if source_changed:
        py.write_text(source_text(py, nb), encoding="utf-8")
    if target.exists():
        old = nbformat.read(target, as_version=4)
        nb = combine_inputs_with_outputs(nb, old, fmt=PY_FORMAT)
    nb.metadata.setdefault("jupytext", {})["formats"] = f"ipynb,{PY_FORMAT}"
    text = nbformat.writes(hygiene.clean(nb)) + "\n"
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return changed
    target.write_text(text, encoding="utf-8")
    return [*changed, target]


def out_of_sync(py: Path, root: Path, course: Course) -> str | None:
    """None when the pair agrees with each other and with the manifest; otherwise what is wrong and the fix."""
    target = ipynb_for(py)
    if not target.exists():
        return f"{target} is missing: run `python -m course_utils.notebooks sync`."
    nb, source_drifted = _read(py, root, course)
    if source_drifted:
        return (
            f"{py}: its Colab badge, install cell or links to course files differ from what "
            f"{course.path.name} gives: run `python -m course_utils.notebooks sync`."
        )
    want = cell_sources(nb)
    have = cell_sources(nbformat.read(target, as_version=4))
    if want != have:
        first = next((i for i, (a, b) in enumerate(zip(want, have)) if a != b), min(len(want), len(have)))
        return (
            f"{target} differs from {py.name} at cell {first}: edit the .py, then run "
            "`python -m course_utils.notebooks sync` (and `run --in-place` to refresh outputs)."
        )
    return None
