"""Notebook tooling: pairing, generated labs, metadata hygiene, Colab badges and the README's course map from
the manifest, fork, execution summary."""

import json
import re
import textwrap
from pathlib import Path

import jupytext
import nbformat
import pytest

from course_utils import manifest
from course_utils.notebooks import __main__ as cli
from course_utils.notebooks import colab, hygiene, labgen, readme

REPO = Path(__file__).resolve().parents[1]
UPSTREAM = manifest.course().repository

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


def entry(section: str, kind: str, notebook: str) -> str:
    return (
        f'[[{section}]]\nid = "{kind}{notebook[:2]}"\nnotebook = "{notebook}"\ntitle = "{notebook} title"\n'
        f'learn = "what {notebook} teaches"\n'
    )


def write_manifest(root: Path, lectures: list[str], labs: list[str]) -> Path:
    """The course's own manifest (repository, profiles) with these lectures and labs instead of its own."""
    text = manifest.PATH.read_text(encoding="utf-8")
    head = text[: text.index("[[lectures]]")]
    path = root / manifest.RELATIVE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        head
        + "\n".join([*(entry("lectures", "lecture", n) for n in lectures), *(entry("labs", "lab", n) for n in labs)]),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def course(tmp_path):
    """A minimal course tree with one lecture and one solution, synced."""
    for folder in (manifest.LECTURES_DIR, manifest.SOLUTIONS_DIR, manifest.LABS_DIR):
        (tmp_path / folder).mkdir()
    (tmp_path / "solutions" / "99_tiny.py").write_text(SOLUTION)
    (tmp_path / "lectures" / "99_talk.py").write_text("# %% [markdown]\n# # Talk\n\n# %%\nprint('hi')\n")
    (tmp_path / "course_utils").mkdir()
    (tmp_path / "course_utils" / "conv.py").write_text("")  # a course file the talk links to
    write_manifest(tmp_path, ["99_talk"], ["99_tiny"])
    (tmp_path / "README.md").write_text(
        "# A course\n\n" + "\n\n".join(f"{readme._begin(name)}\n{readme._end(name)}" for name in readme.SECTIONS) + "\n"
    )
    cli.sync(tmp_path)
    return tmp_path


def test_the_course_itself_is_in_sync():
    """Every pair agrees, every lab is freshly generated, all metadata is clean."""
    assert cli.problems(REPO) == []


def test_stub_replaces_solution_blocks_keeping_indentation():
    source = "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\nf()"
    assert labgen.stub_source(source) == "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError\nf()"


@pytest.mark.parametrize(
    "source, problem",
    [
        ("# BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n# END SOLUTION", "without a '# BEGIN SOLUTION'"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside another"),
    ],
)
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
    nb.metadata.update(
        widgets={"state": {}}, vscode={}, kernelspec={"name": "python3"}, accelerator="GPU", colab={"gpuType": "T4"}
    )
    assert not hygiene.is_clean(nb)
    hygiene.clean(nb)
    assert set(nb.metadata) == {"kernelspec", "accelerator", "colab"}
    assert nb.cells[0].metadata == {"tags": ["x"]} and nb.cells[0].id == "c000"
    assert hygiene.is_clean(nb)


def test_fork_changes_one_value_of_the_manifest_and_everything_follows(course):
    talk = course / "lectures" / "99_talk.py"
    talk.write_text(
        talk.read_text().replace(
            "# # Talk",
            f"# # Talk\n# See [conv.py](https://github.com/{UPSTREAM}/blob/main/course_utils/conv.py) and "
            "[keras](https://github.com/keras-team/keras/blob/master/keras/api/__init__.py).",
        )
    )
    cli.sync(course)
    before = (course / manifest.RELATIVE_PATH).read_text().splitlines()
    changed = cli.fork(course, "my-school/dl-astro-2027")
    after = (course / manifest.RELATIVE_PATH).read_text().splitlines()
    assert [(a, b) for a, b in zip(before, after) if a != b] == [
        (
            f'repository = "{UPSTREAM}"  # GitHub OWNER/NAME',
            'repository = "my-school/dl-astro-2027"  # GitHub OWNER/NAME',
        )
    ]
    assert len(before) == len(after)
    assert str(course / "README.md") in changed and str(talk) in changed
    for path in [course / "README.md", *course.glob("*/*.ipynb"), *course.glob("*/*.py")]:
        assert UPSTREAM not in path.read_text(), path
    lab = (course / "labs" / "99_tiny.ipynb").read_text()
    assert "colab.research.google.com/github/my-school/dl-astro-2027/blob/main/labs/99_tiny.ipynb" in lab
    assert "git+https://github.com/my-school/dl-astro-2027@v" in lab
    assert "github.com/my-school/dl-astro-2027/blob/main/course_utils/conv.py" in talk.read_text()
    assert "github.com/keras-team/keras/blob/master/keras/api/__init__.py" in talk.read_text()  # not a course file
    assert cli.problems(course) == []
    with pytest.raises(SystemExit, match="OWNER/REPO"):
        cli.fork(course, "not a repo")


def test_readme_course_map_is_written_from_the_manifest_and_drift_is_reported(course):
    text = (course / "README.md").read_text()
    assert (
        "| Lab 99 | [99_tiny title](labs/99_tiny.ipynb) ([solution](solutions/99_tiny.ipynb)) | what 99_tiny teaches |"
        in text
    )
    assert f"(https://colab.research.google.com/github/{UPSTREAM}/blob/main/lectures/99_talk.ipynb)" in text
    cpu = manifest.course().profiles["cpu"]
    assert f"| `cpu` | {cpu.where} | {cpu.meaning} |" in text
    (course / "README.md").write_text(text.replace("what 99_tiny teaches", "edited by hand"))
    [problem] = cli.problems(course)
    assert "course map or profile table differs from course.toml" in problem
    cli.sync(course)
    assert cli.problems(course) == []
    (course / "README.md").write_text("# A course without its map\n")
    assert any("README.md has no course map" in p for p in cli.problems(course))


def test_the_course_readme_map_is_the_manifests():
    """Every lecture and lab of the manifest has its row, in order, with the badge of what students open."""
    rows = [line for line in (REPO / "README.md").read_text().splitlines() if re.match(r"\| (Lecture|Lab) \d\d ", line)]
    assert len(rows) == len(manifest.course().notebooks)
    for row, nb in zip(rows, manifest.course().notebooks):
        assert f"[{nb.title}]({nb.student})" in row and colab.badge(nb.student, manifest.course()) in row


def test_a_notebook_outside_the_manifest_or_a_missing_source_is_reported(course):
    (course / "solutions" / "98_extra.py").write_text(SOLUTION)
    [problem] = cli.problems(course)
    assert "98_extra.py is not in course.toml" in problem and "Add a lab" in problem
    (course / "solutions" / "98_extra.py").unlink()
    write_manifest(course, ["99_talk"], ["97_gone", "99_tiny"])
    assert any("solutions/97_gone.py is missing" in p for p in cli.problems(course))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--root", str(course), "sync"])
    assert exit_info.value.code == 2


def test_sync_rewrites_a_stale_install_line_in_the_py_source(course):
    """The .py keeps the badge and install cell too: a stale one (an old release, a branch) is rewritten."""
    tiny = course / "solutions" / "99_tiny.py"
    release = manifest.course().install
    tiny.write_text(tiny.read_text().replace(release, release.rsplit("@", 1)[0] + "@main"))
    [problem] = cli.problems(course)
    assert "99_tiny.py: its Colab badge, install cell" in problem
    assert cli.sync(course) == [str(tiny)]  # the .ipynb and the lab already had the right line
    assert release in tiny.read_text() and "@main" not in tiny.read_text()
    assert cli.problems(course) == []


def test_sync_leaves_the_course_sources_as_they_are():
    """A .py whose badge and install cell are current is not rewritten: jupytext's round trip changes nothing
    but the header, which sync keeps."""
    from course_utils.notebooks import pairing

    for nb in manifest.course().notebooks:
        py = REPO / nb.source
        assert pairing.source_text(py, jupytext.read(py)) == py.read_text(), py


@pytest.mark.kernel
def test_run_writes_executed_copies_and_summary(course, capfd):
    (course / "lectures" / "99_talk.py").write_text(
        "# %%\nimport course_utils\ncourse_utils.record('answer', 42.0)\n\n# %%\nraise RuntimeError('broken cell')\n"
    )
    (course / "lectures" / "98_fine.py").write_text(
        "# %%\nimport os\nos.write(2, b'C++ library chatter\\n')\nprint('fine')\n"
    )
    write_manifest(course, ["98_fine", "99_talk"], ["99_tiny"])
    cli.sync(course)
    notebooks = [course / "lectures" / "98_fine.ipynb", course / "lectures" / "99_talk.ipynb"]
    results = cli.run(course, notebooks, "smoke", in_place=False, build=course / "build")
    # What the kernel process writes below Python goes to its log, not to the instructor's terminal.
    assert "C++ library chatter" not in capfd.readouterr().err
    assert "C++ library chatter" in (course / "build" / "logs" / "lectures" / "98_fine.log").read_text()
    assert [r.status for r in results] == ["ok", "cell-error"]  # one notebook failed, the other still ran
    assert all(r.peak_memory_gb > 0 for r in results)
    summary = json.loads((course / "build" / "summary.json").read_text())
    by_name = {Path(r["notebook"]).name: r for r in summary["notebooks"]}
    assert by_name["98_fine.ipynb"]["status"] == "ok"
    assert by_name["99_talk.ipynb"]["status"] == "cell-error"
    assert "broken cell" in by_name["99_talk.ipynb"]["error"]
    assert by_name["99_talk.ipynb"]["metrics"] == {"answer": 42.0}
    assert (course / "build" / "executed" / "lectures" / "98_fine.ipynb").exists()
    assert "answer = 42" in (course / "build" / "summary.md").read_text()
