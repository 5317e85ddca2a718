"""course_utils.conv against the references: scipy.signal and keras.layers.Conv2D."""

import keras
import numpy as np
import pytest
from scipy import signal

from course_utils.conv import conv2d_params, cross_correlate2d, dense_params, output_size

RNG = np.random.default_rng(7)


def keras_conv(image, kernel, stride, padding):
    """One-filter, bias-free Keras Conv2D after explicit zero padding; returns the (H', W') map."""
    rows, cols = image.shape
    model = keras.Sequential(
        [
            keras.Input((rows, cols, 1)),
            keras.layers.ZeroPadding2D(padding),
            keras.layers.Conv2D(1, kernel.shape, strides=stride, use_bias=False),
        ]
    )
    model.layers[-1].set_weights([kernel[:, :, None, None].astype("float32")])
    out = model(image[None, :, :, None].astype("float32"))
    return keras.ops.convert_to_numpy(out)[0, :, :, 0]


def test_lecture_example_feature_map():
    """Seed 004's 5x5 binary image and 3x3 X-shaped kernel give the slide's feature map."""
    image = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(cross_correlate2d(image, kernel), [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


@pytest.mark.parametrize("image_shape,kernel_shape", [((9, 9), (3, 3)), ((12, 7), (4, 2)), ((5, 5), (5, 5))])
def test_valid_matches_scipy_correlate2d(image_shape, kernel_shape):
    image, kernel = RNG.normal(size=image_shape), RNG.normal(size=kernel_shape)
    np.testing.assert_allclose(cross_correlate2d(image, kernel), signal.correlate2d(image, kernel, mode="valid"))


def test_half_padding_matches_scipy_same_mode():
    image, kernel = RNG.normal(size=(10, 8)), RNG.normal(size=(5, 3))
    ours = cross_correlate2d(image, kernel, padding=(2, 1))
    np.testing.assert_allclose(ours, signal.correlate2d(image, kernel, mode="same", boundary="fill"))


@pytest.mark.parametrize("stride,padding", [(2, 0), (3, 1), ((2, 1), (0, 2))])
def test_stride_keeps_every_sth_position(stride, padding):
    image, kernel = RNG.normal(size=(11, 10)), RNG.normal(size=(3, 3))
    sr, sc = (stride, stride) if np.isscalar(stride) else stride
    pr, pc = (padding, padding) if np.isscalar(padding) else padding
    full = signal.correlate2d(np.pad(image, ((pr, pr), (pc, pc))), kernel, mode="valid")
    np.testing.assert_allclose(cross_correlate2d(image, kernel, stride=stride, padding=padding), full[::sr, ::sc])


def test_flipped_kernel_is_true_convolution():
    image, kernel = RNG.normal(size=(8, 9)), RNG.normal(size=(3, 4))
    np.testing.assert_allclose(
        cross_correlate2d(image, kernel[::-1, ::-1]), signal.convolve2d(image, kernel, mode="valid")
    )
    assert not np.allclose(cross_correlate2d(image, kernel), signal.convolve2d(image, kernel, mode="valid"))


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 0), (2, 1), (3, 2)])
def test_matches_keras_conv2d(stride, padding):
    image, kernel = RNG.normal(size=(9, 9)), RNG.normal(size=(3, 3))
    ours = cross_correlate2d(image, kernel, stride=stride, padding=padding)
    np.testing.assert_allclose(ours, keras_conv(image, kernel, stride, padding), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "size,kernel,padding,stride,expected",
    [(7, 3, 0, 1, 5), (7, 3, 0, 2, 3), (7, 3, 1, 1, 7), (28, 5, 0, 1, 24), (63, 3, 0, 1, 61)],
)
def test_output_size_notes_examples(size, kernel, padding, stride, expected):
    assert output_size(size, kernel, padding, stride) == expected


@pytest.mark.parametrize("size,kernel,padding,stride", [(7, 3, 0, 3), (10, 4, 1, 3), (6, 6, 0, 1), (5, 2, 2, 2)])
def test_output_size_agrees_with_hand_and_keras(size, kernel, padding, stride):
    image = RNG.normal(size=(size, size))
    weights = RNG.normal(size=(kernel, kernel))
    expected = output_size(size, kernel, padding, stride)
    assert cross_correlate2d(image, weights, stride=stride, padding=padding).shape == (expected, expected)
    assert keras_conv(image, weights, stride, padding).shape == (expected, expected)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: output_size(3, 5), "does not fit"),
        (lambda: output_size(7, 3, 0, 0), "stride"),
        (lambda: output_size(7, 3, -1, 1), "padding"),
        (lambda: cross_correlate2d(np.zeros((5, 5, 3)), np.ones((3, 3))), "2-D"),
        (lambda: cross_correlate2d(np.zeros((5, 5)), np.ones((3, 3)), stride=(1, 2, 3)), "pair"),
        (lambda: conv2d_params(0, 8, 3), "in_channels"),
        (lambda: dense_params(10, 2.5), "n_out"),
    ],
)
def test_bad_input_says_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "in_channels,filters,kernel_size,use_bias",
    [(1, 32, 5, True), (32, 64, 3, True), (3, 16, (3, 5), False), (192, 64, 1, True)],
)
def test_conv2d_params_matches_keras(in_channels, filters, kernel_size, use_bias):
    layer = keras.layers.Conv2D(filters, kernel_size, use_bias=use_bias)
    layer.build((None, 16, 16, in_channels))
    assert conv2d_params(in_channels, filters, kernel_size, use_bias=use_bias) == layer.count_params()


@pytest.mark.parametrize("n_in,n_out,use_bias", [(784, 16, True), (1024, 1000, True), (16, 10, False)])
def test_dense_params_matches_keras(n_in, n_out, use_bias):
    layer = keras.layers.Dense(n_out, use_bias=use_bias)
    layer.build((None, n_in))
    assert dense_params(n_in, n_out, use_bias=use_bias) == layer.count_params()
