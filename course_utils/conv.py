"""Convolution arithmetic by hand: the sliding-window sum, output sizes and parameter counts.

Written for reading, not for speed: ``cross_correlate2d`` is the loop a convolutional layer runs
(tests check it against ``scipy.signal.correlate2d`` and ``keras.layers.Conv2D``). Symbols follow
Lecture 04: W input width (pixels), K kernel width, P zero padding on each side, S stride.
"""

from __future__ import annotations

import numpy as np


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(3, 5)`` stays; anything else is an error naming ``name``."""
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints (rows, columns), got {value!r}.")
    return int(pair[0]), int(pair[1])


def output_size(input_size: int, kernel_size: int, padding: int = 0, stride: int = 1) -> int:
    """Pixels along one axis of a convolution's (or pooling's) output: ``(W - K + 2P) // S + 1``.

    ``input_size`` W, ``kernel_size`` K, ``padding`` P (zeros added on each side) and ``stride`` S
    are in pixels. When ``S`` does not divide ``W - K + 2P`` the last partial step is dropped,
    as Keras does. Example: ``output_size(7, 3, 0, 2) == 3``.
    """
    for name, value, least in (
        ("input_size", input_size, 1),
        ("kernel_size", kernel_size, 1),
        ("padding", padding, 0),
        ("stride", stride, 1),
    ):
        if not isinstance(value, (int, np.integer)) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}.")
    if kernel_size > input_size + 2 * padding:
        raise ValueError(
            f"kernel_size {kernel_size} does not fit in the padded input "
            f"({input_size} + 2*{padding} pixels): use a smaller kernel or more padding."
        )
    return (input_size - kernel_size + 2 * padding) // stride + 1


def cross_correlate2d(
    image: np.ndarray, kernel: np.ndarray, stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0
) -> np.ndarray:
    """Slide ``kernel`` over ``image`` and sum the element-wise products at every position.

    This is what deep learning calls a "convolution" (a Conv2D layer with one input channel,
    one filter and no bias). True convolution flips the kernel first:
    ``cross_correlate2d(image, kernel[::-1, ::-1])``.

    image: (H, W) array; kernel: (Kh, Kw) array; stride and padding: int or (rows, columns) pair,
    padding in zeros added on each side. Returns a float array of shape
    ``(output_size(H, Kh, Ph, Sh), output_size(W, Kw, Pw, Sw))``.
    """
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(
            f"image and kernel must be 2-D (one channel), got shapes {image.shape} and "
            f"{kernel.shape}: select a channel, e.g. image[..., 0]."
        )
    (stride_rows, stride_cols), (pad_rows, pad_cols) = _pair(stride, "stride"), _pair(padding, "padding")
    out_rows = output_size(image.shape[0], kernel.shape[0], pad_rows, stride_rows)
    out_cols = output_size(image.shape[1], kernel.shape[1], pad_cols, stride_cols)
    padded = np.pad(image, ((pad_rows, pad_rows), (pad_cols, pad_cols)))
    k_rows, k_cols = kernel.shape
    out = np.empty((out_rows, out_cols))
    for i in range(out_rows):
        for j in range(out_cols):
            top, left = i * stride_rows, j * stride_cols
            window = padded[top : top + k_rows, left : left + k_cols]  # the receptive field of out[i, j]
            out[i, j] = np.sum(window * kernel)
    return out


def conv2d_params(in_channels: int, filters: int, kernel_size: int | tuple[int, int], use_bias: bool = True) -> int:
    """Trainable numbers in a Conv2D layer: ``Kh * Kw * in_channels * filters`` (+ ``filters`` biases).

    With ``use_bias=False`` this is A. Asensio Ramos's N = N_in N_ker d_ker^2. The count does not depend on
    the image size, stride or padding: the same kernels slide over every position.
    """
    k_rows, k_cols = _pair(kernel_size, "kernel_size")
    for name, value in (("in_channels", in_channels), ("filters", filters)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    weights = k_rows * k_cols * in_channels * filters
    return int(weights + (filters if use_bias else 0))


def dense_params(n_in: int, n_out: int, use_bias: bool = True) -> int:
    """Trainable numbers in a Dense (fully connected) layer: ``n_in * n_out`` (+ ``n_out`` biases).

    Summed over layers with ``use_bias=False`` this is A. Asensio Ramos's N = N_in N_hid1 + N_hid1 N_hid2 + ...
    """
    for name, value in (("n_in", n_in), ("n_out", n_out)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(n_in * n_out + (n_out if use_bias else 0))
