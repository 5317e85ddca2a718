"""Hidden checks of lab 04: cases the lab states but its self-checks do not try.

Read by the grader as text (never imported by the package); students do not see them in the lab.
This file is public in the course repository: for a graded school, keep your own in a private folder
and pass it with ``course-grade lab04 ... --hidden FILE``. Each case stays inside what the lab asks:
read_stamp for any FITS stamps (integer data, band files named in any order, paths as pathlib.Path as the
notebook passes them), normalise_stamps for any number of images and bands, tpr_at_fp for any scores (the
notebook's are logits, often negative) and labels, completeness_in_bins for any edges.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from astropy.io import fits

from course_utils.checks.core import CheckFailed, question
from course_utils.checks.lab04 import _changed, _normalise, _num
from course_utils.checks.toolkit import array, attempt, close, hint_on_crash, number, vec
from course_utils.metrics import binned_completeness, tpr_at_fp

LAB = "lab04"


@question(LAB, "read_stamp_other_files", points=1, target="read_stamp", hidden=True)
def check_read_stamp_other_files(read_stamp) -> None:
    """Bands g, r, i (blue to red, so not in alphabetical order) of 7×9 pixels stored as 16-bit integers
    (FITS BITPIX = 16), the paths given as pathlib.Path objects."""
    rng = np.random.default_rng(4401)
    names = ("g", "r", "i")
    bands = [(rng.integers(-300, 3000, size=(7, 9)) + 1000 * k).astype(np.int16) for k in range(len(names))]
    label = "bands g, r, i of 7 rows × 9 columns stored as 16-bit integers, paths as pathlib.Path objects"
    with tempfile.TemporaryDirectory(prefix="lab04-hidden-") as folder:
        paths = []
        for name, band in zip(names, bands):
            path = Path(folder) / f"stamp-200000_{name}.fits"
            fits.PrimaryHDU(band).writeto(path)
            paths.append(path)
        got = array(
            attempt(
                read_stamp,
                label,
                "let astropy convert the data (fits.getdata(path)), then .astype(np.float32): "
                "FITS stamps are not always 32-bit floats",
                paths,
            ),
            "read_stamp",
        )
    expected = np.stack(bands, axis=-1).astype(np.float32)
    if got.shape != expected.shape:
        raise CheckFailed(
            f"for {label} your array has shape {got.shape}, expected {expected.shape}: reinterpreting "
            "the bytes (.view) only works for 32-bit floats; convert with .astype(np.float32)."
        )
    if got.dtype != np.dtype(np.float32):
        raise CheckFailed(
            f"for {label} your array has dtype {got.dtype.str}, expected native float32 (.astype(np.float32))."
        )
    if np.array_equal(got, expected):
        return
    order = [
        next((names[j] for j in range(len(names)) if np.array_equal(got[..., k], expected[..., j])), "?")
        for k in range(len(names))
    ]
    if "?" not in order:
        raise CheckFailed(
            f"for {label} your bands come out in the order {', '.join(order)}: keep the order of "
            "`paths` (blue to red), band k from paths[k]; do not sort them."
        )
    where = tuple(int(i) for i in np.argwhere(got != expected)[0])
    raise CheckFailed(
        f"for {label} pixel {where} is {_num(float(got[where]))}, stored as "
        f"{_num(float(expected[where]))}: convert the values (.astype), do not reinterpret their bytes."
    )


def _stamps(n: int, rows: int, columns: int, bands: int, seed: int) -> np.ndarray:
    """float32 stamps (n, rows, columns, bands): a sky level and noise per band, and a galaxy."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:rows, :columns]
    galaxy = np.exp(-0.5 * ((x - columns / 2) ** 2 + (y - rows / 2) ** 2) / 2.0**2)
    sky, noise = rng.uniform(0, 300, size=bands), rng.uniform(1, 20, size=bands)
    images = sky + noise * rng.normal(size=(n, rows, columns, bands))
    images += galaxy[None, :, :, None] * rng.uniform(20, 200, size=(n, 1, 1, bands)) * noise
    return images.astype(np.float32)


@question(LAB, "normalise_other_shapes", points=1, target="normalise_stamps", hidden=True)
def check_normalise_other_shapes(normalise_stamps) -> None:
    """A single one-band stamp and stamps of 5 bands, not square: same shape, float32, each band on its own."""
    hint = "any number of images, rows, columns and bands: reduce over axis=(1, 2) with keepdims=True"
    for label, images in (
        ("a single one-band stamp of 10×14 pixels", _stamps(1, 10, 14, 1, 4402)),
        ("2 stamps of 9×11 pixels in 5 bands", _stamps(2, 9, 11, 5, 4403)),
    ):
        with hint_on_crash(hint):
            out = _normalise(normalise_stamps, images, label)
        if out.dtype != np.dtype(np.float32):
            raise CheckFailed(f"on {label} normalise_stamps returned dtype {out.dtype}; return float32.")
        if not np.isfinite(out).all():
            raise CheckFailed(f"on {label} the output holds NaN or inf.")
        if np.ptp(out[0, :, :, 0]) == 0:
            raise CheckFailed(f"on {label} every pixel of a band comes out the same: the image is gone.")
        last = images.shape[-1] - 1
        other = images
        other[-1, :, :, last] = other[-1, :, :, last] * 8 + 100
        with hint_on_crash(hint):
            changed = _normalise(normalise_stamps, other, label)
        if _changed(changed[-1, :, :, last], out[-1, :, :, last]):
            raise CheckFailed(
                f"on {label}: multiplying band {last} of the last stamp by 8 and adding 100 changed "
                "its normalised pixels: subtract each band's median and divide by its own spread."
            )
        if last > 0 and _changed(changed[-1, :, :, :last], out[-1, :, :, :last]):
            raise CheckFailed(
                f"on {label}: changing band {last} of the last stamp changed its other bands: compute "
                "each band's statistics on its own, whatever the number of bands."
            )


@question(LAB, "tpr_at_fp_logits", points=1, target="tpr_at_fp", hidden=True)
def check_tpr_at_fp_logits(tpr_at_fp_answer) -> None:
    """Negative scores (logits), boolean labels, and lenses all scored below the non-lenses."""
    rng = np.random.default_rng(4404)
    y_many = np.arange(60) % 3 == 0
    logits = rng.normal(-3.0 + 2.0 * y_many, 1.0)
    cases = [
        (
            "6 candidates with negative scores (logits) and 3 non-lenses",
            np.array([1, 0, 1, 0, 0, 1]),
            np.array([-0.5, -2.0, -3.1, -1.2, -4.0, -0.9]),
            3,
        ),
        (
            "6 candidates with negative scores (logits) and 3 non-lenses",
            np.array([1, 0, 1, 0, 0, 1]),
            np.array([-0.5, -2.0, -3.1, -1.2, -4.0, -0.9]),
            1,
        ),
        (
            "labels as booleans (True for a lens)",
            np.array([True, False, True, True, False]),
            np.array([0.9, 0.6, 0.3, 0.7, 0.1]),
            0,
        ),
        ("every lens scored below every non-lens", np.array([0, 1, 0, 1, 0]), np.array([0.8, 0.2, 0.7, 0.3, 0.9]), 0),
        ("60 candidates scored with logits (boolean labels)", y_many, logits, 2),
    ]
    for label, y, s, n_fp in cases:
        result = attempt(
            tpr_at_fp_answer,
            f"{label} with n_fp = {n_fp}",
            "select the non-lenses with y_true == 0 and the lenses with y_true == 1, whatever the labels' type",
            y,
            s,
            n_fp,
        )
        got = number(result, f"tpr_at_fp on {label} with n_fp = {n_fp}")
        expected = tpr_at_fp(y, s, n_fp)
        if not np.isclose(got, expected, rtol=1e-9, atol=1e-12):
            raise CheckFailed(
                f"on {label} with n_fp = {n_fp}: your TPR is {_num(got)}, expected {_num(expected)} — "
                "scores are any real numbers, negative too (logits): the threshold is the (n_fp + 1)-th "
                "highest non-lens score, and with n_fp or fewer non-lenses there is none, so every "
                "lens is found (a threshold of 0 is not 'no threshold')."
            )


@question(LAB, "completeness_edge_cases", points=1, target="completeness_in_bins", hidden=True)
def check_completeness_edge_cases(completeness_in_bins) -> None:
    """One bin with lenses on both edges, every lens outside the bins, no lens found, unequal bins."""
    cases = [
        (
            "one bin [1, 2] with lenses on both edges",
            np.array([1.0, 1.5, 2.0, 2.5, 0.9]),
            np.array([True, False, True, True, True]),
            np.array([1.0, 2.0]),
        ),
        (
            "every lens outside the bins",
            np.array([0.1, 0.2, 5.0]),
            np.array([True, False, True]),
            np.array([0.5, 1.0, 2.0]),
        ),
        ("no lens found", np.array([0.6, 1.2, 1.3, 2.9]), np.zeros(4, dtype=bool), np.array([0.5, 1.0, 2.0, 3.0])),
        (
            "unequal bins, values in no particular order",
            np.array([30.0, 6.0, 12.0, 7.5, 90.0, 15.0, 8.0]),
            np.array([True, False, True, True, True, False, False]),
            np.array([5.0, 8.0, 20.0, 100.0]),
        ),
    ]
    for label, values, found, edges in cases:
        result = attempt(
            completeness_in_bins,
            label,
            "an empty bin gives NaN, and a bin with no lens found gives 0",
            values,
            found,
            edges,
        )
        got = array(result, f"completeness_in_bins on {label}")
        expected = binned_completeness(values, found, edges).completeness
        if got.shape != expected.shape:
            raise CheckFailed(
                f"on {label}: your result has shape {got.shape}; {len(edges)} edges make "
                f"{len(edges) - 1} bin(s), so expected shape {expected.shape}."
            )
        if not close(got, expected):
            raise CheckFailed(
                f"on {label}: your completeness per bin is {vec(got)}, expected {vec(expected)} — "
                "bins as in np.histogram (the last includes its right edge), NaN for an empty bin."
            )
