"""The PLAsTiCC training set (Kessler et al. 2019): 7,848 light curves of 14 classes in LSST's six bands.
``real_plasticc`` reads them or says why it cannot; ``course_utils.loaders`` simulates light curves of the
same taxonomy then, as a loud stand-in.

The two files come from Zenodo record 2539456 (DOI 10.5281/zenodo.2539456), verified against the checksums
the record publishes (read from Zenodo's records API; $COURSE_ZENODO_API points elsewhere, e.g. a local
server in the tests), and cached in ``data_home``/plasticc. Their columns:

    plasticc_train_lightcurves.csv.gz   object_id, mjd, passband (0-5: u g r i z y), flux, flux_err, detected_bandwise
    plasticc_train_metadata.csv.gz      object_id, ra, decl, ..., hostgal_photoz, distmod, mwebv, target

Fluxes (FLUXCAL, zero point 27.5, negative after difference imaging) become asinh magnitudes (Lupton et al.
1999), defined for any flux, with a softening of each object's median flux error in each band, so the lab's
code is the same for the real and the simulated light curves.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from course_utils.data.cache import cache_dir, display_path
from course_utils.data.offline import OFFLINE_ENV, offline_from_env
from course_utils.data.registry import PLASTICC_TRAIN
from course_utils.data.zenodo import record_files
from course_utils.taxonomy import PLASTICC_CLASSES, PLASTICC_WEIGHTS

if TYPE_CHECKING:
    from sklearn.utils import Bunch

ZERO_POINT = 27.5


def real_plasticc(
    *,
    n: int | None = None,
    offline: bool | None = None,
    data_home: str | os.PathLike | None = None,
    timeout: float = 60.0,
) -> tuple[Bunch | None, str]:
    """PLAsTiCC's training light curves as padded arrays (see ``read_plasticc``), or (None, why there are none).

    n: the first n objects (None: all). None when offline=True, COURSE_OFFLINE=1 (with offline=None) or when
    Zenodo does not answer; offline=False raises instead.
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}.")
    if offline:
        return None, "offline=True was passed"
    if offline is None and offline_from_env():
        return None, f"{OFFLINE_ENV}={os.environ[OFFLINE_ENV]} is set"
    try:
        paths = [fetch_published(name, data_home=data_home, timeout=timeout) for name in PLASTICC_TRAIN["files"]]
    except OSError as error:  # no network, or Zenodo did not answer
        if offline is False:
            raise
        return None, f"Zenodo record {PLASTICC_TRAIN['zenodo_record']} could not be read: {error}"
    return read_plasticc(*paths, n=n), ""


def fetch_published(filename: str, *, data_home=None, timeout: float = 60.0) -> Path:
    """A file of PLAsTiCC's Zenodo record, downloaded once into the cache and verified against the checksum
    the record publishes (pooch; a corrupted file raises and is never used)."""
    import pooch

    record = PLASTICC_TRAIN["zenodo_record"]
    try:
        published = record_files(record, timeout=timeout)
    except ValueError as error:  # an answer, but not a record: treated like no answer
        raise OSError(f"Zenodo record {record}: {error}") from error
    if filename not in published or published[filename].url is None:
        raise OSError(
            f"Zenodo record {record} has no file {filename!r} with a checksum and an address "
            f"(it has {', '.join(published) or 'none'})."
        )
    entry = published[filename]
    folder = cache_dir(data_home) / "plasticc"
    return Path(
        pooch.retrieve(entry.url, known_hash=f"md5:{entry.md5}", fname=filename, path=folder, progressbar=False)
    )


def read_plasticc(metadata_path, lightcurves_path, *, n: int | None = None) -> Bunch:
    """Read PLAsTiCC-format files (metadata with target; light curves with object_id, mjd, passband, flux,
    flux_err, detected_bandwise) into padded arrays (the layout of ``sims.simulate_light_curves``), objects in
    metadata order.

    Returns a Bunch: time (N, L) float64 MJD, mag and err (N, L) float32 asinh magnitudes, band (N, L) int8
    passband, mask (N, L) bool, label (N,) int indexing class_names (PLAsTiCC's names, in target order),
    class_weights (the challenge's log-loss weights), catalog (astropy Table: the metadata, with class and
    n_epochs), source, is_real=True.
    """
    from astropy.table import Table
    from sklearn.utils import Bunch

    meta = Table.read(metadata_path, format="ascii.csv", fast_reader=True)
    points = Table.read(lightcurves_path, format="ascii.csv", fast_reader=True)
    for table, columns, what in (
        (meta, ("object_id", "target"), "metadata"),
        (points, ("object_id", "mjd", "passband", "flux", "flux_err", "detected_bandwise"), "light curves"),
    ):
        missing = [c for c in columns if c not in table.colnames]
        if missing:
            raise ValueError(f"the PLAsTiCC {what} file lacks the columns {missing}: is it the training set's?")
    if n is not None:
        meta = meta[:n]
    unknown = sorted(set(np.asarray(meta["target"])) - set(PLASTICC_CLASSES))
    if unknown:
        raise ValueError(f"unknown PLAsTiCC targets {unknown}; the training set has {sorted(PLASTICC_CLASSES)}.")
    ids = np.asarray(meta["object_id"])
    obj = np.asarray(points["object_id"])
    keep = np.isin(obj, ids)
    obj, mjd = obj[keep], np.asarray(points["mjd"], float)[keep]
    band = np.asarray(points["passband"], int)[keep]
    flux, flux_err = np.asarray(points["flux"], float)[keep], np.asarray(points["flux_err"], float)[keep]
    by_id = np.argsort(ids)
    row = by_id[np.searchsorted(ids, obj, sorter=by_id)]
    order = np.lexsort((mjd, row))
    row, mjd, band, flux, flux_err = row[order], mjd[order], band[order], flux[order], flux_err[order]
    count = np.bincount(row, minlength=len(ids))
    column = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    mag, err = asinh_magnitudes(row, band, flux, flux_err, len(ids))
    shape = (len(ids), max(int(count.max()), 1))
    arrays = {"time": (np.float64, mjd), "mag": (np.float32, mag), "err": (np.float32, err), "band": (np.int8, band)}
    out = {}
    for key, (dtype, values) in arrays.items():
        out[key] = np.full(shape, -1 if key == "band" else 0, dtype=dtype)
        out[key][row, column] = values
    mask = np.zeros(shape, bool)
    mask[row, column] = True
    targets = sorted(set(np.asarray(meta["target"]).tolist()))
    label = np.searchsorted(targets, np.asarray(meta["target"]))
    meta["class"] = [PLASTICC_CLASSES[t] for t in np.asarray(meta["target"])]
    meta["n_epochs"] = count
    return Bunch(
        **out,
        mask=mask,
        label=label,
        class_names=tuple(PLASTICC_CLASSES[t] for t in targets),
        class_weights=np.array([PLASTICC_WEIGHTS.get(t, 1.0) for t in targets]),
        catalog=meta,
        source=f"PLAsTiCC training set ({len(ids):,} objects) from {display_path(Path(lightcurves_path).parent)}",
        is_real=True,
    )


def asinh_magnitudes(row, band, flux, flux_err, n_objects):
    """Asinh magnitudes and their errors of FLUXCAL fluxes, softened by the median flux error of each
    (object, band): m = 27.5 - 1.0857 (asinh(f / 2b) + ln b); sigma_m = 1.0857 sigma_f / sqrt(f^2 + 4 b^2)."""
    key = row * 6 + band
    order = np.lexsort((flux_err, key))  # each (object, band) together, errors sorted within it
    keys, errors = key[order], flux_err[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    softening = np.ones(n_objects * 6)
    softening[keys[starts]] = 0.5 * (errors[starts + (sizes - 1) // 2] + errors[starts + sizes // 2])  # medians
    b = np.maximum(softening[key], 1e-3)
    a = 2.5 / np.log(10)
    return ZERO_POINT - a * (np.arcsinh(flux / (2 * b)) + np.log(b)), a * flux_err / np.sqrt(flux**2 + 4 * b**2)
