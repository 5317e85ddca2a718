"""nbval really guards the printed numbers: an edited stored output makes it fail."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
LECTURE = REPO / "lectures" / "01_perceptron_nand.ipynb"


def run_nbval(notebook: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--sanitize-with",
            str(REPO / "tests" / "nbval_sanitize.cfg"),
            str(notebook),
        ],
        capture_output=True,
        text=True,
        cwd=notebook.parent,
        timeout=600,
        env={**__import__("os").environ, "COURSE_PROFILE": "smoke"},
    )


@pytest.mark.kernel
def test_editing_the_nand_truth_table_output_fails_nbval(tmp_path):
    nb = nbformat.read(LECTURE, as_version=4)
    [table] = [c for c in nb.cells if c.cell_type == "code" and "NOT(A AND B)" in c.source]
    assert table.source.startswith("# NBVAL_CHECK_OUTPUT")
    stored = table.outputs[0].text
    assert " 1  1 |    -1 |          0 |            0" in stored
    table.outputs[0].text = stored.replace(" 1  1 |    -1 |          0 |", " 1  1 |    -1 |          1 |")
    edited = tmp_path / LECTURE.name
    nbformat.write(nb, edited)
    done = run_nbval(edited)
    assert done.returncode == 1, done.stdout
    assert "1 failed" in done.stdout
    shutil.copy(LECTURE, edited)  # the committed notebook, unedited, passes
    assert run_nbval(edited).returncode == 0
