"""Lab 06 (beyond classification) self-checks: bias and scatter of a regression in bins, the Gaussian negative
log-likelihood loss, the coverage of predicted intervals, a U-Net, and the KL divergence of a VAE.

Each question runs the student's code on hand-made cases and on fresh ones and compares with a NumPy
reference; when the answer is wrong, the message names the case and, when one of the common mistakes listed
below reproduces the answer on every case, that mistake. The losses are written with ``keras.ops`` and
return tensors, which are compared as NumPy arrays. Keras is imported only inside the U-Net check, so
importing this module does not choose a Keras backend.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from course_utils.checks import keras_compat
from course_utils.checks.core import CheckFailed, question
from course_utils.checks.toolkit import Crashed, array, call, close, diagnose, number, sentence, vec

LAB = "lab06"
LOG_2PI = np.log(2 * np.pi)


def _shape_hint(got: tuple, expected: tuple) -> str:
    return f"your result has shape {got}, expected {expected}"


# ---------------------------------------------------------------------------------------------------
# Exercise 1: bias and scatter of predicted - true, in bins of the true value


def bins_of(values: np.ndarray, edges: np.ndarray, *, last_edge_in: bool = True) -> np.ndarray:
    """Bin index of each value as np.histogram bins them (-1 outside the edges)."""
    index = np.searchsorted(edges, values, side="right") - 1
    if last_edge_in:
        index[values == edges[-1]] = len(edges) - 2
    index[(values < edges[0]) | (values > edges[-1]) | (index > len(edges) - 2)] = -1
    return index


def bias_scatter_reference(
    true,
    predicted,
    edges,
    *,
    by_predicted=False,
    flipped=False,
    rms=False,
    ddof=0,
    absolute=False,
    empty=np.nan,
    last_edge_in=True,
    relative=False,
    swapped=False,
):
    """(bias, scatter) per bin, with one common mistake switched on by each keyword."""
    true, predicted, edges = (np.asarray(a, float) for a in (true, predicted, edges))
    error = (true - predicted) if flipped else (predicted - true)
    error = error / true if relative else error
    index = bins_of(predicted if by_predicted else true, edges, last_edge_in=last_edge_in)
    bias, scatter = np.full(len(edges) - 1, empty), np.full(len(edges) - 1, empty)
    for k in range(len(edges) - 1):
        chosen = error[index == k]
        if chosen.size > ddof:
            bias[k] = np.mean(np.abs(chosen)) if absolute else chosen.mean()
            scatter[k] = np.sqrt(np.mean(chosen**2)) if rms else chosen.std(ddof=ddof)
        elif chosen.size:
            bias[k] = chosen.mean()
    return np.array([scatter, bias] if swapped else [bias, scatter])


BIAS_MISTAKES = (
    (
        dict(by_predicted=True),
        "the lenses are binned by their predicted value: bin them by the TRUE value "
        "(the question is how wrong the network is for lenses of a given θE)",
    ),
    (
        dict(flipped=True),
        "the bias has the wrong sign: the error is predicted − true (positive when the network over-predicts)",
    ),
    (
        dict(rms=True),
        "the scatter is the root-mean-square error, which includes the bias: take the standard "
        "deviation around the bin's mean error (np.std)",
    ),
    (dict(ddof=1), "use NumPy's default standard deviation (ddof=0), not the sample one (ddof=1)"),
    (
        dict(absolute=True),
        "the bias is the mean of the errors themselves, with their signs, not of their absolute "
        "values: errors in both directions cancel in a bias",
    ),
    (dict(empty=0.0), "an empty bin has neither bias nor scatter: return NaN there, not 0"),
    (
        dict(last_edge_in=False),
        "a lens exactly on the last edge belongs to the last bin, as in np.histogram (np.digitize leaves it out)",
    ),
    (dict(relative=True), "the errors are in arcsec, predicted − true, not divided by the true value"),
    (dict(swapped=True), "return (bias, scatter) in that order"),
)
BIAS_RULE = (
    "bin by the true value (bins as np.histogram's); per bin, bias = mean(predicted − true) and "
    "scatter = its standard deviation (ddof=0); NaN for an empty bin"
)


def _bias_cases():
    """(label, true, predicted, edges, fresh)."""
    rng = np.random.default_rng(606)
    true = rng.uniform(0.5, 3.0, 300)
    predicted = true + rng.normal(0.3 - 0.2 * true, 0.1 + 0.05 * true)
    return [
        (
            "7 lenses in 5 bins, one bin empty, one lens on an inner edge and one on the last edge",
            np.array([0.6, 0.8, 1.2, 1.5, 1.6, 2.9, 3.0]),
            np.array([0.9, 1.0, 1.1, 1.3, 1.95, 2.5, 2.4]),
            np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0]),
            False,
        ),
        (
            "lenses outside the edges",
            np.array([0.2, 0.7, 0.9, 3.5, 1.8]),
            np.array([0.6, 0.8, 1.4, 3.0, 1.2]),
            np.array([0.5, 1.0, 2.0]),
            False,
        ),
        ("300 fresh lenses in 10 bins", true, predicted, np.linspace(0.5, 3.0, 11), True),
    ]


def _as_pair(result, label: str, n_bins: int) -> np.ndarray:
    got = array(result, f"bias_and_scatter on {label}")
    if got.shape != (2, n_bins):
        hint = (
            "you returned one array of shape (n_bins, 2): return the two arrays as a tuple, (bias, scatter)"
            if got.shape == (n_bins, 2)
            else f"return two arrays, (bias, scatter), of {n_bins} numbers each: n + 1 edges make n bins"
        )
        raise CheckFailed(f"on {label}: {_shape_hint(got.shape, (2, n_bins))} — {sentence(hint)}")
    return got.astype(float)


@question(LAB, "bias_and_scatter", points=2, target="bias_and_scatter")
def check_bias_and_scatter(bias_and_scatter) -> None:
    """bias_and_scatter(true, predicted, edges) -> (bias, scatter) per bin of the true value."""
    cases = _bias_cases()
    answers = [
        _as_pair(call(bias_and_scatter, label, true, predicted, edges), label, len(edges) - 1)
        for label, true, predicted, edges, _ in cases
    ]
    mistakes = [(hint, [bias_scatter_reference(*case[1:4], **kw) for case in cases]) for kw, hint in BIAS_MISTAKES]
    for (label, true, predicted, edges, fresh), got in zip(cases, answers):
        expected = bias_scatter_reference(true, predicted, edges)
        if close(got, expected):
            continue
        fallback = (
            "the hand-made cases pass but this one does not: are the bins or values hard-coded?" if fresh else BIAS_RULE
        )
        hint = diagnose(answers, mistakes) or fallback
        which = "bias" if not close(got[0], expected[0]) else "scatter"
        raise CheckFailed(
            f"on {label}: your {which} per bin is {vec(got[0 if which == 'bias' else 1])}, expected "
            f"{vec(expected[0 if which == 'bias' else 1])} — {sentence(hint)}"
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 2: the Gaussian negative log-likelihood of a mean and a log-variance


def nll_reference(
    y_true,
    y_pred,
    *,
    constant=False,
    variance=False,
    log_sigma=False,
    no_half=False,
    no_log_term=False,
    multiplied=False,
    columns_swapped=False,
) -> np.ndarray:
    """Per-sample NLL of y_true (n, 1) under N(y_pred[:, 0], exp(y_pred[:, 1])), or a common mistake."""
    y = np.asarray(y_true, float)[:, 0]
    mean, second = np.asarray(y_pred, float).T
    if columns_swapped:
        mean, second = second, mean
    with np.errstate(invalid="ignore", divide="ignore"):
        if variance:  # the second column taken as the variance itself
            log_var, var = np.log(second), second
        elif log_sigma:  # ... or as log σ
            log_var, var = 2 * second, np.exp(2 * second)
        else:
            log_var, var = second, np.exp(second)
        squared = (y - mean) ** 2 * var if multiplied else (y - mean) ** 2 / var
    loss = (0.0 if no_log_term else log_var) + squared
    loss = loss if no_half else 0.5 * loss
    return loss + (0.5 * LOG_2PI if constant else 0.0)


NLL_MISTAKES = (
    (
        dict(variance=True),
        "column 1 is the LOG of the variance: σ² = exp(y_pred[:, 1]) (a logarithm, so that any "
        "output of the network is a valid, positive variance)",
    ),
    (dict(log_sigma=True), "column 1 is log σ², not log σ: σ² = exp(log_var), not exp(2 · log_var)"),
    (dict(no_half=True), "the NLL is half of log σ² + (y − μ)²/σ²: multiply by 0.5"),
    (
        dict(no_log_term=True),
        "the log σ² term is missing: without it the network can make every σ huge and the loss vanishes",
    ),
    (dict(multiplied=True), "the squared error is divided by σ², i.e. multiplied by exp(−log σ²), not exp(+log σ²)"),
    (dict(columns_swapped=True), "the mean is column 0 and the log-variance column 1 of y_pred"),
)
NLL_RULE = "per lens 0.5 · (log σ² + (y − μ)² / σ²) with μ = y_pred[:, 0], log σ² = y_pred[:, 1], y = y_true[:, 0]"


def _nll_cases():
    """(label, y_true (n, 1), y_pred (n, 2), fresh): values exact in float32, as Keras passes them."""
    rng = np.random.default_rng(616)
    fresh_true = rng.uniform(0.5, 3.0, (50, 1))
    fresh_pred = np.stack([fresh_true[:, 0] + rng.normal(0, 0.3, 50), rng.uniform(-4, 1, 50)], axis=1)
    cases = [
        (
            "a batch of 4 lenses",
            np.array([[1.0], [2.0], [0.5], [3.0]]),
            np.array([[1.0, 0.0], [1.5, -1.0], [0.9, 0.5], [2.0, -2.0]]),
            False,
        ),
        (
            "a batch of 3 lenses",
            np.array([[1.2], [2.5], [0.7]]),
            np.array([[1.4, 0.3], [2.0, -0.5], [0.7, -3.0]]),
            False,
        ),
        ("a fresh batch of 50 lenses", fresh_true, fresh_pred, True),
    ]
    return [(label, *(a.astype(np.float32).astype(float) for a in (y, p)), fresh) for label, y, p, fresh in cases]


def _call_on_tensors(fn, case: str, write: str, *arrays: np.ndarray):
    """``fn(*arrays)`` on float32 arrays; a crash of NumPy on a backend's tensors says to ``write`` with keras.ops."""
    try:
        return call(fn, case, *(a.astype(np.float32) for a in arrays))
    except Crashed as crash:
        if "dtype" in crash.error or "ufunc" in crash.error:
            raise CheckFailed(f"{crash} — write {write}, not NumPy, so it runs on every backend's tensors.") from None
        raise


def _nll_answer(gaussian_nll, label, y_true, y_pred) -> np.ndarray:
    n = len(y_true)
    result = _call_on_tensors(
        gaussian_nll,
        f"{label}, y_true of shape {y_true.shape} and y_pred of shape {y_pred.shape}",
        "the loss with keras.ops (ops.exp, ops.square)",
        y_true,
        y_pred,
    )
    got = array(result, f"gaussian_nll on {label}").astype(float)
    if got.shape == (n, n):
        raise CheckFailed(
            f"on {label} your loss has shape {got.shape}, expected ({n},): y_true has shape "
            f"({n}, 1), and ({n}, 1) − ({n},) broadcasts to a ({n}, {n}) table of every lens against "
            "every prediction. Take y_true[:, 0]."
        )
    if got.shape in ((), (1,)):
        raise CheckFailed(
            f"on {label} your loss is one number; return the NLL of each lens, shape ({n},) (do not "
            "average over the batch: Keras does, and weighs samples when asked to)."
        )
    if got.shape != (n,):
        raise CheckFailed(f"on {label}: {_shape_hint(got.shape, (n,))}, one NLL per lens.")
    return got


@question(LAB, "gaussian_nll", points=2, target="gaussian_nll")
def check_gaussian_nll(gaussian_nll) -> None:
    """gaussian_nll(y_true (n, 1), y_pred (n, 2)) -> per-sample Gaussian NLL (n,), the constant optional."""
    cases = _nll_cases()
    answers = [_nll_answer(gaussian_nll, label, y, p) for label, y, p, _ in cases]
    with_constant = all(close(got, nll_reference(y, p, constant=True)) for got, (_, y, p, _) in zip(answers, cases))
    if with_constant:
        return
    mistakes = [(hint, [nll_reference(y, p, **kw) for _, y, p, _ in cases]) for kw, hint in NLL_MISTAKES]
    mistakes += [
        (hint, [nll_reference(y, p, constant=True, **kw) for _, y, p, _ in cases]) for kw, hint in NLL_MISTAKES
    ]
    for (label, y, p, fresh), got in zip(cases, answers):
        expected = nll_reference(y, p)
        if close(got, expected):
            continue
        fallback = "the hand-made cases pass but this one does not: is something hard-coded?" if fresh else NLL_RULE
        hint = diagnose(answers, mistakes) or fallback
        raise CheckFailed(
            f"on {label}: your NLL per lens is {vec(got[:4])}{' …' if len(got) > 4 else ''}, "
            f"expected {vec(expected[:4])}{' …' if len(got) > 4 else ''} — {sentence(hint)}"
        )


# ---------------------------------------------------------------------------------------------------
# Exercise 3: the share of true values inside the predicted central interval


def coverage_reference(
    y_true,
    mean,
    log_var,
    level,
    *,
    z_one=False,
    sigma_is_variance=False,
    one_sided=False,
    outside=False,
    count=False,
    sigma_is_log_var=False,
) -> float:
    """Fraction of y_true inside mean ± z σ, or a common mistake."""
    y, mean, log_var = (np.asarray(a, float) for a in (y_true, mean, log_var))
    z = 1.0 if z_one else norm.ppf(level if one_sided else 0.5 + level / 2)
    sigma = log_var if sigma_is_log_var else np.exp(log_var if sigma_is_variance else 0.5 * log_var)
    inside = np.abs(y - mean) <= z * sigma
    found = np.count_nonzero(~inside if outside else inside)
    return float(found) if count else found / len(y)


COVERAGE_MISTAKES = (
    (
        dict(z_one=True),
        "the interval's half-width depends on the level: z σ with z = norm.ppf(0.5 + level / 2) "
        "(0.994 for 68 %, 1.645 for 90 %), not always 1 σ",
    ),
    (dict(sigma_is_variance=True), "exp(log_var) is the variance σ²; σ = exp(0.5 · log_var)"),
    (dict(sigma_is_log_var=True), "log_var is the logarithm of the variance: σ = exp(0.5 · log_var)"),
    (
        dict(one_sided=True),
        "norm.ppf(level) is a one-sided bound; the central interval holding `level` leaves "
        "(1 − level)/2 on each side: z = norm.ppf(0.5 + level / 2)",
    ),
    (dict(outside=True), "that is the share outside the interval; return the share inside"),
    (dict(count=True), "return the fraction inside (between 0 and 1), not the number of values"),
)
COVERAGE_RULE = "the mean over the values of |y − mean| ≤ z σ, with σ = exp(0.5 · log_var), z = norm.ppf(0.5 + level/2)"


def _coverage_cases():
    """(label, y_true, mean, log_var, level, fresh)."""
    rng = np.random.default_rng(626)
    mean = rng.uniform(0.5, 3.0, 400)
    log_var = rng.uniform(-4.0, 0.0, 400)
    y = mean + rng.normal(0, 1.3, 400) * np.exp(0.5 * log_var)
    hand = (
        np.array([1.0, 1.3, 0.2, 2.0, 2.1, 3.0, 0.9, 1.5]),
        np.array([1.1, 1.0, 0.8, 2.0, 1.6, 2.2, 1.0, 1.5]),
        np.log(np.array([0.3, 0.4, 0.5, 0.1, 0.45, 0.6, 0.05, 0.2]) ** 2),
    )
    return [
        ("8 lenses, level 0.68", *hand, 0.68, False),
        ("8 lenses, level 0.95", *hand, 0.95, False),
        ("8 lenses, level 0.2", *hand, 0.2, False),
        ("400 fresh lenses, level 0.68", y, mean, log_var, 0.68, True),
        ("400 fresh lenses, level 0.9", y, mean, log_var, 0.9, True),
    ]


@question(LAB, "interval_coverage", points=2, target="interval_coverage")
def check_interval_coverage(interval_coverage) -> None:
    """interval_coverage(y_true, mean, log_var, level) -> fraction of y_true inside the central interval."""
    cases = _coverage_cases()
    answers = [
        number(call(interval_coverage, label, y, m, lv, level), f"interval_coverage on {label}")
        for label, y, m, lv, level, _ in cases
    ]
    mistakes = [(hint, [coverage_reference(*case[1:5], **kw) for case in cases]) for kw, hint in COVERAGE_MISTAKES]
    for (label, y, m, lv, level, fresh), got in zip(cases, answers):
        expected = coverage_reference(y, m, lv, level)
        if close(got, expected):
            continue
        fallback = (
            "the hand-made cases pass but this one does not: is something hard-coded?" if fresh else COVERAGE_RULE
        )
        hint = diagnose(answers, mistakes) or fallback
        raise CheckFailed(f"on {label}: your coverage is {got:.4g}, expected {expected:.4g} — {sentence(hint)}")


# ---------------------------------------------------------------------------------------------------
# Exercise 4: a U-Net


UNET_CASES = (((32, 32, 3), 4, 2), ((16, 16, 1), 2, 1))  # (input shape, width, depth)
UNET_RULE = (
    "depth times: two 3×3 convolutions then a 2× down-sampling (keep the output before it for the skip); "
    "two convolutions at the bottom; depth times: up-sample 2×, Concatenate with the skip of that size, two "
    "convolutions; a last 1×1 Conv2D to input_shape[-1] channels, linear"
)


def _spatial_sizes(layer_list, keras) -> list[int]:
    sizes = []
    for layer in layer_list:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        if len(shape) == 4:
            sizes.append(shape[1])
    return sizes


def _unet_model(build_unet, input_shape, width, depth, keras):
    label = f"build_unet({input_shape}, width={width}, depth={depth})"
    try:
        model = call(build_unet, label, input_shape, width=width, depth=depth)
    except Crashed as crash:
        if crash.kind != "ValueError" or "oncatenate" not in crash.error:
            raise
        raise CheckFailed(
            f"{label}: a Concatenate joins tensors of different sizes ({crash.error[:150]}). The "
            "skip is the encoder's output saved before MaxPooling2D, and the decoder up-samples "
            "(UpSampling2D) before concatenating, so both have the same size."
        ) from None
    if not isinstance(model, keras.Model):
        raise CheckFailed(
            f"{label} returned {type(model).__name__}; return the keras.Model from the input to the "
            "output, keras.Model(inputs, outputs)."
        )
    return model, label


def _graph_holding(layer, model, keras):
    """``model``, or the model nested in it (a U-Net wrapped as one layer) whose graph holds ``layer``."""
    nested = [inner for inner in keras_compat.all_layers(model) if isinstance(inner, keras.Model)]
    return next(
        (graph for graph in (model, *nested) if any(op is layer for op in keras_compat.operations(graph))), model
    )


def check_unet_structure(build_unet, input_shape, width, depth) -> None:
    """The checks of one U-Net: shapes, skips by Concatenate at every level, down-sampling depth, linear output."""
    import keras

    model, label = _unet_model(build_unet, input_shape, width, depth, keras)
    expected = (None, *input_shape)
    if tuple(model.input_shape) != expected:
        raise CheckFailed(
            f"{label} takes inputs of shape {model.input_shape}, expected {expected}: start from "
            "keras.Input(input_shape)."
        )
    if tuple(model.output_shape) != expected:
        hint = (
            f"the last layer should be a 1×1 Conv2D with input_shape[-1] = {input_shape[-1]} filters: the "
            "restored image has the bands of the input"
            if tuple(model.output_shape[1:3]) == input_shape[:2]
            else "every down-sampling needs an up-sampling, so that the output is as large as the input"
        )
        raise CheckFailed(f"{label} gives outputs of shape {model.output_shape}, expected {expected} — {hint}.")
    inside = keras_compat.all_layers(model)
    smallest = min(_spatial_sizes(inside, keras))
    if smallest != input_shape[0] // 2**depth:
        raise CheckFailed(
            f"{label}: the smallest feature maps are {smallest}×{smallest} pixels, expected "
            f"{input_shape[0] // 2**depth}×{input_shape[0] // 2**depth}: down-sample by 2 exactly "
            f"`depth` = {depth} times (MaxPooling2D or a strided convolution)."
        )
    joins = [layer for layer in inside if isinstance(layer, keras.layers.Concatenate)]
    if not joins:
        adds = [layer for layer in inside if isinstance(layer, keras.layers.Add)]
        raise CheckFailed(
            f"{label} has no Concatenate layer: "
            + (
                "skips added (Add) mix the encoder's features into the decoder's; a U-Net concatenates them, "
                "layers.Concatenate()([up, skip]), so the decoder gets both"
                if adds
                else "without skip connections it is a plain autoencoder, and the fine detail lost in the bottleneck cannot "
                "come back. Concatenate each up-sampled tensor with the encoder's output of the same size"
            )
            + "."
        )
    sizes = sorted({layer.output.shape[1] for layer in joins}, reverse=True)
    wanted = [input_shape[0] // 2**level for level in range(depth)]
    if sizes != wanted or len(joins) != depth:
        raise CheckFailed(
            f"{label} concatenates at {len(joins)} place(s), at sizes {sizes}; expected one skip per "
            f"level, at sizes {wanted}: {UNET_RULE}."
        )
    for join in joins:
        parts = keras_compat.inputs_of(join)
        graph = _graph_holding(join, model, keras)
        if len(parts) != 2 or any(keras_compat.producer(part, graph) is None for part in parts):
            raise CheckFailed(
                f"{label}: a Concatenate should join two tensors, the up-sampled one and the "
                "encoder's skip of the same size."
            )
        if len({id(keras_compat.producer(part, graph)) for part in parts}) == 1:
            raise CheckFailed(
                f"{label}: a Concatenate joins a tensor with itself; join the up-sampled tensor with "
                "the encoder's output of the same size (saved before down-sampling)."
            )
    first = next(layer for layer in inside if isinstance(layer, keras.layers.Conv2D))
    if first.filters != width:
        raise CheckFailed(
            f"{label}: the first convolution has {first.filters} filters, expected width = {width} "
            "(doubling at each level down)."
        )
    last = keras_compat.producer(model.outputs[0], model)
    activation = getattr(getattr(last, "activation", None), "__name__", "linear")
    if activation != "linear":
        raise CheckFailed(
            f"{label}: the output layer has activation '{activation}'; a restored image is any real "
            "number (fluxes after normalisation can be negative), so the last layer is linear "
            "(no activation)."
        )


@question(LAB, "build_unet", points=2, target="build_unet")
def check_build_unet(build_unet) -> None:
    """build_unet(input_shape, width, depth) -> a keras.Model U-Net with one Concatenate skip per level."""
    for input_shape, width, depth in UNET_CASES:
        check_unet_structure(build_unet, input_shape, width, depth)


# ---------------------------------------------------------------------------------------------------
# Exercise 5: the KL divergence of a VAE's codes


def kl_reference(
    z_mean, z_log_var, *, sign=1.0, mean_over_latent=False, no_half=False, log_sigma=False, no_exp=False
) -> np.ndarray:
    """KL(N(μ, σ²) || N(0, 1)) per sample, summed over the latent axis, or a common mistake."""
    mean, log_var = np.asarray(z_mean, float), np.asarray(z_log_var, float)
    if log_sigma:
        log_var = 2 * log_var
    variance = log_var if no_exp else np.exp(log_var)
    terms = 1 + log_var - mean**2 - variance
    total = terms.mean(axis=-1) if mean_over_latent else terms.sum(axis=-1)
    return sign * (-1.0 if no_half else -0.5) * total


KL_MISTAKES = (
    (dict(sign=-1.0), "the sign is flipped: D_KL = −0.5 Σ (1 + log σ² − μ² − σ²), which is never negative"),
    (
        dict(mean_over_latent=True),
        "sum over the latent dimensions (ops.sum(..., axis=-1)), do not average them: "
        "the KL of independent dimensions adds up",
    ),
    (dict(no_half=True), "the factor is −0.5, not −1"),
    (dict(log_sigma=True), "z_log_var is log σ², not log σ: σ² = exp(z_log_var)"),
    (dict(no_exp=True), "σ² is exp(z_log_var), not z_log_var itself"),
)
KL_RULE = "−0.5 · sum over the last axis of (1 + z_log_var − z_mean² − exp(z_log_var)), one value per sample"


def _kl_cases():
    """(label, z_mean, z_log_var, fresh): values exact in float32."""
    rng = np.random.default_rng(636)
    cases = [
        (
            "3 codes of 2 dimensions",
            np.array([[0.0, 0.0], [1.0, -0.5], [0.3, 2.0]]),
            np.array([[0.0, 0.0], [-1.0, 0.5], [0.2, -2.0]]),
            False,
        ),
        (
            "2 codes of 3 dimensions",
            np.array([[0.5, -1.0, 0.1], [0.0, 0.4, -0.3]]),
            np.array([[0.3, -0.7, 0.0], [-2.0, 0.1, 0.6]]),
            False,
        ),
        ("20 fresh codes of 4 dimensions", rng.normal(0, 1, (20, 4)), rng.normal(-0.5, 0.8, (20, 4)), True),
    ]
    return [(label, *(a.astype(np.float32).astype(float) for a in (m, lv)), fresh) for label, m, lv, fresh in cases]


def _kl_answer(kl_divergence, label, z_mean, z_log_var) -> np.ndarray:
    n = len(z_mean)
    result = _call_on_tensors(
        kl_divergence,
        f"{label} (z_mean and z_log_var of shape {z_mean.shape})",
        "it with keras.ops (ops.sum, ops.exp, ops.square)",
        z_mean,
        z_log_var,
    )
    got = array(result, f"kl_divergence on {label}").astype(float)
    if got.shape in ((), (1,)):
        raise CheckFailed(
            f"on {label} your KL divergence is one number; return one per sample, shape ({n},): sum "
            "over the latent axis only (axis=-1), the layer averages over the batch."
        )
    if got.shape == z_mean.shape:
        raise CheckFailed(
            f"on {label} your result has shape {got.shape}, one value per latent dimension: sum over "
            f"the latent axis (axis=-1) to get one per sample, shape ({n},)."
        )
    if got.shape != (n,):
        raise CheckFailed(f"on {label}: {_shape_hint(got.shape, (n,))}, one KL divergence per sample.")
    return got


@question(LAB, "kl_divergence", points=2, target="kl_divergence")
def check_kl_divergence(kl_divergence) -> None:
    """kl_divergence(z_mean, z_log_var) -> (batch,) KL divergence from N(0, 1), summed over the latent axis."""
    cases = _kl_cases()
    answers = [_kl_answer(kl_divergence, label, m, lv) for label, m, lv, _ in cases]
    mistakes = [(hint, [kl_reference(m, lv, **kw) for _, m, lv, _ in cases]) for kw, hint in KL_MISTAKES]
    for (label, m, lv, fresh), got in zip(cases, answers):
        expected = kl_reference(m, lv)
        if close(got, expected):
            continue
        fallback = "the hand-made cases pass but this one does not: is something hard-coded?" if fresh else KL_RULE
        hint = diagnose(answers, mistakes) or fallback
        raise CheckFailed(
            f"on {label}: your KL divergences are {vec(got[:4])}{' …' if len(got) > 4 else ''}, "
            f"expected {vec(expected[:4])}{' …' if len(got) > 4 else ''} — {sentence(hint)}"
        )
