"""Lab 06: typical wrong answers, written the way students write them, with the words their message must
contain; and other valid answers, which must pass."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops
from scipy.stats import norm

LAB, SOLUTION = "lab06", "06_beyond_classification.py"
MODULES = {"np": np, "keras": keras, "layers": layers, "ops": ops, "norm": norm}
EXERCISES = ("bias_and_scatter", "gaussian_nll", "interval_coverage", "conv_pair", "build_unet", "kl_divergence")


# --- bias and scatter -----------------------------------------------------------------------------


def bias_scatter(
    *,
    by_predicted=False,
    flipped=False,
    rms=False,
    ddof=0,
    absolute=False,
    empty=np.nan,
    digitize=False,
    relative=False,
    swapped=False,
    stacked=False,
):
    def run(true, predicted, edges):
        true, predicted = np.asarray(true, float), np.asarray(predicted, float)
        error = true - predicted if flipped else predicted - true
        error = error / true if relative else error
        where = predicted if by_predicted else true
        if digitize:
            index = np.digitize(where, edges) - 1
        else:
            index = np.clip(np.searchsorted(edges, where, side="right") - 1, -1, len(edges) - 1)
            index[where == edges[-1]] = len(edges) - 2
            index[(where < edges[0]) | (where > edges[-1])] = -1
        bias, scatter = [], []
        for k in range(len(edges) - 1):
            chosen = error[index == k]
            if len(chosen) == 0:
                bias.append(empty)
                scatter.append(empty)
                continue
            bias.append(np.mean(np.abs(chosen)) if absolute else np.mean(chosen))
            scatter.append(np.sqrt(np.mean(chosen**2)) if rms else np.std(chosen, ddof=ddof))
        result = (np.array(scatter), np.array(bias)) if swapped else (np.array(bias), np.array(scatter))
        return np.stack(result, axis=1) if stacked else result

    return run


def bias_scatter_with_histograms(true, predicted, edges):
    """Sums, sums of squares and counts per bin from np.histogram: std² = E[e²] − E[e]²."""
    error = np.asarray(predicted) - np.asarray(true)
    counts, _ = np.histogram(true, edges)
    total, _ = np.histogram(true, edges, weights=error)
    squares, _ = np.histogram(true, edges, weights=error**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        bias = np.where(counts > 0, total / counts, np.nan)
        scatter = np.sqrt(np.maximum(np.where(counts > 0, squares / counts, np.nan) - bias**2, 0))
    return bias, scatter


def bias_scatter_as_list(true, predicted, edges):
    return list(bias_scatter()(true, predicted, edges))


# --- Gaussian NLL ---------------------------------------------------------------------------------


def nll(
    *,
    variance=False,
    log_sigma=False,
    no_half=False,
    no_log_term=False,
    multiplied=False,
    swapped=False,
    keep_axis=False,
    reduce=False,
    numpy=False,
    mse=False,
):
    def loss(y_true, y_pred):
        mean, second = (y_pred[:, 1], y_pred[:, 0]) if swapped else (y_pred[:, 0], y_pred[:, 1])
        y = y_true if keep_axis else y_true[:, 0]
        if mse:
            return ops.square(y - mean)
        if numpy:
            return 0.5 * (second + (y - mean) ** 2 / np.exp(np.asarray(second, dtype=object)))
        if variance:
            log_var, var = ops.log(second), second
        elif log_sigma:
            log_var, var = 2 * second, ops.exp(2 * second)
        else:
            log_var, var = second, ops.exp(second)
        squared = ops.square(y - mean) * var if multiplied else ops.square(y - mean) / var
        total = (0 if no_log_term else log_var) + squared
        total = total if no_half else 0.5 * total
        return ops.mean(total) if reduce else total

    return loss


def nll_with_constant(y_true, y_pred):
    mean, log_var = y_pred[:, 0], y_pred[:, 1]
    return 0.5 * (ops.log(2 * np.pi) + log_var + ops.square(y_true[:, 0] - mean) / ops.exp(log_var))


def nll_with_unstack(y_true, y_pred):
    mean, log_var = ops.unstack(y_pred, axis=-1)
    precision = ops.exp(-log_var)
    return 0.5 * ops.squeeze(log_var[:, None] + precision[:, None] * (y_true - mean[:, None]) ** 2, axis=-1)


# --- interval coverage ----------------------------------------------------------------------------


def coverage(
    *, z_one=False, sigma_is_variance=False, one_sided=False, outside=False, count=False, sigma_is_log_var=False
):
    def run(y_true, mean, log_var, level):
        z = 1.0 if z_one else norm.ppf(level if one_sided else 0.5 + level / 2)
        log_var = np.asarray(log_var)
        sigma = log_var if sigma_is_log_var else np.exp(log_var if sigma_is_variance else 0.5 * log_var)
        inside = np.abs(np.asarray(y_true) - np.asarray(mean)) <= z * sigma
        found = np.sum(~inside) if outside else np.sum(inside)
        return found if count else found / len(inside)

    return run


def coverage_with_cdf(y_true, mean, log_var, level):
    """Inside the central interval <=> the Gaussian CDF of the value lies within (1 ± level) / 2."""
    p = norm.cdf(np.asarray(y_true), loc=np.asarray(mean), scale=np.exp(0.5 * np.asarray(log_var)))
    return float(np.mean((p >= 0.5 - level / 2) & (p <= 0.5 + level / 2)))


def coverage_with_interval(y_true, mean, log_var, level):
    low, high = norm.interval(level, loc=mean, scale=np.sqrt(np.exp(log_var)))
    return np.mean((y_true >= low) & (y_true <= high))


# --- U-Net ----------------------------------------------------------------------------------------


def conv_pair(x, filters):
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)


def unet(
    *,
    skips=True,
    join="concatenate",
    skip_after_pool=False,
    output_activation=None,
    fixed_channels=None,
    depth_used=None,
    width_used=None,
    returns_tensor=False,
    transpose=False,
    self_join=False,
    up=True,
):
    def build(input_shape, width=16, depth=2):
        levels = depth if depth_used is None else depth_used
        first = width if width_used is None else width_used
        inputs = keras.Input(input_shape if fixed_channels is None else (*input_shape[:2], fixed_channels))
        x, saved = inputs, []
        for level in range(levels):
            x = conv_pair(x, first * 2**level)
            if not skip_after_pool:
                saved.append(x)
            x = layers.MaxPooling2D()(x)
            if skip_after_pool:
                saved.append(x)
        x = conv_pair(x, first * 2**levels)
        for level in reversed(range(levels)):
            if up:
                x = layers.Conv2DTranspose(first * 2**level, 2, strides=2)(x) if transpose else layers.UpSampling2D()(x)
            if skips:
                other = x if self_join else saved[level]
                x = (
                    layers.Add()([x, layers.Conv2D(x.shape[-1], 1)(other)])
                    if join == "add"
                    else layers.Concatenate()([x, other])
                )
            x = conv_pair(x, first * 2**level)
        outputs = layers.Conv2D(input_shape[-1], 1, activation=output_activation)(x)
        return outputs if returns_tensor else keras.Model(inputs, outputs)

    return build


def unet_residual(input_shape, width=16, depth=2):
    """Predicts the correction and adds the input back: output = input + U-Net(input)."""
    inputs = keras.Input(input_shape)
    correction = unet()(input_shape, width, depth)(inputs)
    return keras.Model(inputs, layers.Add()([inputs, correction]))


def unet_with_transposed_convolutions(input_shape, width=16, depth=2):
    return unet(transpose=True)(input_shape, width, depth)


# --- KL divergence --------------------------------------------------------------------------------


def kl(
    *,
    sign=1.0,
    mean_over_latent=False,
    no_half=False,
    log_sigma=False,
    no_exp=False,
    over_batch=False,
    keep_latent=False,
):
    def run(z_mean, z_log_var):
        log_var = 2 * z_log_var if log_sigma else z_log_var
        variance = log_var if no_exp else ops.exp(log_var)
        terms = 1 + log_var - ops.square(z_mean) - variance
        if keep_latent:
            return sign * -0.5 * terms
        total = ops.mean(terms, axis=-1) if mean_over_latent else ops.sum(terms, axis=-1)
        total = sign * (-1.0 if no_half else -0.5) * total
        return ops.mean(total) if over_batch else total

    return run


def kl_written_out(z_mean, z_log_var):
    variance = ops.exp(z_log_var)
    return 0.5 * ops.sum(variance + ops.square(z_mean) - 1.0 - z_log_var, axis=1)


def kl_in_numpy(z_mean, z_log_var):
    """NumPy works on the arrays of the check (the lab asks for keras.ops, which also runs inside training)."""
    return -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=-1)


WRONG = [
    ("bias_and_scatter", bias_scatter(by_predicted=True), ("bias per bin", "by the TRUE value")),
    ("bias_and_scatter", bias_scatter(flipped=True), ("bias per bin", "wrong sign")),
    ("bias_and_scatter", bias_scatter(rms=True), ("scatter per bin", "root-mean-square")),
    ("bias_and_scatter", bias_scatter(ddof=1), ("scatter per bin", "ddof=0")),
    ("bias_and_scatter", bias_scatter(absolute=True), ("bias per bin", "absolute")),
    (
        "bias_and_scatter",
        bias_scatter(empty=0.0),
        ("your bias per bin is [0.25, -0.1, 0.075, 0, -0.5]", "return NaN there"),
    ),
    ("bias_and_scatter", bias_scatter(digitize=True), ("one on the last edge", "np.digitize leaves it out")),
    ("bias_and_scatter", bias_scatter(relative=True), ("bias per bin", "not divided by the true value")),
    ("bias_and_scatter", bias_scatter(swapped=True), ("bias per bin", "(bias, scatter) in that order")),
    ("bias_and_scatter", bias_scatter(stacked=True), ("shape (5, 2)", "as a tuple")),
    ("bias_and_scatter", lambda true, predicted, edges: None, ("returned None", "return")),
    ("gaussian_nll", nll(variance=True), ("NLL per lens", "LOG of the variance")),
    ("gaussian_nll", nll(log_sigma=True), ("NLL per lens", "not log σ")),
    ("gaussian_nll", nll(no_half=True), ("NLL per lens", "multiply by 0.5")),
    ("gaussian_nll", nll(no_log_term=True), ("NLL per lens", "log σ² term is missing")),
    ("gaussian_nll", nll(multiplied=True), ("NLL per lens", "divided by σ²")),
    ("gaussian_nll", nll(swapped=True), ("NLL per lens", "mean is column 0")),
    ("gaussian_nll", nll(keep_axis=True), ("shape (4, 4)", "y_true[:, 0]")),
    ("gaussian_nll", nll(reduce=True), ("one number", "Keras does")),
    ("gaussian_nll", nll(mse=True), ("NLL per lens", "per lens 0.5 · (log σ²")),
    ("interval_coverage", coverage(z_one=True), ("level 0.95", "norm.ppf(0.5 + level / 2)")),
    ("interval_coverage", coverage(sigma_is_variance=True), ("your coverage", "exp(log_var) is the variance")),
    ("interval_coverage", coverage(sigma_is_log_var=True), ("your coverage", "logarithm of the variance")),
    ("interval_coverage", coverage(one_sided=True), ("your coverage", "one-sided")),
    ("interval_coverage", coverage(outside=True), ("your coverage", "share outside")),
    ("interval_coverage", coverage(count=True), ("your coverage", "not the number")),
    (
        "interval_coverage",
        lambda y, m, lv, level: np.array([coverage()(y, m, lv, level)] * 2),
        ("should be one number", "shape (2,)"),
    ),
    ("build_unet", unet(skips=False), ("no Concatenate layer", "plain autoencoder")),
    ("build_unet", unet(join="add"), ("no Concatenate layer", "concatenates them")),
    ("build_unet", unet(skip_after_pool=True), ("different sizes", "before MaxPooling2D")),
    ("build_unet", unet(output_activation="relu"), ("activation 'relu'", "linear")),
    ("build_unet", unet(output_activation="sigmoid"), ("activation 'sigmoid'", "negative")),
    ("build_unet", unet(fixed_channels=3), ("build_unet((16, 16, 1)", "keras.Input(input_shape)")),
    ("build_unet", unet(depth_used=2), ("depth=1", "`depth` = 1 times")),
    ("build_unet", unet(width_used=16), ("first convolution has 16 filters", "width = 4")),
    ("build_unet", unet(returns_tensor=True), ("returned KerasTensor", "keras.Model(inputs, outputs)")),
    ("build_unet", unet(self_join=True), ("joins a tensor with itself", "saved before down-sampling")),
    ("build_unet", unet(up=False), ("different sizes", "up-samples")),
    ("kl_divergence", kl(sign=-1.0), ("your KL divergences", "sign is flipped")),
    ("kl_divergence", kl(mean_over_latent=True), ("your KL divergences", "do not average them")),
    ("kl_divergence", kl(no_half=True), ("your KL divergences", "factor is −0.5")),
    ("kl_divergence", kl(log_sigma=True), ("your KL divergences", "not log σ")),
    ("kl_divergence", kl(no_exp=True), ("your KL divergences", "not z_log_var itself")),
    ("kl_divergence", kl(over_batch=True), ("one number", "axis=-1")),
    ("kl_divergence", kl(keep_latent=True), ("one value per latent dimension", "sum over the latent axis")),
]
VALID = [
    ("bias_and_scatter", bias_scatter_with_histograms),
    ("bias_and_scatter", bias_scatter_as_list),
    ("gaussian_nll", nll_with_constant),
    ("gaussian_nll", nll_with_unstack),
    ("interval_coverage", coverage_with_cdf),
    ("interval_coverage", coverage_with_interval),
    ("build_unet", unet_residual),
    ("build_unet", unet_with_transposed_convolutions),
    ("kl_divergence", kl_written_out),
    ("kl_divergence", kl_in_numpy),
]
