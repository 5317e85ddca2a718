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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/astro-dl-course/deep-learning-astronomy/blob/main/lectures/01_perceptron_nand.ipynb)
#
# # Lecture 01 — The perceptron and the NAND gate
#
# Every deep network in this course — the CNN that reads MNIST digits, the one that sorts galaxies,
# the one that finds gravitational lenses — is built from one idea: a unit that weighs its inputs,
# adds them up, and decides. This lecture builds that unit by hand.
#
# **What you will learn**
# - the perceptron's rule: output 1 if $w\cdot x + b > 0$, else 0;
# - how a hand-set perceptron computes the NAND gate, and how the perceptron learning rule finds such weights by itself;
# - why a single perceptron cannot compute XOR, and how a hidden layer fixes it;
# - why smooth activations (the sigmoid) make learning by small steps possible;
# - softmax regression, $y = \mathrm{softmax}(Wx + b)$: the output layer of the multi-class classifiers in the labs.
#
# The NAND gate and the sigmoid neuron follow C. R. Bom, "Deep Learning Applications in Astronomy" (2018),
# and softmax regression A. Mahabal, "Deep learning" (UC Riverside, 2020). The papers and books the course cites are gathered in
# [docs/references.md](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/docs/references.md).

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

from course_utils.plotting import decision_regions

# %% [markdown]
# ## 1. The perceptron
#
# Frank Rosenblatt's perceptron (1950s) takes binary inputs $x_j$, weighs each by $w_j$, and fires when
# the weighted sum clears a threshold. Moving the threshold to the other side as a *bias* $b = -\text{threshold}$:
#
# $$\text{output} = \begin{cases} 0 & \text{if } w\cdot x + b \le 0 \\ 1 & \text{if } w\cdot x + b > 0 \end{cases}$$
#
# The weights say how much each input matters; the bias says how easy it is to make the unit fire.

# %%
def perceptron(x, w, b):
    """Output 0 or 1 for inputs x of shape (n, d), weights w (d,), bias b."""
    return (np.asarray(x) @ np.asarray(w) + b > 0).astype(int)


INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])

# %% [markdown]
# ## 2. A perceptron that computes NAND
#
# NAND ("not and") is 0 only when both inputs are 1: $Y = \overline{A\cdot B}$. With weights $-2, -2$
# and bias $3$ the weighted sum is $3$, $1$, $1$ and $-1$ for the four inputs, so the unit fires on
# all but the last. We print its truth table next to the gate's definition:

# %%
# NBVAL_CHECK_OUTPUT
W_NAND, B_NAND = np.array([-2, -2]), 3
expected = 1 - (INPUTS[:, 0] & INPUTS[:, 1])  # Y = NOT(A AND B)
print(" A  B | w.x+b | perceptron | NOT(A AND B)")
for (a, b_in), y_hat, y in zip(INPUTS, perceptron(INPUTS, W_NAND, B_NAND), expected):
    print(f" {a}  {b_in} | {W_NAND @ [a, b_in] + B_NAND:5d} | {y_hat:10d} | {y:12d}")
print("perceptron computes NAND:", bool(np.all(perceptron(INPUTS, W_NAND, B_NAND) == expected)))

# %% [markdown]
# NAND matters because it is *universal*: every logical circuit — and so every computer — can be
# built from NAND gates alone. A network of perceptrons can therefore compute anything a computer can.
# The interesting question is whether it can *learn* the weights instead of being told them.
#
# The perceptron draws one straight line through the input plane: $w\cdot x + b = 0$.

# %%
decision_regions(lambda x: perceptron(x, W_NAND, B_NAND), INPUTS, expected,
                 title="hand-set perceptron: NAND")
plt.show()

# %% [markdown]
# ## 3. Learning NAND: the perceptron learning rule
#
# Start from zero weights and show the examples one at a time. When the unit is wrong, nudge the weights
# towards the right answer:
#
# $$w \leftarrow w + \eta\,(t - y)\,x, \qquad b \leftarrow b + \eta\,(t - y)$$
#
# with target $t$, output $y$ and learning rate $\eta$. A correct answer ($t = y$) changes nothing.
# One pass over the four examples is an *epoch*; we stop after an epoch without mistakes.

# %%
def train_perceptron(X, targets, lr=1.0, max_epochs=20):
    """Perceptron rule from zero weights; returns (w, b, history of (epoch, w, b, mistakes))."""
    w, b = np.zeros(X.shape[1]), 0.0
    history = []
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for x, t in zip(X, targets):
            y = perceptron(x[None, :], w, b)[0]
            w, b = w + lr * (t - y) * x, b + lr * (t - y)
            mistakes += int(t != y)
        history.append((epoch, w.copy(), b, mistakes))
        if mistakes == 0:
            break
    return w, b, history


# %%
# NBVAL_CHECK_OUTPUT
w, b, history = train_perceptron(INPUTS, expected)
print("epoch | w1    w2   |  b   | mistakes")
for epoch, w_e, b_e, mistakes in history:
    print(f"{epoch:5d} | {w_e[0]:4.0f} {w_e[1]:4.0f} | {b_e:4.0f} | {mistakes}")
print("learned weights compute NAND:", bool(np.all(perceptron(INPUTS, w, b) == expected)))

# %% [markdown]
# The rule converged in a handful of epochs to weights different from ours, yet with the same truth
# table: many lines separate the one "0" corner from the three "1" corners. Rosenblatt proved that this
# always happens when such a line exists (the *perceptron convergence theorem*).

# %%
decision_regions(lambda x: perceptron(x, w, b), INPUTS, expected, title="learned perceptron: NAND")
plt.show()

# %% [markdown]
# ## 4. XOR: where one perceptron fails
#
# XOR is 1 when exactly one input is 1. Its "1" corners, (0, 1) and (1, 0), sit diagonally opposite:
# no straight line separates them from (0, 0) and (1, 1). The learning rule never stops making mistakes:

# %%
# NBVAL_CHECK_OUTPUT
xor = INPUTS[:, 0] ^ INPUTS[:, 1]
_, _, xor_history = train_perceptron(INPUTS, xor, max_epochs=10)
print("mistakes per epoch on XOR:", [mistakes for *_, mistakes in xor_history])

# %% [markdown]
# A *hidden layer* fixes it. XOR can be written with NAND gates only:
# $\text{XOR}(a, b) = \text{NAND}(\text{NAND}(a, n), \text{NAND}(b, n))$ with $n = \text{NAND}(a, b)$.
# Each NAND is our perceptron, so this is a network of four perceptrons in three layers: $n$ first,
# then the two inner NANDs, each of which sees $n$ *and* an original input (a connection that skips a
# layer), then the output unit. Hidden units bend the line. (Two layers would also do — one hidden
# layer computing OR and NAND, an output computing AND — but not with NAND units alone.)

# %%
# NBVAL_CHECK_OUTPUT
def nand(a, b):
    return perceptron(np.column_stack([a, b]), W_NAND, B_NAND)


def xor_network(x):
    """XOR from four NAND perceptrons: x (n, 2) -> (n,)."""
    a, b = x[:, 0], x[:, 1]
    n = nand(a, b)
    return nand(nand(a, n), nand(b, n))


print(" A  B | network | A XOR B")
for (a, b_in), y_hat, y in zip(INPUTS, xor_network(INPUTS), xor):
    print(f" {a}  {b_in} | {y_hat:7d} | {y:7d}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
decision_regions(lambda x: perceptron(x, *train_perceptron(INPUTS, xor, max_epochs=10)[:2]), INPUTS, xor,
                 ax=axes[0], title="one perceptron: XOR fails")
decision_regions(lambda x: xor_network((x > 0.5).astype(int)), INPUTS, xor, ax=axes[1],
                 title="network of NAND perceptrons")
plt.show()

# %% [markdown]
# (The right panel thresholds the plane at 0.5 because NAND units expect 0/1 inputs.)
#
# ## 5. The sigmoid neuron: why smooth activations make learning possible
#
# To learn by small steps we need small changes in the weights to cause small changes in the output.
# A perceptron's step jumps from 0 to 1, so a tiny weight change either does nothing or flips the output.
# The sigmoid neuron replaces the step by a smooth S-curve,
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \text{output} = \frac{1}{1 + \exp(-\sum_j w_j x_j - b)},$$
#
# which behaves like the perceptron for large $|z|$ but has a slope everywhere: $\sigma'(z) = \sigma(z)(1 - \sigma(z))$.
# That slope is what gradient descent (Lecture 02) and backpropagation (Lecture 03) follow.

# %%
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


z = np.linspace(-6, 6, 401)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
axes[0].plot(z, (z > 0).astype(float), label="step (perceptron)")
axes[0].plot(z, sigmoid(z), label=r"sigmoid $\sigma(z)$")
axes[0].plot(z, sigmoid(z) * (1 - sigmoid(z)), "--", label=r"slope $\sigma'(z)$")
axes[0].set(xlabel="z = w.x + b", title="activations")
axes[0].legend()
bias = np.linspace(3, 5, 201)  # the NAND unit's bias, moved around the value 4 where (1, 1) flips
z_11 = W_NAND @ [1, 1] + bias
axes[1].plot(bias, (z_11 > 0).astype(float), label="perceptron output")
axes[1].plot(bias, sigmoid(z_11), label="sigmoid output")
axes[1].set(xlabel="bias b", title="output for input (1, 1) as the bias moves")
axes[1].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# On the right, the perceptron's output jumps at one value of the bias and is flat elsewhere: there is no
# slope telling us which way to move. The sigmoid's output changes a little for each little change.
#
# Sigmoid neurons also compute NAND if we scale the weights up (large $|z|$ pushes $\sigma$ towards 0 or 1):

# %%
# NBVAL_CHECK_OUTPUT
for scale in (1, 10):
    outputs = sigmoid(scale * (INPUTS @ W_NAND + B_NAND))
    print(f"weights x{scale:<2d}: outputs", np.round(outputs, 4), "-> rounded", np.round(outputs).astype(int))

# %% [markdown]
# ## 6. Softmax regression: $y = \mathrm{softmax}(Wx + b)$
#
# For more than two classes each class $k$ gets its own weights: the *evidence* $z_k = W_k\cdot x + b_k$.
# Softmax turns the evidence into probabilities that are positive and sum to one:
#
# $$\mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}.$$
#
# This is the last layer of the labs' multi-class classifiers (10 digits, 10 galaxy classes); lab 04's
# lens finder answers one yes/no question, so it ends in a single number, the sigmoid's input. Here: three
# clusters in the plane, and a Keras model that is nothing but softmax regression, one `Dense` layer.

# %%
import keras

rng = np.random.default_rng(runtime.seed)
centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
labels = np.repeat(np.arange(3), 100)
points = (centres[labels] + rng.normal(scale=0.8, size=(300, 2))).astype("float32")

softmax_regression = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3, activation="softmax")])
softmax_regression.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
                           loss="sparse_categorical_crossentropy", metrics=["accuracy"])
epochs = runtime.pick(smoke=20, cpu=100, full=100)
history = softmax_regression.fit(points, labels, epochs=epochs, batch_size=300, verbose=0)
print(f"training accuracy after {epochs} epochs: {history.history['accuracy'][-1]:.3f}")

# %% [markdown]
# The model's prediction is exactly the formula: take its weights $W$ (shape 2 × 3) and bias $b$ and
# apply softmax by hand. Keras stores $W$ as (inputs × outputs) and puts the examples in the rows of
# `points` (shape 300 × 2), so the formula $Wx$ for one column vector $x$ becomes `points @ W` for all
# of them at once: each row of the result holds one point's three evidences.

# %%
W, b_soft = (np.asarray(v) for v in softmax_regression.layers[0].get_weights())
evidence = points[:5] @ W + b_soft
by_hand = np.exp(evidence) / np.exp(evidence).sum(axis=1, keepdims=True)
print("by hand:\n", np.round(by_hand, 3))
print("agrees with Keras:", np.allclose(by_hand, softmax_regression.predict(points[:5], verbose=0), atol=1e-5))

# %%
decision_regions(lambda x: softmax_regression.predict(x, verbose=0, batch_size=4096).argmax(axis=1),
                 points, labels, title="softmax regression: straight boundaries")
plt.show()

# %% [markdown]
# The boundaries between classes are straight lines — softmax regression is a single layer, as limited
# as one perceptron. Stacking layers with non-linear activations (Lecture 03 onwards) bends them.
#
# ## What to try next
# - Change the learning rate of the perceptron rule (0.1, 10): does NAND take more epochs? Why not?
# - Find two other weight settings that compute NAND, and one that computes AND and OR.
# - Give the softmax model a hidden layer (`Dense(8, activation="relu")` before the output) and redraw the regions.
