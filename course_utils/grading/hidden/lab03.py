"""Hidden checks of lab 03: cases the lab states but its self-checks do not try.

Read by the grader as text (never imported by the package); students do not see them in the lab.
This file is public in the course repository: for a graded school, keep your own in a private folder
and pass it with ``course-grade lab03 ... --hidden FILE``. Each case stays inside what the lab asks:
augment for any batch (n, H, H, channels), build_cnn for any input shape and number of classes,
per_class_accuracy and most_confident_mistakes for any labels, k and number of classes, prepare_fine_tuning
for any model and any n_frozen from 0 to len(model.layers).
"""

from __future__ import annotations

import numpy as np

from course_utils.checks.core import CheckFailed, question
from course_utils.checks.lab03 import (
    LOSS,
    ORIENTATIONS,
    _augmented,
    _confident_mistakes,
    _distinct_images,
    _indices,
    _optimizer,
    _orientation_of,
    _require_shapes,
)
from course_utils.checks.toolkit import array, attempt, hint_on_crash, vec
from course_utils.metrics import per_class_accuracy as reference_per_class_accuracy

LAB = "lab03"


@question(LAB, "augment_other_batches", points=1, target="augment", hidden=True)
def check_augment_other_batches(augment) -> None:
    """Grey images (one channel), five channels, and a batch of a single image."""
    rng = np.random.default_rng(3303)
    hint = "any number of images and channels: take the sizes from images.shape"
    for label, images in (
        ("400 grey images of 4×4×1", _distinct_images(rng, 400, 4, channels=1)),
        ("a single image of 7×7×3", _distinct_images(rng, 1, 7)),
        ("24 images of 5×5×5 (five bands)", _distinct_images(rng, 24, 5, channels=5)),
    ):
        with hint_on_crash(hint):
            out = _augmented(augment, images, 31, label)
        found = [_orientation_of(out[i], images[i].astype(float)) for i in range(len(images))]
        if None in found:
            i = found.index(None)
            raise CheckFailed(
                f"on {label}: output image {i} is none of the 8 orientations of input image {i} — "
                "turn and mirror the rows and columns only, for any number of channels."
            )
        if len(images) == 400:
            counts = np.bincount(found, minlength=8)
            if counts.min() < 20 or counts.max() > 85:  # expected 50 each; a fair draw stays within 5 sigma
                table = ", ".join(f"{name}: {count}" for name, count in zip(ORIENTATIONS, counts))
                raise CheckFailed(
                    f"on {label} the 8 orientations should be equally likely (about 50 each); yours came out {table}."
                )


@question(LAB, "build_cnn_other_inputs", points=1, target="build_cnn", hidden=True)
def check_build_cnn_other_inputs(build_cnn) -> None:
    """Grey 32×32 images in 2 classes and 40×40 images of 5 bands in 3 classes: right shapes, probabilities."""
    import keras

    for input_shape, n_classes in (((32, 32, 1), 2), ((40, 40, 5), 3)):
        label = f"build_cnn({input_shape}, {n_classes})"
        with hint_on_crash("use input_shape and n_classes as given: any image size, any number of channels"):
            model = _require_shapes(build_cnn, input_shape, n_classes)
        images = np.random.default_rng(3).random((2, *input_shape)).astype("float32")
        probabilities = array(keras.ops.convert_to_numpy(model(images, training=False)), f"the output of {label}")
        sums = probabilities.sum(axis=1)
        if not (np.all(probabilities >= 0) and np.allclose(sums, 1, atol=1e-4)):
            raise CheckFailed(
                f"the outputs of {label} for 2 images should be probabilities adding up to 1; they add "
                f"up to {vec(sums)} — end with Dense(n_classes, activation='softmax')."
            )


@question(LAB, "per_class_accuracy_extremes", points=1, target="per_class_accuracy", hidden=True)
def check_per_class_accuracy_extremes(per_class_accuracy) -> None:
    """A class never predicted right (0, not NaN), every prediction right, a single galaxy, two classes."""
    cases = [
        (
            "y_true [0, 0, 1, 1, 2], y_pred [0, 0, 0, 2, 2], 3 classes (class 1 never predicted right)",
            np.array([0, 0, 1, 1, 2]),
            np.array([0, 0, 0, 2, 2]),
            3,
        ),
        (
            "every one of 12 galaxies of 4 classes predicted right",
            np.tile(np.arange(4), 3),
            np.tile(np.arange(4), 3),
            4,
        ),
        ("a single galaxy of class 2 predicted as 0, 3 classes", np.array([2]), np.array([0]), 3),
        ("2 classes, y_true [1, 1, 1, 0], y_pred [1, 0, 1, 0]", np.array([1, 1, 1, 0]), np.array([1, 0, 1, 0]), 2),
    ]
    for label, y_true, y_pred, n_classes in cases:
        got = array(
            attempt(per_class_accuracy, label, "use n_classes and the arrays as given", y_true, y_pred, n_classes),
            "per_class_accuracy(...)",
        )
        expected = reference_per_class_accuracy(y_true, y_pred, n_classes)
        if got.shape != expected.shape:
            raise CheckFailed(f"for {label} the result has shape {got.shape}, expected ({n_classes},).")
        if not np.allclose(got, expected, rtol=1e-5, atol=1e-8, equal_nan=True):
            hint = (
                "a class with galaxies but no correct prediction has accuracy 0; NaN is only for a class "
                "without any galaxy in y_true"
                if np.isnan(got).sum() > np.isnan(expected).sum()
                else "entry c: galaxies of true class c predicted as c / galaxies of true class c"
            )
            raise CheckFailed(f"for {label} your accuracies are {vec(got)}, expected {vec(expected)} — {hint}.")


@question(LAB, "mistakes_edge_cases", points=1, target="most_confident_mistakes", hidden=True)
def check_mistakes_edge_cases(most_confident_mistakes) -> None:
    """Two classes, k = 1, k = 0, and predictions without any mistake."""
    rng = np.random.default_rng(3505)
    two = rng.dirichlet([1.0, 1.0], size=25)
    two_true = np.where(rng.random(25) < 0.6, two.argmax(axis=1), 1 - two.argmax(axis=1))
    cases = [
        ("25 galaxies of 2 classes with k = 3", two_true, two, 3),
        ("25 galaxies of 2 classes with k = 1", two_true, two, 1),
        ("25 galaxies of 2 classes with k = 0", two_true, two, 0),
        ("25 galaxies all predicted right, k = 5", two.argmax(axis=1), two, 5),
    ]
    for label, y_true, probabilities, k in cases:
        result = attempt(
            most_confident_mistakes,
            label,
            "the number of classes is probabilities.shape[1], and there may be no mistake at all",
            y_true,
            probabilities,
            k,
        )
        expected = _confident_mistakes(y_true, probabilities, k)
        if np.size(result) == 0 and expected.size == 0:
            continue
        got = _indices(result, label)
        if got.shape != expected.shape or not np.array_equal(got, expected):
            raise CheckFailed(
                f"for {label} you returned indices {got.tolist()}, expected {expected.tolist()} — at "
                "most k mistakes, none when k = 0 or when every prediction is right (slicing with "
                "[-k:] keeps everything when k = 0)."
            )


def _backbone_model():
    """Input -> a whole small network as one layer (like the ImageNet section's EfficientNetB0) -> Dropout -> Dense."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(7)
    backbone = keras.Sequential(
        [keras.Input((10, 10, 3)), layers.Conv2D(4, 3), layers.BatchNormalization(), layers.GlobalAveragePooling2D()],
        name="backbone",
    )
    inputs = keras.Input((10, 10, 3))
    outputs = layers.Dense(2, activation="softmax")(layers.Dropout(0.3)(backbone(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=LOSS)
    return model


def _trains(layer) -> bool:
    """Whether a layer trains: by its weights when it has some (a nested model's own flag is not saved with it,
    its layers' flags are), else by its flag."""
    return bool(layer.trainable_weights) if layer.weights else layer.trainable


@question(LAB, "fine_tuning_any_depth", points=1, target="prepare_fine_tuning", hidden=True)
def check_fine_tuning_any_depth(prepare_fine_tuning) -> None:
    """A pre-trained network nested as one layer (frozen whole), and n_frozen = len(model.layers) (all frozen)."""
    cases = [
        ("a model whose layer 1 is a whole pre-trained network, n_frozen = 2, learning_rate = 2e-5", 2, 2e-5),
        ("the same model with n_frozen = 4 = len(model.layers) (every layer frozen), learning_rate = 1e-4", 4, 1e-4),
    ]
    for label, n_frozen, rate in cases:
        got = attempt(
            prepare_fine_tuning,
            label,
            "n_frozen may be anything from 0 to len(model.layers)",
            _backbone_model(),
            n_frozen,
            rate,
        )
        trainable = [_trains(layer) for layer in got.layers]
        expected = [k >= n_frozen for k in range(len(got.layers))]
        if trainable[1:] != expected[1:]:  # layer 0 is the InputLayer
            raise CheckFailed(
                f"for {label} the layers' trainable flags are {trainable[1:]} after the InputLayer, "
                f"expected {expected[1:]} — model.layers[:n_frozen] frozen, the rest trainable (slicing "
                "with [-k:] takes every layer when k = 0)."
            )
        inner = [layer.name for layer in got.layers[1].layers if layer.trainable] if n_frozen >= 2 else []
        if got.layers[1].trainable_weights and n_frozen >= 2:
            raise CheckFailed(
                f"for {label} the nested network still has trainable weights in {inner}: freezing a "
                "layer that is a whole model freezes all of its layers."
            )
        optimizer = _optimizer(got)
        if optimizer is None or not np.isclose(optimizer[1], rate, rtol=1e-4):
            raise CheckFailed(
                f"for {label} the model should be compiled again with Adam({rate:g}); it has {optimizer}."
            )
