"""Notebook tooling: pairing, generated labs, metadata hygiene, Colab badges, fork, execution summary."""
import json
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

from course_utils.notebooks import __main__ as cli
from course_utils.notebooks import colab, config, hygiene, labgen

REPO = Path(__file__).resolve().parents[1]

SOLUTION = textwrap.dedent('''\
    # %% [markdown]
    # # Lab 99 — a tiny lab

    # %%
    import course_utils

    runtime = course_utils.setup()

    # %%
    def double(x):
        """Twice x."""
        # BEGIN SOLUTION
        y = 2 * x
        return y
        # END SOLUTION

    # %%
    # NBVAL_CHECK_OUTPUT
    print(double(21))
    ''')


@pytest.fixture
def course(tmp_path):
    """A minimal course tree with one lecture and one solution, synced."""
    for folder in (*config.NOTEBOOK_DIRS, config.LABS_DIR):
        (tmp_path / folder).mkdir()
    (tmp_path / "solutions" / "99_tiny.py").write_text(SOLUTION)
    (tmp_path / "lectures" / "99_talk.py").write_text("# %% [markdown]\n# # Talk\n\n# %%\nprint('hi')\n")
    cli.sync(tmp_path)
    return tmp_path


def test_the_course_itself_is_in_sync():
    """Every pair agrees, every lab is freshly generated, all metadata is clean."""
    assert cli.problems(REPO) == []


def test_stub_replaces_solution_blocks_keeping_indentation():
    source = "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\nf()"
    assert labgen.stub_source(source) == "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError\nf()"


@pytest.mark.parametrize("source, problem", [
    ("# BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n# END SOLUTION", "without a '# BEGIN SOLUTION'"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside another"),
])
def test_unbalanced_markers_are_reported(source, problem):
    with pytest.raises(ValueError, match=problem):
        labgen.stub_source(source)


def test_generated_lab_has_stubs_badge_and_no_outputs(course):
    lab = nbformat.read(course / "labs" / "99_tiny.ipynb", as_version=4)
    text = "\n".join(c.source for c in lab.cells)
    assert "raise NotImplementedError" in text and "y = 2 * x" not in text
    assert "blob/main/labs/99_tiny.ipynb" in lab.cells[0].source
    assert all(not c.outputs for c in lab.cells if c.cell_type == "code")
    assert lab.cells[1].source.startswith(colab.INSTALL_MARKER)


def test_edited_source_means_unsynced_pair(course):
    py = course / "lectures" / "99_talk.py"
    py.write_text(py.read_text().replace("print('hi')", "print('hello')"))
    [problem] = cli.problems(course)
    assert "99_talk.ipynb differs from 99_talk.py" in problem
    cli.sync(course)
    assert cli.problems(course) == []


def test_hand_edited_or_stale_lab_is_reported(course):
    lab = course / "labs" / "99_tiny.ipynb"
    lab.write_text(lab.read_text().replace("YOUR CODE HERE", "my answer"))
    assert any("99_tiny.ipynb is stale" in p for p in cli.problems(course))
    solution = course / "solutions" / "99_tiny.py"
    cli.sync(course)
    solution.write_text(solution.read_text().replace("2 * x", "x + x"))
    cli.sync(course)  # regenerates the lab too
    assert cli.problems(course) == []


def test_sync_keeps_outputs_of_unchanged_cells(course):
    ipynb = course / "lectures" / "99_talk.ipynb"
    nb = nbformat.read(ipynb, as_version=4)
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    nbformat.write(nb, ipynb)
    cli.sync(course)
    assert nbformat.read(ipynb, as_version=4).cells[-1].outputs[0].text == "hi\n"


def test_hygiene_drops_editor_noise_and_keeps_colab_settings():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", metadata={"ExecuteTime": {}, "tags": ["x"]})])
    nb.metadata.update(widgets={"state": {}}, vscode={}, kernelspec={"name": "python3"},
                       accelerator="GPU", colab={"gpuType": "T4"})
    assert not hygiene.is_clean(nb)
    hygiene.clean(nb)
    assert set(nb.metadata) == {"kernelspec", "accelerator", "colab"}
    assert nb.cells[0].metadata == {"tags": ["x"]} and nb.cells[0].id == "c000"
    assert hygiene.is_clean(nb)


def test_fork_repoints_badges_install_cells_and_readme(course):
    (course / "README.md").write_text(f"[badge](https://github.com/{config.REPOSITORY})\n")
    (course / "course_utils" / "notebooks").mkdir(parents=True)
    shutil.copy(REPO / "course_utils" / "notebooks" / "config.py", course / "course_utils" / "notebooks" / "config.py")
    changed = cli.fork(course, "my-school/dl-astro-2027")
    assert course / "README.md" in changed
    for path in [course / "README.md", *course.glob("*/*.ipynb"), *course.glob("*/*.py")]:
        assert config.REPOSITORY not in path.read_text(), path
    assert "github.com/my-school/dl-astro-2027" in (course / "labs" / "99_tiny.ipynb").read_text()
    with pytest.raises(SystemExit, match="OWNER/REPO"):
        cli.fork(course, "not a repo")


@pytest.mark.kernel
def test_run_writes_executed_copies_and_summary(course, capfd):
    (course / "lectures" / "99_talk.py").write_text(
        "# %%\nimport course_utils\ncourse_utils.record('answer', 42.0)\n\n# %%\nraise RuntimeError('broken cell')\n")
    (course / "lectures" / "98_fine.py").write_text(
        "# %%\nimport os\nos.write(2, b'C++ library chatter\\n')\nprint('fine')\n")
    cli.sync(course)
    notebooks = [course / "lectures" / "98_fine.ipynb", course / "lectures" / "99_talk.ipynb"]
    results = cli.run(course, notebooks, "smoke", in_place=False, build=course / "build")
    # What the kernel process writes below Python goes to its log, not to the instructor's terminal.
    assert "C++ library chatter" not in capfd.readouterr().err
    assert "C++ library chatter" in (course / "build" / "logs" / "lectures" / "98_fine.log").read_text()
    assert [r.status for r in results] == ["ok", "error"]  # one notebook failed, the other still ran
    assert all(r.peak_memory_gb > 0 for r in results)
    summary = json.loads((course / "build" / "summary.json").read_text())
    by_name = {Path(r["notebook"]).name: r for r in summary["notebooks"]}
    assert by_name["98_fine.ipynb"]["status"] == "ok"
    assert by_name["99_talk.ipynb"]["status"] == "error"
    assert "broken cell" in by_name["99_talk.ipynb"]["error"]
    assert by_name["99_talk.ipynb"]["metrics"] == {"answer": 42.0}
    assert (course / "build" / "executed" / "lectures" / "98_fine.ipynb").exists()
    assert "answer = 42" in (course / "build" / "summary.md").read_text()
