"""Strong-lens image stamps from a folder laid out like the lens-finding challenge data (``challenge_io``).

There is no single public download for the challenge data, so nothing is fetched here: pass the
folder (or its .zip / .tar.gz archive, extracted safely into the cache) you were given. ``real_lenses``
reads it or says why there is nothing to read; ``course_utils.loaders`` simulates lenses then.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from course_utils.data.archives import archive_stem, extract_archive, is_archive
from course_utils.data.cache import cache_dir, display_path, sha256_of
from course_utils.data.offline import OFFLINE_ENV, offline_from_env

if TYPE_CHECKING:
    from sklearn.utils import Bunch

LENS_DATA_ENV = "COURSE_LENS_DATA"  # a challenge-layout folder or archive the labs evaluate on, if set
HOW_TO_GET_REAL = (
    "pass path= a folder (or .zip/.tar.gz) laid out like the lens-finding challenge data "
    "(FITS stamps plus a CSV catalog), e.g. load_lenses('data/lenses')."
)


def real_lenses(
    path: str | os.PathLike | None = None,
    *,
    n: int | None = None,
    offline: bool | None = None,
    data_home: str | os.PathLike | None = None,
) -> tuple[Bunch | None, str]:
    """Lens-finding stamps read from ``path``, or (None, why there are none to read).

    path: a challenge-layout folder, or an archive of one (extracted safely, once, into the cache folder).
    n: number of stamps (None: all in the folder, read in ID order).
    The Bunch: images float32 (N, H, W, bands), catalog (astropy Table, one row per image, with is_lens and
    the true parameters when known), bands (band names, in image channel order), source (where the data came
    from, in words), is_real=True (read from ``path``, even though the challenge data are themselves
    simulations). offline=True gives None even with a path; COURSE_OFFLINE=1 only when no path is given (a
    folder on this machine needs no network); offline=False with no path is an error.
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}.")
    if offline:
        return None, "offline=True was passed"
    if path is not None:
        return read_lens_folder(Path(path).expanduser(), n=n, data_home=data_home), ""
    if offline is None and offline_from_env():
        return None, f"{OFFLINE_ENV}={os.environ[OFFLINE_ENV]} is set"
    if offline is False:
        raise ValueError("offline=False asks for real lens data, but no path was given: " + HOW_TO_GET_REAL)
    return None, "no path to real data was given"


def lens_data_path() -> Path | None:
    """The challenge-layout folder or archive named by $COURSE_LENS_DATA, or None when it is not set."""
    value = os.environ.get(LENS_DATA_ENV, "").strip()
    return Path(value).expanduser() if value else None


def match_stamps(lenses: Bunch, bands, size: int) -> np.ndarray:
    """The stamps of ``lenses`` in the layout a network was trained on: float32 (n, size, size, len(bands)).

    Channels are picked by band name (case-insensitive; the challenge's ground-based stamps have more
    bands than ours), and each stamp is cut to its central size x size pixels. Raises ValueError
    naming the missing bands, or when the stamps are smaller than ``size``.
    """
    have = [band.lower() for band in lenses.bands]
    missing = [band for band in bands if band.lower() not in have]
    if missing:
        raise ValueError(
            f"the stamps have bands {tuple(lenses.bands)}, not {missing}: a network trained on "
            f"{tuple(bands)} needs all of them."
        )
    height, width = lenses.images.shape[1:3]
    if min(height, width) < size:
        raise ValueError(f"the stamps are {height}x{width} pixels, smaller than the {size}x{size} the network takes.")
    top, left = (height - size) // 2, (width - size) // 2
    channels = [have.index(band.lower()) for band in bands]
    return np.ascontiguousarray(lenses.images[:, top : top + size, left : left + size][..., channels], dtype=np.float32)


def read_lens_folder(path: Path, *, n: int | None = None, data_home: str | os.PathLike | None = None) -> Bunch:
    """The stamps of a challenge-layout folder or archive at ``path`` (see ``real_lenses``)."""
    from sklearn.utils import Bunch

    from course_utils.data.challenge_io import read_challenge_folder

    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist. {HOW_TO_GET_REAL} Or call load_lenses() with no path to use simulated lenses."
        )
    folder = path
    if path.is_file():
        if not is_archive(path):
            raise ValueError(f"{path} is a file but not an archive: {HOW_TO_GET_REAL}")
        folder = cache_dir(data_home) / "lenses" / f"{archive_stem(path)}-{sha256_of(path)[:12]}"
        if not folder.exists():
            extract_archive(path, folder)
        entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
        if len(entries) == 1 and entries[0].is_dir():  # the archive wraps one top folder
            folder = entries[0]
    images, catalog = read_challenge_folder(folder, n=n)
    where = f"{display_path(path)} (extracted to {display_path(folder)})" if folder != path else display_path(path)
    return Bunch(
        images=np.asarray(images, dtype=np.float32),
        catalog=catalog,
        bands=bands_of(catalog),
        source=f"lens stamps from {where}: {len(images):,} images",
        is_real=True,
    )


def bands_of(catalog) -> tuple[str, ...]:
    """Band names in image channel order, as the simulator and the challenge reader record them."""
    return tuple(catalog.meta["bands"])
