"""course_utils.gradients against gradients worked out by hand for small networks, on both backends.

The tests run on the process's Keras backend; ``test_the_other_backend`` runs this file again on the other one.
"""

import keras
import numpy as np
import pytest

from backends import other_backend_test
from course_utils.gradients import input_gradient, logit_model, loss_gradient  # noqa: E402

RNG = np.random.default_rng(11)
X = RNG.random((4, 3, 3, 1)).astype("float32")


def set_weights(model, *arrays):
    model.set_weights([np.asarray(a, dtype="float32") for a in arrays])
    return model


def flat_classifier(n_outputs, activation):
    """Flatten -> Dense(n_outputs, activation) on (3, 3, 1) inputs."""
    return keras.Sequential(
        [keras.Input((3, 3, 1)), keras.layers.Flatten(), keras.layers.Dense(n_outputs, activation=activation)]
    )


def two_layer(output_layers):
    """Flatten -> Dense(5, tanh) -> output_layers, with known random weights; returns (model, W1, b1, W2, b2)."""
    inputs = keras.Input((3, 3, 1))
    hidden = keras.layers.Dense(5, activation="tanh")(keras.layers.Flatten()(inputs))
    outputs = hidden
    for layer in output_layers:
        outputs = layer(outputs)
    W1, b1, W2, b2 = RNG.normal(size=(9, 5)), RNG.normal(size=5), RNG.normal(size=(5, 3)), RNG.normal(size=3)
    return set_weights(keras.Model(inputs, outputs), W1, b1, W2, b2), W1, b1, W2, b2


def by_hand(x, W1, b1, W2, b2):
    """Logits z (n, 3) and dz/dx (n, 9, 3) of z = W2ᵀ tanh(W1ᵀ x + b1) + b2."""
    flat = x.reshape(len(x), -1).astype(float)
    h = np.tanh(flat @ W1 + b1)
    return h @ W2 + b2, np.einsum("ik,nk,kc->nic", W1, 1 - h**2, W2)


@pytest.mark.parametrize(
    "output_layers",
    [
        lambda: [keras.layers.Dense(3, activation="softmax")],
        lambda: [keras.layers.Dense(3), keras.layers.Softmax()],
        lambda: [keras.layers.Dense(3), keras.layers.Activation("softmax")],
    ],
    ids=["dense-softmax", "softmax-layer", "activation-layer"],
)
def test_input_gradient_is_the_gradient_of_the_logit(output_layers):
    model, *weights = two_layer(output_layers())
    classes = np.array([0, 2, 1, 2])
    _, jacobian = by_hand(X, *weights)
    expected = jacobian[np.arange(4), :, classes].reshape(X.shape)
    np.testing.assert_allclose(input_gradient(model, X, classes), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(input_gradient(model, X, 1), jacobian[:, :, 1].reshape(X.shape), rtol=1e-4, atol=1e-6)


def test_sequential_model_ending_in_an_activation_layer():
    model = keras.Sequential(
        [keras.Input((3, 3, 1)), keras.layers.Flatten(), keras.layers.Dense(3), keras.layers.Activation("softmax")]
    )
    W, b = RNG.normal(size=(9, 3)), RNG.normal(size=3)
    set_weights(model, W, b)
    np.testing.assert_allclose(
        input_gradient(model, X, 0), np.broadcast_to(W[:, 0].reshape(3, 3, 1), X.shape), rtol=1e-5
    )


def test_sequential_models_work_and_stay_unchanged():
    model = flat_classifier(3, "softmax")
    W, b = RNG.normal(size=(9, 3)), RNG.normal(size=3)
    set_weights(model, W, b)
    before = keras.ops.convert_to_numpy(model(X))
    gradient = input_gradient(model, X, 2)
    np.testing.assert_allclose(gradient, np.broadcast_to(W[:, 2].reshape(3, 3, 1), X.shape), rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(X)), before)  # still probabilities
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(logit_model(model)(X)), X.reshape(4, 9) @ W + b, rtol=1e-5, atol=1e-5
    )


def test_loss_gradient_is_the_cross_entropy_gradient():
    model, *weights = two_layer([keras.layers.Dense(3, activation="softmax")])
    labels = np.array([1, 1, 0, 2])
    z, jacobian = by_hand(X, *weights)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dloss_dz = p - np.eye(3)[labels]  # d(-log p_label)/dz
    expected = np.einsum("nic,nc->ni", jacobian, dloss_dz).reshape(X.shape)
    np.testing.assert_allclose(loss_gradient(model, X, labels), expected, rtol=1e-4, atol=1e-6)


def test_loss_gradient_of_a_confident_prediction():
    """p(label) rounds to 1 in float32, yet the gradient is the tiny exact one, not zero."""
    model = flat_classifier(2, "softmax")
    W = np.zeros((9, 2))
    W[:, 0], W[0, 1] = 2.5, 2.5  # logits 22.5 and 2.5: p(other) = 2e-9
    set_weights(model, W, np.zeros(2))
    x = np.ones((1, 3, 3, 1), dtype="float32")
    assert keras.ops.convert_to_numpy(model(x))[0, 0] == 1.0
    z = x.reshape(1, 9) @ W
    p_other = 1 / (1 + np.exp(z[0, 0] - z[0, 1]))
    expected = (p_other * (W[:, 1] - W[:, 0])).reshape(x.shape)
    np.testing.assert_allclose(loss_gradient(model, x, np.array([0])), expected, rtol=1e-3, atol=1e-12)


def test_loss_gradient_of_a_binary_sigmoid_classifier():
    model = flat_classifier(1, "sigmoid")
    w, b = RNG.normal(size=(9, 1)), RNG.normal(size=1)
    set_weights(model, w, b)
    labels = np.array([1, 0, 0, 1])
    z = X.reshape(4, 9) @ w[:, 0] + b[0]
    expected = ((1 / (1 + np.exp(-z)) - labels)[:, None] * w[:, 0]).reshape(X.shape)
    np.testing.assert_allclose(loss_gradient(model, X, labels), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        input_gradient(model, X, 0), np.broadcast_to(w[:, 0].reshape(3, 3, 1), X.shape), rtol=1e-5
    )


def test_clear_errors():
    model, *_ = two_layer([keras.layers.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match=r"x\[None\]"):
        input_gradient(model, X[0], 1)
    with pytest.raises(ValueError, match="0 .. 2"):
        input_gradient(model, X, 3)
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        input_gradient(model, X, np.array([0, 1]))
    with pytest.raises(ValueError, match="one label per image"):
        loss_gradient(model, X, np.array([0, 1]))
    regression, *_ = two_layer([keras.layers.Dense(3, activation="relu")])
    with pytest.raises(ValueError, match="softmax or sigmoid"):
        input_gradient(regression, X, 0)


def test_loss_gradient_of_a_confident_binary_prediction():
    """sigmoid(20) rounds to 1 in float32; the gradient of the loss of label 1 is -sigmoid(-20)·w, not 0."""
    model = flat_classifier(1, "sigmoid")
    w = np.full((9, 1), 20 / 9)
    set_weights(model, w, np.zeros(1))
    expected = (-1 / (1 + np.exp(20.0)) * w[:, 0]).reshape(1, 3, 3, 1)
    gradient = loss_gradient(model, np.ones((1, 3, 3, 1), dtype="float32"), np.array([1]))
    np.testing.assert_allclose(gradient, expected, rtol=1e-3)


test_the_other_backend = other_backend_test(__file__)
