"""Figures the notebooks share. Each function draws on a new or given Axes and returns the Figure."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np


def decision_regions(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray, *,
                     ax: plt.Axes | None = None, title: str = "", margin: float = 0.5,
                     resolution: int = 200) -> plt.Figure:
    """Colour the plane by ``predict`` (points (m, 2) -> labels (m,)) and overlay the labelled points.

    X: (n, 2) inputs; y: (n,) integer labels.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    regions = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(gx.shape)
    ax.contourf(gx, gy, regions, alpha=0.3, cmap="coolwarm", levels=np.arange(regions.max() + 2) - 0.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolor="k", s=60, zorder=3)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    return ax.figure
