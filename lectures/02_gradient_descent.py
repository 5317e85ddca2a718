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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/astro-dl-course/deep-learning-astronomy/blob/main/lectures/02_gradient_descent.ipynb)
#
# # Lecture 02 — Gradient descent
#
# **What you will learn:**
# - how gradient descent finds the minimum of a cost function, one small step at a time,
#   reproducing the iteration table of C. R. Bom's lectures ($J(\theta)=\theta^2$, $\theta_0=3$, $\alpha=0.1$);
# - what a learning rate that is too large or too small does;
# - how to fit a straight line $h(x)=\theta_0+\theta_1 x$ with gradient descent, and how batch,
#   stochastic and mini-batch gradient descent differ;
# - the common loss functions (MSE, MAE, cross-entropy, hinge, exponential, logistic), and why
#   convexity matters;
# - what the optimizers you will meet in Keras (SGD, Nesterov momentum, Adagrad, Adadelta,
#   RMSprop, Adam) actually do, by watching them on the same landscape.
#
# The lecture follows three slide decks: C. R. Bom, "Deep Learning Applications in Astronomy" (2018)
# for gradient descent and the straight-line fit; A. Asensio Ramos, "Basics of deep learning", for
# batch and stochastic gradient descent and the regression and classification losses; and
# G. Tsagkatakis, "Fundamentals of Deep Neural Networks", for the hinge, exponential and logistic
# losses and the table of optimizers. Every number the slides show is recomputed here, in cells marked
# `# NBVAL_CHECK_OUTPUT`, so the course's tests fail if any of them changes.

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

# %% [markdown]
# ## 1. The idea: walk downhill
#
# Training a neural network means finding the parameters $\theta$ that make a **cost function**
# $J(\theta)$ (also called loss) as small as possible. We usually cannot solve for the minimum on
# paper, but we can always ask the question *"if I nudge $\theta$ a little, does the cost go up or
# down?"*. The answer is the derivative $dJ/d\theta$: it points uphill, so we step the other way.
# That is the **update rule** of gradient descent:
#
# $$\theta := \theta - \alpha \, \frac{dJ}{d\theta}$$
#
# The step size $\alpha$ is the **learning rate**. Bom starts with the simplest cost there
# is, $J(\theta) = \theta^2$, whose derivative is $dJ/d\theta = 2\theta$, from $\theta = 3$ with
# $\alpha = 0.1$.

# %%
def cost_parabola(theta):
    """J(theta) = theta^2, the first cost function of Bom's lectures."""
    return theta**2


def derivative_parabola(theta):
    """dJ/dtheta = 2 theta."""
    return 2 * theta


def gradient_descent_1d(derivative, theta_start, learning_rate, n_steps):
    """theta after 0, 1, ..., n_steps updates theta := theta - learning_rate * dJ/dtheta; shape (n_steps + 1,)."""
    thetas = [theta_start]
    for _ in range(n_steps):
        thetas.append(thetas[-1] - learning_rate * derivative(thetas[-1]))
    return np.array(thetas)


alpha = 0.1
thetas = gradient_descent_1d(derivative_parabola, theta_start=3.0, learning_rate=alpha, n_steps=10)

# %% [markdown]
# Each row of Bom's table shows $\theta$ at the start of an iteration and the step
# $\alpha\, dJ/d\theta$ that is subtracted from it:

# %%
# NBVAL_CHECK_OUTPUT
print("iteration   theta   alpha*dJ/dtheta")
for iteration, theta in enumerate(thetas[:10], start=1):
    print(f"{iteration:9d} {theta:7.3f} {alpha * derivative_parabola(theta):9.3f}")

# %%
# Bom's table as printed on the slide: (theta, alpha*dJ/dtheta) for iterations 1 to 10.
SLIDE_TABLE = [("3", "0.6"), ("2.4", "0.48"), ("1.92", "0.384"), ("1.536", "0.307"), ("1.229", "0.246"),
               ("0.983", "0.197"), ("0.786", "0.157"), ("0.629", "0.126"), ("0.503", "0.101"), ("0.403", "0.081")]
for theta, (theta_slide, step_slide) in zip(thetas, SLIDE_TABLE):
    assert f"{theta:.3f}" == f"{float(theta_slide):.3f}", (theta, theta_slide)
    assert f"{alpha * derivative_parabola(theta):.3f}" == f"{float(step_slide):.3f}", (theta, step_slide)

# %% [markdown]
# All ten rows agree with the slide. Each step is smaller than the one before, although $\alpha$
# never changes: the slope $2\theta$ flattens as we approach the bottom, so the steps shrink by
# themselves. Here is the path on the parabola.

# %%
theta_grid = np.linspace(-3.5, 3.5, 200)
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(theta_grid, cost_parabola(theta_grid), color="0.6", label=r"$J(\theta)=\theta^2$")
ax.plot(thetas, cost_parabola(thetas), "o-", color="C3", label=r"gradient descent, $\alpha=0.1$")
for k in (0, 1, 2):
    ax.annotate(rf"$\theta_{{{k}}}$", (thetas[k], cost_parabola(thetas[k])), textcoords="offset points",
                xytext=(6, 4))
ax.set_xlabel(r"$\theta$")
ax.set_ylabel(r"cost $J(\theta)$")
ax.legend()
plt.show()

# %% [markdown]
# ### Learning rate too large, too small
#
# For this cost every update multiplies $\theta$ by the same number:
# $\theta - \alpha \cdot 2\theta = (1 - 2\alpha)\,\theta$. With $\alpha = 0.1$ that factor is $0.8$,
# which is why the table's $\theta$ column is $3 \times 0.8^{\,\text{iteration}-1}$. The factor
# tells the whole story:
#
# - $\alpha = 0.01$: factor $0.98$, each step removes only 2 % of the distance — a **crawl**;
# - $\alpha = 0.9$: factor $-0.8$, $\theta$ jumps to the other side each time, but still converges;
# - $\alpha = 1.05$: factor $-1.1$, every jump lands further away — **divergence**.
#
# Real cost functions are not parabolas, but near a minimum they look like one, so the same three
# behaviours appear when you train a network: a loss that barely moves, a loss that zig-zags, and
# a loss that explodes to `nan`.

# %%
learning_rates = {"too small": 0.01, "the table": 0.1, "large": 0.9, "too large": 1.05}
paths = {name: gradient_descent_1d(derivative_parabola, 3.0, rate, n_steps=10)
         for name, rate in learning_rates.items()}

# %%
# NBVAL_CHECK_OUTPUT
for name, rate in learning_rates.items():
    print(f"alpha = {rate:<5} ({name:9s}): theta after 10 steps = {paths[name][-1]:7.3f}, "
          f"factor per step 1 - 2 alpha = {1 - 2 * rate:+.2f}")

# %%
fig, axes = plt.subplots(1, 4, figsize=(15, 3.4), sharey=True)
wide_grid = np.linspace(-8.5, 8.5, 300)
for ax, (name, path) in zip(axes, paths.items()):
    ax.plot(wide_grid, cost_parabola(wide_grid), color="0.6")
    ax.plot(path, cost_parabola(path), "o-", color="C3", ms=4, lw=1)
    ax.set_title(rf"$\alpha = {learning_rates[name]}$ ({name})")
    ax.set_xlabel(r"$\theta$")
axes[0].set_ylabel(r"$J(\theta)$")
plt.show()

# %% [markdown]
# ## 2. Fitting a straight line with gradient descent
#
# Now a problem with data. Bom fits the **linear model** $h(x) = \theta_0 + \theta_1 x$ by
# minimising the "one half mean squared error" over the $m$ examples $(x^{(i)}, y^{(i)})$:
#
# $$J(\theta_0, \theta_1) = \frac{1}{2m}\sum_{i=1}^{m}\left(h(x^{(i)}) - y^{(i)}\right)^2$$
#
# (the $\tfrac12$ only makes the derivative tidier). Its two partial derivatives are
#
# $$\frac{\partial J}{\partial \theta_0} = \frac{1}{m}\sum_{i=1}^{m}\left(h(x^{(i)}) - y^{(i)}\right), \qquad
#   \frac{\partial J}{\partial \theta_1} = \frac{1}{m}\sum_{i=1}^{m}\left(h(x^{(i)}) - y^{(i)}\right)x^{(i)},$$
#
# and both parameters are updated at the same time, each with its own derivative.
#
# **The data.** A simulated Hubble diagram: 40 galaxies with distances between 10 and 200 Mpc
# that recede at $v = H_0 d$ with $H_0 = 70$ km/s/Mpc, plus a random peculiar velocity of
# ~500 km/s. We measure $x$ in units of 100 Mpc and $y$ in units of 1000 km/s, so both are of
# order one (gradient descent dislikes features of very different sizes). The slope $\theta_1$
# is then $H_0/10$ in km/s/Mpc.

# %%
rng = np.random.default_rng(2024)
n_galaxies = 40
distance = rng.uniform(0.1, 2.0, n_galaxies)  # x: distance, units of 100 Mpc
velocity = 7.0 * distance + rng.normal(0.0, 0.5, n_galaxies)  # y: recession velocity, units of 1000 km/s


def half_mse(theta, x, y):
    """J(theta0, theta1) = 1/(2m) sum (theta0 + theta1 x - y)^2 for examples x, y of shape (m,)."""
    return 0.5 * np.mean((theta[0] + theta[1] * x - y) ** 2)


def half_mse_gradient(theta, x, y):
    """(dJ/dtheta0, dJ/dtheta1), the derivatives above, as an array of shape (2,)."""
    residual = theta[0] + theta[1] * x - y
    return np.array([np.mean(residual), np.mean(residual * x)])


# %% [markdown]
# Gradient descent from $\theta = (0, 0)$ with $\alpha = 0.5$ for 1000 iterations:

# %%
theta = np.zeros(2)
theta_path = [theta]
for _ in range(1000):
    theta = theta - 0.5 * half_mse_gradient(theta, distance, velocity)
    theta_path.append(theta)
theta_path = np.array(theta_path)

# %% [markdown]
# A straight-line fit also has an exact answer, the **least-squares solution**, which NumPy
# computes directly with `numpy.linalg.lstsq` (the column of ones in the design matrix carries
# $\theta_0$). Gradient descent should land on the same numbers:

# %%
design_matrix = np.column_stack([np.ones(n_galaxies), distance])
theta_exact, *_ = np.linalg.lstsq(design_matrix, velocity, rcond=None)

# %%
# NBVAL_CHECK_OUTPUT
print(f"gradient descent : theta0 = {theta[0]:.4f}, theta1 = {theta[1]:.4f}, J = {half_mse(theta, distance, velocity):.4f}")
print(f"least squares    : theta0 = {theta_exact[0]:.4f}, theta1 = {theta_exact[1]:.4f}, "
      f"J = {half_mse(theta_exact, distance, velocity):.4f}")
print(f"Hubble constant from the slope: H0 = {10 * theta[1]:.1f} km/s/Mpc (simulated with 70)")
assert np.allclose(theta, theta_exact, rtol=0, atol=1e-8)

# %% [markdown]
# Left: the data and the fitted line. Right: the cost $J(\theta_0, \theta_1)$ as contours, and the
# path gradient descent took. The path first runs downhill steeply, then creeps along the floor of
# a long, narrow valley: $\theta_0$ and $\theta_1$ can trade off against each other (a slightly
# steeper line with a lower intercept fits almost as well), so the cost changes slowly along that
# direction. Narrow valleys are what make plain gradient descent slow, and they motivate the
# optimizers of section 4.

# %%
fig, (ax_data, ax_cost) = plt.subplots(1, 2, figsize=(12, 4.5))
ax_data.plot(100 * distance, 1000 * velocity, "o", label="simulated galaxies")
d_line = np.linspace(0, 2.1, 2)
ax_data.plot(100 * d_line, 1000 * (theta[0] + theta[1] * d_line), "C3", label="gradient-descent fit")
ax_data.set_xlabel("distance [Mpc]")
ax_data.set_ylabel("recession velocity [km/s]")
ax_data.legend()

t0_grid, t1_grid = np.meshgrid(np.linspace(-3, 4, 200), np.linspace(-1, 9, 200))
residuals = t0_grid[..., None] + t1_grid[..., None] * distance - velocity
cost_grid = 0.5 * np.mean(residuals**2, axis=-1)
ax_cost.contour(t0_grid, t1_grid, np.log10(cost_grid), levels=25, cmap="Greys")
ax_cost.plot(theta_path[:, 0], theta_path[:, 1], ".-", color="C3", ms=3, lw=1, label="gradient descent")
ax_cost.plot(*theta_exact, "*", color="C2", ms=14, label="least squares")
ax_cost.set_xlabel(r"$\theta_0$")
ax_cost.set_ylabel(r"$\theta_1$")
ax_cost.set_title(r"contours of $\log_{10} J(\theta_0, \theta_1)$")
ax_cost.legend()
plt.show()

# %% [markdown]
# ### Batch, stochastic and mini-batch gradient descent
#
# The derivatives above average over **all** $m$ examples: every single update reads the whole
# data set. That is **batch** gradient descent, $\theta_{i+1} = \theta_i - h\nabla_\theta f(\theta, T)$
# in Asensio Ramos's notation, with $T$ the training set. For a million images that is a lot of
# work for one small step. **Stochastic** gradient descent (SGD) estimates the gradient from a
# random subset instead, $\theta_{i+1} = \theta_i - h\nabla_\theta f(\theta, T_\text{subset})$: from one
# example at a time (pure SGD) or from a **mini-batch** of a few examples, the usual choice in deep
# learning (Keras's `batch_size`). One pass through the whole data set is an **epoch**.
#
# The three differ only in how many examples each update uses, so one function covers all three:

# %%
def minibatch_gradient_descent(x, y, learning_rate, n_epochs, batch_size, rng):
    """Gradient descent on the half-MSE, shuffling the data every epoch.

    batch_size = len(x) is batch gradient descent, 1 is stochastic, anything between is mini-batch.
    Returns the final theta, shape (2,), and the cost on all data after every update, shape (n_updates + 1,).
    """
    theta = np.zeros(2)
    costs = [half_mse(theta, x, y)]
    for _ in range(n_epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            theta = theta - learning_rate * half_mse_gradient(theta, x[batch], y[batch])
            costs.append(half_mse(theta, x, y))
    return theta, np.array(costs)


batch_sizes = {"batch (40 per update)": n_galaxies, "mini-batch (8 per update)": 8, "stochastic (1 per update)": 1}
n_epochs = 50
batch_runs = {name: minibatch_gradient_descent(distance, velocity, learning_rate=0.1, n_epochs=n_epochs,
                                               batch_size=size, rng=np.random.default_rng(7))
        for name, size in batch_sizes.items()}

# %%
# NBVAL_CHECK_OUTPUT
print(f"after {n_epochs} epochs with learning rate 0.1 (least squares: J = {half_mse(theta_exact, distance, velocity):.4f})")
for name, (theta_run, costs) in batch_runs.items():
    print(f"{name:27s}: {len(costs) - 1:5d} updates, theta0 = {theta_run[0]:6.3f}, "
          f"theta1 = {theta_run[1]:6.3f}, J = {costs[-1]:.4f}")

# %% [markdown]
# Left: the cost against epochs, i.e. for the same amount of data read. Right: the same curves
# against the number of updates. Per epoch, SGD is far ahead because it makes 40 updates where
# batch gradient descent makes one; but its curve is noisy, and it never settles exactly on the
# minimum, because each single-example gradient points a little off. Mini-batches sit in between:
# nearly as fast per epoch, much less noisy, and (on a GPU) each mini-batch is computed in
# parallel for about the price of one example. Per update (right), batch and mini-batch steps do
# almost equally well: 8 examples already estimate the gradient well, at a fifth of the cost of
# 40. Single examples add visible noise.

# %%
fig, (ax_epoch, ax_update) = plt.subplots(1, 2, figsize=(12, 4))
for name, (_theta, costs) in batch_runs.items():
    updates_per_epoch = (len(costs) - 1) // n_epochs
    epochs = np.arange(len(costs)) / updates_per_epoch
    ax_epoch.semilogy(epochs, costs, label=name, lw=1)
    ax_update.semilogy(np.arange(len(costs)), costs, label=name, lw=1)
for ax in (ax_epoch, ax_update):
    ax.axhline(half_mse(theta_exact, distance, velocity), color="k", ls=":", label="least squares")
    ax.set_ylabel(r"cost $J$ on all data")
ax_epoch.set_xlabel("epoch")
ax_update.set_xlabel("update")
ax_update.set_xscale("log")
ax_epoch.legend()
plt.show()

# %% [markdown]
# ## 3. Loss functions
#
# Gradient descent minimises whatever cost you give it, so the choice of the **loss function**
# decides what "good" means. Writing $y$ for the truth and $\hat y$ for the prediction, Asensio Ramos
# lists, for **regression**:
#
# - mean squared error (MSE), $L = \frac1n\sum (y_i - \hat y_i)^2$ — large errors cost a lot
#   (quadratically), so a few outliers can dominate;
# - mean absolute error (MAE), $L = \frac1n\sum |y_i - \hat y_i|$ — every unit of error costs the
#   same, so it is robust to outliers, but its gradient does not shrink near the minimum;
#
# for **classification** with a probability $\hat y \in (0, 1)$ and a label $y \in \{0, 1\}$:
#
# - cross-entropy, $L = -\left(y \log \hat y + (1-y)\log(1-\hat y)\right)$ — grows without bound when
#   the network is confidently wrong;
#
# and, for a label $y \in \{-1, +1\}$ and a raw score $\hat y$, functions of the **margin**
# $y\hat y$ (positive when the sign is right):
#
# - hinge, $\max(0, 1 - \hat y y)$ (support vector machines) — zero once the margin exceeds 1;
# - exponential, $\exp(-\hat y y)$ (boosting) — punishes wrong signs very hard;
# - logistic, $\log_2(1 + \exp(-\hat y y))$ — cross-entropy in disguise, in bits, for a
#   sigmoid probability.
#
# All three margin losses are smooth-ish stand-ins for the 0–1 loss ("1 if wrong, 0 if right"),
# whose gradient is zero almost everywhere and so gives gradient descent nothing to follow.

# %%
def mse(y, y_pred): return (y - y_pred) ** 2
def mae(y, y_pred): return np.abs(y - y_pred)
def cross_entropy(y, p): return -(y * np.log(p) + (1 - y) * np.log(1 - p))
def hinge(margin): return np.maximum(0.0, 1.0 - margin)
def exponential(margin): return np.exp(-margin)
def logistic(margin): return np.log2(1.0 + np.exp(-margin))


fig, axes = plt.subplots(1, 3, figsize=(15, 4))
residual = np.linspace(-3, 3, 301)
axes[0].plot(residual, mse(0, residual), label="MSE")
axes[0].plot(residual, mae(0, residual), label="MAE")
axes[0].set(xlabel=r"error $\hat y - y$", ylabel="loss per example", title="regression", ylim=(0, 4))
probability = np.linspace(0.001, 0.999, 500)
axes[1].plot(probability, cross_entropy(1, probability), label="cross-entropy, $y = 1$")
axes[1].plot(probability, cross_entropy(0, probability), label="cross-entropy, $y = 0$")
axes[1].set(xlabel=r"predicted probability $\hat y$", title="classification (probabilities)", ylim=(0, 5))
margin = np.linspace(-2, 3, 501)
axes[2].plot(margin, (margin <= 0).astype(float), "k:", label="0–1 loss")
axes[2].plot(margin, hinge(margin), label="hinge")
axes[2].plot(margin, exponential(margin), label="exponential")
axes[2].plot(margin, logistic(margin), label="logistic")
axes[2].set(xlabel=r"margin $\hat y\, y$", title="classification (margins)", ylim=(0, 5))
for ax in axes:
    ax.legend()
plt.show()

# %% [markdown]
# These are the same losses Keras offers (`keras.losses`), which average over the last axis. A
# quick check that our one-line formulas agree with Keras's own, on a few values:

# %%
import keras

y_true = np.array([[1.0], [1.0], [0.0]])
p_pred = np.array([[0.9], [0.5], [0.9]])  # confident and right, unsure, confident and wrong
keras_values = {
    "MSE": keras.losses.mean_squared_error(y_true, p_pred),
    "MAE": keras.losses.mean_absolute_error(y_true, p_pred),
    "cross-entropy": keras.losses.binary_crossentropy(y_true, p_pred),
    "hinge": keras.losses.hinge(y_true, p_pred),  # Keras turns labels 0/1 into -1/+1 itself
}
ours = {"MSE": mse(y_true, p_pred), "MAE": mae(y_true, p_pred), "cross-entropy": cross_entropy(y_true, p_pred),
        "hinge": hinge((2 * y_true - 1) * p_pred)}

# %%
# NBVAL_CHECK_OUTPUT
print("loss            y=1,p=0.9  y=1,p=0.5  y=0,p=0.9   (ours = Keras?)")
for name, values in keras_values.items():
    values = keras.ops.convert_to_numpy(values)
    agree = np.allclose(values, ours[name].ravel(), atol=1e-5)
    print(f"{name:14s}" + "".join(f"{v:11.4f}" for v in values) + f"   {agree}")

# %% [markdown]
# ### Convex and non-convex costs
#
# A cost is **convex** when the straight line between any two points of its graph lies above the
# graph: a single bowl. Then every downhill path ends at the one minimum, wherever it starts —
# $\theta^2$ and the straight-line fit above are convex. The loss of a neural network is
# **non-convex**: hills, valleys and saddle points. Gradient descent then finds *a* minimum, the one
# downhill of where it started. Here is a one-dimensional example,
# $f(\theta) = \theta^4 - 3\theta^2 + \theta$, started on either side of its hump.

# %%
def bumpy(theta):
    """A non-convex cost with two minima: f(theta) = theta^4 - 3 theta^2 + theta."""
    return theta**4 - 3 * theta**2 + theta


def bumpy_derivative(theta):
    return 4 * theta**3 - 6 * theta + 1


starts = (-0.5, 0.5)
bumpy_paths = [gradient_descent_1d(bumpy_derivative, theta0, learning_rate=0.02, n_steps=100) for theta0 in starts]

# %%
# NBVAL_CHECK_OUTPUT
for theta0, path in zip(starts, bumpy_paths):
    print(f"start theta = {theta0:+.1f}  ->  theta = {path[-1]:+.4f}, f = {bumpy(path[-1]):+.4f}")

# %%
fig, (ax_convex, ax_bumpy) = plt.subplots(1, 2, figsize=(12, 4))
ax_convex.plot(theta_grid, cost_parabola(theta_grid), color="0.6")
ax_convex.plot(thetas, cost_parabola(thetas), "o-", color="C3", ms=4)
ax_convex.set(title=r"convex: $\theta^2$", xlabel=r"$\theta$")
grid = np.linspace(-1.9, 1.8, 300)
ax_bumpy.plot(grid, bumpy(grid), color="0.6")
for theta0, path in zip(starts, bumpy_paths):
    ax_bumpy.plot(path, bumpy(path), "o-", ms=3, label=f"start at {theta0:+.1f}")
ax_bumpy.set(title=r"non-convex: $\theta^4 - 3\theta^2 + \theta$", xlabel=r"$\theta$")
ax_bumpy.legend()
plt.show()

# %% [markdown]
# Starting at $-0.5$ reaches the deeper (global) minimum; starting at $+0.5$ gets stuck in the
# shallower (local) one. That sounds alarming for networks with millions of parameters, but the
# Asensio Ramos makes two reassuring points: in very many dimensions most of the minima that training
# finds are about **equally good** ("all minima are equivalent"), and the noise of stochastic
# gradients helps to roll out of narrow dips ("SGD modifies the loss function").

# %% [markdown]
# ## 4. Optimizers: Tsagkatakis's table, made visible
#
# Deep-learning libraries offer refinements of the plain update rule. Tsagkatakis summarises six of
# them in a table; here we run Keras's own implementations (`keras.optimizers`) on one test
# landscape and look at what each does. The landscape is the **Rosenbrock function**
#
# $$f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2,$$
#
# a curved, narrow valley (a "banana") with its minimum $f = 0$ at $(1, 1)$: steep walls, a nearly
# flat floor. It is a harder version of the valley we met when fitting the line, and a fair
# caricature of a network's loss. All optimizers start at $(-1.5, 2)$ and take 500 steps.
#
# Each optimizer needs the gradient. We write it by hand, as in the rest of this lecture (Lecture 03
# shows how TensorFlow computes gradients automatically), and check it with central differences,
# $\partial f/\partial x \approx [f(x+h, y) - f(x-h, y)]/2h$.

# %%
def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_gradient(x, y):
    """(df/dx, df/dy) of the Rosenbrock function, shape (2,)."""
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


start, h = np.array([-1.5, 2.0]), 1e-6
numerical = [(rosenbrock(start[0] + h, start[1]) - rosenbrock(start[0] - h, start[1])) / (2 * h),
             (rosenbrock(start[0], start[1] + h) - rosenbrock(start[0], start[1] - h)) / (2 * h)]

# %%
# NBVAL_CHECK_OUTPUT
print(f"gradient at the start, by hand        : {rosenbrock_gradient(*start).round(4)}")
print(f"gradient at the start, central diff.  : {np.round(numerical, 4)}")
assert np.allclose(rosenbrock_gradient(*start), numerical, rtol=1e-7)

# %% [markdown]
# A Keras optimizer updates **variables** (`keras.Variable`, the kind of object that holds a
# layer's weights) given their gradients: `optimizer.apply(gradients, variables)` performs one
# step. This is exactly what `model.fit` does for every mini-batch, only with millions of
# variables.

# %%
def minimise(optimizer, start, n_steps):
    """Run a Keras optimizer on the Rosenbrock function; the visited points, shape (n_steps + 1, 2) or
    fewer rows if the point ran away (a coordinate beyond ±10: it has blown up)."""
    point = keras.Variable(np.asarray(start, dtype="float32"))
    path = [np.array(start)]
    for _ in range(n_steps):
        x, y = keras.ops.convert_to_numpy(point)
        gradient = keras.ops.convert_to_tensor(rosenbrock_gradient(x, y).astype("float32"))
        optimizer.apply([gradient], [point])
        path.append(keras.ops.convert_to_numpy(point))
        if np.abs(path[-1]).max() > 10:
            break
    return np.array(path)


# %% [markdown]
# Plain SGD gets three learning rates, to see how much hangs on that one number. The others were
# given a learning rate by hand after a few tries (not tuned to their best: that is an exercise
# below); Nesterov momentum gets the same one as the slowest SGD, so the two differ only by the
# momentum. Adadelta with `learning_rate=1.0` is the original algorithm, which has no learning rate.

# %%
make_optimizer = {
    "SGD": lambda rate: keras.optimizers.SGD(learning_rate=rate),
    "Nesterov momentum": lambda rate: keras.optimizers.SGD(learning_rate=rate, momentum=0.9, nesterov=True),
    "Adagrad": lambda rate: keras.optimizers.Adagrad(learning_rate=rate),
    "Adadelta": lambda rate: keras.optimizers.Adadelta(learning_rate=rate, epsilon=1e-6),
    "RMSprop": lambda rate: keras.optimizers.RMSprop(learning_rate=rate),
    "Adam": lambda rate: keras.optimizers.Adam(learning_rate=rate),
}
runs = [("SGD", 0.001), ("SGD", 0.002), ("SGD", 0.0025), ("Nesterov momentum", 0.001), ("Adagrad", 0.5),
        ("Adadelta", 1.0), ("RMSprop", 0.01), ("Adam", 0.1)]
optimizer_paths = {(method, rate): minimise(make_optimizer[method](rate), start, n_steps=500)
                   for method, rate in runs}

# %%
# NBVAL_CHECK_OUTPUT
print("500 steps from (-1.5, 2.0); the minimum is f = 0 at (1, 1)")
print("optimizer          learning rate      x       y        f    steps where f went up")
for (method, rate), path in optimizer_paths.items():
    f_along_path = rosenbrock(path[:, 0], path[:, 1])
    if len(path) <= 500:
        print(f"{method:18s} {rate:<13g}  blew up after {len(path) - 1} steps")
        continue
    print(f"{method:18s} {rate:<13g} {path[-1, 0]:+7.3f} {path[-1, 1]:+7.3f} {f_along_path[-1]:9.2e} "
          f"{np.sum(np.diff(f_along_path) > 0):6d}")

# %%
x_grid, y_grid = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
log_f = np.log10(rosenbrock(x_grid, y_grid) + 1e-3)
fig, axes = plt.subplots(2, 3, figsize=(15, 9), sharex=True, sharey=True)
for ax, method in zip(axes.flat, make_optimizer):
    ax.contour(x_grid, y_grid, log_f, levels=20, cmap="Greys", linewidths=0.6)
    for (run_method, rate), path in optimizer_paths.items():
        if run_method == method:
            ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.8, label=f"learning rate {rate:g}")
    ax.plot(*start, "o", color="k", ms=6)
    ax.plot(1, 1, "*", color="C2", ms=14)
    ax.set_title(method)
    ax.legend(loc="lower right")
    ax.set_xlim(-2, 2)
    ax.set_ylim(-1, 3)
fig.suptitle("Keras optimizers on the Rosenbrock function, 500 steps (start: black dot, minimum: green star)")
plt.show()

# %% [markdown]
# The paths show *where* each optimizer went; two more curves show *how*: the cost after each step,
# and the length of each step (how far the point moved), both on logarithmic axes.

# %%
fig, (ax_cost, ax_step) = plt.subplots(1, 2, figsize=(14, 4.5))
for (method, rate), path in optimizer_paths.items():
    label = f"{method}, {rate:g}"
    ax_cost.semilogy(rosenbrock(path[:, 0], path[:, 1]), label=label)
    ax_step.loglog(np.arange(1, len(path)), np.linalg.norm(np.diff(path, axis=0), axis=1), label=label)
ax_cost.set(xlabel="step", ylabel="f(x, y)", title="the cost along each path", ylim=(1e-5, 1e4))
ax_step.set(xlabel="step", ylabel="step length", title="how far each step moved the point", ylim=(1e-4, 10))
ax_cost.legend(fontsize="small")
plt.show()

# %% [markdown]
# Tsagkatakis's table, with a last column saying what the figures above show. "Per-parameter
# learning rate" means the step in $x$ and the step in $y$ are scaled separately, by how large
# each one's gradients have been.
#
# | optimizer | core idea | pros (slides) | cons (slides) | what the figures show |
# | --- | --- | --- | --- | --- |
# | SGD | step against the gradient of a mini-batch | easy to implement | one global learning rate to set; may stick at saddle points or local minima; slow; unstable | **everything hangs on the learning rate, and it is unstable**: at 0.001 it is safe but **slow** — on the flat valley floor its steps shrink to about 0.002 and it ends far from the minimum; at 0.002 it bounces wildly across the valley and happens to land near the minimum; at 0.0025, only 25 % more, it **blows up** within a few steps. |
# | Nesterov momentum | keep part of the previous step's direction (a ball rolling downhill) | stable; faster learning; can escape local minima | a learning rate to set | **faster, and stable**: with the same learning rate as the slow SGD it reaches the minimum. Momentum overshoots across the valley at first (the zig-zag), then builds up long steps along the floor, where SGD crawls. |
# | Adagrad | per-parameter learning rate, divided by the root of the *sum* of all past squared gradients | rate tailored to each parameter; good with sparse gradients | still a global rate; very slow late in training | **stalls**: two big first steps, then the step length collapses after a dozen steps and never recovers, because the sum still contains the huge gradients of the steep start. |
# | Adadelta | Adagrad with a decaying average instead of a sum, and steps scaled by the size of past steps | no global learning rate; faster convergence; few hyper-parameters | may get stuck late in training | **adapts, but slowly**: with no learning rate its step size comes from its own history (and $\epsilon$); the step length dips, then grows again by itself, yet it stays among the slowest here. "Faster convergence" holds on some problems, not on this one. |
# | RMSprop | per-parameter rate, divided by the root of a *decaying average* of squared gradients | rate tailored to each parameter; rate does not collapse late in training; works well for RNNs | still a global rate; not good with sparse gradients | **steady**: unlike Adagrad's, its steps do not collapse: they stay near its learning rate (0.01) all along the valley, because old gradients are forgotten. Steady, but not yet at the minimum. |
# | Adam | RMSprop's per-parameter scaling plus momentum (decaying average of past gradients) | per-parameter rate; good with sparse gradients and changing problems; memory-efficient; fast convergence | may turn unstable | **fast**: close to the minimum, with Keras's default betas and a learning rate of 0.1 picked by hand after a few tries (100 times Keras's default of 0.001, which would crawl here). Its step lengths jitter and its cost goes up on more steps than any other method's that did not blow up (the table above): momentum carries it up the valley wall. |
#
# Two lessons. First, every method has a learning rate (or another knob) that matters more than
# the choice of method; the ranking above changes if you change them. Second, Adam is the usual
# first choice for networks because its defaults work reasonably well there, where gradients of very
# different sizes meet (a few tries of the learning rate, as here, still pay off).
#
# ## What to try next
#
# - Tune: give each method in `runs` a few learning rates (steps of about ×3) and keep the one
#   with the lowest final $f$. Does the ranking of the table change? Which methods blow up first?
# - Start from another point, e.g. `(1.5, -0.5)`, or run 2000 steps.
# - In section 2, use `batch_size=4` or a larger learning rate for SGD and watch the noise.
# - Lecture 03 opens the box: how the gradient of a whole network is computed (backpropagation).
