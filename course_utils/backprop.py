"""The 2-2-2 sigmoid network of the backpropagation lecture, worked by hand.

M. Mazur's "A Step by Step Backpropagation Example" (2015), as C. R. Bom's lectures present it.

Two inputs feed two hidden sigmoid neurons, which feed two sigmoid outputs; the error is the
squared error summed over the outputs. Names follow the worked example:

    net_h1 = w1*i1 + w2*i2 + b1        net_o1 = w5*out_h1 + w6*out_h2 + b2
    net_h2 = w3*i1 + w4*i2 + b1        net_o2 = w7*out_h1 + w8*out_h2 + b2
    out_x  = sigmoid(net_x)            E_total = 1/2 (t1 - out_o1)^2 + 1/2 (t2 - out_o2)^2

``b1`` is one bias shared by both hidden neurons and ``b2`` one bias shared by both outputs.
Parameters are a dict ``{"w1": ..., "b2": ...}``; inputs and targets are pairs ``(i1, i2)`` and
``(t1, t2)``. Every value is a float, or a NumPy array of one common shape (n_samples,) for many
examples at once: all arithmetic is elementwise. No units: the example's numbers are dimensionless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

WEIGHTS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8")
BIASES = ("b1", "b2")
PARAMETERS = WEIGHTS + BIASES

EXAMPLE_PARAMS = {
    "w1": 0.15,
    "w2": 0.20,
    "w3": 0.25,
    "w4": 0.30,
    "w5": 0.40,
    "w6": 0.45,
    "w7": 0.50,
    "w8": 0.55,
    "b1": 0.35,
    "b2": 0.60,
}
EXAMPLE_INPUTS = (0.05, 0.10)
EXAMPLE_TARGETS = (0.01, 0.99)
EXAMPLE_LEARNING_RATE = 0.5


def sigmoid(z):
    """Logistic function 1 / (1 + exp(-z)); same shape as ``z``."""
    return 1.0 / (1.0 + np.exp(-z))


def _checked_params(params: Mapping[str, float]) -> Mapping[str, float]:
    missing = [name for name in PARAMETERS if name not in params]
    if missing:
        raise KeyError(
            f"params lacks {', '.join(missing)}: give all of {', '.join(PARAMETERS)} "
            "(course_utils.backprop.EXAMPLE_PARAMS holds the worked example's values)."
        )
    return params


def _checked_pair(pair: Sequence, what: str) -> tuple:
    if len(pair) != 2:
        raise ValueError(f"{what} must be a pair ({what[0]}1, {what[0]}2), got {len(pair)} values.")
    return tuple(pair)


def forward(params: Mapping[str, float], inputs: Sequence, targets: Sequence | None = None) -> dict:
    """Forward pass: every intermediate value of the network, by the worked example's names.

    Returns ``net_h1, out_h1, net_h2, out_h2, net_o1, out_o1, net_o2, out_o2`` and, when
    ``targets`` is given, the errors ``E_o1, E_o2, E_total``; each has the shape of the inputs.
    """
    p = _checked_params(params)
    i1, i2 = _checked_pair(inputs, "inputs")
    values = {"net_h1": p["w1"] * i1 + p["w2"] * i2 + p["b1"], "net_h2": p["w3"] * i1 + p["w4"] * i2 + p["b1"]}
    values["out_h1"] = sigmoid(values["net_h1"])
    values["out_h2"] = sigmoid(values["net_h2"])
    values["net_o1"] = p["w5"] * values["out_h1"] + p["w6"] * values["out_h2"] + p["b2"]
    values["net_o2"] = p["w7"] * values["out_h1"] + p["w8"] * values["out_h2"] + p["b2"]
    values["out_o1"] = sigmoid(values["net_o1"])
    values["out_o2"] = sigmoid(values["net_o2"])
    if targets is not None:
        t1, t2 = _checked_pair(targets, "targets")
        values["E_o1"] = 0.5 * (t1 - values["out_o1"]) ** 2
        values["E_o2"] = 0.5 * (t2 - values["out_o2"]) ** 2
        values["E_total"] = values["E_o1"] + values["E_o2"]
    return values


def deltas(params: Mapping[str, float], values: Mapping[str, float], targets: Sequence) -> dict:
    """Error signals of the backward pass, from the forward ``values`` of the same ``params``.

    ``dE_dout_o1`` = dE_total/dout_o1 = -(t1 - out_o1); ``dout_dnet_o1`` = out_o1 (1 - out_o1);
    ``delta_o1`` = dE_total/dnet_o1, their product; the same for o2. ``dE_dout_h1`` collects what
    flows back into h1 from both outputs (delta_o1 w5 + delta_o2 w7); ``delta_h1`` = dE_total/dnet_h1.
    Note: Bom's slides write dE/dw5 = -delta_o1 out_h1, with the opposite sign of delta; here delta is
    the plain derivative dE/dnet, so dE/dw5 = delta_o1 * out_h1.
    """
    p = _checked_params(params)
    t1, t2 = _checked_pair(targets, "targets")
    signals = {}
    for o, t in (("o1", t1), ("o2", t2)):
        out = values[f"out_{o}"]
        signals[f"dE_dout_{o}"] = -(t - out)
        signals[f"dout_dnet_{o}"] = out * (1.0 - out)
        signals[f"delta_{o}"] = signals[f"dE_dout_{o}"] * signals[f"dout_dnet_{o}"]
    # h1 reaches o1 through w5 and o2 through w7; h2 through w6 and w8 (the weights before any update).
    for h, w_to_o1, w_to_o2 in (("h1", "w5", "w7"), ("h2", "w6", "w8")):
        out = values[f"out_{h}"]
        signals[f"dE_dout_{h}"] = signals["delta_o1"] * p[w_to_o1] + signals["delta_o2"] * p[w_to_o2]
        signals[f"dout_dnet_{h}"] = out * (1.0 - out)
        signals[f"delta_{h}"] = signals[f"dE_dout_{h}"] * signals[f"dout_dnet_{h}"]
    return signals


def backward(params: Mapping[str, float], inputs: Sequence, targets: Sequence) -> dict:
    """Backward pass: dE_total/d(parameter) for every name in ``PARAMETERS``.

    Each gradient is delta of the neuron the parameter feeds times the value it multiplies
    (1 for a bias); shared biases collect the deltas of every neuron they feed.
    Shapes follow the inputs.
    """
    i1, i2 = _checked_pair(inputs, "inputs")
    values = forward(params, inputs, targets)
    d = deltas(params, values, targets)
    h1, h2 = values["out_h1"], values["out_h2"]
    return {
        "w1": d["delta_h1"] * i1,
        "w2": d["delta_h1"] * i2,
        "w3": d["delta_h2"] * i1,
        "w4": d["delta_h2"] * i2,
        "w5": d["delta_o1"] * h1,
        "w6": d["delta_o1"] * h2,
        "w7": d["delta_o2"] * h1,
        "w8": d["delta_o2"] * h2,
        "b1": d["delta_h1"] + d["delta_h2"],
        "b2": d["delta_o1"] + d["delta_o2"],
    }


def gradient_descent_step(
    params: Mapping[str, float],
    gradients: Mapping[str, float],
    learning_rate: float = EXAMPLE_LEARNING_RATE,
    *,
    update_biases: bool = False,
) -> dict:
    """New parameters p - learning_rate * dE/dp, all computed from the same (old) gradients.

    The worked example updates the eight weights only and keep b1, b2 fixed; ``update_biases=True`` moves them too.
    """
    p = _checked_params(params)
    moved = PARAMETERS if update_biases else WEIGHTS
    return {name: p[name] - learning_rate * gradients[name] if name in moved else p[name] for name in PARAMETERS}


def finite_difference_gradients(
    params: Mapping[str, float], inputs: Sequence, targets: Sequence, step: float = 1e-4
) -> dict:
    """Central differences (E(p + step) - E(p - step)) / (2 step) for every parameter.

    An independent check of ``backward``: error ~ step^2 from truncation plus ~1e-16/step from
    rounding; the default step gives a few 1e-9 relative on the worked example's network in float64.
    """
    p = dict(_checked_params(params))
    gradients = {}
    for name in PARAMETERS:
        up, down = dict(p), dict(p)
        up[name] = p[name] + step
        down[name] = p[name] - step
        gradients[name] = (forward(up, inputs, targets)["E_total"] - forward(down, inputs, targets)["E_total"]) / (
            2 * step
        )
    return gradients
