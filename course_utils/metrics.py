"""How well a classifier finds rare things: the lens-finding challenge's TPR0 and TPR10, completeness at
a false-positive rate, completeness in bins of a property (Einstein radius, S/N), and accuracy per class.

Conventions: ``y_true`` holds 1 (lens, positive) or 0 (non-lens, negative); ``scores`` are any real
numbers, larger meaning "more lens-like" (a probability, a logit). A candidate is *selected* when its
score is strictly above the threshold, so a lens tied with a non-lens at the threshold is never counted
as found: ties are resolved against the classifier (conservatively).
"""

from __future__ import annotations

import math

import numpy as np
from astropy.stats import binom_conf_interval
from sklearn.metrics import confusion_matrix
from sklearn.utils import Bunch

ONE_SIGMA = 0.682689492137  # confidence level of the error bars: the Gaussian 1-sigma fraction


def validate_binary(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    """Validated (is_positive bool (n,), scores float (n,)) with both classes present."""
    labels, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    if labels.ndim != 1 or scores.ndim != 1 or len(labels) != len(scores):
        raise ValueError(
            f"y_true and scores must be 1-D arrays of the same length; got shapes {labels.shape} "
            f"and {scores.shape}. For a model's (n, 1) output, pass scores[:, 0]."
        )
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f"y_true must hold 0 (negative) and 1 (positive) only; found {np.unique(labels)[:10]}.")
    if not np.isfinite(scores).all():
        raise ValueError(
            f"scores must be finite numbers; {np.count_nonzero(~np.isfinite(scores))} are NaN or "
            "infinite (did the training diverge?)."
        )
    positive = labels.astype(bool)
    if positive.all() or not positive.any():
        missing = "negatives (0)" if positive.all() else "positives (1)"
        raise ValueError(f"y_true has no {missing}: rates of found lenses and false positives need both classes.")
    return positive, scores


def _false_positive_budget(max_false_positives) -> int:
    if (
        isinstance(max_false_positives, bool)
        or not isinstance(max_false_positives, (int, np.integer))
        or max_false_positives < 0
    ):
        raise ValueError(f"max_false_positives must be an integer >= 0, got {max_false_positives!r}.")
    return int(max_false_positives)


def threshold_at_fp(y_true, scores, max_false_positives: int) -> float:
    """The lowest score threshold t that lets at most ``max_false_positives`` negatives through
    (selected: score > t). It is the (k+1)-th highest negative score; -inf when there are at most k negatives.
    """
    positive, scores = validate_binary(y_true, scores)
    budget = _false_positive_budget(max_false_positives)
    negatives = np.sort(scores[~positive])[::-1]
    return float(negatives[budget]) if budget < len(negatives) else -math.inf


def tpr_at_fp(y_true, scores, max_false_positives: int) -> float:
    """True-positive rate at the threshold that admits at most ``max_false_positives`` false positives.

    ``max_false_positives=0`` is the lens-finding challenge's TPR0 (Metcalf et al. 2019): the fraction of
    lenses scored strictly above the highest-scored non-lens. ``max_false_positives=10`` is TPR10 as used
    in this course: the fraction of lenses scored strictly above the 11th-highest non-lens score (at most
    ten false positives; the paper describes it as the TPR "where less than ten false positives are made").
    """
    positive, scores = validate_binary(y_true, scores)
    threshold = threshold_at_fp(positive, scores, max_false_positives)
    return float(np.mean(scores[positive] > threshold))


def completeness_at_fpr(y_true, scores, fpr: float = 0.01, mask=None) -> float:
    """Fraction of positives found at the threshold whose false-positive rate is at most ``fpr``.

    The threshold lets through at most floor(fpr * number of negatives) negatives, counted over all
    negatives. ``mask`` (bool, same length as ``y_true``) restricts which positives are counted, e.g. lenses
    with Einstein radius > 1.4 arcsec and S/N > 20 (the DeepLens completeness at 99 % rejection of non-lenses).
    """
    positive, scores = validate_binary(y_true, scores)
    if isinstance(fpr, bool) or not 0 <= fpr < 1:
        raise ValueError(f"fpr must be a false-positive rate in [0, 1), got {fpr!r} (1 % is fpr=0.01).")
    counted = positive
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != positive.shape:
            raise ValueError(
                f"mask must be a boolean array of shape {positive.shape} (one flag per candidate); "
                f"got dtype {mask.dtype}, shape {mask.shape}."
            )
        counted = positive & mask
        if not counted.any():
            raise ValueError("mask selects no positive: there is no completeness to measure in that subset.")
    budget = math.floor(round(fpr * np.count_nonzero(~positive), 9))  # round: 0.29 * 100 is 28.999999999999996
    threshold = threshold_at_fp(positive, scores, budget)
    return float(np.mean(scores[counted] > threshold))


def binned_completeness(values, detected, bins) -> Bunch:
    """Completeness (found / all) of positives in bins of a property, with binomial error bars.

    values: (n,) the property of each positive (Einstein radius in arcsec, S/N, ...); detected: (n,) bool;
    bins: number of equal bins or their edges, as for ``numpy.histogram`` (values outside are ignored).
    Returns a Bunch of arrays, one entry per bin: edges (n_bins + 1,), centres, n (positives),
    found, completeness, lower and upper (the 68.3 % Wilson interval, as ``astropy.stats.binom_conf_interval``
    gives it). Empty bins have NaN completeness and interval.
    """
    values, detected = np.asarray(values, dtype=float), np.asarray(detected)
    if values.ndim != 1 or values.shape != detected.shape:
        raise ValueError(
            f"values and detected must be 1-D arrays of the same length; got shapes {values.shape} "
            f"and {detected.shape}."
        )
    if detected.dtype != bool:
        raise ValueError(f"detected must be a boolean array (e.g. scores > threshold); got dtype {detected.dtype}.")
    if not np.isfinite(values).all():
        raise ValueError("values must be finite: drop the candidates whose property is NaN or infinite first.")
    n, edges = np.histogram(values, bins=bins)
    found, _ = np.histogram(values[detected], bins=edges)
    completeness = np.full(len(n), np.nan)
    lower, upper = np.full(len(n), np.nan), np.full(len(n), np.nan)
    filled = n > 0
    completeness[filled] = found[filled] / n[filled]
    if filled.any():
        low, high = binom_conf_interval(found[filled], n[filled], confidence_level=ONE_SIGMA, interval="wilson")
        # the interval contains found / n; round-off can put an end a hair inside it (1 - 3e-8 for 5 of 5)
        lower[filled] = np.minimum(low, completeness[filled])
        upper[filled] = np.maximum(high, completeness[filled])
    return Bunch(
        edges=edges,
        centres=(edges[:-1] + edges[1:]) / 2,
        n=n,
        found=found,
        completeness=completeness,
        lower=lower,
        upper=upper,
    )


def per_class_accuracy(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Accuracy within each true class (the recall of each class): (n_classes,) floats.

    Entry k is the fraction of class-k examples predicted as k; NaN for a class with no examples.
    Labels are integers 0 .. n_classes - 1 (n_classes defaults to the largest label + 1).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must be 1-D arrays of the same length; got shapes {y_true.shape} and "
            f"{y_pred.shape}. From probabilities (n, k), take y_pred = probabilities.argmax(axis=1)."
        )
    if len(y_true) == 0:
        raise ValueError("y_true is empty: there is no accuracy to measure.")
    if not (np.issubdtype(y_true.dtype, np.integer) and np.issubdtype(y_pred.dtype, np.integer)):
        raise ValueError(f"labels must be integers (class indices); got dtypes {y_true.dtype} and {y_pred.dtype}.")
    if n_classes is None:
        n_classes = int(max(y_true.max(), y_pred.max())) + 1
    if min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= n_classes:
        raise ValueError(
            f"labels must lie in 0 .. {n_classes - 1}; found {min(y_true.min(), y_pred.min())} .. "
            f"{max(y_true.max(), y_pred.max())}."
        )
    counts = confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))
    per_class = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(per_class > 0, np.diag(counts) / per_class, np.nan)


def weighted_log_loss(y_true, probabilities, weights=None, eps: float = 1e-15) -> float:
    """PLAsTiCC's metric (Malz et al. 2019): the log-loss averaged within each true class, then over classes
    with ``weights`` (k,) (default all 1); classes absent from y_true do not count.

    y_true (n,) integer labels 0 .. k-1; probabilities (n, k), each row renormalised after clipping to
    [eps, 1 - eps]. Lower is better; guessing 1/k for everything scores ln k.
    """
    y_true, p = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if p.ndim != 2 or y_true.shape != (len(p),):
        raise ValueError(f"probabilities must be (n, k) and y_true (n,); got {p.shape} and {y_true.shape}.")
    k = p.shape[1]
    weights = np.ones(k) if weights is None else np.asarray(weights, dtype=float)
    p = np.clip(p, eps, 1 - eps)
    p = p / p.sum(axis=1, keepdims=True)
    present = np.bincount(y_true, minlength=k) > 0
    per_class = np.array([-np.mean(np.log(p[y_true == c, c])) if present[c] else 0.0 for c in range(k)])
    return float(np.sum(weights * per_class * present) / np.sum(weights * present))
