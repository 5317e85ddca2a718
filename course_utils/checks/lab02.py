"""Lab 02 (a CNN on MNIST) self-checks: preparing images, the dense baseline, the MNIST CNN of C. R. Bom's
"Deep Learning Applications in Astronomy" (2018) in the Sequential and Functional APIs, the confusion
matrix, the most confident mistakes, and FGSM.

Model questions call the student's builder and compare its layers, one by one, with the lecture's network;
a standalone activation layer (``ReLU()``, ``Activation("softmax")``) counts as the activation of the layer
before it, ``Reshape((784,))`` counts as ``Flatten``, and the layers of a model called inside another
(a Functional model around a Sequential one) count in their order. Array questions use fresh random inputs
and name the common mistake that reproduces a wrong answer. Keras is imported inside the checks: this
module loads before any backend choice.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.metrics import confusion_matrix

from course_utils.checks import keras_compat
from course_utils.checks.core import CheckFailed, question
from course_utils.checks.toolkit import array, by_case, call, close, diagnose, first_difference, hint_on_crash, integers

LAB = "lab02"
IMAGE_SHAPE = (28, 28, 1)
N_CLASSES = 10


# ---------------------------------------------------------------------------------------------------
# Exercise 1: prepare the images


def _prepare_cases() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(202)
    dim = rng.integers(0, 201, size=(3, 28, 28)).astype(np.uint8)  # brightest pixel 200, not 255
    full = rng.integers(0, 256, size=(1, 28, 28)).astype(np.uint8)
    full[0, 0, :2] = (0, 255)
    return [("3 fresh images whose brightest pixel is 200", dim), ("1 image with pixels from 0 to 255", full)]


def _prepare_shape_hint(shape: tuple, n: int) -> str:
    hints = {
        (n, 28, 28): "add the channel axis at the end: Conv2D reads (height, width, channels), e.g. x[..., None]",
        (n, 1, 28, 28): "Keras puts the channel axis last: (n, 28, 28, 1), not (n, 1, 28, 28)",
        (n, 784): "keep the 28×28 layout: the CNN needs the image; flattening happens inside the models",
        (n, 784, 1): "keep the 28×28 layout: the CNN needs the image; flattening happens inside the models",
        (28, 28, 1): "keep the first axis, one entry per image, even when there is a single image",
    }
    return hints.get(shape, "one (28, 28, 1) image per input image")


@question(LAB, "prepare", points=1, target="prepare")
def check_prepare(prepare: Callable) -> None:
    """prepare(uint8 (n, 28, 28)) -> float32 (n, 28, 28, 1) with values pixel / 255."""
    cases = _prepare_cases()
    answers = [array(call(prepare, label, images), f"prepare on {label}") for label, images in cases]
    for (label, images), got in zip(cases, answers):
        n = len(images)
        if got.shape != (n, *IMAGE_SHAPE):
            raise CheckFailed(
                f"on {label}: the result has shape {got.shape}, expected {(n, *IMAGE_SHAPE)} — "
                f"{_prepare_shape_hint(got.shape, n)}."
            )
        if got.dtype != np.float32:
            raise CheckFailed(
                f"on {label}: the result has dtype {got.dtype}, expected float32 — Keras computes in "
                "float32; convert with .astype('float32') (float64 doubles the memory)."
            )
        pixels = images.astype(float)[..., None]
        expected = pixels / 255
        if close(got, expected):
            continue
        mistakes = by_case([_prepare_mistakes(images.astype(float)[..., None]) for _, images in cases])
        hint = diagnose(answers, mistakes) or "each value should be the pixel value divided by 255"
        where = first_difference(got, expected)
        raise CheckFailed(
            f"on {label}: value {where} is {float(got[where]):.6g}, expected {float(expected[where]):.6g} — {hint}."
        )


def _prepare_mistakes(pixels: np.ndarray) -> list[tuple[str, np.ndarray]]:
    return [
        ("scale the pixels to [0, 1]: divide by 255", pixels),
        (
            "divide by 255, the largest possible pixel value, not by the brightest pixel of this batch: every "
            "image must be scaled the same way",
            pixels / pixels.max(),
        ),
        ("the largest pixel value is 255, not 256", pixels / 256),
        ("the images are not inverted: 0 stays 0 (background) and 255 becomes 1", 1 - pixels / 255),
        (
            "scale to [0, 1] by dividing by 255; standardising (subtract the mean, divide by the standard "
            "deviation) is another choice, not this exercise's",
            (pixels - pixels.mean()) / pixels.std(),
        ),
    ]


# ---------------------------------------------------------------------------------------------------
# Model questions: the student's builder against the lecture's network, layer by layer

ACTIVATION_LAYERS = {"ReLU": "relu", "Softmax": "softmax"}  # Activation layers carry their name in the config


def _spec(kind: str, output: tuple, params: int, **settings) -> dict:
    return dict(kind=kind, output=output, params=params, settings=settings)


DENSE_SPEC = [
    _spec("Flatten", (784,), 0),
    _spec("Dense", (16,), 12_560, units=16),
    _spec("Dense", (16,), 272, units=16),
    _spec("Dense", (10,), 170, units=10, activation="softmax"),
]
DENSE_PARAMS = 13_002
DENSE_TEXT = "Flatten → Dense(16) → Dense(16) → Dense(10, softmax)"

CNN_SPEC = [
    _spec(
        "Conv2D", (24, 24, 32), 832, filters=32, kernel_size=(5, 5), strides=(1, 1), padding="valid", activation="relu"
    ),
    _spec("MaxPooling2D", (12, 12, 32), 0, pool_size=(2, 2), strides=(2, 2), padding="valid"),
    _spec(
        "Conv2D", (8, 8, 64), 51_264, filters=64, kernel_size=(5, 5), strides=(1, 1), padding="valid", activation="relu"
    ),
    _spec("MaxPooling2D", (4, 4, 64), 0, pool_size=(2, 2), strides=(2, 2), padding="valid"),
    _spec("Flatten", (1024,), 0),
    _spec("Dense", (1000,), 1_025_000, units=1000, activation="relu"),
    _spec("Dense", (10,), 10_010, units=10, activation="softmax"),
]
CNN_PARAMS = 1_087_106
CNN_TEXT = (
    "Conv2D(32, 5×5, relu) → MaxPooling2D(2×2, stride 2) → Conv2D(64, 5×5, relu) → MaxPooling2D(2×2) "
    "→ Flatten → Dense(1000, relu) → Dense(10, softmax)"
)

SETTING_HINTS = {
    "kernel_size": "kernel_size=(5, 5), as in the lecture's network",
    "strides": "the lecture's strides: 1 for the convolutions, 2 for the poolings",
    "padding": "the default padding='valid' (no padding), so 28×28 becomes 24×24 after the first 5×5 convolution",
    "pool_size": "pool_size=(2, 2)",
}


def _layers(model) -> list[dict]:
    """The model's layers as {kind, layer, output, params, activation}, standalone activations folded in."""
    summary: list[dict] = []
    for layer in keras_compat.all_layers(model):
        kind = type(layer).__name__
        if kind == "InputLayer" or hasattr(layer, "layers"):  # a nested model: its layers follow
            continue
        if kind == "Reshape" and len(layer.get_config()["target_shape"]) == 1:
            kind = "Flatten"  # Reshape((784,)) flattens too
        folded = ACTIVATION_LAYERS.get(kind) or (layer.get_config()["activation"] if kind == "Activation" else None)
        if folded and summary and summary[-1]["activation"] in (None, "linear"):
            summary[-1]["activation"] = folded
            continue
        summary.append(
            dict(
                kind=kind,
                layer=layer,
                output=tuple(layer.output.shape[1:]),
                params=layer.count_params(),
                activation=layer.get_config().get("activation"),
            )
        )
    return summary


def _model_from(builder: Callable, name: str):
    import keras

    model = call(builder, f"{name}()")
    if not isinstance(model, keras.Model):
        raise CheckFailed(
            f"{name}() should return a Keras model; it returned {type(model).__name__} (is `return model` missing?)."
        )
    if not model.built:
        raise CheckFailed(
            f"the model of {name}() does not know its input yet: start it with keras.Input(shape={IMAGE_SHAPE})."
        )
    if tuple(model.input_shape[1:]) != IMAGE_SHAPE:
        raise CheckFailed(
            f"the model of {name}() takes inputs of shape {tuple(model.input_shape[1:])}; it should "
            f"take the prepared images, keras.Input(shape={IMAGE_SHAPE})."
        )
    return model


def _compare_layers(model, spec: list[dict], total: int, text: str) -> None:
    """Raise CheckFailed naming the first layer that differs from ``spec``, then check the parameter count."""
    layers = _layers(model)
    kinds = [layer["kind"] for layer in layers]
    expected_kinds = [s["kind"] for s in spec]
    for position, (got, want) in enumerate(zip(kinds, expected_kinds), start=1):
        if got != want:
            extra = (
                " The lecture's network has no regularisation layers: build it exactly, then try "
                "them in 'What to try next'."
                if got in ("Dropout", "BatchNormalization")
                else ""
            )
            raise CheckFailed(f"layer {position} is {got}, expected {want}: the network is {text}.{extra}")
    if len(kinds) != len(expected_kinds):
        more = "more" if len(kinds) > len(expected_kinds) else "fewer"
        raise CheckFailed(
            f"the model has {len(kinds)} layers ({' → '.join(kinds)}), {more} than the "
            f"{len(expected_kinds)} of the network: {text}."
        )
    for position, (layer, want) in enumerate(zip(layers, spec), start=1):
        config = layer["layer"].get_config()
        for key, value in want["settings"].items():
            got = layer["activation"] if key == "activation" else config.get(key)
            if isinstance(got, list):
                got = tuple(got)
            if got == value:
                continue
            if key == "activation":
                role = (
                    "the last layer turns 10 scores into probabilities"
                    if position == len(spec)
                    else "hidden layers need a non-linearity"
                )
                raise CheckFailed(
                    f"layer {position} ({layer['kind']}) has activation {got!r}, expected {value!r}: {role}."
                )
            hint = f" — {SETTING_HINTS[key]}" if key in SETTING_HINTS else ""
            raise CheckFailed(f"layer {position} ({layer['kind']}) has {key}={got!r}, expected {value!r}{hint}.")
        if layer["output"] != want["output"]:
            raise CheckFailed(
                f"layer {position} ({layer['kind']}) outputs {layer['output']}, expected {want['output']}."
            )
    params = model.count_params()
    if params != total:
        per_layer = ", ".join(f"{layer['kind']} {layer['params']:,}" for layer in layers)
        raise CheckFailed(
            f"the model has {params:,} parameters, expected {total:,} (yours: {per_layer}); are the "
            "biases switched off (use_bias=False)?"
        )


@question(LAB, "dense_model", points=1, target="build_dense")
def check_dense_model(build_dense: Callable) -> None:
    """build_dense() -> the 784-16-16-10 network of V. Graber's "Deep learning & neural networks" (ICE-CSIC
    summer school "AI for Astronomy", 2021) on (28, 28, 1) images: 13,002 parameters."""
    model = _model_from(build_dense, "build_dense")
    _compare_layers(model, DENSE_SPEC, DENSE_PARAMS, DENSE_TEXT)
    for position in (2, 3):
        activation = _layers(model)[position - 1]["activation"]
        if activation in (None, "linear", "softmax"):
            raise CheckFailed(
                f"hidden layer {position} (Dense(16)) has activation {activation!r}: hidden layers "
                "need a non-linearity such as 'relu' or 'sigmoid', or the network stays linear."
            )


@question(LAB, "cnn_sequential", points=2, target="build_cnn_sequential")
def check_cnn_sequential(build_cnn_sequential: Callable) -> None:
    """build_cnn_sequential() -> the lecture's MNIST CNN as keras.Sequential: 1,087,106 parameters."""
    import keras

    model = _model_from(build_cnn_sequential, "build_cnn_sequential")
    if not isinstance(model, keras.Sequential):
        raise CheckFailed(
            f"build_cnn_sequential() returned a {type(model).__name__} model; this exercise uses the "
            "Sequential API: keras.Sequential([keras.Input(...), layers.Conv2D(...), ...])."
        )
    _compare_layers(model, CNN_SPEC, CNN_PARAMS, CNN_TEXT)


@question(LAB, "cnn_functional", points=2, target="build_cnn_functional")
def check_cnn_functional(build_cnn_functional: Callable) -> None:
    """build_cnn_functional() -> the same CNN with the Functional API: identical layers and parameter count."""
    import keras

    model = _model_from(build_cnn_functional, "build_cnn_functional")
    if isinstance(model, keras.Sequential) or type(model).__name__ != "Functional":
        raise CheckFailed(
            f"build_cnn_functional() returned a {type(model).__name__} model; use the Functional API: "
            "inputs = keras.Input(...), x = layers.Conv2D(...)(inputs), …, "
            "keras.Model(inputs, outputs)."
        )
    _compare_layers(model, CNN_SPEC, CNN_PARAMS, CNN_TEXT)


# ---------------------------------------------------------------------------------------------------
# Exercise 5: the confusion matrix


def _confusion_cases() -> list[tuple[str, np.ndarray, np.ndarray, int | None]]:
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 9, size=300)  # digit 9 never occurs
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 9, size=300))
    small_true, small_pred = np.array([0, 0, 1, 2, 2, 2, 1]), np.array([0, 1, 1, 2, 0, 2, 2])
    return [
        ("300 fresh digits (the digit 9 never occurs)", y_true, y_pred, None),
        ("3 classes (n_classes=3)", small_true, small_pred, 3),
    ]


def _confusion_mistakes(y_true, y_pred, k) -> list[tuple[str, np.ndarray]]:
    expected = confusion_matrix(y_true, y_pred, labels=np.arange(k))
    with np.errstate(invalid="ignore"):  # a class that never occurs has a row of 0 / 0
        per_row = expected / expected.sum(axis=1, keepdims=True)
    fractions = "count images: the exercise wants counts, not fractions"
    return [
        ("rows are the true class and columns the prediction: C[true, predicted]; yours is transposed", expected.T),
        (fractions, per_row),
        (fractions, np.nan_to_num(per_row)),
        (fractions, expected / expected.sum()),
        (
            "each pair (true, predicted) was counted at most once: with repeated pairs, C[y_true, y_pred] += 1 adds "
            "1 only once per distinct pair; count every image with np.add.at(C, (y_true, y_pred), 1) or a loop",
            (expected > 0).astype(int),
        ),
    ]


@question(LAB, "confusion", points=1, target="confusion_counts")
def check_confusion(confusion_counts: Callable) -> None:
    """confusion_counts(y_true, y_pred, n_classes=10) -> (n_classes, n_classes) integer counts, rows = true class."""
    cases = _confusion_cases()
    answers = [
        array(
            call(confusion_counts, label, *((y_true, y_pred) + (() if n is None else (n,)))),
            f"confusion_counts on {label}",
        )
        for label, y_true, y_pred, n in cases
    ]
    mistakes = by_case([_confusion_mistakes(y_true, y_pred, n or N_CLASSES) for _, y_true, y_pred, n in cases])
    for (label, y_true, y_pred, n_classes), got in zip(cases, answers):
        k = n_classes or N_CLASSES
        expected = confusion_matrix(y_true, y_pred, labels=np.arange(k))
        if got.shape != (k, k):
            hint = (
                f"use the n_classes argument ({k})"
                if got.shape == (N_CLASSES, N_CLASSES)
                else f"always {k} × {k}, one row and one column per class, even for a class that never occurs"
            )
            raise CheckFailed(f"on {label}: the matrix has shape {got.shape}, expected ({k}, {k}) — {hint}.")
        if close(got, expected):
            integers(got, f"on {label} the matrix")  # counts are integers, not whole floats
            continue
        hint = diagnose(answers, mistakes) or "C[i, j] counts the images of true class i predicted as class j"
        i, j = first_difference(got, expected)
        raise CheckFailed(f"on {label}: C[{i}, {j}] is {got[i, j]:g}, expected {expected[i, j]} — {hint}.")


# ---------------------------------------------------------------------------------------------------
# Exercise 6: the most confident mistakes


def _mistake_case(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3.0, size=(n, N_CLASSES))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y_true = np.where(rng.random(n) < 0.6, probabilities.argmax(axis=1), rng.integers(0, N_CLASSES, size=n))
    return y_true, probabilities


def _most_confident_mistakes(
    y_true, probabilities, k, *, order_by_true=False, ascending=False, positions=False, in_index_order=False
):
    """Reference (all keywords False) and common mistakes, one per keyword."""
    predicted = probabilities.argmax(axis=1)
    candidates = np.flatnonzero(predicted != y_true)
    if order_by_true:
        key = probabilities[candidates, y_true[candidates]]  # lowest p(true) first
    else:
        key = -probabilities[candidates, predicted[candidates]]
    order = np.argsort(key, kind="stable")
    order = order[::-1] if ascending else np.sort(order) if in_index_order else order
    return (order if positions else candidates[order])[:k]


MISTAKE_HINTS = (
    (dict(ascending=True), "most confident first: sort by the predicted probability in decreasing order"),
    (
        dict(order_by_true=True),
        "order by the probability of the predicted (wrong) class, probabilities.max(axis=1), "
        "highest first, not by the probability of the true class",
    ),
    (
        dict(in_index_order=True),
        "those are the first mistakes in index order: sort them by the predicted class's probability, highest first",
    ),
    (
        dict(positions=True),
        "those are positions within the list of mistakes (what np.argsort returned for the "
        "mistakes alone); map them back to image indices, wrong[order]",
    ),
)


def _mistake_cases():
    return [
        ("60 fresh predictions, k = 5", *_mistake_case(6, 60), 5),
        ("20 fresh predictions, k = 100 (more than there are mistakes)", *_mistake_case(7, 20), 100),
    ]


@question(LAB, "mistakes", points=1, target="most_confident_mistakes")
def check_mistakes(most_confident_mistakes: Callable) -> None:
    """most_confident_mistakes(y_true, probabilities, k) -> indices of wrong predictions, most confident first."""
    cases = _mistake_cases()
    with hint_on_crash(
        "the arguments come in the order (y_true, probabilities, k): true labels first, as in scikit-learn"
    ):
        answers = [
            array(call(most_confident_mistakes, label, y_true, probabilities, k), f"most_confident_mistakes on {label}")
            for label, y_true, probabilities, k in cases
        ]
    mistakes = [(hint, [_most_confident_mistakes(*case[1:], **kw) for case in cases]) for kw, hint in MISTAKE_HINTS]
    for (label, y_true, probabilities, k), got in zip(cases, answers):
        expected = _most_confident_mistakes(y_true, probabilities, k)
        if got.dtype == bool:
            raise CheckFailed(
                f"on {label}: the result is a boolean mask; return the indices of the images, "
                "e.g. from np.flatnonzero or np.argsort."
            )
        if not np.issubdtype(got.dtype, np.integer):
            raise CheckFailed(
                f"on {label}: the result has dtype {got.dtype}; return the integer indices of the "
                "images (positions in y_true), not probabilities or labels."
            )
        if got.ndim != 1 or len(got) != len(expected):
            n_wrong = int(np.count_nonzero(probabilities.argmax(axis=1) != y_true))
            raise CheckFailed(
                f"on {label}: the result has shape {got.shape}, expected ({len(expected)},) — "
                f"there are {n_wrong} mistakes; return at most k = {k} indices of them."
            )
        if np.array_equal(got, expected):
            continue
        hint = diagnose(answers, mistakes)
        wrong = [i for i in got if 0 <= i < len(y_true) and probabilities[i].argmax() == y_true[i]]
        if hint is None and wrong:
            raise CheckFailed(
                f"on {label}: image {int(wrong[0])} is classified correctly; keep only the images "
                "whose predicted class (probabilities.argmax(axis=1)) differs from y_true."
            )
        hint = hint or (
            "the indices of the misclassified images, ordered by the probability of the predicted class, highest first"
        )
        raise CheckFailed(f"on {label}: you returned {got.tolist()}, expected {expected.tolist()} — {hint}.")


# ---------------------------------------------------------------------------------------------------
# Exercise 7: the fast gradient sign method


def _fgsm_case(seed: int, epsilon: float) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    x = rng.random((2, 28, 28, 1)).astype(np.float32)
    x[0, :3, :3] = 0.0
    x[1, :3, :3] = 1.0  # saturated pixels: the clipping matters there
    gradient = rng.normal(size=x.shape).astype(np.float32)
    gradient[:, 10, 10:14] = 0.0  # no slope: these pixels must not move
    return x, gradient, epsilon


@question(LAB, "fgsm", points=2, target="fgsm")
def check_fgsm(fgsm: Callable) -> None:
    """fgsm(x, gradient, epsilon) -> clip(x + epsilon * sign(gradient), 0, 1)."""
    cases = [("2 fresh images, ε = 0.1", *_fgsm_case(8, 0.1)), ("2 fresh images, ε = 0.25", *_fgsm_case(9, 0.25))]
    answers = [
        array(call(fgsm, label, x, gradient, epsilon), f"fgsm on {label}") for label, x, gradient, epsilon in cases
    ]
    mistakes = by_case([_fgsm_mistakes(*case[1:]) for case in cases])
    for (label, x, gradient, epsilon), got in zip(cases, answers):
        if got.shape != x.shape:
            raise CheckFailed(f"on {label}: the result has shape {got.shape}, expected {x.shape}, the shape of x.")
        step = epsilon * np.sign(gradient)
        expected = np.clip(x + step, 0, 1)
        if close(got, expected):
            continue
        hint = diagnose(answers, mistakes) or "each pixel moves by ε in the direction of its gradient's sign"
        where = first_difference(got, expected)
        raise CheckFailed(
            f"on {label}: pixel {where} is {float(got[where]):.6g}, expected "
            f"{float(expected[where]):.6g} (x = {float(x[where]):.6g}, gradient = "
            f"{float(gradient[where]):.3g}) — {hint}."
        )


def _fgsm_mistakes(x, gradient, epsilon) -> list[tuple[str, np.ndarray]]:
    step = epsilon * np.sign(gradient)
    return [
        ("FGSM climbs the loss: add ε·sign(gradient), do not subtract it", np.clip(x - step, 0, 1)),
        (
            "use only the sign of the gradient, ε·np.sign(gradient): every pixel moves by exactly ε",
            np.clip(x + epsilon * gradient, 0, 1),
        ),
        ("clip the result to the valid pixel range [0, 1] (np.clip)", x + step),
        ("clip to [0, 1]: the images were scaled to [0, 1], not 0..255", np.clip(x + step, 0, 255)),
        ("multiply the sign by ε: the step is ε·sign(gradient)", np.clip(x + np.sign(gradient), 0, 1)),
        (
            "np.sign(0) is 0: a pixel whose gradient is 0 does not move",
            np.clip(x + epsilon * np.where(gradient >= 0, 1, -1), 0, 1),
        ),
        (
            "np.sign(0) is 0: a pixel whose gradient is 0 does not move",
            np.clip(x + epsilon * np.where(gradient > 0, 1, -1), 0, 1),
        ),
        ("return the adversarial image, x + ε·sign(gradient) clipped, not the perturbation", step),
    ]
