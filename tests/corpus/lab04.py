"""Lab 04: typical wrong answers, written the way students write them, with the words their message must
contain; and other valid answers, which must pass."""

from __future__ import annotations

import keras
import numpy as np
from astropy.io import fits
from keras import layers

LAB, SOLUTION = "lab04", "04_strong_lenses.py"
MODULES = {"np": np, "fits": fits, "keras": keras, "layers": layers}
EXERCISES = ("read_stamp", "normalise_stamps", "residual_block", "tpr_at_fp", "completeness_in_bins")

# --- other correct answers ------------------------------------------------------------------------


def normalise_by_percentiles(images):
    """Clip each band of each stamp to its 1st..99.5th percentiles and scale to [0, 1]."""
    low = np.percentile(images, 1, axis=(1, 2), keepdims=True)
    high = np.percentile(images, 99.5, axis=(1, 2), keepdims=True)
    return ((np.clip(images, low, high) - low) / np.maximum(high - low, 1e-12)).astype(np.float32)


def residual_block_with_plus(x, filters, stride=1):
    """The `+` operator instead of layers.Add, and the projection's batch norm left out."""
    y = layers.Conv2D(filters, 3, strides=stride, padding="same")(x)
    y = layers.Activation("relu")(layers.BatchNormalization()(y))
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(y))
    shortcut = x if stride == 1 and x.shape[-1] == filters else layers.Conv2D(filters, 1, strides=stride)(x)
    return layers.Activation("relu")(y + shortcut)


def tpr_by_walking_down(y_true, scores, n_fp):
    """Walk the non-lens scores from the top; lenses strictly above the (n_fp + 1)-th one."""
    negatives = sorted(scores[y_true == 0], reverse=True)
    threshold = negatives[n_fp] if n_fp < len(negatives) else -np.inf
    return sum(s > threshold for s in scores[y_true == 1]) / sum(y_true == 1)


def completeness_with_loops(values, found, edges):
    result = []
    for k in range(len(edges) - 1):
        last = k == len(edges) - 2
        inside = (values >= edges[k]) & ((values <= edges[k + 1]) if last else (values < edges[k + 1]))
        result.append(found[inside].mean() if inside.any() else np.nan)
    return np.array(result)


# --- typical wrong answers, written the way students write them ------------------------------------


def read_stamp(*, axis=-1, transpose=False, dtype=np.float32, reverse=False, squeeze=False, subtract_median=False):
    def read(paths):
        bands = [fits.getdata(p) for p in (paths[::-1] if reverse else paths)]
        bands = [b.T if transpose else b for b in bands]
        stamp = np.stack(bands, axis=axis)
        stamp = stamp.astype(dtype) if dtype is not None else stamp
        stamp = stamp - np.median(stamp) if subtract_median else stamp
        return np.squeeze(stamp) if squeeze else stamp

    return read


def normalise(
    *,
    axis=(1, 2),
    keepdims=True,
    centre=np.median,
    robust=True,
    stretch=True,
    guard=True,
    dtype=np.float32,
    sign=1.0,
    subtract=True,
    divide=True,
):
    def run(images):
        images = np.asarray(images, dtype=np.float32)
        sky = centre(images, axis=axis, keepdims=keepdims) if axis is not None else centre(images)
        if robust:
            sigma = 1.4826 * np.median(np.abs(images - sky), axis=axis, keepdims=keepdims)
        else:
            sigma = np.std(images, axis=axis, keepdims=keepdims)
        sigma = np.maximum(sigma, 1e-30) if guard else sigma
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = sign * (images - (sky if subtract else 0)) / (sigma if divide else 1.0) / 3
        return (np.arcsinh(scaled) if stretch else scaled).astype(dtype)

    return run


def normalise_in_place(images):
    images -= np.median(images, axis=(1, 2), keepdims=True)
    images /= 1.4826 * np.median(np.abs(images), axis=(1, 2), keepdims=True) + 1e-30
    return np.arcsinh(images / 3)


def normalise_min_max(images):
    low, high = images.min(axis=(1, 2), keepdims=True), images.max(axis=(1, 2), keepdims=True)
    return ((images - low) / np.maximum(high - low, 1e-12)).astype(np.float32)


def residual_block(*, shortcut=True, project="when needed", stride_in="first", to_itself=False, returns_model=False):
    def block(x, filters, stride=1):
        first = stride if stride_in in ("first", "both") else 1
        second = stride if stride_in == "both" else 1
        stride = 1 if stride_in == "none" else stride  # the shortcut ignores it too
        y = layers.Conv2D(filters, 3, strides=first, padding="same", use_bias=False)(x)
        y = layers.Activation("relu")(layers.BatchNormalization()(y))
        y = layers.BatchNormalization()(layers.Conv2D(filters, 3, strides=second, padding="same", use_bias=False)(y))
        if not shortcut:
            out = layers.Activation("relu")(y)
        else:
            needed = {"when needed": stride != 1 or x.shape[-1] != filters, "always": True, "never": False}[project]
            skip = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x) if needed else x
            out = layers.Activation("relu")(layers.Add()([y, y if to_itself else skip]))
        return keras.Model(x, out) if returns_model else out

    return block


def tpr(
    *,
    ties_found=False,
    offset=0,
    count=False,
    all_objects=False,
    from_all=False,
    ascending=False,
    in_place=False,
    guard=True,
):
    def run(y_true, scores, n_fp):
        if in_place:
            scores.sort()
        pool = np.sort(scores if from_all else scores[y_true == 0])
        pool = pool if ascending else pool[::-1]
        if guard and n_fp + offset >= len(pool):
            return 1.0
        threshold = pool[n_fp + offset]
        lens_scores = scores[y_true == 1]
        found = np.sum(lens_scores >= threshold if ties_found else lens_scores > threshold)
        return found if count else found / (len(y_true) if all_objects else len(lens_scores))

    return run


def completeness(*, empty=np.nan, counts=False, over_all=False, missed=False, digitize=False, n_out=None):
    def run(values, found, edges):
        if digitize:
            index = np.digitize(values, edges) - 1
            in_bin = np.array([np.sum(index == k) for k in range(len(edges) - 1)])
            found_in_bin = np.array([np.sum(found[index == k]) for k in range(len(edges) - 1)])
        else:
            in_bin, _ = np.histogram(values, bins=edges)
            found_in_bin, _ = np.histogram(values[found], bins=edges)
        if counts:
            return found_in_bin
        if over_all:
            return found_in_bin / in_bin.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            result = np.where(in_bin > 0, found_in_bin / in_bin, empty)
        result = 1 - result if missed else result
        return np.append(result, 0.0) if n_out == "one more" else result

    return run


_WRONG_ANSWERS = [
    ("read_stamp", read_stamp(axis=0), "has shape (3, 12, 16), expected (12, 16, 3)", "stack them on the last one"),
    ("read_stamp", read_stamp(transpose=True), "has shape (16, 12, 3)", "rows and columns are swapped"),
    ("read_stamp", read_stamp(dtype=None), "5 bands stored as float64", "expected native float32"),
    ("read_stamp", read_stamp(dtype=">f4"), "dtype >f4", "big-endian"),
    ("read_stamp", read_stamp(reverse=True), "3 bands", "bands come out in reverse"),
    ("read_stamp", read_stamp(squeeze=True), "1 band", "channel axis is missing"),
    ("read_stamp", read_stamp(subtract_median=True), "pixel values differ", "as stored"),
    ("normalise_stamps", normalise(axis=None), "making stamp 0 brighter changed", "per image, over axis=(1, 2)"),
    ("normalise_stamps", normalise(axis=(1, 2, 3)), "changed its other bands", "not axis=(1, 2, 3)"),
    ("normalise_stamps", normalise(keepdims=False), "broadcasting error", "keepdims=True"),
    ("normalise_stamps", normalise(centre=np.mean, robust=False), "one hot pixel", "not robust"),
    ("normalise_stamps", normalise_min_max, "one hot pixel", "minimum and maximum"),
    ("normalise_stamps", normalise_in_place, "changed the array images passed to it", "new array"),
    ("normalise_stamps", normalise(stretch=False), "cosmic ray comes out as", "np.arcsinh"),
    ("normalise_stamps", normalise(guard=False), "blank or masked", "np.maximum(spread"),
    ("normalise_stamps", normalise(dtype=np.float64), "dtype float64", "float32"),
    ("normalise_stamps", normalise(subtract=False), "adding a constant", "median"),
    ("normalise_stamps", normalise(divide=False), "multiplying one band by 8", "spread"),
    ("normalise_stamps", normalise(sign=-1.0), "brighter pixel comes out fainter", "sign"),
    ("residual_block", residual_block(shortcut=False), "filters=8, stride=1", "has no addition"),
    (
        "residual_block",
        residual_block(project="never"),
        "filters=16, stride=1 adding the shortcut failed",
        "1×1 Conv2D(16, strides=1)",
    ),
    ("residual_block", residual_block(project="always"), "filters=8, stride=1", "should be x itself"),
    (
        "residual_block",
        residual_block(stride_in="none"),
        "has shape 16×16×8, expected 8×8×8",
        "the stride was not used",
    ),
    (
        "residual_block",
        residual_block(stride_in="both"),
        "stride=2 adding the shortcut failed",
        "apply the stride only once",
    ),
    ("residual_block", residual_block(to_itself=True), "filters=8, stride=1", "no addition takes the block's input"),
    ("residual_block", residual_block(returns_model=True), "returned Functional", "output tensor"),
    ("tpr_at_fp", tpr(ties_found=True), "a lens tied with the highest non-lens", "strictly above"),
    ("tpr_at_fp", tpr(offset=-1), "with n_fp = 1: your TPR is 0.5, expected 0.6667", "not the n_fp-th"),
    ("tpr_at_fp", tpr(offset=1), "with n_fp = 1", "not the (n_fp + 2)-th"),
    ("tpr_at_fp", tpr(count=True), "your TPR is 4, expected 0.6667", "not their number"),
    ("tpr_at_fp", tpr(all_objects=True), "your TPR is 0.4444, expected 0.6667", "divide by the number of lenses"),
    ("tpr_at_fp", tpr(from_all=True), "with n_fp = 1: your TPR is 0.1667", "non-lenses' scores only"),
    ("tpr_at_fp", tpr(ascending=True), "with n_fp = 0: your TPR is 0.8333, expected 0.5", "from high to low"),
    (
        "tpr_at_fp",
        lambda y, s, n_fp: 1 - tpr(guard=True)(y, s, n_fp),
        "your TPR is 0.3333",
        "fraction of lenses missed",
    ),
    ("tpr_at_fp", tpr(in_place=True), "changed the array scores passed to it", "a.sort()"),
    ("tpr_at_fp", tpr(guard=False), "3 non-lenses with n_fp = 3", "IndexError"),
    (
        "completeness_in_bins",
        completeness(empty=0.0),
        "your completeness per bin is [0.5, 1, 0.5, 0, 0.5]",
        "return NaN there",
    ),
    ("completeness_in_bins", completeness(counts=True), "expected [0.5, 1, 0.5, nan, 0.5]", "not the number found"),
    ("completeness_in_bins", completeness(over_all=True), "7 lenses", "not by all lenses"),
    ("completeness_in_bins", completeness(missed=True), "7 lenses", "fraction missed"),
    ("completeness_in_bins", completeness(digitize=True), "one lens on the last edge", "np.digitize leaves it out"),
    ("completeness_in_bins", completeness(n_out="one more"), "has shape (6,)", "n + 1 edges make n bins"),
]


WRONG = [(name, answer, (where, hint)) for name, answer, where, hint in _WRONG_ANSWERS]
VALID = [
    ("normalise_stamps", normalise_by_percentiles),
    ("residual_block", residual_block_with_plus),
    ("tpr_at_fp", tpr_by_walking_down),
    ("completeness_in_bins", completeness_with_loops),
]


# --- more wrong answers, and more valid ones ---------------------------------------------------------


def read_stamp_first_file_only(paths):
    first = fits.getdata(paths[0]).astype(np.float32)
    return np.stack([first] * len(paths), axis=-1)


def read_stamp_with_open(paths):
    bands = []
    for path in paths:
        with fits.open(path) as hdus:
            bands.append(np.asarray(hdus[0].data, dtype=np.float32))
    return np.dstack(bands)


def residual_block_with_ops_add(x, filters, stride=1):
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(y))
    if stride != 1 or x.shape[-1] != filters:
        x = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
    return layers.ReLU()(keras.ops.add(y, x))


def residual_block_returns_the_layer(x, filters, stride=1):
    return layers.Conv2D(filters, 3, strides=stride, padding="same")


def tpr_with_a_quantile(y_true, scores, n_fp):
    negatives = np.sort(scores[y_true == 0])
    threshold = negatives[-(n_fp + 1)] if n_fp < len(negatives) else -np.inf
    return np.count_nonzero(scores[y_true == 1] > threshold) / np.count_nonzero(y_true == 1)


def completeness_with_pandas_style_loops(values, found, edges):
    counts, _ = np.histogram(values, edges)
    hits, _ = np.histogram(values, edges, weights=found.astype(float))
    return np.divide(hits, counts, out=np.full(len(counts), np.nan), where=counts > 0)


def completeness_as_list(values, found, edges):
    return list(completeness(empty=np.nan)(values, found, edges))


WRONG += [
    ("read_stamp", read_stamp_first_file_only, ("every band holds the first file's image",)),
    ("read_stamp", lambda paths: None, ("read_stamp returned None", "return")),
    ("residual_block", residual_block_returns_the_layer, ("returned Conv2D", "output tensor")),
    ("tpr_at_fp", lambda y, s, n_fp: np.full(2, tpr()(y, s, n_fp)), ("should be one number", "shape (2,)")),
]
VALID += [
    ("read_stamp", read_stamp_with_open),
    ("residual_block", residual_block_with_ops_add),
    ("tpr_at_fp", tpr_with_a_quantile),
    ("completeness_in_bins", completeness_with_pandas_style_loops),
    ("completeness_in_bins", completeness_as_list),
]
