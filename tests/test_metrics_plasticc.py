"""PLAsTiCC's class-weighted log-loss (course_utils.metrics.weighted_log_loss) on cases worked out by hand."""

import math

import numpy as np
import pytest

from course_utils.metrics import weighted_log_loss


def test_guessing_scores_log_k_and_perfect_scores_zero():
    y = np.array([0, 1, 2, 2, 2])
    assert weighted_log_loss(y, np.full((5, 3), 1 / 3)) == pytest.approx(math.log(3))
    assert weighted_log_loss(y, np.eye(3)[y]) == pytest.approx(0.0, abs=1e-12)


def test_classes_are_averaged_first_weighted_and_absent_ones_left_out():
    y = np.array([0, 0, 1])
    p = np.array([[0.5, 0.5, 0.0], [0.25, 0.75, 0.0], [0.2, 0.8, 0.0]])
    class0 = -(math.log(0.5) + math.log(0.25)) / 2
    class1 = -math.log(0.8)
    assert weighted_log_loss(y, p, [1, 2, 2]) == pytest.approx((class0 + 2 * class1) / 3)  # class 2 absent
    assert weighted_log_loss(y, 0.5 * p) == pytest.approx((class0 + class1) / 2)  # rows renormalised
    with pytest.raises(ValueError, match="probabilities must be"):
        weighted_log_loss(y, p[:2])
