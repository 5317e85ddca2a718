"""Lab 01's self-checks pass on the solution notebook's functions, name the mistake in typical wrong
ones, and tell a student whose lab is still the unmodified stub what to do."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import convolve2d

from course_utils.checks import evaluate, questions
from labsource import notebook_functions

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "01_foundations.py"


SOLVED = notebook_functions(SOLUTION, {"np": np})
STUB = notebook_functions(SOLUTION, {"np": np}, stubbed=True)  # the functions of the generated student lab
QUESTIONS = {q.name: q for q in questions("lab01")}


def verdict(name: str, answer) -> tuple[bool, str]:
    return evaluate(QUESTIONS[name], answer)


def test_lab_is_worth_ten_points_over_the_four_exercises():
    assert sum(q.points for q in QUESTIONS.values()) == 10
    assert set(QUESTIONS) == {"perceptron", "gd_step", "gd_table", "forward", "backward", "train_step", "conv2d"}


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_solution_passes(name):
    assert verdict(name, SOLVED[QUESTIONS[name].target]) == (True, "correct")


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_unmodified_lab_says_what_to_do(name):
    passed, message = verdict(name, STUB[QUESTIONS[name].target])
    assert not passed
    assert "still raises NotImplementedError" in message and "YOUR CODE HERE" in message


def test_solution_reproduces_the_notes():
    """The numbers of seeds 002 and 004, as printed there."""
    table = SOLVED["gd_table"](3.0, 0.1, 10)
    assert np.round(table[:, 1], 3).tolist() == [3, 2.4, 1.92, 1.536, 1.229, 0.983, 0.786, 0.629, 0.503, 0.403]
    assert np.round(table[:, 2], 3).tolist() == [0.6, 0.48, 0.384, 0.307, 0.246, 0.197, 0.157, 0.126, 0.101, 0.081]
    w, b, i, t = NOTES
    f = SOLVED["forward"](w, b, i, t)
    assert [round(f[k], 9) for k in ("out_h1", "out_h2", "out_o2", "E_total")] == [
        0.593269992, 0.596884378, 0.772928465, 0.298371109]
    assert round(f["out_o1"], 8) == 0.75136507
    assert round(SOLVED["backward"](w, b, i, t)[4], 9) == 0.082167041
    w_new = SOLVED["train_step"](w, b, i, t, 0.5)
    assert (round(w_new[4], 8), round(w_new[0], 9)) == (0.35891648, 0.149780716)
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    x_kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    assert SOLVED["conv2d"](image, x_kernel).tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


NOTES = (np.array([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]), np.array([0.35, 0.60]),
         np.array([0.05, 0.10]), np.array([0.01, 0.99]))


# --- typical wrong answers, written the way students write them ------------------------------------

def perceptron(*, sign=1.0, learn_bias=True, fires_at_zero=False, fixed_lr=None):
    def train(X, y, lr, epochs):
        lr = lr if fixed_lr is None else fixed_lr
        w, b = np.zeros(X.shape[1]), 0.0
        for _ in range(epochs):
            for x, target in zip(X, y):
                z = w @ x + b
                output = 1.0 if (z >= 0 if fires_at_zero else z > 0) else 0.0
                w = w + sign * lr * (target - output) * x
                b = b + sign * lr * (target - output) * learn_bias
        return w, b
    return train


def gd_table(*, step_first=False, rows_extra=0, gradient_column=False, transposed=False, fixed_theta0=None):
    def table(theta0, alpha, n):
        theta = theta0 if fixed_theta0 is None else fixed_theta0
        rows = []
        for k in range(1, n + 1 + rows_extra):
            if step_first:
                theta = theta - alpha * 2 * theta
            rows.append((k, theta, 2 * theta if gradient_column else alpha * 2 * theta))
            if not step_first:
                theta = theta - alpha * 2 * theta
        return np.array(rows).T if transposed else np.array(rows)
    return table


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward(*, hidden_bias=True, hidden_sigmoid=True, half=0.5, wiring=((0, 1), (2, 3))):
    def run(w, b, i, target):
        (a, c), (d, e) = wiring
        net_h1 = w[a] * i[0] + w[c] * i[1] + b[0] * hidden_bias
        net_h2 = w[d] * i[0] + w[e] * i[1] + b[0] * hidden_bias
        out_h1, out_h2 = (sigmoid(net_h1), sigmoid(net_h2)) if hidden_sigmoid else (net_h1, net_h2)
        out_o1 = sigmoid(w[4] * out_h1 + w[5] * out_h2 + b[1])
        out_o2 = sigmoid(w[6] * out_h1 + w[7] * out_h2 + b[1])
        E_total = half * (target[0] - out_o1) ** 2 + half * (target[1] - out_o2) ** 2
        return dict(out_h1=out_h1, out_h2=out_h2, out_o1=out_o1, out_o2=out_o2, E_total=E_total)
    return run


def notes_numbers_hard_coded(w, b, i, target):
    return dict(out_h1=0.593269992, out_h2=0.596884378, out_o1=0.75136507, out_o2=0.772928465, E_total=0.298371109)


def backward(*, sign=1.0, output_slope=True, only_o1=False, output_layer_first=False, forward_pass=None):
    def run(w, b, i, target):
        f = (forward_pass or SOLVED["forward"])(w, b, i, target)
        out_h, out_o = np.array([f["out_h1"], f["out_h2"]]), np.array([f["out_o1"], f["out_o2"]])
        delta_o = sign * (out_o - target) * (out_o * (1 - out_o) if output_slope else 1.0)
        w_out = w[4:].reshape(2, 2)
        to_hidden = w_out[0] * delta_o[0] if only_o1 else w_out.T @ delta_o
        delta_h = to_hidden * out_h * (1 - out_h)
        hidden, output = np.outer(delta_h, i).ravel(), np.outer(delta_o, out_h).ravel()
        return np.concatenate([output, hidden] if output_layer_first else [hidden, output])
    return run


def train_step_output_layer_first(w, b, i, target, eta):
    """Updates w5..w8 first, then backpropagates to the hidden layer through the *updated* weights."""
    f = SOLVED["forward"](w, b, i, target)
    out_h, out_o = np.array([f["out_h1"], f["out_h2"]]), np.array([f["out_o1"], f["out_o2"]])
    delta_o = (out_o - target) * out_o * (1 - out_o)
    w_new = w.copy()
    w_new[4:] = w[4:] - eta * np.outer(delta_o, out_h).ravel()
    delta_h = (w_new[4:].reshape(2, 2).T @ delta_o) * out_h * (1 - out_h)
    w_new[:4] = w[:4] - eta * np.outer(delta_h, i).ravel()
    return w_new


def train_step_in_place(w, b, i, target, eta):
    w -= eta * SOLVED["backward"](w, b, i, target)
    return w


def conv2d(*, flip=False, use_padding=True, use_stride=True, integer_output=False, off_by_one=0):
    def run(image, kernel, stride=1, padding=0):
        padded = np.pad(image, padding if use_padding else 0)
        step = stride if use_stride else 1
        k_rows, k_cols = kernel.shape
        kernel = kernel[::-1, ::-1] if flip else kernel
        rows = (padded.shape[0] - k_rows) // step + 1 - off_by_one
        cols = (padded.shape[1] - k_cols) // step + 1 - off_by_one
        out = np.zeros_like(padded) if integer_output else np.zeros((rows, cols))
        out = out[:rows, :cols]
        for r in range(rows):
            for c in range(cols):
                out[r, c] = np.sum(padded[r * step:r * step + k_rows, c * step:c * step + k_cols] * kernel)
        return out
    return run


WRONG_ANSWERS = [
    ("perceptron", perceptron(sign=-1.0), "after epoch 1 on NAND", "the sign is flipped"),
    ("perceptron", perceptron(learn_bias=False), "b = 0;", "the bias learns too"),
    ("perceptron", perceptron(fires_at_zero=True), "your weights are", "strictly"),
    ("perceptron", perceptron(fixed_lr=0.25), "on fresh data", "0.5 × the expected ones"),
    ("gd_step", lambda theta, alpha: theta + alpha * 2 * theta,
     "θ after one step from θ = 3.0 with α = 0.1 is 3.6, expected 2.4", "the update subtracts α·dJ/dθ"),
    ("gd_step", lambda theta, alpha: theta - alpha * theta, "is 2.7, expected 2.4", "is 2θ, not θ"),
    ("gd_step", lambda theta, alpha: alpha * 2 * theta, "is 0.6", "not the step"),
    ("gd_table", gd_table(rows_extra=1), "has shape (11, 3), expected (10, 3)", "10 rows, not 11"),
    ("gd_table", gd_table(step_first=True), "row 1, column 'θ' is 2.4, expected 3", "record the row, then take"),
    ("gd_table", gd_table(gradient_column=True), "column 'α·dJ/dθ' is 6, expected 0.6", "not the gradient"),
    ("gd_table", gd_table(transposed=True), "has shape (3, 10)", "transposed"),
    ("gd_table", gd_table(fixed_theta0=3.0), "gd_table(-2.0, 0.05, 7)", "hard-coded"),
    ("forward", forward(hidden_bias=False), "out_h1 is 0.506874567, expected 0.593269992", "is the bias added?"),
    ("forward", forward(hidden_sigmoid=False), "out_h1 is 0.3775", "squash"),
    ("forward", forward(half=1.0), "E_total is", "the ½ is missing"),
    ("forward", forward(wiring=((0, 2), (1, 3))), "out_h1 is", "check the wiring"),
    ("forward", notes_numbers_hard_coded, "on fresh inputs", "hard-coded"),
    ("backward", backward(sign=-1.0), "∂E_total/∂w5 is -0.082167041, expected 0.082167041", "sign"),
    ("backward", backward(output_slope=False), "∂E_total/∂w5 is", "out_o1·(1 − out_o1)"),
    ("backward", backward(only_o1=True), "∂E_total/∂w1 is", "E_o2 counts too"),
    ("backward", backward(output_layer_first=True), "∂E_total/∂w5 is", "order w1, …, w8"),
    ("backward", backward(forward_pass=forward(hidden_bias=False)), "∂E_total/∂w5 is",
     "fix forward first: is the bias added?"),
    ("train_step", lambda w, b, i, target, eta: w + eta * SOLVED["backward"](w, b, i, target),
     "the updated w5 is 0.44108352, expected 0.35891648", "against the gradient"),
    ("train_step", train_step_output_layer_first, "the updated w1 is", "use the old w5 … w8"),
    ("train_step", train_step_in_place, "changed the array w passed to it", "new array"),
    ("train_step", lambda w, b, i, target, eta: (w - eta * SOLVED["backward"](w, b, i, target), b),
     "returned a tuple of 2 items", "biases stay fixed"),
    ("conv2d", conv2d(flip=True), "a 7×7 image and 3×3 kernel, stride 1", "true convolution"),
    ("conv2d", conv2d(use_padding=False), "shape (5, 6); with stride 1 and padding 1 a 6×8 image and 2×3 kernel "
     "give (7, 8)", "adds 1 row and column of zeros"),
    ("conv2d", conv2d(use_stride=False), "shape (5, 5); with stride 2", "moves 2 pixels at a time"),
    ("conv2d", conv2d(off_by_one=1), "shape (2, 2)", "off by one"),
    ("conv2d", conv2d(integer_output=True), "a 7×7 image", "whole numbers"),
    ("conv2d", lambda image, kernel, stride=1, padding=0: np.array([[4, 3, 4], [2, 4, 3], [2, 3, 4]]),
     "your feature map has shape (3, 3)", "(5, 5) = ⌊(W − K + 2P)/S⌋ + 1"),
]


@pytest.mark.parametrize("name, answer, where, hint", WRONG_ANSWERS,
                         ids=[f"{name}-{hint[:24]}" for name, _, _, hint in WRONG_ANSWERS])
def test_wrong_answer_gets_a_specific_message(name, answer, where, hint):
    passed, message = verdict(name, answer)
    assert not passed
    assert where in message, message
    assert hint in message, message
    assert "raised" not in message, message  # the check diagnosed it, it did not crash on it


def test_messages_state_values_not_code():
    _, message = verdict("conv2d", conv2d(flip=True))
    assert "expected" in message and "np." not in message and "def " not in message


def test_flipped_kernel_passes_the_symmetric_notes_example_but_not_the_fresh_cases():
    """Why fresh inputs matter: seed 004's X kernel is symmetric, so flipping it changes nothing."""
    x_kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    image = np.arange(25).reshape(5, 5)
    assert np.array_equal(convolve2d(image, x_kernel, mode="valid"), SOLVED["conv2d"](image, x_kernel))
    assert "7×7" in verdict("conv2d", conv2d(flip=True))[1]
