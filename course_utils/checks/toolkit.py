"""The one way checks call a student's answer, so the same check runs in the student's kernel (Colab) and in
the grader's judge, where the answer is a ``RemoteCallable`` that runs it in the student's kernel.

    result = toolkit.call(fn, "on 3 fresh images", images, rng)
    model = toolkit.build_block(fn, "with filters=16, stride=2", (16, 16, 8), 16, stride=2)
"""
from __future__ import annotations

import copy
from typing import Any

from course_utils.checks.core import CheckFailed

RETURN_A_TENSOR = "return the block's output tensor (what the last layer returns when called on a tensor)."


def _changed(before: Any, after: Any) -> bool:
    import numpy as np

    if isinstance(before, np.ndarray):
        return not (isinstance(after, np.ndarray) and before.shape == after.shape
                    and np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
    if isinstance(before, (list, tuple)):
        return (not isinstance(after, (list, tuple)) or len(before) != len(after)
                or any(_changed(b, a) for b, a in zip(before, after)))
    return False


def call(fn, case: str, *args, **kwargs) -> Any:
    """``fn(*args, **kwargs)``; a crash or an array/list argument changed in place raises CheckFailed naming ``case``.
    ``fn`` with a ``call_with_args(args, kwargs)`` method (the grader's) is called through it; otherwise it is
    called here on deep copies of the arguments."""
    try:
        if hasattr(fn, "call_with_args"):
            result, args_after, kwargs_after = fn.call_with_args(args, kwargs)
        else:
            args_after, kwargs_after = copy.deepcopy(args), copy.deepcopy(kwargs)
            result = fn(*args_after, **kwargs_after)
    except (CheckFailed, NotImplementedError):
        raise
    except Exception as error:
        raise CheckFailed(f"{case}: {getattr(fn, '__name__', 'the function')} raised {type(error).__name__}: "
                          f"{error}") from None
    for position, (before, after) in enumerate(zip(args, args_after)):
        if _changed(before, after):
            raise CheckFailed(f"{case}: {getattr(fn, '__name__', 'the function')} changed its argument "
                              f"{position + 1} in place; compute a new array instead (the caller still needs the "
                              "original).")
    for key, before in kwargs.items():
        if _changed(before, kwargs_after.get(key)):
            raise CheckFailed(f"{case}: {getattr(fn, '__name__', 'the function')} changed its argument {key} in "
                              "place; compute a new array instead.")
    return result


def build_block(fn, case: str, input_shape: tuple, *args, **kwargs):
    """keras.Model(x, fn(x, *args, **kwargs)) for x = keras.Input(input_shape); ``fn`` with a
    ``build_block(input_shape, args, kwargs)`` method (the grader's) builds it through that."""
    if hasattr(fn, "build_block"):
        return fn.build_block(tuple(input_shape), args, kwargs)
    import keras

    inputs = keras.Input(tuple(input_shape))
    output = fn(inputs, *args, **kwargs)
    if not isinstance(output, keras.KerasTensor):
        raise CheckFailed(f"{case} {getattr(fn, '__name__', 'the function')} returned {type(output).__name__}; "
                          f"{RETURN_A_TENSOR}")
    return keras.Model(inputs, output)
