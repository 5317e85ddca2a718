"""Hidden checks of lab 06: cases the lab states but its self-checks do not try.

Read by the grader as text (never imported by the package); students do not see them in the lab.
This file is public in the course repository: for a graded school, keep your own in a private folder
and pass it with ``course-grade lab06 ... --hidden FILE``. Each case stays inside what the lab asks:
bias_and_scatter for any edges (a single bin, a bin of one lens, lenses as Python lists), interval_coverage
for any level, build_unet for any input shape and depth, kl_divergence for any latent size.
"""

from __future__ import annotations

import numpy as np

from course_utils.checks.core import CheckFailed, question
from course_utils.checks.lab06 import bias_scatter_reference, check_unet_structure, coverage_reference, kl_reference
from course_utils.checks.toolkit import array, attempt, close, number, vec

LAB = "lab06"


@question(LAB, "bias_scatter_edge_cases", points=1, target="bias_and_scatter", hidden=True)
def check_bias_scatter_edge_cases(bias_and_scatter) -> None:
    """One bin holding one lens (scatter 0), lenses given as Python lists, unequal bins in no order."""
    cases = [
        ("one bin [1, 2] holding a single lens", np.array([1.4]), np.array([1.1]), np.array([1.0, 2.0])),
        ("lenses given as Python lists", [0.6, 1.2, 1.7, 2.6], [0.9, 1.0, 1.9, 2.2], np.array([0.5, 1.5, 3.0])),
        (
            "unequal bins, lenses in no particular order",
            np.array([2.9, 0.7, 1.1, 0.55, 2.0, 1.05]),
            np.array([2.5, 1.0, 1.0, 0.9, 2.2, 1.3]),
            np.array([0.5, 0.6, 1.2, 3.0]),
        ),
    ]
    for label, true, predicted, edges in cases:
        result = attempt(
            bias_and_scatter,
            label,
            "work on np.asarray(...) of the inputs; a bin of one lens has a scatter of 0",
            true,
            predicted,
            edges,
        )
        got = array(result, f"bias_and_scatter on {label}").astype(float)
        expected = bias_scatter_reference(true, predicted, edges)
        if got.shape != expected.shape or not close(got, expected):
            raise CheckFailed(
                f"on {label}: your (bias, scatter) are {vec(got.ravel())}, expected "
                f"{vec(expected.ravel())} — per bin of the true value, the mean and the standard "
                "deviation (ddof=0) of predicted − true, NaN for an empty bin."
            )


@question(LAB, "coverage_other_levels", points=1, target="interval_coverage", hidden=True)
def check_coverage_other_levels(interval_coverage) -> None:
    """Levels 0.5 and 0.99, a single lens, and values as Python lists."""
    rng = np.random.default_rng(6601)
    mean, log_var = rng.uniform(0.5, 3, 200), rng.uniform(-3, 0, 200)
    y = mean + rng.standard_t(3, 200) * np.exp(0.5 * log_var)
    cases = [
        ("200 lenses, level 0.5", y, mean, log_var, 0.5),
        ("200 lenses, level 0.99", y, mean, log_var, 0.99),
        ("a single lens inside its 68 % interval", np.array([1.2]), np.array([1.0]), np.array([np.log(0.25)]), 0.68),
        ("values as Python lists", [1.0, 2.0, 3.0], [1.1, 2.5, 2.0], [-2.0, -1.0, 0.5], 0.9),
    ]
    for label, y_true, m, lv, level in cases:
        got = number(
            attempt(
                interval_coverage,
                label,
                "any level between 0 and 1, any number of lenses, lists too (np.asarray)",
                y_true,
                m,
                lv,
                level,
            ),
            f"interval_coverage on {label}",
        )
        expected = coverage_reference(y_true, m, lv, level)
        if not close(got, expected):
            raise CheckFailed(
                f"on {label}: your coverage is {got:.4g}, expected {expected:.4g} — the half-width is "
                "z σ with z = norm.ppf(0.5 + level / 2) and σ = exp(0.5 · log_var), for every level."
            )


@question(LAB, "unet_other_inputs", points=1, target="build_unet", hidden=True)
def check_unet_other_inputs(build_unet) -> None:
    """A one-band 48×48 image with depth 3, and a 5-band 24×24 image with depth 1."""
    for input_shape, width, depth in (((48, 48, 1), 4, 3), ((24, 24, 5), 3, 1)):
        check_unet_structure(build_unet, input_shape, width, depth)


@question(LAB, "kl_other_latents", points=1, target="kl_divergence", hidden=True)
def check_kl_other_latents(kl_divergence) -> None:
    """A 1-D latent space, codes exactly N(0, 1) (KL = 0), and a batch of one 16-D code."""
    rng = np.random.default_rng(6604)
    cases = [
        ("4 codes of 1 dimension", np.array([[0.0], [1.0], [-2.0], [0.5]]), np.array([[0.0], [0.0], [1.0], [-3.0]])),
        ("codes exactly N(0, 1): mean 0, log-variance 0", np.zeros((3, 5)), np.zeros((3, 5))),
        (
            "one code of 16 dimensions",
            rng.normal(0, 1, (1, 16)).astype(np.float32).astype(float),
            rng.normal(0, 1, (1, 16)).astype(np.float32).astype(float),
        ),
    ]
    for label, z_mean, z_log_var in cases:
        got = array(
            attempt(
                kl_divergence,
                label,
                "any batch size and any number of latent dimensions",
                z_mean.astype(np.float32),
                z_log_var.astype(np.float32),
            ),
            f"kl_divergence on {label}",
        )
        expected = kl_reference(z_mean, z_log_var)
        if got.shape != expected.shape or not close(got.astype(float), expected):
            raise CheckFailed(
                f"on {label}: your KL divergences are {vec(np.ravel(got))} (shape {got.shape}), "
                f"expected {vec(expected)} (shape {expected.shape}) — one value per sample, summed "
                "over the last axis, whatever its length."
            )
