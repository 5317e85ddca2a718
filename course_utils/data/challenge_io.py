"""Lens stamps on disk in the layout of the strong-lens finding challenge (Metcalf et al. 2019).

The challenge data of the Bologna Lens Factory hold one FITS image per object and band, one folder per
band, named ``Band<k>/image<SURVEY>_<BAND>-<ID>.fits`` (the ground-based set: ``Band1/imageSDSS_R-100002.fits``,
``Band2/imageSDSS_I-100002.fits``, ...), and a CSV catalog, ``classifications.csv``, whose columns are
ID, is_lens, Einstein_area, numb_pix_lensed_image, flux_lensed_image_in_sigma. The simulator's stamps are
written the same way (the catalog's other truth columns follow those five), so one reader serves both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.table import Table
from tqdm.auto import tqdm

CATALOG_NAME = "classifications.csv"
"""File name of the catalog inside a challenge folder."""

CHALLENGE_COLUMNS = ("ID", "is_lens", "Einstein_area", "numb_pix_lensed_image", "flux_lensed_image_in_sigma")
"""The challenge catalog's columns, in its spelling (the simulator's catalog calls the area ``einstein_area``)."""

_FILE_NAME = re.compile(r"^image(?P<survey>[^_]*)_(?P<band>.+)-(?P<id>\d+)\.fits$")
_BAND_FOLDER = re.compile(r"^Band(\d+)$")


def write_challenge_folder(
    images: np.ndarray,
    catalog: Table,
    path,
    *,
    bands: Sequence[str] | None = None,
    survey: str = "SIM",
    progress: bool = False,
) -> Path:
    """Write stamps (n, H, W, n_bands) as ``path/Band<k>/image<survey>_<BAND>-<ID>.fits`` and a catalog
    ``path/classifications.csv``.

    ``catalog`` has one row per image and at least the column ``ID``; the challenge's five columns come
    first in the CSV, then every other column. ``bands`` defaults to ``catalog.meta["bands"]``. FITS headers
    record the ID, the band and, when the catalog's meta has them, the pixel scale, zero point and sky level.
    Returns the folder.
    """
    images = np.asarray(images)
    bands = list(bands if bands is not None else catalog.meta.get("bands", ()))
    if images.ndim != 4:
        raise ValueError(f"images must have shape (n, H, W, n_bands), got {images.shape}")
    if len(bands) != images.shape[-1]:
        raise ValueError(
            f"{images.shape[-1]} bands in the images but band names {bands}: pass bands=[...] with one name per channel"
        )
    if len(catalog) != len(images) or "ID" not in catalog.colnames:
        raise ValueError(
            f"catalog needs an ID column and one row per image ({len(images)} images, {len(catalog)} rows)"
        )
    if not re.fullmatch(r"[A-Za-z0-9]*", survey):
        raise ValueError(f"survey must be letters and digits only (it is part of file names), got {survey!r}")
    folder = Path(path)
    ids = np.asarray(catalog["ID"])
    for k, band in enumerate(bands):
        band_folder = folder / f"Band{k + 1}"
        band_folder.mkdir(parents=True, exist_ok=True)
        template = _band_header(band, catalog.meta)  # built once per band: making cards costs more than writing
        stamps = np.asarray(images[..., k], dtype=np.float32)
        for index in tqdm(range(len(images)), desc=f"Band{k + 1} ({band})", disable=not progress):
            header = template.copy()
            header["OBJ_ID"] = int(ids[index])
            fits.PrimaryHDU(stamps[index], header=header).writeto(
                band_folder / f"image{survey}_{band.upper()}-{ids[index]}.fits", overwrite=True
            )
    table = Table(catalog, copy=True)
    table.meta.clear()
    if "einstein_area" in table.colnames:
        table.rename_column("einstein_area", "Einstein_area")
    first = [c for c in CHALLENGE_COLUMNS if c in table.colnames]
    table = table[first + [c for c in table.colnames if c not in first]]
    table.write(folder / CATALOG_NAME, format="ascii.csv", overwrite=True)
    return folder


def _band_header(band: str, meta) -> fits.Header:
    """FITS header cards shared by every stamp of one band (OBJ_ID is a placeholder, set per stamp)."""
    header = fits.Header()
    header["OBJ_ID"] = (0, "object ID, as in the catalog")
    header["BAND"] = (band, "photometric band")
    if "pixel_scale" in meta:
        header["PIXSCALE"] = (meta["pixel_scale"], "arcsec per pixel")
    if "zero_point" in meta:
        header["MAGZP"] = (meta["zero_point"], "magnitude giving 1 count")
    if band in meta.get("sky_counts", {}):
        header["SKYLEVEL"] = (meta["sky_counts"][band], "sky subtracted, counts per pixel")
    if "psf" in meta:
        header["PSF"] = (meta["psf"], "point-spread function profile")
    return header


def read_challenge_folder(path, n: int | None = None, *, progress: bool = False) -> tuple[np.ndarray, Table]:
    """Read a challenge-layout folder: float32 images (n, H, W, n_bands), channels in Band1, Band2, ... order,
    and the catalog rows of those images (ID order), with ``Einstein_area`` renamed ``einstein_area``.

    ``n`` keeps the first n IDs. Without ``classifications.csv`` (e.g. a challenge test set) the catalog
    holds only ID. ``catalog.meta["bands"]`` names the bands, from the file names; the pixel scale, zero
    point, PSF and sky levels come from the FITS headers when they are there.
    """
    folder = Path(path)
    band_folders = sorted(
        (int(m.group(1)), p) for p in folder.glob("Band*") if p.is_dir() and (m := _BAND_FOLDER.match(p.name))
    )
    if not band_folders:
        raise FileNotFoundError(
            f"no Band<k> folders in {folder}: expected the lens-finding challenge layout "
            "Band1/image<SURVEY>_<BAND>-<ID>.fits (see write_challenge_folder)"
        )
    files, bands = [], []
    for _, band_folder in band_folders:
        matches = [m for p in band_folder.iterdir() if (m := _FILE_NAME.match(p.name))]
        if not matches:
            raise FileNotFoundError(f"no image<SURVEY>_<BAND>-<ID>.fits files in {band_folder}")
        files.append({int(m.group("id")): band_folder / m.string for m in matches})
        bands.append(matches[0].group("band").lower())
    ids = sorted(files[0])
    for (_, band_folder), band_files in zip(band_folders, files):
        if set(band_files) != set(ids):
            missing = sorted(set(ids).symmetric_difference(band_files))[:5]
            raise ValueError(
                f"{band_folder} and {band_folders[0][1]} hold different IDs (e.g. {missing}); "
                "every band needs one image per object"
            )
    if n is not None:
        if n < 0:
            raise ValueError(f"n must be a non-negative number of objects, got {n}")
        ids = ids[:n]

    first = fits.getdata(files[0][ids[0]]) if ids else np.zeros((0, 0))
    images = np.empty((len(ids), *first.shape, len(bands)), np.float32)
    for row, object_id in enumerate(tqdm(ids, desc="reading FITS", disable=not progress)):
        for k, band_files in enumerate(files):
            images[row, ..., k] = fits.getdata(band_files[object_id])

    catalog_path = folder / CATALOG_NAME
    if catalog_path.exists():
        table = Table.read(catalog_path, format="ascii.csv")
        if "Einstein_area" in table.colnames:
            table.rename_column("Einstein_area", "einstein_area")
        position = {int(i): row for row, i in enumerate(table["ID"])}
        absent = [i for i in ids if i not in position]
        if absent:
            raise ValueError(f"{catalog_path} has no row for IDs {absent[:5]} of the images")
        catalog = table[[position[i] for i in ids]]
    else:
        catalog = Table({"ID": np.array(ids, dtype=int)})
    catalog.meta.update(_meta_from_headers(files, bands, ids))
    return images, catalog


def _meta_from_headers(files, bands, ids) -> dict:
    """Catalog meta (bands, size, pixel scale, zero point, PSF, sky per band) from the first object's headers."""
    meta = {"bands": bands}
    if not ids:
        return meta
    headers = [fits.getheader(band_files[ids[0]]) for band_files in files]
    meta["size"] = headers[0]["NAXIS1"]
    for key, name in (("PIXSCALE", "pixel_scale"), ("MAGZP", "zero_point"), ("PSF", "psf")):
        if key in headers[0]:
            meta[name] = headers[0][key]
    if all("SKYLEVEL" in h for h in headers):
        meta["sky_counts"] = {band: h["SKYLEVEL"] for band, h in zip(bands, headers)}
    return meta
