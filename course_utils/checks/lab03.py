"""Lab 03 (galaxy morphology) self-checks: class weights, dihedral augmentation, the CNN, per-class
accuracy and the most confident mistakes.

Each question tries the student's function on small examples of its own (so numbers of the notebook
cannot be copied) and compares with a reference: scikit-learn's balanced class weights,
``course_utils.metrics.per_class_accuracy``, and NumPy for the rest. A wrong answer gets a message that
names what differs and, when one of the common mistakes listed here reproduces the answer, what that
mistake is.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from course_utils.checks import keras_compat
from course_utils.checks.core import CheckFailed, question
from course_utils.checks.toolkit import array, by_case, call, close, diagnose, hint_on_crash, num, vec
from course_utils.metrics import per_class_accuracy as reference_per_class_accuracy

LAB = "lab03"


# ---------------------------------------------------------------------------------------------------
# Exercise 1: balanced class weights n / (k * n_c)

WEIGHT_RULE = "class c with n_c of the n labels gets n / (k·n_c), k = n_classes"


def _class_weight_cases():
    """(label, labels, n_classes, fresh). Every class occurs, as the lab promises."""
    rng = np.random.default_rng(303)
    ten = rng.permutation(np.repeat(np.arange(10), [50, 3, 20, 7, 1, 12, 30, 5, 9, 2]))
    four = rng.permutation(np.repeat(np.arange(4), [6, 1, 2, 11])).astype(np.int32)
    return [
        ("for labels [0, 0, 0, 0, 1, 1, 2] and 3 classes", np.array([0, 0, 0, 0, 1, 1, 2]), 3, False),
        ("for 139 shuffled labels of 10 classes", ten, 10, True),
        ("for 20 int32 labels of 4 classes", four, 4, True),
    ]


def _weights_as_vector(result: Any, n_classes: int, label: str) -> np.ndarray:
    """The weights of classes 0 .. n_classes-1 from the student's dict, or a message saying what is wrong."""
    if not isinstance(result, Mapping):
        raise CheckFailed(
            f"{label} class_weights returned a {type(result).__name__}; return a dict "
            "{class number: weight}, which is what model.fit(class_weight=...) takes "
            "(e.g. {k: w for k, w in enumerate(weights)})."
        )
    keys = list(result)
    if not all(isinstance(key, (int, np.integer)) and not isinstance(key, bool) for key in keys):
        wrong = next(key for key in keys if not isinstance(key, (int, np.integer)) or isinstance(key, bool))
        raise CheckFailed(
            f"{label} the dict has the key {wrong!r} ({type(wrong).__name__}); its keys should be "
            f"the class numbers 0 … {n_classes - 1} as integers."
        )
    missing = sorted(set(range(n_classes)) - {int(key) for key in keys})
    extra = sorted({int(key) for key in keys} - set(range(n_classes)))
    if missing or extra:
        raise CheckFailed(
            f"{label} the dict should have one key per class 0 … {n_classes - 1}; "
            + (f"classes {missing} are missing" if missing else f"it also has keys {extra}")
            + "."
        )
    return array([result[k] for k in range(n_classes)], "the weights").astype(float)


def _weight_mistakes(labels, n_classes, got) -> tuple[list[tuple[str, Any]], tuple[str, Any]]:
    """The specific mistakes on one case, and the general one: weights proportional to the right ones."""
    expected = compute_class_weight("balanced", classes=np.arange(n_classes), y=labels)
    n, counts = len(labels), np.bincount(labels, minlength=n_classes).astype(float)
    scale = float(got @ expected / (expected @ expected))
    return [
        ("those are the classes' shares n_c/n; the weight is their inverse, divided by k", counts / n),
        ("divide by the number of classes k too", n / counts),
        ("1/n_c has the right proportions; multiply by n/k so that a balanced set gets weight 1", 1 / counts),
        ("those are the class counts n_c; the weight is n / (k·n_c), large for rare classes", counts),
        ("the weights are for classes in the wrong order: weight c belongs to class c", expected[::-1]),
    ], (SCALED, scale * expected if scale > 0 and not np.isclose(scale, 1.0) else None)


SCALED = "proportional"


@question(LAB, "class_weights", points=2, target="class_weights")
def check_class_weights(class_weights) -> None:
    """class_weights(labels, n_classes) -> {c: n / (n_classes * n_c)}."""
    cases = _class_weight_cases()
    answers = [
        _weights_as_vector(call(class_weights, label.removeprefix("for "), labels, n_classes), n_classes, label)
        for label, labels, n_classes, _ in cases
    ]
    per_case = [_weight_mistakes(labels, n_classes, got) for (_, labels, n_classes, _), got in zip(cases, answers)]
    mistakes = by_case([specific for specific, _ in per_case])
    general = by_case([[scaled] for _, scaled in per_case])
    for (label, labels, n_classes, fresh), got in zip(cases, answers):
        expected = compute_class_weight("balanced", classes=np.arange(n_classes), y=labels)
        if close(got, expected):
            continue
        fallback = (
            "the first example passes but this one does not: use the labels and n_classes given to the "
            "function, not variables of the notebook"
            if fresh
            else WEIGHT_RULE
        )
        hint = diagnose(answers, mistakes, general) or fallback
        if hint == SCALED:
            hint = (
                f"your weights are {float(got @ expected / (expected @ expected)):.3g} × the expected ones: "
                "with n / (k·n_c) every class carries the same total weight n/k, and a balanced set gets "
                "weight 1"
            )
        raise CheckFailed(f"{label} your weights are {vec(got)}, expected {vec(expected)} — {hint}.")


# ---------------------------------------------------------------------------------------------------
# Exercise 2: each image in one of the 8 orientations of a square (the dihedral group of order 8)

ORIENTATIONS = (
    "unchanged",
    "turned 90°",
    "turned 180°",
    "turned 270°",
    "mirrored",
    "mirrored and turned 90°",
    "mirrored and turned 180°",
    "mirrored and turned 270°",
)
HOW_TO_TURN = (
    "turn the rows and columns of each image: np.rot90(image, k) for one image (H, W, channels), "
    "or axes=(1, 2) for a whole batch"
)


def _orientations(image: np.ndarray) -> list[np.ndarray]:
    """The 8 orientations of one image (H, H, channels), in the order of ORIENTATIONS."""
    mirrored = image[:, ::-1]
    return [np.rot90(image, k) for k in range(4)] + [np.rot90(mirrored, k) for k in range(4)]


def _orientation_of(image: np.ndarray, original: np.ndarray) -> int | None:
    """Which of the 8 orientations of ``original`` ``image`` is, or None."""
    return next((k for k, turned in enumerate(_orientations(original)) if np.array_equal(image, turned)), None)


def _distinct_images(rng: np.random.Generator, n: int, side: int, channels: int = 3) -> np.ndarray:
    """uint8 images (n, side, side, channels), each with all its pixel values different, so no two
    orientations of an image are equal."""
    pixels = side * side * channels
    return np.stack([rng.permutation(256)[:pixels] for _ in range(n)]).reshape(n, side, side, channels).astype(np.uint8)


def _augmented(augment, images: np.ndarray, seed: int, what: str) -> np.ndarray:
    result = call(augment, what, images, np.random.default_rng(seed))
    out = array(result, f"augment({what})").astype(float)
    if out.shape != images.shape:
        n, side, _, channels = images.shape
        hint = ""
        if sorted(out.shape) == sorted(images.shape):
            hint = (
                " The axes got mixed up: np.rot90 turns axes 0 and 1 unless told otherwise, and axis 0 of a "
                f"batch is the image number; {HOW_TO_TURN}."
            )
        raise CheckFailed(
            f"augment returned shape {out.shape} for a batch of shape {images.shape}: it should "
            f"return a batch of the same shape, each image turned and/or mirrored.{hint}"
        )
    return out


def _explain_unmatched(image: np.ndarray, originals: np.ndarray, i: int) -> str:
    """Why output image i is none of the 8 orientations of input image i."""
    original = originals[i]
    same_values = np.array_equal(np.sort(image, axis=None), np.sort(original.astype(float), axis=None))
    if not same_values:
        other = next(
            (j for j in range(len(originals)) if j != i and _orientation_of(image, originals[j]) is not None), None
        )
        if other is not None:
            return (
                f"output image {i} is a turned or mirrored copy of input image {other}: keep the images in "
                "their order, each turned on its own"
            )
        if not np.any(image):
            return f"output image {i} is all zeros: was every image written into the new array?"
        return (
            f"output image {i} has pixel values that input image {i} does not have: a rotation by an arbitrary "
            "angle (like keras.layers.RandomRotation) interpolates new values; use exact quarter turns and "
            "mirror flips, which only move pixels"
        )
    if _orientation_of(image[..., ::-1], original) is not None:
        return (
            f"in output image {i} the colour channels are reversed: mirror the columns (axis 1 of one image, "
            "axis 2 of a batch), not the last axis"
        )
    return f"output image {i} has the right pixels, but they are shuffled in another way: {HOW_TO_TURN}"


@question(LAB, "augment", points=2, target="augment")
def check_augment(augment) -> None:
    """augment(images, rng) -> each image in one of its 8 orientations, drawn independently and uniformly."""
    rng = np.random.default_rng(2024)
    batch = _distinct_images(rng, 64, 6)
    out = _augmented(augment, batch, 1, "a batch of 64 images of 6×6×3")
    found = []
    for i in range(len(batch)):
        k = _orientation_of(out[i], batch[i].astype(float))
        if k is None:
            raise CheckFailed(_explain_unmatched(out[i], batch, i) + ".")
        found.append(k)
    if len(set(found)) == 1:
        raise CheckFailed(
            f"all 64 images of the batch came out {ORIENTATIONS[found[0]]}: draw the orientation of "
            "each image separately, so that every batch mixes them."
        )

    many = _distinct_images(rng, 800, 5)
    out = _augmented(augment, many, 2, "800 images of 5×5×3")
    found = [_orientation_of(out[i], many[i].astype(float)) for i in range(len(many))]
    if None in found:
        i = found.index(None)
        raise CheckFailed(_explain_unmatched(out[i], many, i) + " (in a batch of 800 images of 5×5×3).")
    counts = np.bincount(found, minlength=8)
    missing = [name for name, count in zip(ORIENTATIONS, counts) if count == 0]
    if missing:
        if counts[4:].sum() == 0:
            hint = "no image was ever mirrored: mirror half of them (image[:, ::-1]), turned or not"
        elif counts[[1, 3, 5, 7]].sum() == 0:
            hint = (
                "no image was ever turned by 90° or 270°: flips alone give only 4 orientations; turn by a random "
                "number of quarter turns (0 to 3)"
            )
        else:
            hint = f"these orientations never occurred: {', '.join(missing)}"
        raise CheckFailed(f"in 800 images only {8 - len(missing)} of the 8 orientations occurred — {hint}.")
    if counts.min() < 50 or counts.max() > 160:  # expected 100 each; a fair draw stays within 5 sigma
        table = ", ".join(f"{name}: {count}" for name, count in zip(ORIENTATIONS, counts))
        raise CheckFailed(
            f"the 8 orientations should be equally likely (about 100 each in 800 images); yours came "
            f"out {table}. Draw the quarter turns from 0 … 3 and the mirror from {{no, yes}} with "
            "equal chances."
        )

    first, again = _augmented(augment, many[:64], 7, "a batch"), _augmented(augment, many[:64], 7, "a batch")
    if not np.array_equal(first, again):
        raise CheckFailed(
            "two calls with generators of the same seed gave different orientations: draw the random "
            "choices from the rng passed in (rng.integers), not from np.random or random, so that a "
            "seed fixes the augmentation."
        )
    if np.array_equal(first, _augmented(augment, many[:64], 8, "a batch")):
        raise CheckFailed(
            "generators with different seeds gave the same orientations: the choices should come from "
            "the rng passed in (rng.integers)."
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 3: a CNN with batch normalisation and dropout

MAX_PARAMETERS = 2_000_000  # for 64x64x3 inputs: keeps the cpu profile's training under 10 minutes


def _model_shapes(build_cnn, input_shape: tuple, n_classes: int):
    """The model for (input_shape, n_classes) and its input and output shapes, checked to be a keras Model."""
    import keras

    model = call(build_cnn, f"input_shape={input_shape}, n_classes={n_classes}", input_shape, n_classes)
    if not isinstance(model, keras.Model):
        raise CheckFailed(
            f"build_cnn should return a Keras model (keras.Sequential([...]) or keras.Model(inputs, "
            f"outputs)); it returned {type(model).__name__}. Did you forget the return?"
        )
    try:
        got_input, got_output = model.input_shape, model.output_shape
    except (AttributeError, ValueError):
        raise CheckFailed(
            "the model does not know its input shape yet: start it with keras.Input(shape=input_shape)."
        ) from None
    if isinstance(got_output, list) or (got_output and isinstance(got_output[0], tuple)):
        raise CheckFailed(
            f"the model has several outputs {got_output}; it should have one, of shape (None, {n_classes})."
        )
    return model, tuple(got_input), tuple(got_output)


def _require_shapes(build_cnn, input_shape: tuple, n_classes: int):
    model, got_input, got_output = _model_shapes(build_cnn, input_shape, n_classes)
    call = f"build_cnn({input_shape}, {n_classes})"
    if got_input != (None, *input_shape):
        raise CheckFailed(
            f"{call} takes inputs of shape {got_input}, expected {(None, *input_shape)}: use "
            "input_shape in keras.Input(shape=input_shape), not a fixed image size."
        )
    if got_output != (None, n_classes):
        hint = (
            f"use n_classes for the last layer's units, not a fixed {got_output[-1]}"
            if len(got_output) == 2
            else "end with one probability per class: GlobalAveragePooling2D (or Flatten) before the last Dense"
        )
        raise CheckFailed(f"{call} gives outputs of shape {got_output}, expected (None, {n_classes}) — {hint}.")
    return model


@question(LAB, "build_cnn", points=2, target="build_cnn")
def check_build_cnn(build_cnn) -> None:
    """build_cnn(input_shape, n_classes) -> keras Model with conv, BN, dropout, softmax, <= 2 M parameters."""
    import keras

    model = _require_shapes(build_cnn, (64, 64, 3), 10)
    inside = keras_compat.all_layers(model)
    if not any(
        isinstance(layer, (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D))
        for layer in inside
    ):
        raise CheckFailed("the model has no convolutional layer: a CNN starts with keras.layers.Conv2D blocks.")
    if not any(isinstance(layer, keras.layers.BatchNormalization) for layer in inside):
        raise CheckFailed(
            "the model has no keras.layers.BatchNormalization: put one after each convolution (before the ReLU)."
        )
    dropouts = [layer for layer in inside if isinstance(layer, keras.layers.Dropout)]
    if not dropouts:
        raise CheckFailed(
            "the model has no keras.layers.Dropout: add one before the last Dense layer, e.g. Dropout(0.3)."
        )
    if not any(0 < layer.rate < 1 for layer in dropouts):
        raise CheckFailed(
            f"the Dropout rate is {dropouts[0].rate}, which drops nothing (or everything): use a rate "
            "between 0 and 1, e.g. 0.3."
        )
    parameters = model.count_params()
    if parameters > MAX_PARAMETERS:
        flatten = any(isinstance(layer, keras.layers.Flatten) for layer in inside)
        hint = (
            "Flatten keeps every pixel of the last feature maps, so the Dense layer after it needs H×W×channels "
            "weights per unit: use GlobalAveragePooling2D instead, or pool more before it"
            if flatten
            else "use fewer filters or fewer or smaller Dense layers"
        )
        raise CheckFailed(
            f"build_cnn((64, 64, 3), 10) has {parameters:,} parameters, more than the budget of "
            f"{MAX_PARAMETERS:,} — {hint}."
        )
    images = np.random.default_rng(0).random((3, 64, 64, 3)).astype("float32")
    probabilities = array(keras.ops.convert_to_numpy(model(images, training=False)), "the model's output")
    sums = probabilities.sum(axis=1)
    if not (np.all(probabilities >= 0) and np.allclose(sums, 1, atol=1e-4)):
        if np.all((probabilities >= 0) & (probabilities <= 1)):
            hint = (
                "they lie between 0 and 1 but do not add up to 1 (a sigmoid?): use activation='softmax', which "
                "makes them one probability distribution over the classes"
            )
        else:
            hint = (
                "some are negative or above 1: the last Dense layer needs activation='softmax' (the loss "
                "sparse_categorical_crossentropy expects probabilities)"
            )
        raise CheckFailed(
            f"the outputs for 3 images should be probabilities that add up to 1 per image; they add up "
            f"to {vec(sums)} — {hint}."
        )
    _require_shapes(build_cnn, (48, 48, 3), 4)


# ---------------------------------------------------------------------------------------------------
# Exercise 4: accuracy within each true class (recall)

RECALL_RULE = (
    "entry c is the number of galaxies of true class c predicted as c, divided by the number of galaxies "
    "of true class c"
)


def _per_class_cases():
    """(label, y_true, y_pred, n_classes, fresh)."""
    rng = np.random.default_rng(404)
    y_true = rng.choice([0, 1, 2, 3, 5], size=200, p=[0.4, 0.1, 0.2, 0.2, 0.1])  # class 4 absent, but predicted
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 6, size=200))
    small_true = rng.integers(0, 6, size=30)
    small_pred = np.where(rng.random(30) < 0.5, small_true, rng.integers(0, 6, size=30))
    return [
        (
            "y_true [0, 0, 1, 1, 1, 2, 2, 2, 2], y_pred [0, 1, 1, 1, 0, 2, 2, 0, 2], 3 classes",
            np.array([0, 0, 1, 1, 1, 2, 2, 2, 2]),
            np.array([0, 1, 1, 1, 0, 2, 2, 0, 2]),
            3,
            False,
        ),
        ("200 labels of 6 classes (class 4 never true, sometimes predicted)", y_true, y_pred, 6, True),
        ("30 labels of classes 0 … 5 with n_classes = 8", small_true, small_pred, 8, True),
    ]


def _per_class_mistakes(y_true, y_pred, n_classes) -> list[tuple[str, Any]]:
    expected = reference_per_class_accuracy(y_true, y_pred, n_classes)
    absent = np.flatnonzero(np.isnan(expected)).tolist()
    hits = np.array([np.sum((y_true == c) & (y_pred == c)) for c in range(n_classes)], dtype=float)
    predicted = np.bincount(y_pred, minlength=n_classes).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, hits / predicted, np.nan)
    return [
        (
            "that divides by how often each class was predicted (the precision); divide by how many galaxies "
            "truly belong to the class",
            precision,
        ),
        ("those are the counts of correct predictions; divide each by the number of galaxies of that true class", hits),
        ("that is the error rate; the accuracy within a class is the fraction predicted correctly", 1 - expected),
        (
            "that is the overall accuracy, the same for every class; count within each true class",
            np.where(np.isnan(expected), np.nan, np.mean(y_true == y_pred)),
        ),
        (
            "that is the overall accuracy, the same for every class; count within each true class",
            np.full(n_classes, np.mean(y_true == y_pred)),
        ),
        (
            "a class with no galaxies in y_true has an undefined accuracy: NaN, not 0",
            np.nan_to_num(expected, nan=0.0) if absent else None,
        ),
    ]


@question(LAB, "per_class_accuracy", points=1, target="per_class_accuracy")
def check_per_class_accuracy(per_class_accuracy) -> None:
    """per_class_accuracy(y_true, y_pred, n_classes) -> recall of each class, NaN where a class has no example."""
    cases = _per_class_cases()
    answers = [
        array(call(per_class_accuracy, label, y_true, y_pred, n_classes), "per_class_accuracy(...)")
        for label, y_true, y_pred, n_classes, _ in cases
    ]
    mistakes = by_case([_per_class_mistakes(*case[1:4]) for case in cases])
    for (label, y_true, y_pred, n_classes, fresh), got in zip(cases, answers):
        expected = reference_per_class_accuracy(y_true, y_pred, n_classes)
        absent = np.flatnonzero(np.isnan(expected)).tolist()
        if got.shape != expected.shape:
            hint = (
                f" one entry per class 0 … {n_classes - 1}, also for classes without galaxies in y_true (NaN "
                f"there: here classes {absent})"
                if absent
                else ""
            )
            raise CheckFailed(f"for {label} the result has shape {got.shape}, expected ({n_classes},):{hint}.")
        if close(got, expected):
            continue
        fallback = (
            "the first example passes but this one does not: use the arrays and n_classes given"
            if fresh
            else RECALL_RULE
        )
        hint = diagnose(answers, mistakes) or fallback
        raise CheckFailed(f"for {label} your accuracies are {vec(got)}, expected {vec(expected)} — {hint}.")


# ---------------------------------------------------------------------------------------------------
# Exercise 5: the most confident mistakes


def _confident_mistakes(
    y_true,
    probabilities,
    k,
    *,
    include_correct=False,
    ascending=False,
    by_true_class=False,
    in_index_order=False,
    cut=True,
    positions=False,
) -> np.ndarray:
    """Indices of mistakes by confidence in the predicted class. Each keyword switches on one common mistake."""
    predicted, confidence = probabilities.argmax(axis=1), probabilities.max(axis=1)
    candidates = np.arange(len(y_true)) if include_correct else np.flatnonzero(predicted != y_true)
    if by_true_class:
        score = probabilities[np.arange(len(y_true)), y_true][candidates]  # low = bad: lowest first
    else:
        score = confidence[candidates] if ascending else -confidence[candidates]
    ranks = np.argsort(score, kind="stable")
    order = candidates if in_index_order else ranks if positions else candidates[ranks]
    return order[:k] if cut else order


CONFIDENT_MISTAKES = (
    (
        dict(include_correct=True),
        "those include correct predictions: keep only the galaxies whose predicted class "
        "is not the true one, then rank them",
    ),
    (
        dict(ascending=True),
        "those are the least confident mistakes: sort by the predicted class's probability, highest first",
    ),
    (
        dict(by_true_class=True),
        "you ranked by how little probability the true class got; rank by the probability "
        "of the predicted (wrong) class, highest first",
    ),
    (dict(in_index_order=True), "those are the first mistakes in index order: sort them by confidence, highest first"),
    (dict(cut=False), "that is every mistake: return at most k"),
    (
        dict(positions=True),
        "those are positions within the list of mistakes (what np.argsort returned for the "
        "mistakes alone); map them back to galaxy indices, wrong[order]",
    ),
)


ARGUMENT_ORDER = "the arguments come in the order (y_true, probabilities, k): true labels first, as in scikit-learn"


def _mistake_cases():
    """(label, y_true, probabilities (n, classes), k, fresh)."""
    rng = np.random.default_rng(505)
    small = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.05, 0.9, 0.05], [0.4, 0.35, 0.25], [0.15, 0.15, 0.7]]
    )
    small_true = np.array([0, 1, 0, 1, 2, 2])  # mistakes: 1 (p 0.6), 2 (p 0.5), 4 (p 0.4)
    big = rng.dirichlet(np.full(5, 0.7), size=300)
    big_true = np.where(rng.random(300) < 0.7, big.argmax(axis=1), rng.integers(0, 5, size=300))
    few = rng.dirichlet(np.full(4, 0.5), size=20)
    few_true = few.argmax(axis=1)
    few_true[[3, 11, 17]] = (few_true[[3, 11, 17]] + 1) % 4  # exactly 3 mistakes
    return [
        ("6 galaxies of 3 classes with k = 2", small_true, small, 2, False),
        ("300 galaxies of 5 classes with k = 10", big_true, big, 10, True),
        ("20 galaxies with only 3 mistakes and k = 8", few_true, few, 8, True),
    ]


def _indices(result: Any, label: str) -> np.ndarray:
    values = array(result, "most_confident_mistakes(...)")
    if values.dtype == bool:
        raise CheckFailed(
            f"for {label} the result is a boolean mask; return the indices of the mistakes "
            "(e.g. from np.flatnonzero or np.argsort), most confident first."
        )
    values = values.astype(float)
    if values.ndim != 1 or not np.all(values == np.round(values)):
        raise CheckFailed(
            f"for {label} the result should be a 1-D array of galaxy indices (whole numbers); "
            f"it has shape {values.shape}: {vec(values[:6])} … (probabilities instead of indices?)"
        )
    return values.astype(int)


@question(LAB, "most_confident_mistakes", points=1, target="most_confident_mistakes")
def check_most_confident_mistakes(most_confident_mistakes) -> None:
    """most_confident_mistakes(y_true, probabilities, k) -> indices of <= k mistakes, most confident first
    (the argument order of lab 02's function of the same name, and of scikit-learn's metrics)."""
    cases = _mistake_cases()
    with hint_on_crash(ARGUMENT_ORDER):
        answers = [
            _indices(call(most_confident_mistakes, label, y_true, probabilities, k), label)
            for label, y_true, probabilities, k, _ in cases
        ]
    mistakes = [(hint, [_confident_mistakes(*case[1:4], **kw) for case in cases]) for kw, hint in CONFIDENT_MISTAKES]
    for (label, y_true, probabilities, k, fresh), got in zip(cases, answers):
        expected = _confident_mistakes(y_true, probabilities, k)
        if got.shape == expected.shape and np.array_equal(got, expected):
            continue
        hint = diagnose(answers, mistakes)
        if hint is None:
            hint = (
                "the first example passes but this one does not: use the arrays and k given"
                if fresh
                else "the prediction is the most probable class, its confidence that probability; keep the wrong "
                "predictions and sort them by confidence, highest first"
            )
        raise CheckFailed(f"for {label} you returned indices {got.tolist()}, expected {expected.tolist()} — {hint}.")


# ---------------------------------------------------------------------------------------------------
# Exercise 6: a pre-trained model made ready to fine-tune on another survey

FREEZE_RULE = "model.layers[:n_frozen] frozen (layer.trainable = False), every later layer trainable"
RECOMPILE = (
    "compile the model again after changing trainable, with keras.optimizers.Adam(learning_rate): Keras "
    "builds the training step when the model is compiled and trained, so without a new compile TensorFlow "
    "ignores the change of trainable and JAX fails"
)
LOSS = "sparse_categorical_crossentropy"
ARRIVED = {"functional": ("Adam", 1e-3), "functional_head_only": ("RMSprop", 2e-3), "sequential": ("Adam", 1e-3)}


def _pretrained(kind: str):
    """A small compiled classifier of 12×12×3 images into 3 classes, as the lab's model arrives: "functional"
    (its layers start with the InputLayer) or "sequential"; "functional_head_only" arrives trained with every
    layer but the last frozen (a first stage trained its classifier alone), so its training step exists."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(6)
    stack = [
        layers.Conv2D(4, 3, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(8, 3, padding="same"),
        layers.GlobalAveragePooling2D(),
        layers.Dropout(0.2),
        layers.Dense(3, activation="softmax"),
    ]
    if kind.startswith("functional"):
        x = inputs = keras.Input((12, 12, 3))
        for layer in stack:
            x = layer(x)
        model = keras.Model(inputs, x)
    else:
        model = keras.Sequential([keras.Input((12, 12, 3)), *stack])
    name, rate = ARRIVED[kind]
    model.compile(optimizer=getattr(keras.optimizers, name)(rate), loss=LOSS, metrics=["accuracy"])
    if kind.endswith("head_only"):
        for layer in model.layers[:-1]:
            layer.trainable = False
        model.compile(optimizer=getattr(keras.optimizers, name)(rate), loss=LOSS, metrics=["accuracy"])
        model.fit(*_tiny_survey(), batch_size=16, epochs=1, verbose=0)
    return model


def _tiny_survey():
    rng = np.random.default_rng(66)
    return rng.normal(size=(16, 12, 12, 3)).astype("float32"), rng.integers(0, 3, 16)


def _fine_tuning_cases():
    """(label, model kind, n_frozen, learning_rate, fresh)."""
    return [
        (
            "the lab's kind of model (9 layers, the first an InputLayer, all trainable, compiled with Adam(1e-3)), "
            "n_frozen = 5, learning_rate = 1e-4",
            "functional",
            5,
            1e-4,
            False,
        ),
        (
            "a model whose layers are frozen but the last (its classifier was trained first, with RMSprop(2e-3)), "
            "n_frozen = 0, learning_rate = 1e-5",
            "functional_head_only",
            0,
            1e-5,
            True,
        ),
        (
            "a Sequential model of 8 layers, n_frozen = 7 (only the classifier trains), learning_rate = 3e-4",
            "sequential",
            7,
            3e-4,
            True,
        ),
    ]


def _returned_model(prepare_fine_tuning, label, kind, n_frozen, learning_rate):
    """(model given, model returned): the returned one checked to be a Keras model with the given weights."""
    import keras

    given = _pretrained(kind)
    with warnings.catch_warnings():  # copying a compiled model (to keep the original) warns about its optimizer
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer", category=UserWarning)
        got = call(prepare_fine_tuning, label, given, n_frozen, learning_rate)
    if not isinstance(got, keras.Model):
        raise CheckFailed(
            f"for {label} prepare_fine_tuning returned {type(got).__name__}; return the model, ready to "
            "train (did you forget the return?)."
        )
    expected_weights, got_weights = given.get_weights(), got.get_weights()
    if len(got.layers) != len(given.layers) or [w.shape for w in got_weights] != [w.shape for w in expected_weights]:
        raise CheckFailed(
            f"for {label} the returned model has other layers than the one given: keep the pre-trained "
            "model's layers, change only which of them train."
        )
    if not all(np.allclose(a, b) for a, b in zip(got_weights, expected_weights)):
        raise CheckFailed(
            f"for {label} the returned model's weights are not the pre-trained ones: "
            "keras.models.clone_model copies the layers but draws new weights (set_weights would copy "
            "them); work on the model passed in."
        )
    return given, got


def _positions(model) -> np.ndarray:
    """Positions in model.layers of the layers that can train (an InputLayer cannot)."""
    import keras

    return np.array([k for k, layer in enumerate(model.layers) if not isinstance(layer, keras.layers.InputLayer)])


def _flags(model) -> np.ndarray:
    """1.0 for each trainable layer of model.layers at _positions, 0.0 for each frozen one."""
    return np.array([float(model.layers[k].trainable) for k in _positions(model)])


def _freeze_mistakes(given, n_frozen: int) -> list[tuple[str, np.ndarray | None]]:
    n, index = len(given.layers), _positions(given)
    arrived = _flags(given)
    return [
        (
            "nothing is frozen: set layer.trainable = False for the layers in model.layers[:n_frozen]",
            np.ones(len(index)),
        ),
        (
            "the layers are as trainable as they arrived: set layer.trainable = False for model.layers[:n_frozen] "
            "(freeze them) and True for the layers after",
            arrived,
        ),
        (
            "every layer is frozen (model.trainable = False?): freeze only model.layers[:n_frozen], the rest must train",
            np.zeros(len(index)) if n_frozen < n else None,
        ),
        (
            "you froze the last n_frozen layers; freeze the first ones, model.layers[:n_frozen], and train the rest",
            (index < n - n_frozen).astype(float) if 0 < n_frozen < n else None,
        ),
        (
            "one layer too many is frozen: model.layers[:n_frozen] are the layers 0 … n_frozen-1",
            (index > n_frozen).astype(float),
        ),
        (
            "one layer too few is frozen: model.layers[:n_frozen] are the layers 0 … n_frozen-1 (an InputLayer, when "
            "the model has one, counts)",
            (index >= n_frozen - 1).astype(float) if n_frozen else None,
        ),
        (
            "the layers arrived frozen and stayed so: also set layer.trainable = True for the layers from n_frozen on "
            "(this unfreezes them)",
            np.where(index < n_frozen, 0.0, arrived),
        ),
    ]


def _optimizer(model) -> tuple[str, float] | None:
    """(optimizer class name, learning rate) of a compiled model, None if it is not compiled."""
    import keras

    if getattr(model, "optimizer", None) is None:
        return None
    return type(model.optimizer).__name__, float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def _judge_compile(cases, models) -> None:
    found = [_optimizer(got) for _, got in models]
    for (label, *_), optimizer in zip(cases, found):
        if optimizer is None:
            raise CheckFailed(f"for {label} the returned model is not compiled: {RECOMPILE}.")
    wrong = [
        (case, optimizer) for case, optimizer in zip(cases, found) if not np.isclose(optimizer[1], case[3], rtol=1e-4)
    ]
    if wrong:
        (label, kind, _, rate, _), (name, got_rate) = wrong[0]
        if all(
            optimizer[0] == ARRIVED[case[1]][0] and np.isclose(optimizer[1], ARRIVED[case[1]][1])
            for case, optimizer in wrong
        ):
            raise CheckFailed(
                f"for {label} the model still has the optimizer it arrived with ({name} with learning "
                f"rate {num(got_rate)}): {RECOMPILE}."
            )
        hint = (
            "that is Adam's default: pass the learning rate given, keras.optimizers.Adam(learning_rate)"
            if all(np.isclose(optimizer[1], 1e-3) for _, optimizer in wrong)
            else "use the learning_rate given to the function"
        )
        raise CheckFailed(
            f"for {label} the optimizer's learning rate is {num(got_rate)}, expected {num(rate)} — "
            f"{hint}. Fine-tuning takes small steps, so that it adjusts the pre-trained weights instead "
            "of overwriting them."
        )
    for (label, *_), (_, got) in zip(cases, models):
        loss = getattr(got, "loss", None)
        loss_name = loss if isinstance(loss, str) else getattr(loss, "name", type(loss).__name__)
        if loss_name != LOSS:
            raise CheckFailed(
                f"for {label} the model is compiled with the loss {loss_name!r}; the labels are class "
                f"numbers, as in the lab's training: loss={LOSS!r}."
            )


def _judge_training(label: str, got, n_frozen: int) -> None:
    """One training epoch: the frozen layers' weights must stay, the trainable layers' must move."""
    before = [[w.copy() for w in layer.get_weights()] for layer in got.layers]
    try:
        got.fit(*_tiny_survey(), batch_size=16, epochs=1, verbose=0)
    except ValueError as error:  # the optimizer was built for other trainable variables (TensorFlow and JAX)
        raise CheckFailed(
            f"for {label} training the returned model failed ({str(error)[:100]}…): {RECOMPILE}."
        ) from None
    for k, (layer, old) in enumerate(zip(got.layers, before)):
        moved = any(not np.allclose(a, b) for a, b in zip(layer.get_weights(), old) if a.dtype.kind == "f")
        if k < n_frozen and moved:
            raise CheckFailed(
                f"for {label} training changed the weights of layer {k} ({layer.name}), which is frozen: {RECOMPILE}."
            )
        if k >= n_frozen and layer.trainable_weights and not moved:
            raise CheckFailed(
                f"for {label} training left the weights of layer {k} ({layer.name}) unchanged, though "
                f"it is trainable: {RECOMPILE}."
            )


@question(LAB, "prepare_fine_tuning", points=2, target="prepare_fine_tuning")
def check_prepare_fine_tuning(prepare_fine_tuning) -> None:
    """prepare_fine_tuning(model, n_frozen, learning_rate) -> the model with model.layers[:n_frozen] frozen, the rest
    trainable, compiled again with Adam(learning_rate) and the sparse categorical cross-entropy."""
    cases = _fine_tuning_cases()
    models = [
        _returned_model(prepare_fine_tuning, label, kind, n_frozen, rate) for label, kind, n_frozen, rate, _ in cases
    ]
    answers = [_flags(got) for _, got in models]
    mistakes = by_case([_freeze_mistakes(given, case[2]) for case, (given, _) in zip(cases, models)])
    for (label, _, n_frozen, _, fresh), (given, _), flags in zip(cases, models, answers):
        expected = (_positions(given) >= n_frozen).astype(float)
        if close(flags, expected):
            continue
        fallback = "the first example passes but this one does not: use the n_frozen given" if fresh else FREEZE_RULE
        frozen = _positions(given)[flags == 0].tolist()
        raise CheckFailed(
            f"for {label} the frozen layers are {frozen}, expected "
            f"{_positions(given)[expected == 0].tolist()} — {diagnose(answers, mistakes) or fallback}."
        )
    _judge_compile(cases, models)
    label, _, n_frozen, _, _ = cases[1]  # the model that arrived frozen and trained: unfreezing needs a new compile
    _judge_training(label, models[1][1], n_frozen)
