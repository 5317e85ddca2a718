"""Helpers for the deep-learning-for-astronomy course notebooks.

Import is light: submodules (data, sims, plotting, metrics, checks, grading, notebooks) load on use,
so ``course_utils.setup()`` can choose the Keras backend before Keras is imported.
"""
from course_utils.runtime import Runtime, setup
from course_utils.report import record

__all__ = ["Runtime", "setup", "record"]
__version__ = "0.1.0"
