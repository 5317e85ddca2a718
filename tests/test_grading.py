"""The grader: solutions score full marks, generated labs zero, and every way a notebook can go wrong
costs only that notebook's own points.

Most tests use the fixture lab in tests/fixtures/grading (lab99: two exercises, one hidden check, no
TensorFlow, about a second per kernel); one grades the real lab 01. Kernel runs are grouped into two
graded folders (module fixtures) run with --jobs 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import jupytext
import nbformat
import psutil
import pytest

from course_utils.grading import __main__ as cli
from course_utils.grading import checkset, gradebook, grader, sandbox, submissions
from course_utils.grading.score import Grade, QuestionResult
from course_utils.notebooks import labgen
from judging import judged

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
# Cells get 8 s: a hostile cell that walks folders must finish on a loaded CI machine, as its real one would.
FIXTURE_LIMITS = [
    "--cell-timeout",
    "8",
    "--call-timeout",
    "2",
    "--timeout",
    "30",
    "--memory-gb",
    "1",
    "--share",
    str(FIXTURES),
]
PACKAGE = Path(sandbox.PACKAGE_DIR)
# The hostile notebooks really attack (they edit the installed checks, overwrite submissions): they are graded
# only where the sandbox works, never against a developer's unprotected checkout.
ISOLATION = sandbox.probe()
needs_sandbox = pytest.mark.skipif(not ISOLATION.sandboxed, reason=f"no sandbox here: {ISOLATION.reason}")


# --------------------------------------------------------------------------------------------------
# Building submissions


def solution_notebook() -> nbformat.NotebookNode:
    return jupytext.read(FIXTURES / "99_fixture.py")


def generated_lab() -> nbformat.NotebookNode:
    return labgen.make_lab(solution_notebook(), "labs/99_fixture.ipynb")


def with_cells(nb: nbformat.NotebookNode, *sources: str, at: int | None = None) -> nbformat.NotebookNode:
    """``nb`` with code cells added at position ``at`` (default: the end)."""
    new = [nbformat.v4.new_code_cell(source) for source in sources]
    position = len(nb.cells) if at is None else at
    nb.cells[position:position] = new
    return nb


def without_check_calls(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb.cells = [c for c in nb.cells if not c.source.startswith("check(")]
    return nb


def lab02_notebook() -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                "(https://colab.research.google.com/github/o/r/blob/main/labs/02_mnist_cnn.ipynb)"
            ),
            nbformat.v4.new_code_cell('from course_utils.checks import check\ncheck("lab02", "model", model)'),
        ]
    )


def mallory_cell(out: Path, submitted: Path) -> str:
    """Code that attacks the grading run with the paths it was told, and reports what it could do through
    the one channel left to it: the message of its own answer's error, in its feedback."""
    return f"""
import importlib, json, os, pathlib, subprocess, sys, tempfile
found = {{"left behind": tempfile.mkdtemp(prefix="lab-stamps-"), "home": str(pathlib.Path.home()), "wrote": []}}
for path, text in [({str(out / "gradebook.csv")!r}, "student,total\\nmallory,100\\n"),
                   ({str(out / "feedback" / "alice.md")!r}, "alice: 0 points"),
                   ({str(submitted / "alice.ipynb")!r}, "{{ overwritten by mallory")]:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").write(text)
        found["wrote"].append(path)
    except OSError:
        pass
try:
    importlib.import_module("course_utils.checks.lab99_hidden")
    found["imported hidden"] = True
except ImportError:
    found["imported hidden"] = False
found["hidden modules"] = [name for name in sys.modules if "hidden" in name]
found["files naming square_zero"] = [str(p) for p in pathlib.Path.home().rglob("*")
                                     if p.is_file() and "square_zero" in p.read_text(errors="ignore")]
found["environment naming hidden"] = [k for k, v in os.environ.items() if "hidden" in v]
daemon = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120); "
                           "open({str(out / "gradebook.csv")!r}, 'w').write('hacked')"], start_new_session=True)
found["daemon"] = daemon.pid
def square(x):
    raise ValueError("MALLORY" + json.dumps(found) + "MALLORY")
"""


def mallory_found(feedback: str) -> dict:
    return json.loads(feedback.split("MALLORY")[1])


HOSTILE = FIXTURES / "hostile"


def hostile(name: str, base: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``base`` with the code cells of the hostile notebook ``hostile/<name>.py`` added at the end."""
    cells = [c.source for c in jupytext.read(HOSTILE / f"{name}.py").cells if c.cell_type == "code"]
    return with_cells(base, *cells)


# The hostile notebooks of tests/fixtures/grading/hostile and the points their real answers earn.
HOSTILE_POINTS = {
    "steal_submissions": 1,
    "edit_checks": 0,
    "read_hidden": 1,
    "forge_result": 0,
    "patch_runtime": 0,
    "write_outside": 4,
    "fork_storm": 4,
    "sleep_past_limit": 0,
}


def running_with(text: str) -> list[str]:
    """Command lines of this machine's running processes that contain ``text``."""
    lines = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        line = " ".join(proc.info["cmdline"] or [])
        if text in line and proc.info["status"] != psutil.STATUS_ZOMBIE and proc.pid != os.getpid():
            lines.append(line)
    return lines


def fingerprint(*folders: Path) -> dict[str, str]:
    """{path: sha256} of every file under ``folders`` (byte code caches left out)."""
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def read_gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / gradebook.GRADEBOOK, newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def fixture_env():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_GRADING_FIXTURE_DIR", str(FIXTURES))
        yield


@pytest.fixture(scope="module")
def room(tmp_path_factory, fixture_env):
    """A room of fixture-lab submissions, one per behaviour and one per hostile notebook, graded once with the
    command line; the hidden checks sit inside the folder the notebooks may read (and are hidden there)."""
    base = tmp_path_factory.mktemp("room")
    submitted, out = base / "submitted", base / "grades"
    submitted.mkdir()
    notebooks = {
        "alice": solution_notebook(),
        "bob": generated_lab(),
        "carol": with_cells(
            without_check_calls(solution_notebook()),
            "def check(*args, **kwargs):\n    return True",
            "import course_utils.checks.core as core\n"
            "core.evaluate = lambda q, answer: (True, 'correct')\ncore.REGISTRY.clear()",
            "total = 'changed my mind'",
        ),
        "erin": lab02_notebook(),
        "frank": with_cells(solution_notebook(), "while True:\n    pass", at=3),
        "gina": with_cells(
            solution_notebook(),
            "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass",
        ),
        "hank": with_cells(
            solution_notebook(), "import numpy as np\nhog = []\nwhile True:\n    hog.append(np.ones(2**26))"
        ),
        "ivan": with_cells(solution_notebook(), "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        "kim": with_cells(solution_notebook(), "def square(x):\n    while True:\n        pass"),
    }
    if ISOLATION.sandboxed:
        notebooks["mallory"] = with_cells(generated_lab(), mallory_cell(out, submitted))
        notebooks.update({name: hostile(name, generated_lab()) for name in HOSTILE_POINTS})
    for student, nb in notebooks.items():
        nbformat.write(nb, submitted / f"{student}.ipynb")
    (submitted / "dave.ipynb").write_text(nbformat.writes(solution_notebook())[:300])  # cut mid-download
    buffer = io.StringIO()
    before = fingerprint(submitted, PACKAGE, FIXTURES)
    start = time.monotonic()
    with redirect_stdout(buffer):
        code = cli.main(
            [
                "lab99",
                str(submitted),
                "--out",
                str(out),
                "--jobs",
                "2",
                "--checks",
                str(FIXTURES / "lab99.py"),
                "--hidden",
                str(FIXTURES / "hidden" / "lab99.py"),
                *FIXTURE_LIMITS,
            ]
        )
    return dict(
        code=code,
        out=out,
        submitted=submitted,
        printed=buffer.getvalue(),
        before=before,
        after=fingerprint(submitted, PACKAGE, FIXTURES),
        seconds=time.monotonic() - start,
        rows=read_gradebook(out),
        base=base,
    )


# --------------------------------------------------------------------------------------------------
# The room: one graded folder, each behaviour asserted separately


@pytest.mark.kernel
def test_solution_scores_full_marks_and_generated_lab_scores_zero(room):
    assert room["code"] == 0
    assert room["rows"]["alice"] == {
        "student": "alice",
        "square": "2",
        "sum": "1",
        "square_zero": "1",
        "total": "4",
        "status": "ok",
        "isolation": "sandbox" if ISOLATION.sandboxed else "NOT ISOLATED",
    }
    assert room["rows"]["bob"]["total"] == "0" and room["rows"]["bob"]["status"] == "ok"


@pytest.mark.kernel
def test_deleted_checks_and_redefined_names_are_still_scored_by_the_real_checks(room):
    carol = room["rows"]["carol"]
    assert (carol["square"], carol["square_zero"], carol["sum"], carol["status"]) == ("2", "1", "0", "ok")
    feedback = (room["out"] / "feedback" / "carol.md").read_text()
    assert "total is 'changed my mind', expected the sum of 0..9." in feedback


@pytest.mark.kernel
def test_a_call_that_never_returns_is_stopped_and_the_rest_still_scores(room):
    kim = room["rows"]["kim"]
    assert (kim["square"], kim["square_zero"], kim["sum"], kim["status"]) == ("0", "0", "1", "ok")
    assert (
        "calling square took longer than 2.0 s (the time limit of one call)"
        in (room["out"] / "feedback" / "kim.md").read_text()
    )


@pytest.mark.kernel
def test_invalid_notebook_and_notebook_of_another_lab_score_zero_without_running(room):
    assert (room["rows"]["dave"]["status"], room["rows"]["dave"]["total"]) == ("invalid-notebook", "0")
    assert (room["rows"]["erin"]["status"], room["rows"]["erin"]["total"]) == ("wrong-lab", "0")
    assert "This notebook is lab02, not lab99" in (room["out"] / "feedback" / "erin.md").read_text()


@pytest.mark.kernel
def test_endless_cell_is_interrupted_and_the_rest_still_scores(room):
    assert (room["rows"]["frank"]["status"], room["rows"]["frank"]["total"]) == ("cell-timeout", "4")
    feedback = (room["out"] / "feedback" / "frank.md").read_text()
    assert "cell 4 (`while True:`) ran past the per-cell time limit" in feedback


@pytest.mark.kernel
def test_cell_that_ignores_interrupts_hits_the_total_limit(room):
    assert (room["rows"]["gina"]["status"], room["rows"]["gina"]["total"]) == ("timeout", "0")
    assert "Stopped after 30 s (the total time limit) while cell" in (room["out"] / "feedback" / "gina.md").read_text()


@pytest.mark.kernel
def test_memory_hog_is_stopped_at_the_memory_limit(room):
    assert (room["rows"]["hank"]["status"], room["rows"]["hank"]["total"]) == ("memory-limit", "0")
    assert "the limit is 1 GB" in (room["out"] / "feedback" / "hank.md").read_text()


@pytest.mark.kernel
def test_dead_kernel_scores_zero(room):
    assert (room["rows"]["ivan"]["status"], room["rows"]["ivan"]["total"]) == ("kernel-died", "0")
    assert "kernel stopped (killed by SIGKILL) while cell 7" in (room["out"] / "feedback" / "ivan.md").read_text()


@needs_sandbox
@pytest.mark.kernel
def test_malicious_notebook_changes_no_other_grade(room):
    found = mallory_found((room["out"] / "feedback" / "mallory.md").read_text())
    # The attacks wrote only inside the sandbox: the submissions and the gradebook are the grader's own.
    assert room["after"] == room["before"]
    assert room["rows"]["alice"]["total"] == "4" and "mallory,100" not in (room["out"] / "gradebook.csv").read_text()
    assert "Score: 4 / 4" in (room["out"] / "feedback" / "alice.md").read_text()
    assert set(room["rows"]) == {
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "frank",
        "gina",
        "hank",
        "ivan",
        "kim",
        "mallory",
        *HOSTILE_POINTS,
    }
    assert (room["rows"]["mallory"]["status"], room["rows"]["mallory"]["total"]) == ("ok", "0")
    # The hidden checks were nowhere the notebook could reach, while its cells ran or while it was judged.
    assert found["imported hidden"] is False
    assert found["hidden modules"] == found["files naming square_zero"] == found["environment naming hidden"] == []
    assert not Path(found["home"]).exists()  # its private folder is gone, and with it its temporary files
    assert Path(found["left behind"]).is_relative_to(found["home"])
    # The detached process (its pid is one of the sandbox's own) was ended with the notebook.
    assert found["daemon"] > 0 and running_with("'hacked'") == []


@needs_sandbox
@pytest.mark.parametrize("name", HOSTILE_POINTS)
@pytest.mark.kernel
def test_hostile_notebook_earns_only_what_its_real_answers_earn(room, name):
    row = room["rows"][name]
    assert float(row["total"]) == HOSTILE_POINTS[name], (row, (room["out"] / "feedback" / f"{name}.md").read_text())
    assert row["status"] == ("timeout" if name == "sleep_past_limit" else "ok"), row
    # Honest notebooks graded in the same run keep full marks; nothing outside the notebooks' homes changed.
    assert room["rows"]["alice"]["total"] == "4" and room["rows"]["frank"]["total"] == "4"
    assert room["after"] == room["before"]
    assert not list(room["base"].glob("**/hostile-was-here.txt")) and not Path("/tmp/hostile-was-here.txt").exists()
    assert running_with("sleep 617") == []


@needs_sandbox
@pytest.mark.kernel
def test_hostile_notebooks_saw_neither_submissions_nor_hidden_checks(room):
    feedback = {
        name: (room["out"] / "feedback" / f"{name}.md").read_text() for name in ("steal_submissions", "read_hidden")
    }
    assert "notebooks seen: []" in feedback["steal_submissions"]
    assert "hidden checks found: []" in feedback["read_hidden"]


@pytest.mark.kernel
def test_summary_names_every_status(room):
    assert f"lab99 (smoke profile): {len(room['rows'])} notebook(s)" in room["printed"]
    assert ISOLATION.describe() in room["printed"]
    for status in ("ok", "cell-timeout", "timeout", "memory-limit", "kernel-died", "invalid-notebook", "wrong-lab"):
        assert status in room["printed"]
    print(f"graded the room of 10 in {room['seconds']:.1f} s")


@pytest.mark.kernel
def test_killing_the_grader_ends_every_notebook_process(tmp_path, fixture_env):
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    nbformat.write(
        with_cells(solution_notebook(), "import time\nwhile True:\n    time.sleep(0.05)"), submitted / "loops.ipynb"
    )
    grader = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "course_utils.grading",
            "lab99",
            str(submitted),
            "--out",
            str(tmp_path / "grades"),
            "--checks",
            str(FIXTURES / "lab99.py"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(tree := psutil.Process(grader.pid).children(recursive=True)) < 2:  # runner and kernel
        assert time.monotonic() < deadline, "the notebook's kernel never started"
        time.sleep(0.2)
    grader.kill()
    grader.wait()
    _, alive = psutil.wait_procs(tree, timeout=15)
    for proc in alive:  # do not leave them running when the test fails
        proc.kill()
    assert alive == []


# --------------------------------------------------------------------------------------------------
# The real lab 01


@pytest.mark.kernel
def test_lab01_solution_scores_full_marks_and_generated_lab_zero(tmp_path):
    solution = jupytext.read(ROOT / "solutions" / "01_foundations.py")
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    nbformat.write(solution, submitted / "solution.ipynb")
    nbformat.write(labgen.make_lab(solution, "labs/01_foundations.ipynb"), submitted / "lab.ipynb")
    nbformat.write(
        hostile("lab01_patched_numpy", labgen.make_lab(solution, "labs/01_foundations.ipynb")),
        submitted / "patched_numpy.ipynb",
    )
    checks = checkset.load("lab01")
    assert any(q.hidden for q in checks.questions), "lab 01 is graded with hidden checks too"
    with redirect_stdout(io.StringIO()):
        assert (
            cli.main(["lab01", str(submitted), "--out", str(tmp_path / "grades"), "--jobs", "2", "--memory-gb", "3"])
            == 0
        )
    rows = read_gradebook(tmp_path / "grades")
    assert rows["solution"]["status"] == "ok"
    assert float(rows["solution"]["total"]) == checks.max_points
    assert rows["lab"]["status"] == "ok" and float(rows["lab"]["total"]) == 0
    # NumPy's comparisons patched in the kernel do not reach the judge: zeros earn zero.
    assert rows["patched_numpy"]["status"] == "ok" and float(rows["patched_numpy"]["total"]) == 0


# --------------------------------------------------------------------------------------------------
# Pieces, without kernels


def fixture_checks(hidden: Path | None = None) -> checkset.CheckSet:
    return checkset.load(
        "lab99", checks_file=FIXTURES / "lab99.py", hidden_file=hidden or FIXTURES / "hidden" / "lab99.py"
    )


def test_a_hidden_question_not_marked_hidden_is_refused(tmp_path):
    unmarked = tmp_path / "lab99_hidden.py"
    unmarked.write_text((FIXTURES / "hidden" / "lab99.py").read_text().replace(", hidden=True", ""))
    with pytest.raises(ValueError, match="square_zero without hidden=True"):
        fixture_checks(unmarked)
    assert [q.name for q in fixture_checks().questions if q.hidden] == ["square_zero"]


def test_judge_uses_the_snapshot_not_the_patched_modules_or_the_edited_file(tmp_path):
    checks_file = tmp_path / "lab99.py"
    checks_file.write_text((FIXTURES / "lab99.py").read_text())
    checks = checkset.load("lab99", checks_file=checks_file, hidden_file=FIXTURES / "hidden" / "lab99.py")
    checks_file.write_text(checks_file.read_text().replace("if total != 45", "if False"))  # edited after the snapshot
    import course_utils.checks.core as core

    patched = core.evaluate
    try:
        core.evaluate = lambda q, answer: (True, "correct")
        results = judged(checks, {"square": lambda x: x * x, "total": 44})
    finally:
        core.evaluate = patched
    assert {qid: r["passed"] for qid, r in results.items()} == {
        "lab99.square": True,
        "lab99.sum": False,
        "lab99.square_zero": True,
    }
    assert sys.modules["course_utils.checks.core"] is core  # the grader's own imports are restored


def test_remote_calls_raise_the_students_exceptions_and_mirror_changed_arguments():
    import numpy as np

    from course_utils.grading import remote
    from judging import InProcess

    def scale(values, rng):
        values *= 2  # in place, as a careless student might
        rng.random()
        raise_later = values.sum() < 0
        if raise_later:
            raise NotImplementedError
        return values

    class Mine(Exception):
        pass

    def mine():
        raise Mine("my own")

    channel = InProcess({"scale": scale, "mine": mine, "broken": lambda: 1 / 0, "seven": 7, "gone": None})
    values, rng, twin = np.arange(3.0), np.random.default_rng(1), np.random.default_rng(1)
    assert remote.RemoteCallable(channel, "scale")(values, rng).tolist() == [0.0, 2.0, 4.0]
    assert values.tolist() == [0.0, 2.0, 4.0]  # as if it had run here
    twin.random()
    assert rng.random() == twin.random()  # the generator advanced as the student's call advanced it
    with pytest.raises(NotImplementedError):
        remote.RemoteCallable(channel, "scale")(-np.ones(2), rng)
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        remote.RemoteCallable(channel, "broken")()
    with pytest.raises(remote.RemoteError, match="my own") as raised:
        remote.RemoteCallable(channel, "mine")()
    assert type(raised.value).__name__ == "Mine"
    assert remote.answer_for(channel, "seven") == 7 and remote.answer_for(channel, "gone") is Ellipsis


def test_codec_carries_plain_data_and_refuses_everything_else():
    import base64
    import pickle

    import numpy as np

    from course_utils.grading import codec

    big_endian = np.arange(6, dtype=">f4").reshape(2, 3)
    value = {
        "a": [1, 2.5, None, True, "x", b"\x00"],
        3: (np.int64(4), float("nan")),
        "image": big_endian,
        "path": Path("/data/stamp.fits"),
    }
    back = codec.decode(json.loads(json.dumps(codec.encode(value))))
    assert back["image"].dtype.str == ">f4" and np.array_equal(back["image"], big_endian)
    assert back["a"] == value["a"] and back[3][0] == 4 and np.isnan(back[3][1]) and back["path"] == value["path"]
    assert type(codec.decode(codec.encode(object()))).__name__ == "object"  # an opaque description, named alike
    pickled = base64.b64encode(pickle.dumps(object())).decode()
    for bad in (
        {"t": "pickle", "v": pickled},
        {"t": "ndarray", "dtype": "|O8", "shape": [1], "v": pickled},
        {"t": "ndarray", "dtype": "<f8", "shape": [10**9], "v": ""},
        {"t": "ndarray", "dtype": "<f8", "shape": [2], "v": base64.b64encode(b"short").decode()},
        {"t": "rng", "bit_generator": "os.system", "state": None},
        [1, 2],
    ):
        with pytest.raises(codec.Undecodable):
            codec.decode(bad)


def test_codec_rebuilds_keras_models_safely():
    import keras

    from course_utils.grading import codec

    inputs = keras.Input((4, 4, 2))
    x = keras.layers.Conv2D(3, 1)(inputs)
    model = keras.Model(inputs, keras.layers.ReLU()(x + keras.layers.Conv2D(3, 1)(inputs)))
    rebuilt = codec.decode(json.loads(json.dumps(codec.encode(model))))
    assert type(rebuilt).__name__ == "Functional" and rebuilt.count_params() == model.count_params()
    assert all((a == b).all() for a, b in zip(rebuilt.get_weights(), model.get_weights()))
    with_lambda = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda t: t * 2)])
    with pytest.raises(codec.Undecodable, match="Lambda"):
        codec.decode(json.loads(json.dumps(codec.encode(with_lambda))))
    forged = codec.encode(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))
    forged["config"]["config"]["layers"][1]["module"] = "os"
    with pytest.raises(codec.Undecodable, match="not in Keras"):
        codec.decode(forged)


def test_load_rejects_unknown_labs_and_clashing_names(tmp_path):
    with pytest.raises(ValueError, match="not a lab id"):
        checkset.load("lab1")
    with pytest.raises(ValueError, match="not a lab id of the course: use lab01, lab02"):
        checkset.load("lab98")
    clash = tmp_path / "lab97.py"
    clash.write_text(
        "from course_utils.checks import question\n"
        "@question('lab97', 'total', points=1, target='x')\ndef f(x):\n    pass\n"
    )
    with pytest.raises(ValueError, match="clash with the gradebook"):
        checkset.load("lab97", checks_file=clash)


def test_read_clears_outputs_and_explains_a_broken_file(tmp_path):
    nb = solution_notebook()
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="old output")]
    nbformat.write(nb, tmp_path / "ok.ipynb")
    (tmp_path / "empty.ipynb").write_text("")
    ok = submissions.read(tmp_path / "ok.ipynb", tmp_path)
    assert ok.problem == "" and all(not c.get("outputs") for c in ok.notebook.cells)
    broken = submissions.read(tmp_path / "empty.ipynb", tmp_path)
    assert broken.notebook is None and broken.problem.startswith("Not valid JSON (line 1, column 1")


def test_lab_is_identified_by_what_the_notebook_names_most():
    assert submissions.other_lab(lab02_notebook(), "lab99") == "lab02"
    assert submissions.other_lab(solution_notebook(), "lab99") is None
    mentions_lab02 = with_cells(solution_notebook(), "# compare with 'lab02' later")
    assert submissions.other_lab(mentions_lab02, "lab99") is None
    assert submissions.other_lab(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), "lab99") is None


def test_gradebook_replaces_what_was_there(tmp_path):
    checks = fixture_checks()
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "stale.md").write_text("from an older run")
    (tmp_path / "gradebook.csv").write_text("forged")
    grade = Grade(
        "group2/bob",
        "ok",
        {q.qid: QuestionResult(q.name == "sum", 1.0 if q.name == "sum" else 0.0, "msg") for q in checks.questions},
    )
    gradebook.write(tmp_path, checks, [grade])
    assert (tmp_path / "gradebook.csv").read_text() == (
        "student,square,sum,square_zero,total,status,isolation\ngroup2/bob,0,1,0,1,ok,sandbox\n"
    )
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == ["group2__bob.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feedback", "gradebook.csv"]


def test_command_line_errors_say_what_to_do(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["lab1", str(tmp_path)])
    assert exit_info.value.code == 2 and "not a lab id" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["lab01", str(tmp_path / "missing")])
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["lab01", str(tmp_path)])
    assert "No .ipynb file under" in capsys.readouterr().err


def test_default_memory_limit_fits_every_lab_with_room_to_spare():
    """Grading in the cpu profile must not stop a correct lab for memory: the default limit is at least
    1.25 times each lab's measured peak (benchmarks/results.md, written by benchmarks/bench_labs.py)."""
    rows = [line.split("|") for line in (ROOT / "benchmarks" / "results.md").read_text().splitlines()]
    peaks = {
        row[1].strip(): float(row[3])
        for row in rows
        if len(row) > 4 and row[1].strip().endswith("(cpu profile)") and row[2].strip() == "peak memory"
    }
    labs = {path.name[:2] for path in (ROOT / "solutions").glob("[0-9][0-9]_*.py")}
    assert {name.split()[0][:2] for name in peaks} == labs
    limit = grader.Options(profile="cpu").limits().memory_bytes / 2**30
    assert all(limit >= 1.25 * peak for peak in peaks.values()), (limit, peaks)


def test_python_m_course_utils_grading_runs():
    done = subprocess.run(
        [sys.executable, "-m", "course_utils.grading", "--help"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert done.returncode == 0 and "gradebook.csv" in done.stdout


def test_lab01_hidden_checks_catch_what_the_self_checks_miss():
    checks = checkset.load("lab01")
    solution = jupytext.read(ROOT / "solutions" / "01_foundations.py")
    namespace: dict = {}
    exec(next(c.source for c in solution.cells if c.source.startswith("def gd_step")), namespace)
    table_cell = next(c.source for c in solution.cells if c.source.startswith("def gd_table"))
    exec(
        "import numpy as np\n" + table_cell.replace("return np.array(rows)", "return np.array(rows).squeeze()"),
        namespace,
    )
    results = judged(checks, namespace)
    assert results["lab01.gd_table"]["passed"] is True
    assert results["lab01.gd_table_one_row"] == {
        "passed": False,
        "message": "gd_table(-0.5, 0.3, 1) has shape (3,); one iteration is one row, shape (1, 3).",
    }


@pytest.mark.kernel
def test_without_a_sandbox_the_run_says_so_and_stops_when_a_submission_changes(tmp_path, fixture_env):
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    nbformat.write(solution_notebook(), submitted / "alice.ipynb")
    options = grader.Options(cell_seconds=4, total_seconds=20, memory_gb=1, jobs=1, isolate=False, share=(FIXTURES,))
    checks = fixture_checks()
    grades = grader.grade_folder(checks, submitted, tmp_path / "grades", options, progress=False)
    assert grades[0].total == 4 and read_gradebook(tmp_path / "grades")["alice"]["isolation"] == "NOT ISOLATED"
    assert "WARNING: NOT ISOLATED (the sandbox was switched off)" in gradebook.summary(
        checks, grades, "smoke", options.isolation()
    )
    victim = submitted / "alice.ipynb"
    nbformat.write(with_cells(solution_notebook(), f"open({str(victim)!r}, 'a').write(' ')"), submitted / "zed.ipynb")
    with pytest.raises(grader.TamperedError, match=r"while zed.s notebook ran .*/alice\.ipynb"):
        grader.grade_folder(checks, submitted, tmp_path / "grades2", options, progress=False)
    assert not (tmp_path / "grades2").exists()


def test_toolkit_calls_go_through_the_remote_callable():
    import keras
    import numpy as np

    from course_utils.checks import CheckFailed, toolkit
    from course_utils.grading import remote
    from judging import InProcess

    def normalise(images):
        images -= images.mean()  # in place
        return images

    def block(x, filters):
        return keras.layers.ReLU()(keras.layers.Conv2D(filters, 3, padding="same")(x) + x)

    channel = InProcess({"normalise": normalise, "block": block})
    images = np.ones((2, 3))
    with pytest.raises(CheckFailed, match="normalise changed its first argument passed to it on two images"):
        toolkit.call(remote.RemoteCallable(channel, "normalise"), "two images", images)
    assert (images == 1).all()  # the check's own array is untouched
    model = toolkit.build_block(remote.RemoteCallable(channel, "block"), "with 4 filters", (8, 8, 4), 4)
    assert isinstance(model, keras.Model) and tuple(model.outputs[0].shape) == (None, 8, 8, 4)
    assert [type(op).__name__ for op in model.operations] == ["InputLayer", "Conv2D", "Add", "ReLU"]
