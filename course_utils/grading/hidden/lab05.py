"""Hidden checks of lab 05: cases the lab states but its self-checks do not try.

Read by the grader as text (never imported by the package); students do not see them in the lab.
This file is public in the course repository: for a graded school, keep your own in a private folder
and pass it with ``course-grade lab05 ... --hidden FILE``. Each case stays inside what the lab asks:
phase_fold on arrays of any shape, dmdt_histogram on any light curve (one epoch has no pair), and
plasticc_log_loss renormalising each row of probabilities.
"""

from __future__ import annotations

import numpy as np

from course_utils.checks.core import CheckFailed, question
from course_utils.checks.lab05 import _dmdt_reference
from course_utils.checks.toolkit import array, attempt, call, number
from course_utils.metrics import weighted_log_loss

LAB = "lab05"


@question(LAB, "phase_fold_shapes", points=1, target="phase_fold", hidden=True)
def check_phase_fold_shapes(phase_fold) -> None:
    """Times of shape (2, 3) with one period per row (shape (2, 1)), and a single time."""
    time = np.array([[60000.1, 60001.7, 60010.2], [60003.0, 60003.4, 60100.9]])
    period = np.array([[0.57], [3.2]])
    label = "times of shape (2, 3) (two light curves) with one period per row, shape (2, 1), t0 = 60000"
    got = array(
        attempt(
            phase_fold,
            label,
            "work on the arrays as given, element by element with broadcasting",
            time,
            period,
            60000.0,
        ),
        f"phase_fold on {label}",
    )
    expected = np.mod((time - 60000.0) / period, 1.0)
    if got.shape != expected.shape or not np.allclose(got, expected, atol=1e-6):
        raise CheckFailed(
            f"on {label} your phases have shape {got.shape}, expected {expected.shape} with "
            f"{np.round(expected, 4).tolist()}: keep the shape of `time` (no ravel, no loop over a "
            "1-D array), so that NumPy broadcasts the periods."
        )
    single = number(
        attempt(phase_fold, "a single time 2.5 d, P = 2 d", "a single number is an array of shape ()", 2.5, 2.0),
        "phase_fold on a single time",
    )
    if not np.isclose(single, 0.25):
        raise CheckFailed(f"for a single time of 2.5 d at P = 2 d your phase is {single:.4g}, expected 0.25.")


@question(LAB, "dmdt_few_epochs", points=1, target="dmdt_histogram", hidden=True)
def check_dmdt_few_epochs(dmdt_histogram) -> None:
    """A light curve of one epoch (no pair: an image of zeros) and one of two epochs."""
    dt_edges, dm_edges = np.array([0.0, 1.0, 10.0]), np.array([-1.0, 0.0, 1.0])
    for label, time, mag in (
        ("a light curve of one epoch (no pair at all)", np.array([60000.0]), np.array([17.2])),
        ("two epochs 3 days apart, fading by 0.4 mag", np.array([0.0, 3.0]), np.array([17.0, 17.4])),
    ):
        got = array(
            attempt(
                dmdt_histogram,
                label,
                "with fewer than two epochs there is no pair: every cell is 0",
                time,
                mag,
                dt_edges,
                dm_edges,
            ),
            f"dmdt_histogram on {label}",
        )
        expected = _dmdt_reference(time, mag, dt_edges, dm_edges)
        if got.shape != expected.shape or not np.allclose(got, expected, equal_nan=False):
            raise CheckFailed(
                f"on {label} your image is {np.round(got, 4).tolist()}, expected "
                f"{expected.tolist()}: with no pair there is nothing to count, so the image is all "
                "zeros, not NaN (divide by max(number of pairs, 1))."
            )


@question(LAB, "log_loss_unnormalised", points=1, target="plasticc_log_loss", hidden=True)
def check_log_loss_unnormalised(plasticc_log_loss) -> None:
    """Scores whose rows do not sum to 1."""
    p = np.array([[0.45, 0.3, 0.25], [0.1, 0.7, 0.2], [0.5, 0.1, 0.4], [0.05, 0.05, 0.9]]) / 2
    y, w = np.array([0, 1, 2, 2]), np.array([1.0, 1.0, 2.0])
    label = "scores whose rows sum to 0.5, not 1, weights 1, 1, 2"
    got = number(call(plasticc_log_loss, label, y, p, w), f"plasticc_log_loss on {label}")
    expected = weighted_log_loss(y, p, w)
    if not np.isclose(got, expected, rtol=1e-6):
        raise CheckFailed(
            f"on {label} your log-loss is {got:.6g}, expected {expected:.6g}: after clipping, divide "
            "each row by its sum, so each object's probabilities sum to 1, as PLAsTiCC's metric did."
        )
