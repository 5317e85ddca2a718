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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/astro-dl-course/deep-learning-astronomy/blob/main/solutions/03_galaxy_morphology.ipynb)
#
# # Lab 03 — Galaxy morphology with a convolutional network
#
# Galaxy Zoo volunteers sorted hundreds of thousands of galaxies by eye: smooth or with a disk, round
# or cigar-shaped, barred, spiral, edge-on, merging. **Galaxy10** keeps the galaxies on which more
# than 55 % of the volunteers' votes agreed, in ten classes: 21,785 SDSS images of 69×69 pixels, or
# 17,736 sharper DECaLS images of 256×256. The galaxy-morphology case study in G. Tsagkatakis's
# "Fundamentals of Deep Neural Networks" trains a CNN on exactly this kind of data, and surveys such as Euclid and Rubin will image a billion galaxies that
# no one can inspect by eye.
#
# **What you will learn**
# - to split imbalanced data so that every class keeps its share (stratification), and to weight
#   the rare classes so that the network does not ignore them;
# - to augment images with the 8 exact orientations of a square (a galaxy has no preferred "up");
# - to build a CNN with batch normalisation and dropout, and train it with a learning-rate schedule
#   and early stopping;
# - to judge it by more than one number: accuracy within each class, the confusion matrix, and the
#   galaxies it gets wrong with the most confidence;
# - to carry a network from one survey to another: what a different PSF, noise and pixel size do to it,
#   and how fine-tuning on a few hundred galaxies of the new survey beats training from scratch on them
#   (transfer learning);
# - (full profile) to start from a network trained on ImageNet photographs.
#
# **How this lab works.** Each exercise is a function to complete where you see `# YOUR CODE HERE`
# (delete the `raise NotImplementedError` line). The cell after it calls `check(...)`, which tries your
# function on its own examples and says what is wrong. The lab is worth 10 points, shown next to each
# check. The later sections use your functions: complete the exercises in order.
#
# **Data and time.** The `cpu` profile (a laptop, or Colab without a GPU) takes 6,000 Galaxy10 SDSS
# images at 64×64 pixels and trains on as many of them, for as many epochs, as this machine can do in
# about 5 minutes (it measures its own speed first), so that the lab stays under 10 minutes on 2 cores;
# the `full` profile (Colab with a GPU)
# on all of Galaxy10 DECaLS at 128×128, where the target is a test accuracy of at least 85 %
# (published CNNs reach about 90 %, the best about 95 %). Without a network, the course's galaxy
# simulator draws the ten DECaLS classes instead, and says so loudly.

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
# All sizes live in this one cell. `smoke` is for the course's automatic tests (seconds, on the
# simulator, or on the small real-format files a test serves through `COURSE_DATA_REGISTRY`), `cpu`
# for a laptop, `full` for a Colab GPU or TPU.

# %%
import math
import textwrap
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers
from sklearn.model_selection import train_test_split

from course_utils import budget
from course_utils.checks import check
from course_utils.data import registry_override
from course_utils.data.galaxy10 import resize_images
from course_utils.data.offline import offline_from_env
from course_utils.loaders import load_galaxy10
from course_utils.plotting import confusion_matrix_plot, image_grid, training_curves
from course_utils.sims.galaxies import observe, simulate_galaxy10, simulate_galaxy_bands, to_rgb

SIZES = runtime.pick(
    smoke=dict(variant="sdss", offline=None if registry_override() else True, n=600, size=32, batch_size=32,
               epochs=1, survey=dict(n_train=48, n_test=64, fine_tune_epochs=1, scratch_epochs=1),
               imagenet=None),
    cpu=dict(variant="sdss", offline=None, n=6_000, size=64, batch_size=64, epochs=25,
             survey=dict(n_train=300, n_test=600, fine_tune_epochs=15, scratch_epochs=30), imagenet=None),
    full=dict(variant="decals", offline=None, n=None, size=128, batch_size=64, epochs=60,
              survey=dict(n_train=500, n_test=2_000, fine_tune_epochs=20, scratch_epochs=60),
              imagenet=dict(head_epochs=5, fine_tune_epochs=20)),
)
MIN_PER_CLASS = 10  # classes rarer than this in the sample cannot be split three ways: they are left out
MAX_CLASS_WEIGHT = 10.0  # a cap on class weights, so that one image never dominates a batch's loss
rng = np.random.default_rng(runtime.seed)


def short(name, width=18):
    """A class name wrapped onto lines of at most ``width`` characters, for figure titles."""
    return "\n".join(textwrap.wrap(name, width))


# %% [markdown]
# ## 1. The data
#
# `load_galaxy10` downloads Galaxy10 once (verified and cached), or falls back to the simulator
# offline. Images come as `uint8` RGB arrays of shape (N, H, W, 3), labels as class numbers 0–9.

# %%
galaxies = load_galaxy10(SIZES["variant"], n=SIZES["n"], size=SIZES["size"], offline=SIZES["offline"],
                         seed=runtime.seed)
print(galaxies.source)
print(f"images {galaxies.images.shape} {galaxies.images.dtype}, labels {galaxies.labels.shape}")

# %%
examples = np.concatenate([np.flatnonzero(galaxies.labels == k)[:3] for k in range(len(galaxies.class_names))])
image_grid(galaxies.images[examples], titles=[short(galaxies.class_names[k]) for k in galaxies.labels[examples]],
           ncols=6, panel_size=1.8)
plt.show()

# %% [markdown]
# Galaxy Zoo's classes are not equally common: smooth round galaxies are everywhere, cigar-shaped
# ones rare, and SDSS's "edge-on with a boxy bulge" has 17 members out of 21,785. A class with a
# handful of examples cannot go into training, validation *and* test sets, so classes with fewer
# than `MIN_PER_CLASS` galaxies in our sample are left out, and the others renumbered 0 … k−1.

# %%
counts = np.bincount(galaxies.labels, minlength=len(galaxies.class_names))
kept_classes = np.flatnonzero(counts >= MIN_PER_CLASS)
for k in np.setdiff1d(np.arange(len(counts)), kept_classes):
    print(f"left out class {k} ({galaxies.class_names[k]}): only {counts[k]} galaxies in this sample")
usable = np.flatnonzero(np.isin(galaxies.labels, kept_classes))  # indices of the galaxies we use
labels = np.searchsorted(kept_classes, galaxies.labels[usable])  # their classes, renumbered 0 .. k-1
class_names = [galaxies.class_names[k] for k in kept_classes]
n_classes = len(class_names)

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.barh(class_names, np.bincount(labels, minlength=n_classes))
ax.invert_yaxis()
ax.set(xlabel="galaxies", title=f"class balance of {len(labels):,} galaxies")
plt.show()

# %% [markdown]
# ## 2. A stratified split, and class weights
#
# We keep 15 % of the galaxies for the final test and 15 % for validation (choosing the learning rate,
# deciding when to stop), and train on the remaining 70 %. A random split could leave a rare class
# almost absent from the test set; a **stratified** split gives every set the same class shares.

# %%
positions = np.arange(len(labels))
train_pos, test_pos = train_test_split(positions, test_size=0.15, stratify=labels, random_state=runtime.seed)
train_pos, val_pos = train_test_split(train_pos, test_size=0.15 / 0.85, stratify=labels[train_pos],
                                      random_state=runtime.seed)
x_train, y_train = galaxies.images[usable[train_pos]], labels[train_pos]
x_val, y_val = galaxies.images[usable[val_pos]], labels[val_pos]
x_test, y_test = galaxies.images[usable[test_pos]], labels[test_pos]
for name, y in (("train", y_train), ("validation", y_val), ("test", y_test)):
    shares = np.bincount(y, minlength=n_classes) / len(y)
    print(f"{name:>10}: {len(y):6,} galaxies, class shares {np.round(shares, 2).tolist()}")

# %% [markdown]
# ### Exercise 1: class weights (2 points)
#
# The loss is an average over images, so a network can lower it a lot by getting the common classes
# right and little by learning the rare ones. **Class weights** multiply each image's loss by a weight
# of its class. The "balanced" choice gives class $c$, with $n_c$ of the $n$ training images and $k$
# classes in all,
#
# $$w_c = \frac{n}{k\, n_c},$$
#
# so every class contributes the same total weight, $n/k$, and a perfectly balanced set gets weight 1
# everywhere. Return a dict `{class number: weight}` for the classes `0 … n_classes-1` (every one of
# them occurs in `labels`), which is what `model.fit(class_weight=...)` takes.

# %%
def class_weights(labels, n_classes):
    """Balanced class weights n / (n_classes * count of the class): dict {class (int): weight (float)}."""
    # BEGIN SOLUTION
    counts = np.bincount(labels, minlength=n_classes)
    return {k: len(labels) / (n_classes * counts[k]) for k in range(n_classes)}
    # END SOLUTION


# %%
check("lab03", "class_weights", class_weights)

# %% [markdown]
# Four galaxies of class 0, two of class 1, one of class 2: the rarest class weighs four times the
# most common, and each class carries the same total weight 7/3.

# %%
# NBVAL_CHECK_OUTPUT
toy_weights = class_weights(np.array([0, 0, 0, 0, 1, 1, 2]), 3)
print({k: round(float(w), 4) for k, w in toy_weights.items()})

# %% [markdown]
# The weights of our training set. Where a class is very rare (SDSS's boxy bulges) its weight would
# be in the hundreds, so that a single image would outweigh a whole batch and make training jumpy: we
# cap the weights at `MAX_CLASS_WEIGHT`.

# %%
train_class_weights = {k: min(float(w), MAX_CLASS_WEIGHT) for k, w in class_weights(y_train, n_classes).items()}
for k, w in train_class_weights.items():
    print(f"{w:6.2f}  {class_names[k]}")

# %% [markdown]
# ## 3. Augmentation: a galaxy has no "up"
#
# The sky has no preferred direction: a spiral turned by 90° or seen in a mirror is still the same
# kind of galaxy. A square image has exactly **8** such orientations: 4 quarter turns (0°, 90°, 180°,
# 270°), each with or without a mirror flip. These moves keep every pixel exact (no interpolation),
# unlike a rotation by an arbitrary angle, and with them each training image becomes 8 different
# ones. Showing the network a random orientation of every image, anew in every epoch, teaches it that
# orientation does not matter and makes over-fitting harder.
#
# ### Exercise 2: random orientations (2 points)
#
# `augment(images, rng)` takes a batch of shape (n, H, H, channels) and returns a new array of the
# same shape in which **each** image, independently, is turned by a random multiple of 90° and
# mirrored or not, all 8 outcomes equally likely. Draw the random choices from `rng` (a NumPy
# `Generator`: `rng.integers(...)`), so that the same seed gives the same batch. Do not change
# `images` itself. Useful: `np.rot90(image, k)` turns one image (H, W, channels) by k quarter turns;
# `image[:, ::-1]` mirrors it left-right.

# %%
def augment(images, rng):
    """Each image of images (n, H, H, channels) in one of its 8 orientations, drawn from rng: new array, same shape."""
    # BEGIN SOLUTION
    turns = rng.integers(0, 4, size=len(images))
    mirrored = rng.integers(0, 2, size=len(images)).astype(bool)
    out = np.empty_like(images)
    for i, image in enumerate(images):
        turned = np.rot90(image, k=turns[i])
        out[i] = turned[:, ::-1] if mirrored[i] else turned
    return out
    # END SOLUTION


# %%
check("lab03", "augment", augment)

# %% [markdown]
# A 2×2 "image" with the pixels 1, 2, 3, 4 shows every orientation: in 200 random draws all 8 occur.

# %%
# NBVAL_CHECK_OUTPUT
tiny = np.array([[1, 2], [3, 4]]).reshape(1, 2, 2, 1)
draws = augment(np.repeat(tiny, 200, axis=0), np.random.default_rng(0))[..., 0]
orientations = sorted({tuple(draw.ravel().tolist()) for draw in draws})
print(f"{len(orientations)} orientations:", orientations)

# %% [markdown]
# One galaxy, eight random draws:

# %%
image_grid(augment(np.repeat(x_train[:1], 8, axis=0), rng), ncols=8, panel_size=1.5)
plt.show()

# %% [markdown]
# ### Batches for Keras
#
# Keras trains on batches. `GalaxyBatches` (a `keras.utils.PyDataset`) cuts the images into batches
# and, for training, reshuffles them every epoch and passes each batch through your `augment`. The
# images stay `uint8` until a batch is needed, which keeps memory small (all of Galaxy10 DECaLS at
# 128×128 is 0.9 GB as bytes, four times that as floats).
#
# Each batch is also **standardised**: every colour channel gets mean 0 and standard deviation 1, with
# the mean and standard deviation of the training images. This matters more than it seems. Galaxy
# images are mostly dark sky, so their pixel values in [0, 1] are small, and so are the outputs of the
# first convolution. Batch normalisation copes with that during training, but for predictions it uses
# running averages of each channel's mean and variance, which start at 0 and 1 and move only 1 % per
# step towards the true values: for hundreds of steps the model would be judged with the wrong
# normalisation, and the validation loss, which early stopping watches, would be meaningless.

# %%
class GalaxyBatches(keras.utils.PyDataset):
    """Batches (standardised images float32 (b, H, W, 3), labels (b,)) from uint8 images and labels.

    Pixel values are scaled to [0, 1], then standardised with ``mean`` and ``std`` (one per channel).
    With ``augment_with`` (a function like ``augment``) the order is reshuffled every epoch and every
    batch is re-oriented at random: for training. Without it, batches come in order: for evaluation.
    """

    def __init__(self, images, labels, batch_size, *, mean, std, augment_with=None, seed=0):
        super().__init__()
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.mean, self.std = np.float32(mean), np.float32(std)
        self.augment_with = augment_with
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(len(images))
        self.on_epoch_end()

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, index):
        chosen = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        batch = self.images[chosen]
        if self.augment_with is not None:
            batch = self.augment_with(batch, self.rng)
        return (batch.astype("float32") / 255.0 - self.mean) / self.std, self.labels[chosen]

    def on_epoch_end(self):
        if self.augment_with is not None:
            self.rng.shuffle(self.order)


sample = x_train[:1000].astype("float32") / 255.0  # x_train is in random order: its first images are a fair sample
channel_mean, channel_std = sample.mean(axis=(0, 1, 2)), sample.std(axis=(0, 1, 2))
print(f"pixel values per channel (R, G, B): mean {np.round(channel_mean, 3)}, standard deviation "
      f"{np.round(channel_std, 3)}")
standardise = dict(mean=channel_mean, std=channel_std)
train_batches = GalaxyBatches(x_train, y_train, SIZES["batch_size"], augment_with=augment, seed=runtime.seed,
                              **standardise)
val_batches = GalaxyBatches(x_val, y_val, SIZES["batch_size"], **standardise)
test_batches = GalaxyBatches(x_test, y_test, SIZES["batch_size"], **standardise)

# %% [markdown]
# ## 4. The model
#
# ### Exercise 3: a CNN with batch normalisation and dropout (2 points)
#
# `build_cnn(input_shape, n_classes)` returns a Keras model that maps (standardised) images of
# `input_shape`, e.g. `(64, 64, 3)`, to `n_classes` probabilities. A design that works well here, in the spirit of
# the VGG and star–galaxy networks of Lecture 04:
#
# - start with `keras.Input(shape=input_shape)`;
# - four blocks of `Conv2D(filters, 3, padding="same")` → `BatchNormalization()` → ReLU →
#   `MaxPooling2D()`, with 16, 32, 64 and 128 filters: each block halves the image and doubles the
#   number of feature maps;
# - `GlobalAveragePooling2D()` (one number per feature map: few parameters, any image size);
# - `Dropout(0.3)`, then `Dense(n_classes, activation="softmax")`.
#
# The check wants batch normalisation, dropout, softmax outputs, and at most 2 million parameters
# for 64×64 images, so that the `cpu` profile stays under 10 minutes. Batch normalisation lets the
# network learn fast at a high learning rate; dropout keeps it from memorising the training set.

# %%
def build_cnn(input_shape, n_classes):
    """A CNN from standardised images (H, W, channels) to n_classes softmax probabilities."""
    # BEGIN SOLUTION
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters in (16, 32, 64, 128):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)  # batch norm's shift replaces the bias
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="galaxy_cnn")
    # END SOLUTION


# %%
check("lab03", "build_cnn", build_cnn)

# %% [markdown]
# Thanks to global average pooling the number of parameters does not depend on the image size:

# %%
# NBVAL_CHECK_OUTPUT
for shape in ((64, 64, 3), (128, 128, 3)):
    print(f"build_cnn({shape}, 10): {build_cnn(shape, 10).count_params():,} parameters")

# %%
keras.utils.set_random_seed(runtime.seed)
model = build_cnn(x_train.shape[1:], n_classes)
model.summary()

# %% [markdown]
# ## 5. Training
#
# Adam with a learning rate of $10^{-3}$ and the cross-entropy loss for integer labels. Two callbacks
# steer the training from the validation loss:
#
# - **learning-rate schedule** (`ReduceLROnPlateau`): when the validation loss has not improved for
#   2 epochs, halve the learning rate: large steps early, fine steps late;
# - **early stopping** (`EarlyStopping`): when it has not improved for 5 epochs, stop, and go back to
#   the weights of the best epoch.
#
# `class_weight` applies Exercise 1's weights to the training loss (the validation loss stays
# unweighted).
#
# **How much training fits.** In the `cpu` profile the lab first measures how fast this machine trains
# the network (a few seconds on throw-away copies) and how fast it augments, then picks the number of
# training images and epochs that fit its budget, keeping time for the fine-tuning of section 8. A fast
# machine gets all 4,199 training galaxies for 25 epochs (a test accuracy of about 0.9 on the simulator);
# a slower one fewer epochs, or fewer galaxies, and a somewhat lower accuracy. The line below says what
# it chose and why. (`COURSE_SIZES="epochs=25"` insists on a size; `COURSE_BUDGET_MINUTES=60` gives the whole
# course, and so this lab, twice the time.)

# %%
survey = SIZES["survey"]
second_survey_passes = survey["n_train"] * (survey["fine_tune_epochs"] + survey["scratch_epochs"])
EPOCH_OVERHEAD = 1.25  # an epoch took 1.29x its training steps when measured (validation pass, batches, callbacks)
plan = None
if budget.applies(runtime, SIZES, "n", "epochs"):  # sections 5 and 8 share the lab's training seconds
    probe = build_cnn(x_train.shape[1:], n_classes)  # measured, then thrown away
    probe.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    probe_images = (x_train[:512].astype("float32") / 255.0 - channel_mean) / channel_std
    seconds_per_image = EPOCH_OVERHEAD * (
        1 / budget.training_rate(probe, probe_images, y_train[:512], batch_size=SIZES["batch_size"])
        + 1 / budget.preparation_rate(lambda n: augment(x_train[:n], rng), 512))
    plan = budget.choose(1 / seconds_per_image, max_images=len(x_train), max_epochs=SIZES["epochs"], min_epochs=4,
                         budget_seconds=budget.budget_seconds("lab03")
                         - second_survey_passes * seconds_per_image, multiple=SIZES["batch_size"])
    print(plan)
    SIZES |= {"epochs": plan.epochs}
    train_batches = GalaxyBatches(x_train[:plan.images], y_train[:plan.images], SIZES["batch_size"],
                                  augment_with=augment, seed=runtime.seed, **standardise)


# %%
def train(model, epochs, learning_rate):
    """Compile ``model`` and fit it on the augmented, class-weighted training batches; returns the History."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    callbacks = [
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-6, verbose=1),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True, verbose=1),
    ]
    return model.fit(train_batches, validation_data=val_batches, epochs=epochs, class_weight=train_class_weights,
                     callbacks=callbacks, verbose=2)


start = time.perf_counter()
with budget.timed(plan, "your CNN"):
    history = train(model, SIZES["epochs"], learning_rate=1e-3)
print(f"training took {(time.perf_counter() - start) / 60:.1f} minutes for {len(history.history['loss'])} epochs")

# %%
training_curves(history)
plt.show()

# %% [markdown]
# Two things to notice. The validation accuracy of the first epochs lags far behind: batch
# normalisation's running averages, used for predictions, are still catching up with the statistics
# of the training batches. Later, the training accuracy is measured on augmented images with dropout
# active, so it can sit *below* the validation accuracy. (The class weights change only the training
# loss: Keras 3 counts every image once in the accuracy.) What matters is that the validation loss
# stops falling, which is where early stopping steps in. The time the training took is printed above
# the curves.
#
# On real Galaxy10 (SDSS in the cpu profile, DECaLS in the full one) it has not been measured yet.
#
# ## 6. Evaluation
#
# The test set has been untouched so far. The model gives a probability for each class; its
# prediction is the most probable class.

# %%
test_probabilities = model.predict(test_batches, verbose=0)
test_predictions = test_probabilities.argmax(axis=1)
test_accuracy = course_utils.record("test_accuracy", float(np.mean(test_predictions == y_test)))

# %% [markdown]
# ### Exercise 4: accuracy within each class (1 point)
#
# One accuracy hides a lot when classes are imbalanced: a network that never predicts a rare class
# loses little overall. `per_class_accuracy(y_true, y_pred, n_classes)` returns an array of
# `n_classes` numbers: entry $c$ is the fraction of the galaxies *of true class* $c$ that were
# predicted as $c$ (the class's **recall**). A class without any galaxy in `y_true` gets `np.nan`
# (its accuracy is undefined, not 0). (`course_utils.metrics.per_class_accuracy` does the same; write
# your own.)

# %%
def per_class_accuracy(y_true, y_pred, n_classes):
    """Fraction of each true class predicted correctly: array (n_classes,), NaN for a class absent from y_true."""
    # BEGIN SOLUTION
    accuracy = np.full(n_classes, np.nan)
    for c in range(n_classes):
        of_class = y_true == c
        if of_class.any():
            accuracy[c] = np.mean(y_pred[of_class] == c)
    return accuracy
    # END SOLUTION


# %%
check("lab03", "per_class_accuracy", per_class_accuracy)

# %% [markdown]
# The mean of the per-class accuracies, the **balanced accuracy**, counts every class equally; it is
# what the class weights try to raise, sometimes at the cost of a little overall accuracy.

# %%
test_per_class = per_class_accuracy(y_test, test_predictions, n_classes)
balanced_accuracy = course_utils.record("test_balanced_accuracy", float(np.nanmean(test_per_class)))
test_counts = np.bincount(y_test, minlength=n_classes)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.barh([f"{name} ({count})" for name, count in zip(class_names, test_counts)], test_per_class)
ax.axvline(test_accuracy, color="k", ls="--", label=f"overall accuracy {test_accuracy:.3f}")
ax.invert_yaxis()
ax.set(xlim=(0, 1), xlabel="accuracy within the class (test galaxies in brackets)", title="per-class accuracy")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# The **confusion matrix** says where the missing fraction goes: row = true class, column = predicted
# class, each row divided by its total so that the diagonal holds the per-class accuracies above.

# %%
fig = confusion_matrix_plot(y_test, test_predictions, [short(name, 22) for name in class_names], normalize=True)
plt.setp(fig.axes[0].get_xticklabels(), rotation=60, ha="right", rotation_mode="anchor")
plt.show()

# %% [markdown]
# ## 7. What the model gets wrong
#
# Most confusions are between neighbouring classes: round and in-between smooth galaxies, tight and
# loose spirals, disturbed galaxies and mergers. Galaxy Zoo's classes cut a continuum (how round,
# how tightly wound) into bins, and the volunteers themselves disagree near the edges. The mistakes
# the model makes *with the most confidence* are the most instructive: some are its errors, some
# are doubtful labels.
#
# ### Exercise 5: the most confident mistakes (1 point)
#
# `most_confident_mistakes(y_true, probabilities, k)` (true labels first, as in lab 02 and in
# scikit-learn's metrics) returns the indices of the (at most) `k` wrongly predicted galaxies whose predicted class had the highest probability, most confident first.
# `probabilities` has shape (n, n_classes); the prediction is the most probable class and the
# confidence is its probability. If there are fewer than `k` mistakes, return them all.

# %%
def most_confident_mistakes(y_true, probabilities, k):
    """Indices of at most k wrong predictions, ordered by the probability of the predicted class, highest first."""
    # BEGIN SOLUTION
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    return wrong[np.argsort(-confidence[wrong], kind="stable")][:k]
    # END SOLUTION


# %%
check("lab03", "most_confident_mistakes", most_confident_mistakes)

# %%
worst = most_confident_mistakes(y_test, test_probabilities, 12)
titles = [f"true: {short(class_names[y_test[i]], 16)}\nsaid: {short(class_names[test_predictions[i]], 16)}"
          f"\np = {test_probabilities[i].max():.2f}" for i in worst]
image_grid(x_test[worst], titles=titles, ncols=6, panel_size=2.1, title_colors=["C3"] * len(worst))
plt.show()

# %% [markdown]
# Look at them as a Galaxy Zoo volunteer would. Is the "smooth" galaxy really featureless, or is a
# faint disk visible? Is a foreground star what made a smooth galaxy look "disturbed"? At 64 pixels
# the arms of a tight spiral are a few pixels wide: would more pixels (the full profile's 128) help?

# %% [markdown]
# ## 8. From one survey to another: transfer learning
#
# A network trained on one survey is soon asked about another: a new telescope with another point-spread
# function (PSF), another depth and another pixel size. Domínguez Sánchez et al. (2019) trained CNNs on
# SDSS galaxies and applied them to the Dark Energy Survey. Applied as they were, the networks kept a
# reasonable overall accuracy but missed many galaxies of the rarer types; training them a little further
# on a few hundred labelled DES galaxies brought the accuracy above 95 %, with almost ten times fewer
# labelled galaxies than a network trained from scratch needs.
#
# We repeat their experiment. A **second survey** sees galaxies of the same classes with a PSF about
# twice as wide, more sky noise, and pixels twice as large (its images are resampled to our pixel
# grid, as one resamples cut-outs to a network's input size). Of it we have only a few hundred labelled
# galaxies to learn from, and more to test on. Three ways to classify them:
#
# 1. the network of section 5 as it is: **pre-trained** on the first survey, not adapted;
# 2. the same network **fine-tuned** on the few hundred: its first convolutional blocks frozen (edges and
#    blobs look alike in any survey), the rest trained further with a small learning rate;
# 3. a new network of the same design (your `build_cnn`) trained **from scratch** on the same few hundred.
#
# Its images are standardised with their own pixel statistics (from the few hundred), as the first survey's
# were with theirs: a brighter or noisier sky should not look like a different galaxy.
#
# Offline the second survey is the course's galaxy simulator observed differently (new galaxies, the same
# classes); when the lab runs on real Galaxy10, it is the lab's own test galaxies observed again through
# the second survey's wider PSF, coarser pixels and extra noise, so that every class keeps its label.

# %%
SECOND_SURVEY = dict(seeing=0.035, sky_noise=0.05, display_noise=0.03, rebin=2)  # seeing: PSF FWHM / stamp width


def seen_by_second_survey(images_or_bands, *, simulated, seed):
    """uint8 RGB images (n, S, S, 3) of the second survey, resampled to the lab's S pixels.

    simulated: clean g, r, z light (n, S, S, 3) from the simulator, observed and colour-stretched as the
    simulator does; otherwise uint8 RGB images of the first survey, observed again (noise in units of the
    full pixel range)."""
    side = images_or_bands.shape[1]
    fwhm = SECOND_SURVEY["seeing"] * side  # in the lab's pixels
    if simulated:
        sky = np.float32(SECOND_SURVEY["sky_noise"])
        seen = observe(images_or_bands, psf_fwhm=fwhm, noise=sky, gain=0.5 / sky**2, rebin=SECOND_SURVEY["rebin"],
                       seed=seed)
        small = to_rgb(seen + 1.5 * sky)  # the sky pedestal, as in the simulator
    else:
        seen = observe(images_or_bands / 255.0, psf_fwhm=fwhm, noise=SECOND_SURVEY["display_noise"],
                       rebin=SECOND_SURVEY["rebin"], seed=seed)
        small = np.clip(np.rint(seen * 255), 0, 255).astype(np.uint8)
    return resize_images(small, side)


if galaxies.is_real:  # the lab's test galaxies, seen again by the second survey
    first_view, seen_labels = x_test, y_test
    second_view = seen_by_second_survey(x_test, simulated=False, seed=runtime.seed)
else:  # new simulated galaxies of the lab's classes, seen by both surveys
    n_seen, seed_seen = survey["n_train"] + survey["n_test"], runtime.seed + 1
    bands, drawn = simulate_galaxy_bands(n_seen, size=SIZES["size"], seed=seed_seen, classes=kept_classes)
    first_view, _ = simulate_galaxy10(n_seen, size=SIZES["size"], seed=seed_seen, classes=kept_classes)
    second_view = seen_by_second_survey(bands, simulated=True, seed=seed_seen)
    seen_labels = np.searchsorted(kept_classes, drawn)
n_second_train = min(survey["n_train"], len(seen_labels) // 2)
x_second, y_second = second_view[:n_second_train], seen_labels[:n_second_train]
x_second_test, y_second_test = second_view[n_second_train:], seen_labels[n_second_train:]
x_first_test = first_view[n_second_train:]  # the same test galaxies, as the first survey sees them
second_sample = x_second.astype("float32") / 255.0
second_standardise = dict(mean=second_sample.mean(axis=(0, 1, 2)), std=second_sample.std(axis=(0, 1, 2)))
print(f"second survey: {len(y_second)} galaxies to learn from, {len(y_second_test)} to test on; pixel values per "
      f"channel: mean {np.round(second_standardise['mean'], 3)} (first survey {np.round(channel_mean, 3)})")

pair = np.arange(6)
image_grid(np.concatenate([first_view[pair], second_view[pair]]), ncols=6, panel_size=1.8,
           titles=[f"first survey\n{short(class_names[k], 16)}" for k in seen_labels[pair]] + ["second survey"] * 6)
plt.show()

# %% [markdown]
# ### Exercise 6: a pre-trained network made ready to fine-tune (2 points)
#
# `prepare_fine_tuning(model, n_frozen, learning_rate)` takes a trained Keras model and returns it ready
# for further training: the layers `model.layers[:n_frozen]` frozen (`layer.trainable = False`), every
# later layer trainable (`True`, also when it arrived frozen: the same function unfreezes), and the
# model **compiled again** with `keras.optimizers.Adam(learning_rate)`, the loss
# `"sparse_categorical_crossentropy"` and the metric `"accuracy"`. Keep the model's weights: they are what
# the first survey taught it. Three mistakes are common, and the check names them:
#
# - forgetting to freeze, or freezing the wrong end: the few hundred galaxies then reshape the general
#   first layers too, and the network forgets what it knew;
# - not compiling again after changing `trainable`: Keras builds its training step when a model is
#   compiled and first trained, so without a new `compile` TensorFlow keeps training the old set of
#   layers and JAX stops with an error;
# - a learning rate as large as for training from scratch: fine-tuning should adjust the pre-trained
#   weights, not overwrite them. (`model.layers` of a functional model starts with its `InputLayer`.)

# %%
def prepare_fine_tuning(model, n_frozen, learning_rate):
    """model with model.layers[:n_frozen] frozen and the other layers trainable, compiled again with
    Adam(learning_rate), the sparse categorical cross-entropy and accuracy; returns the model."""
    # BEGIN SOLUTION
    for position, layer in enumerate(model.layers):
        layer.trainable = position >= n_frozen
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
    # END SOLUTION


# %%
check("lab03", "prepare_fine_tuning", prepare_fine_tuning)

# %% [markdown]
# The network of section 5, as it is, on the same test galaxies seen by both surveys:

# %%
def accuracy_on(classifier, images, labels, pixel_statistics):
    """Fraction of the uint8 images (n, S, S, 3), standardised with ``pixel_statistics`` (mean and std per
    channel), that ``classifier`` assigns to their true class."""
    batches = GalaxyBatches(images, labels, SIZES["batch_size"], **pixel_statistics)
    return float(np.mean(classifier.predict(batches, verbose=0).argmax(axis=1) == labels))


first_survey_accuracy = course_utils.record("first_survey_accuracy", accuracy_on(model, x_first_test, y_second_test, standardise))
no_fine_tuning_accuracy = course_utils.record("second_survey_accuracy_pretrained",
                                              accuracy_on(model, x_second_test, y_second_test, second_standardise))

# %% [markdown]
# Now fine-tuning. We copy the network first (so that section 5's `model` stays as it was), freeze
# everything before its middle convolutional layer, and train the rest for a few epochs at a tenth of the
# learning rate of section 5, on the few hundred galaxies of the second survey, augmented as before. Then
# a network of the same design learns the same few hundred galaxies from scratch, with section 5's
# learning rate and more epochs.

# %%
second_batches = GalaxyBatches(x_second, y_second, SIZES["batch_size"], augment_with=augment, seed=runtime.seed,
                               **second_standardise)
pretrained = keras.models.clone_model(model)
pretrained.set_weights(model.get_weights())
convolutions = [k for k, layer in enumerate(pretrained.layers) if isinstance(layer, layers.Conv2D)]
n_frozen = convolutions[len(convolutions) // 2] if convolutions else 0
fine_tuned = prepare_fine_tuning(pretrained, n_frozen, learning_rate=1e-4)
print(f"fine-tuning: {n_frozen} of {len(fine_tuned.layers)} layers frozen, "
      f"{sum(int(np.prod(w.shape)) for w in fine_tuned.trainable_weights):,} weights trained")
start = time.perf_counter()
fine_tuned.fit(second_batches, epochs=survey["fine_tune_epochs"], verbose=0)
fine_tuning_seconds = time.perf_counter() - start

keras.utils.set_random_seed(runtime.seed)
scratch = build_cnn(x_second.shape[1:], n_classes)
scratch.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
start = time.perf_counter()
scratch.fit(second_batches, epochs=survey["scratch_epochs"], verbose=0)
scratch_seconds = time.perf_counter() - start

fine_tuned_accuracy = course_utils.record("second_survey_accuracy_fine_tuned",
                                          accuracy_on(fine_tuned, x_second_test, y_second_test, second_standardise))
scratch_accuracy = course_utils.record("second_survey_accuracy_scratch",
                                       accuracy_on(scratch, x_second_test, y_second_test, second_standardise))
print(f"fine-tuning took {fine_tuning_seconds:.0f} s ({survey['fine_tune_epochs']} epochs), training from scratch "
      f"{scratch_seconds:.0f} s ({survey['scratch_epochs']} epochs)")

# %%
results = {"first survey\n(as trained)": first_survey_accuracy, "second survey\npre-trained only": no_fine_tuning_accuracy,
           "second survey\nfine-tuned": fine_tuned_accuracy, "second survey\nfrom scratch": scratch_accuracy}
fig, ax = plt.subplots(figsize=(7, 3.2))
bars = ax.bar(list(results), list(results.values()), color=["C7", "C3", "C2", "C0"])
ax.bar_label(bars, fmt="%.2f")
ax.set(ylim=(0, 1), ylabel="test accuracy",
       title=f"{len(y_second_test)} test galaxies; fine-tuned and from scratch on {len(y_second)}")
plt.show()

# %% [markdown]
# Read the bars from the left. The same galaxies through the second survey's optics cost the pre-trained
# network accuracy: it learned the first survey's look (how sharp a spiral arm is, how grainy the sky),
# and the new look is outside what it saw. This is **domain shift**. A few hundred labelled galaxies of
# the new survey are enough to fine-tune it back, most of the way or all of it, in seconds; the same few
# hundred are far too few to learn morphology from scratch, which is the lesson of Domínguez Sánchez et al.
# What you know about one survey is worth keeping for the next one: Euclid and Rubin start from networks
# trained on SDSS and DECaLS, not from zero.
#
# Try `n_frozen=0` (everything trains) and `learning_rate=1e-3`: with a few hundred galaxies, which
# choice matters?

# %% [markdown]
# ## 9. Transfer learning from ImageNet (full profile)
#
# Networks trained on the 1.3 million photographs of ImageNet have learned edges, textures and shapes
# that are useful for galaxies too (Tsagkatakis's "layer transfer"). Here we take EfficientNetB0 from
# `keras.applications` without its classifier, freeze it, and train only a new softmax layer on top;
# then we unfreeze it and fine-tune everything with a learning rate 100 times smaller, so that the
# ImageNet features are adjusted, not destroyed. The backbone's batch-normalisation layers stay in
# inference mode throughout (`training=False`), keeping their ImageNet statistics.
#
# This needs the ImageNet weights (a 16 MB download) and a GPU: it runs in the full profile only.

# %%
def build_transfer_model(input_shape, n_classes, mean, std, weights="imagenet"):
    """EfficientNetB0 (frozen) plus a new dropout and softmax layer, for images standardised with mean and std
    (one per channel). Returns (model, backbone)."""
    backbone = keras.applications.EfficientNetB0(include_top=False, weights=weights, input_shape=input_shape,
                                                 pooling="avg")
    backbone.trainable = False
    inputs = keras.Input(shape=input_shape)
    x = layers.Normalization(mean=mean, variance=np.square(std), invert=True)(inputs)  # back to [0, 1]
    x = layers.Rescaling(255.0)(x)  # EfficientNet takes pixel values 0..255 and normalises them itself
    x = backbone(x, training=False)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="efficientnet_galaxies"), backbone


imagenet = SIZES["imagenet"]
transfer_model = None
if imagenet is None:
    print(f"Transfer learning is skipped in the {runtime.profile} profile: it runs in the full profile (a GPU).")
elif offline_from_env():
    print("Transfer learning is skipped: COURSE_OFFLINE is set, and the ImageNet weights must be downloaded.")
else:
    try:
        transfer_model, backbone = build_transfer_model(x_train.shape[1:], n_classes, **standardise)
    except Exception as error:  # keras.utils.get_file raises a bare Exception when the download fails
        print(f"Transfer learning is skipped: the ImageNet weights could not be downloaded ({error}).")

# %%
if transfer_model is not None:
    train(transfer_model, imagenet["head_epochs"], learning_rate=1e-3)  # only the new layer learns
    backbone.trainable = True
    train(transfer_model, imagenet["fine_tune_epochs"], learning_rate=1e-5)  # now all of it, gently
    transfer_predictions = transfer_model.predict(test_batches, verbose=0).argmax(axis=1)
    course_utils.record("transfer_test_accuracy", float(np.mean(transfer_predictions == y_test)))
    course_utils.record("transfer_test_balanced_accuracy",
                        float(np.nanmean(per_class_accuracy(y_test, transfer_predictions, n_classes))))

# %% [markdown]
# ## Your score
#
# The same checks the instructor's grader runs, over all exercises at once:

# %%
# NBVAL_CHECK_OUTPUT
from course_utils.checks import evaluate, questions

earned = sum(q.points for q in questions("lab03") if evaluate(q, globals().get(q.target))[0])
print(f"Lab 03 self-checks: {earned:g} / {sum(q.points for q in questions('lab03')):g} points")

# %% [markdown]
# ## What to try next
# - **Test-time augmentation**: average the model's probabilities over the 8 orientations of each test
#   galaxy. Does the accuracy go up?
# - Train without class weights, and compare the overall and the balanced accuracy.
# - Add a second convolution to each block (as VGG does) or a residual connection (lecture 04), and
#   watch the time per epoch and the validation loss.
# - Replace the hard labels by Galaxy Zoo's vote fractions and train a regression: the volunteers'
#   uncertainty is information, not noise.
# - On the simulator, make a class harder (fainter arms, more noise) and see which confusions appear.
# - Look up group-equivariant CNNs, which build the 8 orientations into the layers instead of the data.
