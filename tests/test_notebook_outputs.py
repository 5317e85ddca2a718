"""The stored-output check: committed notebooks carry no machine paths, tracebacks or kernel stderr."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course_utils.data.cache import display_path
from course_utils.notebooks.outputs import output_problems


def notebook(*outputs) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_code_cell("x = 1", outputs=list(outputs))])


def stdout(text):
    return new_output("stream", name="stdout", text=text)


@pytest.mark.parametrize(
    "output, problem",
    [
        (stdout("data cached at /root/.cache/course-data/mnist.npz\n"), "machine path"),
        (stdout("reading /home/alice/data/Galaxy10.h5\n"), "machine path"),
        (stdout("lens stamps from /tmp/lab04-lenses-x1y2: 400 images\n"), "machine path"),
        (
            new_output("execute_result", data={"text/plain": "PosixPath('/Users/bob/x')"}, execution_count=1),
            "machine path",
        ),
        (new_output("stream", name="stderr", text="WARNING: something\n"), "standard error"),
        (
            new_output(
                "error",
                ename="DownloadError",
                evalue="no network",
                traceback=["Traceback (most recent call last)", "DownloadError: no network"],
            ),
            "traceback",
        ),
        (stdout("Traceback (most recent call last):\n  File ...\nConnectionError\n"), "traceback"),
    ],
)
def test_each_kind_of_noise_is_found_and_named(output, problem):
    found = output_problems(notebook(output), "solutions/99.ipynb")
    assert any(problem in message and "cell 0" in message for message in found)
    assert "run --in-place" in found[-1]  # how to fix it


def test_clean_outputs_and_shown_paths_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    shown = display_path(tmp_path / ".cache" / "course-data" / "mnist.npz")
    assert shown == "~/.cache/course-data/mnist.npz"
    outputs = [
        stdout(f"MNIST from https://storage.googleapis.com/x/mnist.npz (cached at {shown})\n"),
        new_output("execute_result", data={"text/plain": "0.98"}, execution_count=1),
    ]
    assert output_problems(notebook(*outputs), "solutions/99.ipynb") == []


def test_the_repository_folder_is_a_machine_path(tmp_path):
    found = output_problems(notebook(stdout(f"wrote {tmp_path / 'build' / 'x.csv'}\n")), "x.ipynb", root=tmp_path)
    assert any("machine path" in message for message in found)
