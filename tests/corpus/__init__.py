"""Typical student answers for every lab, one module per lab (``lab01`` ...).

Each module names its lab (``LAB``), its solution notebook's source (``SOLUTION``), the modules its
functions see (``MODULES``), and two lists: ``WRONG``, of (question, answer, words), where the check's
message for that wrong answer must contain every one of ``words`` (they name the mistake); and ``VALID``,
of (question, answer), other correct answers that must pass. tests/test_checks_corpus.py runs them all.
"""

from __future__ import annotations

from pathlib import Path

from labsource import notebook_functions

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


def solution_functions(solution: str, modules: dict, *, stubbed: bool = False, names=None) -> dict:
    """The exercise functions of ``solutions/<solution>`` (as solved, or as the generated lab's stubs)."""
    return notebook_functions(SOLUTIONS / solution, modules, stubbed=stubbed, names=names)
