"""Lab 04 (strong-lens detection) self-checks: reading FITS cut-outs, normalising stamps, a residual block,
the lens-finding challenge's TPR at N false positives, and completeness in bins.

Each question runs the student's code on hand-made cases (where the answer can be worked out on paper,
ties included) and on fresh ones, and compares with a reference: astropy for FITS, the properties a
normalisation must have, the Keras graph the block builds, and ``course_utils.metrics`` for the metrics.
When the answer is wrong, the message says what is wrong and, when one of the common mistakes listed
below reproduces the answer, what that mistake is. Keras is imported only inside the residual-block
check, so importing this module does not choose a Keras backend.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from astropy.io import fits

from course_utils.checks import keras_compat
from course_utils.checks.core import CheckFailed, question
from course_utils.checks.toolkit import Crashed, array, build_block, call, close, diagnose, number, sentence, vec
from course_utils.metrics import binned_completeness, tpr_at_fp

LAB = "lab04"


def _num(x: float) -> str:
    return "nan" if np.isnan(x) else f"{x:.4g}"


# ---------------------------------------------------------------------------------------------------
# Exercise 1: read one object's FITS cut-outs, one file per band, into a channels-last array


def _fits_cases(folder: Path):
    """(label, paths, expected (H, W, bands) float32). Stamps are 12 rows x 16 columns, so a transposed
    answer shows; every band holds different numbers, so a wrong band order shows."""
    rng = np.random.default_rng(404)
    cases = []
    for label, n_bands, dtype in (
        ("3 bands stored as float32 (like the challenge's stamps)", 3, np.float32),
        ("5 bands stored as float64", 5, np.float64),
        ("1 band", 1, np.float32),
    ):
        bands = [(rng.normal(0, 10, size=(12, 16)) + 100 * k).astype(dtype) for k in range(n_bands)]
        paths = []
        for k, band in enumerate(bands):
            path = folder / f"Band{k + 1}" / f"imageSIM_B{k + 1}-{100000 + len(cases)}.fits"
            path.parent.mkdir(exist_ok=True)
            fits.PrimaryHDU(band).writeto(path, overwrite=True)
            paths.append(str(path))
        cases.append((label, paths, np.stack(bands, axis=-1).astype(np.float32)))
    return cases


@question(LAB, "read_stamp", points=2, target="read_stamp")
def check_read_stamp(read_stamp) -> None:
    """read_stamp(paths) -> float32 (H, W, n_bands) of the FITS files ``paths`` (one per band, in order)."""
    with tempfile.TemporaryDirectory(prefix="lab04-check-") as folder:
        for label, paths, expected in _fits_cases(Path(folder)):
            got = array(call(read_stamp, f"the {len(paths)} FITS files of {label}", list(paths)), "read_stamp")
            n_rows, n_cols, n_bands = expected.shape
            if got.shape != expected.shape:
                hints = {
                    (n_bands, n_rows, n_cols): "the bands are on the first axis: stack them on the last one "
                    "(channels last, Keras' layout), np.stack(..., axis=-1)",
                    (n_cols, n_rows, n_bands): "rows and columns are swapped: FITS data already arrive as "
                    "(rows, columns), keep them so",
                    (n_rows, n_cols): "the channel axis is missing: keep it even for one band",
                }
                hint = hints.get(got.shape, f"one {n_rows}×{n_cols} image per path, stacked on a last axis")
                raise CheckFailed(
                    f"for {label} ({n_rows} rows × {n_cols} columns) your array has shape "
                    f"{got.shape}, expected {expected.shape} — {sentence(hint)}"
                )
            if got.dtype != np.dtype(np.float32):
                why = (
                    f"{got.dtype.str} is big-endian, as FITS stores numbers; NumPy reads it but Keras and "
                    "many libraries want the machine's native order"
                    if got.dtype.byteorder == ">"
                    else f"it is {got.dtype}"
                )
                raise CheckFailed(
                    f"for {label} your array has dtype {got.dtype.str}, expected native float32 "
                    f"({why}): convert with .astype(np.float32)."
                )
            if np.array_equal(got, expected):
                continue
            if n_bands > 1 and np.array_equal(got, expected[..., ::-1]):
                raise CheckFailed(
                    f"for {label} the bands come out in reverse: keep the order of `paths` "
                    "(blue to red), band k from paths[k]."
                )
            if n_bands > 1 and all(np.array_equal(got[..., k], expected[..., 0]) for k in range(n_bands)):
                raise CheckFailed(f"for {label} every band holds the first file's image: read each path in turn.")
            raise CheckFailed(
                f"for {label} the pixel values differ from the files' (first difference at "
                f"{tuple(int(i) for i in np.argwhere(got != expected)[0])}): return the data "
                "as stored, without scaling or normalising them here."
            )


# ---------------------------------------------------------------------------------------------------
# Exercise 2: per-image, per-band normalisation that outliers cannot dominate

NORMALISE_RECIPE = (
    "for each image and each band separately: subtract a robust centre (the median) and divide "
    "by a robust spread (1.4826 × the median absolute deviation, or a percentile range), then "
    "compress the bright end (np.arcsinh) or clip it"
)


def _test_stamps() -> np.ndarray:
    """Four 24x24 stamps in 3 bands (float32): sky levels and noise that differ per band, a galaxy in each."""
    rng = np.random.default_rng(2017)
    y, x = np.mgrid[:24, :24] - 11.5
    galaxy = np.exp(-0.5 * (x**2 + y**2) / 3.0**2)
    sky, noise = np.array([5.0, 40.0, 200.0]), np.array([1.0, 3.0, 10.0])
    images = sky + noise * rng.normal(size=(4, 24, 24, 3))
    images += galaxy[None, :, :, None] * rng.uniform(20, 200, size=(4, 1, 1, 3)) * noise
    return images.astype(np.float32)


def _normalise(normalise_stamps, images: np.ndarray, what: str) -> np.ndarray:
    try:
        out = call(normalise_stamps, f"{what} of shape {images.shape}", images)
    except Crashed as crash:
        if crash.kind == "ValueError" and "broadcast" in crash.error:
            raise CheckFailed(
                f"normalise_stamps raised a broadcasting error on {what} of shape {images.shape}: "
                f"{crash.error[:160]}. Keep the reduced axes (keepdims=True) so each image's and "
                "band's statistics line up with its pixels."
            ) from None
        raise
    out = array(out, "normalise_stamps")
    if out.shape != images.shape:
        raise CheckFailed(
            f"on {what} of shape {images.shape} normalise_stamps returned shape {out.shape}: "
            "every pixel of every band keeps its place, so the shape must not change."
        )
    return out


def _changed(after: np.ndarray, before: np.ndarray) -> bool:
    scale = max(float(np.std(before)), 1e-12)
    return not np.allclose(after, before, rtol=0, atol=1e-3 * scale)


@question(LAB, "normalise_stamps", points=2, target="normalise_stamps")
def check_normalise_stamps(normalise_stamps) -> None:
    """normalise_stamps(images (n, H, W, bands)) -> float32 array of the same shape, normalised per image and
    per band, unchanged by each band's sky level and scale, and robust to a hot pixel."""
    images = _test_stamps()
    base = _normalise(normalise_stamps, images, "four stamps")
    if base.dtype != np.dtype(np.float32):
        raise CheckFailed(
            f"normalise_stamps returned dtype {base.dtype}; return float32 (.astype(np.float32)), "
            "Keras' default: float64 doubles the memory of the training set for nothing."
        )
    if not np.isfinite(base).all():
        raise CheckFailed("the output holds NaN or inf on ordinary stamps: " + NORMALISE_RECIPE + ".")
    blank = images.copy()
    blank[1, :, :, 2] = 0.0
    if not np.isfinite(_normalise(normalise_stamps, blank, "stamps where one band is blank (all zeros)")).all():
        raise CheckFailed(
            "a band whose pixels are all equal (a blank or masked stamp, as real surveys have) gives "
            "NaN or inf: its spread is 0. Divide by np.maximum(spread, a small positive number)."
        )
    if np.ptp(base[0, :, :, 0]) == 0:
        raise CheckFailed("every pixel of a band comes out the same: the image is gone. " + NORMALISE_RECIPE + ".")
    order = np.argsort(images[0, :, :, 0], axis=None)
    if np.any(np.diff(base[0, :, :, 0].ravel()[order]) < -1e-6 * np.ptp(base[0, :, :, 0])):
        raise CheckFailed(
            "a brighter pixel comes out fainter than a fainter one: the normalisation must keep the "
            "order of brightness within a band (is a sign flipped, e.g. median − x?)."
        )

    other = images.copy()
    other[0] = other[0] * 50 + 1000
    if _changed(_normalise(normalise_stamps, other, "four stamps")[1:], base[1:]):
        raise CheckFailed(
            "making stamp 0 brighter changed the normalised stamps 1, 2 and 3: the statistics come "
            "from the whole batch. Compute them per image, over axis=(1, 2)."
        )
    other = images.copy()
    other[1, :, :, 0] = other[1, :, :, 0] * 50 + 1000
    changed = _normalise(normalise_stamps, other, "four stamps")
    if _changed(changed[1, :, :, 1:], base[1, :, :, 1:]):
        raise CheckFailed(
            "making the first band of stamp 1 brighter changed its other bands: the statistics "
            "mix the bands. Bands differ in sky level and noise, so compute each band's own, over "
            "axis=(1, 2) only (not axis=(1, 2, 3))."
        )

    other = images.copy()
    other[2, :, :, 1] += 64.0
    if _changed(_normalise(normalise_stamps, other, "four stamps")[2, :, :, 1], base[2, :, :, 1]):
        raise CheckFailed(
            "adding a constant (a different sky level) to one band changed its normalised pixels: "
            "subtract each band's median, its sky level, first."
        )
    other = images.copy()
    other[2, :, :, 1] *= 8.0
    if _changed(_normalise(normalise_stamps, other, "four stamps")[2, :, :, 1], base[2, :, :, 1]):
        raise CheckFailed(
            "multiplying one band by 8 (a longer exposure) changed its normalised pixels: divide "
            "by the band's spread (1.4826 × median absolute deviation, or a percentile range)."
        )

    hot = images.copy()
    hot[3, 5, 7, 0] = images[3, :, :, 0].max() + 1e6  # a cosmic ray
    with_ray = _normalise(normalise_stamps, hot, "four stamps, one with a cosmic ray")
    rest = np.ones(images.shape[1:3], bool)
    rest[5, 7] = False
    before, after = base[3, :, :, 0][rest], with_ray[3, :, :, 0][rest]
    if not np.allclose(after, before, rtol=0, atol=0.2 * max(float(np.std(before)), 1e-12)):
        ratio = np.std(after) / max(float(np.std(before)), 1e-30)
        raise CheckFailed(
            f"one hot pixel (a cosmic ray of 10⁶ counts) changed the rest of its band: their spread "
            f"became {ratio:.3g} × what it was. The mean, standard deviation, minimum and maximum "
            "are not robust to outliers; use the median and the median absolute deviation (or "
            "percentiles)."
        )
    peak = float(np.max(np.abs(with_ray[3, :, :, 0])))
    if peak > 50:
        raise CheckFailed(
            f"the cosmic ray comes out as {peak:.3g}, while the sky is of order 1: one pixel would "
            "dominate the network's input. Compress the bright end (np.arcsinh) or clip it."
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 3: a residual block with a projection shortcut when the shape changes

BLOCK_CASES = (  # (input shape, filters, stride)
    ((16, 16, 8), 8, 1),
    ((16, 16, 8), 16, 1),
    ((16, 16, 8), 8, 2),
    ((16, 16, 8), 16, 2),
)
BLOCK_RULE = (
    "y = Conv2D(filters, 3, strides=stride, padding='same') → BatchNormalization → ReLU → "
    "Conv2D(filters, 3, padding='same') → BatchNormalization; shortcut = x, or a 1×1 "
    "Conv2D(filters, strides=stride) of x when the shape changes; return ReLU(y + shortcut)"
)


def _shortcut_path(tensor, model, keras) -> list | None:
    """The operations from the block's input to ``tensor`` when ``tensor`` is a shortcut: the input itself,
    or reached through at most three single-input 1x1 convolutions, batch normalisations, poolings or identities."""
    path, block_input = [], model.inputs[0]
    while tensor is not block_input:
        operation = keras_compat.producer(tensor, model)
        if operation is None or len(path) == 3 or isinstance(operation, keras.layers.InputLayer):
            return None
        linear = isinstance(
            operation,
            (
                keras.layers.BatchNormalization,
                keras.layers.Identity,
                keras.layers.AveragePooling2D,
                keras.layers.MaxPooling2D,
            ),
        ) or (isinstance(operation, keras.layers.Conv2D) and tuple(operation.kernel_size) == (1, 1))
        inputs = keras_compat.inputs_of(operation)
        if not linear or len(inputs) != 1:
            return None
        path.append(operation)
        tensor = inputs[0]
    return path


def _is_add(operation, keras) -> bool:
    """A layers.Add, or the `+` / keras.ops.add operation."""
    return isinstance(operation, keras.layers.Add) or (
        not isinstance(operation, keras.layers.Layer) and type(operation).__name__ == "Add"
    )


def _shape_text(shape) -> str:
    return "×".join(str(s) for s in shape[1:])


def _block_model(residual_block, input_shape, filters, stride):
    label = f"an input of shape {_shape_text((None, *input_shape))} with filters={filters}, stride={stride}"
    try:
        model = build_block(residual_block, label, input_shape, filters, stride=stride)
    except Crashed as crash:
        text = crash.error.lower()
        if (
            crash.kind == "ValueError"
            and "shape" in text
            and ("incompatible" in text or "broadcast" in text or "same shape" in text)
        ):
            expected = _shape_text((None, input_shape[0] // stride, input_shape[1] // stride, filters))
            raise CheckFailed(
                f"with {label} adding the shortcut failed ({crash.kind}: {crash.error[:160]}). "
                f"Branch and shortcut must both have the block's output shape, {expected}, while "
                f"the input is {_shape_text((None, *input_shape))}: apply the stride only once in "
                "the branch (in its first convolution), and when the stride or the number of "
                f"channels changes, project the shortcut with a 1×1 Conv2D({filters}, "
                f"strides={stride})."
            ) from None
        raise
    return model, label


@question(LAB, "residual_block", points=2, target="residual_block")
def check_residual_block(residual_block) -> None:
    """residual_block(x, filters, stride=1) -> the output tensor of a ResNet basic block (He et al. 2016)."""
    import keras

    for input_shape, filters, stride in BLOCK_CASES:
        model, label = _block_model(residual_block, input_shape, filters, stride)
        expected = (None, input_shape[0] // stride, input_shape[1] // stride, filters)
        got = tuple(model.outputs[0].shape)
        if got != expected:
            hint = (
                "the stride was not used: the first convolution (and the projection) take strides=stride"
                if got[1:3] == input_shape[:2] and stride > 1
                else "the stride is applied more than once: only the first convolution (and the projection) "
                "take strides=stride"
                if got[1] is not None and got[1] < expected[1]
                else f"the block's convolutions should have `filters` = {filters} filters"
                if got[-1] != filters
                else BLOCK_RULE
            )
            raise CheckFailed(
                f"with {label} the block's output has shape {_shape_text(got)}, expected "
                f"{_shape_text(expected)} — {sentence(hint)}"
            )
        adds = [op for op in model.operations if _is_add(op, keras)]
        if not adds:
            raise CheckFailed(
                f"with {label} the block has no addition: a residual block adds its input (the "
                "shortcut) to the output of its convolutions, layers.Add()([y, shortcut])."
            )
        paths = [
            path
            for add in adds
            for tensor in keras_compat.inputs_of(add)
            if (path := _shortcut_path(tensor, model, keras)) is not None
        ]
        if not paths:
            raise CheckFailed(
                f"with {label} no addition takes the block's input x (or its 1×1 projection): "
                "the shortcut must carry x past the convolutions, layers.Add()([y, shortcut])."
            )
        projected = any(isinstance(op, keras.layers.Conv2D) for op in paths[0])
        changes_shape = stride != 1 or filters != input_shape[-1]
        if projected and not changes_shape:
            raise CheckFailed(
                f"with {label} the shapes already match, so the shortcut should be x itself (the "
                "identity, which lets the gradient pass unchanged); yours goes through a 1×1 "
                "convolution. Project only when the stride or the number of filters changes."
            )
        convs_3x3 = [
            op
            for op in keras_compat.all_layers(model)
            if isinstance(op, keras.layers.Conv2D) and tuple(op.kernel_size) == (3, 3)
        ]
        if len(convs_3x3) < 2 or any(op.filters != filters for op in convs_3x3):
            raise CheckFailed(
                f"with {label} the block has {len(convs_3x3)} 3×3 convolution(s) with "
                f"{sorted(op.filters for op in convs_3x3)} filters; the residual branch holds two "
                f"3×3 convolutions with `filters` = {filters} filters each: {BLOCK_RULE}."
            )


# ---------------------------------------------------------------------------------------------------
# Exercise 4: TPR at N false positives (the lens-finding challenge's TPR0 and TPR10)

TPR_RULE = (
    "threshold = the (n_fp + 1)-th highest non-lens score (so at most n_fp non-lenses lie strictly "
    "above it; with n_fp or fewer non-lenses, no threshold at all); TPR = the fraction of lenses scored "
    "strictly above it"
)


def _tpr_cases():
    """(label, y_true, scores, n_fp, fresh)."""
    rng = np.random.default_rng(10)
    y_random = (rng.random(300) < 0.4).astype(int)
    scores_random = np.round(np.clip(rng.normal(0.35 + 0.3 * y_random, 0.2), 0, 1), 2)  # many ties
    # Every common mistake gives a different TPR here at n_fp = 1, so the message can name it.
    plain = (np.array([1, 1, 1, 0, 1, 1, 0, 0, 1]), np.array([0.4, 0.5, 0.45, 0.15, 0.1, 0.3, 0.25, 0.35, 0.2]))
    return [
        ("9 candidates, no ties", *plain, 1, False),
        ("9 candidates, no ties", *plain, 0, False),
        ("9 candidates, 3 non-lenses", *plain, 3, False),
        (
            "a lens tied with the highest non-lens",
            np.array([1, 0, 1, 0, 1]),
            np.array([0.8, 0.8, 0.5, 0.4, 0.9]),
            0,
            False,
        ),
        (
            "a lens tied with the second-highest non-lens",
            np.array([0, 1, 0, 1]),
            np.array([0.9, 0.5, 0.5, 0.1]),
            1,
            False,
        ),
        ("two non-lenses tied at the top", np.array([0, 0, 1, 0, 1]), np.array([0.7, 0.7, 0.6, 0.2, 0.9]), 1, False),
        ("300 fresh candidates with ties", y_random, scores_random, 0, True),
        ("300 fresh candidates with ties", y_random, scores_random, 10, True),
    ]


def _tpr_variant(
    y,
    s,
    n_fp,
    *,
    count=False,
    all_objects=False,
    ties_found=False,
    offset=0,
    from_all_scores=False,
    lowest=False,
    missed=False,
) -> float:
    """TPR at n_fp false positives with one common mistake switched on by each keyword."""
    pool = np.sort(s if from_all_scores else s[y == 0])
    pool = pool if lowest else pool[::-1]
    index = n_fp + offset
    threshold = pool[index] if 0 <= index < len(pool) else (pool[index] if -len(pool) <= index < 0 else -np.inf)
    if threshold == -np.inf and not from_all_scores:  # every lens found, whatever the slip in counting them
        return 0.0 if missed else 1.0
    found = np.count_nonzero((s[y == 1] >= threshold) if ties_found else (s[y == 1] > threshold))
    if count:
        return float(found)
    if missed:
        return 1 - found / np.count_nonzero(y == 1)
    return found / (len(y) if all_objects else np.count_nonzero(y == 1))


TPR_MISTAKES = (
    (
        dict(ties_found=True),
        "a lens scored exactly like the non-lens at the threshold cannot be selected without "
        "selecting that non-lens too: count only lenses scored strictly above the threshold",
    ),
    (
        dict(lowest=True),
        "sort the non-lens scores from high to low: the false positives are the highest-scored "
        "non-lenses, and the threshold is the (n_fp + 1)-th of them (index n_fp)",
    ),
    (
        dict(offset=-1),
        "off by one: with n_fp false positives allowed, the threshold is the (n_fp + 1)-th highest "
        "non-lens score, not the n_fp-th",
    ),
    (
        dict(offset=1),
        "off by one: the (n_fp + 1)-th highest non-lens score is the threshold (index n_fp of the "
        "scores sorted from high to low), not the (n_fp + 2)-th",
    ),
    (dict(count=True), "return the fraction of lenses found (a rate between 0 and 1), not their number"),
    (dict(all_objects=True), "divide by the number of lenses, not of all candidates"),
    (dict(missed=True), "that is the fraction of lenses missed; return the fraction found"),
    (
        dict(from_all_scores=True),
        "take the threshold from the non-lenses' scores only (y_true == 0): only they make false positives",
    ),
)


@question(LAB, "tpr_at_fp", points=2, target="tpr_at_fp")
def check_tpr_at_fp(tpr_at_fp_answer) -> None:
    """tpr_at_fp(y_true, scores, n_fp) -> true-positive rate with at most n_fp false positives."""
    cases = _tpr_cases()
    answers = []
    for label, y, s, n_fp, _ in cases:
        try:
            result = call(tpr_at_fp_answer, f"{label} with n_fp = {n_fp}", y, s, n_fp)
        except Crashed as crash:
            if crash.kind != "IndexError":
                raise
            raise CheckFailed(
                f"on {label} with n_fp = {n_fp} your function raised IndexError ({crash.error[:120]}). "
                f"With {np.count_nonzero(y == 0)} non-lenses and n_fp = {n_fp}, every non-lens may be "
                "selected: there is no (n_fp + 1)-th non-lens score, so every lens counts as "
                "found."
            ) from None
        answers.append(number(result, f"tpr_at_fp on {label} with n_fp = {n_fp}"))
    mistakes = [(hint, [_tpr_variant(y, s, n_fp, **kw) for _, y, s, n_fp, _ in cases]) for kw, hint in TPR_MISTAKES]
    for (label, y, s, n_fp, fresh), got in zip(cases, answers):
        expected = tpr_at_fp(y, s, n_fp)
        if close(got, expected):
            continue
        fallback = (
            "the hand-made cases pass but this one does not: are scores or thresholds hard-coded?"
            if fresh
            else TPR_RULE
        )
        hint = diagnose(answers, mistakes) or fallback
        raise CheckFailed(
            f"on {label} with n_fp = {n_fp}: your TPR is {_num(got)}, expected {_num(expected)} — {sentence(hint)}"
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 5: completeness in bins of Einstein radius or S/N

COMPLETENESS_RULE = (
    "for each bin [edges[k], edges[k+1]) (the last bin includes its right edge, as in "
    "np.histogram): lenses found in the bin / lenses in the bin, NaN for an empty bin; values "
    "outside the edges are ignored"
)


def _completeness_cases():
    """(label, values, found, edges, fresh)."""
    rng = np.random.default_rng(14)
    snr = np.exp(rng.uniform(np.log(5), np.log(200), 400))
    snr_found = rng.random(400) < np.clip(np.log(snr / 5) / 2.5, 0, 1)
    return [
        (
            "7 lenses in 5 bins of Einstein radius, one bin empty, one lens on the last edge",
            np.array([0.6, 0.8, 1.2, 1.5, 1.5, 2.9, 3.0]),
            np.array([True, False, True, True, False, True, False]),
            np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0]),
            False,
        ),
        (
            "lenses outside the edges",
            np.array([0.2, 0.7, 0.9, 3.5, 1.8]),
            np.array([True, False, True, True, False]),
            np.array([0.5, 1.0, 2.0]),
            False,
        ),
        ("400 fresh lenses in 6 bins of S/N", snr, snr_found, np.geomspace(5, 200, 7), True),
    ]


def _completeness_variant(
    values, found, edges, *, counts=False, over_all=False, zero_empty=False, missed=False, drop_last_edge=False
) -> np.ndarray:
    if drop_last_edge:
        keep = values < edges[-1]
        values, found = values[keep], found[keep]
    table = binned_completeness(values, found, edges)
    if counts:
        return table.found.astype(float)
    if over_all:
        return table.found / max(np.count_nonzero((values >= edges[0]) & (values <= edges[-1])), 1)
    result = 1 - table.completeness if missed else table.completeness
    return np.nan_to_num(result, nan=0.0) if zero_empty else result


COMPLETENESS_MISTAKES = (
    (
        dict(zero_empty=True),
        "an empty bin has no completeness: return NaN there, not 0 (0 would claim every lens in it was missed)",
    ),
    (dict(counts=True), "return the fraction found in each bin, not the number found"),
    (dict(over_all=True), "divide by the number of lenses in each bin, not by all lenses"),
    (dict(missed=True), "that is the fraction missed in each bin; return the fraction found"),
    (
        dict(drop_last_edge=True),
        "a lens exactly on the last edge belongs to the last bin, as in np.histogram (np.digitize leaves it out)",
    ),
)


@question(LAB, "completeness_in_bins", points=2, target="completeness_in_bins")
def check_completeness_in_bins(completeness_in_bins) -> None:
    """completeness_in_bins(values, found, edges) -> (len(edges) - 1,) fraction of lenses found per bin."""
    cases = _completeness_cases()
    answers = [
        array(call(completeness_in_bins, label, values, found, edges), f"completeness_in_bins on {label}")
        for label, values, found, edges, _ in cases
    ]
    mistakes = [
        (hint, [_completeness_variant(*case[1:4], **kw) for case in cases]) for kw, hint in COMPLETENESS_MISTAKES
    ]
    for (label, values, found, edges, fresh), got in zip(cases, answers):
        expected = binned_completeness(values, found, edges).completeness
        if got.shape != expected.shape:
            hint = (
                " (one value per bin: n + 1 edges make n bins)"
                if got.shape in ((len(edges),), (len(edges) - 2,))
                else ""
            )
            raise CheckFailed(
                f"on {label}: your result has shape {got.shape}; {len(edges)} edges make "
                f"{len(edges) - 1} bins, so expected shape {expected.shape}{hint}."
            )
        if close(got, expected):
            continue
        fallback = (
            "the hand-made cases pass but this one does not: are the bins or values hard-coded?"
            if fresh
            else COMPLETENESS_RULE
        )
        hint = diagnose(answers, mistakes) or fallback
        raise CheckFailed(
            f"on {label}: your completeness per bin is {vec(got)}, expected {vec(expected)} — {sentence(hint)}"
        )
