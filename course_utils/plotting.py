"""Figures the notebooks share. Each function draws on a new (or given) Axes and returns the Figure;
none calls ``plt.show()``: the notebook does, after any changes of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, roc_auc_score, roc_curve

from course_utils.metrics import binned_completeness, validate_binary


def decision_regions(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    ax: plt.Axes | None = None,
    title: str = "",
    margin: float = 0.5,
    resolution: int = 200,
) -> plt.Figure:
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


def image_grid(
    images,
    titles=None,
    *,
    ncols: int = 8,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    title_colors=None,
    panel_size: float = 1.4,
) -> plt.Figure:
    """Show images in a grid, one panel each, with an optional title per panel (a label, a probability).

    images: (n, H, W) or (n, H, W, 1) shown with ``cmap`` (each panel scaled to its own range unless
    vmin/vmax are given), or (n, H, W, 3) RGB: uint8 in 0..255 or floats in [0, 1] as they are; RGB floats
    outside [0, 1] (fluxes, standardised bands) are stretched per image to [0, 1].
    titles: n strings; title_colors: n colours (e.g. red for a wrong prediction); panel_size in inches.
    Pixels are drawn as blocks (no smoothing): true to the data, and light in a stored notebook.
    """
    images = _as_image_stack(images)
    n = len(images)
    for name, per_panel in (("titles", titles), ("title_colors", title_colors)):
        if per_panel is not None and len(per_panel) != n:
            raise ValueError(f"{name} has {len(per_panel)} entries for {n} images: give one per image.")
    if not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}.")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    title_lines = 0 if titles is None else max(str(title).count("\n") + 1 for title in titles)
    title_room = 0.2 * title_lines + 0.1 * (title_lines > 0)  # inches
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_size * ncols, (panel_size + title_room) * nrows), squeeze=False
    )
    for index, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if index >= n:
            continue
        image = images[index]
        if image.ndim == 2:
            ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        else:
            ax.imshow(_displayable_rgb(image), interpolation="nearest")
        if titles is not None:
            colour = {} if title_colors is None else {"color": title_colors[index]}
            ax.set_title(str(titles[index]), fontsize=9, **colour)
    fig.tight_layout()
    return fig


def rgb_composite(images, *, q=8.0, stretch=5.0):
    """Colour images (n, H, W, 3) uint8 of three-band stamps (n, H, W, 3) ordered blue to red (e.g. g, r, i).

    Each band is divided by its noise (median absolute deviation), so colours compare signal-to-noise, then
    Lupton et al. (2004)'s arcsinh stretch (astropy's ``make_lupton_rgb``) shows red from the reddest band
    and blue from the bluest. ``stretch`` is the linear range in noise sigmas: small values show faint arcs.
    """
    from astropy.visualization import make_lupton_rgb  # astropy's display tools: ~0.5 s, only when used

    images = np.asarray(images, np.float32)
    if images.ndim == 3:
        return rgb_composite(images[None], q=q, stretch=stretch)[0]
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"rgb_composite needs images of shape (n, H, W, 3), got {images.shape}; "
            "select three bands, e.g. images[..., :3]"
        )
    out = np.empty(images.shape, np.uint8)
    for k, image in enumerate(images):
        noise = 1.4826 * np.median(np.abs(image - np.median(image, axis=(0, 1))), axis=(0, 1))
        scaled = image / np.maximum(noise, np.finfo(np.float32).tiny)
        out[k] = make_lupton_rgb(scaled[..., 2], scaled[..., 1], scaled[..., 0], minimum=-1.0, stretch=stretch, Q=q)
    return out


def _as_image_stack(images) -> np.ndarray:
    """(n, H, W) for single-channel images, (n, H, W, 3) for RGB; anything else is a clear error."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] == 3)):
        raise ValueError(
            f"images must have shape (n, H, W), (n, H, W, 1) or (n, H, W, 3); got {images.shape}. "
            "One image: pass image[None]. Other band counts: choose one band (x[..., b]) or three."
        )
    if len(images) == 0:
        raise ValueError("images is empty: there is nothing to show.")
    if not (np.issubdtype(images.dtype, np.number) or images.dtype == bool):
        raise ValueError(f"images must be numbers; got dtype {images.dtype}.")
    return images


def _displayable_rgb(image: np.ndarray) -> np.ndarray:
    """An (H, W, 3) image imshow draws faithfully: uint8 as is, floats in [0, 1] as is, other floats stretched."""
    if image.dtype == np.uint8:
        return image
    image = image.astype(float)
    low, high = image.min(), image.max()
    if low >= 0 and high <= 1:
        return image
    return (image - low) / (high - low) if high > low else np.zeros_like(image)


def training_curves(history, metrics=None) -> plt.Figure:
    """Loss and metrics per epoch, training and validation side by side: one panel per quantity.

    history: a keras ``History`` (what ``model.fit`` returns) or its ``.history`` dict, e.g.
    {"loss": [...], "accuracy": [...], "val_loss": [...], "val_accuracy": [...]}.
    metrics: the quantities to draw (default: every one in the history, loss first).
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping) or not logs:
        raise ValueError(
            "history must be what model.fit returns (a History) or its non-empty .history dict; "
            f"got {type(history).__name__}."
        )
    names = [key for key in logs if not key.startswith("val_")]
    names += [key[4:] for key in logs if key.startswith("val_") and key[4:] not in logs]  # validation-only
    names.sort(key=lambda key: key != "loss")
    if metrics is not None:
        unknown = [m for m in metrics if m not in names]
        if unknown:
            raise ValueError(f"{unknown} not in the history; it has {names}.")
        names = list(metrics)
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.3), squeeze=False)
    for ax, name in zip(axes[0], names):
        for key, label, style in ((name, "training", "-o"), (f"val_{name}", "validation", "--s")):
            if key in logs:
                values = np.asarray(logs[key], dtype=float)
                ax.plot(np.arange(1, len(values) + 1), values, style, ms=3, label=label)
        ax.set(xlabel="epoch", ylabel=name, title=name)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
    fig.tight_layout()
    return fig


def confusion_matrix_plot(
    y_true, y_pred, class_names=None, *, normalize: bool = False, ax: plt.Axes | None = None, cmap: str = "Blues"
) -> plt.Figure:
    """Counts of (true class, predicted class): rows are the truth, columns the prediction.

    y_true, y_pred: (n,) integer labels 0 .. k-1; class_names: k names (default: the labels present).
    normalize=True divides each row by its total, so the diagonal is the accuracy within each true class.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must be 1-D label arrays of the same length; got shapes {y_true.shape} "
            f"and {y_pred.shape}. From probabilities (n, k), take y_pred = probabilities.argmax(axis=1)."
        )
    labels = None if class_names is None else np.arange(len(class_names))
    if ax is None:
        size = 0.5 * (len(class_names) if class_names is not None else len(np.union1d(y_true, y_pred))) + 1.5
        _, ax = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        display_labels=class_names,
        normalize="true" if normalize else None,
        values_format=".2f" if normalize else "d",
        cmap=cmap,
        ax=ax,
        colorbar=False,
    )
    ax.set_title("fraction of each true class" if normalize else "counts")
    return ax.figure


def roc_curve_plot(
    y_true, scores, operating_points=None, *, ax: plt.Axes | None = None, label: str | None = None
) -> plt.Figure:
    """ROC curve (true-positive rate against false-positive rate) with its area, and marked operating points.

    y_true: (n,) 0/1; scores: (n,) larger = more likely positive. operating_points: {name: score threshold},
    each marked where candidates with score > threshold are selected, e.g.
    ``{"TPR0": threshold_at_fp(y, s, 0), "TPR10": threshold_at_fp(y, s, 10)}`` from ``course_utils.metrics``.
    """
    positive, scores = validate_binary(y_true, scores)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.8, 4.4))
    fpr, tpr, _ = roc_curve(positive, scores)
    name = label or "classifier"
    ax.plot(fpr, tpr, label=f"{name} (AUROC = {roc_auc_score(positive, scores):.3f})")
    ax.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    for (point, threshold), marker in zip((operating_points or {}).items(), "osD^v<>p*h"):
        selected = scores > threshold
        point_fpr, point_tpr = np.mean(selected[~positive]), np.mean(selected[positive])
        ax.plot(
            point_fpr,
            point_tpr,
            marker,
            ms=8,
            mfc="none",
            mew=2,
            label=f"{point}: TPR = {point_tpr:.3f} at FPR = {point_fpr:.2g} (score > {threshold:.3g})",
        )
    ax.set(
        xlabel="false-positive rate",
        ylabel="true-positive rate (completeness)",
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        title="ROC curve",
    )
    ax.legend(loc="lower right", fontsize=8)
    return ax.figure


def completeness_plot(
    values, is_found, bins, xlabel: str, *, ax: plt.Axes | None = None, label: str | None = None
) -> plt.Figure:
    """Completeness (found / all positives) against a property, with 68 % binomial (Wilson) error bars.

    values: (n,) property of each positive (Einstein radius in arcsec, S/N, ...); is_found: (n,) bool;
    bins: a number of bins or their edges; xlabel: the property with its unit. Empty bins are left out.
    Pass the same ``ax`` with different ``label`` to compare selections on one plot.
    """
    table = binned_completeness(values, is_found, bins)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    filled = table.n > 0
    centres, completeness = table.centres[filled], table.completeness[filled]
    half_width = np.diff(table.edges)[filled] / 2
    ax.errorbar(
        centres,
        completeness,
        xerr=half_width,
        yerr=[completeness - table.lower[filled], table.upper[filled] - completeness],
        fmt="o",
        ms=4,
        capsize=2,
        label=label,
    )
    ax.set(xlabel=xlabel, ylabel="completeness", ylim=(0, 1.05), title=f"completeness against {xlabel}")
    if label is not None:
        ax.legend()
    return ax.figure
