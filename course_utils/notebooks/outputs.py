"""Stored outputs a student can compare with: no machine paths, no tracebacks, no kernel stderr.

The committed .ipynb files of lectures/ and solutions/ carry the outputs students compare their own
run with. A path of the machine that ran them (a home or temporary folder, the repository's own
folder), a traceback (a failed download, a crashed cell) or what the kernel wrote to its standard
error (warnings, log lines) is noise to them, or hides a failure: ``output_problems`` finds them.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

MACHINE_PATH = re.compile(r"(?:/root/|/home/[^/\s'\"]+|/Users/[^/\s'\"]+|/tmp/|/var/folders/|[A-Za-z]:\\+Users\\+)")
TRACEBACK = "Traceback (most recent call last)"


def output_text(output: nbformat.NotebookNode) -> str:
    """The text of one output: a stream's text, a result's text/plain, or an error's traceback."""
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    if output.get("output_type") == "stream":
        return output.get("text", "")
    return output.get("data", {}).get("text/plain", "")


def output_problems(nb: nbformat.NotebookNode, label: str, root: Path | None = None) -> list[str]:
    """One message per stored output that names a machine path, holds a traceback or is kernel stderr.

    ``root``: the repository's folder, whose absolute path is a machine path too.
    """
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            text = output_text(output)
            where = f"{label} cell {index}"
            if output.get("output_type") == "error" or TRACEBACK in text:
                found.append(
                    f"{where} stores a traceback ({_first_line(text)}): the cell failed when the outputs were made."
                )
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(
                    f"{where} stores the kernel's standard error ({_first_line(text)}): silence it "
                    "or print to standard output."
                )
            match = MACHINE_PATH.search(text) or (root is not None and re.search(re.escape(str(root)), text))
            if match:
                found.append(
                    f"{where} stores a machine path ({_around(text, match.start())}): show paths "
                    "with course_utils.data.cache.display_path, or not at all."
                )
    if found:
        found.append(
            f"{label}: fix the cause in the .py source, then re-execute it: "
            "`python -m course_utils.notebooks run --in-place --profile cpu " + label + "`."
        )
    return found


def _first_line(text: str) -> str:
    lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines() if line.strip()]
    return (lines[-1] if lines else "empty")[:120]


def _around(text: str, position: int) -> str:
    return " ".join(text[max(0, position - 30) : position + 50].split())
