"""The check toolkit: what every lab's questions (and an instructor's own hidden checks) are made of.

A question first runs the student's function on all its named cases with ``call`` (a crash names the
case, ``hint_on_crash`` / ``attempt`` add what the case demands, a modified argument is reported), turns
each result into numbers with ``array``, ``integers``, ``number`` or ``scalar`` (saying what was returned
instead), then judges: compares with a reference under one tolerance policy (``close``) and, when the
answer is wrong, asks ``diagnose`` which known mistake reproduces it. A hint is offered only when exactly
one known mistake reproduces the answers on every case, so a case where several mistakes give the same
numbers cannot mis-diagnose.

Student code is only ever *called*, through ``call`` and ``build_block``; the grader passes an answer with
``call_with_args`` / ``build_block`` methods that run the call in the student's kernel, so the judgement
happens where no student code runs. An instructor's hidden check, for example::

    @question("lab01", "gd_step_far", points=1, target="gd_step", hidden=True)
    def check_gd_step_far(gd_step):
        got = scalar(call(gd_step, "θ = −40, α = 0.5", -40.0, 0.5), "gd_step(-40.0, 0.5)")
        if not close(got, 0.0):
            raise CheckFailed(f"gd_step(-40.0, 0.5) is {num(got)}, expected 0: θ − α·2θ with α = 0.5.")
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from course_utils.checks.core import CheckFailed

RTOL, ATOL = 1e-5, 1e-8  # float32 student code passes; NaN matches NaN
ERROR_CHARS = 200  # of a crash's message, so that feedback fits the grader's cut
RETURN_A_TENSOR = (
    "return the block's output tensor (what the last layer returns when called on a tensor), not a model or a layer."
)


class Crashed(CheckFailed):
    """The student's function raised on a case; the message names the function, the case and the error."""

    def __init__(self, message: str, kind: str = "", error: str = ""):
        super().__init__(message)
        self.kind, self.error = kind, error  # the exception's type name and text


def close(answer: Any, expected: Any) -> bool:
    """Same shape and equal within the tolerance policy (rtol 1e-5, atol 1e-8; NaN where NaN is expected)."""
    try:
        answer, expected = np.asarray(answer, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return answer.shape == expected.shape and bool(np.allclose(answer, expected, rtol=RTOL, atol=ATOL, equal_nan=True))


def first_difference(answer: np.ndarray, expected: np.ndarray) -> tuple[int, ...]:
    """Index of the first entry where two arrays of the same shape differ beyond the tolerance."""
    differs = ~np.isclose(
        np.asarray(answer, dtype=float), np.asarray(expected, dtype=float), rtol=RTOL, atol=ATOL, equal_nan=True
    )
    return tuple(int(i) for i in np.argwhere(differs)[0])


def _described(value: Any) -> str:
    return f"{type(value).__name__}: {value!r:.120}"


def array(value: Any, what: str) -> np.ndarray:
    """``value`` as a NumPy array of numbers (its own dtype kept: int, float or bool), or CheckFailed saying
    what ``what`` returned instead."""
    if value is None:
        raise CheckFailed(f"{what} returned None: is a `return` missing?")
    try:
        result = np.asarray(value)
        if not (np.issubdtype(result.dtype, np.number) or result.dtype == bool):
            result = result.astype(float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should be numbers; it is {_described(value)}") from None
    return result


def integers(value: Any, what: str) -> np.ndarray:
    """``value`` as an integer array: counts and indices must have an integer dtype, not whole floats."""
    raw = array(value, what)
    numbers = raw.astype(float)
    if raw.dtype == bool:
        raise CheckFailed(f"{what} is a boolean mask (True/False); return integers.")
    if not np.issubdtype(raw.dtype, np.integer):
        whole = bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))
        raise CheckFailed(
            f"{what} has dtype {raw.dtype}; return integers"
            + (" (the values are whole numbers: build the array with dtype=int)" if whole else "")
            + "."
        )
    return raw.astype(np.int64)


def scalar(value: Any, what: str) -> float:
    """``value`` as one float, accepting only a number (Python, NumPy, or a 0-d array), not a list of one."""
    result = array(value, what)
    if result.ndim != 0:
        raise CheckFailed(
            f"{what} should be one number; it is {_described(value)} of shape {result.shape}: "
            "return the number itself, not wrapped in a list or array."
        )
    return float(result)


def number(value: Any, what: str) -> float:
    """``value`` as one float (a Python or NumPy scalar, or an array of size 1)."""
    result = array(value, what)
    if result.size != 1:
        raise CheckFailed(f"{what} should be one number; it has shape {result.shape} ({_described(value)}).")
    return float(result.reshape(()))


def num(x: float) -> str:
    """Up to nine decimals without trailing zeros: 0.593269992, 2.4, nan."""
    x = float(x)
    if np.isnan(x):
        return "nan"
    text = f"{x:.9f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def vec(values: Any) -> str:
    """A short list of numbers, four significant digits each: [0.5, 1, nan]."""
    return "[" + ", ".join("nan" if np.isnan(v) else f"{v:.4g}" for v in np.ravel(np.asarray(values, float))) + "]"


def sentence(hint: str) -> str:
    """``hint`` ending with a full stop (or its own ? or .)."""
    return hint if hint.endswith(("?", ".")) else hint + "."


def _name(fn: Any) -> str:
    return getattr(fn, "__name__", None) or "your function"


def _argument_names(fn: Any, n_args: int) -> list[str]:
    try:
        names = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        names = []
    ordinals = ("first", "second", "third", "fourth", "fifth")
    return [
        f"the array {names[k]}" if k < len(names) else f"its {ordinals[k] if k < 5 else f'#{k + 1}'} argument"
        for k in range(n_args)
    ]


def _same(before: Any, after: Any) -> bool:
    try:
        return np.array_equal(np.asarray(before), np.asarray(after), equal_nan=True)
    except (TypeError, ValueError):
        return np.array_equal(np.asarray(before, dtype=object), np.asarray(after, dtype=object))


def _mutable(value: Any) -> bool:
    return isinstance(value, (np.ndarray, list))


def _crash(fn: Any, case: str, error: BaseException) -> Crashed:
    kind = getattr(error, "type_name", None) or type(error).__name__
    text = str(error)
    text = text if len(text) <= ERROR_CHARS else text[:ERROR_CHARS] + "…"
    return Crashed(f"calling {_name(fn)} on {case} raised {kind}: {text}", kind, str(error))


def call(fn: Any, case: str, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` on the case described by ``case`` ("the 6×8 image with the 2×3 kernel").

    A crash becomes CheckFailed naming the case and the error (NotImplementedError propagates: the
    stub's message); an array or list argument that the call modified becomes CheckFailed naming it.
    An answer with ``call_with_args(args, kwargs) -> (result, args_after, kwargs_after)`` (the grader's
    proxy into the student's kernel) is called through that method; otherwise on deep copies.
    """
    try:
        if hasattr(fn, "call_with_args"):
            result, args_after, kwargs_after = fn.call_with_args(args, kwargs)
        else:
            args_after, kwargs_after = copy.deepcopy(args), copy.deepcopy(kwargs)
            result = fn(*args_after, **kwargs_after)
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as error:  # the student's code crashed on this case
        raise _crash(fn, case, error) from None
    names = _argument_names(fn, len(args))
    changed = [names[k] for k, (a, b) in enumerate(zip(args, args_after)) if _mutable(a) and not _same(a, b)]
    changed += [
        f"the array {key}" for key, value in kwargs.items() if _mutable(value) and not _same(value, kwargs_after[key])
    ]
    if changed:
        what = " and ".join(changed)
        raise CheckFailed(
            f"{_name(fn)} changed {what} passed to it on {case} (an in-place operation such as "
            "a -= ..., a.sort() or a[...] = ...): work on a copy or build a new array, the "
            "caller still needs the original."
        )
    return result


@contextmanager
def hint_on_crash(hint: str):
    """Add ``hint`` (what the case demands) to the message of a crash inside the block."""
    try:
        yield
    except Crashed as crash:
        raise Crashed(f"{crash} — {sentence(hint)}", crash.kind, crash.error) from None


def attempt(fn: Any, case: str, hint: str, *args: Any, **kwargs: Any) -> Any:
    """``call(fn, case, *args, **kwargs)``, a crash's message ending with ``hint`` (what the case demands)."""
    with hint_on_crash(hint):
        return call(fn, case, *args, **kwargs)


def build_block(fn: Any, case: str, input_shape: Sequence[int], *args: Any, **kwargs: Any):
    """The keras.Model from keras.Input(input_shape) to ``fn(x, *args, **kwargs)``, for a function that
    builds part of a network. A crash names the case; a result that is not a tensor says what to return.
    An answer with ``build_block(input_shape, args, kwargs)`` (the grader's proxy) builds it itself."""
    import keras

    try:
        if hasattr(fn, "build_block"):
            return fn.build_block(tuple(input_shape), args, kwargs)
        x = keras.Input(tuple(input_shape))
        y = fn(x, *args, **kwargs)
    except (NotImplementedError, CheckFailed):
        raise
    except Exception as error:
        raise _crash(fn, case, error) from None
    try:
        return keras.Model(x, y)
    except Exception:
        raise CheckFailed(f"on {case} {_name(fn)} returned {type(y).__name__}; {RETURN_A_TENSOR}") from None


def diagnose(
    answers: Sequence[Any],
    mistakes: Iterable[tuple[str, Sequence[Any]]],
    general: Iterable[tuple[str, Sequence[Any]]] = (),
) -> str | None:
    """The hint of the one known mistake that reproduces the student's ``answers`` on every case, else None.

    ``answers[k]`` is the student's result on case k; each mistake is (hint, results), ``results[k]`` what
    the mistake gives on case k (None where it does not apply). Two mistakes with the same hint count as one.
    ``general`` mistakes (such as "proportional to the right answer") are tried only when no specific one
    reproduces the answers, since they include several specific ones.
    """
    for candidates in (mistakes, general):
        matching = set()
        for hint, results in candidates:
            used = [(answer, result) for answer, result in zip(answers, results) if result is not None]
            if used and all(close(answer, result) for answer, result in used):
                matching.add(hint)
        if matching:
            return matching.pop() if len(matching) == 1 else None
    return None


def by_case(mistakes_per_case: Sequence[Sequence[tuple[str, Any]]]) -> list[tuple[str, list]]:
    """Regroup [[(hint, result on case k) for each mistake] for each case k] into [(hint, results)], the
    form ``diagnose`` takes; every case lists the same mistakes in the same order."""
    return [
        (hint, [per_case[m][1] for per_case in mistakes_per_case]) for m, (hint, _) in enumerate(mistakes_per_case[0])
    ]
