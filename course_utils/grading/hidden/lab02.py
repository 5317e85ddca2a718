"""Hidden checks of lab 02: cases the lab states but its self-checks do not try.

Read by the grader as text (never imported by the package); students do not see them in the lab.
This file is public in the course repository: for a graded school, keep your own in a private folder
and pass it with ``course-grade lab02 ... --hidden FILE``. Each case stays inside what the lab asks:
prepare for any n (also 0), confusion_counts for any number of classes, most_confident_mistakes for any
k and any number of classes, fgsm for x of any shape and any ε.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix

from course_utils.checks.core import CheckFailed, question
from course_utils.checks.lab02 import _most_confident_mistakes
from course_utils.checks.toolkit import array, attempt, close, first_difference

LAB = "lab02"


@question(LAB, "prepare_edge_batches", points=1, target="prepare", hidden=True)
def check_prepare_edge_batches(prepare) -> None:
    """An empty batch (n = 0) and a batch of blank images (every pixel 0)."""
    cases = [
        (
            "an empty batch, shape (0, 28, 28)",
            np.zeros((0, 28, 28), dtype=np.uint8),
            "return an empty (0, 28, 28, 1) array: no loop over images, no value computed from the batch",
        ),
        (
            "4 blank images (every pixel 0)",
            np.zeros((4, 28, 28), dtype=np.uint8),
            "divide by 255, not by a value computed from the batch",
        ),
    ]
    for label, images, hint in cases:
        got = array(attempt(prepare, label, hint, images), f"prepare on {label}")
        expected = images.astype(np.float32)[..., None] / 255
        if got.shape != expected.shape:
            raise CheckFailed(
                f"prepare on {label} returned shape {got.shape}, expected {expected.shape}: "
                "keep one entry per image, however many there are."
            )
        if got.dtype != np.float32:
            raise CheckFailed(f"prepare on {label} returned dtype {got.dtype}, expected float32.")
        if not close(got, expected):
            bad = "NaN" if np.isnan(got).any() else f"{float(np.abs(got).max()):.6g}"
            raise CheckFailed(
                f"prepare on {label} gave {bad} where every value should be 0 — divide by 255, not "
                "by the brightest pixel of the batch."
            )


@question(LAB, "confusion_other_classes", points=1, target="confusion_counts", hidden=True)
def check_confusion_other_classes(confusion_counts) -> None:
    """Two classes, twelve classes (the last three never occur), and a single example."""
    rng = np.random.default_rng(2202)
    binary_true, binary_pred = rng.integers(0, 2, size=40), rng.integers(0, 2, size=40)
    many_true, many_pred = rng.integers(0, 9, size=80), rng.integers(0, 9, size=80)
    cases = [
        ("2 classes (n_classes=2), 40 examples", binary_true, binary_pred, 2),
        ("12 classes (n_classes=12) of which 9, 10 and 11 never occur", many_true, many_pred, 12),
        ("a single example of class 3 predicted as 1 (n_classes=5)", np.array([3]), np.array([1]), 5),
    ]
    for label, y_true, y_pred, k in cases:
        got = array(
            attempt(confusion_counts, label, "size the matrix by n_classes", y_true, y_pred, k),
            f"confusion_counts on {label}",
        )
        expected = confusion_matrix(y_true, y_pred, labels=np.arange(k))
        if got.shape != (k, k):
            raise CheckFailed(
                f"on {label}: the matrix has shape {got.shape}, expected ({k}, {k}) — size it by "
                "n_classes, not by 10 or by the labels that occur."
            )
        if not np.issubdtype(got.dtype, np.integer):
            raise CheckFailed(
                f"on {label}: the matrix has dtype {got.dtype}; counts are integers (e.g. np.zeros(..., dtype=int))."
            )
        if not np.array_equal(got, expected):
            i, j = (int(v) for v in np.argwhere(got != expected)[0])
            raise CheckFailed(
                f"on {label}: C[{i}, {j}] is {got[i, j]}, expected {expected[i, j]} — C[i, j] counts "
                "the examples of true class i predicted as class j."
            )


def _three_class_case() -> tuple[np.ndarray, np.ndarray]:
    """30 predictions over 3 classes, all probabilities distinct (no ties)."""
    rng = np.random.default_rng(2203)
    logits = rng.normal(scale=2.0, size=(30, 3))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y_true = np.where(rng.random(30) < 0.5, probabilities.argmax(axis=1), rng.integers(0, 3, size=30))
    return y_true, probabilities


@question(LAB, "mistakes_edge_cases", points=1, target="most_confident_mistakes", hidden=True)
def check_mistakes_edge_cases(most_confident_mistakes) -> None:
    """Three classes, k = 0, k = 1, and predictions without any mistake."""
    y_true, probabilities = _three_class_case()
    all_right = probabilities.argmax(axis=1)
    cases = [
        ("30 predictions over 3 classes, k = 4", y_true, probabilities, 4),
        ("30 predictions over 3 classes, k = 1", y_true, probabilities, 1),
        ("30 predictions over 3 classes, k = 0", y_true, probabilities, 0),
        ("30 predictions without a single mistake, k = 5", all_right, probabilities, 5),
    ]
    for label, labels, p, k in cases:
        got = attempt(
            most_confident_mistakes,
            label,
            "the number of classes is probabilities.shape[1], and there may be no mistake at all",
            labels,
            p,
            k,
        )
        got = array(got, f"most_confident_mistakes on {label}")
        expected = _most_confident_mistakes(labels, p, k)
        if got.size == 0 and expected.size == 0:
            continue
        if got.ndim != 1 or got.shape != expected.shape:
            raise CheckFailed(
                f"on {label}: the result has shape {got.shape}, expected {expected.shape} — at most "
                "k indices, and none when there is no mistake (check k = 0 and slicing like [-k:])."
            )
        if not np.array_equal(got, expected):
            raise CheckFailed(
                f"on {label}: you returned {got.tolist()}, expected {expected.tolist()} — does the "
                "code assume 10 classes?"
            )


@question(LAB, "fgsm_other_shapes", points=1, target="fgsm", hidden=True)
def check_fgsm_other_shapes(fgsm) -> None:
    """A batch of 8×8 colour images, a single 2-D image, ε = 0 (nothing moves) and ε = 1 (every pixel saturates)."""
    rng = np.random.default_rng(2204)
    colour = rng.random((3, 8, 8, 3)).astype(np.float32)
    single = rng.random((28, 28)).astype(np.float32)
    cases = [
        ("3 colour images of shape (8, 8, 3), ε = 0.05", colour, 0.05),
        ("one image of shape (28, 28), no batch or channel axis, ε = 0.2", single, 0.2),
        ("3 colour images, ε = 0 (nothing may move)", colour, 0.0),
        ("3 colour images, ε = 1 (every pixel with a slope saturates)", colour, 1.0),
    ]
    for label, x, epsilon in cases:
        gradient = rng.normal(size=x.shape).astype(np.float32)
        gradient[..., 0, 0] = 0.0  # no slope: these pixels stay
        got = attempt(
            fgsm, label, "x may have any shape: work element by element, without reshaping", x, gradient, epsilon
        )
        got = array(got, f"fgsm on {label}")
        expected = np.clip(x + epsilon * np.sign(gradient), 0, 1)
        if got.shape != x.shape:
            raise CheckFailed(
                f"on {label}: the result has shape {got.shape}, expected {x.shape}, the shape of x — "
                "does the code assume (n, 28, 28, 1) images?"
            )
        if not close(got, expected):
            where = first_difference(got, expected)
            raise CheckFailed(
                f"on {label}: pixel {where} is {float(got[where]):.6g}, expected "
                f"{float(expected[where]):.6g} — x + ε·sign(gradient), clipped to [0, 1]."
            )
