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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/astro-dl-course/deep-learning-astronomy/blob/main/solutions/01_foundations.ipynb)
#
# # Lab 01 — Foundations: perceptron, gradient descent, backpropagation, convolution
#
# Before we let Keras train networks on galaxies and lenses, we build the four pieces it is made of with
# nothing but NumPy, and reproduce the worked numbers of the lectures exactly: the NAND gate, the
# gradient-descent table and the backpropagation example follow C. R. Bom, "Deep Learning Applications in
# Astronomy" (2018), whose backpropagation example is M. Mazur's "A Step by Step Backpropagation Example"
# (2015); the convolution example follows A. Mahabal, "Deep learning" (UC Riverside, 2020).
#
# **What you will learn**
# - to write the perceptron learning rule and watch it learn the NAND gate;
# - to take gradient-descent steps by hand and rebuild Bom's iteration table for $J(\theta) = \theta^2$;
# - to run the forward and backward pass of a small sigmoid network and check every number of the
#   step-by-step backpropagation example;
# - to write the 2-D convolution of a CNN layer, with stride and padding, and predict its output size.
#
# **How this lab works.** Each exercise is a function to complete where you see `# YOUR CODE HERE`
# (delete the `raise NotImplementedError` line). The cell after it calls `check(...)`, which runs your
# function on the lecture's example *and* on fresh inputs and tells you what is wrong, so copying the
# published numbers does not pass. The lab is worth 10 points, shown next to each check. Everything runs in
# seconds on any machine, in every profile.

# %%
# Google Colab only: install the course package (elsewhere the README's set-up did it).
import subprocess, sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "course-utils @ git+https://github.com/astro-dl-course/deep-learning-astronomy@v0.2.0"], check=True)

# %%
import course_utils

runtime = course_utils.setup()

# %%
import matplotlib.pyplot as plt
import numpy as np

from course_utils.checks import check

# %% [markdown]
# ## 1. The perceptron learning rule (2 points)
#
# A perceptron fires when the weighted sum of its inputs clears zero:
# output $= 1$ if $w\cdot x + b > 0$, else $0$. Lecture 01 set its weights by hand to compute NAND
# ($Y = \overline{A\cdot B}$: 0 only for inputs 1, 1), then let the learning rule find them; now you write
# that rule. Start from $w = 0$, $b = 0$ and go through the rows of `X` **in order**; for each row compute
# the output, then move the weights towards the target:
#
# $$w \leftarrow w + \text{lr}\,(t - \text{output})\,x, \qquad b \leftarrow b + \text{lr}\,(t - \text{output}).$$
#
# When the output is right, $t - \text{output} = 0$ and nothing changes: the rule only learns from
# mistakes. One pass over all rows is an *epoch*; run exactly `epochs` of them.

# %%
NAND_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
NAND_TARGETS = np.array([1, 1, 1, 0], dtype=float)


def perceptron_train(X, y, lr, epochs):
    """Perceptron rule from w = 0, b = 0. X: (n, d) inputs, y: (n,) targets 0/1. Returns (w of shape (d,), b)."""
    # BEGIN SOLUTION
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(epochs):
        for x, target in zip(X, y):
            output = 1.0 if w @ x + b > 0 else 0.0
            w = w + lr * (target - output) * x
            b = b + lr * (target - output)
    return w, b
    # END SOLUTION


# %%
check("lab01", "perceptron", perceptron_train)

# %% [markdown]
# With lr = 0.25 the rule stops making mistakes after five epochs. The learned weights differ from the
# lecture's hand-set ones ($-2, -2, 3$), yet they give the same truth table: many lines separate the
# corner (1, 1) from the other three.

# %%
# NBVAL_CHECK_OUTPUT
w_nand, b_nand = perceptron_train(NAND_INPUTS, NAND_TARGETS, lr=0.25, epochs=6)
print(f"learned w = {np.round(w_nand, 4).tolist()}, b = {b_nand:.4f}")
print(" A  B | output | NAND")
for (a, b_in), target in zip(NAND_INPUTS, NAND_TARGETS):
    output = int(w_nand @ [a, b_in] + b_nand > 0)
    print(f" {a:.0f}  {b_in:.0f} | {output:6d} | {target:4.0f}")

# %% [markdown]
# ## 2. Gradient descent by hand (2 points)
#
# To minimise a cost $J(\theta)$, take small steps downhill: $\theta \leftarrow \theta - \alpha\,\frac{dJ}{d\theta}$.
# Bom uses $J(\theta) = \theta^2$, so $\frac{dJ}{d\theta} = 2\theta$, starting at $\theta_0 = 3$ with
# learning rate $\alpha = 0.1$.
#
# **(a)** `gd_step(theta, alpha)` returns $\theta$ after one step.

# %%
def gd_step(theta, alpha):
    """One gradient-descent step on J(theta) = theta**2: returns the new theta."""
    # BEGIN SOLUTION
    return theta - alpha * 2 * theta
    # END SOLUTION


# %%
check("lab01", "gd_step", gd_step)

# %% [markdown]
# **(b)** `gd_table(theta0, alpha, n)` returns Bom's iteration table as an array of shape `(n, 3)`:
# row $k$ (from 1) holds the iteration number $k$, the $\theta$ at the *start* of that iteration, and the
# step $\alpha\,\frac{dJ}{d\theta}$ taken from there. Row 1 is therefore $(1, \theta_0, \alpha \cdot 2\theta_0)$.
# Use your `gd_step`.

# %%
def gd_table(theta0, alpha, n):
    """Rows (iteration, theta, alpha * dJ/dtheta) for n iterations from theta0: array of shape (n, 3)."""
    # BEGIN SOLUTION
    rows = []
    theta = theta0
    for iteration in range(1, n + 1):
        rows.append((iteration, theta, alpha * 2 * theta))
        theta = gd_step(theta, alpha)
    return np.array(rows)
    # END SOLUTION


# %%
check("lab01", "gd_table", gd_table)

# %% [markdown]
# Bom's table, to its three decimals:

# %%
# NBVAL_CHECK_OUTPUT
table = gd_table(3.0, 0.1, 10)
print("iteration |     θ | α·dJ/dθ")
for iteration, theta, step in table:
    print(f"{iteration:9.0f} | {theta:5.3f} | {step:7.3f}")

# %% [markdown]
# Each step is 20 % shorter than the last ($\theta_{k+1} = (1 - 2\alpha)\,\theta_k$), so $\theta$ slides
# towards the minimum at 0 without ever reaching it. With $\alpha = 0.9$ (orange) each step overshoots
# the minimum and $\theta$ changes sign, yet still converges; try $\alpha = 1.1$ in the plot below.

# %%
theta_grid = np.linspace(-3.5, 3.5, 200)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(theta_grid, theta_grid**2, color="grey", label=r"$J(\theta) = \theta^2$")
for alpha, colour in ((0.1, "C0"), (0.9, "C1")):
    path = gd_table(3.0, alpha, 10)[:, 1]
    ax.plot(path, path**2, "o-", color=colour, ms=4, label=rf"$\alpha = {alpha}$")
ax.set(xlabel=r"$\theta$", ylabel=r"$J(\theta)$", title="gradient descent from θ0 = 3")
ax.legend()
plt.show()

# %% [markdown]
# ## 3. Backpropagation in a 2-2-2 network (4 points)
#
# Mazur's worked example, as in Lecture 03: two inputs, two hidden sigmoid neurons, two sigmoid outputs.
#
# | quantity | formula | values |
# | --- | --- | --- |
# | hidden | $net_{h1} = w_1 i_1 + w_2 i_2 + b_1$, $\;net_{h2} = w_3 i_1 + w_4 i_2 + b_1$ | $w_1..w_4 = 0.15, 0.20, 0.25, 0.30$; $b_1 = 0.35$ |
# | output | $net_{o1} = w_5\,out_{h1} + w_6\,out_{h2} + b_2$, $\;net_{o2} = w_7\,out_{h1} + w_8\,out_{h2} + b_2$ | $w_5..w_8 = 0.40, 0.45, 0.50, 0.55$; $b_2 = 0.60$ |
# | activation | $out = \sigma(net) = 1/(1 + e^{-net})$ | inputs $i = (0.05, 0.10)$ |
# | error | $E_{total} = \sum_o \tfrac12 (target_o - out_o)^2$ | targets $(0.01, 0.99)$ |
#
# In code `w` is an array of the 8 weights (`w[0]` is $w_1$), `b` holds $(b_1, b_2)$, `i` the inputs and
# `target` the two targets.

# %%
def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise."""
    return 1.0 / (1.0 + np.exp(-z))


weights = np.array([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55])
biases = np.array([0.35, 0.60])
inputs = np.array([0.05, 0.10])
targets = np.array([0.01, 0.99])
eta = 0.5

# %% [markdown]
# **(a) Forward pass (1 point).** Return a dict with at least `out_h1`, `out_h2`, `out_o1`, `out_o2` and
# `E_total`; adding the `net_` values too does no harm.

# %%
def forward(w, b, i, target):
    """Forward pass of the 2-2-2 sigmoid network: dict of net_*, out_* (numbers) and E_total."""
    # BEGIN SOLUTION
    net_h1 = w[0] * i[0] + w[1] * i[1] + b[0]
    net_h2 = w[2] * i[0] + w[3] * i[1] + b[0]
    out_h1, out_h2 = sigmoid(net_h1), sigmoid(net_h2)
    net_o1 = w[4] * out_h1 + w[5] * out_h2 + b[1]
    net_o2 = w[6] * out_h1 + w[7] * out_h2 + b[1]
    out_o1, out_o2 = sigmoid(net_o1), sigmoid(net_o2)
    E_total = 0.5 * (target[0] - out_o1) ** 2 + 0.5 * (target[1] - out_o2) ** 2
    return dict(net_h1=net_h1, net_h2=net_h2, out_h1=out_h1, out_h2=out_h2,
                net_o1=net_o1, net_o2=net_o2, out_o1=out_o1, out_o2=out_o2, E_total=E_total)
    # END SOLUTION


# %%
check("lab01", "forward", forward)

# %%
# NBVAL_CHECK_OUTPUT
values = forward(weights, biases, inputs, targets)
for name in ("out_h1", "out_h2", "out_o1", "out_o2", "E_total"):
    print(f"{name:8s} = {values[name]:.9f}")

# %% [markdown]
# These are the published numbers (Bom's slides, Mazur's post): $out_{h1} = 0.593269992$, $out_{h2} = 0.596884378$,
# $out_{o1} = 0.75136507$, $out_{o2} = 0.772928465$, $E_{total} = 0.298371109$.
#
# **(b) Backward pass (2 points).** Return the 8 gradients $\partial E_{total}/\partial w_1 \ldots
# \partial E_{total}/\partial w_8$ as an array of shape `(8,)`. The chain rule, as in Lecture 03:
#
# $$\frac{\partial E_{total}}{\partial w_5} = \underbrace{-(target_{o1} - out_{o1})}_{\partial E/\partial out_{o1}}
#   \cdot \underbrace{out_{o1}(1 - out_{o1})}_{\partial out_{o1}/\partial net_{o1}}
#   \cdot \underbrace{out_{h1}}_{\partial net_{o1}/\partial w_5} = \delta_{o1}\, out_{h1}.$$
#
# For a hidden weight, $out_{h1}$ feeds *both* outputs, so its error collects from both:
# $\frac{\partial E_{total}}{\partial out_{h1}} = \delta_{o1} w_5 + \delta_{o2} w_7$, and then
# $\frac{\partial E_{total}}{\partial w_1} = \frac{\partial E_{total}}{\partial out_{h1}} \cdot out_{h1}(1 - out_{h1}) \cdot i_1$.
# (The sigmoid's slope is $\sigma'(net) = out\,(1 - out)$.)

# %%
def backward(w, b, i, target):
    """Gradients dE_total/dw1 .. dE_total/dw8 of the 2-2-2 network: array of shape (8,)."""
    # BEGIN SOLUTION
    f = forward(w, b, i, target)
    delta_o1 = (f["out_o1"] - target[0]) * f["out_o1"] * (1 - f["out_o1"])
    delta_o2 = (f["out_o2"] - target[1]) * f["out_o2"] * (1 - f["out_o2"])
    delta_h1 = (delta_o1 * w[4] + delta_o2 * w[6]) * f["out_h1"] * (1 - f["out_h1"])
    delta_h2 = (delta_o1 * w[5] + delta_o2 * w[7]) * f["out_h2"] * (1 - f["out_h2"])
    return np.array([delta_h1 * i[0], delta_h1 * i[1], delta_h2 * i[0], delta_h2 * i[1],
                     delta_o1 * f["out_h1"], delta_o1 * f["out_h2"], delta_o2 * f["out_h1"], delta_o2 * f["out_h2"]])
    # END SOLUTION


# %%
check("lab01", "backward", backward)

# %% [markdown]
# **(c) One training step (1 point).** Update all eight weights with learning rate $\eta$:
# $w^+ = w - \eta\,\partial E_{total}/\partial w$. Compute every gradient first, with the original
# weights, and return a new array; the biases stay fixed, as in the worked example.

# %%
def train_step(w, b, i, target, eta):
    """One gradient-descent step on the 8 weights: returns the new weights, shape (8,)."""
    # BEGIN SOLUTION
    return w - eta * backward(w, b, i, target)
    # END SOLUTION


# %%
check("lab01", "train_step", train_step)

# %%
# NBVAL_CHECK_OUTPUT
gradients = backward(weights, biases, inputs, targets)
updated = train_step(weights, biases, inputs, targets, eta)
print("         dE/dw           w+")
for k in range(8):
    print(f"w{k + 1}  {gradients[k]: .9f}  {updated[k]:.9f}")
print(f"E_total before {forward(weights, biases, inputs, targets)['E_total']:.9f}, "
      f"after one step {forward(updated, biases, inputs, targets)['E_total']:.9f}")

# %% [markdown]
# Bom's slides give $\partial E_{total}/\partial w_5 = 0.082167041$ and $w_5^+ = 0.35891648$; Mazur's post
# also gives $w_1^+ = 0.149780716$. One step lowers the error a little; training is this step repeated.

# %%
# NBVAL_CHECK_OUTPUT
w_trained = weights.copy()
for _ in range(10_000):
    w_trained = train_step(w_trained, biases, inputs, targets, eta)
print(f"after 10,000 steps: E_total = {forward(w_trained, biases, inputs, targets)['E_total']:.3e}, "
      f"outputs = {forward(w_trained, biases, inputs, targets)['out_o1']:.4f}, "
      f"{forward(w_trained, biases, inputs, targets)['out_o2']:.4f} (targets 0.01, 0.99)")

# %% [markdown]
# ## 4. Convolution with stride and padding (2 points)
#
# A convolutional layer slides a small kernel over the image; at each position it multiplies the kernel
# with the window under it and sums. Strictly this is a *cross-correlation*: the kernel is used as it is,
# not flipped as in the mathematicians' convolution. Keras' `Conv2D` does the same.
#
# - **Padding** $P$ adds $P$ rows and columns of zeros on every side of the image first.
# - **Stride** $S$: output $(r, c)$ uses the window whose top-left corner sits at $(S r, S c)$ of the padded image.
# - **Output size**, per axis, for an image of size $W$ and a kernel of size $K$:
#   $\lfloor (W - K + 2P)/S \rfloor + 1$ (a last window that would stick out is dropped).
#
# Images and kernels need not be square. Return a float array.

# %%
def conv2d(image, kernel, stride=1, padding=0):
    """2-D cross-correlation of image (H, W) with kernel (kh, kw), zero padding, stride: feature map (H', W')."""
    # BEGIN SOLUTION
    padded = np.pad(np.asarray(image, dtype=float), padding)
    k_rows, k_cols = kernel.shape
    out_rows = (padded.shape[0] - k_rows) // stride + 1
    out_cols = (padded.shape[1] - k_cols) // stride + 1
    feature_map = np.zeros((out_rows, out_cols))
    for r in range(out_rows):
        for c in range(out_cols):
            window = padded[r * stride:r * stride + k_rows, c * stride:c * stride + k_cols]
            feature_map[r, c] = np.sum(window * kernel)
    return feature_map
    # END SOLUTION


# %%
check("lab01", "conv2d", conv2d)

# %% [markdown]
# Mahabal's example: a 5×5 binary image and a 3×3 "X" kernel give the 3×3 convolved feature
# 4 3 4 / 2 4 3 / 2 3 4. And the sizes of Bom's stride figure: a 7×7 input and a 3×3
# kernel give 5×5 with stride 1 and 3×3 with stride 2; padding 1 keeps 7×7.

# %%
# NBVAL_CHECK_OUTPUT
image = np.array([[1, 1, 1, 0, 0],
                  [0, 1, 1, 1, 0],
                  [0, 0, 1, 1, 1],
                  [0, 0, 1, 1, 0],
                  [0, 1, 1, 0, 0]])
x_kernel = np.array([[1, 0, 1],
                     [0, 1, 0],
                     [1, 0, 1]])
print("convolved feature:\n", conv2d(image, x_kernel).astype(int))
for stride, padding in ((1, 0), (2, 0), (1, 1)):
    shape = conv2d(np.ones((7, 7)), np.ones((3, 3)), stride=stride, padding=padding).shape
    print(f"7x7 input, 3x3 kernel, stride {stride}, padding {padding} -> {shape[0]}x{shape[1]}")

# %% [markdown]
# Keras computes the same cross-correlation. With an asymmetric kernel (where flipping would matter),
# `keras.ops.conv` on the zero-padded image agrees with yours:

# %%
# NBVAL_CHECK_OUTPUT
import keras

rng = np.random.default_rng(runtime.seed)
test_image, test_kernel = rng.normal(size=(9, 11)), rng.normal(size=(3, 2))
by_keras = keras.ops.conv(np.pad(test_image, 1)[None, :, :, None].astype("float32"),
                          test_kernel[:, :, None, None].astype("float32"), strides=2, padding="valid")
print("agrees with Keras:", np.allclose(keras.ops.convert_to_numpy(by_keras)[0, :, :, 0],
                                        conv2d(test_image, test_kernel, stride=2, padding=1), atol=1e-4))

# %% [markdown]
# ### Convolution on the sky
#
# Mahabal's edge-enhancing kernel $\begin{pmatrix}0&1&0\\1&-4&1\\0&1&0\end{pmatrix}$ (a discrete Laplacian)
# is zero where brightness changes linearly and large where it bends. Applied to a patch of the Hubble
# Deep Field (shipped with scikit-image) it finds the sources, but also every noisy pixel. Stacking two
# convolutions, as a CNN does, fixes that: a 5×5 blurring kernel first smooths the noise away, and the
# Laplacian of the smoothed image outlines the compact sources and the galaxies' edges. The border shows a
# frame: zero padding makes the image drop to 0 just outside it, which the kernels report as an edge.

# %%
from skimage import color, data

sky = color.rgb2gray(data.hubble_deep_field())[430:558, 670:798]
laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
binomial = np.array([1, 4, 6, 4, 1]) / 16
smoothed = conv2d(sky, np.outer(binomial, binomial), padding=2)  # a 5x5 near-Gaussian blur
panels = [(sky, "Hubble Deep Field patch"), (conv2d(sky, laplacian, padding=1), "Laplacian"),
          (conv2d(smoothed, laplacian, padding=1), "5×5 blur, then Laplacian"),
          (conv2d(smoothed, laplacian, stride=2, padding=1), "the same with stride 2")]
fig, axes = plt.subplots(1, 4, figsize=(14, 3.9))
for ax, (picture, title) in zip(axes, panels):
    limit = np.percentile(np.abs(picture), 99.5)  # a few bright cores would otherwise set the colour scale
    ax.imshow(picture, cmap="gray", origin="lower", vmin=-limit if picture.min() < 0 else 0, vmax=limit)
    ax.set(title=f"{title}\n{picture.shape[0]}×{picture.shape[1]}", xticks=[], yticks=[])
plt.show()

# %% [markdown]
# ## Your score
#
# The same checks the instructor's grader runs, over all exercises at once:

# %%
# NBVAL_CHECK_OUTPUT
from course_utils.checks import evaluate, questions

earned = sum(q.points for q in questions("lab01") if evaluate(q, globals().get(q.target))[0])
print(f"Lab 01 self-checks: {earned:g} / {sum(q.points for q in questions('lab01')):g} points")

# %% [markdown]
# ## What to try next
# - Train the perceptron on XOR (targets 0, 1, 1, 0) for 20 epochs: do the weights ever settle? Why not?
# - Find the largest $\alpha$ for which gradient descent on $\theta^2$ still converges, and explain it with
#   $\theta_{k+1} = (1 - 2\alpha)\theta_k$.
# - Check `backward` numerically: nudge one weight by $\pm 10^{-6}$ and compare
#   $(E(w + h) - E(w - h))/2h$ with your gradient.
# - Let `train_step` update the biases too and compare the error after 10,000 steps.
# - Write `conv2d` without the two Python loops (hint: `np.lib.stride_tricks.sliding_window_view`) and time both.
