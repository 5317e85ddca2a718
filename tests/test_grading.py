"""The grader: solutions score full marks, generated labs zero, and every way a notebook can go wrong
costs only that notebook's own points.

Most tests use the fixture lab in tests/fixtures/grading (lab99: two exercises, one hidden check, no
TensorFlow, about a second per kernel); one grades the real lab 01. Kernel runs are grouped into two
graded folders (module fixtures) run with --jobs 2.
"""
from __future__ import annotations

import csv
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
from course_utils.grading import checkset, gradebook, grader, probe, submissions
from course_utils.grading.score import Grade, QuestionResult
from course_utils.notebooks import labgen

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
FIXTURE_LIMITS = ["--cell-timeout", "4", "--timeout", "20", "--memory-gb", "0.5"]


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
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                                      "(https://colab.research.google.com/github/o/r/blob/main/labs/02_mnist_cnn.ipynb)"),
        nbformat.v4.new_code_cell('from course_utils.checks import check\ncheck("lab02", "model", model)'),
    ])


def mallory_cell(out: Path, submitted: Path, report: Path) -> str:
    """Code that attacks the grading run and records what it could do."""
    return f"""
import glob, importlib, json, os, pathlib, subprocess, sys, tempfile
found = {{"left behind": tempfile.mkdtemp(prefix="lab-stamps-")}}
os.makedirs({str(out / "feedback")!r}, exist_ok=True)
open({str(out / "gradebook.csv")!r}, "w").write("student,total\\nmallory,100\\n")
open({str(out / "feedback" / "alice.md")!r}, "w").write("alice: 0 points")
for path in glob.glob({str(submitted)!r} + "/*.ipynb"):
    if "mallory" not in path:
        open(path, "w").write("{{ overwritten by mallory")
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
found["home"] = str(pathlib.Path.home())
print('course-grade-result 00112233445566778899aabbccddeeff {{"lab99.square": {{"passed": true, "message": "correct"}}}}')
json.dump(found, open({str(report)!r}, "w"))
"""


def read_gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / gradebook.GRADEBOOK, newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def fixture_env():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_GRADING_FIXTURE_DIR", str(FIXTURES))
        yield


@pytest.fixture(scope="module")
def instructor_hidden(tmp_path_factory) -> Path:
    """The hidden checks kept in the instructor's private folder, outside the repository."""
    path = tmp_path_factory.mktemp("instructor") / "lab99_hidden.py"
    path.write_text((FIXTURES / "hidden" / "lab99.py").read_text())
    return path


@pytest.fixture(scope="module")
def room(tmp_path_factory, fixture_env, instructor_hidden):
    """A room of fixture-lab submissions, one per behaviour, graded once with the command line."""
    base = tmp_path_factory.mktemp("room")
    submitted, out, report = base / "submitted", base / "grades", base / "mallory.json"
    submitted.mkdir()
    notebooks = {
        "alice": solution_notebook(),
        "bob": generated_lab(),
        "carol": with_cells(without_check_calls(solution_notebook()),
                            "def check(*args, **kwargs):\n    return True",
                            "import course_utils.checks.core as core\n"
                            "core.evaluate = lambda q, answer: (True, 'correct')\ncore.REGISTRY.clear()",
                            "total = 'changed my mind'"),
        "erin": lab02_notebook(),
        "frank": with_cells(solution_notebook(), "while True:\n    pass", at=3),
        "gina": with_cells(solution_notebook(), "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n"
                                                "    except KeyboardInterrupt:\n        pass"),
        "hank": with_cells(solution_notebook(), "import numpy as np\nhog = []\nwhile True:\n"
                                                "    hog.append(np.ones(2**24))"),
        "ivan": with_cells(solution_notebook(), "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        "mallory": with_cells(generated_lab(), mallory_cell(out, submitted, report)),
    }
    for student, nb in notebooks.items():
        nbformat.write(nb, submitted / f"{student}.ipynb")
    (submitted / "dave.ipynb").write_text(nbformat.writes(solution_notebook())[:300])  # cut mid-download
    buffer = io.StringIO()
    start = time.monotonic()
    with redirect_stdout(buffer):
        code = cli.main(["lab99", str(submitted), "--out", str(out), "--jobs", "2", "--checks",
                         str(FIXTURES / "lab99.py"), "--hidden", str(instructor_hidden), *FIXTURE_LIMITS])
    return dict(code=code, out=out, submitted=submitted, report=report, printed=buffer.getvalue(),
                seconds=time.monotonic() - start, rows=read_gradebook(out))


# --------------------------------------------------------------------------------------------------
# The room: one graded folder, each behaviour asserted separately


def test_solution_scores_full_marks_and_generated_lab_scores_zero(room):
    assert room["code"] == 0
    assert room["rows"]["alice"] == {"student": "alice", "square": "2", "sum": "1", "square_zero": "1",
                                     "total": "4", "status": "ok"}
    assert room["rows"]["bob"]["total"] == "0" and room["rows"]["bob"]["status"] == "ok"


def test_deleted_checks_and_redefined_names_are_still_scored_by_the_real_checks(room):
    carol = room["rows"]["carol"]
    assert (carol["square"], carol["square_zero"], carol["sum"], carol["status"]) == ("2", "1", "0", "ok")
    feedback = (room["out"] / "feedback" / "carol.md").read_text()
    assert "total is 'changed my mind', expected the sum of 0..9." in feedback


def test_invalid_notebook_and_notebook_of_another_lab_score_zero_without_running(room):
    assert (room["rows"]["dave"]["status"], room["rows"]["dave"]["total"]) == ("invalid-notebook", "0")
    assert (room["rows"]["erin"]["status"], room["rows"]["erin"]["total"]) == ("wrong-lab", "0")
    assert "This notebook is lab02, not lab99" in (room["out"] / "feedback" / "erin.md").read_text()


def test_endless_cell_is_interrupted_and_the_rest_still_scores(room):
    assert (room["rows"]["frank"]["status"], room["rows"]["frank"]["total"]) == ("cell-timeout", "4")
    feedback = (room["out"] / "feedback" / "frank.md").read_text()
    assert "cell 4 (`while True:`) ran past the per-cell time limit" in feedback


def test_cell_that_ignores_interrupts_hits_the_total_limit(room):
    assert (room["rows"]["gina"]["status"], room["rows"]["gina"]["total"]) == ("timeout", "0")
    assert "Stopped after 20 s (the total time limit) while cell" in (room["out"] / "feedback" / "gina.md").read_text()


def test_memory_hog_is_stopped_at_the_memory_limit(room):
    assert (room["rows"]["hank"]["status"], room["rows"]["hank"]["total"]) == ("memory-limit", "0")
    assert "the limit is 0.5 GB" in (room["out"] / "feedback" / "hank.md").read_text()


def test_dead_kernel_scores_zero(room):
    assert (room["rows"]["ivan"]["status"], room["rows"]["ivan"]["total"]) == ("kernel-died", "0")
    assert "kernel stopped (killed by SIGKILL) while cell 7" in (room["out"] / "feedback" / "ivan.md").read_text()


def test_malicious_notebook_changes_no_other_grade(room):
    found = json.loads(room["report"].read_text())
    # The attacks ran: the originals were overwritten and the gradebook written during the run ...
    assert (room["submitted"] / "alice.ipynb").read_text() == "{ overwritten by mallory"
    # ... yet the grades come from the copies taken first, and the gradebook is the grader's own.
    assert room["rows"]["alice"]["total"] == "4" and "mallory,100" not in (room["out"] / "gradebook.csv").read_text()
    assert "Score: 4 / 4" in (room["out"] / "feedback" / "alice.md").read_text()
    assert set(room["rows"]) == {"alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivan", "mallory"}
    # The forged result line earned nothing.
    assert (room["rows"]["mallory"]["status"], room["rows"]["mallory"]["total"]) == ("ok", "0")
    # The hidden checks were nowhere the notebook could reach while its own cells ran.
    assert found["imported hidden"] is False
    assert found["hidden modules"] == found["files naming square_zero"] == found["environment naming hidden"] == []
    assert not Path(found["home"]).exists()  # its private folder is gone, and with it its temporary files
    assert Path(found["left behind"]).is_relative_to(found["home"])
    # The detached process was ended with the notebook, before it could write anything.
    assert not psutil.pid_exists(found["daemon"]) or psutil.Process(found["daemon"]).status() == psutil.STATUS_ZOMBIE


def test_summary_names_every_status(room):
    assert "lab99 (smoke profile): 10 notebook(s)" in room["printed"]
    for status in ("ok", "cell-timeout", "timeout", "memory-limit", "kernel-died", "invalid-notebook", "wrong-lab"):
        assert status in room["printed"]
    print(f"graded the room of 10 in {room['seconds']:.1f} s")


def test_killing_the_grader_ends_every_notebook_process(tmp_path, fixture_env):
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    nbformat.write(with_cells(solution_notebook(), "import time\nwhile True:\n    time.sleep(0.05)"),
                   submitted / "loops.ipynb")
    grader = subprocess.Popen([sys.executable, "-m", "course_utils.grading", "lab99", str(submitted), "--out",
                               str(tmp_path / "grades"), "--checks", str(FIXTURES / "lab99.py")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def test_lab01_solution_scores_full_marks_and_generated_lab_zero(tmp_path):
    solution = jupytext.read(ROOT / "solutions" / "01_foundations.py")
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    nbformat.write(solution, submitted / "solution.ipynb")
    nbformat.write(labgen.make_lab(solution, "labs/01_foundations.ipynb"), submitted / "lab.ipynb")
    checks = checkset.load("lab01")
    assert any(q.hidden for q in checks.questions), "lab 01 is graded with hidden checks too"
    with redirect_stdout(io.StringIO()):
        assert cli.main(["lab01", str(submitted), "--out", str(tmp_path / "grades"), "--jobs", "2",
                         "--memory-gb", "3"]) == 0
    rows = read_gradebook(tmp_path / "grades")
    assert rows["solution"]["status"] == "ok"
    assert float(rows["solution"]["total"]) == checks.max_points
    assert rows["lab"]["status"] == "ok" and float(rows["lab"]["total"]) == 0


# --------------------------------------------------------------------------------------------------
# Pieces, without kernels


def fixture_checks(hidden: Path | None = None) -> checkset.CheckSet:
    return checkset.load("lab99", checks_file=FIXTURES / "lab99.py",
                         hidden_file=hidden or FIXTURES / "hidden" / "lab99.py")


def run_probe(checks: checkset.CheckSet, namespace: dict, seconds: float = 5.0) -> dict | None:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        probe.grade(checks.lab, checks.sources, checks.hidden_module, "nonce", namespace, seconds)
    return checkset.read_result(buffer.getvalue(), "nonce")


def test_a_hidden_question_not_marked_hidden_is_refused(tmp_path):
    unmarked = tmp_path / "lab99_hidden.py"
    unmarked.write_text((FIXTURES / "hidden" / "lab99.py").read_text().replace(", hidden=True", ""))
    with pytest.raises(ValueError, match="square_zero without hidden=True"):
        fixture_checks(unmarked)
    assert [q.name for q in fixture_checks().questions if q.hidden] == ["square_zero"]


def test_probe_uses_the_snapshot_not_the_patched_modules_or_the_edited_file(tmp_path):
    checks_file = tmp_path / "lab99.py"
    checks_file.write_text((FIXTURES / "lab99.py").read_text())
    checks = checkset.load("lab99", checks_file=checks_file, hidden_file=FIXTURES / "hidden" / "lab99.py")
    checks_file.write_text(checks_file.read_text().replace("if total != 45", "if False"))  # edited after the snapshot
    import course_utils.checks.core as core
    patched = core.evaluate
    try:
        core.evaluate = lambda q, answer: (True, "correct")
        results = run_probe(checks, {"square": lambda x: x * x, "total": 44})
    finally:
        core.evaluate = patched
    assert {qid: r["passed"] for qid, r in results.items()} == {
        "lab99.square": True, "lab99.sum": False, "lab99.square_zero": True}
    assert sys.modules["course_utils.checks.core"] is core  # the grader's own imports are restored


def test_probe_stops_a_question_that_never_returns():
    def square(x):
        while True:
            pass

    start = time.monotonic()
    results = run_probe(fixture_checks(), {"square": square, "total": 45}, seconds=0.5)
    assert time.monotonic() - start < 5
    assert results["lab99.square"] == {"passed": False, "message": "checking square took longer than 0.5 s: "
                                                                   "does it finish quickly for every input?"}
    assert results["lab99.sum"]["passed"] is True


def test_result_needs_exactly_one_line_with_this_runs_nonce():
    line = 'course-grade-result abc {"lab99.square": {"passed": true, "message": "correct"}}'
    assert checkset.read_result(f"noise\n{line}\n", "abc") == {"lab99.square": {"passed": True, "message": "correct"}}
    assert checkset.read_result(line, "other") is None
    assert checkset.read_result(f"{line}\n{line}", "abc") is None  # something printed a copy
    assert checkset.read_result("course-grade-result abc {not json", "abc") is None


def test_load_rejects_unknown_labs_and_clashing_names(tmp_path):
    with pytest.raises(ValueError, match="not a lab id"):
        checkset.load("lab1")
    with pytest.raises(FileNotFoundError, match="course_utils/checks/lab98.py"):
        checkset.load("lab98")
    clash = tmp_path / "lab97.py"
    clash.write_text("from course_utils.checks import question\n"
                     "@question('lab97', 'total', points=1, target='x')\ndef f(x):\n    pass\n")
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
    grade = Grade("group2/bob", "ok", {q.qid: QuestionResult(q.name == "sum", 1.0 if q.name == "sum" else 0.0,
                                                             "msg") for q in checks.questions})
    gradebook.write(tmp_path, checks, [grade])
    assert (tmp_path / "gradebook.csv").read_text() == ("student,square,sum,square_zero,total,status\n"
                                                        "group2/bob,0,1,0,1,ok\n")
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
    peaks = {row[1].strip(): float(row[3]) for row in rows
             if len(row) > 4 and row[1].strip().endswith("(cpu profile)") and row[2].strip() == "peak memory"}
    assert {name.split()[0][:2] for name in peaks} == {"01", "02", "03", "04"}
    limit = grader.Options(profile="cpu").limits().memory_bytes / 2**30
    assert all(limit >= 1.25 * peak for peak in peaks.values()), (limit, peaks)


def test_python_m_course_utils_grading_runs():
    done = subprocess.run([sys.executable, "-m", "course_utils.grading", "--help"], capture_output=True,
                          text=True, env=dict(os.environ), timeout=60)
    assert done.returncode == 0 and "gradebook.csv" in done.stdout


def test_lab01_hidden_checks_catch_what_the_self_checks_miss():
    checks = checkset.load("lab01")
    solution = jupytext.read(ROOT / "solutions" / "01_foundations.py")
    namespace: dict = {}
    exec(next(c.source for c in solution.cells if c.source.startswith("def gd_step")), namespace)
    table_cell = next(c.source for c in solution.cells if c.source.startswith("def gd_table"))
    exec("import numpy as np\n" + table_cell.replace("return np.array(rows)", "return np.array(rows).squeeze()"),
         namespace)
    results = run_probe(checks, namespace)
    assert results["lab01.gd_table"]["passed"] is True
    assert results["lab01.gd_table_one_row"] == {
        "passed": False, "message": "gd_table(-0.5, 0.3, 1) has shape (3,); one iteration is one row, shape (1, 3)."}
