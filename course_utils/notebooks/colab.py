"""What a notebook needs in Colab, written from the course manifest: the Open-in-Colab badge, the install cell,
and links to the course's own files on GitHub (Colab has no checkout next to the notebook)."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import nbformat

from course_utils.manifest import Course

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_PATTERN = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
INSTALL_MARKER = "# Google Colab only: install the course package"
GITHUB_BLOB = re.compile(
    r"https://github\.com/[A-Za-z0-9-]+/[A-Za-z0-9._-]+/blob/[A-Za-z0-9._-]+/"
    r"(?P<path>[A-Za-z0-9_./-]+\.[A-Za-z0-9]+)"
)


def badge(relpath: str, course: Course) -> str:
    """Markdown badge opening ``relpath`` (e.g. "labs/02_mnist_cnn.ipynb") of the course's branch in Colab."""
    url = f"https://colab.research.google.com/github/{course.repository}/blob/{course.branch}/{PurePosixPath(relpath)}"
    return f"[![Open In Colab]({BADGE_IMAGE})]({url})"


def install_source(course: Course) -> str:
    """Source of the first code cell: pip-installs the course's release only inside Colab.

    The core dependencies only: what Colab preinstalls stays as it is (tests/test_colab_install.py).
    """
    return (
        f"{INSTALL_MARKER} (elsewhere the README's set-up did it).\n"
        "import subprocess, sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q",\n'
        f'                    "{course.install}"], check=True)'
    )


def course_links(text: str, course: Course, root: Path) -> str:
    """``text`` with every GitHub link to a file of the course checkout at ``root`` pointing at the
    manifest's repository and branch (links to other repositories' files stay)."""

    def repoint(match: re.Match) -> str:
        path = match["path"]
        return course.github_blob(path) if (root / path).is_file() else match[0]

    return GITHUB_BLOB.sub(repoint, text)


def apply(nb: nbformat.NotebookNode, relpath: str, course: Course, root: Path | None = None) -> bool:
    """Put the badge at the top of the first markdown cell and the install cell first among code cells; with
    ``root`` (the checkout), point markdown links to course files at the course's repository.

    Returns True when the notebook changed.
    """
    changed = False
    line = badge(relpath, course)
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != "markdown":
        first = nbformat.v4.new_markdown_cell(line)
        nb.cells.insert(0, first)
        changed = True
    elif BADGE_PATTERN.search(first.source):
        new = BADGE_PATTERN.sub(line, first.source, count=1)
        changed |= new != first.source
        first.source = new
    else:
        first.source = line + "\n\n" + first.source
        changed = True
    source = install_source(course)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    if code_cells and code_cells[0].source.startswith(INSTALL_MARKER):
        if code_cells[0].source != source:
            code_cells[0].source = source
            changed = True
    else:
        nb.cells.insert(1, nbformat.v4.new_code_cell(source))
        changed = True
    if root is not None:
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                new = course_links(cell.source, course, root)
                changed |= new != cell.source
                cell.source = new
    return changed
