"""course_utils.backprop reproduces the notes' worked example and its gradients are right."""

import numpy as np
import pytest

from course_utils import backprop

PARAMS, INPUTS, TARGETS = backprop.EXAMPLE_PARAMS, backprop.EXAMPLE_INPUTS, backprop.EXAMPLE_TARGETS

# The values the worked example prints (C. R. Bom's deck, after M. Mazur's step-by-step example), with their digits.
PUBLISHED_FORWARD = {
    "net_h1": "0.3775",
    "out_h1": "0.593269992",
    "out_h2": "0.596884378",
    "net_o1": "1.105905967",
    "out_o1": "0.75136507",
    "out_o2": "0.772928465",
    "E_o1": "0.274811083",
    "E_o2": "0.023560026",
    "E_total": "0.298371109",
}
PUBLISHED_UPDATED_WEIGHTS = {
    "w1": "0.149780716",
    "w2": "0.19956143",
    "w3": "0.24975114",
    "w4": "0.29950229",
    "w5": "0.35891648",
    "w6": "0.408666186",
    "w7": "0.511301270",
    "w8": "0.561370121",
}


def rounded_as(value, printed):
    return f"{value:.{len(printed.partition('.')[2])}f}"


def test_forward_pass_reproduces_the_notes():
    values = backprop.forward(PARAMS, INPUTS, TARGETS)
    for name, printed in PUBLISHED_FORWARD.items():
        assert rounded_as(values[name], printed) == printed, name


def test_chain_rule_factors_for_w5_reproduce_the_notes():
    values = backprop.forward(PARAMS, INPUTS, TARGETS)
    signals = backprop.deltas(PARAMS, values, TARGETS)
    assert rounded_as(signals["dE_dout_o1"], "0.74136507") == "0.74136507"
    assert rounded_as(signals["dout_dnet_o1"], "0.186815602") == "0.186815602"
    assert rounded_as(backprop.backward(PARAMS, INPUTS, TARGETS)["w5"], "0.082167041") == "0.082167041"


def test_one_step_reproduces_the_notes_updated_weights_and_keeps_biases():
    gradients = backprop.backward(PARAMS, INPUTS, TARGETS)
    updated = backprop.gradient_descent_step(PARAMS, gradients, backprop.EXAMPLE_LEARNING_RATE)
    for name, printed in PUBLISHED_UPDATED_WEIGHTS.items():
        assert rounded_as(updated[name], printed) == printed, name
    assert (updated["b1"], updated["b2"]) == (PARAMS["b1"], PARAMS["b2"])
    assert f"{backprop.forward(updated, INPUTS, TARGETS)['E_total']:.9f}" == "0.291027774"


def test_blog_total_error_comes_from_hidden_gradients_with_updated_output_weights():
    # The lecture explains the blog's 0.291027924 this way; this test keeps that explanation true.
    values = backprop.forward(PARAMS, INPUTS, TARGETS)
    mixed = backprop.gradient_descent_step(PARAMS, backprop.backward(PARAMS, INPUTS, TARGETS))
    signals = backprop.deltas(mixed, values, TARGETS)
    for name, neuron, x in (
        ("w1", "h1", INPUTS[0]),
        ("w2", "h1", INPUTS[1]),
        ("w3", "h2", INPUTS[0]),
        ("w4", "h2", INPUTS[1]),
    ):
        mixed[name] = PARAMS[name] - 0.5 * signals[f"delta_{neuron}"] * x
    assert f"{backprop.forward(mixed, INPUTS, TARGETS)['E_total']:.9f}" == "0.291027924"


def test_update_biases_moves_them_against_their_gradient():
    gradients = backprop.backward(PARAMS, INPUTS, TARGETS)
    updated = backprop.gradient_descent_step(PARAMS, gradients, 0.5, update_biases=True)
    assert updated["b1"] == pytest.approx(PARAMS["b1"] - 0.5 * gradients["b1"])
    assert updated["b2"] == pytest.approx(PARAMS["b2"] - 0.5 * gradients["b2"])


def test_gradients_match_finite_differences_on_the_notes_network():
    analytic = backprop.backward(PARAMS, INPUTS, TARGETS)
    numerical = backprop.finite_difference_gradients(PARAMS, INPUTS, TARGETS)
    for name in backprop.PARAMETERS:
        assert numerical[name] == pytest.approx(analytic[name], rel=1e-8, abs=0), name


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradients_match_finite_differences_on_random_networks(seed):
    rng = np.random.default_rng(seed)
    params = {name: rng.normal(0, 1) for name in backprop.PARAMETERS}
    inputs, targets = rng.uniform(-1, 1, 2), rng.uniform(0, 1, 2)
    analytic = backprop.backward(params, inputs, targets)
    numerical = backprop.finite_difference_gradients(params, inputs, targets, step=1e-5)
    for name in backprop.PARAMETERS:
        assert numerical[name] == pytest.approx(analytic[name], rel=1e-6, abs=1e-10), name


def test_arrays_of_examples_are_computed_elementwise():
    rng = np.random.default_rng(3)
    inputs, targets = rng.uniform(0, 1, (2, 5)), rng.uniform(0, 1, (2, 5))
    batch = backprop.backward(PARAMS, inputs, targets)
    for k in range(5):
        single = backprop.backward(PARAMS, inputs[:, k], targets[:, k])
        for name in backprop.PARAMETERS:
            assert batch[name][k] == pytest.approx(single[name], rel=1e-14)


def test_training_lowers_the_error_towards_the_targets():
    params = dict(PARAMS)
    for _ in range(2000):
        params = backprop.gradient_descent_step(params, backprop.backward(params, INPUTS, TARGETS))
    values = backprop.forward(params, INPUTS, TARGETS)
    assert values["E_total"] < 0.01 * backprop.forward(PARAMS, INPUTS, TARGETS)["E_total"]
    assert abs(values["out_o1"] - TARGETS[0]) < 0.05 and abs(values["out_o2"] - TARGETS[1]) < 0.05


def test_forward_without_targets_gives_outputs_only():
    values = backprop.forward(PARAMS, INPUTS)
    assert "E_total" not in values and values["out_o1"] == pytest.approx(0.75136507, abs=1e-8)


def test_missing_parameter_is_named_in_the_error():
    incomplete = {name: value for name, value in PARAMS.items() if name not in ("w3", "b2")}
    with pytest.raises(KeyError, match="w3, b2"):
        backprop.forward(incomplete, INPUTS, TARGETS)


def test_inputs_that_are_not_a_pair_are_rejected():
    with pytest.raises(ValueError, match="inputs must be a pair"):
        backprop.forward(PARAMS, (0.05, 0.10, 0.2), TARGETS)
