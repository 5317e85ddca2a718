"""Hidden checks of lab 01: cases the lab states but its self-checks do not try.

Read by the grader as text (never imported by the package); students do not see them in the lab.
This file is public in the course repository: for a graded school, keep your own in a private folder
and pass it with ``course-grade lab01 ... --hidden FILE``. Each case stays inside what the lab asks:
X of shape (n, d) for any d, gd_table for any n >= 1, kernels and strides of any size.
"""

from __future__ import annotations

import numpy as np

from course_utils.checks.core import CheckFailed, question
from course_utils.checks.lab01 import _correlate, _gd_table, _perceptron
from course_utils.checks.toolkit import array, call, close, first_difference, num, vec

LAB = "lab01"


@question(LAB, "perceptron_shapes", points=1, target="perceptron_train", hidden=True)
def check_perceptron_shapes(perceptron_train) -> None:
    """One input (d = 1), and XOR, which no line separates, so the weights never settle."""
    one_input = (np.array([[-2.0], [-1.0], [1.0], [3.0]]), np.array([0.0, 0.0, 1.0, 1.0]), 0.5, 4)
    xor = (np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0.0, 1.0, 1.0, 0.0]), 0.25, 5)
    for label, (X, y, lr, epochs) in (("one input per row (d = 1)", one_input), ("the XOR gate", xor)):
        result = call(perceptron_train, f"{label} (lr = {lr}, {epochs} epochs)", X, y, lr, epochs)
        try:
            w, b = result
        except (TypeError, ValueError):
            raise CheckFailed(
                f"perceptron_train on {label} should return a pair (w, b); it returned {type(result).__name__}."
            ) from None
        got = np.append(array(w, "w").ravel(), array(b, "b").ravel())
        expected = _perceptron(X, y, lr, epochs)
        if not close(got, expected):
            raise CheckFailed(
                f"on {label} (lr = {lr}, {epochs} epochs) your w, b are {vec(got)}; expected "
                f"{vec(expected)}: does the code assume two inputs, or stop early?"
            )


@question(LAB, "gd_table_one_row", points=1, target="gd_table", hidden=True)
def check_gd_table_one_row(gd_table) -> None:
    """n = 1: a single row (1, θ0, α·2θ0)."""
    got = array(call(gd_table, "θ0 = -0.5, α = 0.3, n = 1", -0.5, 0.3, 1), "gd_table(-0.5, 0.3, 1)")
    expected = _gd_table(-0.5, 0.3, 1)
    if got.shape != expected.shape:
        raise CheckFailed(f"gd_table(-0.5, 0.3, 1) has shape {got.shape}; one iteration is one row, shape (1, 3).")
    if not close(got, expected):
        raise CheckFailed(f"gd_table(-0.5, 0.3, 1) is {vec(got)}, expected {vec(expected)}.")


@question(LAB, "conv2d_sizes", points=1, target="conv2d", hidden=True)
def check_conv2d_sizes(conv2d) -> None:
    """A kernel as large as the image, a 1×1 kernel with stride 2, a stride longer than the kernel."""
    rng = np.random.default_rng(11)
    image = rng.integers(-5, 6, size=(6, 8))
    cases = [
        ("a 6×8 kernel on the 6×8 image", rng.normal(size=(6, 8)).round(2), 1, 0),
        ("a 1×1 kernel with stride 2", np.array([[1.5]]), 2, 0),
        ("a 2×2 kernel with stride 3 and padding 1", rng.normal(size=(2, 2)).round(2), 3, 1),
    ]
    for label, kernel, stride, padding in cases:
        got = array(
            call(conv2d, f"the 6×8 image with {label}", image, kernel, stride=stride, padding=padding),
            f"conv2d with {label}",
        )
        expected = _correlate(image, kernel, stride, padding)
        if got.shape != expected.shape:
            raise CheckFailed(f"with {label} your feature map has shape {got.shape}, expected {expected.shape}.")
        if not close(got, expected):
            index = first_difference(got, expected)
            raise CheckFailed(
                f"with {label} the feature map at {index} is {num(got[index])}, expected {num(expected[index])}."
            )
