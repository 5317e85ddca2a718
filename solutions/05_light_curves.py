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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/astro-dl-course/deep-learning-astronomy/blob/main/solutions/05_light_curves.ipynb)
#
# # Lab 05 — Classifying variable stars and transients from their light curves
#
# Rubin's LSST, ZTF and Gaia observe the same stars again and again: the time domain is the largest data
# stream in astronomy. A star's *light curve*, its brightness against time, tells what it is: a pulsating
# RR Lyrae or Cepheid, an eclipsing binary, a Mira, a quasar flickering at random, a supernova rising and
# fading. The light curves are sampled irregularly, with gaps of days and months, and have as few as a dozen
# epochs or as many as hundreds. This lab classifies them three ways, with the same test set: a random
# forest on hand-made features (the classical approach), a CNN on *dm–dt images* (Mahabal et al. 2017),
# and networks that read the sequence itself, a GRU and a 1-D CNN.
#
# **What you will learn**
# - to look at light curves: raw, phase-folded at the period a Lomb–Scargle periodogram finds, and their cadence;
# - to build a dm–dt image, the 2-D histogram of the magnitude and time differences of all pairs of epochs;
# - to feed irregular, variable-length sequences to a recurrent network with masking;
# - to evaluate a multi-class classifier honestly: per-class precision, recall and F1, macro-F1, the
#   PLAsTiCC challenge's class-weighted log-loss, and where each method breaks (few epochs, faint stars);
# - to ask a CNN which parts of a dm–dt image decided its answer (class-activation maps).
#
# **How this lab works.** Each exercise is a function to complete where you see `# YOUR CODE HERE`
# (delete the `raise NotImplementedError` line). The cell after it calls `check(...)`, which runs your
# function on hand-made and fresh cases and tells you what is wrong. The lab is worth 10 points, shown
# next to each check. The later sections use your functions, so complete each exercise before running on.

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
# All sizes are in the next cell. The **smoke** profile (the course's automatic tests) runs in seconds
# and learns little; **cpu** takes about five minutes on 2 cores; **full** is the real result, on a
# Colab GPU. `epochs` is for the two CNNs, `rnn_epochs` for the slower GRU. In the **cpu** profile these
# epochs are upper limits: laptops differ by five times and more in how fast they train a network (those
# without the AVX-512 vector instructions are the slow ones), so before training each network the lab
# measures its speed on this machine for a few seconds and keeps the epochs that fit its share of the
# lab's training time (45 % for the dm–dt CNN, 33 % for the GRU, 22 % for the 1-D CNN), prints what it chose,
# and after the training how long it took against the plan. To choose yourself, set for example
# `COURSE_SIZES="epochs=25,rnn_epochs=8"` before starting the notebook (or edit the cell);
# `COURSE_BUDGET_MINUTES=60` gives the whole course, and so this lab, twice the time. `n_objects` is how many light curves are read (PLAsTiCC's training set has 7,848; offline the
# simulator makes as many as asked); a third of them is the test set.

# %%
import math

import keras
import light_curve
import matplotlib.pyplot as plt
import numpy as np
from astropy.timeseries import LombScargle
from keras import layers
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import train_test_split

from course_utils import budget, metrics, plotting
from course_utils.checks import check
from course_utils.dmdt import DM_EDGES, DT_EDGES, dmdt_images
from course_utils.loaders import load_plasticc
from course_utils.sims.lightcurves import PASSBANDS, keep_band

SIZES = runtime.pick(
    smoke=dict(n_objects=660, batch=64, epochs=1, rnn_epochs=1, trees=30, width=8, units=16),
    cpu=dict(n_objects=7_848, batch=64, epochs=25, rnn_epochs=8, trees=300, width=32, units=32),
    full=dict(n_objects=60_000, batch=128, epochs=60, rnn_epochs=40, trees=500, width=64, units=64),
)
print(SIZES)

# %% [markdown]
# ## 1. The light curves
#
# `load_plasticc` reads the training set of PLAsTiCC, the Photometric LSST Astronomical Time-series
# Classification Challenge (Kessler et al. 2019): simulated LSST light curves of 14 classes in six bands,
# published on Zenodo. Offline it says so loudly and uses the course's simulator,
# `course_utils.sims.simulate_light_curves`, whose classes follow PLAsTiCC's taxonomy where the physics is
# the same: RR Lyrae (split into the ab and c types), Cepheids, δ Scuti stars, eclipsing binaries (Algol and
# W UMa types), Miras, quasars, type Ia and core-collapse supernovae, and constant stars. The simulated survey
# has LSST-like errors, seasons, nights lost to weather and visits near midnight. Everything below works on
# either, unchanged.
#
# We keep one band, r, the best sampled (multi-band input is in *What to try next*).

# %%
curves = keep_band(load_plasticc(n=SIZES["n_objects"], seed=runtime.seed), band=2)
names, n_classes = curves.class_names, len(curves.class_names)
n_epochs = curves.mask.sum(axis=1)
median_mag = np.array([np.median(m[k]) for m, k in zip(curves.mag, curves.mask)])
print(curves.source)
print(f"{len(curves.label):,} light curves in {PASSBANDS[2]}, up to {curves.time.shape[1]} epochs; classes:",
      dict(zip(names, np.bincount(curves.label, minlength=n_classes).tolist())))

# %% [markdown]
# One light curve of each class: magnitude against time (brighter is *up*, as astronomers plot it), with its
# error bars. The gaps of months are the seasons when the field is behind the Sun.

# %%
rng = np.random.default_rng(runtime.seed)
examples = [int(rng.choice(np.flatnonzero((curves.label == c) & (n_epochs >= np.median(n_epochs))))
                if np.any((curves.label == c) & (n_epochs >= np.median(n_epochs)))
                else np.flatnonzero(curves.label == c)[0]) for c in range(n_classes)]
ncols = 4
fig, axes = plt.subplots(math.ceil(n_classes / ncols), ncols, figsize=(16, 2.6 * math.ceil(n_classes / ncols)),
                         squeeze=False)
for ax, i in zip(axes.flat, examples):
    k = curves.mask[i]
    ax.errorbar(curves.time[i][k] - curves.time[i][k][0], curves.mag[i][k], curves.err[i][k], fmt=".", ms=3, lw=0.5)
    ax.invert_yaxis()
    ax.set(title=f"{names[curves.label[i]]} ({k.sum()} epochs)", xlabel="days", ylabel="mag")
for ax in axes.flat[n_classes:]:
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Periods: Lomb–Scargle and phase folding (2 points)
#
# A periodic star repeats itself every period $P$, but we see it at random moments of its cycle. Folding
# the light curve, plotting each epoch at its *phase* $\varphi = ((t - t_0)/P) \bmod 1$, stacks the cycles
# into one. The period comes from a Lomb–Scargle periodogram (astropy's `LombScargle`): for every trial
# frequency, how well a sinusoid fits the irregularly sampled data.
#
# **Exercise 1.** Write `phase_fold(time, period, t0=0.0)`: the phase of each epoch, in $[0, 1)$, for the
# period and reference time `t0` given (days). It works on arrays of any shape.

# %%
def phase_fold(time, period, t0=0.0):
    """Phase in [0, 1) of each epoch at times `time` (days) for a period (days) and reference time t0."""
    # BEGIN SOLUTION
    return np.mod((np.asarray(time, dtype=float) - t0) / period, 1.0)
    # END SOLUTION


# %%
check("lab05", "phase_fold", phase_fold)

# %% [markdown]
# The periodogram of the periodic examples, and their light curves folded at its highest peak (twice it for
# eclipsing binaries, whose two eclipses per orbit put the peak at half the period). The grey lines mark
# frequencies of 1, 2 and 3 cycles per day: visits near midnight sample a star at the same phase of any
# one-day cycle, so a period $P$ also shows at $|1/P \pm 1|$ per day: an *alias*.

# %%
def best_period(t, m, e, max_frequency=25.0):
    """The Lomb–Scargle period (days) of one light curve, from 1/1000 to max_frequency cycles per day."""
    frequency, power = LombScargle(t, m, e).autopower(minimum_frequency=1e-3, maximum_frequency=max_frequency,
                                                      samples_per_peak=5)
    return 1 / frequency[np.argmax(power)], frequency, power


periodic = [i for i in examples if names[curves.label[i]] not in ("constant", "QSO", "AGN") and
            not names[curves.label[i]].startswith(("SN", "SLSN", "TDE", "KN", "uLens", "M_dwarf"))][:6]
fig, axes = plt.subplots(2, len(periodic), figsize=(2.8 * len(periodic) + 1, 5.2), squeeze=False)
for column, i in enumerate(periodic):
    k = curves.mask[i]
    t, m, e = curves.time[i][k], curves.mag[i][k], curves.err[i][k]
    period, frequency, power = best_period(t, m, e)
    if names[curves.label[i]] in ("Algol", "W_UMa", "EB"):
        period *= 2
    axes[0, column].plot(frequency, power, lw=0.5)
    for alias in (1, 2, 3):
        axes[0, column].axvline(alias, color="0.7", lw=0.8, zorder=0)
    axes[0, column].set(xscale="log", xlabel="cycles per day", title=names[curves.label[i]])
    axes[1, column].errorbar(phase_fold(t, period, t[np.argmin(m)]), m, e, fmt=".", ms=3, lw=0.5)
    axes[1, column].invert_yaxis()
    true = curves.catalog["period"][i] if "period" in curves.catalog.colnames else np.nan
    axes[1, column].set(xlabel="phase", title=f"P = {period:.4g} d" + (f" (true {true:.4g})" if np.isfinite(true) else ""))
axes[0, 0].set_ylabel("Lomb–Scargle power")
axes[1, 0].set_ylabel("mag")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### The population: cadence, brightness, number of epochs
#
# How often the survey looked, how bright the stars are and how many epochs they have decide what any
# classifier can do. The time between consecutive epochs spans minutes (two visits in one night) to
# months (the seasonal gap); the faint end is within the noise.

# %%
steps = np.concatenate([np.diff(t[k]) for t, k in zip(curves.time, curves.mask)])
fig, axes = plt.subplots(1, 3, figsize=(15, 3.3))
axes[0].hist(steps[steps > 0], bins=np.geomspace(max(steps[steps > 0].min(), 1e-3), steps.max(), 60))
axes[0].set(xscale="log", yscale="log", xlabel="days between consecutive epochs", ylabel="pairs",
            title="cadence")
axes[1].hist(median_mag, bins=40)
axes[1].set(xlabel="median magnitude", ylabel="light curves", title="brightness")
axes[2].hist(n_epochs, bins=np.geomspace(3, n_epochs.max() + 1, 30))
axes[2].set(xscale="log", xlabel="epochs", ylabel="light curves", title="number of epochs")
fig.tight_layout()
plt.show()

# %% [markdown]
# The test set, a third of the light curves chosen at random in every class, is set aside now and used only
# to evaluate, the same for every method.

# %%
indices = np.arange(len(curves.label))
train, test = train_test_split(indices, test_size=1 / 3, stratify=curves.label, random_state=runtime.seed)
y_train, y_test = curves.label[train], curves.label[test]
print(f"training {len(train):,}, test {len(test):,} light curves")

# %% [markdown]
# ## 2. A classical baseline: features and a random forest
#
# Before deep learning, light curves were classified from features computed by hand: amplitude, scatter,
# skewness, how smooth the curve is from one epoch to the next (the von Neumann ratio η), the period and how
# strong its peak is (Richards et al. 2011). The `light-curve` package computes such features fast; a
# random forest (scikit-learn) learns from them.

# %%
FEATURES = light_curve.Extractor(
    light_curve.Amplitude(), light_curve.BeyondNStd(1.0), light_curve.Cusum(), light_curve.EtaE(),
    light_curve.InterPercentileRange(0.1), light_curve.Kurtosis(), light_curve.LinearTrend(),
    light_curve.Mean(), light_curve.MedianAbsoluteDeviation(), light_curve.ReducedChi2(), light_curve.Skew(),
    light_curve.StandardDeviation(), light_curve.StetsonK(),
    light_curve.Periodogram(peaks=1, freqs=np.linspace(0, 2 * np.pi * 25, 2**15 + 1), fast=True),  # P > 0.04 d
    light_curve.Periodogram(peaks=1, freqs=np.linspace(0, 2 * np.pi, 2**13 + 1), fast=True),  # P > 1 d, finer
)


def features_of(rows):
    """(len(rows), n_features) features of the light curves `rows`, plus the number of epochs."""
    lcs = [(curves.time[i][curves.mask[i]], curves.mag[i][curves.mask[i]].astype(float),
            curves.err[i][curves.mask[i]].astype(float)) for i in rows]
    values = FEATURES.many(lcs, sorted=True, fill_value=np.nan)
    return np.nan_to_num(np.column_stack([values, n_epochs[rows]]), nan=0.0, posinf=0.0, neginf=0.0)


f_train, f_test = features_of(train), features_of(test)
forest = RandomForestClassifier(SIZES["trees"], min_samples_leaf=2, n_jobs=-1, random_state=runtime.seed)
forest.fit(f_train, y_train)
forest_probabilities = forest.predict_proba(f_test)
print("random forest macro-F1:", round(f1_score(y_test, forest_probabilities.argmax(1), average="macro"), 3))

# %% [markdown]
# Which features did the forest use most? (The impurity-based importances of scikit-learn: a quick look,
# biased towards features with many distinct values.)

# %%
feature_names = list(FEATURES.names) + ["n_epochs"]
order = np.argsort(forest.feature_importances_)[::-1][:10]
print("\n".join(f"{feature_names[k]:32s} {forest.feature_importances_[k]:.3f}" for k in order))

# %% [markdown]
# ## 3. dm–dt images and a CNN (4 points)
#
# Mahabal et al. (2017) turned a light curve into an image a CNN can read: for each of the $n(n-1)/2$
# pairs of epochs $i < j$, the magnitude difference $\Delta m = m_j - m_i$ and the time difference
# $\Delta t = t_j - t_i$; the image is their 2-D histogram on a grid of about 23 × 24 bins, finer where pairs
# are many (A. Mahabal, "Deep learning", UC Riverside, 2020). A periodic star fills the Δm range at every Δt
# beyond its period; a supernova has large Δm only at Δt of weeks; a quasar's Δm grows with Δt.
#
# **Exercise 2.** Write `dmdt_histogram(time, mag, dt_edges, dm_edges)` for one light curve (1-D arrays,
# sorted in time): every pair $i < j$ once, $\Delta t = t_j - t_i$ and $\Delta m = m_j - m_i$; the counts in
# bins as `np.histogram2d(dm, dt, bins=[dm_edges, dt_edges])` makes them (rows Δm, columns Δt, pairs outside
# the edges ignored), **divided by the number of pairs** $n(n-1)/2$, so that light curves with different
# numbers of epochs give comparable images. Hint: `np.triu_indices(n, k=1)` gives every pair $i < j$.

# %%
def dmdt_histogram(time, mag, dt_edges, dm_edges):
    """dm–dt image of one light curve: (len(dm_edges) - 1, len(dt_edges) - 1), fractions of its pairs."""
    # BEGIN SOLUTION
    time, mag = np.asarray(time, dtype=float), np.asarray(mag, dtype=float)
    i, j = np.triu_indices(len(time), k=1)
    counts, _, _ = np.histogram2d(mag[j] - mag[i], time[j] - time[i], bins=[dm_edges, dt_edges])
    return counts / max(len(i), 1)
    # END SOLUTION


# %%
check("lab05", "dmdt_histogram", dmdt_histogram)

# %% [markdown]
# Yours agrees with the course's `dmdt_images`, which does the same for thousands of light curves at once
# with the `light-curve` package's `DmDt` (compiled, in parallel; the last edge is the one difference:
# `np.histogram2d` puts a pair exactly on it into the last bin). The images of the examples above:

# %%
images = dmdt_images(curves.time, curves.mag, curves.mask)
i = examples[1]
yours = dmdt_histogram(curves.time[i][curves.mask[i]], curves.mag[i][curves.mask[i]], DT_EDGES, DM_EDGES)
print("your dm–dt image equals dmdt_images':", np.allclose(yours, images[i], atol=1e-6), "| images", images.shape)
fig, axes = plt.subplots(math.ceil(n_classes / ncols), ncols, figsize=(15, 2.9 * math.ceil(n_classes / ncols)),
                         squeeze=False)
for ax, i in zip(axes.flat, examples):
    ax.imshow(np.sqrt(images[i]), origin="lower", cmap="magma", aspect="auto")
    ax.set(title=names[curves.label[i]], xlabel="Δt bin (minutes → years)", ylabel="Δm bin")
    ax.axhline(len(DM_EDGES) / 2 - 1, color="w", lw=0.4)
for ax in axes.flat[n_classes:]:
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# Each image is divided by its largest cell, so it lies in [0, 1] (as Mahabal et al. scaled theirs to 0–255).
#
# **Exercise 3.** Write `dmdt_cnn(input_shape, n_classes)`: a Keras model taking images of `input_shape`
# (23, 24, 1) and returning the probabilities of the `n_classes` classes (a softmax). Use two or three
# `Conv2D` layers with `padding="same"` and ReLU (a `MaxPooling2D` after the first halves the image: the grid
# is small, so pool once at most), then `GlobalAveragePooling2D` and **directly** the output `Dense` layer:
# the class-activation maps of section 6 need the last convolution's maps to reach the output through
# global average pooling and one dense layer only.

# %%
def dmdt_cnn(input_shape, n_classes):
    """A small CNN for dm–dt images: conv layers, global average pooling, one softmax Dense layer."""
    # BEGIN SOLUTION
    width = SIZES["width"]
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(width, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(2 * width, 3, padding="same", activation="relu"),
        layers.Conv2D(4 * width, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(n_classes, activation="softmax"),
    ], name="dmdt_cnn")
    # END SOLUTION


# %%
check("lab05", "dmdt_cnn", dmdt_cnn)

# %%
def fit(model, x, y, epochs=SIZES["epochs"], learning_rate=2e-3, plan=None):
    """Adam with a cosine-decaying learning rate, cross-entropy; a tenth of the training set validates.
    With the budget's `plan`, prints the seconds the fit took against the plan's."""
    steps = epochs * math.ceil(0.9 * len(y) / SIZES["batch"])
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with budget.timed(plan, model.name):
        return model.fit(x, y, batch_size=SIZES["batch"], epochs=epochs, validation_split=0.1, verbose=2)


def sized(build, x, y, epochs, share):
    """fit's x, y, epochs and plan: as given, or in the cpu profile what fits `share` of the lab's training
    seconds at the speed measured on a fresh model from `build()` (at least 5 epochs, then as many light
    curves as fit)."""
    if not budget.applies(runtime, SIZES, "epochs", "rnn_epochs"):
        return dict(x=x, y=y, epochs=epochs)
    probe = build()
    probe.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    plan = budget.plan(probe, x, y, batch_size=SIZES["batch"], budget_seconds=budget.budget_seconds("lab05", share),
                       max_epochs=epochs, min_epochs=min(epochs, 5))
    return dict(x=x[:plan.images], y=y[:plan.images], epochs=plan.epochs, plan=plan)


x_images = (images / np.maximum(images.max(axis=(1, 2), keepdims=True), 1e-12))[..., None].astype("float32")
keras.utils.set_random_seed(runtime.seed)
cnn = dmdt_cnn(x_images.shape[1:], n_classes)
cnn_history = fit(cnn, **sized(lambda: dmdt_cnn(x_images.shape[1:], n_classes), x_images[train], y_train,
                               SIZES["epochs"], share=0.45))
cnn_probabilities = cnn.predict(x_images[test], batch_size=512, verbose=0)
plotting.training_curves(cnn_history)
plt.show()

# %% [markdown]
# ## 4. Networks on the sequence: a GRU and a 1-D CNN (2 points)
#
# A dm–dt image forgets the order of the epochs. A recurrent network reads them in order, one epoch at a
# time, updating a memory; a GRU (gated recurrent unit) learns what to keep. The light curves are irregular,
# so each step gets the time since the previous epoch as an input, and they have different lengths, so the
# padding after the last epoch is *masked*: the GRU skips those steps.
#
# **Exercise 4.** Write `sequence_inputs(time, mag, err, mask)` for a padded batch (n, L) → float32 (n, L, 3):
# - channel 0: $\log(1 + \Delta t)$, with $\Delta t$ the days since the *previous* epoch (0 for the first);
# - channel 1: the magnitude minus the light curve's own mean magnitude (over its real epochs only), so that
#   the network sees the variation, not how far away the star is;
# - channel 2: the error;
# - zeros wherever `mask` is False (the padding), in every channel.

# %%
def sequence_inputs(time, mag, err, mask):
    """(n, L) padded light curves -> (n, L, 3) float32: log(1 + dt since the previous epoch), mag - mean, err."""
    # BEGIN SOLUTION
    time, mag, err, mask = (np.asarray(a) for a in (time, mag, err, mask))
    dt = np.diff(time, axis=1, prepend=time[:, :1])
    mean = np.sum(np.where(mask, mag, 0.0), axis=1, keepdims=True) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    x = np.stack([np.log1p(np.maximum(dt, 0.0)), mag - mean, err], axis=-1)
    return np.where(mask[..., None], x, 0.0).astype(np.float32)
    # END SOLUTION


# %%
check("lab05", "sequence_inputs", sequence_inputs)

# %% [markdown]
# The GRU: `Masking` marks the padded steps (all three inputs 0, which no real epoch has: its error is
# positive), a GRU reads the sequence, its last state goes to the classifier. The 1-D CNN slides filters
# along the epochs instead: it sees short runs of consecutive epochs, fast and in parallel, but it does not
# know which steps are padding (the zeros are just more input) and its filters span a fixed number of
# *epochs*, which can be minutes or months apart.

# %%
x_sequences = sequence_inputs(curves.time, curves.mag, curves.err, curves.mask)


def gru_model(input_shape, n_classes, units):
    inputs = keras.Input(input_shape)
    x = layers.Masking(mask_value=0.0)(inputs)
    x = layers.GRU(units)(x)
    return keras.Model(inputs, layers.Dense(n_classes, activation="softmax")(x), name="gru")


def conv1d_model(input_shape, n_classes, width):
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv1D(width, 5, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(2 * width, 5, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(4 * width, 5, padding="same", activation="relu"),
        layers.GlobalMaxPooling1D(),
        layers.Dense(n_classes, activation="softmax"),
    ], name="conv1d")


keras.utils.set_random_seed(runtime.seed)
gru = gru_model(x_sequences.shape[1:], n_classes, SIZES["units"])
gru_history = fit(gru, **sized(lambda: gru_model(x_sequences.shape[1:], n_classes, SIZES["units"]),
                               x_sequences[train], y_train, SIZES["rnn_epochs"], share=0.33),
                  learning_rate=5e-3)  # fewer, larger steps
gru_probabilities = gru.predict(x_sequences[test], batch_size=512, verbose=0)
keras.utils.set_random_seed(runtime.seed)
conv1d = conv1d_model(x_sequences.shape[1:], n_classes, SIZES["width"])
conv1d_history = fit(conv1d, **sized(lambda: conv1d_model(x_sequences.shape[1:], n_classes, SIZES["width"]),
                                     x_sequences[train], y_train, SIZES["epochs"], share=0.22))
conv1d_probabilities = conv1d.predict(x_sequences[test], batch_size=512, verbose=0)

# %% [markdown]
# ## 5. Evaluation (2 points)
#
# Accuracy hides the rare classes. Per class: *precision* (of the light curves called class c, the fraction
# that are c), *recall* (of the class-c light curves, the fraction found) and their harmonic mean, F1.
# **Macro-F1** averages F1 over classes, each class counting the same. PLAsTiCC ranked its entries by a
# **class-weighted log-loss** (Malz et al. 2019), which judges the probabilities, not just the winning class:
#
# $$ \mathcal{L} = -\frac{\sum_c w_c \frac{1}{N_c} \sum_{i \in c} \ln p_{ic}}{\sum_c w_c}, $$
#
# the mean of $-\ln p$ of the true class within each class $c$ (with $N_c$ members), then averaged over
# classes with weights $w_c$ (2 for the rarest classes of the challenge, 1 for the others).
#
# **Exercise 5.** Write `plasticc_log_loss(y_true, probabilities, weights)`: `y_true` (n,) class indices,
# `probabilities` (n, k), `weights` (k,). Clip the probabilities to $[10^{-15}, 1 - 10^{-15}]$ and renormalise
# each row to sum 1 (as the challenge did), and leave out classes with no member in `y_true` (from the
# numerator *and* the sum of weights).

# %%
def plasticc_log_loss(y_true, probabilities, weights):
    """PLAsTiCC's class-weighted log-loss of probabilities (n, k) for labels y_true (n,), weights (k,)."""
    # BEGIN SOLUTION
    y_true, p, weights = np.asarray(y_true), np.asarray(probabilities, dtype=float), np.asarray(weights, float)
    p = np.clip(p, 1e-15, 1 - 1e-15)
    p = p / p.sum(axis=1, keepdims=True)
    total, weight = 0.0, 0.0
    for c in np.unique(y_true):
        total += weights[c] * -np.mean(np.log(p[y_true == c, c]))
        weight += weights[c]
    return total / weight
    # END SOLUTION


# %%
check("lab05", "plasticc_log_loss", plasticc_log_loss)

# %%
MODELS = {"random forest": forest_probabilities, "dm–dt CNN": cnn_probabilities, "GRU": gru_probabilities,
          "1-D CNN": conv1d_probabilities}
print(f"{'model':14s} {'accuracy':>8s} {'macro-F1':>8s} {'log-loss':>8s}   (guessing: log-loss {math.log(n_classes):.2f})")
for name, p in MODELS.items():
    print(f"{name:14s} {np.mean(p.argmax(1) == y_test):8.3f} {f1_score(y_test, p.argmax(1), average='macro'):8.3f} "
          f"{plasticc_log_loss(y_test, p, curves.class_weights):8.3f}")
for key, name in (("rf", "random forest"), ("dmdt_cnn", "dm–dt CNN"), ("gru", "GRU"), ("conv1d", "1-D CNN")):
    course_utils.record(f"{key}_macro_f1", f1_score(y_test, MODELS[name].argmax(1), average="macro"))
course_utils.record("gru_log_loss", metrics.weighted_log_loss(y_test, gru_probabilities, curves.class_weights))
best = max(list(MODELS)[1:], key=lambda name: f1_score(y_test, MODELS[name].argmax(1), average="macro"))
print(f"\nper class, {best} (the best network here):")
print(classification_report(y_test, MODELS[best].argmax(1), labels=range(n_classes), target_names=names,
                            digits=3, zero_division=0))

# %% [markdown]
# Compare the networks with the forest. The forest is handed the period: its features include the peak of a
# Lomb–Scargle periodogram over a fine grid of frequencies. The networks have to find it themselves, from
# epochs taken about once a night, so a period shorter than a day shows only through the one-day aliases
# and the few pairs of visits in one night. With few training light curves and little training (the smoke and
# cpu profiles), hand-made features are hard to beat; the full profile's larger training set and longer
# training are where the networks can catch up. Where this machine's time budget cut the networks' epochs,
# a longer run does better: with the cpu profile's largest sizes (25 epochs for the CNNs, 8 for the GRU), on
# the simulated light curves, the macro-F1 was 0.51 for the dm–dt CNN, 0.31 for the GRU and 0.54 for the 1-D
# CNN, against the forest's 0.72 (the [benchmark results](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/benchmarks/results.md),
# a 2-core machine with AVX-512).
#
# Confusion matrices side by side (each row divided by its total: the diagonal is each class's recall). Which
# pairs of classes does each model confuse? RRc and W UMa stars both vary almost sinusoidally in a few tenths
# of a day (a contact binary's two equal minima make its light curve look like a pulsation at half the
# period); a faint RRab and a Cepheid differ mainly in their period.

# %%
fig, axes = plt.subplots(1, len(MODELS), figsize=(5.2 * len(MODELS), 5.4))
for ax, (name, p) in zip(axes, MODELS.items()):
    plotting.confusion_matrix_plot(y_test, p.argmax(1), names, normalize=True, ax=ax)
    ax.set_title(name)
    ax.tick_params(axis="x", labelrotation=90)
    for text in ax.texts:
        text.set_fontsize(6)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Where each method breaks: few epochs, faint stars
#
# Accuracy on the test set in bins of the number of epochs and of the median magnitude.

# %%
def accuracy_in_bins(values, correct, edges):
    counts, _ = np.histogram(values, edges)
    hits, _ = np.histogram(values[correct], edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, hits / counts, np.nan)


epoch_edges = np.unique(np.geomspace(3, n_epochs.max() + 1, 8).astype(int))
mag_edges = np.quantile(median_mag[test], np.linspace(0, 1, 8))
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
for name, p in MODELS.items():
    correct = p.argmax(1) == y_test
    for ax, values, edges in ((axes[0], n_epochs[test], epoch_edges), (axes[1], median_mag[test], mag_edges)):
        ax.plot(np.sqrt(edges[:-1] * edges[1:]) if ax is axes[0] else (edges[:-1] + edges[1:]) / 2,
                accuracy_in_bins(values, correct, edges), "-o", ms=4, label=name)
axes[0].set(xscale="log", xlabel="epochs in the light curve", ylabel="test accuracy")
axes[1].set(xlabel="median magnitude (fainter →)", ylabel="test accuracy")
axes[0].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ### The most confident mistakes
#
# The test light curves the best network got wrong while most sure of itself: understandable mistakes, or
# labels you would question?

# %%
p = MODELS[best]
wrong = np.flatnonzero(p.argmax(1) != y_test)
worst = wrong[np.argsort(p[wrong].max(1))[::-1][:8]]
fig, axes = plt.subplots(2, 4, figsize=(16, 5.5), squeeze=False)
for ax, w in zip(axes.flat, worst):
    i = test[w]
    k = curves.mask[i]
    ax.errorbar(curves.time[i][k] - curves.time[i][k][0], curves.mag[i][k], curves.err[i][k], fmt=".", ms=3, lw=0.5)
    ax.invert_yaxis()
    ax.set(title=f"{names[y_test[w]]} → {names[p[w].argmax()]} ({p[w].max():.2f})\n{k.sum()} epochs, "
                 f"mag {median_mag[i]:.1f}", xlabel="days")
for ax in axes.flat[len(worst):]:
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 6. What the dm–dt CNN looks at: class-activation maps
#
# The last convolution keeps the image's layout: its maps $A_k(x, y)$ say where feature $k$ was found.
# Global average pooling and the dense layer then score class $c$ as $\sum_k w_{kc}\,\overline{A_k}$, so the
# *class-activation map* $M_c(x, y) = \sum_k w_{kc} A_k(x, y)$ (Zhou et al. 2016) shows which (Δt, Δm) cells
# pushed the score of class $c$ up: "gradients based on the first dense layer, spatial information still
# intact", as Mahabal's slides put it (for this architecture Grad-CAM gives the same map). It needs no
# gradients, so it runs the same on every Keras backend.

# %%
last_conv = [layer for layer in cnn.layers if isinstance(layer, layers.Conv2D)][-1]
feature_model = keras.Model(cnn.inputs[0], last_conv.output)  # one input tensor, called with one array
weights_out = cnn.layers[-1].get_weights()[0]  # (channels, n_classes)
fig, axes = plt.subplots(2, n_classes, figsize=(1.9 * n_classes, 4.2), squeeze=False)
for c in range(n_classes):
    members = test[(y_test == c) & (cnn_probabilities.argmax(1) == c)]
    members = members if len(members) else test[y_test == c]
    maps = keras.ops.convert_to_numpy(feature_model(x_images[members[:256]]))
    cam = np.mean(maps @ weights_out[:, c], axis=0)
    axes[0, c].imshow(x_images[members[:256], ..., 0].mean(0), origin="lower", cmap="magma", aspect="auto")
    axes[1, c].imshow(cam, origin="lower", cmap="RdBu_r", aspect="auto",
                      vmin=-np.abs(cam).max(), vmax=np.abs(cam).max())
    axes[0, c].set_title(names[c], fontsize=8)
    for ax in axes[:, c]:
        ax.set(xticks=[], yticks=[])
axes[0, 0].set_ylabel("mean image")
axes[1, 0].set_ylabel("activation map")
fig.tight_layout()
plt.show()

# %% [markdown]
# Red cells argue for the class, blue ones against. (The last convolution's maps are half the size of the
# image after the pooling, so each cell of the map covers 2 × 2 bins.) Read them against the mean images
# above them: which Δt columns (short on the left, years on the right) and which Δm rows (0 in the middle,
# large changes at the top and bottom) decide each class? Do the maps of classes that the confusion matrix
# mixes up look alike? Most pairs of epochs are months or years apart, so the right-hand columns hold most of
# the counts; what sets apart a star whose period is shorter than a day has to come from the few columns of
# the same night.
#
# ## Your score
#
# The same checks the instructor's grader runs, over all exercises at once:

# %%
# NBVAL_CHECK_OUTPUT
from course_utils.checks import evaluate, questions

earned = sum(q.points for q in questions("lab05") if evaluate(q, globals().get(q.target))[0])
print(f"Lab 05 self-checks: {earned:g} / {sum(q.points for q in questions('lab05')):g} points")

# %% [markdown]
# ## What to try next
# - **Several bands.** Load without `keep_band` and give the networks the band as a fourth input channel (one-hot),
#   or stack one dm–dt image per band as channels: colour separates supernovae from variable stars.
# - **Augment by re-sampling the cadence.** Drop a random 10–50 % of each training light curve's epochs at
#   every epoch of training: the networks learn to cope with sparse light curves, where the figure above shows
#   them breaking.
# - **Early classification.** A survey must decide which transients to follow up *before* they fade: keep only the
#   first 10 epochs of each test light curve and evaluate again. Which model degrades most gracefully?
# - **Time in the recurrent network.** Replace log(1 + Δt) by Δt itself, or drop it: how much does the GRU rely on
#   knowing when each epoch was taken?
# - **A bidirectional GRU** (`layers.Bidirectional`), or an LSTM instead of the GRU, or attention over the epochs.
# - **Real data.** With the network on, `load_plasticc` reads PLAsTiCC's training set: 14 classes, most of them
#   transients seen in a few dozen epochs; compare the forest and the networks there.
