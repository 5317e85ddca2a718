"""course_utils.metrics: hand-made cases, ties, degenerate inputs, and agreement with scikit-learn."""

import numpy as np
import pytest
from astropy.stats import binom_conf_interval
from sklearn.metrics import recall_score, roc_curve

from course_utils.metrics import (
    binned_completeness,
    completeness_at_fpr,
    per_class_accuracy,
    threshold_at_fp,
    tpr_at_fp,
)

RNG = np.random.default_rng(2019)


def reference_tpr_at_fp(y_true, scores, max_false_positives):
    """Highest TPR among scikit-learn's ROC points that admit at most k false positives."""
    fpr, tpr, _ = roc_curve(y_true, scores, drop_intermediate=False)
    false_positives = np.rint(fpr * np.count_nonzero(np.asarray(y_true) == 0))
    return tpr[false_positives <= max_false_positives].max()


# Lenses score 0.9, 0.8, 0.7; non-lenses 0.85, 0.6, 0.1.
Y = np.array([1, 1, 0, 1, 0, 0])
S = np.array([0.9, 0.8, 0.85, 0.7, 0.6, 0.1])


def test_tpr0_counts_lenses_above_the_best_non_lens():
    assert tpr_at_fp(Y, S, 0) == pytest.approx(1 / 3)
    assert threshold_at_fp(Y, S, 0) == 0.85


def test_tpr_with_one_false_positive_allowed_uses_the_second_non_lens():
    assert tpr_at_fp(Y, S, 1) == 1.0
    assert threshold_at_fp(Y, S, 1) == 0.6


def test_a_lens_tied_with_a_non_lens_is_not_found():
    y, s = np.array([1, 0, 1]), np.array([0.5, 0.5, 0.9])
    assert tpr_at_fp(y, s, 0) == 0.5
    assert tpr_at_fp(np.array([1, 1, 0]), np.array([0.7, 0.7, 0.7]), 0) == 0.0


def test_tpr10_is_the_fraction_above_the_eleventh_non_lens():
    negatives = np.linspace(0.0, 1.0, 20)  # the 11th highest is negatives[9]
    positives = np.array([negatives[9] - 0.01, negatives[9], negatives[9] + 0.01, 2.0])
    y = np.r_[np.zeros(20, int), np.ones(4, int)]
    assert tpr_at_fp(y, np.r_[negatives, positives], 10) == 0.5


def test_more_allowed_false_positives_than_non_lenses_finds_every_lens():
    assert threshold_at_fp(Y, S, 3) == -np.inf
    assert tpr_at_fp(Y, S, 3) == 1.0


@pytest.mark.parametrize("decimals", [None, 1, 2])  # None: no ties; rounding makes many ties
def test_tpr_at_fp_agrees_with_sklearn_roc_curve(decimals):
    y = (RNG.random(400) < 0.3).astype(int)
    s = RNG.normal(size=400) + 1.2 * y
    if decimals is not None:
        s = np.round(s, decimals)
    for k in (0, 1, 2, 5, 10, 50):
        assert tpr_at_fp(y, s, k) == pytest.approx(reference_tpr_at_fp(y, s, k)), k


@pytest.mark.parametrize(
    "y,s,message",
    [
        ([0, 0, 0], [0.1, 0.2, 0.3], "no positives"),
        ([1, 1], [0.1, 0.2], "no negatives"),
        ([0, 1, 2], [0.1, 0.2, 0.3], "0 .negative. and 1 .positive. only"),
        ([0, 1], [0.1, np.nan], "finite"),
        ([0, 1, 1], [0.1, 0.2], "same length"),
        ([[0, 1]], [[0.1, 0.2]], "1-D"),
    ],
)
def test_bad_inputs_raise_clear_errors(y, s, message):
    with pytest.raises(ValueError, match=message):
        tpr_at_fp(y, s, 0)


@pytest.mark.parametrize("k", [-1, 1.5, True, "10"])
def test_false_positive_budget_must_be_a_count(k):
    with pytest.raises(ValueError, match="integer >= 0"):
        tpr_at_fp(Y, S, k)


@pytest.mark.parametrize("fpr", [0.0, 0.01, 0.05, 0.29])
def test_completeness_at_fpr_agrees_with_sklearn_roc_curve(fpr):
    y = np.r_[np.zeros(1000, int), np.ones(300, int)]
    s = np.round(RNG.normal(size=1300) + 1.5 * y, 2)
    fprs, tprs, _ = roc_curve(y, s, drop_intermediate=False)
    assert completeness_at_fpr(y, s, fpr) == pytest.approx(tprs[fprs <= fpr + 1e-12].max())


def test_completeness_at_fpr_allows_exactly_fpr_times_negatives():
    """0.29 * 100 is 28.999999999999996 in floating point; 29 false positives are still allowed."""
    y = np.r_[np.zeros(100, int), 1]
    s = np.r_[np.arange(100.0), 70.5]  # the lens beats 29 non-lenses (71 .. 99), not 30
    assert completeness_at_fpr(y, s, 0.29) == 1.0
    assert completeness_at_fpr(y, s, 0.28) == 0.0


def test_completeness_mask_counts_selected_lenses_against_all_non_lenses():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.9, 0.95, 0.5, 0.4, 0.05])
    bright = np.array([True, False, False, False, True, True, False, False])  # mask on a non-lens is ignored
    assert completeness_at_fpr(y, s, fpr=0.0) == 0.25
    assert completeness_at_fpr(y, s, fpr=0.0, mask=bright) == 0.5
    assert completeness_at_fpr(y, s, fpr=0.25, mask=bright) == 1.0


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(fpr=1.0), r"\[0, 1\)"),
        (dict(fpr=-0.1), r"\[0, 1\)"),
        (dict(mask=np.ones(6)), "boolean"),
        (dict(mask=np.ones(5, bool)), "shape"),
        (dict(mask=np.array([False, False, True, False, True, True])), "no positive"),
    ],
)
def test_completeness_at_fpr_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        completeness_at_fpr(Y, S, **kwargs)


def test_binned_completeness_counts_and_wilson_intervals():
    radius = np.array([0.2, 0.4, 0.6, 1.1, 1.3, 1.6, 1.8, 2.5, 9.0])
    found = np.array([False, False, True, True, True, False, True, True, True])
    table = binned_completeness(radius, found, bins=[0, 1, 2, 3, 4])
    np.testing.assert_array_equal(table.n, [3, 4, 1, 0])  # 9.0 lies outside the edges
    np.testing.assert_array_equal(table.found, [1, 3, 1, 0])
    np.testing.assert_allclose(table.completeness[:3], [1 / 3, 3 / 4, 1.0])
    np.testing.assert_allclose(table.centres, [0.5, 1.5, 2.5, 3.5])
    lower, upper = binom_conf_interval(
        np.array([1, 3, 1]), np.array([3, 4, 1]), confidence_level=0.6827, interval="wilson"
    )
    np.testing.assert_allclose(table.lower[:3], lower, rtol=1e-3)
    np.testing.assert_allclose(table.upper[:3], upper, rtol=1e-3)
    assert np.all(table.lower[:3] <= table.completeness[:3]) and np.all(table.completeness[:3] <= table.upper[:3])
    assert np.isnan(table.completeness[3]) and np.isnan(table.lower[3]) and np.isnan(table.upper[3])


def test_binned_completeness_with_a_number_of_bins_spans_the_values():
    values = RNG.uniform(1, 50, size=200)
    table = binned_completeness(values, values > 25, bins=7)
    assert len(table.n) == 7 and table.n.sum() == 200
    assert table.edges[0] == values.min() and table.edges[-1] == values.max()


@pytest.mark.parametrize(
    "values,detected,message",
    [
        ([1.0, 2.0], [1, 0], "boolean"),
        ([1.0, 2.0], [True], "same length"),
        ([1.0, np.nan], [True, False], "finite"),
    ],
)
def test_binned_completeness_rejects_bad_inputs(values, detected, message):
    with pytest.raises(ValueError, match=message):
        binned_completeness(np.array(values), np.array(detected), bins=3)


def test_per_class_accuracy_agrees_with_sklearn_recall():
    y_true = RNG.integers(0, 10, size=500)
    y_pred = np.where(RNG.random(500) < 0.7, y_true, RNG.integers(0, 10, size=500))
    np.testing.assert_allclose(per_class_accuracy(y_true, y_pred), recall_score(y_true, y_pred, average=None))


def test_per_class_accuracy_of_an_absent_class_is_nan():
    accuracy = per_class_accuracy(np.array([0, 0, 2, 2]), np.array([0, 1, 2, 2]), n_classes=4)
    np.testing.assert_array_equal(accuracy[[0, 2]], [0.5, 1.0])
    assert np.isnan(accuracy[1]) and np.isnan(accuracy[3])


@pytest.mark.parametrize(
    "y_true,y_pred,kwargs,message",
    [
        ([0, 1], [[0.9, 0.1], [0.2, 0.8]], {}, "argmax"),
        ([0.0, 1.0], [0.0, 1.0], {}, "integers"),
        ([0, 3], [0, 1], dict(n_classes=3), "0 .. 2"),
        ([], [], {}, "empty"),
    ],
)
def test_per_class_accuracy_rejects_bad_inputs(y_true, y_pred, kwargs, message):
    with pytest.raises(ValueError, match=message):
        per_class_accuracy(
            np.array(y_true, dtype=None if len(y_true) else int),
            np.array(y_pred, dtype=None if len(y_pred) else int),
            **kwargs,
        )


def test_binned_completeness_interval_contains_a_full_bin():
    """All 5 of 5 found: the upper end is 1 (astropy's Wilson end is 1 - 3e-8 from round-off)."""
    table = binned_completeness(np.arange(5.0), np.ones(5, bool), bins=1)
    assert table.completeness[0] == 1.0 and table.upper[0] == 1.0 and table.lower[0] < 1.0
