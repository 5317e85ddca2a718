"""The Open-in-Colab badge and the Colab install cell that open every notebook."""
from __future__ import annotations

import re
from pathlib import PurePosixPath

import nbformat

from course_utils.notebooks import config

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_PATTERN = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
INSTALL_MARKER = "# Google Colab only: install the course package"


def badge(relpath: str, repository: str = config.REPOSITORY) -> str:
    """Markdown badge opening ``relpath`` (e.g. "labs/02_mnist_cnn.ipynb") of the repository in Colab."""
    url = f"https://colab.research.google.com/github/{repository}/blob/{config.BRANCH}/{PurePosixPath(relpath)}"
    return f"[![Open In Colab]({BADGE_IMAGE})]({url})"


def install_url(repository: str = config.REPOSITORY, release: str = config.RELEASE) -> str:
    """pip's URL of the course package at ``release`` (a git tag) of the GitHub ``repository``."""
    return f"git+https://github.com/{repository}@{release}"


def install_requirement(url: str | None = None) -> str:
    """The requirement Colab's install cell passes to pip (``url`` defaults to the release's git URL).

    The core dependencies only: what Colab preinstalls stays as it is (tests/test_colab_install.py).
    """
    return f"course-utils @ {url or install_url()}"


def install_source(repository: str = config.REPOSITORY) -> str:
    """Source of the first code cell: pip-installs the course's release only inside Colab."""
    return (
        f"{INSTALL_MARKER} (elsewhere the README's set-up did it).\n"
        "import subprocess, sys\n"
        "\n"
        "if \"google.colab\" in sys.modules:\n"
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\",\n"
        f"                    \"{install_requirement(install_url(repository))}\"], check=True)"
    )


def apply(nb: nbformat.NotebookNode, relpath: str, repository: str = config.REPOSITORY) -> bool:
    """Put the badge at the top of the first markdown cell and the install cell first among code cells.

    Returns True when the notebook changed.
    """
    changed = False
    line = badge(relpath, repository)
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
    source = install_source(repository)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    if code_cells and code_cells[0].source.startswith(INSTALL_MARKER):
        if code_cells[0].source != source:
            code_cells[0].source = source
            changed = True
    else:
        nb.cells.insert(1, nbformat.v4.new_code_cell(source))
        changed = True
    return changed
