"""Files in exactly the formats of the course's real data sets, but small, for the real-data rehearsal.

Each ``write_*`` function writes one file the way the published one is laid out (dataset names, dtypes,
shapes per row), with few rows. ``LABS`` maps every lab notebook to a fixture function that writes its
data into a folder served at a base URL and says what the notebook must print when its real-data
branch ran: adding a lab is adding one function here. ``registry_file`` writes the $COURSE_DATA_REGISTRY file that points the
course's registry entries at a server on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from course_utils.data.galaxy10 import GALAXY10_CLASSES, resize_images
from course_utils.data.mnist import mnist_stand_in
from course_utils.sims.galaxies import simulate_galaxy10

# Published class counts (astroNN's Galaxy10 documentation), used to draw realistic, unbalanced labels.
SDSS_COUNTS = (3461, 6997, 6292, 349, 1534, 17, 589, 1121, 906, 519)
DECALS_COUNTS = (1081, 1853, 2645, 2027, 334, 2043, 1829, 2628, 1423, 1873)


@dataclass
class RealData:
    """What a lab's fixture made: files (registry name -> file in the real format) and the lines the
    notebook prints only on its real branch (``markers``) or only on its stand-in (``stand_in``)."""

    files: dict[str, Path]
    markers: list[str]
    stand_in: list[str] = field(default_factory=lambda: ["STAND-IN"])
    env: dict[str, str] = field(default_factory=dict)  # further environment variables for the kernel


def write_mnist(path: Path, n_train: int = 600, n_test: int = 300) -> Path:
    """``mnist.npz`` as keras.datasets.mnist downloads it: x_train, y_train, x_test, y_test, all uint8."""
    digits = mnist_stand_in()  # real MNIST digits, so training on the file learns something
    np.savez_compressed(
        path,
        x_train=digits.x_train[:n_train],
        y_train=digits.y_train[:n_train],
        x_test=digits.x_test[:n_test],
        y_test=digits.y_test[:n_test],
    )
    return path


def _labels(counts, n: int, rng) -> np.ndarray:
    """n class numbers drawn with the published shares, every class present at least twice."""
    labels = rng.choice(len(counts), size=n, p=np.asarray(counts) / sum(counts))
    labels[: 2 * len(counts)] = np.repeat(np.arange(len(counts)), 2)
    return rng.permutation(labels).astype(np.uint8)


def write_galaxy10_sdss(path: Path, n: int = 640, seed: int = 0) -> Path:
    """``Galaxy10.h5`` (Galaxy10 SDSS, Zenodo 10844811): images uint8 (N, 69, 69, 3) and ans uint8 (N,)."""
    rng = np.random.default_rng(seed)
    images, _ = simulate_galaxy10(n, size=69, seed=seed)
    with h5py.File(path, "w") as file:
        file.create_dataset("ans", data=_labels(SDSS_COUNTS, n, rng))
        file.create_dataset("images", data=np.asarray(images, np.uint8), chunks=(1, 69, 69, 3), compression="gzip")
    return path


def write_galaxy10_decals(path: Path, n: int = 200, seed: int = 0) -> Path:
    """``Galaxy10_DECals.h5`` (Zenodo 10845026): images uint8 (N, 256, 256, 3), ans uint8 (N,), and per
    galaxy ra, dec (degrees), redshift, pxscale (arcsec per pixel), float64."""
    rng = np.random.default_rng(seed)
    small, _ = simulate_galaxy10(n, size=64, seed=seed)
    with h5py.File(path, "w") as file:
        file.create_dataset("ans", data=_labels(DECALS_COUNTS, n, rng))
        file.create_dataset(
            "images", data=resize_images(np.asarray(small, np.uint8), 256), chunks=(1, 256, 256, 3), compression="gzip"
        )
        file.create_dataset("ra", data=rng.uniform(0, 360, n))
        file.create_dataset("dec", data=rng.uniform(-20, 70, n))
        file.create_dataset("redshift", data=rng.uniform(0.0, 0.25, n))
        file.create_dataset("pxscale", data=np.full(n, 0.262))
    return path


def write_lens_challenge(path: Path, n: int = 120, seed: int = 7) -> Path:
    """A ``.tar.gz`` of a folder in the ground-based challenge's layout (Metcalf et al. 2019): four bands
    (u, g, r, i) of 101x101 pixels, ``Band<k>/image<SURVEY>_<BAND>-<ID>.fits``, and a classifications.csv
    holding only the challenge's five columns (no simulator truth: no theta_E, no S/N)."""
    from astropy.table import Table

    from course_utils.data.challenge_io import write_challenge_folder
    from course_utils.sims import simulate_lenses

    rng = np.random.default_rng(seed)
    images, truth = simulate_lenses(n, seed=seed)  # 64x64 in g, r, i
    big = rng.normal(0.0, 1.0, (n, 101, 101, 4)).astype(np.float32)
    big[:, 18:82, 18:82, 1:] += images
    big[:, 18:82, 18:82, 0] += 0.3 * images[..., 0]  # a fainter u band
    catalog = Table(
        {
            "ID": np.arange(200_001, 200_001 + n),
            "is_lens": np.asarray(truth["is_lens"]),
            "einstein_area": np.asarray(truth["einstein_area"]),
            "numb_pix_lensed_image": rng.integers(0, 400, n),
            "flux_lensed_image_in_sigma": rng.uniform(0, 300, n),
        }
    )
    folder = write_challenge_folder(big, catalog, path.parent / "challenge", bands=["u", "g", "r", "i"], survey="KiDS")
    with tarfile.open(path, "w:gz") as archive:
        archive.add(folder, arcname="GroundBasedTraining")
    return path


def registry_file(path: Path, files: dict[str, Path], base_url: str) -> Path:
    """A $COURSE_DATA_REGISTRY file: each registry name -> the served file's URL, SHA256 and size."""
    entries = {
        name: {
            "url": f"{base_url.rstrip('/')}/{file.name}",
            "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
            "size": file.stat().st_size,
        }
        for name, file in files.items()
    }
    path.write_text(json.dumps(entries, indent=1))
    return path


# --- one fixture per lab notebook: write its real data, say what its real branch prints ---------------


def lab02(folder: Path, base_url: str) -> RealData:
    return RealData(
        {"mnist": write_mnist(folder / "mnist.npz")},
        ["data: MNIST from http://127.0.0.1", "x_train (600, 28, 28) uint8"],
    )


def lab03(folder: Path, base_url: str) -> RealData:
    return RealData(
        {"galaxy10_sdss": write_galaxy10_sdss(folder / "Galaxy10.h5")},
        [
            "Galaxy10 SDSS from http://127.0.0.1",
            "600 of 640 images chosen at random",
            "resized 69->32 px",
            f"left out class 5 ({GALAXY10_CLASSES['sdss'][5]})",  # SDSS's rarest class
            GALAXY10_CLASSES["sdss"][3],
        ],
    )  # a class name only SDSS has


def lab04(folder: Path, base_url: str) -> RealData:
    archive = write_lens_challenge(folder / "GroundBasedTraining.tar.gz")
    return RealData(
        {},
        [
            "lens stamps from",
            "bands ('u', 'g', 'r', 'i') | images (120, 101, 101, 4)",
            "challenge_auroc =",
            "on 120 challenge stamps: TPR0",
        ],
        stand_in=["No challenge stamps"],
        env={"COURSE_LENS_DATA": str(archive)},
    )


# PLAsTiCC's target numbers (Kessler et al. 2019): the 14 classes of its training set.
PLASTICC_TARGETS = (6, 15, 16, 42, 52, 53, 62, 64, 65, 67, 88, 90, 92, 95)


def write_plasticc_record(folder: Path, base_url: str, n: int = 280, seed: int = 3) -> str:
    """PLAsTiCC's two training-set files (the published columns) and the Zenodo record (API format, md5
    checksums, links) that lists them, in ``folder``; returns the records API address to use."""
    rng = np.random.default_rng(seed)
    metadata = [
        "object_id,ra,decl,gal_l,gal_b,ddf,hostgal_specz,hostgal_photoz,hostgal_photoz_err,distmod,mwebv,target"
    ]
    curves = ["object_id,mjd,passband,flux,flux_err,detected_bandwise"]
    for i in range(n):
        obj, target = 1000 + i, PLASTICC_TARGETS[i % len(PLASTICC_TARGETS)]
        metadata.append(
            f"{obj},{rng.uniform(0, 360):.6f},{rng.uniform(-60, 0):.6f},0,0,0,0.1,0.1,0.01,40.0,0.02,{target}"
        )
        for mjd in np.sort(rng.uniform(59580, 60500, int(rng.integers(20, 120)))):
            flux = rng.normal(200, 80)  # some negative after difference imaging, as in the real file
            curves.append(
                f"{obj},{mjd:.4f},{int(rng.integers(0, 6))},{flux:.6f},{abs(rng.normal(10, 2)):.6f},{int(flux > 50)}"
            )
    files = {"plasticc_train_metadata.csv.gz": metadata, "plasticc_train_lightcurves.csv.gz": curves}
    entries = []
    for name, lines in files.items():
        data = gzip.compress(("\n".join(lines) + "\n").encode())
        (folder / name).write_bytes(data)
        entries.append(
            {
                "key": name,
                "size": len(data),
                "checksum": "md5:" + hashlib.md5(data).hexdigest(),
                "links": {"self": f"{base_url.rstrip('/')}/{name}"},
            }
        )
    (folder / "records").mkdir()
    (folder / "records" / "2539456").write_text(json.dumps({"id": 2539456, "files": entries}))
    return f"{base_url.rstrip('/')}/records"


def lab05(folder: Path, base_url: str) -> RealData:
    api = write_plasticc_record(folder, base_url)
    return RealData(
        {},
        ["PLAsTiCC training set (280 objects) from", "'SLSN_I': 20", "'uLens_single': 20"],
        env={"COURSE_ZENODO_API": api},
    )


LABS: dict[str, Callable[[Path, str], RealData]] = {
    "solutions/02_mnist_cnn.ipynb": lab02,
    "solutions/03_galaxy_morphology.ipynb": lab03,
    "solutions/04_strong_lenses.ipynb": lab04,
    "solutions/05_light_curves.ipynb": lab05,
}
