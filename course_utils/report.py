"""Key figures a notebook reports (a test accuracy, an AUROC), collected into the course run's summary."""

from __future__ import annotations

METRIC_KEY = "course_metric"


def record(name: str, value: float, fmt: str = ".4f") -> float:
    """Show ``name = value`` and tag it so the notebook runner puts it in build/summary.

    Returns the value, so ``acc = record("test_accuracy", acc)`` reads naturally.
    """
    text = f"{name} = {value:{fmt}}"
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: just print
        print(text)
        return value
    if get_ipython() is None:
        print(text)
    else:
        display({"text/plain": text}, raw=True, metadata={METRIC_KEY: {name: float(value)}})
    return value
