"""dm–dt images (Mahabal et al. 2017): a light curve of n epochs as the 2-D histogram of its n(n-1)/2 pairs.

For every pair of epochs i < j (in time order) the pair falls in the cell of (dm, dt) = (m_j - m_i, t_j - t_i).
The grid has 23 bins of dm (rows) and 24 of dt (columns), finer where most pairs fall: in dt, within a night
(minutes apart), around whole days and out to years; in dm, near zero. Bins include their left edge only and
pairs outside the grid are dropped. Each image is divided by the light curve's number of pairs, so it does
not depend on how many epochs it has. The counting is done by the ``light-curve`` package's ``DmDt``
(Malanchev et al. 2021), in compiled code and in parallel.
"""

from __future__ import annotations

import numpy as np

DT_EDGES = np.array(
    [
        0.0,
        1 / 145,
        2 / 145,
        3 / 145,
        4 / 145,
        1 / 25,
        2 / 25,
        3 / 25,
        0.5,
        1.5,
        2.5,
        3.5,
        4.5,
        5.5,
        7,
        10,
        20,
        30,
        60,
        90,
        120,
        240,
        600,
        960,
        2000,
    ]
)  # days: 24 bins
DM_EDGES = np.array(
    [
        -8,
        -5,
        -3,
        -2,
        -1.5,
        -1,
        -0.6,
        -0.35,
        -0.2,
        -0.1,
        -0.05,
        -0.02,
        0.02,
        0.05,
        0.1,
        0.2,
        0.35,
        0.6,
        1,
        1.5,
        2,
        3,
        5,
        8,
    ]
)  # mag: 23 bins, one centred on 0


def dmdt_images(time, mag, mask=None, *, dt_edges=DT_EDGES, dm_edges=DM_EDGES) -> np.ndarray:
    """dm–dt images of a batch: time, mag (n, L) (days, mag; rows sorted in time), mask (n, L) bool of the
    real epochs (default all) -> float32 (n, len(dm_edges) - 1, len(dt_edges) - 1): per cell, the fraction
    of the light curve's pairs that fall in it."""
    from light_curve import DmDt

    time, mag = np.asarray(time, dtype=np.float64), np.asarray(mag, dtype=np.float64)
    if time.ndim != 2 or time.shape != mag.shape:
        raise ValueError(f"time and mag must be arrays of the same shape (n, L), got {time.shape} and {mag.shape}.")
    mask = np.ones(time.shape, bool) if mask is None else np.asarray(mask, dtype=bool)
    grid = DmDt(dt=np.asarray(dt_edges, float), dm=np.asarray(dm_edges, float), dt_type="asis", dm_type="asis")
    curves = [(t[k], m[k]) for t, m, k in zip(time, mag, mask)]
    if any(np.any(np.diff(t) < 0) for t, _ in curves):
        raise ValueError("each light curve's times must be sorted: sort every row by time (np.argsort) first.")
    counts = grid.points_many(curves, sorted=True) if curves else np.zeros((0, *grid.shape))
    n = mask.sum(axis=1)
    images = counts / np.maximum(n * (n - 1) / 2, 1)[:, None, None]
    return np.ascontiguousarray(np.swapaxes(images, 1, 2), dtype=np.float32)  # (n, dm, dt): dm down the rows
