"""Lab 02's checks: the solution passes, the generated lab's stubs and typical wrong answers fail with a
message that says what to fix."""
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers
from labsource import notebook_functions

from course_utils.checks import evaluate, questions

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "02_mnist_cnn.py"
QUESTIONS = {q.name: q for q in questions("lab02")}
GRADER_MESSAGE_CHARS = 600  # the grader cuts longer feedback


SOLVED = notebook_functions(SOLUTION, {"np": np, "keras": keras, "layers": layers})


def passes(name, answer):
    passed, message = evaluate(QUESTIONS[name], answer)
    assert passed, message


def fails(name, answer, *fragments):
    passed, message = evaluate(QUESTIONS[name], answer)
    assert not passed, f"{name} accepted a wrong answer"
    assert len(message) < GRADER_MESSAGE_CHARS, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_the_lab_is_worth_ten_points_in_seven_questions():
    assert list(QUESTIONS) == ["prepare", "dense_model", "cnn_sequential", "cnn_functional", "confusion",
                               "mistakes", "fgsm"]
    assert sum(q.points for q in QUESTIONS.values()) == 10


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_the_solution_passes(name):
    passes(name, SOLVED[QUESTIONS[name].target])


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_the_generated_stubs_fail_saying_so(name):
    stubs = notebook_functions(SOLUTION, {"np": np, "keras": keras, "layers": layers}, stubbed=True)
    fails(name, stubs[QUESTIONS[name].target], "NotImplementedError", "YOUR CODE HERE")


# ---------------------------------------------------------------------------------------------------
# prepare


def scaled(images):
    return images.astype("float32") / 255


@pytest.mark.parametrize("wrong,fragments", [
    (lambda im: scaled(im), ["shape (3, 28, 28)", "channel axis"]),
    (lambda im: scaled(im)[:, None], ["(n, 1, 28, 28)", "last"]),
    (lambda im: scaled(im).reshape(len(im), 784), ["28×28 layout"]),
    (lambda im: (im / 255)[..., None], ["float64", "float32"]),
    (lambda im: im.astype("float32")[..., None], ["divide by 255"]),
    (lambda im: (im / im.max()).astype("float32")[..., None], ["brightest pixel"]),
    (lambda im: (im / 256).astype("float32")[..., None], ["not 256"]),
    (lambda im: (1 - scaled(im))[..., None], ["inverted"]),
    (lambda im: ((im - im.mean()) / im.std()).astype("float32")[..., None], ["standardising"]),
], ids=["no-channel", "channel-first", "flattened", "float64", "unscaled", "batch-max", "256", "inverted",
        "standardised"])
def test_prepare_mistakes(wrong, fragments):
    fails("prepare", wrong, *fragments)


def test_prepare_must_not_change_its_input():
    def clips_in_place(images):
        np.minimum(images, 250, out=images)
        return scaled(images)[..., None]

    fails("prepare", clips_in_place, "changed the array images")


# ---------------------------------------------------------------------------------------------------
# the dense baseline


def dense(*middle, inputs=(28, 28, 1)):
    return lambda: keras.Sequential([keras.Input(inputs), *middle])


HIDDEN = [layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu")]


@pytest.mark.parametrize("builder,fragments", [
    (lambda: None, ["returned NoneType", "return model"]),
    (lambda: keras.Sequential([layers.Flatten(), layers.Dense(10, activation="softmax")]), ["keras.Input"]),
    (lambda: keras.Sequential([keras.Input((784,)), layers.Dense(16, activation="relu"),
                               layers.Dense(16, activation="relu"), layers.Dense(10, activation="softmax")]),
     ["(784,)", "(28, 28, 1)"]),
    (lambda: dense(layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu"),
                   layers.Dense(10, activation="softmax"))(), ["layer 1 is Dense, expected Flatten"]),
    (lambda: dense(layers.Flatten(), layers.Dense(16), layers.Dense(16), layers.Dense(10, activation="softmax"))(),
     ["hidden layer 2", "non-linearity"]),
    (lambda: dense(layers.Flatten(), layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu"),
                   layers.Dense(10))(), ["activation 'linear', expected 'softmax'", "probabilities"]),
    (lambda: dense(layers.Flatten(), layers.Dense(32, activation="relu"), layers.Dense(16, activation="relu"),
                   layers.Dense(10, activation="softmax"))(), ["layer 2 (Dense) has units=32, expected 16"]),
], ids=["no-return", "no-input", "flat-input", "no-flatten", "linear-hidden", "no-softmax", "32-units"])
def test_dense_model_mistakes(builder, fragments):
    fails("dense_model", builder, *fragments)


def test_dense_model_with_sigmoid_hidden_layers_passes():
    passes("dense_model", dense(layers.Flatten(), layers.Dense(16, activation="sigmoid"),
                                layers.Dense(16, activation="sigmoid"), layers.Dense(10, activation="softmax")))


# ---------------------------------------------------------------------------------------------------
# the CNN


def cnn_layers(*, kernel=5, padding="valid", filters2=64, pool_strides=None, last="softmax", bias=True,
               extra=()):
    return [layers.Conv2D(32, kernel, padding=padding, activation="relu"),
            layers.MaxPooling2D(2, strides=pool_strides),
            layers.Conv2D(filters2, kernel, padding=padding, activation="relu"),
            layers.MaxPooling2D(2, strides=pool_strides),
            layers.Flatten(), layers.Dense(1000, activation="relu", use_bias=bias), *extra,
            layers.Dense(10, activation=last)]


def sequential(**kwargs):
    return lambda: keras.Sequential([keras.Input((28, 28, 1)), *cnn_layers(**kwargs)])


def functional(**kwargs):
    def build():
        inputs = x = keras.Input((28, 28, 1))
        for layer in cnn_layers(**kwargs):
            x = layer(x)
        return keras.Model(inputs, x)
    return build


def test_cnn_with_separate_activation_layers_and_aliases_passes():
    passes("cnn_sequential", lambda: keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(32, 5), layers.ReLU(), layers.MaxPool2D(),
        layers.Conv2D(64, (5, 5)), layers.Activation("relu"), layers.MaxPool2D((2, 2), 2), layers.Flatten(),
        layers.Dense(1000), layers.ReLU(), layers.Dense(10), layers.Softmax()]))
    passes("cnn_functional", functional())


@pytest.mark.parametrize("kwargs,fragments", [
    (dict(padding="same"), ["layer 1 (Conv2D) has padding='same'", "24×24"]),
    (dict(kernel=3), ["kernel_size=(3, 3), expected (5, 5)"]),
    (dict(filters2=32), ["layer 3 (Conv2D) has filters=32, expected 64"]),
    (dict(pool_strides=1), ["layer 2 (MaxPooling2D) has strides=(1, 1), expected (2, 2)"]),
    (dict(last="relu"), ["layer 7 (Dense) has activation 'relu', expected 'softmax'", "probabilities"]),
    (dict(bias=False), ["1,086,106 parameters, expected 1,087,106", "use_bias"]),
    (dict(extra=[layers.Dropout(0.5)]), ["layer 7 is Dropout, expected Dense", "no regularisation"]),
    (dict(extra=[layers.Dense(10, activation="relu")]), ["8 layers", "more than the 7"]),
], ids=["same-padding", "3x3", "filters", "pool-stride", "last-activation", "no-bias", "dropout", "extra-layer"])
def test_cnn_mistakes_are_named_layer_by_layer(kwargs, fragments):
    fails("cnn_sequential", sequential(**kwargs), *fragments)
    fails("cnn_functional", functional(**kwargs), *fragments)


def test_cnn_missing_pooling_layer():
    fails("cnn_sequential", lambda: keras.Sequential([keras.Input((28, 28, 1)), *cnn_layers()[:1],
                                                      *cnn_layers()[2:]]),
          "layer 2 is Conv2D, expected MaxPooling2D", "Conv2D(32, 5×5, relu) → MaxPooling2D")


def test_each_cnn_question_wants_its_own_api():
    fails("cnn_sequential", functional(), "returned a Functional model", "Sequential API")
    fails("cnn_functional", sequential(), "returned a Sequential model", "Functional API")


# ---------------------------------------------------------------------------------------------------
# the confusion matrix


def reference_counts(y_true, y_pred, n_classes=10):
    counts = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(y_true, y_pred):
        counts[t, p] += 1
    return counts


@pytest.mark.parametrize("wrong,fragments", [
    (lambda t, p, n=10: reference_counts(t, p, n).T, ["transposed"]),
    (lambda t, p, n=10: reference_counts(t, p, n) / np.maximum(1, reference_counts(t, p, n).sum(1, keepdims=True)),
     ["counts, not fractions"]),
    (lambda t, p, n=10: reference_counts(t, p, int(max(t.max(), p.max())) + 1), ["shape (9, 9)", "never occurs"]),
    (lambda t, p, n=10: reference_counts(t, p, 10), ["shape (10, 10)", "n_classes argument"]),
], ids=["transposed", "fractions", "classes-present", "ignores-n_classes"])
def test_confusion_mistakes(wrong, fragments):
    fails("confusion", wrong, *fragments)


# ---------------------------------------------------------------------------------------------------
# the most confident mistakes


def wrong_indices(y_true, probabilities):
    return np.flatnonzero(probabilities.argmax(axis=1) != y_true)


@pytest.mark.parametrize("wrong,fragments", [
    (lambda y, p, k: wrong_indices(y, p)[np.argsort(p[wrong_indices(y, p)].max(axis=1))][:k],
     ["most confident first"]),
    (lambda y, p, k: np.argsort(-p.max(axis=1))[:k], ["is classified correctly"]),
    (lambda y, p, k: wrong_indices(y, p)[np.argsort(p[wrong_indices(y, p), y[wrong_indices(y, p)]])][:k],
     ["not by the probability of the true class"]),
    (lambda y, p, k: p.argmax(axis=1) != y, ["boolean mask"]),
    (lambda y, p, k: wrong_indices(y, p)[np.argsort(-p[wrong_indices(y, p)].max(axis=1))], ["at most k = 5"]),
    (lambda y, p, k: np.sort(p.max(axis=1))[::-1][:k], ["dtype float64", "integer indices"]),
], ids=["ascending", "includes-correct", "by-true-class", "mask", "ignores-k", "probabilities"])
def test_mistakes_mistakes(wrong, fragments):
    fails("mistakes", wrong, *fragments)


# ---------------------------------------------------------------------------------------------------
# FGSM


@pytest.mark.parametrize("wrong,fragments", [
    (lambda x, g, e: np.clip(x - e * np.sign(g), 0, 1), ["climbs the loss"]),
    (lambda x, g, e: np.clip(x + e * g, 0, 1), ["only the sign"]),
    (lambda x, g, e: x + e * np.sign(g), ["clip the result", "[0, 1]"]),
    (lambda x, g, e: np.clip(x + e * np.sign(g), 0, 255), ["not 0..255"]),
    (lambda x, g, e: np.clip(x + np.sign(g), 0, 1), ["multiply the sign by ε"]),
    (lambda x, g, e: np.clip(x + e * np.where(g >= 0, 1, -1), 0, 1), ["np.sign(0) is 0"]),
    (lambda x, g, e: e * np.sign(g), ["not the perturbation"]),
], ids=["minus", "raw-gradient", "no-clip", "clip-255", "no-epsilon", "sign-of-zero", "perturbation"])
def test_fgsm_mistakes(wrong, fragments):
    fails("fgsm", wrong, *fragments)


def test_fgsm_must_not_change_x():
    def in_place(x, gradient, epsilon):
        x += epsilon * np.sign(gradient)
        return np.clip(x, 0, 1)

    fails("fgsm", in_place, "changed the array x")
