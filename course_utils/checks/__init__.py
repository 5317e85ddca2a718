"""Self-checks of the labs: one module per lab (``lab01`` ...), built on ``core``."""
from course_utils.checks.core import CheckFailed, Question, check, evaluate, question, questions

__all__ = ["CheckFailed", "Question", "check", "evaluate", "question", "questions"]
