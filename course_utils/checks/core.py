"""Self-checks: a lab's questions, each a function that says exactly what is wrong.

A question is registered with ``@question(lab, name, points=..., target=...)`` on a function that
takes the student's answer (the object named ``target`` in the notebook) and raises
``CheckFailed("out_h1 is 0.5938, expected 0.5933: is the bias added?")`` when it is wrong.
Students call ``check(lab, name, answer)`` in the notebook; the grader calls the same questions
on the notebook's final namespace, so deleting a check call does not skip a question.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class CheckFailed(AssertionError):
    """Raised by a question with a message that tells the student what to fix."""


@dataclass(frozen=True)
class Question:
    lab: str
    name: str
    points: float
    target: str  # name of the notebook variable the question inspects
    run: Callable[[Any], None]
    hidden: bool = False

    @property
    def qid(self) -> str:
        return f"{self.lab}.{self.name}"


REGISTRY: dict[str, Question] = {}


def question(lab: str, name: str, *, points: float, target: str, hidden: bool = False):
    """Register the decorated function as question ``lab.name`` worth ``points``."""

    def register(fn: Callable[[Any], None]) -> Callable[[Any], None]:
        q = Question(lab=lab, name=name, points=points, target=target, run=fn, hidden=hidden)
        REGISTRY[q.qid] = q
        return fn

    return register


def questions(lab: str, *, hidden: bool = False) -> list[Question]:
    """The questions of one lab in definition order (visible ones; with ``hidden=True`` all of them)."""
    importlib.import_module(f"course_utils.checks.{lab}")
    return [q for q in REGISTRY.values() if q.lab == lab and (hidden or not q.hidden)]


def evaluate(q: Question, answer: Any) -> tuple[bool, str]:
    """Run one question; return (passed, message). Never raises for a wrong or broken answer."""
    if isinstance(answer, type(Ellipsis)) or answer is None:
        return False, f"{q.target} is not defined yet: complete the exercise above."
    try:
        q.run(answer)
    except CheckFailed as failure:
        return False, str(failure)
    except NotImplementedError:
        return False, f"{q.target} still raises NotImplementedError: replace the '# YOUR CODE HERE' lines."
    except Exception as error:  # the student's code crashed inside the check
        return False, f"calling {q.target} raised {type(error).__name__}: {error}"
    return True, "correct"


def check(lab: str, name: str, answer: Any) -> bool:
    """Check a student's answer to question ``lab.name`` and print specific feedback."""
    importlib.import_module(f"course_utils.checks.{lab}")
    q = REGISTRY.get(f"{lab}.{name}")
    if q is None:
        raise KeyError(f"No question {lab}.{name}; known: {', '.join(sorted(REGISTRY))}")
    passed, message = evaluate(q, answer)
    mark = "\u2714" if passed else "\u2718"
    print(f"{mark} {q.qid} ({q.points:g} point{'s' if q.points != 1 else ''}): {message}")
    return passed
