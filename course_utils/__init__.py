"""Helpers for the deep-learning-for-astronomy course notebooks.

Import is light: submodules (data, sims, plotting, metrics, checks, grading, notebooks) load on use,
so ``course_utils.setup()`` can choose the Keras backend before Keras is imported.
"""

from course_utils.report import record
from course_utils.runtime import Runtime, setup

__all__ = ["Runtime", "setup", "record"]
# The course's one version: pyproject.toml reads it, and the Colab install cell installs its release tag.
__version__ = "0.2.0"
