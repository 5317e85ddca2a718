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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/astro-dl-course/deep-learning-astronomy/blob/main/solutions/06_beyond_classification.ipynb)
#
# # Lab 06 — Beyond classification: a number, an image, a new galaxy
#
# Every lab so far ended in a class. Much of the astronomy done with neural networks does not: Hezaveh,
# Perreault Levasseur & Marshall (2017) measure the Einstein radius and ellipticity of a lens with a CNN in a
# fraction of a second, where a model fit took weeks (G. Tsagkatakis, "Fundamentals of Deep (Artificial) Neural
# Networks", lecture slides, CSD–UOC and ICS–FORTH); DeepVel and Enhance map images to images, velocity fields
# and super-resolved magnetograms, and a U-Net images the far side of the Sun (A. Asensio Ramos, "Basics of deep
# learning", lecture slides); autoencoders and generative adversarial networks get a whole lecture in C. R. Bom's
# "Deep Learning Applications in Astronomy" (lecture series, 2018), which shows Schawinski et al. (2017)
# recovering galaxy features "beyond the deconvolution limit". This lab builds one network of each kind.
#
# **What you will learn**
# - **a number out**: a CNN that measures the Einstein radius θE of a lens: the loss of a regression and why
#   not accuracy; predicted against true θE, with the bias and the scatter in bins; where it fails; an
#   uncertainty for every lens from a network that predicts a mean and a variance (the Gaussian negative
#   log-likelihood), and whether those uncertainties are honest (calibration); against a simple estimate
#   that needs no network;
# - **an image out**: restoring blurred, noisy galaxy images with a convolutional autoencoder and a U-Net,
#   against the classical Richardson–Lucy and Wiener deconvolutions; PSNR and SSIM, flux conservation,
#   residual images, and what goes wrong (noise amplification, ringing, invented detail); the same on the
#   Hubble Deep Field;
# - **a galaxy out**: a variational autoencoder (VAE) of galaxy images: its two loss terms, its 2-D latent
#   space, walking that space, sampling new galaxies, and finding odd galaxies by how badly it reconstructs them.
#
# Every paper the lab cites is in [docs/references.md](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/docs/references.md).
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
# All sizes are in the next cell. The **smoke** profile (the course's automatic tests) runs in seconds and
# learns nothing; **cpu** takes under ten minutes on a 2-core laptop; **full** is the real result, on a Colab
# GPU. Everything runs offline, on the course's simulators and on an image that scikit-image ships.
#
# In the **cpu** profile the sizes of the three trainings are upper limits: laptops differ by five times and
# more in how fast they train a network (those without the AVX-512 vector instructions are the slow ones), so
# before each training the lab trains a throw-away copy of the network for a few seconds, measures how many
# images per second this machine manages, and keeps the images (first) and epochs that fit that training's
# share of the lab's time: half of it for the two θE networks, 30 % for the two restoration networks, 20 % for
# the VAE. It prints what it chose and why, and after each training how long it took against the plan. To
# choose yourself, set for example `COURSE_SIZES="n_lenses=5000,lens_epochs=7"` before starting the notebook
# (or edit the cell); `COURSE_BUDGET_MINUTES=60` gives the whole course, and so this lab, twice the time.

# %%
import logging

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers, ops
from scipy import ndimage
from scipy.stats import norm
from skimage import data as skimage_data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.restoration import richardson_lucy, wiener
from sklearn.metrics import roc_auc_score

from course_utils import budget, plotting
from course_utils.checks import check
from course_utils.diagrams import draw_model
from course_utils.sims import simulate_galaxy10, simulate_lenses
from course_utils.sims.galaxies import GALAXY10_DECALS_CLASSES, observe, simulate_galaxy_bands, to_rgb
from course_utils.sims.profiles import psf_kernel

SIZES = runtime.pick(
    smoke=dict(n_lenses=128, n_lens_test=64, lens_epochs=1, n_restore=128, n_restore_test=16, restore_epochs=1,
               restore_width=4, n_vae=160, vae_epochs=1, width=4, batch=64),
    cpu=dict(n_lenses=5_000, n_lens_test=1_500, lens_epochs=7, n_restore=2_000, n_restore_test=300,
             restore_epochs=6, restore_width=8, n_vae=3_000, vae_epochs=12, width=16, batch=64),
    full=dict(n_lenses=40_000, n_lens_test=5_000, lens_epochs=40, n_restore=20_000, n_restore_test=1_000,
              restore_epochs=40, restore_width=32, n_vae=20_000, vae_epochs=60, width=32, batch=128),
)
print(SIZES)
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # not the notices that each new model re-traces its steps

# %% [markdown]
# # Part 1 — A number out: the Einstein radius of a lens
#
# ## 1. Lenses of known θE
#
# The lens simulator of lab 04 ([`course_utils.sims.simulate_lenses`](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/course_utils/sims/lenses.py)), asked for lenses only
# (`lens_fraction=1.0`): a singular isothermal ellipsoid in an external shear, its red elliptical galaxy, and a
# blue background galaxy lensed into arcs, a ring or several images; 64×64 pixels of 0.2″ in g, r and i,
# seeing of 0.6″–1″, noise. The catalog knows every lens's Einstein radius θE (0.5″–3″): the target. The test
# lenses come first; the training lenses in section 2, once the lab knows how many this machine has time for.
# The input is normalised as in lab 04: per stamp and per band, the median subtracted, divided by the noise
# (from the median absolute deviation), the bright end compressed with an arcsinh.

# %%
PIXEL_SCALE = 0.2  # arcsec per pixel of the lens stamps


def normalise(stamps):
    """(n, H, W, bands) counts -> float32 of the same shape: robust per stamp and band, arcsinh-compressed."""
    sky = np.median(stamps, axis=(1, 2), keepdims=True)
    sigma = np.maximum(1.4826 * np.median(np.abs(stamps - sky), axis=(1, 2), keepdims=True), 1e-12)
    return np.arcsinh((stamps - sky) / sigma / 3).astype(np.float32)


test_lens_images, test_catalog = simulate_lenses(SIZES["n_lens_test"], lens_fraction=1.0, seed=runtime.seed + 1)
x_lens_test = normalise(test_lens_images)
theta_test = np.asarray(test_catalog["theta_E"], dtype="float32")
snr_test, seeing_test = np.asarray(test_catalog["snr"]), np.asarray(test_catalog["seeing_fwhm"])
print(f"{len(x_lens_test):,} test lenses of {x_lens_test.shape[1:]}; θE from {theta_test.min():.2f}″ to "
      f"{theta_test.max():.2f}″")

shown = np.argsort(theta_test)[np.linspace(0, len(theta_test) - 1, 8).astype(int)]
plotting.image_grid(test_lens_images[shown, :, :, ::-1],
                    [f"θE={theta_test[i]:.2f}″\nS/N={snr_test[i]:.0f}" for i in shown], ncols=8, panel_size=1.7)
plt.suptitle("test lenses from the smallest θE to the largest (i, r, g as red, green, blue)", y=1.02)
plt.show()

# %% [markdown]
# ## 2. The loss of a regression
#
# A classifier's output is a class and its accuracy counts the right ones. θE is a real number: no prediction
# is exactly right, so "accuracy" would be zero, or would depend on a tolerance picked after the fact. A
# regression is scored by *how far* each prediction falls, and trained on the mean squared error
# $\mathrm{MSE} = \frac1n\sum_i (\hat\theta_i - \theta_i)^2$ (the squared-error loss of the lectures; the mean
# absolute error is the robust cousin). Minimising MSE makes the network predict the *mean* θE of the lenses
# that look like this one; its square root, the RMSE, is in arcsec.
#
# The network: four convolution stages halving the stamp to 8×8 pixels, then `Flatten` rather than global
# pooling, because θE is a *distance from the centre* and pooling over all positions throws positions away;
# one linear output (no activation: θE is any positive number, and a sigmoid or ReLU would clip it).

# %%
def lens_cnn(n_outputs, width):
    """Stamps (64, 64, 3) -> n_outputs linear numbers: 1 for θE, 2 for a mean and a log-variance."""
    return keras.Sequential([
        keras.Input((64, 64, 3)),
        layers.RandomFlip("horizontal_and_vertical"),  # a flipped lens has the same θE
        layers.Conv2D(width, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(2 * width, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(4 * width, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(4 * width, 3, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(64, activation="relu"),
        layers.Dense(n_outputs),
    ], name=f"lens_cnn_{n_outputs}")


# %% [markdown]
# **How many lenses, how many epochs.** In the cpu profile a throw-away copy of the network trains for a few
# seconds on the test stamps (its weights are thrown away: it only measures the speed), and the lab times
# the simulator; then it keeps as many training lenses, and then epochs, as fit half of the lab's time for
# this network and the one of section 4, which trains on the same lenses. With the cpu profile's largest
# sizes, 5,000 lenses and 7 epochs, the network reached an RMSE of 0.25″ and the one of section 4 0.24″, with
# 69 % of the test lenses inside its 68 % intervals (the course's results table, a 2-core machine with
# AVX-512); fewer lenses or epochs give larger errors, and a Colab GPU's full profile (40,000 lenses,
# 40 epochs) smaller ones.

# %%
lens_plan = None
if budget.applies(runtime, SIZES, "n_lenses", "lens_epochs"):
    probe = lens_cnn(2, SIZES["width"])  # measured, then thrown away; the larger of the two heads
    probe.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    lens_plan = budget.plan(probe, x_lens_test, np.zeros((len(x_lens_test), 2), "float32"), batch_size=SIZES["batch"],
                            budget_seconds=budget.budget_seconds("lab06", 0.5), max_images=SIZES["n_lenses"],
                            min_images=1_000, max_epochs=SIZES["lens_epochs"], min_epochs=3, fits=2, what="θE networks",
                            prepare_images_per_second=budget.preparation_rate(
                                lambda n: normalise(simulate_lenses(n, lens_fraction=1.0, seed=runtime.seed + 5)[0]),
                                200))
    SIZES |= {"n_lenses": lens_plan.images, "lens_epochs": lens_plan.epochs}
lens_images, lens_catalog = simulate_lenses(SIZES["n_lenses"], lens_fraction=1.0, seed=runtime.seed)
x_lens = normalise(lens_images)
theta = np.asarray(lens_catalog["theta_E"], dtype="float32")

# %%
keras.utils.set_random_seed(runtime.seed)
regressor = lens_cnn(1, SIZES["width"])
regressor.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
with budget.timed(lens_plan, "θE network, MSE"):
    history = regressor.fit(x_lens, theta, validation_split=0.1, epochs=SIZES["lens_epochs"],
                            batch_size=SIZES["batch"], verbose=2)
theta_mse = regressor.predict(x_lens_test, batch_size=256, verbose=0)[:, 0]
rmse_mse = course_utils.record("theta_rmse_cnn", float(np.sqrt(np.mean((theta_mse - theta_test) ** 2))))
print(f"RMSE of always predicting the training mean θE: {np.sqrt(np.mean((theta.mean() - theta_test) ** 2)):.3f}″")

# %% [markdown]
# ## 3. Bias and scatter in bins of θE (2 points)
#
# One RMSE hides *where* the network is wrong. Plot the prediction against the truth, and in bins of the
# true θE summarise the errors $\hat\theta - \theta$ by two numbers: the **bias**, their mean (is the network
# wrong on average, in one direction?), and the **scatter**, their standard deviation around that mean (how far
# one lens's prediction wanders). A network trained on MSE is pulled towards the middle of the training range:
# it over-predicts the smallest θE and under-predicts the largest (regression to the mean).
#
# **Exercise 1.** Write `bias_and_scatter(true, predicted, edges)`. Bin the lenses by their **true** value with
# the bin edges `edges` (bins as in `np.histogram`: each includes its left edge, the last also its right edge,
# values outside are ignored). Return two arrays of length `len(edges) - 1`, `(bias, scatter)`: per bin the mean
# of `predicted - true`, and its standard deviation (NumPy's default, `ddof=0`); NaN for an empty bin.

# %%
def bias_and_scatter(true, predicted, edges):
    """Per bin of the true value: (mean of predicted - true, its standard deviation), NaN where empty."""
    # BEGIN SOLUTION
    true, error = np.asarray(true, float), np.asarray(predicted, float) - np.asarray(true, float)
    index = np.searchsorted(edges, true, side="right") - 1
    index[true == edges[-1]] = len(edges) - 2  # the last bin includes its right edge
    bias, scatter = np.full(len(edges) - 1, np.nan), np.full(len(edges) - 1, np.nan)
    for k in range(len(edges) - 1):
        in_bin = error[index == k]
        if in_bin.size:
            bias[k], scatter[k] = in_bin.mean(), in_bin.std()
    return bias, scatter
    # END SOLUTION


# %%
check("lab06", "bias_and_scatter", bias_and_scatter)

# %%
THETA_EDGES = np.linspace(0.5, 3.0, 11)
centres = 0.5 * (THETA_EDGES[1:] + THETA_EDGES[:-1])


def predicted_vs_true(ax, predicted, label, colour):
    """Scatter of predicted against true test θE, with the bias and scatter per bin as error bars."""
    bias, scatter = bias_and_scatter(theta_test, predicted, THETA_EDGES)
    ax.scatter(theta_test, predicted, s=3, alpha=0.3, color=colour)
    ax.errorbar(centres, centres + bias, yerr=scatter, fmt="o-", color=colour, capsize=3,
                label=f"{label}: mean ± scatter per bin")
    ax.plot([0.5, 3], [0.5, 3], "k:", lw=1)
    ax.set(xlabel="true θE (arcsec)", ylabel="predicted θE (arcsec)", xlim=(0.4, 3.1), ylim=(0, 3.6))
    ax.legend(fontsize=8, loc="upper left")


fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
predicted_vs_true(axes[0], theta_mse, "CNN trained on MSE", "C0")
for low, high, style in ((5, 20, "--"), (20, 200, "-")):
    faint = (snr_test >= low) & (snr_test < high)
    bias, scatter = bias_and_scatter(theta_test[faint], theta_mse[faint], THETA_EDGES)
    axes[1].plot(centres, scatter, style, color="C0", label=f"scatter, S/N {low}–{high}")
    axes[1].plot(centres, bias, style, color="C3", label=f"bias, S/N {low}–{high}")
axes[1].axhline(0, color="k", lw=0.5)
axes[1].set(xlabel="true θE (arcsec)", ylabel="arcsec", title="bias and scatter per bin of θE")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Where does it fail? Read the right panel, then look at the worst cases below:
# - **faint arcs**: with S/N below about 20 the lensed light is barely above the noise; the network falls
#   back on what else it sees, the lens galaxy. In this simulation (as, loosely, in nature) bigger θE goes with
#   a brighter, larger lens galaxy, so it still guesses something, and the guess regresses to the mean;
# - **small θE under the seeing**: below about 1″ the images sit within the 0.6″–1″ seeing disc of the lens
#   galaxy and blur into it: the geometry that measures θE is gone.

# %%
worst = np.argsort(np.abs(theta_mse - theta_test))[::-1][:8]
plotting.image_grid(test_lens_images[worst, :, :, ::-1],
                    [f"θE={theta_test[i]:.2f}″ → {theta_mse[i]:.2f}″\nS/N={snr_test[i]:.0f} seeing={seeing_test[i]:.2f}″"
                     for i in worst], ncols=4, panel_size=2.6)
plt.suptitle("the eight worst predictions: true θE → predicted", y=1.02)
plt.show()

# %% [markdown]
# ## 4. An uncertainty for every lens: the Gaussian negative log-likelihood (2 points)
#
# A measurement without an error bar is half a measurement. Let the network predict two numbers per lens
# (Nix & Weigend 1994),
# a mean $\mu$ and the logarithm of a variance, $s = \log\sigma^2$ (a logarithm, so that any real output is a
# valid, positive variance), and train it to maximise the likelihood of the true θE under the Gaussian
# $\mathcal N(\mu, \sigma^2)$. Its negative logarithm, per lens, is
#
# $$\mathrm{NLL} = \tfrac12\left[\log\sigma^2 + \frac{(\theta - \mu)^2}{\sigma^2}\right] + \tfrac12\log 2\pi .$$
#
# The first term punishes claiming a large error, the second a small error that turns out wrong: the
# network learns to say σ large where it cannot see the arcs and small where it can (heteroscedastic errors).
#
# **Exercise 2.** Write the Keras loss `gaussian_nll(y_true, y_pred)` with `keras.ops` (so it runs on every
# backend): `y_true` has shape `(batch, 1)` (as Keras passes a target of one number), `y_pred` shape
# `(batch, 2)` with the mean in column 0 and the log-variance in column 1. Return the NLL of each lens,
# shape `(batch,)` (Keras averages it); the constant $\frac12\log 2\pi$ may be left out, it changes nothing
# in training.

# %%
def gaussian_nll(y_true, y_pred):
    """Per-sample Gaussian negative log-likelihood: y_true (batch, 1), y_pred (batch, 2) = [mean, log σ²]."""
    # BEGIN SOLUTION
    mean, log_var = y_pred[:, 0], y_pred[:, 1]
    return 0.5 * (log_var + ops.square(y_true[:, 0] - mean) * ops.exp(-log_var))
    # END SOLUTION


# %%
check("lab06", "gaussian_nll", gaussian_nll)

# %%
keras.utils.set_random_seed(runtime.seed)
probabilistic = lens_cnn(2, SIZES["width"])
probabilistic.compile(optimizer=keras.optimizers.Adam(1e-3), loss=gaussian_nll)
with budget.timed(lens_plan, "θE network, Gaussian NLL"):
    probabilistic.fit(x_lens, theta[:, None], validation_split=0.1, epochs=SIZES["lens_epochs"],
                      batch_size=SIZES["batch"], verbose=2)
mean_log_var = probabilistic.predict(x_lens_test, batch_size=256, verbose=0)
theta_nll, sigma_nll = mean_log_var[:, 0], np.exp(0.5 * mean_log_var[:, 1])
rmse_nll = course_utils.record("theta_rmse_nll_cnn", float(np.sqrt(np.mean((theta_nll - theta_test) ** 2))))
for low, high in ((5, 20), (20, 200)):
    chosen = (snr_test >= low) & (snr_test < high)
    print(f"S/N {low}–{high}: median predicted σ {np.median(sigma_nll[chosen]):.3f}″, "
          f"RMS error {np.sqrt(np.mean((theta_nll[chosen] - theta_test[chosen]) ** 2)):.3f}″")

# %% [markdown]
# ## 5. Are the error bars honest? Calibration (2 points)
#
# If the predicted σ are right, the true θE falls inside the interval $\mu \pm 0.994\,\sigma$ (the central 68 %
# of a Gaussian) for 68 % of the lenses, inside $\mu \pm 1.645\,\sigma$ for 90 %, and so on. A share far below
# the level means overconfident error bars; far above, too cautious ones.
#
# **Exercise 3.** Write `interval_coverage(y_true, mean, log_var, level)`: the fraction of the values `y_true`
# inside the central interval of probability `level` of the Gaussian $\mathcal N(\text{mean}, \sigma^2)$ with
# $\log\sigma^2$ = `log_var`, that is $|y - \mu| \le z\,\sigma$ with $z$ = `norm.ppf(0.5 + level / 2)`
# (`scipy.stats.norm`). Return one number.

# %%
def interval_coverage(y_true, mean, log_var, level):
    """Fraction of y_true inside mean ± z σ, the central `level` interval of N(mean, exp(log_var))."""
    # BEGIN SOLUTION
    z = norm.ppf(0.5 + level / 2)
    sigma = np.exp(0.5 * np.asarray(log_var, float))
    return float(np.mean(np.abs(np.asarray(y_true, float) - np.asarray(mean, float)) <= z * sigma))
    # END SOLUTION


# %%
check("lab06", "interval_coverage", interval_coverage)

# %%
levels = np.linspace(0.05, 0.95, 19)
coverage = [interval_coverage(theta_test, theta_nll, mean_log_var[:, 1], level) for level in levels]
coverage_68 = course_utils.record("coverage_68", interval_coverage(theta_test, theta_nll, mean_log_var[:, 1], 0.68))
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
axes[0].plot(levels, coverage, "o-", label="CNN with Gaussian NLL")
axes[0].plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
axes[0].set(xlabel="probability of the predicted interval", ylabel="share of true θE inside",
            title=f"calibration: {coverage_68:.0%} inside the 68 % interval")
axes[0].legend()
axes[1].scatter(snr_test, sigma_nll, s=4, alpha=0.4)
axes[1].set(xscale="log", xlabel="S/N of the lensed images", ylabel="predicted σ (arcsec)",
            title="the network is less sure where the arcs are faint")
fig.tight_layout()
plt.show()

# %% [markdown]
# Calibration measured on the *test* set, as here, is the honest one; the NLL network can still be
# overconfident if it overfits, since on the training set it learns to shrink σ on lenses it has memorised.
# A short training, as in the cpu profile, may instead leave the error bars too wide. Either way the curve
# says so, and a calibration on a held-out set (rescaling σ by one factor) is a standard repair.
#
# ## 6. Without a network: the positions of the lensed images
#
# For a singular isothermal sphere a source at distance β from the axis makes two images at θE + β and
# θE − β from the lens centre, on opposite sides: *their mean distance from the centre is θE*. That is our
# estimate without a network:
# 1. remove the lens galaxy's light: it is red, the lensed images blue, so subtract from the g band the
#    i band scaled to match the g band in the central 0.4″, where the lens galaxy dominates;
# 2. smooth by about the seeing and find the local maxima between 0.4″ and 4″ from the centre;
# 3. θE ≈ the mean distance from the centre of the two brightest;
# 4. calibrate: fit a straight line from this estimate to the true θE of the *training* lenses (as the CNN
#    learns from them too), and apply it to the test lenses.

# %%
def peak_theta_E(stamps, pixel_scale=PIXEL_SCALE):
    """θE estimate (arcsec) per stamp (n, H, W, 3 in g, r, i): mean distance from the centre of the two
    brightest peaks of the lens-subtracted g band."""
    n_pixels = stamps.shape[1]
    yy, xx = np.mgrid[:n_pixels, :n_pixels] - (n_pixels - 1) / 2
    radius = np.hypot(xx, yy) * pixel_scale
    g, i = stamps[..., 0], stamps[..., 2]
    core = radius < 0.4
    scale = g[:, core].sum(axis=1) / np.maximum(i[:, core].sum(axis=1), 1e-12)
    blue = ndimage.gaussian_filter(g - scale[:, None, None] * i, sigma=(0, 1.5, 1.5))
    estimates = np.empty(len(stamps))
    for k, image in enumerate(blue):
        peaks = (ndimage.maximum_filter(image, size=3) == image) & (radius >= 0.4) & (radius < 4.0)
        brightest = np.argsort(image[peaks])[::-1][:2]
        estimates[k] = radius[peaks][brightest].mean()
    return estimates


line = np.polyfit(peak_theta_E(lens_images), theta, 1)
theta_peaks = np.polyval(line, peak_theta_E(test_lens_images))
rmse_peaks = course_utils.record("theta_rmse_peaks", float(np.sqrt(np.mean((theta_peaks - theta_test) ** 2))))
bright = snr_test >= 50
for name, predicted in (("image positions", theta_peaks), ("CNN, MSE", theta_mse), ("CNN, NLL", theta_nll)):
    print(f"{name:16s} RMSE {np.sqrt(np.mean((predicted - theta_test) ** 2)):.3f}″ over all test lenses, "
          f"{np.sqrt(np.mean((predicted[bright] - theta_test[bright]) ** 2)):.3f}″ for S/N ≥ 50 ({bright.sum()})")
course_utils.record("rmse_cnn_over_peaks", rmse_mse / rmse_peaks)

fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
predicted_vs_true(axes[0], theta_peaks, "image positions", "C2")
predicted_vs_true(axes[1], theta_nll, "CNN, Gaussian NLL", "C1")
plt.show()

# %% [markdown]
# The estimate from the image positions is what an astronomer does by eye, and it fails where the eye does:
# on doubles whose counter-image is faint (the second-brightest peak is then noise, or a piece of the same arc),
# under the lens light when θE is small, and on companions that fall inside 4″. A model fit of the whole image
# (lenstronomy, for example) does far better, at minutes per lens instead of microseconds: the CNN's promise in
# Hezaveh et al. (2017) is the model fit's accuracy at the network's speed, and the calibration above is how
# to check the second half of that promise, the uncertainties.

# %% [markdown]
# # Part 2 — An image out: deconvolution and denoising
#
# ## 7. Blurred, noisy galaxies, and their truth
#
# A telescope blurs every image with its point-spread function (PSF: the atmosphere's seeing, the optics) and
# adds noise. Undoing both is *deconvolution*, and it is ill-posed: the blur has all but erased the finest
# detail, and amplifying it back amplifies the noise with it. A network trained on pairs (degraded, true)
# learns what galaxies look like and restores them from that knowledge, the idea of Enhance and DeepVel in
# A. Asensio Ramos's "Basics of deep learning". The course's galaxy simulator gives the truth: the g, r and z
# light of a galaxy before any blur or noise; `observe` then blurs it with a Gaussian PSF and adds noise.

# %%
RESTORE_SIZE, PSF_FWHM, NOISE = 64, 4.0, 0.03  # pixels; PSF full width at half maximum in pixels; noise per pixel


def degrade(bands, seed):
    """Clean (n, H, W, 3) fluxes -> the same blurred by the PSF, with Gaussian noise of NOISE per pixel."""
    return observe(bands, psf_fwhm=PSF_FWHM, noise=NOISE, seed=seed)


n_restore = SIZES["n_restore"] + SIZES["n_restore_test"]
clean, clean_labels = simulate_galaxy_bands(n_restore, size=RESTORE_SIZE, seed=runtime.seed + 2)
observed = degrade(clean, seed=runtime.seed + 3)
# Each pair is scaled by its observed image's brightest pixel, so inputs are of order 1 (known without the truth).
scale = np.maximum(observed.max(axis=(1, 2, 3), keepdims=True), 1e-6)
x_restore, y_restore = observed / scale, clean / scale
n_fit = SIZES["n_restore"]
x_fit, y_fit, x_held, y_held = x_restore[:n_fit], y_restore[:n_fit], x_restore[n_fit:], y_restore[n_fit:]
print(f"{n_fit} pairs to train on (at most), {len(x_held)} held out; PSF FWHM {PSF_FWHM} pixels, "
      f"noise {NOISE} per pixel")
plotting.image_grid(np.concatenate([to_rgb(clean[n_fit:n_fit + 6]), to_rgb(observed[n_fit:n_fit + 6])]),
                    ncols=6, panel_size=1.8)
plt.suptitle("held-out galaxies: the truth (top) and what the telescope sees (bottom)", y=1.02)
plt.show()

# %% [markdown]
# ## 8. An autoencoder, then a U-Net (2 points)
#
# A convolutional **autoencoder** (an encoder–decoder) halves the image's size a few times while adding
# channels, then doubles it back: everything must pass through the small maps at the bottom, so fine detail that
# did not fit is lost, and the restored images come out smooth. The **U-Net** (Ronneberger, Fischer & Brox 2015;
# the network that images the Sun's far side in Asensio Ramos's deck) adds *skip connections*: at every level
# the decoder's up-sampled maps are concatenated with the encoder's maps of the same size, so the decoder sees
# the full-resolution detail and only has to learn what to change. Here is the autoencoder:

# %%
def conv_pair(x, filters):
    """Two 3×3 convolutions with ReLU, keeping the size."""
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)


def build_autoencoder(input_shape, width=16, depth=2):
    """Encoder-decoder without skips: (H, W, C) -> (H, W, C), linear output."""
    inputs = keras.Input(input_shape)
    x = inputs
    for level in range(depth):
        x = layers.MaxPooling2D()(conv_pair(x, width * 2**level))
    x = conv_pair(x, width * 2**depth)
    for level in reversed(range(depth)):
        x = conv_pair(layers.UpSampling2D()(x), width * 2**level)
    return keras.Model(inputs, layers.Conv2D(input_shape[-1], 1)(x), name="autoencoder")


# %% [markdown]
# **Exercise 4.** Write `build_unet(input_shape, width=16, depth=2)`, the same network with skips. Going down,
# at each level `k` (0 to depth − 1) apply `conv_pair(x, width * 2**k)`, **keep that output** (the skip), then
# `MaxPooling2D()`; at the bottom `conv_pair(x, width * 2**depth)`; going up, at each level from depth − 1 to 0,
# `UpSampling2D()`, then `layers.Concatenate()([up, skip])` with the skip kept at that level, then
# `conv_pair(..., width * 2**k)`; last a linear 1×1 `Conv2D(input_shape[-1], 1)`. Return the `keras.Model`.

# %%
def build_unet(input_shape, width=16, depth=2):
    """U-Net: (H, W, C) -> (H, W, C), one Concatenate skip per level, linear output."""
    # BEGIN SOLUTION
    inputs = keras.Input(input_shape)
    x, skips = inputs, []
    for level in range(depth):
        x = conv_pair(x, width * 2**level)
        skips.append(x)
        x = layers.MaxPooling2D()(x)
    x = conv_pair(x, width * 2**depth)
    for level in reversed(range(depth)):
        x = layers.Concatenate()([layers.UpSampling2D()(x), skips[level]])
        x = conv_pair(x, width * 2**level)
    return keras.Model(inputs, layers.Conv2D(input_shape[-1], 1)(x), name="unet")
    # END SOLUTION


# %%
check("lab06", "build_unet", build_unet)

# %% [markdown]
# Both networks train on the same pairs for the same epochs. In the cpu profile your U-Net (the costlier of
# the two) first trains for a few seconds to measure the speed, and the lab keeps the pairs and epochs that
# fit 30 % of its time for both (the autoencoder, cheaper, takes less than planned). With the cpu profile's
# largest sizes, 2,000 pairs and 6 epochs, the U-Net reached 40.3 dB, 4.7 dB above the degraded input and
# 2.6 dB above Richardson–Lucy, and the autoencoder 37.3 dB (the course's results table, a 2-core machine
# with AVX-512).

# %%
restore_plan = None
if budget.applies(runtime, SIZES, "n_restore", "restore_epochs"):
    probe = build_unet((RESTORE_SIZE, RESTORE_SIZE, 3), width=SIZES["restore_width"], depth=2)  # thrown away
    probe.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    restore_plan = budget.plan(probe, x_fit, y_fit, batch_size=32, budget_seconds=budget.budget_seconds("lab06", 0.3),
                               min_images=320, max_epochs=SIZES["restore_epochs"], min_epochs=2, fits=2,
                               what="restoration networks")
    x_fit, y_fit = x_fit[:restore_plan.images], y_fit[:restore_plan.images]
    SIZES |= {"n_restore": restore_plan.images, "restore_epochs": restore_plan.epochs}
restorers = {}
for name, build in (("autoencoder", build_autoencoder), ("U-Net", build_unet)):
    keras.utils.set_random_seed(runtime.seed)
    model = build((RESTORE_SIZE, RESTORE_SIZE, 3), width=SIZES["restore_width"], depth=2)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    print(name)
    with budget.timed(restore_plan, name):
        model.fit(x_fit, y_fit, validation_split=0.1, epochs=SIZES["restore_epochs"], batch_size=32, verbose=2)
    restorers[name] = model
fig, axes = plt.subplots(1, 2, figsize=(14, 7))
for ax, (name, model) in zip(axes, restorers.items()):
    draw_model(model, ax=ax, title=name)
plt.show()

# %% [markdown]
# ## 9. The classical baselines: Wiener and Richardson–Lucy
#
# Both know the PSF. **Wiener** deconvolution divides by the PSF in Fourier space, damped where the PSF is weak
# by a `balance` (the noise-to-signal ratio): too small, and the noise explodes; too large, and the image stays
# blurred. **Richardson–Lucy** (Richardson 1972; Lucy 1974) iterates towards the most likely non-negative image under Poisson noise; each
# iteration sharpens more, and after enough of them it starts fitting the noise. Each gets its one setting
# chosen on training images, as fairly as the networks get theirs from training. Both come from scikit-image,
# as do the metrics: the peak signal-to-noise ratio, PSNR $= 10\log_{10}(\text{range}^2/\text{MSE})$ in dB, and the
# structural similarity SSIM (Wang et al. 2004; 1 for identical images), which compares local means, contrasts and structure.

# %%
PSF = psf_kernel(PSF_FWHM, 15)  # the Gaussian kernel observe() blurs with, cut to 15×15 pixels (sum 1)


def per_band(restore, images, **settings):
    """Apply a 2-D restoration to every band of every image (n, H, W, bands)."""
    return np.stack([np.stack([restore(image[..., b], PSF, **settings) for b in range(image.shape[-1])], axis=-1)
                     for image in images]).astype(np.float32)


def wiener_restore(images, balance):
    return per_band(wiener, images, balance=balance, clip=False)


def richardson_lucy_restore(images, num_iter):
    """Richardson–Lucy needs a positive image: add a pedestal lifting the noise above zero, remove it after
    (clipping the negative noise instead would add flux)."""
    def restore(image, psf, num_iter):
        pedestal = max(0.0, -float(image.min())) + 1e-3
        return richardson_lucy(image + pedestal, psf, num_iter=num_iter, clip=False) - pedestal

    return per_band(restore, images, num_iter=num_iter)


def scores(truth, estimates):
    """Mean PSNR (dB) and SSIM of estimates against truth, (n, H, W, bands), each image on its own range."""
    psnr, ssim = [], []
    for t, e in zip(truth, estimates):
        data_range = float(t.max() - t.min())
        psnr.append(peak_signal_noise_ratio(t, e, data_range=data_range))
        ssim.append(structural_similarity(t, e, data_range=data_range, channel_axis=-1))
    return float(np.mean(psnr)), float(np.mean(ssim))


tuning = slice(0, 16)
balances, iterations = (0.003, 0.01, 0.03, 0.1, 0.3), (5, 15, 40)
wiener_psnr = [scores(y_fit[tuning], wiener_restore(x_fit[tuning], b))[0] for b in balances]
rl_psnr = [scores(y_fit[tuning], richardson_lucy_restore(x_fit[tuning], k))[0] for k in iterations]
best_balance, best_iterations = balances[int(np.argmax(wiener_psnr))], iterations[int(np.argmax(rl_psnr))]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
axes[0].plot(balances, wiener_psnr, "o-")
axes[0].set(xscale="log", xlabel="Wiener balance", ylabel="PSNR on 16 training images (dB)")
axes[1].plot(iterations, rl_psnr, "o-")
axes[1].set(xscale="log", xlabel="Richardson–Lucy iterations", ylabel="PSNR (dB)",
            title="more iterations sharpen, then fit the noise")
fig.tight_layout()
plt.show()
print(f"chosen: Wiener balance {best_balance}, Richardson–Lucy {best_iterations} iterations")

# %% [markdown]
# ## 10. Who restores best?
#
# All five on the same held-out images: the degraded input itself, Wiener, Richardson–Lucy, the autoencoder
# and the U-Net.

# %%
restored = {"degraded input": x_held, "Wiener": wiener_restore(x_held, best_balance),
            "Richardson–Lucy": richardson_lucy_restore(x_held, best_iterations)}
restored |= {name: model.predict(x_held, batch_size=32, verbose=0) for name, model in restorers.items()}
table = {name: scores(y_held, images) for name, images in restored.items()}
flux = {name: images.sum(axis=(1, 2, 3)) / y_held.sum(axis=(1, 2, 3)) for name, images in restored.items()}
print(f"{'method':18s} {'PSNR (dB)':>9s} {'SSIM':>6s}  flux / true flux (median, 16–84 %)")
for name, (psnr, ssim) in table.items():
    low, mid, high = np.percentile(flux[name], [16, 50, 84])
    print(f"{name:18s} {psnr:9.2f} {ssim:6.3f}  {mid:.3f} ({low:.3f}–{high:.3f})")
for key, name in (("psnr_degraded", "degraded input"), ("psnr_wiener", "Wiener"), ("psnr_rl", "Richardson–Lucy"),
                  ("psnr_autoencoder", "autoencoder"), ("psnr_unet", "U-Net")):
    course_utils.record(key, table[name][0], ".2f")
course_utils.record("ssim_unet", table["U-Net"][1], ".3f")
course_utils.record("ssim_rl", table["Richardson–Lucy"][1], ".3f")
course_utils.record("unet_gain_db", table["U-Net"][0] - table["degraded input"][0], ".2f")
course_utils.record("unet_over_rl_db", table["U-Net"][0] - table["Richardson–Lucy"][0], ".2f")

# %% [markdown]
# The full profile's target is a U-Net at least 3 dB above the degraded input and 1 dB above Richardson–Lucy.
# **Flux conservation** matters to an astronomer more than PSNR: photometry is done on restored images. Blur and
# Wiener/Richardson–Lucy keep the total flux (apart from light blurred past the stamp's edge); nothing forces a
# network to, and a network that is a few per cent off in flux is useless for photometry however sharp it looks.
#
# ### Residuals: what each method gets wrong
#
# Restored minus true, in the r band, for one held-out galaxy (the same colour scale in every residual panel):
# look for the noise amplified by Wiener, the rings around the bright core (Gibbs ringing, where the Fourier
# division cannot rebuild the sharp peak), the smooth autoencoder, and the structure the U-Net adds or removes.

# %%
example = int(np.argmax(y_held.max(axis=(1, 2, 3)) < 0.6 * y_held.max()))  # a galaxy with structure beyond its core
shown_images = {"truth": y_held, **restored}
fig, axes = plt.subplots(2, len(shown_images), figsize=(2.4 * len(shown_images), 5))
limit = 0.5 * float(np.abs(y_held[example, ..., 1]).max())
for column, (name, images) in enumerate(shown_images.items()):
    axes[0, column].imshow(images[example, ..., 1], origin="lower", cmap="magma", vmin=0,
                           vmax=float(y_held[example, ..., 1].max()), interpolation="nearest")
    axes[0, column].set_title(name, fontsize=9)
    residual = images[example, ..., 1] - y_held[example, ..., 1]
    axes[1, column].imshow(residual, origin="lower", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    axes[1, column].set_title("residual" if column else "(the truth)", fontsize=9)
for ax in axes.ravel():
    ax.set(xticks=[], yticks=[])
fig.tight_layout()
plt.show()

# %% [markdown]
# **Where each fails.** Wiener with too small a balance, and Richardson–Lucy run too long, amplify the noise
# (the tuning curves above fall on the right). The Fourier division rings around sharp peaks: a bright core
# or a foreground star gets dark and bright rings. The autoencoder loses detail through its bottleneck. The
# U-Net's failure is subtler and the most dangerous one for science: it makes images that look like its
# training set, so on a galaxy unlike the simulated ones it may invent plausible structure (arms, clumps) that
# is not there, or erase real structure as "noise". Nothing in a restored image tells you which pixels were
# invented; the residuals against a truth do, and that is only available on simulations.
#
# ### The Hubble Deep Field
#
# A real image ships with scikit-image: the Hubble Deep Field (Williams et al. 1996), in
# three colours. Cut patches, degrade them exactly as the simulated galaxies, and restore them with the same
# tools. The networks never saw anything like it: real galaxies, of every size and shape, many in one patch.

# %%
hubble = skimage_data.hubble_deep_field()[..., ::-1].astype("float32") / 255  # blue to red, as g, r, z
hubble -= np.median(hubble, axis=(0, 1))  # the sky level, per colour
corners = ((40, 400), (300, 600), (500, 150), (700, 800))
patches = np.stack([hubble[r:r + RESTORE_SIZE, c:c + RESTORE_SIZE] for r, c in corners])
patches *= clean.max(axis=(1, 2, 3)).mean() / patches.max(axis=(1, 2, 3), keepdims=True).mean()  # like the galaxies
hubble_observed = degrade(patches, seed=runtime.seed + 4)
hubble_scale = hubble_observed.max(axis=(1, 2, 3), keepdims=True)
hubble_in, hubble_truth = hubble_observed / hubble_scale, patches / hubble_scale
hubble_restored = {"degraded": hubble_in, "Wiener": wiener_restore(hubble_in, best_balance),
                   "Richardson–Lucy": richardson_lucy_restore(hubble_in, best_iterations),
                   "U-Net": restorers["U-Net"].predict(hubble_in, batch_size=32, verbose=0)}
panels = [hubble_truth, *hubble_restored.values()]
with np.errstate(invalid="ignore"):  # the colour stretch divides 0 by 0 where a pixel is exactly 0 in every band
    grid = np.concatenate([to_rgb(np.stack([images[k] for images in panels])) for k in range(len(corners))])
titles = [title for k in range(len(corners)) for title in
          ["Hubble (truth)"] + [f"{name}: {scores(hubble_truth[k:k + 1], images[k:k + 1])[0]:.1f} dB"
                                for name, images in hubble_restored.items()]]
plotting.image_grid(grid, titles, ncols=len(panels), panel_size=2.3)
plt.show()
for name, images in hubble_restored.items():
    psnr, ssim = scores(hubble_truth, images)
    print(f"Hubble Deep Field, {name:16s} PSNR {psnr:5.2f} dB, SSIM {ssim:.3f}")
course_utils.record("hubble_psnr_gain_unet", scores(hubble_truth, hubble_restored["U-Net"])[0]
                    - scores(hubble_truth, hubble_in)[0], ".2f")

# %% [markdown]
# Compare the gains here with those on the simulated galaxies. The classical methods know only the PSF and do
# about as well on any image; the U-Net knows what simulated galaxies look like, which is its strength on
# them and its risk on real data: trained on one simulator, a restoration network must be tested on data like
# the data it will meet, or trained on them (Schawinski et al. 2017 trained their GAN on real SDSS galaxies
# degraded on purpose, as we did here).

# %% [markdown]
# # Part 3 — A galaxy out: a variational autoencoder
#
# ## 11. Galaxies, and what a VAE is
#
# An **autoencoder** squeezes an image through a narrow *latent* code and rebuilds it: the encoder maps the
# image to a few numbers, the decoder maps them back. A **variational** autoencoder (Kingma & Welling 2014)
# makes the code a probability distribution: the encoder gives a mean $\mu$ and a log-variance $\log\sigma^2$ for
# each latent dimension, a code $z = \mu + \sigma\,\varepsilon$ is drawn ($\varepsilon \sim \mathcal N(0, 1)$,
# the *reparameterisation* that lets gradients flow through the draw), and the decoder rebuilds the image from z.
# Its loss has two terms:
# - the **reconstruction** error: the negative log-likelihood of the image's pixels if they were the decoded
#   image plus Gaussian noise of σ = `PIXEL_SIGMA`, i.e. the summed squared error divided by 2σ²: rebuild the image;
# - the **Kullback–Leibler divergence** of $\mathcal N(\mu, \sigma^2)$ from $\mathcal N(0, 1)$: keep the codes of
#   all images inside one round cloud, so that any point of the latent space decodes to a plausible image and
#   new galaxies can be *sampled*.
#
# We train it on the simulated smooth galaxies of lab 03 (round, in-between and cigar-shaped, 32×32 pixels) and
# keep mergers and disturbed galaxies apart, to find them later as anomalies.

# %%
SMOOTH, ODD = (2, 3, 4), (0, 1)  # Galaxy10 DECaLS classes: smooth; disturbed and merging
smooth_images, smooth_labels = simulate_galaxy10(SIZES["n_vae"], size=32, seed=runtime.seed, classes=SMOOTH)
x_vae = smooth_images.astype("float32") / 255
n_vae_test = max(len(x_vae) // 5, 64)
x_vae_train, x_vae_test, labels_vae_test = x_vae[n_vae_test:], x_vae[:n_vae_test], smooth_labels[:n_vae_test]
odd_images, odd_labels = simulate_galaxy10(n_vae_test, size=32, seed=runtime.seed + 1, classes=ODD)
x_odd = odd_images.astype("float32") / 255
print(f"VAE: {len(x_vae_train)} smooth galaxies to train on, {n_vae_test} smooth and {len(x_odd)} odd ones to test")

# %% [markdown]
# ### The KL term (2 points)
#
# **Exercise 5.** Write `kl_divergence(z_mean, z_log_var)` with `keras.ops`: both have shape
# `(batch, latent_dim)`; return, for each image, the KL divergence of $\mathcal N(\mu, \sigma^2)$ from
# $\mathcal N(0, 1)$ summed over the latent dimensions, shape `(batch,)`:
#
# $$D_\mathrm{KL} = -\tfrac12 \sum_j \left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right).$$

# %%
def kl_divergence(z_mean, z_log_var):
    """KL(N(z_mean, exp(z_log_var)) || N(0, 1)) per sample, summed over the latent axis: shape (batch,)."""
    # BEGIN SOLUTION
    return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
    # END SOLUTION


# %%
check("lab06", "kl_divergence", kl_divergence)

# %% [markdown]
# **One formulation for every backend.** keras-io's VAE example writes a custom `train_step`, which differs
# between TensorFlow (a `GradientTape`), JAX (a pure function of the weights) and PyTorch. The layer below needs
# none: it draws z and *adds the KL term to the model's loss* with `self.add_loss`, which Keras 3 collects on
# every backend; `compile` gets the reconstruction loss as an ordinary loss. The same notebook trains on
# TensorFlow and on JAX (the course's tests run both).
#
# **Where the decoder starts.** A sigmoid output with a bias of 0 draws every pixel at 0.5, a grey square,
# while these images are mostly dark sky (their mean pixel is about 0.07). Started that way, the first steps
# do nothing but darken the whole image, and they overshoot: the output is pushed deep into the sigmoid's flat
# end, where for a few epochs the decoder draws the same black square whatever the code (the training loss
# sits at the images' summed squared pixels over 2σ², about 33 000) and the gradients that would teach it to
# use z are tiny. A decoder that ignores z gives the encoder no reason to put anything in it, and the KL term
# meanwhile pulls every code to N(0, 1): the KL divergence falls towards 0 and stays there, the latent plane
# is noise and every reconstruction is the average galaxy. This is *posterior collapse*, here caused by a bad
# start. The cure is one argument: initialise the output layer's bias at the logit of the mean pixel,
# log(p / (1 − p)), so that the decoder starts at the mean sky and its first steps already learn the galaxies
# (the same advice as for any network's last layer: start it at the targets' mean). The KL divergence then
# stays at tens of nats (15 to 35 in our runs), the information the two numbers carry.

# %%
class SampleWithKL(layers.Layer):
    """[z_mean, z_log_var] -> z = z_mean + σ ε, adding the batch-mean KL divergence to the model's loss."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed = keras.random.SeedGenerator(runtime.seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        self.add_loss(ops.mean(kl_divergence(z_mean, z_log_var)))
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


PIXEL_SIGMA = 0.02  # the pixel noise the reconstruction term assumes, in the images' units (0 to 1)


def reconstruction_loss(images, reconstructions):
    """Summed squared error over the pixels and bands of each image over 2 PIXEL_SIGMA²: shape (batch,)."""
    return ops.sum(ops.square(images - reconstructions), axis=(1, 2, 3)) / (2 * PIXEL_SIGMA**2)


LATENT = 2  # two dimensions, so that the latent space can be drawn
width = SIZES["width"]
encoder_input = keras.Input((32, 32, 3))
h = layers.Conv2D(2 * width, 3, strides=2, padding="same", activation="relu")(encoder_input)
h = layers.Conv2D(4 * width, 3, strides=2, padding="same", activation="relu")(h)
h = layers.Dense(64, activation="relu")(layers.Flatten()(h))
encoder = keras.Model(encoder_input, [layers.Dense(LATENT, name="z_mean")(h),
                                      layers.Dense(LATENT, name="z_log_var")(h)], name="encoder")
decoder_input = keras.Input((LATENT,))
h = layers.Reshape((8, 8, 4 * width))(layers.Dense(8 * 8 * 4 * width, activation="relu")(decoder_input))
h = layers.Conv2DTranspose(4 * width, 3, strides=2, padding="same", activation="relu")(h)
h = layers.Conv2DTranspose(2 * width, 3, strides=2, padding="same", activation="relu")(h)
mean_pixel = float(x_vae_train.mean())  # the sigmoid's output is mean_pixel where its input is the logit below
dark_start = keras.initializers.Constant(np.log(mean_pixel / (1 - mean_pixel)))
decoder_output = layers.Conv2D(3, 3, padding="same", activation="sigmoid", bias_initializer=dark_start)(h)
decoder = keras.Model(decoder_input, decoder_output, name="decoder")
vae_input = keras.Input((32, 32, 3))
vae = keras.Model(vae_input, decoder(SampleWithKL()(encoder(vae_input))), name="vae")


# %% [markdown]
# In the cpu profile a throw-away copy of the VAE measures the speed first, and the lab keeps the galaxies and
# epochs that fit 20 % of its time. With the cpu profile's largest sizes, 2,400 training galaxies and 12 epochs,
# the VAE's KL divergence was 34 nats per galaxy and its anomaly AUROC (below) 0.76 (the course's results table).

# %%
vae_plan = None
if budget.applies(runtime, SIZES, "n_vae", "vae_epochs"):
    probe = keras.models.clone_model(vae)  # the same layers with new weights, measured and thrown away
    probe.compile(optimizer=keras.optimizers.Adam(1e-3), loss=reconstruction_loss)
    vae_plan = budget.plan(probe, x_vae_train, x_vae_train, batch_size=SIZES["batch"], min_images=640,
                           budget_seconds=budget.budget_seconds("lab06", 0.2), max_epochs=SIZES["vae_epochs"],
                           min_epochs=4, what="VAE")
    x_vae_train, SIZES["vae_epochs"] = x_vae_train[:vae_plan.images], vae_plan.epochs
keras.utils.set_random_seed(runtime.seed)
vae.compile(optimizer=keras.optimizers.Adam(1e-3), loss=reconstruction_loss)
with budget.timed(vae_plan, "VAE"):
    vae_history = vae.fit(x_vae_train, x_vae_train, validation_data=(x_vae_test, x_vae_test),
                          epochs=SIZES["vae_epochs"], batch_size=SIZES["batch"], verbose=2)
draw_model(vae, title="the VAE: encoder, sampling layer (adds the KL term), decoder")
plt.show()

# %% [markdown]
# ### The two terms, and what each does
#
# Keras reports their sum. Split them on the test galaxies: the reconstruction term is what the decoder
# fails to rebuild from the codes' means, the KL divergence how far the codes stray from the round cloud.
# `PIXEL_SIGMA` sets the balance. Assume a large pixel noise, and rebuilding detail earns little while every
# nat of information in the code costs its KL: the encoder then gives up, every code is N(0, 1), the KL is 0 and
# the decoder draws the average galaxy (posterior collapse again, this time by design; try σ = 0.5). A small σ weighs reconstruction more,
# like weighting the KL term less in a β-VAE: sharper images, and a latent space with holes where samples
# decode to nonsense.

# %%
def run(model, inputs):
    """A model's output(s) as NumPy for a few hundred inputs, in one call (no tracing per batch size)."""
    outputs = model(inputs, training=False)
    if isinstance(outputs, (list, tuple)):
        return [keras.ops.convert_to_numpy(output) for output in outputs]
    return keras.ops.convert_to_numpy(outputs)


def encode_decode(images):
    """(codes' means, log-variances, reconstructions from the means) of images (n, 32, 32, 3)."""
    z_mean, z_log_var = run(encoder, images)
    return z_mean, z_log_var, run(decoder, z_mean)


z_mean_test, z_log_var_test, rebuilt_test = encode_decode(x_vae_test)
reconstruction = float(np.mean(keras.ops.convert_to_numpy(reconstruction_loss(x_vae_test, rebuilt_test))))
kl = float(np.mean(keras.ops.convert_to_numpy(kl_divergence(z_mean_test, z_log_var_test))))
print(f"per test galaxy: reconstruction term {reconstruction:.1f}, KL divergence {kl:.2f} nats")
course_utils.record("vae_reconstruction", reconstruction, ".2f")
course_utils.record("vae_kl", kl, ".2f")
plotting.image_grid(np.concatenate([x_vae_test[:8], rebuilt_test[:8]]), ncols=8, panel_size=1.3)
plt.suptitle("test galaxies (top) and their VAE reconstructions (bottom)", y=1.02)
plt.show()

# %% [markdown]
# ### The latent space: coloured by class, walked, sampled
#
# Each test galaxy's code mean is a point in the plane. Although the VAE never saw a label, the classes
# arrange themselves in it: what the VAE found worth encoding in two numbers is the galaxy's size and
# elongation, which is what tells these classes apart. Walking a straight line, or a grid, through the
# plane and decoding each point shows what each direction means; decoding random draws from $\mathcal N(0, 1)$
# makes galaxies that were never simulated. Look at the axes, though: with σ = 0.02 the KL term is cheap next
# to the reconstruction term, so nothing forces the cloud of codes to sit on N(0, 1). So the grid spans the
# codes themselves, from the 2nd to the 98th percentile of the test galaxies' codes along each axis (the box
# drawn on the left panel). The random draws from N(0, 1) do not know where the cloud is: where it lies
# off-centre they land at its edge and decode to faint, small galaxies, the holes of the previous section
# (weighting the KL term by β = 4, below, pulls the cloud in).

# %%
z_odd, _, rebuilt_odd = encode_decode(x_odd)
fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
for label in SMOOTH:
    chosen = labels_vae_test == label
    axes[0].scatter(*z_mean_test[chosen].T, s=8, alpha=0.6, label=GALAXY10_DECALS_CLASSES[label])
axes[0].scatter(*z_odd.T, s=8, marker="x", color="k", alpha=0.5, label="disturbed and merging (never trained on)")
(low1, low2), (high1, high2) = np.percentile(z_mean_test, [2, 98], axis=0)
axes[0].add_patch(plt.Rectangle((low1, low2), high1 - low1, high2 - low2, fill=False, ls="--", color="k"))
axes[0].set(xlabel="z₁", ylabel="z₂", title="test galaxies in the 2-D latent space")
axes[0].legend(fontsize=8)
grid1, grid2 = np.linspace(low1, high1, 7), np.linspace(low2, high2, 7)
walk = np.array([[z1, z2] for z2 in grid2[::-1] for z1 in grid1], dtype="float32")  # top row: the largest z₂
tiles = run(decoder, walk).reshape(7, 7, 32, 32, 3)
half1, half2 = (high1 - low1) / 12, (high2 - low2) / 12  # half a tile: each tile centred on its grid point
axes[1].imshow(tiles.transpose(0, 2, 1, 3, 4).reshape(7 * 32, 7 * 32, 3),
               extent=(low1 - half1, high1 + half1, low2 - half2, high2 + half2), aspect="auto")
axes[1].set(xlabel="z₁", ylabel="z₂", title="decoded on a grid over the codes' 2nd–98th percentiles")
fig.tight_layout()
plt.show()

samples = run(decoder, keras.random.normal((16, LATENT), seed=runtime.seed))
plotting.image_grid(samples, ncols=8, panel_size=1.3)
plt.suptitle("new galaxies: decoded random draws z ~ N(0, 1)", y=1.02)
plt.show()

# %% [markdown]
# ### Anomalies: the galaxies it cannot rebuild
#
# The VAE learned smooth galaxies only. A merger or a disturbed galaxy, with its tails and clumps, has no good
# code: its reconstruction error should be large. Ranking galaxies by that error is an anomaly detector trained
# without a single labelled anomaly, a way to search a survey for what nobody thought of looking for. With a
# code of two numbers, though, the VAE rebuilds *every* galaxy only roughly (a smooth blob of the right size,
# shape and colour), so the odd ones stand out less than one would hope: read the AUROC below with that in
# mind, and see "What to try next" for a wider code.

# %%
error_smooth = np.sum((x_vae_test - rebuilt_test) ** 2, axis=(1, 2, 3))
error_odd = np.sum((x_odd - rebuilt_odd) ** 2, axis=(1, 2, 3))
anomaly_auroc = course_utils.record("anomaly_auroc", roc_auc_score(
    np.r_[np.zeros(len(error_smooth)), np.ones(len(error_odd))], np.r_[error_smooth, error_odd]))
fig, ax = plt.subplots(figsize=(7, 3.8))
bins = np.histogram_bin_edges(np.r_[error_smooth, error_odd], 30)
ax.hist(error_smooth, bins, alpha=0.6, label="smooth (like the training set)")
ax.hist(error_odd, bins, alpha=0.6, label="disturbed and merging")
ax.set(xlabel="reconstruction error (summed squared error)", ylabel="test galaxies",
       title=f"anomaly score: AUROC {anomaly_auroc:.2f}")
ax.legend()
plt.show()
most_odd = np.argsort(error_odd)[::-1][:8]
plotting.image_grid(np.concatenate([x_odd[most_odd], rebuilt_odd[most_odd]]), ncols=8, panel_size=1.3)
plt.suptitle("the odd galaxies it rebuilds worst (top) and what it made of them (bottom)", y=1.02)
plt.show()

# %% [markdown]
# ### What to try next: a GAN
#
# A generative adversarial network (Goodfellow et al. 2014), the lectures' other generative model, trains a
# generator against a discriminator that tells its images from real ones. Its samples are much sharper than a
# VAE's, which average over what the code does not pin down, and Schawinski et al. (2017) used one to restore
# galaxy images. To be honest about them: GANs are hard to train. The two networks chase each other instead
# of settling (no loss goes steadily down to tell you it works); the generator may find a few images that fool
# the discriminator and make only those (mode collapse); results depend on architecture and learning-rate
# choices found by trial; and, for science, a GAN's sharp detail may be invented, as its own loss rewards
# looking real, not being right. Try keras-io's DCGAN example on the smooth galaxies above: a custom
# `train_step` alternating the two updates, a few hours on a GPU.

# %% [markdown]
# ## Your score
#
# The same checks the instructor's grader runs, over all exercises at once:

# %%
# NBVAL_CHECK_OUTPUT
from course_utils.checks import evaluate, questions

earned = sum(q.points for q in questions("lab06") if evaluate(q, globals().get(q.target))[0])
print(f"Lab 06 self-checks: {earned:g} / {sum(q.points for q in questions('lab06')):g} points")

# %% [markdown]
# ## What to try next
# - Predict the ellipticity (e1, e2) of the lens's mass as well (the catalog's `lens_e1`, `lens_e2`), as
#   Hezaveh et al. (2017) did: three outputs, or three means and three variances.
# - Test the θE network on lenses seen through worse seeing (`simulate_lenses(..., seeing=(1.0, 1.4))`):
#   does its bias grow, and do its error bars grow with it, or stay overconfident?
# - Rescale the NLL network's σ by one factor fitted on the validation set so that 68 % of its lenses fall in
#   the 68 % interval, and look at the calibration curve of the test set again.
# - Build the VAE's decoder with the default output bias of 0 and watch the loss and the KL divergence epoch by
#   epoch: the black-square plateau, then the collapse.
# - Train the VAE with the KL term weighted by β = 4 and by β = 0.25 and compare the latent plots and samples.
# - Give the VAE 16 latent dimensions: reconstructions and the anomaly AUROC improve, but the latent plane
#   can no longer be drawn directly.
