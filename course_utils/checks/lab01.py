"""Lab 01 (foundations) self-checks: perceptron rule, gradient descent, backpropagation, convolution.

Each question calls the student's function on the worked examples the lab reproduces (the NAND perceptron
and the gradient-descent table of C. R. Bom, "Deep Learning Applications in Astronomy", 2018; M. Mazur's
step-by-step backpropagation example; the 5×5 convolution of A. Mahabal, "Deep learning", UC Riverside,
2020) and on fresh inputs (so copying the printed numbers does not pass), and compares with a NumPy reference written
here. When the answer is wrong, the message names the first wrong number and, when exactly one of the
common mistakes listed below reproduces the answer on every case, what that mistake is. Messages state
expected values, never code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.signal import correlate2d

from course_utils.checks.core import CheckFailed, question
from course_utils.checks.toolkit import (
    array,
    by_case,
    call,
    close,
    diagnose,
    first_difference,
    hint_on_crash,
    num,
    number,
    scalar,
    sentence,
    vec,
)

LAB = "lab01"


# ---------------------------------------------------------------------------------------------------
# Exercise 1: the perceptron learning rule (learning the NAND gate, as in the lecture)

NAND_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
NAND_Y = np.array([1, 1, 1, 0], dtype=float)
PERCEPTRON_RULE = (
    "start from w = 0, b = 0; for each row in order compute output = 1 if w·x + b > 0 "
    "else 0, then w += lr·(target − output)·x and b += lr·(target − output)"
)


def _perceptron(
    X,
    y,
    lr,
    epochs,
    *,
    sign=1.0,
    learn_bias=True,
    fires_at_zero=False,
    raw_output=False,
    ignore_output=False,
    sign_output=False,
    batch=False,
) -> np.ndarray:
    """Perceptron rule from zero; returns (w..., b). Each keyword switches on one common mistake."""
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        w_start, b_start = w, b
        for x, target in zip(X, y):
            z = (w_start @ x + b_start) if batch else (w @ x + b)
            output = z if raw_output else np.sign(z) if sign_output else float(z >= 0 if fires_at_zero else z > 0)
            change = lr * (target if ignore_output else target - output)
            w = w + sign * change * x
            b = b + sign * change * learn_bias
    return np.append(w, b)


PERCEPTRON_MISTAKES = (
    (dict(sign=-1.0), "the sign is flipped: the rule adds lr·(target − output)·x to w (and lr·(target − output) to b)"),
    (dict(learn_bias=False), "the bias learns too: b += lr·(target − output) after every row"),
    (dict(fires_at_zero=True), "the neuron fires only when w·x + b > 0 strictly; at exactly 0 its output is 0"),
    (dict(raw_output=True), "the output is the step of w·x + b (0 or 1), not w·x + b itself"),
    (
        dict(sign_output=True),
        "the step outputs 0 or 1 (1 only when w·x + b > 0); np.sign outputs −1, 0 or 1, "
        "so a neuron at exactly 0 or below gives the wrong output",
    ),
    (
        dict(ignore_output=True),
        "did you update only on mistakes (w += lr·(target − output)·x, which is zero "
        "when the output is right)? Yours adds lr·target·x every time",
    ),
    (
        dict(batch=True),
        "update after every row, with the output computed from the weights as they are then; "
        "yours computes all outputs of a pass with the weights from the start of the pass "
        "(a batch update)",
    ),
)
LR_SCALE = "weights proportional to the expected ones"


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
        raise CheckFailed(
            f"perceptron_train should return a pair (w, b); it returned {type(result).__name__}: {result!r:.120}"
        ) from None
    w = array(w, "w")
    if w.shape != (n_inputs,):
        raise CheckFailed(f"w should hold one weight per input, shape ({n_inputs},); yours has shape {w.shape}.")
    return np.append(w, number(b, "b"))


def _scaled(got: np.ndarray, expected: np.ndarray) -> np.ndarray | None:
    """``expected`` times the factor that best matches ``got`` (None when that factor is 0 or 1)."""
    scale = float(got @ expected / (expected @ expected)) if expected.any() else 0.0
    return None if np.isclose(scale, 0.0) or np.isclose(scale, 1.0) else scale * expected


@question(LAB, "perceptron", points=2, target="perceptron_train")
def check_perceptron(perceptron_train) -> None:
    """perceptron_train(X, y, lr, epochs) -> (w, b) with the perceptron rule from w = 0, b = 0."""
    cases = _perceptron_cases()
    answers = [
        _weights_and_bias(
            call(
                perceptron_train,
                f"{len(X)} rows of {X.shape[1]} inputs with lr = {lr} and epochs = {epochs}",
                X,
                y,
                lr,
                epochs,
            ),
            X.shape[1],
        )
        for label, X, y, lr, epochs, _ in cases
    ]
    expected = [_perceptron(X, y, lr, epochs) for _, X, y, lr, epochs, _ in cases]
    mistakes = [
        (hint, [_perceptron(X, y, lr, epochs, **kw) for _, X, y, lr, epochs, _ in cases])
        for kw, hint in PERCEPTRON_MISTAKES
    ]
    mistakes += [
        ("the weights never changed: update them after every row", [np.zeros_like(e) for e in expected]),
        (
            "that is the result of one epoch fewer than asked (range(1, epochs) runs epochs − 1 times): one epoch "
            "is one pass over all rows",
            [_perceptron(X, y, lr, epochs - 1) for _, X, y, lr, epochs, _ in cases],
        ),
        (
            "that is the result of one epoch more than asked: one epoch is one pass over all rows",
            [_perceptron(X, y, lr, epochs + 1) for _, X, y, lr, epochs, _ in cases],
        ),
    ]
    general = [(LR_SCALE, [_scaled(got, e) for got, e in zip(answers, expected)])]
    for (label, _X, _y, lr, _epochs, fresh), got, want in zip(cases, answers, expected):
        if close(got, want):
            continue
        fallback = (
            "the NAND cases pass but this one does not: is something hard-coded (two inputs, the NAND "
            "rows, lr or the number of epochs)?"
            if fresh
            else PERCEPTRON_RULE
        )
        hint = diagnose(answers, mistakes, general) or fallback
        if hint == LR_SCALE:
            hint = (
                f"your weights are {float(got @ want / (want @ want)):.3g} × the expected ones: every change "
                f"is multiplied by the learning rate, is lr = {lr} used as given?"
            )
        raise CheckFailed(
            f"{label} your weights are w = {vec(got[:-1])}, b = {got[-1]:.4g}; expected "
            f"w = {vec(want[:-1])}, b = {want[-1]:.4g} — {sentence(hint)}"
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 2: gradient descent on J(θ) = θ² (the lecture's table: θ0 = 3, α = 0.1)

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
    """gd_step(theta, alpha) -> theta - alpha * dJ/dtheta for J = theta**2, one number."""
    answers = [
        scalar(call(gd_step, f"θ = {theta}, α = {alpha}", theta, alpha), f"gd_step({theta}, {alpha})")
        for theta, alpha, _ in GD_CASES
    ]
    mistakes = {}
    for theta, alpha, _ in GD_CASES:
        for hint, result in _gd_step_mistakes(theta, alpha):
            mistakes.setdefault(hint, []).append(result)
    for (theta, alpha, fresh), got in zip(GD_CASES, answers):
        expected = theta - alpha * 2 * theta
        if close(got, expected):
            continue
        fallback = (
            "θ = 3, α = 0.1 passes but this does not: are θ or α hard-coded?"
            if fresh
            else "one step is θ − α·dJ/dθ with dJ/dθ = 2θ"
        )
        hint = diagnose(answers, mistakes.items()) or fallback
        raise CheckFailed(
            f"θ after one step from θ = {theta} with α = {alpha} is {num(got)}, "
            f"expected {num(expected)} — {sentence(hint)}"
        )


GD_TABLE_CASES = (  # (theta0, alpha, n, fresh)
    (3.0, 0.1, 10, False),
    (-2.0, 0.05, 7, True),
    (1.0, 0.75, 5, True),
)
GD_COLUMNS = ("iteration", "θ", "α·dJ/dθ")


def _gd_table(
    theta0, alpha, n, *, step_first=False, first_iteration=1, climb=False, gradient_column=False, signed_change=False
) -> np.ndarray:
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
    (dict(first_iteration=0), "iterations are numbered from 1, as in the lecture's table"),
    (dict(climb=True), "θ should shrink towards the minimum at 0: the update subtracts α·dJ/dθ"),
    (dict(gradient_column=True), "the third column is the step α·dJ/dθ, not the gradient dJ/dθ = 2θ"),
    (
        dict(signed_change=True),
        "the third column is α·dJ/dθ as in the lecture's table (positive while θ > 0), not the change in θ",
    ),
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
    answers = []
    for theta0, alpha, n, _ in GD_TABLE_CASES:
        with hint_on_crash("if gd_table calls gd_step, make gd_step pass its check first: it returns one number"):
            result = call(gd_table, f"θ0 = {theta0}, α = {alpha}, n = {n}", theta0, alpha, n)
        answers.append(array(result, f"gd_table({theta0}, {alpha}, {n})"))
    mistakes = [
        (hint, [_gd_table(theta0, alpha, n, **kw) for theta0, alpha, n, _ in GD_TABLE_CASES])
        for kw, hint in GD_TABLE_MISTAKES
    ]
    for (theta0, alpha, n, fresh), got in zip(GD_TABLE_CASES, answers):
        what = f"gd_table({theta0}, {alpha}, {n})"
        if got.shape != (n, 3):
            raise CheckFailed(
                f"{what} has shape {got.shape}, expected ({n}, 3) — {_gd_table_shape_hint(got.shape, n)}."
            )
        expected = _gd_table(theta0, alpha, n)
        if close(got, expected):
            continue
        row, column = first_difference(got, expected)
        fallback = (
            "the lecture's table passes but this one does not: are θ0, α or n hard-coded?"
            if fresh
            else "row k holds k, the θ at the start of iteration k and α·dJ/dθ = α·2θ at that θ; then θ ← θ − α·2θ"
        )
        hint = diagnose(answers, mistakes) or fallback
        raise CheckFailed(
            f"{what}: row {row + 1}, column '{GD_COLUMNS[column]}' is {num(got[row, column])}, "
            f"expected {num(expected[row, column])} — {sentence(hint)}"
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 3: the 2-2-2 sigmoid network of M. Mazur's worked backpropagation example (forward, backward,
# one training step)
# Wiring: net_h1 = w1·i1 + w2·i2 + b1, net_h2 = w3·i1 + w4·i2 + b1,
#         net_o1 = w5·out_h1 + w6·out_h2 + b2, net_o2 = w7·out_h1 + w8·out_h2 + b2.

EXAMPLE_W = np.array([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55])
EXAMPLE_B = np.array([0.35, 0.60])
EXAMPLE_I = np.array([0.05, 0.10])
EXAMPLE_TARGET = np.array([0.01, 0.99])
EXAMPLE_ETA = 0.5
FORWARD_KEYS = ("out_h1", "out_h2", "out_o1", "out_o2", "E_total")
BACKPROP_ORDER = (4, 5, 6, 7, 0, 1, 2, 3)  # w5..w8 first: the order backpropagation computes them


def _network_cases():
    """(label, w, b, i, target, eta, fresh): the worked example, then two fresh networks."""
    cases = [("on the worked example", EXAMPLE_W, EXAMPLE_B, EXAMPLE_I, EXAMPLE_TARGET, EXAMPLE_ETA, False)]
    rng = np.random.default_rng(2)
    for _ in range(2):
        w, b = rng.uniform(-1, 1, 8).round(2), rng.uniform(-1, 1, 2).round(2)
        i, target = rng.uniform(0, 1, 2).round(2), rng.uniform(0.05, 0.95, 2).round(2)
        eta = round(float(rng.uniform(0.1, 1.0)), 2)
        label = f"on fresh inputs (w = {vec(w)}, b = {vec(b)}, i = {vec(i)}, target = {vec(target)})"
        cases.append((label, w, b, i, target, eta, True))
    return cases


def _sigmoid(z, sign=1.0):
    return 1.0 / (1.0 + np.exp(-sign * z))


def _forward(
    w,
    b,
    i,
    target,
    *,
    hidden_bias=True,
    output_bias=True,
    hidden_sigmoid=True,
    output_sigmoid=True,
    sigmoid_sign=1.0,
    transposed=False,
    swapped_biases=False,
    half=True,
    mean_error=False,
) -> dict:
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
    return dict(
        net_h=net_h, out_h=out_h, net_o=net_o, out_o=out_o, E_total=errors.mean() if mean_error else errors.sum()
    )


def _named(f: dict) -> dict:
    return dict(
        out_h1=f["out_h"][0], out_h2=f["out_h"][1], out_o1=f["out_o"][0], out_o2=f["out_o"][1], E_total=f["E_total"]
    )


FORWARD_MISTAKES = (
    (dict(hidden_bias=False), "is the bias added? net_h1 = w1·i1 + w2·i2 + b1·1"),
    (dict(output_bias=False), "is the bias added? net_o1 = w5·out_h1 + w6·out_h2 + b2·1"),
    (dict(hidden_sigmoid=False), "the hidden neurons squash their net input: out_h1 = 1/(1 + e^(−net_h1))"),
    (dict(output_sigmoid=False), "the output neurons squash theirs too: out_o1 = 1/(1 + e^(−net_o1))"),
    (dict(sigmoid_sign=-1.0), "the sigmoid is 1/(1 + e^(−net)): mind the minus sign in the exponent"),
    (
        dict(transposed=True),
        "check the wiring: net_h1 = w1·i1 + w2·i2 + b1 and net_h2 = w3·i1 + w4·i2 + b1; "
        "net_o1 = w5·out_h1 + w6·out_h2 + b2 and net_o2 = w7·out_h1 + w8·out_h2 + b2",
    ),
    (dict(swapped_biases=True), "the hidden layer adds b1 and the output layer b2"),
    (dict(half=False), "each error is ½·(target − out)²: the ½ is missing"),
    (dict(mean_error=True), "E_total is the sum E_o1 + E_o2, not their mean"),
)
HARD_CODED = "the worked example passes but fresh inputs do not: are its numbers hard-coded?"
FORWARD_RULE = (
    "net = weighted sum of the layer's inputs + bias, out = 1/(1 + e^(−net)), E_total = Σ ½·(target − out_o)²"
)


def _case(label: str) -> str:
    return label.removeprefix("on ")


@question(LAB, "forward", points=1, target="forward")
def check_forward(forward) -> None:
    """forward(w, b, i, target) -> dict with out_h1, out_h2, out_o1, out_o2, E_total.

    E_total = mean((target − out)²) equals Σ ½·(target − out)² for the network's two outputs, so no call can
    tell them apart: the exercise states the sum, and this check accepts both."""
    cases = _network_cases()
    answers = []
    for label, w, b, i, target, _, _ in cases:
        result = call(forward, _case(label), w, b, i, target)
        if not isinstance(result, Mapping):
            raise CheckFailed(
                f"forward should return a dict with keys {', '.join(FORWARD_KEYS)}; "
                f"it returned {type(result).__name__}."
            )
        missing = [key for key in FORWARD_KEYS if key not in result]
        if missing:
            raise CheckFailed(f"forward's dict lacks {', '.join(missing)}; it needs {', '.join(FORWARD_KEYS)}.")
        answers.append({key: number(result[key], f"forward(...)['{key}']") for key in FORWARD_KEYS})
    for (label, w, b, i, target, _, fresh), got in zip(cases, answers):
        expected = _named(_forward(w, b, i, target))
        for key in FORWARD_KEYS:
            if close(got[key], expected[key]):
                continue
            mistakes = [(hint, [_named(_forward(*c[1:5], **kw))[key] for c in cases]) for kw, hint in FORWARD_MISTAKES]
            fallback = HARD_CODED if fresh else FORWARD_RULE
            hint = diagnose([a[key] for a in answers], mistakes) or fallback
            raise CheckFailed(f"{label}: {key} is {num(got[key])}, expected {num(expected[key])} — {sentence(hint)}")


def _backward(
    w,
    b,
    i,
    target,
    *,
    sign=1.0,
    output_slope=True,
    hidden_slope=True,
    slope_of_net=False,
    hidden_paths="both",
    net_as_input=False,
    output_weights=None,
    forward_mistake=None,
) -> np.ndarray:
    """∂E_total/∂w1..w8, shape (8,). ``output_weights``: the w5..w8 the hidden gradients see (default w);
    ``forward_mistake``: keywords of ``_forward``. The other keywords switch on one common mistake each."""
    f = _forward(w, b, i, target, **(forward_mistake or {}))

    def slope(out, net):
        return net * (1 - net) if slope_of_net else out * (1 - out)

    delta_o = sign * (f["out_o"] - target) * (slope(f["out_o"], f["net_o"]) if output_slope else 1.0)
    grad_output = np.outer(delta_o, f["net_h"] if net_as_input else f["out_h"])
    w_output = (w if output_weights is None else output_weights)[4:].reshape(2, 2)
    to_hidden = {
        "both": w_output.T @ delta_o,  # δ_o1·w5 + δ_o2·w7, δ_o1·w6 + δ_o2·w8
        "o1 only": w_output[0] * delta_o[0],  # δ_o1·w5, δ_o1·w6
        "transposed": w_output @ delta_o,
    }[hidden_paths]  # δ_o1·w5 + δ_o2·w6, ...
    delta_h = to_hidden * (slope(f["out_h"], f["net_h"]) if hidden_slope else 1.0)
    return np.concatenate([np.outer(delta_h, i).ravel(), grad_output.ravel()])


BACKWARD_MISTAKES = (
    (dict(sign=-1.0), "sign: ∂E_total/∂out_o1 = −(target_o1 − out_o1) = out_o1 − target_o1"),
    (dict(output_slope=False), "multiply by the sigmoid's slope ∂out_o1/∂net_o1 = out_o1·(1 − out_o1)"),
    (dict(hidden_slope=False), "in the hidden layer multiply by the sigmoid's slope out_h1·(1 − out_h1) too"),
    (
        dict(slope_of_net=True),
        "the sigmoid's slope is out·(1 − out), written with the neuron's output, not its net input",
    ),
    (dict(hidden_paths="o1 only"), "out_h1 feeds both outputs: ∂E_total/∂out_h1 = δ_o1·w5 + δ_o2·w7 (E_o2 counts too)"),
    (
        dict(hidden_paths="transposed"),
        "∂E_total/∂out_h1 = δ_o1·w5 + δ_o2·w7, through the weights leaving h1 (w5 to o1, w7 to o2)",
    ),
    (dict(net_as_input=True), "∂net_o1/∂w5 = out_h1, the hidden neuron's output after the sigmoid, not net_h1"),
)


def _backward_mistakes(w, b, i, target) -> list[tuple[str, np.ndarray]]:
    mistakes = [(hint, _backward(w, b, i, target, **kw)) for kw, hint in BACKWARD_MISTAKES]
    grads = _backward(w, b, i, target)
    mistakes.append(("return the gradients in the order w1, …, w8", np.concatenate([grads[4:], grads[:4]])))
    mistakes += [
        (
            f"the forward values it uses are wrong, fix forward first: {hint}",
            _backward(w, b, i, target, forward_mistake=kw),
        )
        for kw, hint in FORWARD_MISTAKES
    ]
    return mistakes


def _gradient_rule(index: int) -> str:
    if index >= 4:
        return (
            "∂E_total/∂w5 = (out_o1 − target_o1)·out_o1·(1 − out_o1)·out_h1; likewise w6 (with out_h2) "
            "and w7, w8 (through o2)"
        )
    return (
        "∂E_total/∂w1 = (δ_o1·w5 + δ_o2·w7)·out_h1·(1 − out_h1)·i1 with "
        "δ_o = (out_o − target)·out_o·(1 − out_o); likewise w2 (with i2) and w3, w4 (through h2)"
    )


def _first_wrong(got: np.ndarray, expected: np.ndarray) -> int:
    return next(k for k in BACKPROP_ORDER if not close(got[k], expected[k]))


def _layer(index: int) -> slice:
    return slice(4, 8) if index >= 4 else slice(0, 4)


def _weights_per_case(fn, cases, what: str, *extra) -> list[np.ndarray]:
    """The student's 8 numbers on each network case (``extra``: the keys of the case passed after target)."""
    answers = []
    for label, w, b, i, target, eta, _ in cases:
        args = (w, b, i, target) + ((eta,) if "eta" in extra else ())
        result = call(fn, _case(label) + (f" with η = {eta}" if "eta" in extra else ""), *args)
        if what == "train_step" and isinstance(result, tuple) and len(result) != 8:
            raise CheckFailed(
                f"train_step returned a tuple of {len(result)} items; return only the 8 updated "
                "weights w1 … w8 as one array of shape (8,) (the biases stay fixed, as in the "
                "worked example)."
            )
        got = array(result, f"{what}(...)")
        if got.shape != (8,):
            raise CheckFailed(
                f"{what} should return "
                + (
                    "the 8 gradients ∂E_total/∂w1 … ∂E_total/∂w8"
                    if what == "backward"
                    else "the 8 updated weights w1 … w8 (the biases stay fixed)"
                )
                + f" as an array of shape (8,); yours has shape {got.shape}."
            )
        answers.append(got)
    return answers


@question(LAB, "backward", points=2, target="backward")
def check_backward(backward) -> None:
    """backward(w, b, i, target) -> array (8,) of dE_total/dw1 .. dE_total/dw8."""
    cases = _network_cases()
    answers = _weights_per_case(backward, cases, "backward")
    mistakes_per_case = [_backward_mistakes(*c[1:5]) for c in cases]
    for (label, w, b, i, target, _, fresh), got in zip(cases, answers):
        expected = _backward(w, b, i, target)
        if close(got, expected):
            continue
        k = _first_wrong(got, expected)
        layer = _layer(k)
        mistakes = [(hint, [result[layer] for result in results]) for hint, results in by_case(mistakes_per_case)]
        fallback = HARD_CODED if fresh else _gradient_rule(k)
        hint = diagnose([a[layer] for a in answers], mistakes) or fallback
        raise CheckFailed(
            f"{label}: ∂E_total/∂w{k + 1} is {num(got[k])}, expected {num(expected[k])} — {sentence(hint)}"
        )


def _train_step_mistakes(w, b, i, target, eta) -> list[tuple[str, np.ndarray]]:
    grads = _backward(w, b, i, target)
    mistakes = [
        ("gradient descent steps against the gradient: w⁺ = w − η·∂E_total/∂w", w + eta * grads),
        ("multiply each gradient by the learning rate η", w - grads),
        ("return the updated weights w − η·∂E_total/∂w, not the gradients", grads),
        (
            "compute every gradient with the original weights before updating any: the hidden-layer gradients "
            "use the old w5 … w8, not the updated ones",
            w - eta * _backward(w, b, i, target, output_weights=w - eta * grads),
        ),
    ]
    return mistakes + [
        (f"{hint} (the gradients train_step uses are wrong: check backward)", w - eta * wrong)
        for hint, wrong in _backward_mistakes(w, b, i, target)
        if not hint.startswith("sign")
    ]  # a flipped gradient is the uphill step above


@question(LAB, "train_step", points=1, target="train_step")
def check_train_step(train_step) -> None:
    """train_step(w, b, i, target, eta) -> new weights (8,) = w - eta * dE/dw; biases stay fixed."""
    cases = _network_cases()
    answers = _weights_per_case(train_step, cases, "train_step", "eta")
    mistakes = by_case([_train_step_mistakes(*c[1:6]) for c in cases])
    for (label, w, b, i, target, eta, fresh), got in zip(cases, answers):
        expected = w - eta * _backward(w, b, i, target)
        if close(got, expected):
            continue
        k = _first_wrong(got, expected)
        fallback = HARD_CODED if fresh else "each weight moves by −η times its gradient from backward"
        hint = diagnose(answers, mistakes) or fallback
        raise CheckFailed(
            f"{label} with η = {eta}: the updated w{k + 1} is {num(got[k])}, "
            f"expected {num(expected[k])} — {sentence(hint)}"
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 4: 2-D convolution (cross-correlation) with stride and padding

CONV_IMAGE = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
CONV_KERNEL = np.array(
    [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
)  # the lecture's convolved feature: [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
OUTPUT_SIZE_RULE = "⌊(W − K + 2P)/S⌋ + 1 per axis"


def _output_shape(image_shape, kernel_shape, stride, padding) -> tuple[int, ...]:
    return tuple((n - k + 2 * padding) // stride + 1 for n, k in zip(image_shape, kernel_shape))


def _correlate(
    image, kernel, stride, padding, *, flipped=False, pad_mode="constant", strided_windows=True
) -> np.ndarray:
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
        ("the lecture's 5×5 image and 3×3 kernel", CONV_IMAGE, CONV_KERNEL, 1, 0, False),
        ("a 7×7 image and 3×3 kernel, stride 1", seven, three, 1, 0, True),
        ("a 7×7 image and 3×3 kernel, stride 2", seven, three, 2, 0, True),
        ("a 6×8 image and 2×3 kernel, stride 1, padding 1", image(6, 8), kernel(2, 3), 1, 1, True),
        ("an 8×8 image and 3×3 kernel, stride 2, padding 1", image(8, 8), kernel(3, 3), 2, 1, True),
        ("a 7×9 image and 3×3 kernel, stride 3, padding 2", image(7, 9), kernel(3, 3), 3, 2, True),
    ]


def _conv_shape_mistakes(image_shape, kernel_shape, stride, padding) -> list[tuple[str, tuple]]:
    expected = _output_shape(image_shape, kernel_shape, stride, padding)
    return [
        (
            "padding P adds P rows and columns of zeros on every side",
            _output_shape(image_shape, kernel_shape, stride, 0),
        ),
        ("with stride S the kernel moves S pixels at a time", _output_shape(image_shape, kernel_shape, 1, padding)),
        ("off by one: the + 1 counts the kernel's first position", tuple(n - 1 for n in expected)),
        (
            "pad both sides: the padded image is W + 2P wide (P zeros before the first and after the last pixel)",
            tuple((n - k + padding) // stride + 1 for n, k in zip(image_shape, kernel_shape)),
        ),
        ("rows and columns are swapped", (expected[1], expected[0])),
        (
            "keep only the positions where the kernel lies entirely inside the (padded) image",
            tuple(n + k - 1 for n, k in zip(image_shape, kernel_shape)),
        ),
    ]


def _conv_case(image, kernel, stride, padding) -> str:
    (rows, cols), (k_rows, k_cols) = image.shape, kernel.shape
    return f"the {rows}×{cols} image with the {k_rows}×{k_cols} kernel, stride {stride} and padding {padding}"


def _conv_value_mistakes(image, kernel, stride, padding) -> list[tuple[str, np.ndarray]]:
    expected = _correlate(image, kernel, stride, padding)
    return [
        (
            "your map is the true convolution (kernel flipped by 180°); a CNN layer computes the cross-correlation: "
            "slide the kernel as it is",
            _correlate(image, kernel, stride, padding, flipped=True),
        ),
        ("pad with zeros", _correlate(image, kernel, stride, padding, pad_mode="edge")),
        (
            "with stride S, output (r, c) uses the window whose top-left corner is at (S·r, S·c) of the padded image",
            _correlate(image, kernel, stride, padding, strided_windows=False),
        ),
        (
            "your values are cut to whole numbers: the output array took the integer type of the image; "
            "make it a float array",
            np.trunc(expected),
        ),
        ("rows and columns are swapped", expected.T if expected.shape[0] == expected.shape[1] else None),
    ]


@question(LAB, "conv2d", points=2, target="conv2d")
def check_conv2d(conv2d) -> None:
    """conv2d(image, kernel, stride=1, padding=0) -> feature map, cross-correlation as in CNN layers."""
    cases = _conv_cases()
    answers = [
        array(
            call(conv2d, _conv_case(image, kernel, stride, padding), image, kernel, stride=stride, padding=padding),
            f"conv2d on {label}",
        )
        for label, image, kernel, stride, padding, _ in cases
    ]
    shapes = [np.array(got.shape) for got in answers]
    shape_mistakes = by_case(
        [
            [(hint, np.array(shape)) for hint, shape in _conv_shape_mistakes(c[1].shape, c[2].shape, c[3], c[4])]
            for c in cases
        ]
    )
    value_mistakes = by_case([_conv_value_mistakes(*c[1:5]) for c in cases])
    for (label, image, kernel, stride, padding, fresh), got in zip(cases, answers):
        expected = _correlate(image, kernel, stride, padding)
        if got.shape != expected.shape:
            (rows, cols), (k_rows, k_cols) = image.shape, kernel.shape
            hint = diagnose(shapes, shape_mistakes)
            hint = (
                f": {hint}"
                if hint
                else ": does your output size follow the image, kernel, stride and padding given?"
                if fresh
                else ""
            )
            raise CheckFailed(
                f"on {label}: your feature map has shape {got.shape}; with stride {stride} and padding {padding} "
                f"a {rows}×{cols} image and {k_rows}×{k_cols} kernel give {expected.shape} = {OUTPUT_SIZE_RULE}"
                f"{sentence(hint)}"
            )
        if close(got, expected):
            continue
        row, col = first_difference(got, expected)
        fallback = (
            "output (r, c) is the sum of kernel × the window of the zero-padded image whose top-left "
            f"corner is at ({stride}·r, {stride}·c)"
            if fresh
            else f"the lecture's feature map is {expected.astype(int).tolist()}"
        )
        hint = diagnose(answers, value_mistakes) or fallback
        raise CheckFailed(
            f"on {label}: feature map [{row}, {col}] is {num(got[row, col])}, "
            f"expected {num(expected[row, col])} — {sentence(hint)}"
        )
