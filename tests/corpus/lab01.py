"""Lab 01: typical wrong answers, written the way students write them, with the words their message must
contain; and other valid answers, which must pass."""

from __future__ import annotations

import numpy as np

from corpus import solution_functions

LAB, SOLUTION = "lab01", "01_foundations.py"
MODULES = {"np": np}
SOLVED = solution_functions(SOLUTION, MODULES)

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
                out[r, c] = np.sum(padded[r * step : r * step + k_rows, c * step : c * step + k_cols] * kernel)
        return out

    return run


_WRONG_ANSWERS = [
    ("perceptron", perceptron(sign=-1.0), "after epoch 1 on NAND", "the sign is flipped"),
    ("perceptron", perceptron(learn_bias=False), "b = 0;", "the bias learns too"),
    ("perceptron", perceptron(fires_at_zero=True), "your weights are", "strictly"),
    ("perceptron", perceptron(fixed_lr=0.25), "on fresh data", "0.5 × the expected ones"),
    (
        "gd_step",
        lambda theta, alpha: theta + alpha * 2 * theta,
        "θ after one step from θ = 3.0 with α = 0.1 is 3.6, expected 2.4",
        "the update subtracts α·dJ/dθ",
    ),
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
    (
        "backward",
        backward(forward_pass=forward(hidden_bias=False)),
        "∂E_total/∂w5 is",
        "fix forward first: is the bias added?",
    ),
    (
        "train_step",
        lambda w, b, i, target, eta: w + eta * SOLVED["backward"](w, b, i, target),
        "the updated w5 is 0.44108352, expected 0.35891648",
        "against the gradient",
    ),
    ("train_step", train_step_output_layer_first, "the updated w1 is", "use the old w5 … w8"),
    ("train_step", train_step_in_place, "changed the array w passed to it", "new array"),
    (
        "train_step",
        lambda w, b, i, target, eta: (w - eta * SOLVED["backward"](w, b, i, target), b),
        "returned a tuple of 2 items",
        "biases stay fixed",
    ),
    ("conv2d", conv2d(flip=True), "a 7×7 image and 3×3 kernel, stride 1", "true convolution"),
    (
        "conv2d",
        conv2d(use_padding=False),
        "shape (5, 6); with stride 1 and padding 1 a 6×8 image and 2×3 kernel give (7, 8)",
        "padding P adds P rows and columns of zeros on every side",
    ),
    ("conv2d", conv2d(use_stride=False), "shape (5, 5); with stride 2", "the kernel moves S pixels at a time"),
    ("conv2d", conv2d(off_by_one=1), "shape (2, 2)", "off by one"),
    ("conv2d", conv2d(integer_output=True), "a 7×7 image", "whole numbers"),
    (
        "conv2d",
        lambda image, kernel, stride=1, padding=0: np.array([[4, 3, 4], [2, 4, 3], [2, 3, 4]]),
        "your feature map has shape (3, 3)",
        "(5, 5) = ⌊(W − K + 2P)/S⌋ + 1",
    ),
]


# --- mistakes the checks used to misread (each names its own mistake now) ----------------------------


def perceptron_batch(X, y, lr, epochs):
    """Sums the changes of a whole pass, computed with the weights from the start of the pass."""
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        outputs = (X @ w + b > 0).astype(float)
        w, b = w + lr * (y - outputs) @ X, b + lr * np.sum(y - outputs)
    return w, b


def perceptron_range_from_one(X, y, lr, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(1, epochs):
        for x, target in zip(X, y):
            output = 1.0 if w @ x + b > 0 else 0.0
            w, b = w + lr * (target - output) * x, b + lr * (target - output)
    return w, b


def perceptron_sign_step(X, y, lr, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for x, target in zip(X, y):
            output = np.sign(w @ x + b)
            w, b = w + lr * (target - output) * x, b + lr * (target - output)
    return w, b


def gd_step_in_a_list(theta, alpha):
    return [theta - alpha * 2 * theta]


def gd_table_on_a_listed_step(theta0, alpha, n):
    """Correct in itself, but built on gd_step_in_a_list: the crash is gd_step's fault."""
    theta, rows = theta0, []
    for k in range(1, n + 1):
        rows.append((k, theta, alpha * 2 * theta))
        theta = gd_step_in_a_list(theta, alpha)
    return np.array(rows)


def conv2d_padded_on_one_side(image, kernel, stride=1, padding=0):
    padded = np.pad(image, ((padding, 0), (padding, 0)))
    k_rows, k_cols = kernel.shape
    rows, cols = (padded.shape[0] - k_rows) // stride + 1, (padded.shape[1] - k_cols) // stride + 1
    return np.array(
        [
            [
                np.sum(padded[r * stride : r * stride + k_rows, c * stride : c * stride + k_cols] * kernel)
                for c in range(cols)
            ]
            for r in range(rows)
        ]
    )


def conv2d_square_kernels_only(image, kernel, stride=1, padding=0):
    padded, k = np.pad(image, padding), kernel.shape[0]
    size = ((padded.shape[0] - k) // stride + 1, (padded.shape[1] - kernel.shape[1]) // stride + 1)
    return np.array(
        [
            [np.sum(padded[r * stride : r * stride + k, c * stride : c * stride + k] * kernel) for c in range(size[1])]
            for r in range(size[0])
        ],
        dtype=float,
    )


_WRONG_ANSWERS += [
    ("perceptron", perceptron_batch, "after epoch 1 on NAND", "a batch update"),
    ("perceptron", perceptron_range_from_one, "after epoch 1 on NAND", "range(1, epochs) runs epochs − 1 times"),
    ("perceptron", perceptron_sign_step, "your weights are", "np.sign outputs −1, 0 or 1"),
    ("gd_step", gd_step_in_a_list, "gd_step(3.0, 0.1) should be one number", "not wrapped in a list"),
    ("gd_step", lambda theta, alpha: np.array([theta - alpha * 2 * theta]), "shape (1,)", "return the number itself"),
    (
        "gd_table",
        gd_table_on_a_listed_step,
        "on θ0 = 3.0, α = 0.1, n = 10 raised TypeError",
        "make gd_step pass its check first",
    ),
    ("conv2d", conv2d_padded_on_one_side, "shape (6, 7)", "pad both sides"),
    (
        "conv2d",
        conv2d_square_kernels_only,
        "calling conv2d_square_kernels_only on the 6×8 image with the 2×3 kernel",
        "raised ValueError",
    ),
    ("forward", lambda w, b, i, target: [0.5] * 5, "forward should return a dict", "returned list"),
    ("backward", lambda w, b, i, target: np.zeros((2, 4)), "shape (8,); yours has shape (2, 4)", "∂E_total/∂w1"),
]


# --- valid alternatives ----------------------------------------------------------------------------


def perceptron_vectorised_rows(X, y, lr, epochs):
    w, b = np.zeros(len(X[0])), 0
    for _ in range(epochs):
        for row in range(len(X)):
            error = y[row] - np.where(np.dot(w, X[row]) + b > 0, 1, 0)
            w, b = w + lr * error * X[row], b + lr * error
    return list(w), np.float64(b)


def gd_table_as_lists(theta0, alpha, n):
    rows, theta = [], theta0
    for k in range(n):
        rows.append([k + 1, theta, alpha * 2 * theta])
        theta = theta - alpha * 2 * theta
    return rows


def forward_with_arrays(w, b, i, target):
    out_h = 1 / (1 + np.exp(-(w[:4].reshape(2, 2) @ i + b[0])))
    out_o = 1 / (1 + np.exp(-(w[4:].reshape(2, 2) @ out_h + b[1])))
    return {
        "out_h1": out_h[0],
        "out_h2": out_h[1],
        "out_o1": out_o[0],
        "out_o2": out_o[1],
        "E_total": np.sum(0.5 * (target - out_o) ** 2),
    }


def conv2d_with_windows(image, kernel, stride=1, padding=0):
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(image, padding).astype(float), kernel.shape)
    return np.einsum("ijkl,kl->ij", windows[::stride, ::stride], kernel)


VALID = [
    ("perceptron", perceptron_vectorised_rows),
    ("gd_step", lambda theta, alpha: np.float32(theta * (1 - 2 * alpha))),
    ("gd_table", gd_table_as_lists),
    ("forward", forward_with_arrays),
    ("backward", lambda w, b, i, target: list(SOLVED["backward"](w, b, i, target))),
    ("train_step", lambda w, b, i, target, eta: w - eta * SOLVED["backward"](w, b, i, target)),
    ("conv2d", conv2d_with_windows),
]
WRONG = [(name, answer, (where, hint)) for name, answer, where, hint in _WRONG_ANSWERS]
