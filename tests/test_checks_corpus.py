"""The tests every lab's checks share, generated from tests/corpus/labNN.py: the solution passes every
question; the generated lab's stubs fail every question (hidden ones too) with the stub's message; every
typical wrong answer fails with a message that names its mistake; every valid alternative passes; and
every message fits the grader's cut."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

from corpus import solution_functions
from course_utils.checks import evaluate, questions
from course_utils.manifest import course

LABS = [lab for lab in course().lab_ids if (Path(__file__).parent / "corpus" / f"{lab}.py").exists()]
GRADER_MESSAGE_CHARS = 600  # the grader cuts longer feedback
HIDDEN = Path(__file__).resolve().parents[1] / "course_utils" / "grading" / "hidden"
CORPUS = {lab: importlib.import_module(f"corpus.{lab}") for lab in LABS}


def _load_hidden(lab: str) -> None:
    """Register the hidden questions of ``lab`` (the grader reads the file as text; here it is imported)."""
    spec = importlib.util.spec_from_file_location(f"hidden_{lab}", HIDDEN / f"{lab}.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


for _lab in LABS:
    _load_hidden(_lab)
QUESTIONS = {lab: {q.name: q for q in questions(lab, hidden=True)} for lab in LABS}


def _functions(lab: str, *, stubbed: bool = False) -> dict:
    corpus = CORPUS[lab]
    return solution_functions(
        corpus.SOLUTION, corpus.MODULES, stubbed=stubbed, names=getattr(corpus, "EXERCISES", None)
    )


SOLVED = {lab: _functions(lab) for lab in LABS}
STUBS = {lab: _functions(lab, stubbed=True) for lab in LABS}


def verdict(lab: str, name: str, answer) -> tuple[bool, str]:
    passed, message = evaluate(QUESTIONS[lab][name], answer)
    assert len(message) <= GRADER_MESSAGE_CHARS, f"{len(message)} characters: {message}"
    return passed, message


def _every_question():
    return [(lab, name) for lab in LABS for name in QUESTIONS[lab]]


@pytest.mark.parametrize("lab, name", _every_question())
def test_the_solution_passes(lab, name):
    assert verdict(lab, name, SOLVED[lab][QUESTIONS[lab][name].target]) == (True, "correct")


@pytest.mark.parametrize("lab, name", _every_question())
def test_the_stubs_fail_with_the_stub_message(lab, name):
    passed, message = verdict(lab, name, STUBS[lab][QUESTIONS[lab][name].target])
    assert not passed
    assert "still raises NotImplementedError" in message and "YOUR CODE HERE" in message, message


@pytest.mark.parametrize("lab", LABS)
def test_every_lab_has_hidden_checks_and_a_corpus_for_every_question(lab):
    hidden = [q for q in QUESTIONS[lab].values() if q.hidden]
    visible = {q.name for q in QUESTIONS[lab].values() if not q.hidden}
    assert hidden and sum(q.points for q in QUESTIONS[lab].values() if not q.hidden) == 10
    assert visible <= {name for name, _, _ in CORPUS[lab].WRONG}, "a question without wrong answers"


def _wrong():
    return [
        pytest.param(lab, name, answer, words, id=f"{lab}-{name}-{k}")
        for lab in LABS
        for k, (name, answer, words) in enumerate(CORPUS[lab].WRONG)
    ]


def _valid():
    return [
        pytest.param(lab, name, answer, id=f"{lab}-{name}-{getattr(answer, '__name__', k)}")
        for lab in LABS
        for k, (name, answer) in enumerate(CORPUS[lab].VALID)
    ]


@pytest.mark.parametrize("lab, name, answer, words", _wrong())
def test_a_wrong_answer_fails_naming_its_mistake(lab, name, answer, words):
    passed, message = verdict(lab, name, answer)
    assert not passed, "a wrong answer passed"
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("lab, name, answer", _valid())
def test_a_valid_answer_passes(lab, name, answer):
    assert verdict(lab, name, answer) == (True, "correct")


def test_the_corpus_holds_about_150_answers():
    wrong = sum(len(CORPUS[lab].WRONG) for lab in LABS)
    valid = sum(len(CORPUS[lab].VALID) for lab in LABS)
    assert wrong >= 150 and valid >= 20, (wrong, valid)
