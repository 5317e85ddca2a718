"""Lab 03's questions (the tests every lab shares are in test_checks_corpus.py)."""

from __future__ import annotations

import numpy as np

from course_utils.checks import questions

QUESTIONS = {q.name: q for q in questions("lab03")}


def test_lab_is_worth_ten_points_over_six_exercises():
    assert sum(q.points for q in QUESTIONS.values()) == 10
    assert set(QUESTIONS) == {
        "class_weights",
        "augment",
        "build_cnn",
        "per_class_accuracy",
        "most_confident_mistakes",
        "prepare_fine_tuning",
    }


def test_augment_check_finds_every_orientation_of_its_test_images():
    """The checker's 8 orientations of an image with distinct pixels are all different, so each output
    image is identified unambiguously."""
    from course_utils.checks.lab03 import _distinct_images, _orientations

    image = _distinct_images(np.random.default_rng(0), 1, 5)[0]
    assert len({turned.tobytes() for turned in _orientations(image)}) == 8
