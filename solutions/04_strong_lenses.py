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
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/astro-dl-course/deep-learning-astronomy/blob/main/solutions/04_strong_lenses.ipynb)
#
# # Lab 04 — Finding strong gravitational lenses
#
# A massive galaxy bends the light of a galaxy far behind it into arcs, a ring or several images
# around itself: a *strong gravitational lens*. Surveys such as KiDS, CFHTLS, DES, LSST and Euclid image
# hundreds of millions of galaxies; about one massive galaxy in a thousand is a lens, so the lenses are found
# by convolutional networks, trained on simulations because too few real lenses are known (Petrillo et
# al. 2017 in KiDS; Jacobs et al. 2017 in CFHTLS; CMU DeepLens, Lanusse et al. 2018, trained on 20,000
# LSST-like mocks; the strong-lens finding challenge, Metcalf et al. 2019). This lab builds such a lens
# finder and, above all, measures it honestly.
#
# **What you will learn**
# - to read survey cut-outs from FITS files with astropy and show multi-band stamps in colour;
# - to normalise astronomical images robustly, per image and per band;
# - to write a residual block and stack it into a ResNet in the style of CMU DeepLens, and to compare it
#   with a small CNN;
# - to evaluate a finder of rare objects: the ROC curve and its area (AUROC), the lens-finding
#   challenge's TPR0 and TPR10, and completeness at a fixed false-positive rate as a function of
#   Einstein radius and signal-to-noise ratio (the DeepLens figure);
# - to look at what the network gets wrong, and why the simulated population decides what the numbers mean.
# - to train on stamps straight from the simulator, sized to a time budget, and (full profile) on new
#   stamps every epoch with early stopping on the validation AUROC.
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
# and learns nothing. **cpu** fits a time budget of about 6 minutes of simulating and training: the lab measures
# how fast this machine trains each network, then trains on as many stamps and epochs as fit (the values
# below are the most it may use), and prints what it chose and, after each training, how long it took
# against the plan. **full** is the real result, on a Colab GPU: 40,000 new training stamps every epoch,
# twice the 20,000 of CMU DeepLens, simulated while the GPU trains, until the validation AUROC stops rising.
# `n_fits` stamps are written to FITS files to practise reading them.

# %%
import math
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from astropy.io import fits
from keras import layers
from scipy.special import expit
from sklearn.metrics import roc_auc_score, roc_curve

from course_utils import budget, metrics, plotting
from course_utils.checks import check
from course_utils.data import lens_data_path, match_stamps
from course_utils.data.challenge_io import write_challenge_folder
from course_utils.diagrams import draw_model
from course_utils.loaders import load_lenses
from course_utils.plotting import rgb_composite
from course_utils.sims import simulate_lenses
from course_utils.sims.lenses import NON_LENS_KINDS
from course_utils.streams import LensStream, early_stopping_on_auroc

SIZES = runtime.pick(
    smoke=dict(n_fits=256, n_train=400, n_test=400, batch=64, epochs=1, width=8, blocks=1, fresh=False),
    cpu=dict(n_fits=512, n_train=20_000, n_test=4_000, batch=64, epochs=8, width=16, blocks=1, fresh=False),
    full=dict(n_fits=512, n_train=40_000, n_val=4_000, n_test=20_000, batch=128, epochs=30, width=32, blocks=2,
              fresh=True),
)
print(SIZES)

# %% [markdown]
# ## 1. A simulated survey of lens candidates
#
# [`course_utils.sims.simulate_lenses`](https://github.com/astro-dl-course/deep-learning-astronomy/blob/main/course_utils/sims/lenses.py) draws galaxy-scale lenses (a singular isothermal ellipsoid in an
# external shear, with a red elliptical galaxy as its light, bending a blue background galaxy) and
# **non-lenses**: the same red galaxies alone, or with blue light that is *not* lensed but looks as if it
# were: a blue star-forming core, an unrelated neighbour (as close as 0.3″), a ring, arcs or spiral arms.
# Each stamp is 64×64 pixels of 0.2″ in the g, r and i bands, blurred by ground-based seeing and noisy.
# Half of the stamps are lenses; in a real survey about one massive galaxy in a thousand is, which is why the false
# positives matter so much below.
#
# The lens-finding challenge distributed its stamps as one FITS file per object and band plus a CSV
# catalog. We simulate a sample of a few hundred stamps and write them the same way, into a temporary
# folder, so that reading them is exactly what you would do with the challenge's data or with survey
# cut-outs. (The training set, tens of thousands of stamps, will come straight from the simulator: see
# how long the files take below.)

# %%
start = time.perf_counter()
images, catalog = simulate_lenses(SIZES["n_fits"], seed=runtime.seed + 2)
simulate_seconds = time.perf_counter() - start
folder = Path(tempfile.mkdtemp(prefix="lab04-lenses-"))  # a new, empty folder for every run
start = time.perf_counter()
write_challenge_folder(images, catalog, folder, progress=True)
write_seconds = time.perf_counter() - start
print(sorted(p.name for p in folder.iterdir()))
print(sorted(p.name for p in (folder / "Band1").iterdir())[:3], "...")

# %% [markdown]
# ### The population: what makes the numbers mean something
#
# A lens finder is only as good as the hardest cases it was tested on. This population has them on
# purpose: Einstein radii $\theta_E$ from 0.5″ to 3″ while the seeing (full width at half maximum) is
# 0.6″–1″, so the smallest lenses are blurred into their lens galaxy; lensed images with a signal-to-noise
# ratio (S/N, summed over pixels and bands) from 5, invisible, to 200; and non-lenses made to look like lenses.
# The histograms show the sample's few hundred stamps; the training and test sets are drawn the same way.

# %%
is_lens = np.asarray(catalog["is_lens"]) == 1
fig, axes = plt.subplots(1, 4, figsize=(16, 3.2))
axes[0].hist(catalog["theta_E"][is_lens], bins=20, color="C0")
axes[0].set(xlabel="Einstein radius θ_E (arcsec)", ylabel="lenses")
axes[1].hist(catalog["snr"][is_lens], bins=np.geomspace(5, 200, 21), color="C0")
axes[1].set(xscale="log", xlabel="S/N of the lensed images", ylabel="lenses")
axes[2].hist(catalog["seeing_fwhm"], bins=20, color="C2")
axes[2].set(xlabel="seeing FWHM (arcsec)", ylabel="stamps")
kinds = Counter(str(k) for k in catalog["kind"][~is_lens])
axes[3].barh(list(kinds), list(kinds.values()), color="C1")
axes[3].set(xlabel="non-lenses", title="kinds of non-lenses")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. Reading FITS cut-outs (2 points)
#
# A FITS file holds a header (keyword = value cards: the band, the pixel scale, the sky level that was
# subtracted) and the pixel data. With astropy, `fits.getheader(path)` and `fits.getdata(path)` read them;
# `fits.open(path)` gives all the parts (HDUs) of a file.

# %%
first_band = sorted((folder / "Band1").iterdir())[0]
print(repr(fits.getheader(first_band)))
print("data:", fits.getdata(first_band).shape, fits.getdata(first_band).dtype)

# %% [markdown]
# The data come as `>f4`: 32-bit floats, **big-endian**, the byte order FITS prescribes. NumPy reads it,
# but Keras and many other libraries want the machine's native order, so convert.
#
# **Exercise 1.** Write `read_stamp(paths)`: `paths` lists one object's FITS files, one per band, from blue
# to red. Return the stamp as an array of shape `(rows, columns, bands)` (channels last, Keras' layout) and
# dtype native `float32`, with the pixel values as stored.

# %%
def read_stamp(paths):
    """One object's FITS files (one per band, blue to red) -> float32 array (rows, columns, n_bands)."""
    # BEGIN SOLUTION
    return np.stack([fits.getdata(path) for path in paths], axis=-1).astype(np.float32)
    # END SOLUTION


# %%
check("lab04", "read_stamp", read_stamp)

# %% [markdown]
# Reading thousands of files one by one in a notebook cell is slow, so the course's loader does the same
# for the whole folder, with a progress bar; the very same call reads the challenge's own data if you have
# it (`load_lenses("path/to/the/challenge/folder")`). Your reader, the loader and the simulator agree:

# %%
start = time.perf_counter()
lenses = load_lenses(folder)
read_seconds = time.perf_counter() - start
print(lenses.source, "| bands", lenses.bands, "| images", lenses.images.shape, lenses.images.dtype)
print("the loader's stamps equal the simulated ones, bit for bit:", np.array_equal(lenses.images, images))
catalog = lenses.catalog
try:
    for row in range(3):
        paths = sorted(folder.glob(f"Band*/image*-{catalog['ID'][row]}.fits"))
        print(f"ID {catalog['ID'][row]}: read_stamp equals the loader's stamp:",
              np.array_equal(read_stamp(paths), lenses.images[row]))
finally:  # even if read_stamp failed: the stamps are in memory now, free the disk
    shutil.rmtree(folder)
del images

# %% [markdown]
# Files cost time. Every stamp is three small files, each with its header to write and parse, while the
# simulator makes stamps in memory faster than they can be written:

# %%
file_ms = 1000 * (write_seconds + read_seconds) / SIZES["n_fits"]
print(f"{SIZES['n_fits']} stamps: simulated in {simulate_seconds:.1f} s, written to FITS in {write_seconds:.1f} s, "
      f"read back in {read_seconds:.1f} s ({file_ms:.1f} ms per stamp for the files)")
print(f"for {SIZES['n_train']:,} training stamps the round trip through files would take "
      f"{file_ms * SIZES['n_train'] / 1000 / 60:.1f} minutes: the training set comes straight from the simulator")

# %% [markdown]
# ### Lenses and non-lenses in colour
#
# Three bands make a colour image: i as red, r as green, g as blue, each band divided by its noise and
# stretched with an arcsinh (Lupton et al. 2004, astropy's `make_lupton_rgb`). The lens galaxies are red
# (old stars), the lensed sources blue (young stars, far away). Top rows: lenses from low to high S/N.
# Bottom rows: non-lenses of each kind. Try to tell which blue features are lensed before reading the titles.

# %%
def colour_stamps(stamps):
    """(n, H, W, 3) stamps in g, r, i -> (n, H, W, 3) uint8 colour images."""
    return rgb_composite(stamps[..., :3])


kind = np.asarray(catalog["kind"])
snr, theta_E = np.asarray(catalog["snr"]), np.asarray(catalog["theta_E"])
rng = np.random.default_rng(runtime.seed)
shown = [rng.choice(np.flatnonzero((kind == "lens") & (snr >= low) & (snr < high)), 6, replace=False)
         for low, high in ((5, 15), (15, 40), (40, 200))]
shown += [rng.choice(np.flatnonzero(kind == k), 2, replace=False) for k in NON_LENS_KINDS]
shown = np.concatenate(shown)
titles = [f"lens θE={theta_E[i]:.1f}″\nS/N={snr[i]:.0f}" if kind[i] == "lens"
          else f"{kind[i]}\nnot a lens" for i in shown]
plotting.image_grid(colour_stamps(lenses.images[shown]), titles, ncols=6, panel_size=1.9)
plt.show()

# %% [markdown]
# ## 3. Preparing the input (2 points)
#
# The raw stamps are counts with the sky subtracted: the sky noise differs from band to band, a bright
# lens galaxy peaks thousands of times above the noise while the arcs we look for are barely above it,
# and a single cosmic ray can be brighter than everything else. A network learns best from inputs of
# order 1, so normalise each stamp.
#
# **Exercise 2.** Write `normalise_stamps(images)` for a batch `(n, rows, columns, bands)`:
# - **per image and per band**: each band of each stamp gets its own statistics (over `axis=(1, 2)`,
#   with `keepdims=True` so they broadcast), because sky level and noise differ between bands and stamps;
# - **robust**: subtract the median (the sky level) and divide by the noise estimated from the median
#   absolute deviation, $\sigma \approx 1.4826\,\mathrm{median}(|x - \mathrm{median}(x)|)$; mean and
#   standard deviation would be thrown off by one cosmic ray;
# - **compress the bright end**: $\operatorname{arcsinh}(x/3)$ of the result is linear within ±3σ, where
#   faint arcs live, and logarithmic above, so bright cores and cosmic rays do not dominate (clipping
#   at percentiles also works);
# - guard against a blank band (all pixels equal, so $\sigma = 0$): divide by `np.maximum(sigma, tiny)`;
# - return float32, the same shape.

# %%
def normalise_stamps(images):
    """Robust per-image, per-band normalisation: (n, H, W, bands) counts -> float32 of the same shape."""
    # BEGIN SOLUTION
    images = np.asarray(images, dtype=np.float32)
    sky = np.median(images, axis=(1, 2), keepdims=True)
    sigma = 1.4826 * np.median(np.abs(images - sky), axis=(1, 2), keepdims=True)
    sigma = np.maximum(sigma, np.finfo(np.float32).tiny)
    return np.arcsinh((images - sky) / sigma / 3).astype(np.float32)
    # END SOLUTION


# %%
check("lab04", "normalise_stamps", normalise_stamps)

# %% [markdown]
# The test set is simulated separately, with another seed, and never used for training or for choosing
# anything: it plays the part of the challenge's secret test set. The training set follows in section 4,
# once the lab knows how many stamps it can afford.

# %%
def normalise_in_chunks(images, size=5_000):
    """normalise_stamps on `size` stamps at a time: the same result with a fraction of the memory."""
    return np.concatenate([normalise_stamps(images[start:start + size]) for start in range(0, len(images), size)])


x_sample, y_sample = normalise_stamps(lenses.images), np.asarray(catalog["is_lens"], dtype="float32")
test_images, test_catalog = simulate_lenses(SIZES["n_test"], seed=runtime.seed + 1)
x_test = normalise_in_chunks(test_images)
y_test = np.asarray(test_catalog["is_lens"])
test_theta_E, test_snr, test_kind = (np.asarray(test_catalog[c]) for c in ("theta_E", "snr", "kind"))
print(f"test {x_test.shape}, {y_test.mean():.0%} lenses")

example = int(shown[12])  # the first lens of high S/N in the grid above
fig, axes = plt.subplots(1, 4, figsize=(13, 3.2))
axes[0].hist(lenses.images[example, ..., 0].ravel(), bins=60, log=True)
axes[0].set(title="raw g band: counts", xlabel="counts", ylabel="pixels")
for ax, band in zip(axes[1:], range(3)):
    panel = ax.imshow(x_sample[example, ..., band], origin="lower", cmap="magma")
    ax.set(title=f"normalised {lenses.bands[band]} band", xticks=[], yticks=[])
    fig.colorbar(panel, ax=ax, shrink=0.8)
plt.show()

# %% [markdown]
# ## 4. A small CNN: the baseline
#
# Three convolution + max-pooling stages and a small classifier: the plain CNN of the lectures. One
# output, the *logit* (the log-odds that the stamp is a lens); the loss applies the sigmoid itself
# (`from_logits=True`), which is more accurate numerically. A lens stays a lens when flipped, so
# `RandomFlip("horizontal_and_vertical")` shows each stamp flipped left–right, top–bottom, both or not at
# all, at random at every epoch (only while training): this augmentation is free extra data. That is 4 of
# the 8 orientations of a square that lab 03 used; the other 4 need a 90° rotation as well (`np.rot90`),
# which `RandomFlip` never makes.

# %%
def small_cnn(input_shape):
    """Three conv + pool stages, global average pooling, one logit."""
    return keras.Sequential([
        keras.Input(input_shape),
        layers.RandomFlip("horizontal_and_vertical"),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.GlobalAveragePooling2D(),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ], name="small_cnn")


def compiled(model, epochs):
    """The model, compiled: Adam with a learning rate decaying (cosine) over `epochs` epochs, binary
    cross-entropy on logits, and the AUROC as a metric."""
    steps_per_epoch = (SIZES["n_train"] // SIZES["batch"] if SIZES["fresh"]
                       else math.ceil(0.9 * SIZES["n_train"] / SIZES["batch"]))  # a tenth held out for validation
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, epochs * steps_per_epoch)),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.AUC(from_logits=True, name="auroc")])
    return model


def train(model, epochs):
    """Compile and fit the model for at most `epochs` epochs; returns the History."""
    compiled(model, epochs)
    if not SIZES["fresh"]:  # one training set in memory; a tenth of it held out for validation
        return model.fit(x_train, y_train, batch_size=SIZES["batch"], epochs=epochs, validation_split=0.1,
                         verbose=2)
    stream = LensStream(SIZES["n_train"] // SIZES["batch"], SIZES["batch"], seed=runtime.seed,
                        transform=normalise_stamps)  # two threads simulate the next batches meanwhile
    return model.fit(stream, epochs=epochs, steps_per_epoch=stream.batches_per_epoch, shuffle=False, verbose=2,
                     callbacks=early_stopping_on_auroc(x_val, y_val, patience=4))


def scores_of(model):
    """The model's logits for the test stamps, shape (n_test,)."""
    return model.predict(x_test, batch_size=256, verbose=0)[:, 0]


# %% [markdown]
# ### How many stamps, how many epochs: a time budget
#
# The simulator makes as many stamps as we like, so the limit is time. In the cpu profile the lab trains a
# throw-away small CNN for a few seconds on the sample of section 1, measures how many stamps per second
# this machine trains, and picks the number of training stamps and of epochs that fit the small CNN's share
# of the budget (more distinct stamps first: new stamps teach more than repeated ones). A laptop without
# AVX-512 trains convolutions about five times slower than one with it, so the sizes differ from machine to
# machine; `COURSE_SIZES="n_train=20000,epochs=8"` fixes them. With the cpu profile's largest sizes,
# 20,000 stamps and 8 epochs, the ResNet below reached a test AUROC of 0.91 (the course's results table).
#
# Then the training set is simulated in one call, straight into memory, and normalised. In the full
# profile there is no fixed training set: `LensStream` (in `course_utils.streams`) is a
# `keras.utils.PyDataset` that simulates the next batches of stamps in two background threads while the
# network trains (on Colab the GPU trains while the CPU simulates), so every epoch sees new lenses, and
# `early_stopping_on_auroc` stops the training when the AUROC on a fixed validation set has not risen for
# 4 epochs (and keeps the best weights).

# %%
cnn_epochs = resnet_epochs = SIZES["epochs"]
cnn_plan = resnet_plan = None
if budget.applies(runtime, SIZES, "n_train", "epochs"):
    rate = budget.training_rate(compiled(small_cnn(x_test.shape[1:]), cnn_epochs), x_sample, y_sample,
                                batch_size=SIZES["batch"])
    cnn_plan = budget.choose(rate, budget_seconds=budget.budget_seconds("lab04", 0.4), max_images=SIZES["n_train"],
                             max_epochs=SIZES["epochs"], min_epochs=2, multiple=SIZES["batch"],
                             prepare_images_per_second=SIZES["n_fits"] / simulate_seconds)
    print("small CNN:", cnn_plan)
    SIZES["n_train"], cnn_epochs = cnn_plan.images, cnn_plan.epochs

if SIZES["fresh"]:
    val_images, val_catalog = simulate_lenses(SIZES["n_val"], seed=runtime.seed + 3)
    x_val, y_val = normalise_in_chunks(val_images), np.asarray(val_catalog["is_lens"])
    del val_images
    print(f"{SIZES['n_train']:,} new training stamps every epoch; validation {x_val.shape}")
else:
    train_images, train_catalog = simulate_lenses(SIZES["n_train"], seed=runtime.seed)
    x_train, y_train = normalise_in_chunks(train_images), np.asarray(train_catalog["is_lens"], dtype="float32")
    del train_images
    print(f"training {x_train.shape}, {y_train.mean():.0%} lenses")

# %%
keras.utils.set_random_seed(runtime.seed)
cnn = small_cnn(x_test.shape[1:])
with budget.timed(cnn_plan, "small CNN"):
    cnn_history = train(cnn, cnn_epochs)
cnn_scores = scores_of(cnn)
course_utils.record("cnn_auroc", roc_auc_score(y_test, cnn_scores))

# %% [markdown]
# ## 5. A ResNet in the style of CMU DeepLens (2 points)
#
# CMU DeepLens (Lanusse et al. 2018) is a residual network: a first convolution, then stages of residual
# blocks that halve the image and double the channels, global average pooling and one output. A residual
# block (lecture 04) adds its input back to what its convolutions compute, $y = \mathrm{ReLU}(x + F(x))$,
# so the convolutions only learn a correction and the gradient reaches the first layers undiminished.
#
# **Exercise 3.** Write `residual_block(x, filters, stride=1)` with the Keras functional API:
# - branch: `Conv2D(filters, 3, strides=stride, padding="same")` → `BatchNormalization` → ReLU →
#   `Conv2D(filters, 3, padding="same")` → `BatchNormalization`;
# - shortcut: `x` itself when the shapes already match; when the stride or the number of channels changes,
#   a 1×1 `Conv2D(filters, 1, strides=stride)` (and a `BatchNormalization`) of `x`, so the shapes match;
# - return ReLU of `layers.Add()([branch, shortcut])`.
#
# (The convolutions need no bias, `use_bias=False`: the batch normalisation after them has its own.)

# %%
def residual_block(x, filters, stride=1):
    """ResNet basic block on tensor x (batch, H, W, C) -> (batch, H/stride, W/stride, filters)."""
    # BEGIN SOLUTION
    branch = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    branch = layers.BatchNormalization()(branch)
    branch = layers.Activation("relu")(branch)
    branch = layers.Conv2D(filters, 3, padding="same", use_bias=False)(branch)
    branch = layers.BatchNormalization()(branch)
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.Activation("relu")(layers.Add()([branch, shortcut]))
    # END SOLUTION


# %%
check("lab04", "residual_block", residual_block)

# %% [markdown]
# The network: a 5×5 convolution with stride 2 first (pixels of 0.2″ are finer than the 0.6″–1″ seeing,
# so little is lost by halving the resolution, and everything after runs four times faster), then three
# stages of `blocks` residual blocks with `width`, 2 × `width` and 4 × `width` channels on 32×32, 16×16
# and 8×8 maps. DeepLens itself is deeper (its blocks have three convolutions each); the full profile is
# closer to it than the cpu one. The drawing shows one block per stage: the arcs are the shortcuts, and
# where a stage begins (stride 2, twice the channels) the shortcut passes through the 1×1 projection
# drawn beside the block's convolutions.

# %%
def deeplens_resnet(input_shape, width, blocks):
    """A small ResNet in the style of CMU DeepLens: stem, three stages of residual blocks, one logit."""
    inputs = keras.Input(input_shape)
    x = layers.RandomFlip("horizontal_and_vertical")(inputs)
    x = layers.Conv2D(width, 5, strides=2, padding="same", use_bias=False)(x)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    for stage, channels in enumerate((width, 2 * width, 4 * width)):
        for block in range(blocks):
            x = residual_block(x, channels, stride=2 if stage > 0 and block == 0 else 1)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(1)(x), name="deeplens_resnet")


draw_model(deeplens_resnet(x_test.shape[1:], SIZES["width"], blocks=1),
           title=f"deeplens_resnet drawn with one block per stage (this profile: {SIZES['blocks']} per stage)")
plt.show()

# %% [markdown]
# The ResNet costs more per stamp than the small CNN: in the cpu profile it measures its own speed and
# chooses its number of epochs on the same training set, to fit its share of the budget.

# %%
if budget.applies(runtime, SIZES, "n_train", "epochs"):
    resnet_shape = (x_test.shape[1:], SIZES["width"], SIZES["blocks"])
    rate = budget.training_rate(compiled(deeplens_resnet(*resnet_shape), resnet_epochs), x_sample, y_sample,
                                batch_size=SIZES["batch"])
    resnet_plan = budget.choose(rate, budget_seconds=budget.budget_seconds("lab04", 0.6), max_images=SIZES["n_train"],
                                min_images=SIZES["n_train"], max_epochs=SIZES["epochs"], multiple=SIZES["batch"])
    print("ResNet:", resnet_plan)
    resnet_epochs = resnet_plan.epochs

keras.utils.set_random_seed(runtime.seed)
resnet = deeplens_resnet(x_test.shape[1:], SIZES["width"], SIZES["blocks"])
print(f"{resnet.name}: {resnet.count_params():,} parameters; {cnn.name}: {cnn.count_params():,}")
with budget.timed(resnet_plan, "ResNet"):
    resnet_history = train(resnet, resnet_epochs)
plotting.training_curves(resnet_history)
plt.show()

# %% [markdown]
# Compare the two curves. While the validation AUROC climbs with the training one, the network learns
# what lenses look like; when it flattens while the training AUROC still climbs, the network has started
# to learn the training stamps themselves (over-fitting). A simulator can always make more stamps, and
# more stamps then help more than more epochs: the full profile's stream never shows a stamp twice, so the
# network cannot learn its training stamps by heart.

# %%
resnet_scores = scores_of(resnet)
auroc = course_utils.record("auroc", roc_auc_score(y_test, resnet_scores))

# %% [markdown]
# ## 6. How good is it? ROC, AUROC, TPR0 and TPR10 (2 points)
#
# Moving a threshold on the score trades found lenses (the **true-positive rate**, TPR, or completeness)
# against non-lenses taken for lenses (the **false-positive rate**, FPR). The ROC curve draws that trade;
# its area, AUROC, is the chance that a random lens scores above a random non-lens.
#
# AUROC weighs all thresholds alike, but a survey cares about the strictest: with a thousand non-lenses
# per lens, even 1 % false positives means ten times more false candidates than lenses. The lens-finding
# challenge therefore also ranked entries by **TPR0**, the fraction of lenses scored above *every*
# non-lens, and **TPR10**, the fraction found while at most ten non-lenses are let through.
#
# **Exercise 4.** Write `tpr_at_fp(y_true, scores, n_fp)`: `y_true` holds 1 for lenses and 0 for
# non-lenses, `scores` the model's scores (higher = more lens-like). The threshold is the (n_fp + 1)-th
# highest non-lens score: exactly n_fp non-lenses lie above it (fewer when scores tie). Return the
# fraction of lenses scored *strictly* above it: a lens tied with that non-lens cannot be selected without
# selecting the non-lens too. With n_fp or fewer non-lenses there is no threshold: every lens is found.
# Do not change the arrays you are given (`np.sort` returns a sorted copy).

# %%
def tpr_at_fp(y_true, scores, n_fp):
    """True-positive rate at the threshold letting through at most n_fp false positives."""
    # BEGIN SOLUTION
    y_true, scores = np.asarray(y_true), np.asarray(scores)
    negatives = np.sort(scores[y_true == 0])[::-1]
    if n_fp >= len(negatives):
        return 1.0
    return float(np.mean(scores[y_true == 1] > negatives[n_fp]))
    # END SOLUTION


# %%
check("lab04", "tpr_at_fp", tpr_at_fp)

# %%
tpr0 = course_utils.record("tpr0", tpr_at_fp(y_test, resnet_scores, 0))
tpr10 = course_utils.record("tpr10", tpr_at_fp(y_test, resnet_scores, 10))
n_negatives = int(np.sum(y_test == 0))
fpr_1pc = math.floor(0.01 * n_negatives)
fig, ax = plt.subplots(figsize=(6.5, 5.5))
points = {f"TPR{n}": metrics.threshold_at_fp(y_test, resnet_scores, n) for n in (0, 10)}
plotting.roc_curve_plot(y_test, resnet_scores, points, ax=ax, label="ResNet")
cnn_fpr, cnn_tpr, _ = roc_curve(y_test, cnn_scores)
ax.plot(cnn_fpr, cnn_tpr, label=f"small CNN (AUROC = {roc_auc_score(y_test, cnn_scores):.3f})")
ax.set_xscale("symlog", linthresh=1 / n_negatives)  # linear below one false positive, logarithmic above
ax.set(xlim=(0, 1.01), title="ROC curve (FPR on a log scale: the strict end matters)")
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %% [markdown]
# ### Our numbers next to the challenge's
#
# The lens-finding challenge's ground-based entries (multi-band images, like ours), as C. R. Bom's "Deep
# Learning Applications in Astronomy" (2018) lists them from Metcalf et al. (2019), sorted by TPR0:

# %%
# NBVAL_CHECK_OUTPUT
CHALLENGE_GROUND_BASED = [  # (entry, method, AUROC, TPR0, TPR10), Metcalf et al. (2019)
    ("Philippa Hartley2", "SVM / Gabor", 0.9310191, 0.2237273, 0.3453160),
    ("Philippa Hartley", "SVM / Gabor", 0.9293543, 0.2123763, 0.3316909),
    ("resnet_ground_7bf8089 (Lanusse)", "CNN", 0.9814321, 0.0899371, 0.4534297),
    ("LASTRO EPFL (11i)", "CNN", 0.9749255, 0.0749379, 0.1131977),
    ("CMU-DeepLens-Resnet-Voting", "CNN", 0.9804913, 0.0244513, 0.1027315),
    ("All-star", "edges/gradients + logistic regression", 0.8365358, 0.0071816, 0.0186124),
    ("Manchester-NA2", "human inspection", 0.8913778, 0.0002804, 0.0075298),
    ("YattaLensLite", "SExtractor", 0.8191702, 0.0002194, 0.0021146),
    ("CAST-GB", "CNN / SVM", 0.8347916, 0.0000201, 0.0003811),
    ("Ground (Bertin)", "CNN", 0.9557059, 0.0000000, 0.0071018),
]
print(f"{'entry':34s} {'method':38s} {'AUROC':>6s} {'TPR0':>6s} {'TPR10':>6s}")
for entry, method, area, t0, t10 in CHALLENGE_GROUND_BASED:
    print(f"{entry:34s} {method:38s} {area:6.3f} {t0:6.3f} {t10:6.3f}")

# %%
for name, scores in (("this lab: small CNN", cnn_scores), ("this lab: DeepLens-style ResNet", resnet_scores)):
    print(f"{name:34s} {'on ' + str(len(y_test)) + ' simulated test stamps':38s} {roc_auc_score(y_test, scores):6.3f} "
          f"{tpr_at_fp(y_test, scores, 0):6.3f} {tpr_at_fp(y_test, scores, 10):6.3f}")
print(f"TPR0 and TPR10 agree with course_utils.metrics: "
      f"{tpr0 == metrics.tpr_at_fp(y_test, resnet_scores, 0) and tpr10 == metrics.tpr_at_fp(y_test, resnet_scores, 10)}")

# %% [markdown]
# **These numbers do not compare like for like**, for three reasons:
# - *our simulation is not their data*: the challenge's images came from a different simulator, with
#   other lens and source populations, other noise, artefacts and contaminants;
# - *TPR0 and TPR10 depend on the size of the test set*: the challenge had 100,000 candidates, so ten false
#   positives among tens of thousands of non-lenses were a rate of a few hundredths of a percent; with our
#   few thousand non-lenses, ten is a rate of 0.1 % (full profile) to 0.5 % (cpu), a much easier target.
#   AUROC does not depend on the size of the test set;
# - *what counts as a lens*: a lens whose arcs are below the noise is still a lens in the catalog; how many
#   such lenses a test set holds caps every finder's TPR and AUROC.
#
# The ranking shows why the challenge reported all three: the best AUROC is not the best TPR0, and an SVM on
# Gabor features beat the CNNs at the strict end.
#
# The third point is easy to see in our own test set: count as lenses only those whose lensed images
# reach some S/N (and drop the others), and the same scores give a higher AUROC.

# %%
for cut in (5, 10, 20, 50):
    kept = (y_test == 0) | (test_snr > cut)
    print(f"lenses with S/N > {cut:2d} ({np.sum(kept & (y_test == 1)):5d} of {np.sum(y_test == 1)}): "
          f"AUROC = {roc_auc_score(y_test[kept], resnet_scores[kept]):.3f}")

# %% [markdown]
# ### On the challenge's own stamps
#
# If you have stamps in the challenge's layout (its data, or survey cut-outs written the same way), set
# `COURSE_LENS_DATA` to the folder or archive before starting Jupyter: the ResNet then scores them, after
# picking our g, r and i bands by name and cutting each stamp to our 64×64 pixels.
# How it scores on the challenge's own stamps has not been measured yet: the stored outputs are simulations only.

# %%
challenge_path = lens_data_path()
if challenge_path is None:
    print("No challenge stamps: set COURSE_LENS_DATA to a folder in the challenge's layout to score them here.")
else:
    challenge = load_lenses(challenge_path, n=SIZES["n_test"])
    print(challenge.source, "| bands", challenge.bands, "| images", challenge.images.shape)
    x_challenge = normalise_in_chunks(match_stamps(challenge, test_catalog.meta["bands"], x_test.shape[1]))
    challenge_scores = resnet.predict(x_challenge, batch_size=256, verbose=0)[:, 0]
    if "is_lens" in challenge.catalog.colnames:
        y_challenge = np.asarray(challenge.catalog["is_lens"])
        course_utils.record("challenge_auroc", roc_auc_score(y_challenge, challenge_scores))
        print(f"on {len(y_challenge):,} challenge stamps: TPR0 = {tpr_at_fp(y_challenge, challenge_scores, 0):.3f}, "
              f"TPR10 = {tpr_at_fp(y_challenge, challenge_scores, 10):.3f}")
    else:
        print(f"no is_lens column (a test set without answers): {np.mean(challenge_scores > 0):.1%} of the stamps "
              "scored as lenses")

# %% [markdown]
# ## 7. Completeness against Einstein radius and S/N (2 points)
#
# CMU DeepLens summarised its finder by its completeness (TPR) at a threshold that rejects 99 % of the
# non-lenses, as a function of the lens's Einstein radius and S/N: about 90 % for θE > 1.4″ and S/N > 20
# (Lanusse et al. 2018, as G. Tsagkatakis's "Fundamentals of Deep Neural Networks" shows it). Small lenses hide inside the seeing-blurred light of their lens galaxy, faint ones in the
# noise: where does ours lose them?
#
# **Exercise 5.** Write `completeness_in_bins(values, found, edges)`: `values` holds a property of each
# lens (θE, S/N), `found` whether the lens was selected (bool), `edges` the bin edges. Return, for each of
# the `len(edges) - 1` bins, the fraction of its lenses found, with bins as in `np.histogram` (each bin
# includes its left edge; the last also its right edge; values outside are ignored) and NaN for an empty bin.

# %%
def completeness_in_bins(values, found, edges):
    """Fraction of lenses found in each bin of values: array of shape (len(edges) - 1,), NaN where empty."""
    # BEGIN SOLUTION
    in_bin, _ = np.histogram(values, bins=edges)
    found_in_bin, _ = np.histogram(values[found], bins=edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(in_bin > 0, found_in_bin / in_bin, np.nan)
    # END SOLUTION


# %%
check("lab04", "completeness_in_bins", completeness_in_bins)

# %% [markdown]
# The threshold rejects 99 % of the test set's non-lenses. The grey histograms show the lenses of the
# test population in each bin: the completeness is only as certain as those counts allow (the error bars
# are 68 % binomial intervals).

# %%
threshold = metrics.threshold_at_fp(y_test, resnet_scores, fpr_1pc)
test_lens = y_test == 1
lens_theta_E, lens_snr = test_theta_E[test_lens], test_snr[test_lens]
found = resnet_scores[test_lens] > threshold
cnn_found = cnn_scores[test_lens] > metrics.threshold_at_fp(y_test, cnn_scores, fpr_1pc)
theta_edges, snr_edges = np.linspace(0.5, 3.0, 11), np.geomspace(5, 200, 11)

fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
for ax, values, edges, label in ((axes[0], lens_theta_E, theta_edges, "Einstein radius θE (arcsec)"),
                                 (axes[1], lens_snr, snr_edges, "S/N of the lensed images")):
    counts = ax.twinx()
    counts.hist(values, bins=edges, color="0.85", zorder=0)
    counts.set_ylabel("lenses in the test set", color="0.5")
    ax.set_zorder(counts.get_zorder() + 1)
    ax.patch.set_visible(False)
    plotting.completeness_plot(values, found, edges, label, ax=ax, label="ResNet at 1 % FPR")
    plotting.completeness_plot(values, cnn_found, edges, label, ax=ax, label="small CNN at 1 % FPR")
axes[0].axvline(1.4, ls=":", color="k")
axes[1].axvline(20, ls=":", color="k")
axes[1].set_xscale("log")
fig.tight_layout()
plt.show()

print("completeness per θE bin:", np.round(completeness_in_bins(lens_theta_E, found, theta_edges), 2))
print("completeness per S/N bin:", np.round(completeness_in_bins(lens_snr, found, snr_edges), 2))

# %% [markdown]
# The S/N decides: below about 10 almost no lens is found, and completeness climbs with S/N from there.
# Against θE, completeness drops below about 1″, as in the DeepLens figure. Not because small lenses are
# fainter: every θE bin holds the same spread of S/N. They lose their *shape*: images within the 0.6″–1″
# seeing of their lens galaxy blur into one blue smudge on its core, and a red galaxy with a blue
# star-forming core, or with an unlensed blue neighbour just as close (as close as 0.3″), looks the same.
# Only the arrangement of the images, arcs or counter-images on opposite sides, tells a lens, and the
# seeing erases it when θE is small. Try the completeness against θE for the lenses with S/N > 20 only,
# and see whether that changes.

# %%
deeplens_cut = (test_theta_E > 1.4) & (test_snr > 20)
completeness = course_utils.record(
    "completeness", metrics.completeness_at_fpr(y_test, resnet_scores, 0.01, mask=deeplens_cut))
print(f"completeness at 1 % FPR for θE > 1.4″ and S/N > 20 ({np.sum(deeplens_cut & test_lens)} test lenses): "
      f"{completeness:.1%} (CMU DeepLens on its LSST-like mocks: about 90 %); over all lenses: {found.mean():.1%}")

# %% [markdown]
# ## 8. What the network gets wrong
#
# The false positives at the strict end are the non-lenses scored highest, and the missed lenses the
# bright ones scored lowest. Look at them: are they understandable mistakes?

# %%
negatives = np.flatnonzero(y_test == 0)
top_false = negatives[np.argsort(resnet_scores[negatives])[::-1][:12]]
plotting.image_grid(colour_stamps(test_images[top_false]),
                    [f"{test_kind[i]}\np={expit(resnet_scores[i]):.3f}" for i in top_false],
                    ncols=6, panel_size=1.9)
plt.suptitle("the 12 non-lenses scored highest (false positives at the strict end)", y=1.02)
plt.show()
selected = negatives[resnet_scores[negatives] > threshold]
print(f"kinds of the {len(selected)} false positives at 1 % FPR:", Counter(map(str, test_kind[selected])).most_common())
print("kinds among all test non-lenses:", Counter(map(str, test_kind[negatives])).most_common())

# %%
bright = np.flatnonzero(test_lens & (test_snr > 20))
missed = bright[np.argsort(resnet_scores[bright])[:12]]
plotting.image_grid(colour_stamps(test_images[missed]),
                    [f"θE={test_theta_E[i]:.1f}″ S/N={test_snr[i]:.0f}\n"
                     f"p={expit(resnet_scores[i]):.3f}" for i in missed], ncols=6, panel_size=1.9)
plt.suptitle("the 12 lenses with S/N > 20 scored lowest (missed lenses)", y=1.02)
plt.show()

# %% [markdown]
# Compare the kinds of the false positives with their shares among all non-lenses: plain galaxies are the
# largest group of non-lenses, yet the network rarely takes one for a lens; the look-alikes (blue arcs and
# rings around red galaxies that no lensing made, neighbours where a counter-image could be) fool it. That
# was the challenge's conclusion too: the hardest task is telling lenses from ring-like and irregular
# galaxies. For the missed lenses, read θE and S/N in the titles and look for the lensed images yourself:
# which of them would you have found, and what would have told you they are lensed?
#
# ## Your score
#
# The same checks the instructor's grader runs, over all exercises at once:

# %%
# NBVAL_CHECK_OUTPUT
from course_utils.checks import evaluate, questions

earned = sum(q.points for q in questions("lab04") if evaluate(q, globals().get(q.target))[0])
print(f"Lab 04 self-checks: {earned:g} / {sum(q.points for q in questions('lab04')):g} points")

# %% [markdown]
# ## What to try next
# - Train on more stamps (the simulator makes as many as you like) and for longer: which improves the
#   validation AUROC more? Plot the test AUROC against the training-set size.
# - Average the scores over the 8 flips and rotations of each test stamp (`np.rot90`, `np.flip`):
#   test-time augmentation, in the spirit of the "voting" of the CMU-DeepLens-Resnet-Voting entry.
# - Train several ResNets with different seeds and average their scores (an ensemble, as Jacobs et al. did
#   in CFHTLS). Which of AUROC, TPR0 and TPR10 gains most?
# - Remove the look-alike non-lenses from the training set (keep `kind == "galaxy"` only) and test on the
#   full test set: how many more false positives, and of which kinds?
# - Make the problem harder or easier with `simulate_lenses(..., seeing=(0.9, 1.3))` or
#   `snr_range=(20, 200)`, and watch the completeness curves move.
# - Use one band only (`x_train[..., 1:2]` and `x_test[..., 1:2]`): how much does colour help? (The challenge found multi-band
#   ground-based data better than single-band space data.)
# - If you have the challenge's data, point `load_lenses` at it and evaluate your network on it.
