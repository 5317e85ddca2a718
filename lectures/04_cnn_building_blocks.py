# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/astro-dl-course/deep-learning-astronomy/blob/main/lectures/04_cnn_building_blocks.ipynb)
#
# # Lecture 04 — CNN building blocks
#
# **What you will learn:**
# - what a convolution does to an image, by hand and with `keras.layers.Conv2D`, and why deep
#   learning's "convolution" is really a cross-correlation;
# - how kernel size, stride and padding set the output size, $(W - K + 2P)/S + 1$, and how many
#   numbers a layer has to learn;
# - how a filter acts as a template (a curve detector), and what edge filters, pooling and an
#   untrained CNN do to a real sky image, the Hubble Deep Field;
# - the other pieces of a modern CNN: activation functions, batch normalisation, residual
#   connections and dropout;
# - why high-dimensional data is hard (the curse of dimensionality);
# - the architectures the lecture slides show, built in Keras and drawn: LeNet, VGG, Inception, ResNet,
#   the braai real/bogus classifier of ZTF, and a star–galaxy classifier.
#
# The lecture draws on four slide decks: A. Mahabal, "Deep learning" (UC Riverside, 2020) for the
# convolution example, the Laplacian, activation functions and braai; C. R. Bom, "Deep Learning
# Applications in Astronomy" (2018) for stride and the curve detector; A. Asensio Ramos, "Basics of
# deep learning" for the output-size and parameter formulas, batch normalisation and the curse of
# dimensionality; and G. Tsagkatakis, "Fundamentals of Deep Neural Networks" for LeNet, VGG,
# Inception, ResNet and the star–galaxy classifier. The papers are listed in
# [docs/references.md](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/docs/references.md).
#
# No training happens here: every network in this notebook has either hand-set or random weights.
# The labs train them.

# %%
# Google Colab only: install the course package (elsewhere the README's set-up did it).
import subprocess, sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "course-utils @ git+https://github.com/astro-dl-course/deep-learning-astronomy@v0.2.0"], check=True)

# %%
import course_utils

runtime = course_utils.setup()

# %% [markdown]
# ## Set-up
#
# `course_utils.setup()` chose the Keras backend, so Keras can be imported now. The teaching helpers
# for this lecture live in [`course_utils/conv.py`](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/course_utils/conv.py): open it, it is a one-minute read. Sizes depend on
# the profile: the smoke profile (used by the course's automatic tests) works on a small copy of the
# image and few random samples; the numbers in the boxes marked `NBVAL_CHECK_OUTPUT` do not depend
# on it.

# %%
import math

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers
from scipy import signal, special
from skimage import color, data, transform

from course_utils.conv import conv2d_params, cross_correlate2d, dense_params, output_size
from course_utils.diagrams import draw_model

SIZES = runtime.pick(
    smoke=dict(hdf_pixels=96, cube_points=20_000, angle_pairs=1_000),
    cpu=dict(hdf_pixels=256, cube_points=200_000, angle_pairs=5_000),
    full=dict(hdf_pixels=512, cube_points=1_000_000, angle_pairs=10_000),
)
rng = np.random.default_rng(runtime.seed)


def to_numpy(tensor):
    """A Keras/backend tensor as a NumPy array (works on TensorFlow, JAX and PyTorch)."""
    return keras.ops.convert_to_numpy(tensor)


def show_grid(ax, array, title, fmt="{:g}"):
    """Draw a small 2-D array as coloured cells with its numbers written in."""
    ax.imshow(array, cmap="Blues")
    for (i, j), value in np.ndenumerate(array):
        ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=9)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


# %% [markdown]
# ## 1. A convolution by hand
#
# To a computer a grey-scale image is a grid of numbers, one per pixel. A convolutional layer
# slides a small grid of weights, the **kernel** (or filter), over the image. At every position it
# multiplies the kernel with the patch of image under it, element by element, and adds up the
# products. That one number goes into the output, the **feature map**, at that position.
#
# Mahabal's example is a 5×5 binary image and the X-shaped 3×3 kernel below; the code reproduces
# the slide's feature map exactly.

# %%
image = np.array([[1, 1, 1, 0, 0],
                  [0, 1, 1, 1, 0],
                  [0, 0, 1, 1, 1],
                  [0, 0, 1, 1, 0],
                  [0, 1, 1, 0, 0]])
kernel = np.array([[1, 0, 1],
                   [0, 1, 0],
                   [1, 0, 1]])

# %% [markdown]
# The first output value comes from the top-left 3×3 patch:

# %%
# NBVAL_CHECK_OUTPUT
patch = image[0:3, 0:3]
print("patch * kernel, element by element:\n", patch * kernel)
print("sum =", np.sum(patch * kernel))

# %% [markdown]
# Sliding one pixel at a time gives 3 positions across and 3 down, so a 3×3 feature map.
# `cross_correlate2d` in [`course_utils/conv.py`](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/course_utils/conv.py) is exactly this double loop.

# %%
# NBVAL_CHECK_OUTPUT
feature_map = cross_correlate2d(image, kernel)
print(feature_map.astype(int))

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
show_grid(axes[0], image, "image (5×5)")
show_grid(axes[1], kernel, "kernel (3×3)")
show_grid(axes[2], feature_map, "feature map (3×3)")
plt.show()

# %% [markdown]
# ### The same thing as a Keras layer
#
# `keras.layers.Conv2D` does this for many images, many input channels and many kernels at once.
# Keras images have the shape `(batch, rows, columns, channels)`, and a Conv2D kernel has the shape
# `(rows, columns, input channels, filters)`. Here we have one image, one channel and one filter,
# and we switch the bias off so the layer does nothing but the sliding sum. We put our kernel
# into the layer instead of the random one it starts with.

# %%
# NBVAL_CHECK_OUTPUT
conv = layers.Conv2D(filters=1, kernel_size=3, use_bias=False)
conv.build((None, 5, 5, 1))
conv.set_weights([kernel.reshape(3, 3, 1, 1).astype("float32")])
keras_map = to_numpy(conv(image.reshape(1, 5, 5, 1).astype("float32")))[0, :, :, 0]
print(keras_map.astype(int))
print("Keras equals the hand computation:", np.array_equal(keras_map, feature_map))

# %% [markdown]
# ### Convolution or cross-correlation?
#
# In mathematics (and in `scipy.signal.convolve2d`) a convolution **flips the kernel** upside down
# and left to right before sliding it. What we did, and what every deep-learning library does under
# the name "convolution", is sliding without the flip: a **cross-correlation**. Nothing is lost,
# because a network learns its kernels: it simply learns the flipped one.
#
# Our X-shaped kernel looks the same after a flip, so the two operations agree on it. A kernel
# without that symmetry shows the difference; take the Sobel kernel, which measures how brightness
# changes from left to right.

# %%
# NBVAL_CHECK_OUTPUT
sobel_x = np.array([[-1, 0, 1],
                    [-2, 0, 2],
                    [-1, 0, 1]])
flipped = sobel_x[::-1, ::-1]
true_convolution = signal.convolve2d(image, sobel_x, mode="valid")
print("X kernel: scipy convolution equals our cross-correlation:",
      np.array_equal(signal.convolve2d(image, kernel, mode="valid"), feature_map))
print("Sobel, cross-correlation (what Conv2D computes):\n", cross_correlate2d(image, sobel_x).astype(int))
print("Sobel, true convolution (scipy):\n", true_convolution)
print("true convolution = cross-correlation with the flipped kernel:",
      np.array_equal(true_convolution, cross_correlate2d(image, flipped)))

# %% [markdown]
# ### An edge detector
#
# Mahabal's slides also show the kernel below, the discrete **Laplacian**. Its weights add up to
# zero, so on a flat region (all pixels equal) it returns 0; where the brightness changes, at an
# edge or a small blob, it does not. Negative values mark the bright side of an edge.
# Here we add one ring of zeros around the image first (padding 1, next section), so the output
# keeps the 5×5 size of the input.

# %%
# NBVAL_CHECK_OUTPUT
laplacian = np.array([[0, 1, 0],
                      [1, -4, 1],
                      [0, 1, 0]])
print(cross_correlate2d(image, laplacian, padding=1).astype(int))

# %% [markdown]
# ## 2. How big is the output? Stride and padding
#
# Three settings control the size of a convolution's output:
# - the kernel size $K$: a $K$-wide window fits $W - K + 1$ times in a $W$-wide image;
# - the **padding** $P$: rings of zeros added around the image, so the window can also be centred
#   on border pixels; with $K = 3$, $P = 1$ the output keeps the input size (Keras calls this
#   `padding="same"`, and no padding `"valid"`);
# - the **stride** $S$: how many pixels the window jumps between positions; $S = 2$ halves the output.
#
# Together (Asensio Ramos): output width $= (W - K + 2P)/S + 1$. Bom draws a 7×7 input with a
# 3×3 kernel: a 5×5 output with stride 1 and a 3×3 output with stride 2.

# %%
fig, axes = plt.subplots(1, 2, figsize=(7, 3.5))
for ax, stride in zip(axes, (1, 2)):
    centres = np.arange(1, 6, stride)  # centre pixel of every 3x3 window position
    ax.imshow(np.zeros((7, 7)), cmap="Greys", vmin=0, vmax=1)
    ax.set_xticks(np.arange(-0.5, 7), minor=True)
    ax.set_yticks(np.arange(-0.5, 7), minor=True)
    ax.grid(which="minor", color="0.6")
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.plot(*np.meshgrid(centres, centres), "o", color="tab:red")
    ax.add_patch(plt.Rectangle((-0.5, -0.5), 3, 3, fill=False, edgecolor="tab:blue", linewidth=2))
    ax.set_title(f"7×7 input, stride {stride}: {len(centres)}×{len(centres)} output")
plt.suptitle("red: centres of the 3×3 window (blue: the first position)")
plt.show()

# %% [markdown]
# The formula, our hand-written convolution and Keras must agree on every output size. For
# Keras we add the padding with a `ZeroPadding2D` layer, then a `Conv2D` with the stride.
# With $W = 7$, $K = 3$, $S = 3$ the formula gives $4/3 + 1 \approx 2.33$: the window does not
# fit a whole number of times, and the libraries drop the incomplete step (round down).

# %%
# NBVAL_CHECK_OUTPUT
def keras_output_width(width, kernel_size, padding, stride):
    """Output width of ZeroPadding2D(padding) + Conv2D(kernel_size, strides=stride) on a width×width image."""
    model = keras.Sequential([keras.Input((width, width, 1)),
                              layers.ZeroPadding2D(padding),
                              layers.Conv2D(1, kernel_size, strides=stride)])
    return model.output_shape[1]


print(" W  K  P  S  (W-K+2P)/S+1  formula  by hand  Keras")
for W, K, P, S in [(7, 3, 0, 1), (7, 3, 0, 2), (7, 3, 0, 3), (7, 3, 1, 1), (7, 3, 1, 2), (28, 5, 0, 1), (32, 5, 2, 1)]:
    by_hand = cross_correlate2d(np.ones((W, W)), np.ones((K, K)), stride=S, padding=P).shape[0]
    print(f"{W:2d} {K:2d} {P:2d} {S:2d}  {(W - K + 2 * P) / S + 1:11.2f}  {output_size(W, K, P, S):7d}"
          f"  {by_hand:7d}  {keras_output_width(W, K, P, S):5d}")

# %% [markdown]
# ## 3. Channels, filters and parameter counts
#
# Real images have several **channels**: red, green and blue, or the g, r, i, z, y bands of a
# survey. A Conv2D filter spans all input channels: with $C_\text{in}$ channels, one filter has
# $K \times K \times C_\text{in}$ weights, and it still produces one number per position. A layer
# with $F$ filters produces $F$ feature maps, the channels of its output. Its trainable numbers
# (**parameters**) are therefore
#
# $$N_\text{conv} = K^2\, C_\text{in}\, F \;(+\,F \text{ biases}),$$
#
# which is Asensio Ramos's $N = N_\text{in} N_\text{ker} d_\text{ker}^2$ plus the biases. It does not
# depend on the image size: the same kernels are reused at every position (**weight sharing**).
# A fully connected (`Dense`) layer, in contrast, connects every input to every output:
# $N_\text{dense} = N_\text{in} N_\text{out} \,(+\,N_\text{out})$.
#
# `course_utils.conv` has both formulas; Keras's `count_params()` must agree.

# %%
# NBVAL_CHECK_OUTPUT
print("Conv2D layers                       formula  no bias (N above)  Keras")
for c_in, filters, k in [(1, 32, 5), (32, 64, 5), (3, 64, 3), (192, 64, 1)]:
    layer = layers.Conv2D(filters, k)
    layer.build((None, 32, 32, c_in))
    print(f"  {k}x{k} kernel, {c_in:3d} -> {filters:2d} channels   {conv2d_params(c_in, filters, k):7,d}"
          f"  {conv2d_params(c_in, filters, k, use_bias=False):18,d}  {layer.count_params():6,d}")

print("Dense layers")
for n_in, n_out in [(1024, 1000), (784, 16)]:
    layer = layers.Dense(n_out)
    layer.build((None, n_in))
    print(f"  {n_in:4d} -> {n_out:4d}                     {dense_params(n_in, n_out):7,d}"
          f"  {dense_params(n_in, n_out, use_bias=False):18,d}  {layer.count_params():6,d}")

sizes = [784, 16, 16, 10]  # the MNIST network of Lecture 03
total = sum(dense_params(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
print("784-16-16-10 network:", f"{total:,d}", "parameters")

# %% [markdown]
# ### The 1×1 convolution
#
# A kernel of size 1 looks at a single pixel, so it cannot see shapes. What it does is mix the
# channels: at every pixel it computes the same weighted sums of the $C_\text{in}$ channel values,
# one per filter. It is a Dense layer applied to each pixel separately. Networks use it to shrink
# (or grow) the number of channels cheaply, as the Inception module below does.

# %%
# NBVAL_CHECK_OUTPUT
cube = rng.normal(size=(1, 6, 6, 16)).astype("float32")  # one 6x6 image with 16 channels
one_by_one = layers.Conv2D(4, kernel_size=1)
mixed = to_numpy(one_by_one(cube))
weights, biases = one_by_one.get_weights()  # weights: (1, 1, 16, 4)
per_pixel_dense = cube @ weights[0, 0] + biases  # (1, 6, 6, 16) @ (16, 4) at every pixel
print("output shape:", mixed.shape)
print("1x1 convolution = the same Dense layer at every pixel:", np.allclose(mixed, per_pixel_dense, atol=1e-5))
print("parameters:", one_by_one.count_params(), "=", conv2d_params(16, 4, 1))

# %% [markdown]
# ## 4. A filter is a template: a curve detector
#
# Why does a sliding sum of products detect anything? Because the sum is large when the patch
# looks like the kernel (large values where the kernel has large weights) and small otherwise.
# Bom shows a 7×7 kernel drawn as a curve of 30s, and two 7×7 **receptive fields** (the
# patches of an image the kernel sits on): one containing a similar curve, one not. The sums are
# the slide's 6600 and 0.

# %%
curve_filter = np.array([[0, 0, 0, 0, 0, 30, 0],
                         [0, 0, 0, 0, 30, 0, 0],
                         [0, 0, 0, 30, 0, 0, 0],
                         [0, 0, 0, 30, 0, 0, 0],
                         [0, 0, 0, 30, 0, 0, 0],
                         [0, 0, 0, 30, 0, 0, 0],
                         [0, 0, 0, 0, 0, 0, 0]])
field_with_curve = np.array([[0, 0, 0, 0, 0, 0, 30],
                             [0, 0, 0, 0, 50, 50, 50],
                             [0, 0, 0, 20, 50, 0, 0],
                             [0, 0, 0, 50, 50, 0, 0],
                             [0, 0, 0, 50, 50, 0, 0],
                             [0, 0, 0, 50, 50, 0, 0],
                             [0, 0, 0, 50, 50, 0, 0]])
field_without_curve = np.array([[0, 0, 0, 0, 0, 0, 0],
                                [0, 40, 0, 0, 0, 0, 0],
                                [40, 0, 40, 0, 0, 0, 0],
                                [40, 20, 0, 0, 0, 0, 0],
                                [0, 50, 0, 0, 0, 0, 0],
                                [0, 0, 50, 0, 0, 0, 0],
                                [25, 25, 0, 50, 0, 0, 0]])

# %%
# NBVAL_CHECK_OUTPUT
for name, field in [("receptive field with a curve", field_with_curve),
                    ("receptive field without one", field_without_curve)]:
    products = field * curve_filter
    terms = " + ".join(f"{a}*{b}" for a, b in zip(field[products > 0], curve_filter[products > 0])) or "nothing"
    print(f"{name}: {terms} = {np.sum(products)}")
print("the same with cross_correlate2d:", cross_correlate2d(field_with_curve, curve_filter)[0, 0],
      cross_correlate2d(field_without_curve, curve_filter)[0, 0])

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.5))
show_grid(axes[0], curve_filter, "curve-detector filter")
show_grid(axes[1], field_with_curve, "field with a curve: 6600")
show_grid(axes[2], field_without_curve, "field without: 0")
plt.show()

# %% [markdown]
# ## 5. Filters on a real sky image: the Hubble Deep Field
#
# scikit-image ships a colour picture of the Hubble Deep Field, so it works offline. We make it
# grey (one channel), cut out a square and shrink it to the profile's size.

# %%
hdf_rgb = data.hubble_deep_field()  # (872, 1000, 3) uint8
hdf_grey = color.rgb2gray(hdf_rgb)[:, 64:936]  # central 872x872 square, brightness in [0, 1]
n = SIZES["hdf_pixels"]
hdf = transform.resize(hdf_grey, (n, n), anti_aliasing=True).astype("float32")
print("full image:", hdf_rgb.shape, "-> working image:", hdf.shape)

# %% [markdown]
# A Conv2D layer with several filters is a **filter bank**: one feature map per filter. We load
# five classic hand-made kernels into one layer:
# - the **Laplacian** of section 1 responds to small bright blobs (stars, compact galaxies) and
#   edges; its smoothed cousin, the Laplacian of Gaussian, is a classic blob (source) finder;
# - **Sobel x** and **Sobel y** respond to brightness changing left–right and top–bottom;
# - a **box blur** averages 3×3 neighbourhoods (it smooths noise);
# - a **sharpen** kernel, the image minus its Laplacian, makes edges crisper.
#
# `padding="same"` keeps the maps the size of the image. The padding zeros are darker than the
# sky background, so the edge detectors also light up along the image's border.

# %%
sobel_y = sobel_x.T
box_blur = np.ones((3, 3)) / 9
sharpen = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]) - laplacian
bank = {"Laplacian": laplacian, "Sobel x": sobel_x, "Sobel y": sobel_y, "box blur": box_blur, "sharpen": sharpen}

filter_bank = layers.Conv2D(len(bank), kernel_size=3, padding="same", use_bias=False)
filter_bank.build((None, n, n, 1))
filter_bank.set_weights([np.stack(list(bank.values()), axis=-1)[:, :, None, :].astype("float32")])
maps = to_numpy(filter_bank(hdf[None, :, :, None]))[0]  # (n, n, 5)
print("feature maps:", maps.shape)

# %% [markdown]
# Keras and the hand-written loop agree on the real image too (here the Laplacian map):

# %%
# NBVAL_CHECK_OUTPUT
print(np.allclose(maps[..., 0], cross_correlate2d(hdf, laplacian, padding=1), atol=1e-5))

# %%
fig, axes = plt.subplots(2, 3, figsize=(11, 7.5))
axes[0, 0].imshow(hdf, cmap="gray")
axes[0, 0].set_title("Hubble Deep Field (grey)")
for ax, (name, feature) in zip(axes.flat[1:], zip(bank, np.moveaxis(maps, -1, 0))):
    limit = np.percentile(np.abs(feature), 99)
    cmap, vmin = ("gray", None) if name in ("box blur", "sharpen") else ("RdBu_r", -limit)
    ax.imshow(feature, cmap=cmap, vmin=vmin, vmax=limit if vmin is not None else None)
    ax.set_title(name)
for ax in axes.flat:
    ax.set_axis_off()
plt.tight_layout()
plt.show()

# %% [markdown]
# The two Sobel maps are the horizontal and vertical components of the brightness gradient; their
# length $\sqrt{g_x^2 + g_y^2}$ outlines every source whatever the direction of its edges.

# %%
gradient_size = np.hypot(maps[..., 1], maps[..., 2])
plt.figure(figsize=(4.5, 4.5))
plt.imshow(gradient_size, cmap="magma", vmax=np.percentile(gradient_size, 99.5))
plt.title("Sobel gradient magnitude")
plt.axis("off")
plt.show()

# %% [markdown]
# ## 6. Pooling
#
# A **pooling** layer shrinks feature maps: it slides a window (usually 2×2, stride 2) and keeps
# one number per window: the largest (**max pooling**) or the mean (**average pooling**). There is
# nothing to learn. Max pooling keeps "the feature is somewhere in this window" and forgets exactly
# where, which makes the network less sensitive to small shifts; halving the maps also cuts the
# computation of the next layers by four. The output-size formula holds for pooling too:
# $(4 - 2 + 0)/2 + 1 = 2$.

# %%
# NBVAL_CHECK_OUTPUT
small = np.array([[1, 3, 2, 0],
                  [4, 6, 1, 1],
                  [0, 2, 9, 5],
                  [7, 1, 3, 8]], dtype="float32")
as_batch = small.reshape(1, 4, 4, 1)
max_pooled = to_numpy(layers.MaxPooling2D(pool_size=2, strides=2)(as_batch))[0, :, :, 0]
avg_pooled = to_numpy(layers.AveragePooling2D(pool_size=2, strides=2)(as_batch))[0, :, :, 0]
print("max pooling:\n", max_pooled)
print("average pooling:\n", avg_pooled)
blocks = small.reshape(2, 2, 2, 2)  # (block row, row in block, block column, column in block)
print("by hand:", np.array_equal(max_pooled, blocks.max(axis=(1, 3))),
      np.allclose(avg_pooled, blocks.mean(axis=(1, 3))))
print("output size:", output_size(4, 2, 0, 2))

# %% [markdown]
# On the Hubble Deep Field, max pooling keeps the small bright stars bright, while average pooling
# blurs them into their surroundings:

# %%
hdf_batch = hdf[None, :, :, None]
max_hdf = to_numpy(layers.MaxPooling2D(2)(hdf_batch))[0, :, :, 0]
avg_hdf = to_numpy(layers.AveragePooling2D(2)(hdf_batch))[0, :, :, 0]
fig, axes = plt.subplots(1, 3, figsize=(11, 4))
for ax, picture, title in [(axes[0], hdf, f"input {hdf.shape}"),
                           (axes[1], max_hdf, f"max pooled {max_hdf.shape}"),
                           (axes[2], avg_hdf, f"average pooled {avg_hdf.shape}")]:
    ax.imshow(picture, cmap="gray", vmin=0, vmax=hdf.max())
    ax.set_title(title)
    ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 7. Feature maps of an untrained CNN
#
# A real CNN stacks these pieces: convolution, activation, pooling, again and again. Below is a
# small stack with **random** weights (nothing trained yet). Even random filters respond to the
# galaxies and stars, as mixtures of blur and edge detectors. Each pooling halves the maps, and
# each deeper pixel sees a larger patch of the sky (its receptive field: 3 pixels after the first
# convolution, 4 after pooling, 8 after the second convolution). Training turns these random
# filters into detectors that are useful for the task.

# %%
inputs = keras.Input((n, n, 1))
conv1 = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
pool1 = layers.MaxPooling2D(2)(conv1)
conv2 = layers.Conv2D(8, 3, padding="same", activation="relu")(pool1)
pool2 = layers.MaxPooling2D(2)(conv2)
untrained = keras.Model(inputs, [conv1, conv2, pool2])
maps1, maps2, maps_out = (to_numpy(m)[0] for m in untrained(hdf_batch))
print("layer 1:", maps1.shape, " layer 2:", maps2.shape, " after the last pooling:", maps_out.shape)

# %%
fig, axes = plt.subplots(2, 8, figsize=(14, 4))
for k in range(8):
    axes[0, k].imshow(maps1[..., k], cmap="viridis")
    axes[1, k].imshow(maps2[..., k], cmap="viridis")
for ax in axes.flat:
    ax.set_axis_off()
axes[0, 0].set_title("conv 1, filters 1–8", loc="left")
axes[1, 0].set_title("conv 2 (after pooling)", loc="left")
plt.show()

# %% [markdown]
# ## 8. Activation functions
#
# After each convolution or Dense layer comes a non-linear **activation function**, applied to
# every number separately. Without it, stacked layers would collapse into a single linear map, no
# matter how many. Mahabal's slides show the sigmoid, tanh, ReLU and softplus; leaky ReLU, used by
# the star–galaxy classifier of section 13, completes the list:
#
# | name | $f(x)$ | $f'(x)$ |
# | --- | --- | --- |
# | sigmoid | $\sigma(x) = 1/(1 + e^{-x})$ | $\sigma(x)(1 - \sigma(x))$ |
# | tanh | $\tanh x$ | $1 - \tanh^2 x$ |
# | ReLU | $\max(0, x)$ | 1 if $x > 0$, else 0 |
# | leaky ReLU | $x$ if $x > 0$, else $\alpha x$ | 1 if $x > 0$, else $\alpha$ |
# | softplus | $\ln(1 + e^x)$ | $\sigma(x)$ |
#
# Training follows the derivatives (lecture 03), so their shape matters. We use Keras's functions
# for $f$ and the formulas of the table for $f'$, and check the formulas against finite
# differences of Keras's $f$. Leaky ReLU's slope here is $\alpha = 0.1$. ReLU has a corner at 0
# where the slope jumps; libraries simply take one side's value there.

# %%
ALPHA = 0.1
activations = {
    "sigmoid": keras.activations.sigmoid,
    "tanh": keras.activations.tanh,
    "ReLU": keras.activations.relu,
    "leaky ReLU": lambda x: keras.activations.leaky_relu(x, negative_slope=ALPHA),
    "softplus": keras.activations.softplus,
}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


derivatives = {
    "sigmoid": lambda x: sigmoid(x) * (1 - sigmoid(x)),
    "tanh": lambda x: 1 - np.tanh(x) ** 2,
    "ReLU": lambda x: np.where(x > 0, 1.0, 0.0),
    "leaky ReLU": lambda x: np.where(x > 0, 1.0, ALPHA),
    "softplus": sigmoid,
}

# %%
# NBVAL_CHECK_OUTPUT
points = np.array([-2, -1, 0, 1, 2], dtype="float32")
print(f"{'x':>12}" + "".join(f"{x:8.0f}" for x in points))
for name, f in activations.items():
    print(f"{name:>12}" + "".join(f"{v:8.4f}" for v in to_numpy(f(points))))
print("derivatives")
for name, df in derivatives.items():
    print(f"{name:>12}" + "".join(f"{v:8.4f}" for v in df(points.astype(float))))

grid = np.linspace(-5, 5, 20001)
away_from_kink = np.abs(grid) > 0.01  # ReLU and leaky ReLU have a corner at 0
for name, f in activations.items():
    numeric = np.gradient(to_numpy(f(grid)).astype(float), grid)
    print(f"{name}: formula matches finite differences:",
          np.allclose(numeric[away_from_kink], derivatives[name](grid)[away_from_kink], atol=1e-3))

# %%
x_plot = np.linspace(-5, 5, 401)
fig, (ax_f, ax_df) = plt.subplots(1, 2, figsize=(11, 4))
for name, f in activations.items():
    ax_f.plot(x_plot, to_numpy(f(x_plot.astype("float32"))), label=name)
    ax_df.plot(x_plot, derivatives[name](x_plot), label=name)
ax_f.set(title="activation f(x)", xlabel="x", ylim=(-1.5, 5))
ax_df.set(title="derivative f'(x)", xlabel="x", ylim=(-0.1, 1.1))
for ax in (ax_f, ax_df):
    ax.axhline(0, color="0.8", lw=0.8)
    ax.legend()
plt.show()

# %% [markdown]
# The sigmoid's slope is at most 0.25, and nearly 0 for large $|x|$ (it **saturates**). Backprop
# multiplies one such slope per layer, so through 10 sigmoid layers the slopes alone shrink a
# gradient by at least $0.25^{10}$ (the weights multiply in too, and only large weights could make
# up for it): the **vanishing gradient**. ReLU's slope is exactly 1 for positive inputs, which is
# why modern CNNs use ReLU or leaky ReLU (which also keeps a small slope for negative inputs, so a
# unit can never get stuck at zero for every input).

# %%
# NBVAL_CHECK_OUTPUT
print(f"0.25 ** 10 = {0.25 ** 10:.2e}")

# %% [markdown]
# ## 9. Batch normalisation
#
# Training is easier when the inputs of every layer are centred and of similar scale.
# **Batch normalisation** (Ioffe & Szegedy 2015; Asensio Ramos's slides) does this inside the network: for each
# channel, over a mini-batch $\{x_1, \dots, x_m\}$,
#
# $$\mu_B = \frac{1}{m}\sum_{i=1}^m x_i, \qquad \sigma_B^2 = \frac{1}{m}\sum_{i=1}^m (x_i - \mu_B)^2, \qquad
# \hat{x}_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad y_i = \gamma \hat{x}_i + \beta .$$
#
# $\gamma$ (scale) and $\beta$ (shift) are learned, so the network can undo the normalisation where
# that helps; $\epsilon$ (Keras: 0.001) avoids dividing by zero. We compute the four lines by hand
# on a batch of 8 examples with 3 features and compare with `keras.layers.BatchNormalization`
# called in training mode.

# %%
# NBVAL_CHECK_OUTPUT
batch_rng = np.random.default_rng(0)
batch = (batch_rng.normal(size=(8, 3)) * [1.0, 10.0, 0.1] + [5.0, -20.0, 0.3]).astype("float32")
gamma = np.array([1.0, 2.0, 0.5], dtype="float32")
beta = np.array([0.0, 1.0, -1.0], dtype="float32")
epsilon = 1e-3

mu = batch.mean(axis=0)
var = ((batch - mu) ** 2).mean(axis=0)
x_hat = (batch - mu) / np.sqrt(var + epsilon)
y_by_hand = gamma * x_hat + beta

bn = layers.BatchNormalization(epsilon=epsilon)
bn.build((None, 3))
bn.set_weights([gamma, beta, np.zeros(3, "float32"), np.ones(3, "float32")])  # gamma, beta, moving mean, moving var
y_keras = to_numpy(bn(batch, training=True))
print("batch variance per feature:", ", ".join(f"{v:.3g}" for v in var))
print("x_hat: mean per feature", np.round(x_hat.mean(axis=0), 6) + 0.0, " std", np.round(x_hat.std(axis=0), 3))
print("Keras equals the equations:", np.allclose(y_keras, y_by_hand, atol=1e-5),
      f"(max |difference| < 1e-5: {np.max(np.abs(y_keras - y_by_hand)) < 1e-5})")

# %% [markdown]
# Each normalised feature has mean 0 and standard deviation close to 1. The third feature comes
# out below 1: its values vary by only about 0.1, so its variance is not much larger than
# $\epsilon = 0.001$, which then matters in the denominator.
#
# At inference a single image has no batch to average over, so the layer uses **moving averages**
# of $\mu_B$ and $\sigma_B^2$, updated at every training step:
# $\text{moving} \leftarrow 0.99 \cdot \text{moving} + 0.01 \cdot \text{batch value}$ (Keras's
# `momentum=0.99`). That is why a Keras layer must know whether it is training: the same input
# gives different outputs in the two modes.

# %%
# NBVAL_CHECK_OUTPUT
moving_mean = to_numpy(bn.moving_mean)
print("moving mean after one step equals 0.99*0 + 0.01*mu:", np.allclose(moving_mean, 0.01 * mu, atol=1e-6))
y_inference = to_numpy(bn(batch, training=False))
print("inference output differs from training output:", not np.allclose(y_inference, y_keras, atol=1e-2))

# %% [markdown]
# ## 10. Residual connections
#
# Very deep plain stacks train badly: the signal and its gradient fade through many layers. A
# **residual block** (He et al. 2016, ResNet) adds the block's input back to its output,
#
# $$y = \mathrm{ReLU}\big(x + F(x)\big),$$
#
# so the layers $F$ only have to learn a correction to the identity, and the gradient has a direct
# path back: $\partial y / \partial x$ contains a $1 + \dots$. When the block changes the number of
# channels or the size, the shortcut gets a 1×1 convolution (with the same stride) so the shapes
# match. Below, $F$ is convolution → batch norm → ReLU → convolution → batch norm.

# %%
def residual_block(x, filters, stride=1):
    """Basic ResNet block: two 3x3 convolutions with batch norm, plus the (projected) input."""
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    h = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    h = layers.BatchNormalization()(h)
    h = layers.Activation("relu")(h)
    h = layers.Conv2D(filters, 3, padding="same", use_bias=False)(h)
    h = layers.BatchNormalization()(h)
    return layers.Activation("relu")(layers.Add()([shortcut, h]))


block_input = keras.Input((16, 16, 8))
block = keras.Model(block_input, residual_block(block_input, 8), name="residual_block")

# %% [markdown]
# Drawn as a graph, the shortcut is the arc that skips the five layers of $F$. On the right, a block
# that halves the size and doubles the channels: its shortcut is the 1×1 convolution beside $F$.

# %%
projecting_block = keras.Model(block_input, residual_block(block_input, 16, stride=2), name="projecting_block")
fig, axes = plt.subplots(1, 2, figsize=(10, 6.5))
draw_model(block, ax=axes[0], title="residual block, same shape: identity shortcut")
draw_model(projecting_block, ax=axes[1], title="stride 2, 8 -> 16 channels: 1×1 projection")
plt.show()

# %% [markdown]
# If the last batch norm's $\gamma$ is 0, $F(x) = 0$ and the block is just $\mathrm{ReLU}(x)$, which
# is $x$ itself when the input comes out of an earlier ReLU: the block passes its input through. Starting a ResNet like this (a common trick) makes a deep network
# behave like a shallow one at first.

# %%
# NBVAL_CHECK_OUTPUT
last_bn = [layer for layer in block.layers if isinstance(layer, layers.BatchNormalization)][-1]  # the one before Add
g, b, mean, variance = last_bn.get_weights()
last_bn.set_weights([np.zeros_like(g), b, mean, variance])
x_in = rng.normal(size=(2, 16, 16, 8)).astype("float32")
print("last gamma set to 0: block output = ReLU(input):",
      np.allclose(to_numpy(block(x_in, training=False)), np.maximum(x_in, 0), atol=1e-6))

# %% [markdown]
# ## 11. Dropout
#
# **Dropout** (Srivastava et al. 2014) fights over-fitting: during training it sets each number
# to 0 with probability `rate`, a different random choice at every step, so no unit can rely on
# any particular other one. The survivors are multiplied by $1/(1 - \text{rate})$ to keep the
# average the same. At inference dropout does nothing.

# %%
dropout = layers.Dropout(rate=0.5, seed=runtime.seed)
ones = np.ones((1, 12), dtype="float32")
print("training: ", to_numpy(dropout(ones, training=True))[0])
print("inference:", to_numpy(dropout(ones, training=False))[0])
many = to_numpy(dropout(np.ones((1, 100_000), "float32"), training=True))
print(f"share set to 0 in 100,000 numbers: {np.mean(many == 0):.3f}; mean kept: {many.mean():.3f}")

# %%
# NBVAL_CHECK_OUTPUT
print("inference is the identity:", np.array_equal(to_numpy(dropout(ones, training=False)), ones))
print("training keeps only 0 and 1/(1-0.5) = 2:", set(np.unique(many).tolist()) <= {0.0, 2.0})

# %% [markdown]
# ## 12. The curse of dimensionality
#
# An image of 64×64 pixels is one point in a space of 4096 dimensions, and such spaces defy
# intuition. Asensio Ramos asks: how much of a cube is filled by the ball that just fits inside it? For
# a cube of side 1 the ball has diameter 1, and its volume, the filled fraction, is
#
# $$V(d) = \frac{\pi^{d/2}}{\Gamma\!\left(\frac{d}{2} + 1\right)} \left(\frac{1}{2}\right)^d .$$
#
# We evaluate it through logarithms (`math.lgamma`), which stay finite for large $d$.

# %%
def ball_fraction(d):
    """Fraction of the unit hypercube [-1/2, 1/2]^d inside the inscribed ball of diameter 1."""
    return math.exp(d / 2 * math.log(math.pi) - math.lgamma(d / 2 + 1) - d * math.log(2))


# %%
# NBVAL_CHECK_OUTPUT
for d in [1, 2, 3, 5, 10, 20, 50, 100]:
    print(f"d = {d:3d}: V(d) = {ball_fraction(d):.3e}")

# %% [markdown]
# A check by throwing random points into the cube and counting those within 1/2 of its centre:

# %%
for d in [2, 3, 5, 10]:
    points_in_cube = rng.uniform(-0.5, 0.5, size=(SIZES["cube_points"], d))
    inside = np.mean(np.linalg.norm(points_in_cube, axis=1) < 0.5)
    print(f"d = {d:2d}: random points inside the ball {inside:.4f}   formula {ball_fraction(d):.4f}")

# %%
dims = np.arange(1, 31)
plt.figure(figsize=(5.5, 3.5))
plt.semilogy(dims, [ball_fraction(d) for d in dims], "o-")
plt.xlabel("dimension d")
plt.ylabel("V(d): fraction of the cube in the ball")
plt.title("The volume is in the corners")
plt.show()

# %% [markdown]
# "The volume is on the borders": in 20 dimensions, 99.999998% of the cube lies in its corners,
# outside the ball. Data points in high dimensions are far from each other and from any centre.
#
# A second surprise (also from Asensio Ramos): pick two random directions. In 2-D their angle is anything from
# 0° to 180° with equal chance. In high dimensions it is almost always close to 90°: random
# vectors are nearly **orthogonal**, and there is room for exponentially many ($\sim e^{cd}$)
# directions that are all at 88°–92° from each other. The share of random pairs at 88°–92° has an
# exact formula (the squared cosine of the angle follows a Beta$(\tfrac12, \tfrac{d-1}{2})$
# distribution); we print it and check it by sampling.

# %%
def share_nearly_orthogonal(d, tolerance_deg=2.0):
    """Probability that two random directions in d dimensions are within tolerance_deg of 90 degrees."""
    limit = math.sin(math.radians(tolerance_deg))  # |cos(angle)| below this
    return special.betainc(0.5, (d - 1) / 2, limit**2)


def random_angles(d, pairs):
    """Angles in degrees between `pairs` pairs of random Gaussian vectors in d dimensions."""
    u = rng.standard_normal((pairs, d), dtype=np.float32)
    v = rng.standard_normal((pairs, d), dtype=np.float32)
    cosine = np.sum(u * v, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return np.degrees(np.arccos(np.clip(cosine, -1, 1)))


# %%
# NBVAL_CHECK_OUTPUT
for d in [2, 3, 10, 100, 1_000, 10_000]:
    print(f"d = {d:6,d}: share of random pairs at 88-92 degrees = {share_nearly_orthogonal(d):.4f}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for d in [2, 10, 100, 1000]:
    angles = random_angles(d, SIZES["angle_pairs"])
    sampled = np.mean(np.abs(angles - 90) < 2)
    print(f"d = {d:4d}: sampled share {sampled:.3f}   formula {share_nearly_orthogonal(d):.3f}")
    ax.hist(angles, bins=np.arange(0, 181, 2), density=True, histtype="step", lw=1.5, label=f"d = {d}")
ax.set(xlabel="angle between two random vectors (degrees)", ylabel="density")
ax.legend()
plt.show()

# %% [markdown]
# Why this matters for images: a network that treats each pixel as an unrelated input has an
# enormous space to search, and any training set covers it very sparsely. Convolutions assume
# instead that what matters is local (a 3×3 neighbourhood) and the same everywhere in the image
# (shared weights), which cuts the search enormously.
#
# ## 13. Architectures from the slides, in Keras
#
# Now we assemble the blocks into the networks the slides show. For each we print every layer's
# output shape and parameter count from Keras, next to the count from our formulas (batch
# normalisation has 4 numbers per channel: $\gamma$ and $\beta$ are trained, the two moving
# averages are not). `model.summary()` shows the same in Keras's own format.

# %%
def params_by_formula(layer):
    """Parameters of a layer from course_utils.conv's formulas (0 for layers without weights)."""
    if isinstance(layer, layers.Conv2D):
        return conv2d_params(layer.input.shape[-1], layer.filters, layer.kernel_size, use_bias=layer.use_bias)
    if isinstance(layer, layers.Dense):
        return dense_params(layer.input.shape[-1], layer.units, use_bias=layer.use_bias)
    if isinstance(layer, layers.BatchNormalization):
        return 4 * layer.input.shape[-1]
    return 0


def layer_table(model):
    """Print each layer's type, output shape and parameters (Keras and formula), then the totals."""
    print(f"{'layer':<23} {'output shape':<22} {'params':>11} {'formula':>11}")
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        by_formula = params_by_formula(layer)
        total += by_formula
        print(f"{type(layer).__name__:<23} {str(tuple(layer.output.shape)):<22} "
              f"{layer.count_params():>11,d} {by_formula:>11,d}")
    print(f"{'total':<46} {model.count_params():>11,d} {total:>11,d}")


# %% [markdown]
# ### LeNet (LeCun et al. 1998)
#
# The first successful CNN, for hand-written digits on 32×32 images: two convolution + pooling
# stages (6 and 16 filters of 5×5, tanh, average pooling), then three Dense layers.

# %%
# NBVAL_CHECK_OUTPUT
lenet = keras.Sequential([
    keras.Input((32, 32, 1)),
    layers.Conv2D(6, 5, activation="tanh"),
    layers.AveragePooling2D(2),
    layers.Conv2D(16, 5, activation="tanh"),
    layers.AveragePooling2D(2),
    layers.Flatten(),
    layers.Dense(120, activation="tanh"),
    layers.Dense(84, activation="tanh"),
    layers.Dense(10, activation="softmax"),
])
layer_table(lenet)

# %% [markdown]
# ### A VGG block (Simonyan & Zisserman 2014)
#
# VGG's idea: only 3×3 kernels, stacked. Two 3×3 convolutions see a 5×5 patch, like one 5×5
# convolution, with fewer parameters ($2 \cdot 9 C^2$ instead of $25 C^2$) and an extra
# non-linearity. A VGG block is a few 3×3 convolutions with `padding="same"`, then a 2×2 max pooling.

# %%
# NBVAL_CHECK_OUTPUT
def vgg_block(filters, convolutions):
    """`convolutions` 3x3 ReLU convolutions keeping the size, then 2x2 max pooling."""
    stack = [layers.Conv2D(filters, 3, padding="same", activation="relu") for _ in range(convolutions)]
    return stack + [layers.MaxPooling2D(2)]


vgg_demo = keras.Sequential([keras.Input((32, 32, 3)), *vgg_block(64, 2)])
layer_table(vgg_demo)

# %% [markdown]
# VGG16 (configuration D of the VGG paper's table, which Tsagkatakis shows) is five such blocks (64, 128, 256, 512, 512 filters)
# on 224×224×3 images, then Dense layers of 4096, 4096 and 1000 units. Building it would allocate
# 138 million weights; the formulas count them in no time, and show that almost 90% sit in the
# Dense layers:

# %%
# NBVAL_CHECK_OUTPUT
channels, width, conv_total = 3, 224, 0
for filters, convolutions in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
    for _ in range(convolutions):
        conv_total += conv2d_params(channels, filters, 3)
        channels = filters
    width = output_size(width, 2, 0, 2)  # the block's max pooling
dense_total = (dense_params(width * width * channels, 4096) + dense_params(4096, 4096)
               + dense_params(4096, 1000))
print(f"VGG16: convolutions {conv_total:,d} + dense {dense_total:,d} = {conv_total + dense_total:,d} parameters")
print(f"last feature maps {width}x{width}x{channels}; share in dense layers {dense_total / (conv_total + dense_total):.1%}")

# %% [markdown]
# ### An Inception module (GoogLeNet, Szegedy et al. 2015)
#
# Which kernel size is best? Inception does not choose: it runs 1×1, 3×3 and 5×5 convolutions and
# a 3×3 max pooling side by side and stacks their outputs along the channel axis. The naive version
# is expensive on many input channels, so the real module first shrinks the channels with 1×1
# convolutions ("dimensionality reduction"). Below, the sizes of GoogLeNet's first module, on
# 28×28 maps with 192 channels; the functional API builds the branches.

# %%
def inception_module(x, f1, f3_reduce, f3, f5_reduce, f5, pool_proj):
    """Inception module with 1x1 reductions; returns the concatenated branches (f1+f3+f5+pool_proj channels)."""
    branch1 = layers.Conv2D(f1, 1, activation="relu")(x)
    branch3 = layers.Conv2D(f3_reduce, 1, activation="relu")(x)
    branch3 = layers.Conv2D(f3, 3, padding="same", activation="relu")(branch3)
    branch5 = layers.Conv2D(f5_reduce, 1, activation="relu")(x)
    branch5 = layers.Conv2D(f5, 5, padding="same", activation="relu")(branch5)
    branch_pool = layers.MaxPooling2D(3, strides=1, padding="same")(x)
    branch_pool = layers.Conv2D(pool_proj, 1, activation="relu")(branch_pool)
    return layers.Concatenate()([branch1, branch3, branch5, branch_pool])


def naive_inception_module(x, f1, f3, f5):
    """Inception module without reductions: the pooling branch keeps all input channels."""
    branch1 = layers.Conv2D(f1, 1, activation="relu")(x)
    branch3 = layers.Conv2D(f3, 3, padding="same", activation="relu")(x)
    branch5 = layers.Conv2D(f5, 5, padding="same", activation="relu")(x)
    branch_pool = layers.MaxPooling2D(3, strides=1, padding="same")(x)
    return layers.Concatenate()([branch1, branch3, branch5, branch_pool])


# %%
# NBVAL_CHECK_OUTPUT
maps_in = keras.Input((28, 28, 192))
inception = keras.Model(maps_in, inception_module(maps_in, 64, 96, 128, 16, 32, 32))
layer_table(inception)
naive = keras.Model(maps_in, naive_inception_module(maps_in, 64, 128, 32))
print(f"naive module: {naive.count_params():,d} parameters, output {tuple(naive.output.shape)}")

# %% [markdown]
# The table lists the layers in Keras's order, which interleaves the four branches. Drawn, they stand
# side by side, and the Concatenate at the bottom stacks their 64 + 128 + 32 + 32 = 256 channels:

# %%
draw_model(inception, title=f"Inception module: {inception.count_params():,} parameters")
plt.show()

# %% [markdown]
# ### A small ResNet
#
# Residual blocks from section 10, stacked: a first convolution, then blocks that halve the size
# and double the channels (with the 1×1 projection on the shortcut), then **global average
# pooling** (one mean per channel, instead of a huge Flatten + Dense) and the classifier. Real
# ResNets stack 8 to 50 such blocks; here 64×64 images with 3 bands and 2 classes.

# %%
# NBVAL_CHECK_OUTPUT
image_in = keras.Input((64, 64, 3))
h = layers.Conv2D(16, 3, padding="same", use_bias=False)(image_in)
h = layers.Activation("relu")(layers.BatchNormalization()(h))
h = residual_block(h, 16)
h = residual_block(h, 32, stride=2)
h = layers.GlobalAveragePooling2D()(h)
small_resnet = keras.Model(image_in, layers.Dense(2, activation="softmax")(h), name="small_resnet")
layer_table(small_resnet)

# %%
draw_model(small_resnet)
plt.show()

# %% [markdown]
# ### braai: ZTF's real/bogus classifier
#
# The Zwicky Transient Facility finds transients by subtracting a reference image from each new
# image. Most detections in the difference are artefacts ("bogus"); braai (Duev et al. 2019)
# tells them from real transients. Its input is a triplet of 63×63 cut-outs (new, reference,
# difference) as 3 channels. Mahabal's slides describe the network, **VGG6**: six layers with weights,
# four convolutional (16, 16, then 32, 32 filters of 3×3) and two fully connected; dropout 0.25
# after each max pooling and 0.5 at the fully connected layers; ReLU everywhere except the sigmoid
# output (the probability of "real"). The slide says the 0.5 dropout comes "after the second fully
# connected layer", but that one is the output, so it must sit between the two (where the
# published code puts it). The pooling sizes (2×2, then 4×4), the 256 units of the first fully
# connected layer and the unpadded convolutions are from the published model.

# %%
# NBVAL_CHECK_OUTPUT
braai_vgg6 = keras.Sequential([
    keras.Input((63, 63, 3)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(2),
    layers.Dropout(0.25),
    layers.Conv2D(32, 3, activation="relu"),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(4),
    layers.Dropout(0.25),
    layers.Flatten(),
    layers.Dense(256, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(1, activation="sigmoid"),
], name="vgg6")
layer_table(braai_vgg6)
trainable = [layer for layer in braai_vgg6.layers if layer.count_params() > 0]
print("layers with weights:", len(trainable), [type(layer).__name__ for layer in trainable])

# %% [markdown]
# Keras's own summary of the same model (the layer names are numbered automatically):

# %%
braai_vgg6.summary()

# %% [markdown]
# ### A star–galaxy classifier (Kim & Brunner 2017)
#
# The table of Kim & Brunner's network, as Tsagkatakis shows it, layer by layer, on 44×44 cut-outs in 5 bands (u, g, r, i, z): eight
# convolutions (32, 32, 64×3, 128×3 filters, leaky ReLU), three 2×2 max poolings, and two leaky
# ReLU Dense layers of 2048 units before the 2-class softmax. "Padding 1" on a 3×3 kernel is
# `padding="same"`; the first 5×5 convolution has none. The initial weights are orthogonal
# matrices and the biases start at 0.1 (convolutions) and 0.01 (Dense); the table does not give
# leaky ReLU's slope, so we keep Keras's default (0.2). The figures of the paper give three
# checks: layer 1 makes 32 maps of 40×40, layer 3 64 maps of 20×20, layer 6 128 maps of 10×10.

# %%
def kim_brunner_conv(filters, kernel_size, padding):
    return layers.Conv2D(filters, kernel_size, padding=padding, activation="leaky_relu",
                         kernel_initializer="orthogonal", bias_initializer=keras.initializers.Constant(0.1))


def kim_brunner_dense(units, activation="leaky_relu"):
    return layers.Dense(units, activation=activation, kernel_initializer="orthogonal",
                        bias_initializer=keras.initializers.Constant(0.01))


star_galaxy_cnn = keras.Sequential([
    keras.Input((44, 44, 5)),
    kim_brunner_conv(32, 5, "valid"),
    kim_brunner_conv(32, 3, "same"),
    layers.MaxPooling2D(2),
    kim_brunner_conv(64, 3, "same"),
    kim_brunner_conv(64, 3, "same"),
    kim_brunner_conv(64, 3, "same"),
    layers.MaxPooling2D(2),
    kim_brunner_conv(128, 3, "same"),
    kim_brunner_conv(128, 3, "same"),
    kim_brunner_conv(128, 3, "same"),
    layers.MaxPooling2D(2),
    layers.Flatten(),
    kim_brunner_dense(2048),
    kim_brunner_dense(2048),
    kim_brunner_dense(2, activation="softmax"),
], name="star_galaxy")

# %%
# NBVAL_CHECK_OUTPUT
layer_table(star_galaxy_cnn)
conv_layers = [layer for layer in star_galaxy_cnn.layers if isinstance(layer, layers.Conv2D)]
for number in (1, 3, 6):
    print(f"layer {number}: output {tuple(conv_layers[number - 1].output.shape)}")

# %% [markdown]
# Two lessons in these tables. First, the convolutions hold few parameters and the first Dense
# layer most of them (6.6 of 11.2 million here, 295 thousand of braai's 312 thousand): global
# average pooling, as in the small ResNet, avoids that. Second, every output shape follows from
# $(W - K + 2P)/S + 1$, applied layer after layer.
#
# ## What to try next
#
# - Design a 3×3 kernel that responds to diagonal edges, load it into the filter bank of
#   section 5 and look at its map of the Hubble Deep Field.
# - Change the stride of the first convolution of braai's VGG6 to 2: predict the new output
#   shapes and parameter count with `output_size` and `conv2d_params`, then check with `layer_table`.
# - Replace the Flatten of the star–galaxy CNN with `GlobalAveragePooling2D`: how many parameters
#   are left?
# - In section 12, find the dimension where half of all random pairs are at 88°–92°.
#
# Lab 02 trains a CNN like these on MNIST, lab 03 on galaxy images.
