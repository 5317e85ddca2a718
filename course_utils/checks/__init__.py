"""Self-checks of the labs: one module per lab (``lab01`` ...), built on ``core`` (the questions) and
``toolkit`` (calling the student's code on named cases, coercion, tolerance, diagnosis of mistakes)."""

from course_utils.checks.core import CheckFailed, Question, check, evaluate, question, questions

__all__ = ["CheckFailed", "Question", "check", "evaluate", "question", "questions"]
