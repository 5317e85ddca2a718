"""Lab 04's questions, sizes and clean-up (the tests every lab shares are in test_checks_corpus.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from course_utils.checks import questions

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "04_strong_lenses.py"
EXERCISES = ("read_stamp", "normalise_stamps", "residual_block", "tpr_at_fp", "completeness_in_bins")
SOURCE = SOLUTION.read_text(encoding="utf-8")
QUESTIONS = {q.name: q for q in questions("lab04")}


def test_lab_is_worth_ten_points_over_the_five_exercises():
    assert sum(q.points for q in QUESTIONS.values()) == 10
    assert set(QUESTIONS) == set(EXERCISES)
    assert {q.target for q in QUESTIONS.values()} == set(EXERCISES)


def test_sizes_follow_the_spec():
    """One SIZES cell; the full profile trains on at least DeepLens's 20,000 stamps, smoke on a few hundred."""
    calls = [
        node
        for node in ast.walk(ast.parse(SOURCE))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "pick"
    ]
    assert len(calls) == 1
    sizes = {k.arg: eval(compile(ast.Expression(k.value), "SIZES", "eval"), {"dict": dict}) for k in calls[0].keywords}
    assert set(sizes) == {"smoke", "cpu", "full"}
    assert sizes["full"]["n_train"] >= 20_000
    assert sizes["smoke"]["n_train"] <= 1_000 and sizes["smoke"]["epochs"] == 1


def test_hand_made_tpr_cases_match_the_worked_answers():
    """The hand-made cases of the check, worked out on paper, agree with the reference metric."""
    from course_utils.metrics import tpr_at_fp

    y, s = np.array([1, 1, 1, 0, 1, 1, 0, 0, 1]), np.array([0.4, 0.5, 0.45, 0.15, 0.1, 0.3, 0.25, 0.35, 0.2])
    assert [tpr_at_fp(y, s, n) for n in (0, 1, 2, 3)] == [0.5, pytest.approx(4 / 6), pytest.approx(5 / 6), 1.0]
    assert tpr_at_fp(np.array([1, 0, 1, 0, 1]), np.array([0.8, 0.8, 0.5, 0.4, 0.9]), 0) == pytest.approx(1 / 3)
    assert tpr_at_fp(np.array([0, 1, 0, 1]), np.array([0.9, 0.5, 0.5, 0.1]), 1) == 0.0


@pytest.mark.kernel
def test_unfinished_lab_leaves_no_stamps_on_disk(tmp_path, monkeypatch):
    """A student who runs the generated lab before writing read_stamp gets an error in the cell that uses
    it, yet the folder of FITS stamps the lab wrote (1 GB in the cpu profile) is removed: re-runs do not
    fill the disk."""
    import nbformat

    from course_utils.notebooks.execute import execute

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    lab = nbformat.read(SOLUTION.parents[1] / "labs" / "04_strong_lenses.ipynb", as_version=4)
    writer = next(cell for cell in lab.cells if "write_challenge_folder(images" in cell.source)
    writer.source += '\nprint("stamps written to", folder)'
    lab, report, _ = execute(lab, SOLUTION.parent, tmp_path / "kernel.log", profile="smoke")
    assert report.outcome == "cell-error" and "NotImplementedError" in report.detail
    written = [
        line.split("stamps written to ")[1]
        for output in writer.outputs
        for line in output.get("text", "").splitlines()
        if "stamps written to" in line
    ]
    assert len(written) == 1 and Path(written[0]).parent == scratch  # the lab wrote its stamps there ...
    assert list(scratch.iterdir()) == []  # ... and removed them although the student's cell failed
