"""Lab 01's questions and worked numbers (the tests every lab shares are in test_checks_corpus.py)."""

from __future__ import annotations

import numpy as np
from scipy.signal import convolve2d

from corpus import lab01 as corpus
from course_utils.checks import evaluate, questions

SOLVED = corpus.SOLVED
QUESTIONS = {q.name: q for q in questions("lab01")}
EXAMPLE = (
    np.array([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]),
    np.array([0.35, 0.60]),
    np.array([0.05, 0.10]),
    np.array([0.01, 0.99]),
)


def test_lab_is_worth_ten_points_over_the_four_exercises():
    assert sum(q.points for q in QUESTIONS.values()) == 10
    assert set(QUESTIONS) == {"perceptron", "gd_step", "gd_table", "forward", "backward", "train_step", "conv2d"}


def test_solution_reproduces_the_worked_examples():
    """The gradient-descent table of C. R. Bom's lecture, M. Mazur's backpropagation numbers and the 5×5
    convolution of A. Mahabal's lecture, as printed there."""
    table = SOLVED["gd_table"](3.0, 0.1, 10)
    assert np.round(table[:, 1], 3).tolist() == [3, 2.4, 1.92, 1.536, 1.229, 0.983, 0.786, 0.629, 0.503, 0.403]
    assert np.round(table[:, 2], 3).tolist() == [0.6, 0.48, 0.384, 0.307, 0.246, 0.197, 0.157, 0.126, 0.101, 0.081]
    w, b, i, t = EXAMPLE
    f = SOLVED["forward"](w, b, i, t)
    assert [round(f[k], 9) for k in ("out_h1", "out_h2", "out_o2", "E_total")] == [
        0.593269992,
        0.596884378,
        0.772928465,
        0.298371109,
    ]
    assert round(f["out_o1"], 8) == 0.75136507
    assert round(SOLVED["backward"](w, b, i, t)[4], 9) == 0.082167041
    w_new = SOLVED["train_step"](w, b, i, t, 0.5)
    assert (round(w_new[4], 8), round(w_new[0], 9)) == (0.35891648, 0.149780716)
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    x_kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    assert SOLVED["conv2d"](image, x_kernel).tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


def test_messages_state_values_not_code():
    _, message = evaluate(QUESTIONS["conv2d"], corpus.conv2d(flip=True))
    assert "expected" in message and "np." not in message and "def " not in message


def test_flipped_kernel_passes_the_symmetric_lecture_example_but_not_the_fresh_cases():
    """Why fresh inputs matter: the lecture's X kernel is symmetric, so flipping it changes nothing."""
    x_kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    image = np.arange(25).reshape(5, 5)
    assert np.array_equal(convolve2d(image, x_kernel, mode="valid"), SOLVED["conv2d"](image, x_kernel))
    assert "7×7" in evaluate(QUESTIONS["conv2d"], corpus.conv2d(flip=True))[1]


def test_the_checks_call_student_code_only_through_the_toolkit():
    """What the grader relies on: an answer that is not a function but has call_with_args is judged the
    same way, by calling that method (the grader's proxy into the student's kernel)."""

    class Proxy:
        __name__ = "conv2d"
        calls = 0

        def call_with_args(self, args, kwargs):
            Proxy.calls += 1
            return SOLVED["conv2d"](*args, **kwargs), args, kwargs

    assert evaluate(QUESTIONS["conv2d"], Proxy()) == (True, "correct") and Proxy.calls == 6
