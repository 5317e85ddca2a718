"""Galaxy10 (SDSS or DECaLS) galaxy images with Galaxy Zoo classes, read lazily.

``real_galaxy10`` gives the verified file's images or says why there are none; ``course_utils.loaders``
falls back to simulated galaxies then.

The HDF5 files hold ``images`` (N, H, W, 3) uint8 and ``ans`` (N,) class numbers. Only the images
asked for are read (h5py slices with sorted indices, a chunk at a time), so a subset of the 2.5 GB
DECaLS file never brings the whole file into memory.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from course_utils.data.offline import describe_real, real_file
from course_utils.taxonomy import GALAXY10_CLASSES

if TYPE_CHECKING:
    from sklearn.utils import Bunch

DATASET_NAMES = {"sdss": "galaxy10_sdss", "decals": "galaxy10_decals"}  # registry entries
TITLES = {"sdss": "Galaxy10 SDSS", "decals": "Galaxy10 DECaLS"}
NATIVE_SIZE = {"sdss": 69, "decals": 256}  # pixels per side
MEMORY_LIMIT_BYTES = 2 * 1024**3  # largest image array returned; float32 copies for training are 4x this
READ_CHUNK = 128  # images read from the file (and resized) at a time


def real_galaxy10(
    variant: str = "sdss",
    *,
    n: int | None = None,
    size: int | None = None,
    data_home: str | os.PathLike | None = None,
    offline: bool | None = None,
    seed: int = 0,
) -> tuple[Bunch | None, str]:
    """Galaxy10 images and classes from the verified file, or (None, why there are none).

    variant: "sdss" (21,785 images of 69x69) or "decals" (17,736 of 256x256).
    n: a random subset of n images, chosen with ``seed`` and returned in that random order
    (None: all images, in file order). size: resize to size x size pixels (None: native size).
    The Bunch: images uint8 (N, size, size, 3), labels int64 (N,) in 0..9, class_names
    (10 names, ``class_names[label]``), source (where the data came from, in words), is_real=True.
    offline: see ``offline.real_file`` (True: never download; False: raise instead of returning None).
    """
    _check_request(variant, n=n, size=size)
    path, why = real_file(DATASET_NAMES[variant], offline=offline, data_home=data_home)
    if path is None:
        return None, why
    from sklearn.utils import Bunch

    images, labels, chosen = read_galaxy10_file(path, n=n, size=size, seed=seed)
    native = NATIVE_SIZE[variant]
    details = [f"{chosen}, seed {seed}" if n is not None else chosen]
    if size is not None and size != native:
        details.append(f"resized {native}->{size} px")
    source = describe_real(TITLES[variant], DATASET_NAMES[variant], path) + ": " + ", ".join(details)
    return Bunch(images=images, labels=labels, class_names=GALAXY10_CLASSES[variant], source=source, is_real=True), ""


def _check_request(variant: str, *, n: int | None, size: int | None) -> None:
    """Raise ValueError, saying what is allowed, for an unknown variant or a bad n or size."""
    if variant not in DATASET_NAMES:
        raise ValueError(f"variant must be 'sdss' or 'decals', got {variant!r}.")
    for label, value in (("n", n), ("size", size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"{label} must be a positive integer or None, got {value!r}.")


def read_galaxy10_file(
    path: str | os.PathLike, *, n: int | None = None, size: int | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, str]:
    """Read images uint8 (N, S, S, 3) and labels int64 (N,) from a Galaxy10 HDF5 file, lazily.

    With n, a seeded random subset is read in sorted index order, one slice per image, a chunk of
    images at a time (each chunk resized before the next is read), and returned in the random
    order. Also returns a phrase saying which images were read.
    """
    import h5py

    with h5py.File(path, "r") as file:
        for key in ("images", "ans"):
            if key not in file:
                raise ValueError(f"{path} is not a Galaxy10 file: it has no {key!r} dataset.")
        images, answers = file["images"], file["ans"]
        total, height, _, channels = images.shape
        side = size or height
        if n is None:
            wanted, chosen = np.arange(total), f"all {total:,} images"
        elif n > total:
            raise ValueError(f"n={n:,} is more than the {total:,} images in {path}.")
        else:
            wanted = np.random.default_rng(seed).choice(total, size=n, replace=False)
            chosen = f"{n:,} of {total:,} images chosen at random"
        out_bytes = len(wanted) * side * side * channels
        if out_bytes > MEMORY_LIMIT_BYTES:
            raise ValueError(
                f"{len(wanted):,} images of {side}x{side} would take {out_bytes / 1e9:.1f} GB of memory. "
                f"Ask for fewer or smaller images, e.g. n=5000 or size=64."
            )
        order = np.argsort(wanted, kind="stable")
        sorted_index = wanted[order]
        labels = answers[...].astype(np.int64)[wanted]
        out = np.empty((len(wanted), side, side, channels), dtype=np.uint8)
        for start in range(0, len(wanted), READ_CHUNK):
            block = sorted_index[start : start + READ_CHUNK]
            if n is None:
                batch = images[block[0] : block[-1] + 1]
            else:  # one slice per image: h5py's list indexing is ~50x slower on chunked files
                batch = np.concatenate([images[i : i + 1] for i in block.tolist()])
            out[order[start : start + READ_CHUNK]] = resize_images(batch, side)
    return out, labels, chosen


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """Resize uint8 images (N, H, W, C) to (N, size, size, C) uint8, one image at a time with Pillow.

    Shrinking averages the area each new pixel covers (Pillow's BOX filter: no aliasing; for an
    integer factor it equals block averaging); enlarging interpolates bilinearly.
    """
    from PIL import Image

    if images.shape[1:3] == (size, size):
        return images
    shrinking = size < min(images.shape[1:3])
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    out = np.empty((len(images), size, size, images.shape[3]), dtype=np.uint8)
    for i, image in enumerate(images):
        out[i] = np.asarray(Image.fromarray(image).resize((size, size), method))
    return out
