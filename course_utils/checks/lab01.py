"""Lab 01 (foundations) self-checks: perceptron rule, gradient descent, backpropagation, convolution.

Each question calls the student's function on the lecture notes' example and on fresh inputs (so
copying the notes' numbers does not pass) and compares with a NumPy reference written here. When the
answer is wrong, the message names the first wrong number and, when one of the common mistakes listed
below reproduces the answer, what that mistake is. Messages state expected values, never code.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterable

import numpy as np
from scipy.signal import correlate2d

from course_utils.checks.core import CheckFailed, question

LAB = "lab01"


# ---------------------------------------------------------------------------------------------------
# Shared helpers


def _close(answer: Any, expected: Any) -> bool:
    """Same shape and equal to float64 round-off (float32 student code passes too)."""
    answer, expected = np.asarray(answer, dtype=float), np.asarray(expected, dtype=float)
    return answer.shape == expected.shape and bool(np.allclose(answer, expected, rtol=1e-5, atol=1e-8))


def _matching_hint(answer: Any, mistakes: Iterable[tuple[str, Any]]) -> str | None:
    """The hint of the first mistake whose result equals ``answer``, else None."""
    for hint, result in mistakes:
        if _close(answer, result):
            return hint
    return None


def _to_array(value: Any, what: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should be numbers; it is {type(value).__name__}: {value!r:.120}") from None


def _number(value: Any, what: str) -> float:
    array = _to_array(value, what)
    if array.size != 1:
        raise CheckFailed(f"{what} should be one number; it has shape {array.shape}.")
    return float(array.reshape(()))


def _num(x: float) -> str:
    """Nine decimals without trailing zeros, the way the notes print their numbers."""
    text = f"{float(x):.9f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _sentence(hint: str) -> str:
    return hint if hint.endswith(("?", ".")) else hint + "."


def _vec(values: Any) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in np.ravel(values)) + "]"


# ---------------------------------------------------------------------------------------------------
# Exercise 1: the perceptron learning rule (seed 002: the NAND gate)

NAND_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
NAND_Y = np.array([1, 1, 1, 0], dtype=float)
PERCEPTRON_RULE = ("start from w = 0, b = 0; for each row in order compute output = 1 if w·x + b > 0 "
                   "else 0, then w += lr·(target − output)·x and b += lr·(target − output)")


def _perceptron(X, y, lr, epochs, *, sign=1.0, learn_bias=True, fires_at_zero=False,
                raw_output=False, ignore_output=False) -> np.ndarray:
    """Perceptron rule from zero; returns (w..., b). Each keyword switches on one common mistake."""
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        for x, target in zip(X, y):
            z = w @ x + b
            output = z if raw_output else float(z >= 0 if fires_at_zero else z > 0)
            change = lr * (target if ignore_output else target - output)
            w = w + sign * change * x
            b = b + sign * change * learn_bias
    return np.append(w, b)


PERCEPTRON_MISTAKES = (
    (dict(sign=-1.0), "the sign is flipped: the rule adds lr·(target − output)·x to w "
                      "(and lr·(target − output) to b)"),
    (dict(learn_bias=False), "the bias learns too: b += lr·(target − output) after every row"),
    (dict(fires_at_zero=True), "the neuron fires only when w·x + b > 0 strictly; at exactly 0 its output is 0"),
    (dict(raw_output=True), "the output is the step of w·x + b (0 or 1), not w·x + b itself"),
    (dict(ignore_output=True), "did you update only on mistakes (w += lr·(target − output)·x, which is zero "
                               "when the output is right)? Yours adds lr·target·x every time"),
)


def _perceptron_cases():
    """(label, X, y, lr, epochs, fresh). lr and data are exact binary fractions, so no round-off
    can tip w·x + b across 0 differently in the student's code and here."""
    rng = np.random.default_rng(101)
    X = rng.integers(-3, 4, size=(12, 3)).astype(float)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.5 > 0).astype(float)
    return [
        ("after epoch 1 on NAND (lr = 0.25)", NAND_X, NAND_Y, 0.25, 1, False),
        ("after 6 epochs on NAND (lr = 0.25)", NAND_X, NAND_Y, 0.25, 6, False),
        ("on fresh data (12 rows of 3 inputs, lr = 0.5, 3 epochs)", X, y, 0.5, 3, True),
    ]


def _weights_and_bias(result: Any, n_inputs: int) -> np.ndarray:
    try:
        w, b = result
    except (TypeError, ValueError):
        raise CheckFailed(f"perceptron_train should return a pair (w, b); it returned "
                          f"{type(result).__name__}: {result!r:.120}") from None
    w = _to_array(w, "w")
    if w.shape != (n_inputs,):
        raise CheckFailed(f"w should hold one weight per input, shape ({n_inputs},); yours has shape {w.shape}.")
    return np.append(w, _number(b, "b"))


@question(LAB, "perceptron", points=2, target="perceptron_train")
def check_perceptron(perceptron_train) -> None:
    """perceptron_train(X, y, lr, epochs) -> (w, b) with the perceptron rule from w = 0, b = 0."""
    for label, X, y, lr, epochs, fresh in _perceptron_cases():
        got = _weights_and_bias(perceptron_train(X.copy(), y.copy(), lr, epochs), X.shape[1])
        expected = _perceptron(X, y, lr, epochs)
        if _close(got, expected):
            continue
        mistakes = [(hint, _perceptron(X, y, lr, epochs, **kw)) for kw, hint in PERCEPTRON_MISTAKES]
        mistakes.append(("the weights never changed: update them after every row", np.zeros_like(expected)))
        mistakes += [(f"that is the result of {n} epochs, not {epochs}: one epoch is one pass over all {len(X)} rows",
                      _perceptron(X, y, lr, n)) for n in (epochs - 1, epochs + 1) if n > 0]
        scale = float(got @ expected / (expected @ expected))  # from w = 0, the weights are proportional to lr
        if not np.isclose(scale, 1.0):
            mistakes.append((f"your weights are {scale:.3g} × the expected ones: every change is multiplied by the "
                             f"learning rate, is lr = {lr} used as given?", scale * expected))
        fallback = ("the NAND cases pass but this one does not: is something hard-coded (two inputs, the NAND "
                    "rows, lr or the number of epochs)?" if fresh else PERCEPTRON_RULE)
        hint = _matching_hint(got, mistakes) or fallback
        raise CheckFailed(f"{label} your weights are w = {_vec(got[:-1])}, b = {got[-1]:.4g}; expected "
                          f"w = {_vec(expected[:-1])}, b = {expected[-1]:.4g} — {_sentence(hint)}")


# ---------------------------------------------------------------------------------------------------
# Exercise 2: gradient descent on J(θ) = θ² (seed 002: θ0 = 3, α = 0.1)

GD_CASES = (  # (theta, alpha, fresh)
    (3.0, 0.1, False),
    (-1.7, 0.25, True),
    (0.4, 1.5, True),
)


def _gd_step_mistakes(theta: float, alpha: float) -> list[tuple[str, float]]:
    return [
        ("the update subtracts α·dJ/dθ (yours adds it and climbs uphill)", theta + alpha * 2 * theta),
        ("dJ/dθ of J(θ) = θ² is 2θ, not θ", theta - alpha * theta),
        ("return the new θ = θ − α·dJ/dθ, not the step α·dJ/dθ", alpha * 2 * theta),
        ("the gradient is multiplied by the learning rate α", theta - 2 * theta),
        ("subtract α times the derivative dJ/dθ = 2θ, not α·J(θ) = α·θ²", theta - alpha * theta**2),
        ("the step is α·dJ/dθ = α·2θ, not α alone", theta - alpha),
    ]


@question(LAB, "gd_step", points=1, target="gd_step")
def check_gd_step(gd_step) -> None:
    """gd_step(theta, alpha) -> theta - alpha * dJ/dtheta for J = theta**2."""
    for theta, alpha, fresh in GD_CASES:
        got = _number(gd_step(theta, alpha), f"gd_step({theta}, {alpha})")
        expected = theta - alpha * 2 * theta
        if _close(got, expected):
            continue
        fallback = ("θ = 3, α = 0.1 passes but this does not: are θ or α hard-coded?" if fresh
                    else "one step is θ − α·dJ/dθ with dJ/dθ = 2θ")
        hint = _matching_hint(got, _gd_step_mistakes(theta, alpha)) or fallback
        raise CheckFailed(f"θ after one step from θ = {theta} with α = {alpha} is {_num(got)}, "
                          f"expected {_num(expected)} — {_sentence(hint)}")


GD_TABLE_CASES = (  # (theta0, alpha, n, fresh)
    (3.0, 0.1, 10, False),
    (-2.0, 0.05, 7, True),
    (1.0, 0.75, 5, True),
)
GD_COLUMNS = ("iteration", "θ", "α·dJ/dθ")


def _gd_table(theta0, alpha, n, *, step_first=False, first_iteration=1, climb=False,
              gradient_column=False, signed_change=False) -> np.ndarray:
    """Rows (iteration, θ at its start, α·dJ/dθ there). Each keyword switches on one common mistake."""
    theta, rows = theta0, []
    for iteration in range(first_iteration, first_iteration + n):
        step = alpha * 2 * theta
        if step_first:
            theta -= step
            step = alpha * 2 * theta
        third = 2 * theta if gradient_column else -step if signed_change else step
        rows.append((iteration, theta, third))
        if not step_first:
            theta = theta + step if climb else theta - step
    return np.array(rows)


GD_TABLE_MISTAKES = (
    (dict(step_first=True), "row 1 shows the start, θ0, before any update: record the row, then take the step"),
    (dict(first_iteration=0), "iterations are numbered from 1, as in the notes"),
    (dict(climb=True), "θ should shrink towards the minimum at 0: the update subtracts α·dJ/dθ"),
    (dict(gradient_column=True), "the third column is the step α·dJ/dθ, not the gradient dJ/dθ = 2θ"),
    (dict(signed_change=True), "the third column is α·dJ/dθ as in the notes (positive while θ > 0), "
                               "not the change in θ"),
)


def _gd_table_shape_hint(shape: tuple, n: int) -> str:
    if shape == (3, n):
        return "it is transposed: one row per iteration, with columns (iteration, θ, α·dJ/dθ)"
    if shape == (n + 1, 3):
        return f"one row per iteration: {n} rows, not {n + 1} (no extra row after the last update)"
    if shape == (n - 1, 3):
        return "one row per iteration, including the first one, which shows θ0"
    if len(shape) == 2 and shape[0] == n:
        return "three columns: iteration, θ, α·dJ/dθ"
    return "one row per iteration, with columns (iteration, θ, α·dJ/dθ)"


@question(LAB, "gd_table", points=1, target="gd_table")
def check_gd_table(gd_table) -> None:
    """gd_table(theta0, alpha, n) -> array (n, 3) of (iteration, theta, alpha * dJ/dtheta)."""
    for theta0, alpha, n, fresh in GD_TABLE_CASES:
        call = f"gd_table({theta0}, {alpha}, {n})"
        got = _to_array(gd_table(theta0, alpha, n), call)
        if got.shape != (n, 3):
            raise CheckFailed(f"{call} has shape {got.shape}, expected ({n}, 3) — "
                              f"{_gd_table_shape_hint(got.shape, n)}.")
        expected = _gd_table(theta0, alpha, n)
        if _close(got, expected):
            continue
        row, column = np.argwhere(~np.isclose(got, expected, rtol=1e-5, atol=1e-8))[0]
        mistakes = [(hint, _gd_table(theta0, alpha, n, **kw)) for kw, hint in GD_TABLE_MISTAKES]
        fallback = ("the notes' table passes but this one does not: are θ0, α or n hard-coded?" if fresh else
                    "row k holds k, the θ at the start of iteration k and α·dJ/dθ = α·2θ at that θ; "
                    "then θ ← θ − α·2θ")
        hint = _matching_hint(got, mistakes) or fallback
        raise CheckFailed(f"{call}: row {row + 1}, column '{GD_COLUMNS[column]}' is {_num(got[row, column])}, "
                          f"expected {_num(expected[row, column])} — {_sentence(hint)}")


# ---------------------------------------------------------------------------------------------------
# Exercise 3: the 2-2-2 sigmoid network of seed 002 (forward, backward, one training step)
# Wiring: net_h1 = w1·i1 + w2·i2 + b1, net_h2 = w3·i1 + w4·i2 + b1,
#         net_o1 = w5·out_h1 + w6·out_h2 + b2, net_o2 = w7·out_h1 + w8·out_h2 + b2.

NOTES_W = np.array([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55])
NOTES_B = np.array([0.35, 0.60])
NOTES_I = np.array([0.05, 0.10])
NOTES_TARGET = np.array([0.01, 0.99])
NOTES_ETA = 0.5
FORWARD_KEYS = ("out_h1", "out_h2", "out_o1", "out_o2", "E_total")
BACKPROP_ORDER = (4, 5, 6, 7, 0, 1, 2, 3)  # w5..w8 first: the order backpropagation computes them


def _network_cases():
    """(label, w, b, i, target, eta, fresh): the notes' example, then two fresh networks."""
    cases = [("on the notes' example", NOTES_W, NOTES_B, NOTES_I, NOTES_TARGET, NOTES_ETA, False)]
    rng = np.random.default_rng(2)
    for _ in range(2):
        w, b = rng.uniform(-1, 1, 8).round(2), rng.uniform(-1, 1, 2).round(2)
        i, target = rng.uniform(0, 1, 2).round(2), rng.uniform(0.05, 0.95, 2).round(2)
        eta = round(float(rng.uniform(0.1, 1.0)), 2)
        label = f"on fresh inputs (w = {_vec(w)}, b = {_vec(b)}, i = {_vec(i)}, target = {_vec(target)})"
        cases.append((label, w, b, i, target, eta, True))
    return cases


def _sigmoid(z, sign=1.0):
    return 1.0 / (1.0 + np.exp(-sign * z))


def _forward(w, b, i, target, *, hidden_bias=True, output_bias=True, hidden_sigmoid=True,
             output_sigmoid=True, sigmoid_sign=1.0, transposed=False, swapped_biases=False,
             half=True, mean_error=False) -> dict:
    """Forward pass as arrays (net_h, out_h, net_o, out_o: shape (2,); E_total). Keywords: one mistake each."""
    w_hidden, w_output = w[:4].reshape(2, 2), w[4:].reshape(2, 2)  # row r: weights into neuron r
    if transposed:
        w_hidden, w_output = w_hidden.T, w_output.T
    b_hidden, b_output = (b[1], b[0]) if swapped_biases else (b[0], b[1])
    net_h = w_hidden @ i + b_hidden * hidden_bias
    out_h = _sigmoid(net_h, sigmoid_sign) if hidden_sigmoid else net_h
    net_o = w_output @ out_h + b_output * output_bias
    out_o = _sigmoid(net_o, sigmoid_sign) if output_sigmoid else net_o
    errors = (0.5 if half else 1.0) * (target - out_o) ** 2
    return dict(net_h=net_h, out_h=out_h, net_o=net_o, out_o=out_o,
                E_total=errors.mean() if mean_error else errors.sum())


def _named(f: dict) -> dict:
    return dict(out_h1=f["out_h"][0], out_h2=f["out_h"][1], out_o1=f["out_o"][0], out_o2=f["out_o"][1],
                E_total=f["E_total"])


FORWARD_MISTAKES = (
    (dict(hidden_bias=False), "is the bias added? net_h1 = w1·i1 + w2·i2 + b1·1"),
    (dict(output_bias=False), "is the bias added? net_o1 = w5·out_h1 + w6·out_h2 + b2·1"),
    (dict(hidden_sigmoid=False), "the hidden neurons squash their net input: out_h1 = 1/(1 + e^(−net_h1))"),
    (dict(output_sigmoid=False), "the output neurons squash theirs too: out_o1 = 1/(1 + e^(−net_o1))"),
    (dict(sigmoid_sign=-1.0), "the sigmoid is 1/(1 + e^(−net)): mind the minus sign in the exponent"),
    (dict(transposed=True), "check the wiring: net_h1 = w1·i1 + w2·i2 + b1 and net_h2 = w3·i1 + w4·i2 + b1; "
                            "net_o1 = w5·out_h1 + w6·out_h2 + b2 and net_o2 = w7·out_h1 + w8·out_h2 + b2"),
    (dict(swapped_biases=True), "the hidden layer adds b1 and the output layer b2"),
    (dict(half=False), "each error is ½·(target − out)²: the ½ is missing"),
    (dict(mean_error=True), "E_total is the sum E_o1 + E_o2, not their mean"),
)
FORWARD_RULE = ("net = weighted sum of the layer's inputs + bias, out = 1/(1 + e^(−net)), "
                "E_total = Σ ½·(target − out_o)²")


@question(LAB, "forward", points=1, target="forward")
def check_forward(forward) -> None:
    """forward(w, b, i, target) -> dict with out_h1, out_h2, out_o1, out_o2, E_total."""
    for label, w, b, i, target, _, fresh in _network_cases():
        result = forward(w.copy(), b.copy(), i.copy(), target.copy())
        if not isinstance(result, Mapping):
            raise CheckFailed(f"forward should return a dict with keys {', '.join(FORWARD_KEYS)}; "
                              f"it returned {type(result).__name__}.")
        missing = [key for key in FORWARD_KEYS if key not in result]
        if missing:
            raise CheckFailed(f"forward's dict lacks {', '.join(missing)}; it needs {', '.join(FORWARD_KEYS)}.")
        expected = _named(_forward(w, b, i, target))
        for key in FORWARD_KEYS:
            got = _number(result[key], f"forward(...)['{key}']")
            if _close(got, expected[key]):
                continue
            mistakes = [(hint, _named(_forward(w, b, i, target, **kw))[key]) for kw, hint in FORWARD_MISTAKES]
            fallback = ("the notes' example passes but fresh inputs do not: are numbers from the notes hard-coded?"
                        if fresh else FORWARD_RULE)
            hint = _matching_hint(got, mistakes) or fallback
            raise CheckFailed(f"{label}: {key} is {_num(got)}, expected {_num(expected[key])} — "
                              f"{_sentence(hint)}")


def _backward(w, b, i, target, *, sign=1.0, output_slope=True, hidden_slope=True, slope_of_net=False,
              hidden_paths="both", net_as_input=False, output_weights=None, forward_mistake=None) -> np.ndarray:
    """∂E_total/∂w1..w8, shape (8,). ``output_weights``: the w5..w8 the hidden gradients see (default w);
    ``forward_mistake``: keywords of ``_forward``. The other keywords switch on one common mistake each."""
    f = _forward(w, b, i, target, **(forward_mistake or {}))

    def slope(out, net):
        return net * (1 - net) if slope_of_net else out * (1 - out)

    delta_o = sign * (f["out_o"] - target) * (slope(f["out_o"], f["net_o"]) if output_slope else 1.0)
    grad_output = np.outer(delta_o, f["net_h"] if net_as_input else f["out_h"])
    w_output = (w if output_weights is None else output_weights)[4:].reshape(2, 2)
    to_hidden = {"both": w_output.T @ delta_o,                    # δ_o1·w5 + δ_o2·w7, δ_o1·w6 + δ_o2·w8
                 "o1 only": w_output[0] * delta_o[0],             # δ_o1·w5, δ_o1·w6
                 "transposed": w_output @ delta_o}[hidden_paths]  # δ_o1·w5 + δ_o2·w6, ...
    delta_h = to_hidden * (slope(f["out_h"], f["net_h"]) if hidden_slope else 1.0)
    return np.concatenate([np.outer(delta_h, i).ravel(), grad_output.ravel()])


BACKWARD_MISTAKES = (
    (dict(sign=-1.0), "sign: ∂E_total/∂out_o1 = −(target_o1 − out_o1) = out_o1 − target_o1"),
    (dict(output_slope=False), "multiply by the sigmoid's slope ∂out_o1/∂net_o1 = out_o1·(1 − out_o1)"),
    (dict(hidden_slope=False), "in the hidden layer multiply by the sigmoid's slope out_h1·(1 − out_h1) too"),
    (dict(slope_of_net=True), "the sigmoid's slope is out·(1 − out), written with the neuron's output, "
                              "not its net input"),
    (dict(hidden_paths="o1 only"), "out_h1 feeds both outputs: ∂E_total/∂out_h1 = δ_o1·w5 + δ_o2·w7 "
                                   "(E_o2 counts too)"),
    (dict(hidden_paths="transposed"), "∂E_total/∂out_h1 = δ_o1·w5 + δ_o2·w7, through the weights leaving h1 "
                                      "(w5 to o1, w7 to o2)"),
    (dict(net_as_input=True), "∂net_o1/∂w5 = out_h1, the hidden neuron's output after the sigmoid, not net_h1"),
)


def _backward_mistakes(w, b, i, target) -> list[tuple[str, np.ndarray]]:
    mistakes = [(hint, _backward(w, b, i, target, **kw)) for kw, hint in BACKWARD_MISTAKES]
    grads = _backward(w, b, i, target)
    mistakes.append(("return the gradients in the order w1, …, w8", np.concatenate([grads[4:], grads[:4]])))
    mistakes += [(f"the forward values it uses are wrong, fix forward first: {hint}",
                  _backward(w, b, i, target, forward_mistake=kw)) for kw, hint in FORWARD_MISTAKES]
    return mistakes


def _gradient_rule(index: int) -> str:
    if index >= 4:
        return ("∂E_total/∂w5 = (out_o1 − target_o1)·out_o1·(1 − out_o1)·out_h1; likewise w6 (with out_h2) "
                "and w7, w8 (through o2)")
    return ("∂E_total/∂w1 = (δ_o1·w5 + δ_o2·w7)·out_h1·(1 − out_h1)·i1 with "
            "δ_o = (out_o − target)·out_o·(1 − out_o); likewise w2 (with i2) and w3, w4 (through h2)")


def _first_wrong(got: np.ndarray, expected: np.ndarray) -> int:
    return next(k for k in BACKPROP_ORDER if not _close(got[k], expected[k]))


def _layer(index: int) -> slice:
    return slice(4, 8) if index >= 4 else slice(0, 4)


@question(LAB, "backward", points=2, target="backward")
def check_backward(backward) -> None:
    """backward(w, b, i, target) -> array (8,) of dE_total/dw1 .. dE_total/dw8."""
    for label, w, b, i, target, _, fresh in _network_cases():
        got = _to_array(backward(w.copy(), b.copy(), i.copy(), target.copy()), "backward(...)")
        if got.shape != (8,):
            raise CheckFailed(f"backward should return the 8 gradients ∂E_total/∂w1 … ∂E_total/∂w8 as an "
                              f"array of shape (8,); yours has shape {got.shape}.")
        expected = _backward(w, b, i, target)
        if _close(got, expected):
            continue
        k = _first_wrong(got, expected)
        layer = _layer(k)
        layer_mistakes = [(hint, wrong[layer]) for hint, wrong in _backward_mistakes(w, b, i, target)]
        fallback = ("the notes' example passes but fresh inputs do not: are numbers from the notes hard-coded?"
                    if fresh else _gradient_rule(k))
        hint = _matching_hint(got[layer], layer_mistakes) or fallback
        raise CheckFailed(f"{label}: ∂E_total/∂w{k + 1} is {_num(got[k])}, expected {_num(expected[k])} — "
                          f"{_sentence(hint)}")


@question(LAB, "train_step", points=1, target="train_step")
def check_train_step(train_step) -> None:
    """train_step(w, b, i, target, eta) -> new weights (8,) = w - eta * dE/dw; biases stay fixed."""
    for label, w, b, i, target, eta, fresh in _network_cases():
        w_given = w.copy()
        result = train_step(w_given, b.copy(), i.copy(), target.copy(), eta)
        if not np.array_equal(w_given, w):
            raise CheckFailed("train_step changed the array w passed to it: build a new array for the updated "
                              "weights, so the caller's w stays the starting point.")
        if isinstance(result, tuple) and len(result) != 8:
            raise CheckFailed(f"train_step returned a tuple of {len(result)} items; return only the 8 updated "
                              "weights w1 … w8 as one array of shape (8,) (the biases stay fixed, as in the notes).")
        got = _to_array(result, "train_step(...)")
        if got.shape != (8,):
            raise CheckFailed(f"train_step should return the 8 updated weights w1 … w8 as an array of shape (8,) "
                              f"(the biases stay fixed, as in the notes); yours has shape {got.shape}.")
        grads = _backward(w, b, i, target)
        expected = w - eta * grads
        if _close(got, expected):
            continue
        updated_output = w - eta * grads  # only its w5..w8 are used below
        mistakes = [
            ("gradient descent steps against the gradient: w⁺ = w − η·∂E_total/∂w", w + eta * grads),
            ("multiply each gradient by the learning rate η", w - grads),
            ("return the updated weights w − η·∂E_total/∂w, not the gradients", grads),
            ("compute every gradient with the original weights before updating any: the hidden-layer gradients "
             "use the old w5 … w8, not the updated ones",
             w - eta * _backward(w, b, i, target, output_weights=updated_output)),
        ]
        mistakes += [(f"{hint} (the gradients train_step uses are wrong: check backward)", w - eta * wrong)
                     for hint, wrong in _backward_mistakes(w, b, i, target)]
        k = _first_wrong(got, expected)
        fallback = ("the notes' example passes but fresh inputs do not: are numbers from the notes hard-coded?"
                    if fresh else "each weight moves by −η times its gradient from backward")
        hint = _matching_hint(got, mistakes) or fallback
        raise CheckFailed(f"{label} with η = {eta}: the updated w{k + 1} is {_num(got[k])}, "
                          f"expected {_num(expected[k])} — {_sentence(hint)}")


# ---------------------------------------------------------------------------------------------------
# Exercise 4: 2-D convolution (cross-correlation) with stride and padding (seeds 004 and 002)

CONV_IMAGE = np.array([[1, 1, 1, 0, 0],
                       [0, 1, 1, 1, 0],
                       [0, 0, 1, 1, 1],
                       [0, 0, 1, 1, 0],
                       [0, 1, 1, 0, 0]])
CONV_KERNEL = np.array([[1, 0, 1],
                        [0, 1, 0],
                        [1, 0, 1]])  # the notes' convolved feature: [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
OUTPUT_SIZE_RULE = "⌊(W − K + 2P)/S⌋ + 1 per axis"


def _output_shape(image_shape, kernel_shape, stride, padding) -> tuple[int, ...]:
    return tuple((n - k + 2 * padding) // stride + 1 for n, k in zip(image_shape, kernel_shape))


def _correlate(image, kernel, stride, padding, *, flipped=False, pad_mode="constant",
               strided_windows=True) -> np.ndarray:
    """Cross-correlation as CNN layers compute it (scipy does the sums). Keywords: one mistake each."""
    padded = np.pad(image, padding, mode=pad_mode)
    every_position = correlate2d(padded, kernel[::-1, ::-1] if flipped else kernel, mode="valid")
    if strided_windows:
        return every_position[::stride, ::stride]
    rows, cols = _output_shape(image.shape, kernel.shape, stride, padding)
    return every_position[:rows, :cols]


def _conv_cases():
    """(label, image, kernel, stride, padding, fresh). Images hold integers (as int arrays), kernels do not."""
    rng = np.random.default_rng(404)

    def image(rows, cols):
        return rng.integers(0, 10, size=(rows, cols))

    def kernel(rows, cols):
        return rng.normal(size=(rows, cols)).round(2)

    seven, three = image(7, 7), kernel(3, 3)
    return [
        ("the notes' 5×5 image and 3×3 kernel", CONV_IMAGE, CONV_KERNEL, 1, 0, False),
        ("a 7×7 image and 3×3 kernel, stride 1", seven, three, 1, 0, True),
        ("a 7×7 image and 3×3 kernel, stride 2", seven, three, 2, 0, True),
        ("a 6×8 image and 2×3 kernel, stride 1, padding 1", image(6, 8), kernel(2, 3), 1, 1, True),
        ("an 8×8 image and 3×3 kernel, stride 2, padding 1", image(8, 8), kernel(3, 3), 2, 1, True),
        ("a 7×9 image and 3×3 kernel, stride 3, padding 2", image(7, 9), kernel(3, 3), 3, 2, True),
    ]


def _conv_shape_hint(got: tuple, image_shape, kernel_shape, stride, padding, fresh: bool) -> str:
    expected = _output_shape(image_shape, kernel_shape, stride, padding)
    candidates = [
        (_output_shape(image_shape, kernel_shape, stride, 0),
         f"padding P = {padding} adds {padding} {'row and column' if padding == 1 else 'rows and columns'} "
         "of zeros on every side"),
        (_output_shape(image_shape, kernel_shape, 1, padding),
         f"with stride S = {stride} the kernel moves {stride} pixels at a time"),
        (tuple(n - 1 for n in expected), "off by one: the + 1 counts the kernel's first position"),
        (tuple((n - k + padding) // stride + 1 for n, k in zip(image_shape, kernel_shape)),
         "pad both sides: the padded image is W + 2P wide"),
        ((expected[1], expected[0]), "rows and columns are swapped"),
        (tuple(n + k - 1 for n, k in zip(image_shape, kernel_shape)),
         "keep only the positions where the kernel lies entirely inside the (padded) image"),
    ]
    for shape, hint in candidates:
        if got == shape and shape != expected:
            return f": {hint}"
    return ": does your output size follow the image, kernel, stride and padding given?" if fresh else ""


@question(LAB, "conv2d", points=2, target="conv2d")
def check_conv2d(conv2d) -> None:
    """conv2d(image, kernel, stride=1, padding=0) -> feature map, cross-correlation as in CNN layers."""
    for label, image, kernel, stride, padding, fresh in _conv_cases():
        got = _to_array(conv2d(image.copy(), kernel.copy(), stride=stride, padding=padding),
                        f"conv2d on {label}")
        expected = _correlate(image, kernel, stride, padding)
        if got.shape != expected.shape:
            (rows, cols), (k_rows, k_cols) = image.shape, kernel.shape
            raise CheckFailed(
                f"on {label}: your feature map has shape {got.shape}; with stride {stride} and padding {padding} "
                f"a {rows}×{cols} image and {k_rows}×{k_cols} kernel give {expected.shape} = {OUTPUT_SIZE_RULE}"
                f"{_sentence(_conv_shape_hint(got.shape, image.shape, kernel.shape, stride, padding, fresh))}")
        if _close(got, expected):
            continue
        mistakes = [
            ("your map is the true convolution (kernel flipped by 180°); a CNN layer computes the cross-correlation: "
             "slide the kernel as it is", _correlate(image, kernel, stride, padding, flipped=True)),
            ("pad with zeros", _correlate(image, kernel, stride, padding, pad_mode="edge")),
            (f"with stride {stride}, output (r, c) uses the window whose top-left corner is at "
             f"({stride}·r, {stride}·c) of the padded image", _correlate(image, kernel, stride, padding,
                                                                          strided_windows=False)),
            ("your values are cut to whole numbers: the output array took the integer type of the image; "
             "make it a float array", np.trunc(expected)),
        ]
        if expected.shape[0] == expected.shape[1]:
            mistakes.append(("rows and columns are swapped", expected.T))
        row, col = np.argwhere(~np.isclose(got, expected, rtol=1e-5, atol=1e-8))[0]
        fallback = ("output (r, c) is the sum of kernel × the window of the zero-padded image whose top-left "
                    f"corner is at ({stride}·r, {stride}·c)" if fresh else
                    f"the notes' feature map is {expected.astype(int).tolist()}")
        hint = _matching_hint(got, mistakes) or fallback
        raise CheckFailed(f"on {label}: feature map [{row}, {col}] is {_num(got[row, col])}, "
                          f"expected {_num(expected[row, col])} — {_sentence(hint)}")
