"""Lab 05 (light curves) self-checks: phase folding, the dm–dt histogram of one light curve, a dm–dt CNN
ready for class-activation maps, the inputs of a recurrent network, and PLAsTiCC's weighted log-loss.

Each question runs the student's code on hand-made cases (worked out on paper) and on fresh ones, compares
with a reference (NumPy, ``course_utils.metrics``), and, when one of the common mistakes listed below
reproduces the answer, names it. Student code is called through the check toolkit (a crash names its case). Keras is imported only inside the CNN check, so importing this module does
not choose a Keras backend.
"""

from __future__ import annotations

import numpy as np

from course_utils.checks.core import CheckFailed, question
from course_utils.checks.toolkit import array, call, number, sentence
from course_utils.metrics import weighted_log_loss

LAB = "lab05"


# ---------------------------------------------------------------------------------------------------
# Lab-specific helpers (calls, coercion and sentences come from the check toolkit)


def _same(answer, expected, atol=1e-6) -> bool:
    answer = np.asarray(answer, dtype=float)
    return answer.shape == np.shape(expected) and bool(
        np.allclose(answer, expected, rtol=1e-6, atol=atol, equal_nan=True)
    )


def _matching_hint(answer, mistakes) -> str | None:
    for hint, result in mistakes:
        if _same(answer, result):
            return hint
    return None


# ---------------------------------------------------------------------------------------------------
# Exercise 1: phase folding

FOLD_RULE = "phase = ((time - t0) / period) mod 1, a number in [0, 1) (np.mod handles negative times)"


def _fold_cases():
    rng = np.random.default_rng(501)
    return [
        ("times 0, 0.25, 1.5, 2.75 days folded at P = 1 d", np.array([0.0, 0.25, 1.5, 2.75]), 1.0, 0.0, False),
        ("times 10, 11, 12.5 days at P = 2 d from t0 = 10", np.array([10.0, 11.0, 12.5]), 2.0, 10.0, False),
        ("times before t0 (P = 0.5 d, t0 = 3)", np.array([1.0, 2.2, 2.9, 3.1]), 0.5, 3.0, False),
        ("200 fresh MJDs at P = 0.5617 d", rng.uniform(59000, 60000, 200), 0.5617, 59001.3, True),
    ]


def _fold_variants(time, period, t0):
    return [
        ("the phase is in cycles, in [0, 1): do not multiply by 2π", np.mod((time - t0) / period, 1) * 2 * np.pi),
        ("subtract t0 first: phase = ((time - t0) / period) mod 1", np.mod(time / period, 1)),
        ("divide by the period (time / period counts cycles), do not multiply", np.mod((time - t0) * period, 1)),
        ("that is the number of cycles; keep only its fractional part, mod 1", (time - t0) / period),
        ("the phase goes from 0 to 1 (mod 1), not mod the period", np.mod(time - t0, period)),
    ]


@question(LAB, "phase_fold", points=2, target="phase_fold")
def check_phase_fold(phase_fold) -> None:
    """phase_fold(time, period, t0) -> phase in [0, 1) of each time."""
    for label, time, period, t0, fresh in _fold_cases():
        got = array(call(phase_fold, label, time, period, t0), f"phase_fold on {label}")
        expected = np.mod((time - t0) / period, 1.0)
        if got.shape != expected.shape:
            raise CheckFailed(
                f"on {label} your phases have shape {got.shape}, expected {expected.shape}: one phase per epoch."
            )
        # a phase of 0.99999999 and 0.0 are the same point of the cycle
        close = np.minimum(np.abs(got - expected), 1 - np.abs(got - expected)) < 1e-6
        if np.all(close) and np.all((got >= 0) & (got < 1 + 1e-9)):
            continue
        hint = _matching_hint(got, _fold_variants(time, period, t0))
        if hint is None and np.any(got < 0):
            hint = "a time before t0 gives a negative phase: use np.mod (or %), which returns values in [0, 1)"
        hint = hint or (
            "the hand-made cases pass but this one does not: is something hard-coded?" if fresh else FOLD_RULE
        )
        raise CheckFailed(
            f"on {label} your phases are {np.round(got[:4], 4).tolist()}, expected "
            f"{np.round(expected[:4], 4).tolist()} — {sentence(hint)}"
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 2: the dm–dt histogram of one light curve

DT_SMALL = np.array([0.0, 1.0, 10.0, 100.0])
DM_SMALL = np.array([-1.0, -0.1, 0.1, 1.0])
DMDT_RULE = (
    "every pair i < j once: dt = t[j] - t[i], dm = m[j] - m[i]; counts = np.histogram2d(dm, dt, "
    "bins=[dm_edges, dt_edges])[0], divided by the number of pairs n(n - 1)/2"
)


def _dmdt_reference(
    time,
    mag,
    dt_edges,
    dm_edges,
    *,
    all_pairs=False,
    both_orders=False,
    flipped=False,
    swapped=False,
    counts=False,
    by_epochs=False,
):
    time, mag = np.asarray(time, float), np.asarray(mag, float)
    n = len(time)
    i, j = np.nonzero(np.ones((n, n), bool)) if all_pairs or both_orders else np.triu_indices(n, k=1)
    if both_orders:
        keep = i != j
        i, j = i[keep], j[keep]
    dm = mag[i] - mag[j] if flipped else mag[j] - mag[i]
    dt = np.abs(time[j] - time[i]) if both_orders else time[j] - time[i]
    if swapped:
        h, _, _ = np.histogram2d(dt, dm, bins=[dt_edges, dm_edges])
    else:
        h, _, _ = np.histogram2d(dm, dt, bins=[dm_edges, dt_edges])
    if counts:
        return h
    return h / (n if by_epochs else max(n * (n - 1) / 2, 1))


DMDT_MISTAKES = (
    (
        dict(counts=True),
        "those are counts: divide by the number of pairs, n(n - 1)/2, so light curves with "
        "different numbers of epochs give comparable images",
    ),
    (
        dict(flipped=True),
        "dm has the wrong sign: dm = m[j] - m[i] for the later epoch j (a star that fades has dm > 0)",
    ),
    (
        dict(all_pairs=True),
        "the pairs (i, i) of an epoch with itself are counted: take i < j only, np.triu_indices(n, k=1)",
    ),
    (dict(both_orders=True), "every pair is counted twice, as (i, j) and (j, i): take i < j only"),
    (
        dict(swapped=True),
        "rows and columns are swapped: rows are dm bins, columns dt bins, "
        "np.histogram2d(dm, dt, bins=[dm_edges, dt_edges])",
    ),
    (dict(by_epochs=True), "divide by the number of pairs, n(n - 1)/2, not by the number of epochs"),
)


def _dmdt_cases():
    rng = np.random.default_rng(502)
    t = np.sort(rng.uniform(0, 90, 40))
    return [
        (
            "3 epochs at t = 0, 5, 50 d with m = 15.0, 15.5, 15.05",
            np.array([0.0, 5.0, 50.0]),
            np.array([15.0, 15.5, 15.05]),
            DT_SMALL,
            DM_SMALL,
            False,
        ),
        (
            "4 epochs, a star fading by 0.3 mag a day",
            np.array([0.0, 0.5, 2.0, 20.0]),
            np.array([14.0, 14.15, 14.6, 20.0]),
            DT_SMALL,
            DM_SMALL,
            False,
        ),
        (
            "40 fresh epochs on the course's 23 × 24 grid",
            t,
            17 + 0.3 * np.sin(t) + rng.normal(0, 0.05, 40),
            None,
            None,
            True,
        ),
    ]


@question(LAB, "dmdt_histogram", points=2, target="dmdt_histogram")
def check_dmdt_histogram(dmdt_histogram) -> None:
    """dmdt_histogram(time, mag, dt_edges, dm_edges) -> (len(dm_edges) - 1, len(dt_edges) - 1) fractions."""
    from course_utils.dmdt import DM_EDGES, DT_EDGES

    for label, time, mag, dt_edges, dm_edges, fresh in _dmdt_cases():
        dt_edges = DT_EDGES if dt_edges is None else dt_edges
        dm_edges = DM_EDGES if dm_edges is None else dm_edges
        got = array(call(dmdt_histogram, label, time, mag, dt_edges, dm_edges), f"dmdt_histogram on {label}")
        expected = _dmdt_reference(time, mag, dt_edges, dm_edges)
        if got.shape != expected.shape:
            hint = (
                " — rows are dm bins, columns dt bins: np.histogram2d(dm, dt, bins=[dm_edges, dt_edges])"
                if got.shape == expected.shape[::-1]
                else f": {len(dm_edges)} dm edges make {len(dm_edges) - 1} rows, {len(dt_edges)} dt edges "
                f"{len(dt_edges) - 1} columns"
            )
            raise CheckFailed(f"on {label} your image has shape {got.shape}, expected {expected.shape}{hint}.")
        if _same(got, expected):
            continue
        mistakes = [(hint, _dmdt_reference(time, mag, dt_edges, dm_edges, **kw)) for kw, hint in DMDT_MISTAKES]
        hint = _matching_hint(got, mistakes)
        hint = hint or (
            "the hand-made cases pass but this one does not: are the edges hard-coded?" if fresh else DMDT_RULE
        )
        raise CheckFailed(
            f"on {label} your image differs from the expected one (sum {got.sum():.4g}, expected "
            f"{expected.sum():.4g}; first differing cell {tuple(int(v) for v in np.argwhere(~np.isclose(got, expected))[0])}) "
            f"— {sentence(hint)}"
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 3: a dm–dt CNN ending in global average pooling and one dense layer


def _build(dmdt_cnn, input_shape, n_classes, keras):
    model = dmdt_cnn(input_shape, n_classes)
    if not isinstance(model, keras.Model):
        raise CheckFailed(
            f"dmdt_cnn should return a keras Model (keras.Sequential or keras.Model); it returned "
            f"{type(model).__name__}."
        )
    return model


@question(LAB, "dmdt_cnn", points=2, target="dmdt_cnn")
def check_dmdt_cnn(dmdt_cnn) -> None:
    """dmdt_cnn((23, 24, 1), k) -> a Keras model: Conv2D layers, GlobalAveragePooling2D, one softmax Dense."""
    import keras

    for input_shape, n_classes in (((23, 24, 1), 11), ((23, 24, 1), 3)):
        model = _build(dmdt_cnn, input_shape, n_classes, keras)
        if tuple(model.input_shape[1:]) != input_shape:
            raise CheckFailed(
                f"dmdt_cnn({input_shape}, {n_classes}) takes inputs of shape {model.input_shape}: "
                f"start from keras.Input(input_shape)."
            )
        if tuple(model.output_shape[1:]) != (n_classes,):
            raise CheckFailed(
                f"dmdt_cnn({input_shape}, {n_classes}) gives outputs of shape {model.output_shape}, "
                f"expected (None, {n_classes}): one probability per class (Dense(n_classes))."
            )
        if not any(isinstance(layer, keras.layers.Conv2D) for layer in model.layers):
            raise CheckFailed("the model has no Conv2D layer: a CNN convolves the dm–dt image.")
        convs = [k for k, layer in enumerate(model.layers) if isinstance(layer, keras.layers.Conv2D)]
        rest = [layer for layer in model.layers[convs[-1] + 1 :] if not isinstance(layer, keras.layers.Dropout)]
        if not (
            len(rest) == 2
            and isinstance(rest[0], keras.layers.GlobalAveragePooling2D)
            and isinstance(rest[1], keras.layers.Dense)
        ):
            names = ", ".join(type(layer).__name__ for layer in rest) or "nothing"
            raise CheckFailed(
                f"after the last Conv2D come {names}: for class-activation maps it must be "
                "GlobalAveragePooling2D and then the output Dense layer only (no Flatten, no "
                "hidden Dense layer, no further pooling)."
            )
        x = np.random.default_rng(503).random((4, *input_shape)).astype("float32")
        p = keras.ops.convert_to_numpy(model(x))
        if not np.allclose(p.sum(axis=1), 1.0, atol=1e-4) or np.any(p < 0):
            raise CheckFailed(
                "the outputs are not probabilities (they do not sum to 1 over the classes): give the "
                "last Dense layer activation='softmax', as the lab's loss "
                "sparse_categorical_crossentropy expects."
            )
    maps = model.layers[convs[-1]].output.shape
    if maps[1] < 5 or maps[2] < 5:
        raise CheckFailed(
            f"the last convolution's maps are only {maps[1]} × {maps[2]}: a 23 × 24 image pooled "
            "more than once leaves too little of the (Δt, Δm) layout to map; pool once at most."
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 4: inputs of the recurrent network

SEQUENCE_RULE = (
    "channel 0 = log(1 + dt) with dt the days since the previous epoch (0 for the first), channel 1 "
    "= mag minus the mean of the light curve's real epochs, channel 2 = err; zeros where mask is False"
)


def _sequence_reference(
    time, mag, err, mask, *, cumulative=False, no_log=False, padded_mean=False, no_centring=False, unmasked=False
):
    dt = time - time[:, :1] if cumulative else np.diff(time, axis=1, prepend=time[:, :1])
    counted = np.ones_like(mask) if padded_mean else mask
    mean = np.sum(np.where(counted, mag, 0), axis=1, keepdims=True) / np.maximum(counted.sum(1, keepdims=True), 1)
    centred = mag if no_centring else mag - mean
    x = np.stack([np.maximum(dt, 0) if no_log else np.log1p(np.maximum(dt, 0)), centred, err], axis=-1)
    return x if unmasked else np.where(mask[..., None], x, 0.0)


SEQUENCE_MISTAKES = (
    (
        dict(cumulative=True),
        "channel 0 holds the time since the *first* epoch: use the time since the previous "
        "one, np.diff(time, axis=1, prepend=time[:, :1])",
    ),
    (dict(no_log=True), "channel 0 is dt itself: take np.log1p(dt), so minutes and months are on one scale"),
    (
        dict(padded_mean=True),
        "the mean includes the padding (zeros): average over the real epochs only, "
        "sum(mag * mask) / sum(mask) per light curve",
    ),
    (dict(no_centring=True), "channel 1 is the magnitude itself: subtract each light curve's mean magnitude"),
    (dict(unmasked=True), "the padding is not zero: set every channel to 0 where mask is False, so Masking skips it"),
)


def _sequence_cases():
    time = np.array([[60000.0, 60000.5, 60003.5, 0.0], [60010.0, 60011.0, 60012.0, 60100.0]])
    mag = np.array([[15.0, 15.2, 15.4, 0.0], [18.0, 18.5, 17.5, 18.0]])
    err = np.array([[0.01, 0.01, 0.02, 0.0], [0.05, 0.06, 0.04, 0.05]])
    mask = np.array([[True, True, True, False], [True, True, True, True]])
    rng = np.random.default_rng(504)
    n, length = 30, 50
    count = rng.integers(3, length + 1, n)
    fresh_mask = np.arange(length)[None] < count[:, None]
    fresh_time = np.where(fresh_mask, 59000 + np.cumsum(rng.exponential(3, (n, length)), axis=1), 0)
    fresh_mag = np.where(fresh_mask, rng.normal(17, 0.5, (n, length)), 0)
    fresh_err = np.where(fresh_mask, rng.uniform(0.01, 0.1, (n, length)), 0)
    return [
        ("two light curves of 3 and 4 epochs (the first padded)", time, mag, err, mask, False),
        ("30 fresh light curves of 3 to 50 epochs", fresh_time, fresh_mag, fresh_err, fresh_mask, True),
    ]


@question(LAB, "sequence_inputs", points=2, target="sequence_inputs")
def check_sequence_inputs(sequence_inputs) -> None:
    """sequence_inputs(time, mag, err, mask) (n, L) -> float32 (n, L, 3)."""
    for label, time, mag, err, mask, fresh in _sequence_cases():
        result = call(sequence_inputs, label, time, mag, err, mask)
        got = array(result, f"sequence_inputs on {label}")
        expected = _sequence_reference(time, mag, err, mask)
        if got.shape != expected.shape:
            hint = (
                ": stack the three channels on a last axis, np.stack([...], axis=-1)"
                if got.shape == (3, *time.shape)
                else ": one row of 3 numbers per epoch, padding included"
            )
            raise CheckFailed(f"on {label} your inputs have shape {got.shape}, expected {expected.shape}{hint}.")
        if np.asarray(result).dtype != np.float32:
            raise CheckFailed(
                f"on {label} your inputs have dtype {np.asarray(result).dtype}; return float32 "
                "(.astype(np.float32)), the dtype Keras trains in."
            )
        if _same(got, expected, atol=1e-4):
            continue
        mistakes = [(hint, _sequence_reference(time, mag, err, mask, **kw)) for kw, hint in SEQUENCE_MISTAKES]
        hint = None
        for hint_text, variant in mistakes:
            if np.allclose(got, variant, atol=1e-4):
                hint = hint_text
                break
        channel = int(np.argwhere(~np.isclose(got, expected, atol=1e-4))[0][-1])
        hint = hint or (
            "the hand-made cases pass but this one does not: is something hard-coded?" if fresh else SEQUENCE_RULE
        )
        raise CheckFailed(f"on {label} channel {channel} differs from the expected one — {sentence(hint)}")


# ---------------------------------------------------------------------------------------------------
# Exercise 5: PLAsTiCC's class-weighted log-loss

LOG_LOSS_RULE = (
    "clip to [1e-15, 1 - 1e-15], renormalise each row, take the mean of -ln p[i, true class] within "
    "each class present in y_true, then the weighted mean over those classes"
)


def _log_loss_variant(y, p, w, *, unweighted_objects=False, no_weights=False, absent_weight=False, log10=False):
    if unweighted_objects:
        q = np.clip(p, 1e-15, 1 - 1e-15)
        q = q / q.sum(1, keepdims=True)
        return float(-np.mean(np.log(q[np.arange(len(y)), y])))
    if no_weights:
        return weighted_log_loss(y, p)
    if log10:
        return weighted_log_loss(y, p, w) / np.log(10)
    if absent_weight:
        present = np.bincount(y, minlength=p.shape[1]) > 0
        return weighted_log_loss(y, p, w) * np.sum(w * present) / np.sum(w)
    return weighted_log_loss(y, p, w)


LOG_LOSS_MISTAKES = (
    (
        dict(unweighted_objects=True),
        "that is the plain log-loss over objects: average within each class first, "
        "then over classes with the weights, so a rare class counts as much as a common one",
    ),
    (dict(no_weights=True), "the weights are not used: the mean over classes is weighted by `weights`"),
    (dict(absent_weight=True), "a class with no member in y_true still counts in the sum of weights: leave it out"),
    (dict(log10=True), "use the natural logarithm, np.log"),
)


def _log_loss_cases():
    rng = np.random.default_rng(505)
    y = rng.integers(0, 5, 200)
    y[y == 3] = 2  # class 3 absent
    logits = rng.normal(0, 1.5, (200, 5)) + 2 * np.eye(5)[y]
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return [
        (
            "3 objects of 2 classes, equal weights",
            np.array([0, 0, 1]),
            np.array([[0.8, 0.2], [0.5, 0.5], [0.1, 0.9]]),
            np.array([1.0, 1.0]),
            False,
        ),
        (
            "4 objects, class 1 weighted 2, class 2 absent",
            np.array([0, 1, 1, 0]),
            np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.25, 0.25, 0.5], [0.9, 0.05, 0.05]]),
            np.array([1.0, 2.0, 1.0]),
            False,
        ),
        (
            "a probability of exactly 0 for the true class",
            np.array([0, 1]),
            np.array([[1.0, 0.0], [1.0, 0.0]]),
            np.array([1.0, 1.0]),
            False,
        ),
        (
            "200 fresh objects of 5 classes (one absent), weights 1, 2, 1, 1, 2",
            y,
            p,
            np.array([1.0, 2.0, 1.0, 1.0, 2.0]),
            True,
        ),
    ]


@question(LAB, "plasticc_log_loss", points=2, target="plasticc_log_loss")
def check_plasticc_log_loss(plasticc_log_loss) -> None:
    """plasticc_log_loss(y_true, probabilities, weights) -> one number, PLAsTiCC's metric."""
    for label, y, p, w, fresh in _log_loss_cases():
        with np.errstate(divide="ignore", invalid="ignore"):
            got = number(call(plasticc_log_loss, label, y, p, w), f"plasticc_log_loss on {label}")
        expected = weighted_log_loss(y, p, w)
        if np.isclose(got, expected, rtol=1e-6):
            continue
        if not np.isfinite(got):
            raise CheckFailed(
                f"on {label} your log-loss is {got}: clip the probabilities to [1e-15, 1 - 1e-15] "
                "before the logarithm (a probability of 0 gives -inf)."
            )
        mistakes = [(hint, _log_loss_variant(y, p, w, **kw)) for kw, hint in LOG_LOSS_MISTAKES]
        hint = _matching_hint(got, mistakes)
        hint = hint or (
            "the hand-made cases pass but this one does not: is something hard-coded?" if fresh else LOG_LOSS_RULE
        )
        raise CheckFailed(f"on {label} your log-loss is {got:.6g}, expected {expected:.6g} — {sentence(hint)}")
