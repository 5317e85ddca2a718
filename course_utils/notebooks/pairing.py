"""jupytext pairing: the percent-format .py is the source; the .ipynb carries the outputs."""
from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs

from course_utils.notebooks import colab, hygiene

PY_FORMAT = "py:percent"


def cell_sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(cell type, source) of every cell: what must agree between the two files of a pair."""
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def ipynb_for(py: Path) -> Path:
    return py.with_suffix(".ipynb")


def read_source(py: Path, root: Path) -> nbformat.NotebookNode:
    """The notebook a .py source describes, with the Colab badge and install cell for its path."""
    nb = jupytext.read(py)
    colab.apply(nb, py.with_suffix(".ipynb").relative_to(root).as_posix())
    return nb


def sync(py: Path, root: Path) -> bool:
    """Write the .ipynb of ``py``: its cells, the outputs of unchanged cells kept. True when it changed."""
    target = ipynb_for(py)
    nb = read_source(py, root)
    if target.exists():
        old = nbformat.read(target, as_version=4)
        nb = combine_inputs_with_outputs(nb, old, fmt=PY_FORMAT)
    nb.metadata.setdefault("jupytext", {})["formats"] = f"ipynb,{PY_FORMAT}"
    text = nbformat.writes(hygiene.clean(nb)) + "\n"
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    target.write_text(text, encoding="utf-8")
    return True


def out_of_sync(py: Path, root: Path) -> str | None:
    """None when the pair agrees; otherwise what is wrong and how to fix it."""
    target = ipynb_for(py)
    if not target.exists():
        return f"{target} is missing: run `python -m course_utils.notebooks sync`."
    want = cell_sources(read_source(py, root))
    have = cell_sources(nbformat.read(target, as_version=4))
    if want != have:
        first = next((i for i, (a, b) in enumerate(zip(want, have)) if a != b), min(len(want), len(have)))
        return (f"{target} differs from {py.name} at cell {first}: edit the .py, then run "
                "`python -m course_utils.notebooks sync` (and `run --in-place` to refresh outputs).")
    return None
