"""The simulators draw, bit for bit, the galaxies and lenses that labs 03 and 04 were executed with.

A change to the simulators that moves these digests moves the labs' recorded numbers: the change must
then say which lab it moves, and that lab is re-executed (see docs/authoring.md). The sizes and seeds
are those of the labs' smoke and cpu profiles (``runtime.setup()`` seeds 42; lab 04 draws its test set
with seed 43). The cpu sizes cost about half a minute and 1 GB; they run unless COURSE_PROFILE=smoke.
``python tests/test_sims_reproducible.py`` prints the digests the simulators draw today, to re-record them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from course_utils.sims.galaxies import simulate_galaxy10
from course_utils.sims.lenses import simulate_lenses

CPU_SIZES = pytest.mark.skipif(
    os.environ.get("COURSE_PROFILE") == "smoke",
    reason="the labs' cpu-profile sizes take half a minute; smoke runs the smoke sizes",
)

RECORDED_WITH = ("2.4.6", "avx512f")
"""NumPy version and widest vector extension of the machine the digests were recorded on: NumPy's float32
exp, log and FFT kernels differ between versions and instruction sets in the last bit."""


def _recording_machine() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    flags = cpuinfo.read_text().split() if cpuinfo.exists() else []
    return np.__version__ == RECORDED_WITH[0] and RECORDED_WITH[1] in flags


pytestmark = pytest.mark.skipif(
    not _recording_machine(),
    reason=f"digests recorded with NumPy {RECORDED_WITH[0]} on a CPU with {RECORDED_WITH[1]}; re-record them "
    "on such a machine (see the module docstring) before trusting a mismatch here",
)


def digest(*arrays) -> str:
    """First 16 hex digits of the SHA-256 of the arrays' dtypes, shapes and bytes."""
    sha = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        sha.update(f"{array.dtype.str}{array.shape}".encode())
        sha.update(array.tobytes())
    return sha.hexdigest()[:16]


def catalog_digest(catalog) -> str:
    """Digest of every column of an astropy Table, in order, names included."""
    return digest(np.array(catalog.colnames), *(np.asarray(catalog[name]) for name in catalog.colnames))


GALAXIES = {  # (n, size, seed): digest of (images, labels)
    (600, 32, 42): "a0e1a1e6f33fea39",  # lab 03, smoke profile (load_galaxy10 offline)
    (6_000, 64, 42): "8c214ffaa7081507",  # lab 03, cpu profile
}
LENSES = {  # (n, seed): (digest of images, digest of catalog)
    (400, 42): ("73b34240e37dbd03", "50f65e6f7a868206"),  # lab 04, smoke: training set
    (400, 43): ("9e566080a119fe7a", "a259a678114854e0"),  # lab 04, smoke: test set
    (20_000, 42): ("c8479fe82abd496e", "ef2a9f2d4966c0dd"),  # lab 04, cpu: training set
    (4_000, 43): ("34bf120bbef65204", "9701422afcf1d63c"),  # lab 04, cpu: test set
}


def _marked(table, cpu_if):
    return [pytest.param(key, marks=CPU_SIZES) if cpu_if(key) else key for key in table]


@pytest.mark.parametrize("key", _marked(GALAXIES, lambda key: key[0] > 1_000), ids=str)
def test_galaxy_sims_draw_what_lab_03_was_run_with(key):
    n, size, seed = key
    images, labels = simulate_galaxy10(n, size=size, seed=seed)
    assert digest(images, labels) == GALAXIES[key]


@pytest.mark.parametrize("key", _marked(LENSES, lambda key: key[0] > 1_000), ids=str)
def test_lens_sims_draw_what_lab_04_was_run_with(key):
    n, seed = key
    images, catalog = simulate_lenses(n, seed=seed)
    assert (digest(images), catalog_digest(catalog)) == LENSES[key]


if __name__ == "__main__":
    for n, size, seed in GALAXIES:
        print((n, size, seed), digest(*simulate_galaxy10(n, size=size, seed=seed)))
    for n, seed in LENSES:
        images, catalog = simulate_lenses(n, seed=seed)
        print((n, seed), (digest(images), catalog_digest(catalog)))
