"""Simulated galaxy-scale strong lenses and look-alike non-lenses, in several bands, with a truth catalog.

A lens is a singular isothermal ellipsoid (SIE, Kormann et al. 1994) in an external shear, with a red
elliptical Sérsic galaxy as its light, deflecting the light of a blue Sérsic source into arcs and rings.
Non-lenses are the same red galaxies alone, with a blue star-forming core, with an unlensed blue
neighbour, or with ring-, arc- or spiral-arm-shaped blue light that is NOT lensed: the look-alikes that
fool lens finders. Each stamp is blurred by a Gaussian or Moffat point-spread function (the same in every
band), then gets sky and Poisson noise; the sky is subtracted, as in survey cut-outs.

Conventions (those of lenstronomy, the field's reference code, which the tests compare against):

- angles in arcsec; x grows with the column index, y with the row index of an image (show stamps with
  ``origin="lower"``); pixel (row j, column i) of a ``size``-pixel stamp is centred on
  x = (i - (size - 1) / 2) * pixel_scale, y = (j - (size - 1) / 2) * pixel_scale;
- ellipticity as eccentricities (e1, e2): axis ratio q = (1 - |e|) / (1 + |e|), position angle of the
  major axis phi = arctan2(e2, e1) / 2 from the x axis;
- SIE: convergence kappa = theta_E / (2 sqrt(q x'^2 + y'^2 / q)) in the frame of the major axis, so
  the critical curve of an SIE without shear encloses an area pi theta_E^2 whatever q;
- Sérsic light: lenstronomy's "SERSIC_ELLIPSE" (:func:`course_utils.sims.profiles.sersic_ellipse`, whose
  module states the b_n convention); geometry, PSFs and noise draws come from the same module;
- fluxes in counts of an exposure with zero point ``ZERO_POINT`` (a magnitude-30 source gives 1 count).

The signal-to-noise ratio (S/N) of a lensed source or a contaminant is the background-limited
matched-filter S/N summed over bands, sqrt(sum over pixels and bands of s^2 / b), where s is its
PSF-blurred image and b the variance of everything else (sky and the other light) in counts.
:func:`render_lenses` scales each source and contaminant to the S/N its catalog row asks for.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.fft
from astropy.table import Table

from course_utils.sims.profiles import (
    axis_ratio_to_ellipticity,
    ellipticity_to_axis_ratio,
    loguniform,
    psf_on_grid,
    rotate,
    scaled_axes,
    sersic_along_axes,
    sersic_of_squared_ratio,
    sersic_total_flux,
    standard_normal,
)

ZERO_POINT = 30.0
"""Magnitude of a source that gives one count in the simulated exposure."""

BAND_ORDER = ("u", "g", "r", "i", "z")
"""Bands the simulator knows, from blue to red."""

SKY_MAG = {"u": 22.9, "g": 22.3, "r": 21.2, "i": 20.5, "z": 19.6}
"""Dark-sky surface brightness per band in mag/arcsec^2 (typical of a good ground-based site)."""

LENS_COLOUR = {"u": 2.9, "g": 1.4, "r": 0.0, "i": -0.5, "z": -0.85}
"""Magnitude minus r-band magnitude of a red elliptical at redshift ~0.4 (the lens galaxies)."""

SOURCE_COLOUR = {"u": 0.5, "g": 0.3, "r": 0.0, "i": -0.15, "z": -0.25}
"""Magnitude minus r-band magnitude of a blue star-forming galaxy at redshift ~1.5 (sources, contaminants)."""

NON_LENS_KINDS = {"galaxy": 0.2, "core": 0.15, "neighbour": 0.2, "ring": 0.15, "arc": 0.15, "spiral": 0.15}
"""Kinds of non-lenses and their shares: a red galaxy alone, with a blue star-forming core, with an
unlensed blue neighbour, or with unlensed blue light shaped as a ring, as arcs or as spiral arms around it."""

COMPACT_CONTAMINANTS = ("core", "neighbour")
"""Non-lens kinds whose blue light is a Sérsic galaxy (the others are rings, arcs and spirals)."""

COMPANION_PROBABILITY = 0.3
"""Chance that an unrelated galaxy shares the stamp, for lenses and non-lenses alike."""

SOURCE_SUPERSAMPLING = 2
"""Lensed sources are sampled on this many points per pixel side (arcs can be thinner than a pixel); the
renderer averages 2 x 2 blocks."""

ID_START = 100000
"""ID of the first object, as in the lens-finding challenge (Metcalf et al. 2019)."""


# --------------------------------------------------------------------------------------------------
# Lens and light profiles


def sie_deflection(x, y, theta_E, e1, e2, center_x=0.0, center_y=0.0):
    """Deflection (alpha_x, alpha_y) in arcsec of a singular isothermal ellipsoid at positions (x, y).

    Kormann et al. (1994) in lenstronomy's "SIE" convention: ``theta_E`` (arcsec) is the radius of the
    circle with the area of the critical curve; (e1, e2) are eccentricities. Parameters broadcast against
    x and y (e.g. x of shape (1, H, W) and parameters of shape (n, 1, 1) give (n, H, W)); the arithmetic
    is done in the dtype of the inputs, so float32 inputs give a fast float32 result.
    """
    dtype = np.result_type(x, y, theta_E, e1, e2, center_x, center_y, np.float32)
    q, phi, s, scale = _sie_axes(theta_E, e1, e2, dtype)
    xr, yr = rotate(x - center_x, y - center_y, np.asarray(phi, dtype))
    ax, ay = _sie_deflection_along_axes(np.array(xr, dtype), np.array(yr, dtype), q, s)
    ax *= scale
    ay *= scale
    cos, sin = np.cos(phi).astype(dtype), np.sin(phi).astype(dtype)
    alpha_x = np.asarray(cos * ax)  # back to the sky's axes: (cos ax - sin ay, sin ax + cos ay)
    alpha_x -= sin * ay
    np.multiply(sin, ax, out=ax)
    ax += np.multiply(cos, ay, out=ay)
    return alpha_x, ax


def _sie_axes(theta_E, e1, e2, dtype):
    """(q, phi, s, b / s) of an SIE: axis ratio, major-axis angle (radians), s = sqrt(1 - q^2) and the
    deflection scale (b = theta_E sqrt(q), the critical radius of the major-axis form), in ``dtype``."""
    e = np.hypot(e1, e2)
    if np.any(e >= 1):
        raise ValueError(f"SIE eccentricity sqrt(e1^2 + e2^2) must be below 1; got up to {np.max(e):.4g}")
    q = (1 - e) / (1 + e)
    phi = 0.5 * np.arctan2(e2, e1)
    # sqrt(1 - q^2) written without cancellation; at q = 1 the limit arctan(u*s)/s -> u is reached with a
    # floor at which the neglected term (s^2 u^2 / 3) is below the rounding error of the dtype.
    s = np.maximum(2 * np.sqrt(e) / (1 + e), np.sqrt(np.finfo(dtype).eps))
    return tuple(np.asarray(a, dtype) for a in (q, phi, s, theta_E * np.sqrt(q) / s))


def _sie_deflection_along_axes(xr, yr, q, s, psi=None, square=None):
    """SIE deflection along its axes in units of b / s, (arctan(s x' / psi), arctanh(s y' / psi)) with
    psi = sqrt(q^2 x'^2 + y'^2), at offsets (xr, yr) along the major and minor axes (arrays, overwritten),
    using the arrays ``psi`` and ``square`` of their shape as scratch if given."""
    # In place, on as few temporaries as the formula allows: this runs on every supersampled pixel.
    psi = np.multiply(q, xr, out=psi)
    psi *= psi
    psi += np.multiply(yr, yr, out=square)
    np.sqrt(psi, out=psi)
    psi += np.finfo(psi.dtype).tiny  # the centre: 0 / tiny = 0 instead of 0 / 0
    for offset in (xr, yr):
        offset *= s
        offset /= psi
    return np.arctan(xr, out=xr), np.arctanh(yr, out=yr)


def shear_deflection(x, y, gamma1, gamma2):
    """Deflection (alpha_x, alpha_y) of an external shear (gamma1, gamma2) about the origin (lenstronomy "SHEAR")."""
    return gamma1 * x + gamma2 * y, gamma2 * x - gamma1 * y


def ray_shoot(x, y, theta_E, e1, e2, gamma1, gamma2, center_x=0.0, center_y=0.0):
    """Source-plane positions (beta_x, beta_y) of image-plane positions (x, y): SIE plus shear about its centre."""
    dx, dy = x - center_x, y - center_y
    ax, ay = sie_deflection(dx, dy, theta_E, e1, e2)
    sx, sy = shear_deflection(dx, dy, gamma1, gamma2)
    np.subtract(x, ax, out=ax)
    np.subtract(y, ay, out=ay)
    ax -= sx
    ay -= sy
    return ax, ay


def einstein_area(theta_E, e1, e2, gamma1=0.0, gamma2=0.0, n_angles=256):
    """Area (arcsec^2) inside the tangential critical curve of an SIE in an external shear.

    The SIE's Hessian falls as 1/r along each direction phi, so det(1 - Hessian - shear) = 0 has one root
    r(phi) = b (1 - gamma1 cos 2phi - gamma2 sin 2phi) / (psi(phi) (1 - gamma^2)); the area is the
    integral of r^2 / 2 over phi, summed on ``n_angles`` equal steps (for a smooth periodic function the
    error falls exponentially with the number of steps). Without shear it is pi theta_E^2.
    """
    q, phi_lens = ellipticity_to_axis_ratio(np.asarray(e1, float), np.asarray(e2, float))
    theta_E, q, phi_lens, gamma1, gamma2 = (
        np.asarray(a, float)[..., None] for a in (theta_E, q, phi_lens, gamma1, gamma2)
    )
    if np.any(gamma1**2 + gamma2**2 >= 1):
        raise ValueError("external shear |gamma| must be below 1")
    phi = np.linspace(0, 2 * np.pi, n_angles, endpoint=False)
    cos, sin, cos_lens, sin_lens = np.cos(phi), np.sin(phi), np.cos(phi_lens), np.sin(phi_lens)
    # psi^2 = q^2 cos^2(phi - phi_lens) + sin^2(phi - phi_lens), by the angle-difference formulas: no
    # trigonometry on the (n, n_angles) grid, and r^2 needs no square root.
    psi2 = np.square(q * (cos * cos_lens + sin * sin_lens)) + np.square(sin * cos_lens - cos * sin_lens)
    tangential = np.square(1 - gamma1 * np.cos(2 * phi) - gamma2 * np.sin(2 * phi))
    mean_r2_over_b2 = np.mean(tangential / psi2, axis=-1) / np.square(1 - gamma1**2 - gamma2**2)[..., 0]
    return np.pi * (theta_E**2 * q)[..., 0] * mean_r2_over_b2


def ring_arc_profile(x, y, radius, width, e1, e2, center_x, center_y, arms, pitch_cot, azimuth, sharpness):
    """Unlensed ring, arcs or spiral arms: a Gaussian ring of ``radius`` and ``width`` (arcsec), modulated in angle.

    The modulation is ((1 + cos(arms (phi - azimuth) - arms pitch_cot ln(R / radius))) / 2)^sharpness:
    sharpness 0 gives a full ring, pitch_cot 0 gives ``arms`` arcs centred on ``azimuth``, pitch_cot =
    cot(pitch angle) gives logarithmic spiral arms. R is the elliptical radius of (e1, e2). Peak value 1.
    """
    q, phi = ellipticity_to_axis_ratio(e1, e2)
    dtype = np.result_type(x, y, radius, width, np.float32)
    xr, yr = rotate(x - center_x, y - center_y, np.asarray(phi, dtype))
    q = np.asarray(q, dtype)
    r = np.sqrt(q * xr * xr + yr * yr / q)
    ring = np.exp(-0.5 * ((r - radius) / width) ** 2)
    winding = np.log(np.maximum(r / radius, np.finfo(dtype).tiny))  # finite at the centre
    phase = arms * (np.arctan2(yr, xr) - azimuth) - arms * pitch_cot * winding
    return ring * (0.5 + 0.5 * np.cos(phase)) ** sharpness


# --------------------------------------------------------------------------------------------------
# Population


def _random_ellipticity(rng, q_low, q_high, n):
    return axis_ratio_to_ellipticity(rng.uniform(q_low, q_high, n), rng.uniform(0, np.pi, n))


def _offset(rng, r_low, r_high, n):
    r, angle = rng.uniform(r_low, r_high, n), rng.uniform(0, 2 * np.pi, n)
    return r * np.cos(angle), r * np.sin(angle)


def _check_bands(bands: Sequence[str]) -> tuple[str, ...]:
    bands = tuple(bands)
    unknown = [b for b in bands if b not in BAND_ORDER]
    if not bands or unknown or len(set(bands)) != len(bands):
        raise ValueError(f"bands must be distinct names among {BAND_ORDER}, got {bands}")
    return bands


def _check_range(name, value, low, high):
    lo, hi = value
    if not low <= lo <= hi <= high:
        raise ValueError(f"{name} must be (low, high) with {low} <= low <= high <= {high}, got {value}")
    return float(lo), float(hi)


def sample_lens_population(
    n: int,
    *,
    lens_fraction: float = 0.5,
    theta_E_range: tuple[float, float] = (0.5, 3.0),
    snr_range: tuple[float, float] = (5.0, 200.0),
    seeing: tuple[float, float] = (0.6, 1.0),
    bands: Sequence[str] = ("g", "r", "i"),
    seed=0,
) -> Table:
    """Draw the true parameters of ``n`` lenses and non-lenses (no images): one catalog row per object.

    Lenses (share ``lens_fraction``) have Einstein radii uniform in ``theta_E_range`` (arcsec) and lensed
    images of S/N log-uniform in ``snr_range``; non-lenses are of the kinds of ``NON_LENS_KINDS``, their
    blue feature of S/N drawn from the same range. Seeing FWHM (arcsec) is uniform in ``seeing``. Lengths in
    arcsec, positions relative to the stamp centre. Source and contaminant magnitudes are provisional
    (they fix the colours): :func:`render_lenses` scales them to the asked S/N. Columns that do not apply
    to a row are NaN (0 for S/N); non-lenses keep their galaxy's mass (theta_E, einstein_area), with
    nothing behind it to lens.
    """
    bands = _check_bands(bands)
    columns = _population_columns(n, lens_fraction, theta_E_range, snr_range, seeing, bands, seed)
    return Table(columns, meta={"bands": list(bands), "zero_point": ZERO_POINT}, copy=False)


def _population_columns(n, lens_fraction, theta_E_range, snr_range, seeing, bands, seed) -> dict[str, np.ndarray]:
    """The columns of :func:`sample_lens_population`, as arrays (an astropy Table is built once, by the caller)."""
    if not (isinstance(n, (int, np.integer)) and n >= 0):
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if not 0 <= lens_fraction <= 1:
        raise ValueError(f"lens_fraction must be between 0 and 1, got {lens_fraction}")
    theta_low, theta_high = _check_range("theta_E_range", theta_E_range, 0.05, 10.0)
    snr_low, snr_high = _check_range("snr_range", snr_range, 0.1, 1e5)
    seeing_low, seeing_high = _check_range("seeing", seeing, 0.01, 5.0)
    rng = np.random.default_rng(seed)
    nan = np.full(n, np.nan)

    is_lens = rng.random(n) < lens_fraction
    names, shares = list(NON_LENS_KINDS), np.array(list(NON_LENS_KINDS.values()))
    kind = np.where(is_lens, "lens", rng.choice(np.array(names), size=n, p=shares / shares.sum()))
    t = {}
    t["ID"] = ID_START + np.arange(n)
    t["is_lens"] = is_lens.astype(int)
    t["kind"] = kind

    # The deflector: its light is a red elliptical, its mass roughly aligned with the light.
    light_q, light_phi = rng.uniform(0.5, 1.0, n), rng.uniform(0, np.pi, n)
    mass_q = np.clip(light_q + rng.normal(0, 0.05, n), 0.4, 1.0)
    mass_phi = light_phi + rng.normal(0, np.radians(10), n)
    shear, shear_angle = np.minimum(rng.rayleigh(0.03, n), 0.15), rng.uniform(0, np.pi, n)
    t["theta_E"] = rng.uniform(theta_low, theta_high, n)
    t["lens_x"], t["lens_y"] = rng.uniform(-0.1, 0.1, (2, n))
    t["lens_e1"], t["lens_e2"] = axis_ratio_to_ellipticity(mass_q, mass_phi)
    t["gamma1"], t["gamma2"] = shear * np.cos(2 * shear_angle), shear * np.sin(2 * shear_angle)
    t["einstein_area"] = einstein_area(t["theta_E"], t["lens_e1"], t["lens_e2"], t["gamma1"], t["gamma2"])
    t["lens_light_r_eff"] = np.clip(t["theta_E"] * 10 ** rng.normal(0.1, 0.15, n), 0.3, 4.0)
    t["lens_light_n"] = rng.uniform(2.5, 6.0, n)
    t["lens_light_e1"], t["lens_light_e2"] = axis_ratio_to_ellipticity(light_q, light_phi)
    lens_r = 20.0 - 5 * np.log10(t["theta_E"]) + rng.normal(0, 0.3, n)  # massive lenses are bright
    for b in bands:
        t[f"lens_mag_{b}"] = lens_r + LENS_COLOUR[b] + rng.normal(0, 0.05, n)

    # The source, for lenses: inside about the caustic region, so most are multiply imaged.
    radius, angle = t["theta_E"] * 0.8 * np.sqrt(rng.random(n)), rng.uniform(0, 2 * np.pi, n)
    source = {
        "source_x": t["lens_x"] + radius * np.cos(angle),
        "source_y": t["lens_y"] + radius * np.sin(angle),
        "source_r_eff": loguniform(rng, 0.1, 0.5, n),
        "source_n": rng.uniform(0.5, 2.0, n),
    }
    source["source_e1"], source["source_e2"] = _random_ellipticity(rng, 0.4, 1.0, n)
    source_r = rng.uniform(22, 25, n)
    for b in bands:
        source[f"source_mag_{b}"] = source_r + SOURCE_COLOUR[b] + rng.normal(0, 0.1, n)
    for name, value in source.items():
        t[name] = np.where(is_lens, value, nan)
    t["snr"] = np.where(is_lens, loguniform(rng, snr_low, snr_high, n), 0.0)

    # Contaminants of the non-lenses: blue light that is not lensed, as bright as the lensed sources.
    # Blue cores (central star formation) sit within 0.15 arcsec of the centre and neighbours (projected
    # or satellite star-forming galaxies) come as close as 0.3 arcsec: inside the seeing disc both look
    # like the blurred images of the smallest lenses, and only the shape of the light can tell them apart.
    ringlike, spiral, arc = np.isin(kind, ["ring", "arc", "spiral"]), kind == "spiral", kind == "arc"
    compact = np.isin(kind, COMPACT_CONTAMINANTS)
    offset_x, offset_y = np.where(kind == "core", _offset(rng, 0.0, 0.15, n), _offset(rng, 0.3, 3.5, n))
    t["contaminant_x"] = np.where(compact, t["lens_x"] + offset_x, np.where(ringlike, t["lens_x"], nan))
    t["contaminant_y"] = np.where(compact, t["lens_y"] + offset_y, np.where(ringlike, t["lens_y"], nan))
    e1, e2 = _random_ellipticity(rng, 0.3, 1.0, n)
    ring_e1, ring_e2 = _random_ellipticity(rng, 0.6, 1.0, n)
    t["contaminant_e1"] = np.where(compact, e1, np.where(ringlike, ring_e1, nan))
    t["contaminant_e2"] = np.where(compact, e2, np.where(ringlike, ring_e2, nan))
    t["contaminant_r_eff"] = np.where(compact, loguniform(rng, 0.1, 0.6, n), nan)
    t["contaminant_n"] = np.where(compact, rng.uniform(0.5, 2.0, n), nan)
    ring_radius = rng.uniform(theta_low, theta_high, n)
    t["contaminant_radius"] = np.where(ringlike, ring_radius, nan)
    t["contaminant_width"] = np.where(
        spiral, ring_radius * rng.uniform(0.3, 0.6, n), np.where(ringlike, rng.uniform(0.1, 0.35, n), nan)
    )
    t["contaminant_arms"] = np.where(spiral, 2.0, np.where(arc, rng.integers(1, 3, n), np.where(ringlike, 1.0, nan)))
    t["contaminant_pitch_cot"] = np.where(
        spiral, 1 / np.tan(np.radians(rng.uniform(12, 30, n))), np.where(ringlike, 0.0, nan)
    )
    t["contaminant_azimuth"] = np.where(ringlike, rng.uniform(0, 2 * np.pi, n), nan)
    t["contaminant_sharpness"] = np.where(
        spiral, rng.uniform(1.5, 4.0, n), np.where(arc, rng.uniform(2.0, 10.0, n), np.where(ringlike, 0.0, nan))
    )
    has_contaminant = compact | ringlike
    contaminant_r = rng.uniform(22, 25, n)
    for b in bands:
        t[f"contaminant_mag_{b}"] = np.where(
            has_contaminant, contaminant_r + SOURCE_COLOUR[b] + rng.normal(0, 0.1, n), nan
        )
    t["contaminant_snr"] = np.where(has_contaminant, loguniform(rng, snr_low, snr_high, n), 0.0)

    # An unrelated galaxy, red or blue, in any stamp: its presence tells nothing about lensing.
    companion = rng.random(n) < COMPANION_PROBABILITY
    offset_x, offset_y = _offset(rng, 2.5, 5.5, n)
    t["companion"] = companion.astype(int)
    t["companion_x"] = np.where(companion, t["lens_x"] + offset_x, nan)
    t["companion_y"] = np.where(companion, t["lens_y"] + offset_y, nan)
    e1, e2 = _random_ellipticity(rng, 0.4, 1.0, n)
    t["companion_e1"], t["companion_e2"] = np.where(companion, e1, nan), np.where(companion, e2, nan)
    t["companion_r_eff"] = np.where(companion, loguniform(rng, 0.2, 0.8, n), nan)
    t["companion_n"] = np.where(companion, rng.uniform(0.5, 4.0, n), nan)
    companion_r, red = rng.uniform(20, 23.5, n), rng.random(n) < 0.5
    for b in bands:
        colour = np.where(red, LENS_COLOUR[b], SOURCE_COLOUR[b]) + rng.normal(0, 0.1, n)
        t[f"companion_mag_{b}"] = np.where(companion, companion_r + colour, nan)

    t["seeing_fwhm"] = rng.uniform(seeing_low, seeing_high, n)
    return t


# --------------------------------------------------------------------------------------------------
# Rendering


def sky_counts(bands: Sequence[str], pixel_scale: float) -> np.ndarray:
    """Sky level per pixel (counts) in each band, shape (n_bands,)."""
    return np.array([10 ** (-0.4 * (SKY_MAG[b] - ZERO_POINT)) * pixel_scale**2 for b in _check_bands(bands)])


def _fluxes(columns, prefix, bands):
    """Band fluxes (counts) of the magnitude columns ``prefix_<band>``, float32 of shape (n, n_bands, 1, 1)."""
    mags = np.stack([columns[f"{prefix}_{b}"] for b in bands], axis=-1)
    return (10 ** (-0.4 * (mags - ZERO_POINT))).astype(np.float32)[..., None, None]


def _column(rows, name, index=slice(None)):
    """Catalog column as float32 of shape (n, 1, 1), to broadcast against the (1, H, W) pixel grid."""
    return rows[name][index].astype(np.float32)[:, None, None]


SERSIC_LIGHTS = {"lens_light": "lens", "contaminant": "contaminant", "companion": "companion"}
"""Catalog prefixes of the Sérsic light of lens galaxies, compact contaminants and companions, and of their centres."""


def _sersic_coefficients(columns):
    """What :func:`_unit_sersic` needs of each object for each of the ``SERSIC_LIGHTS``, computed once per
    catalog (NaN where an object has no such light): float32 arrays ``<prefix>_<a|b|c|d|n|amp|x|y>``."""
    coefficients = {}
    for prefix, centre in SERSIC_LIGHTS.items():
        f32 = {p: columns[f"{prefix}_{p}"].astype(np.float32) for p in ("r_eff", "n", "e1", "e2")}
        with np.errstate(invalid="ignore"):  # NaN where there is no such light
            axes = scaled_axes(f32["r_eff"], f32["e1"], f32["e2"], np.float32)
            amp = 1 / sersic_total_flux(1.0, columns[f"{prefix}_r_eff"], columns[f"{prefix}_n"])
        values = dict(zip("abcd", axes), n=f32["n"], amp=amp, x=columns[f"{centre}_x"], y=columns[f"{centre}_y"])
        coefficients.update({f"{prefix}_{name}": value.astype(np.float32) for name, value in values.items()})
    return coefficients


def _unit_sersic(x, y, rows, prefix, index):
    """Sérsic of total flux 1 (surface brightness per arcsec^2) of the ``SERSIC_LIGHTS`` ``prefix`` of the
    objects ``index`` of the chunk ``rows``, on the grid x (1, 1, W), y (1, H, 1)."""

    def per_object(name):
        return rows["sersic"][f"{prefix}_{name}"][index][:, None, None]

    axes = tuple(per_object(name) for name in "abcd")
    dx, dy = x - per_object("x"), y - per_object("y")
    return sersic_along_axes(dx, dy, axes, per_object("n"), per_object("amp"), np.float32)


def _lensing_coefficients(columns):
    """What :func:`_lensed_sources` needs of each object of the catalog ``columns``, computed once per catalog
    (NaN for objects without a lensed source): float32 arrays, the catalog's length first.

    The lens equation is solved along the SIE's own axes, and the source's elliptical coordinates
    (u, v) = S R_s (beta - c_s), an affine map of beta = x - alpha(x) - Gamma (x - c), become
    (u, v) = A (x - c) + o - B alpha', with alpha' the deflection along the SIE's axes in units of b / s.
    """
    with np.errstate(invalid="ignore"):  # NaN source columns of the non-lenses
        q, phi, s, scale = _sie_axes(columns["theta_E"], columns["lens_e1"], columns["lens_e2"], np.float64)
        source_q, source_phi = ellipticity_to_axis_ratio(columns["source_e1"], columns["source_e2"])
        r_eff, n = columns["source_r_eff"], columns["source_n"]

        def turn(angle):  # (m, 2, 2): offsets along the sky's axes -> along axes turned by angle
            cos, sin = np.cos(angle), np.sin(angle)
            return np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)

        g1, g2 = columns["gamma1"], columns["gamma2"]
        one_minus_shear = np.stack([np.stack([1 - g1, -g2], -1), np.stack([-g2, 1 + g1], -1)], -2)
        scales = np.stack([np.sqrt(source_q) / r_eff, 1 / (np.sqrt(source_q) * r_eff)], -1)
        to_source = scales[..., None] * turn(source_phi)
        lens_centre = np.stack([columns["lens_x"], columns["lens_y"]], -1)
        source_offset = lens_centre - np.stack([columns["source_x"], columns["source_y"]], -1)
        coefficients = {
            "centre": lens_centre,
            "to_axes": turn(phi),
            "q": q,
            "s": s,
            "a": to_source @ one_minus_shear,  # (u, v) per unit offset from the lens centre
            "b": (to_source @ turn(phi).transpose(0, 2, 1)) * scale[:, None, None],  # per unit of alpha'
            "o": (to_source @ source_offset[..., None])[..., 0],
            "amp": 1 / sersic_total_flux(1.0, r_eff, n),
            "n": n,
        }
    return {name: value.astype(np.float32) for name, value in coefficients.items()}


def _lensed_sources(x, y, lensing, scratch):
    """Unit-flux Sérsic sources seen through their lenses on the grid x (1, 1, W), y (1, H, 1), of the
    :func:`_lensing_coefficients` ``lensing`` of m objects: (m, H, W), ``sersic_ellipse`` at the positions
    ``ray_shoot`` gives, in fewer passes: the terms in x and y are sums of a row and a column, and only the
    deflection is computed pixel by pixel. ``scratch``: four float32 arrays of shape (>= m, H, W), reused
    from chunk to chunk (fresh memory for every chunk costs page faults); the result is written in one."""

    def per_object(value):
        return value[:, None, None]

    def grid_terms(matrix):  # (m, 1, W) and (m, H, 1) terms of matrix (x - c): row plus column
        return per_object(matrix[:, 0]) * dx, per_object(matrix[:, 1]) * dy

    dx, dy = x - per_object(lensing["centre"][:, 0]), y - per_object(lensing["centre"][:, 1])
    xr_x, xr_y = grid_terms(lensing["to_axes"][:, 0])
    yr_x, yr_y = grid_terms(lensing["to_axes"][:, 1])
    xr, yr, work, r2 = (buffer[: len(dx)] for buffer in scratch)
    q, s = per_object(lensing["q"]), per_object(lensing["s"])
    ax, ay = _sie_deflection_along_axes(np.add(xr_x, xr_y, out=xr), np.add(yr_x, yr_y, out=yr), q, s, work, r2)
    a, b, o = lensing["a"], lensing["b"], lensing["o"]
    # u^2 + v^2 with (u, v) = A (x - c) + o - B alpha', on the four scratch arrays (a core's cache holds them
    # for a few objects): u in r2, then v in work, B alpha' written over alpha'.
    np.multiply(per_object(b[:, 0, 0]), ax, out=work)
    along_x, along_y = grid_terms(a[:, 0])
    np.add(along_x, along_y + per_object(o[:, 0]), out=r2)
    r2 -= work
    r2 -= np.multiply(per_object(b[:, 0, 1]), ay, out=work)
    r2 *= r2
    ax *= per_object(b[:, 1, 0])
    ax += np.multiply(per_object(b[:, 1, 1]), ay, out=ay)
    along_x, along_y = grid_terms(a[:, 1])
    np.add(along_x, along_y + per_object(o[:, 1]), out=work)
    work -= ax
    work *= work
    r2 += work
    return sersic_of_squared_ratio(r2, per_object(lensing["n"]), per_object(lensing["amp"]), np.float32)


def _means_of_2x2_blocks(fine):
    """Means (k, H, W) of the 2 x 2 blocks of ``fine`` (k, 2H, 2W): (a + b) + (c + d) over the block's rows,
    the same bits as numpy's ``mean(axis=(2, 4))``, in strided slices and 15 times faster."""
    k, height, width = fine.shape[0], fine.shape[1] // 2, fine.shape[2] // 2
    across = fine.reshape(k, 2 * height, width, 2)
    across = (across[..., 0] + across[..., 1]).reshape(k, height, 2, width)
    means = across[:, :, 0] + across[:, :, 1]
    means /= np.float32(4)
    return means


def _templates(rows, grid, pixel_scale, scratch):
    """Unconvolved unit-flux templates (surface brightness per arcsec^2) of the catalog ``rows``.

    Returns [(object indices, templates (m, H, W))] in the order lens light (every object), lensed
    sources, cores and neighbours, rings/arcs/spirals (each object has at most one of those "features"),
    companions; and the magnification of each lensed source (NaN for the other objects).
    """
    x, y, fine_x, fine_y, _ = grid
    kind, k = rows["kind"], len(rows["kind"])
    lens, compact = np.flatnonzero(kind == "lens"), np.flatnonzero(np.isin(kind, COMPACT_CONTAMINANTS))
    ringlike, companion = np.flatnonzero(np.isin(kind, ["ring", "arc", "spiral"])), np.flatnonzero(rows["companion"])
    templates = [(np.arange(k), _unit_sersic(x, y, rows, "lens_light", slice(None)))]
    magnification = np.full(k, np.nan)
    if len(lens):
        # Arcs can be thinner than a pixel: the source is sampled on a finer grid, then averaged per pixel.
        lensing = {name: value[lens] for name, value in rows["lensing"].items()}
        lensed = _means_of_2x2_blocks(_lensed_sources(fine_x, fine_y, lensing, scratch))
        magnification[lens] = lensed.sum(axis=(1, 2)) * pixel_scale**2
        templates.append((lens, lensed))
    if len(compact):
        templates.append((compact, _unit_sersic(x, y, rows, "contaminant", compact)))
    if len(ringlike):
        ring = ring_arc_profile(
            x,
            y,
            *(
                _column(rows, f"contaminant_{p}", ringlike)
                for p in ("radius", "width", "e1", "e2", "x", "y", "arms", "pitch_cot", "azimuth", "sharpness")
            ),
        )
        ring /= ring.sum(axis=(1, 2), keepdims=True) * np.float32(pixel_scale**2)
        templates.append((ringlike, ring))
    templates.append((companion, _unit_sersic(x, y, rows, "companion", companion)))
    return templates, magnification


def _render_chunk(rows, grid, pixel_scale, bands, psf, sky, rng, out, scratch):
    """Write the images of catalog ``rows`` (dict of k-long arrays) into ``out`` (k, H, W, n_bands); return
    their measured columns.

    Noise-free if ``rng`` is None. Work is done band-first, (k, n_bands, H, W). ``grid`` holds the pixel
    centres x (1, 1, W) and y (1, H, 1), the same on the supersampled grid, and the squared distances
    (H, W) of the pixels from pixel (0, 0) with periodic wrap, for the PSF; ``scratch`` the work arrays of
    :func:`_lensed_sources`.
    """
    k, n_bands = len(rows["kind"]), len(bands)
    templates, magnification = _templates(rows, grid, pixel_scale, scratch)
    owners = np.concatenate([index for index, _ in templates])
    blurred = _blur(np.concatenate([t for _, t in templates]), owners, rows["seeing_fwhm"], grid[-1], psf, pixel_scale)
    companion = templates[-1][0]
    end_of_features = len(owners) - len(companion)
    feature = np.zeros((k,) + blurred.shape[1:], np.float32)  # at most one lensed source or contaminant per object
    feature[owners[k:end_of_features]] = blurred[k:end_of_features]

    # Background (sky, lens light, companion) in counts, shape (k, n_bands, H, W).
    model = blurred[:k, None] * rows["photometry"]["lens_flux"]
    if len(companion):
        model[companion] += blurred[end_of_features:, None] * rows["photometry"]["companion_flux"][companion]
    model += sky[:, None, None]

    counts, measured = _scale_to_snr(rows, bands, feature, model)
    measured["magnification"] = magnification
    for j in range(n_bands):
        model[:, j] += feature * counts[:, j, None, None]
    if rng is not None:
        _add_noise(model, rng)
    np.subtract(model, sky[:, None, None], out=out.transpose(0, 3, 1, 2))
    return measured


def _blur(templates, owners, fwhm, r2, psf, pixel_scale):
    """Templates (m, H, W) blurred with the PSF of their objects (``owners``, (m,)) in one batch of FFTs
    (periodic edges), in counts per pixel of unit flux."""
    size = templates.shape[-1]
    kernel_ft = scipy.fft.rfft2(psf_on_grid(r2, fwhm, psf)).real  # an even kernel's transform is real
    transform = scipy.fft.rfft2(templates)
    transform *= kernel_ft[owners]
    blurred = scipy.fft.irfft2(transform, s=(size, size), overwrite_x=True)
    blurred *= np.float32(pixel_scale**2)
    return blurred


def _photometry(columns, bands):
    """Band fluxes (counts, 0 where none) and asked S/N of each object's lensed source or contaminant, its
    magnitudes (NaN where none), and the band fluxes of its lens light and companion (float32, shape
    (n, n_bands, 1, 1)): what the chunks need of the catalog ``columns``, computed once per catalog."""
    is_lens = columns["kind"] == "lens"
    mags = np.stack([np.where(is_lens, columns[f"source_mag_{b}"], columns[f"contaminant_mag_{b}"]) for b in bands], -1)
    return {
        "feature_mags": mags,
        "feature_flux": 10 ** (-0.4 * (np.nan_to_num(mags, nan=np.inf) - ZERO_POINT)),  # (n, n_bands)
        "feature_snr": np.where(is_lens, columns["snr"], columns["contaminant_snr"]),
        "lens_flux": _fluxes(columns, "lens_mag", bands),
        "companion_flux": _fluxes(columns, "companion_mag", bands),
    }


def _scale_to_snr(rows, bands, feature, model):
    """Counts (k, n_bands) of each lensed source or contaminant ``feature`` (k, H, W, unit flux, blurred) that
    give the S/N of its catalog row against the background ``model`` (k, n_bands, H, W); and the catalog
    columns measured on the way (the challenge's lensed-image pixels and flux in sigma)."""
    k, n_bands, photometry = len(rows["kind"]), len(bands), rows["photometry"]
    flux = photometry["feature_flux"]
    per_band = np.matmul(np.reciprocal(model).reshape(k, n_bands, -1), (feature * feature).reshape(k, -1, 1))
    snr_of_flux = np.sqrt(np.einsum("kb,kb->k", per_band[..., 0].astype(float), flux**2))
    counts = flux * np.divide(photometry["feature_snr"], snr_of_flux, out=np.zeros(k), where=snr_of_flux > 0)[:, None]
    measured = {"counts": counts}
    lens = np.flatnonzero(rows["kind"] == "lens")
    detection = bands.index(min(bands, key=BAND_ORDER.index))  # the bluest band, where blue arcs stand out
    in_sigma = feature[lens] * np.float32(counts[lens, detection])[:, None, None] / np.sqrt(model[lens, detection])
    above = in_sigma > 1
    measured["numb_pix_lensed_image"] = np.zeros(k, int)
    measured["numb_pix_lensed_image"][lens] = above.sum(axis=(1, 2))
    measured["flux_lensed_image_in_sigma"] = np.zeros(k)
    measured["flux_lensed_image_in_sigma"][lens] = (in_sigma * above).sum(axis=(1, 2))
    return counts.astype(np.float32), measured


def _measured_magnitudes(columns, bands, counts, mags):
    """Source and contaminant magnitudes of the ``counts`` (n, n_bands) the S/N asked for (NaN where none)."""
    is_lens = columns["kind"] == "lens"
    with np.errstate(divide="ignore"):  # zero counts (no feature) give an infinite magnitude, replaced below
        new_mags = ZERO_POINT - 2.5 * np.log10(counts)
    measured = {}
    for j, b in enumerate(bands):
        measured[f"source_mag_{b}"] = np.where(is_lens, new_mags[:, j], np.nan)
        measured[f"contaminant_mag_{b}"] = np.where(is_lens | np.isnan(mags[:, j]), np.nan, new_mags[:, j])
    return measured


def _add_noise(model, rng):
    """Add Gaussian noise of the Poisson variance of ``model`` (counts), in place."""
    noise = standard_normal(rng, model.shape)
    noise *= np.sqrt(model)
    model += noise


_CATALOG_FIRST = (
    "ID",
    "is_lens",
    "einstein_area",
    "numb_pix_lensed_image",
    "flux_lensed_image_in_sigma",
    "kind",
    "theta_E",
    "snr",
    "magnification",
)  # the lens-finding challenge's five columns first


def render_lenses(
    catalog: Table,
    *,
    size: int = 64,
    pixel_scale: float = 0.2,
    psf: str = "moffat",
    noise: bool = True,
    seed=0,
    chunk: int = 8,
) -> tuple[np.ndarray, Table]:
    """Images of the objects of a :func:`sample_lens_population` catalog, and the catalog with what was measured.

    Returns float32 images of shape (n, size, size, n_bands) in counts, sky-subtracted, channels last in
    the order of ``catalog.meta["bands"]``, and a copy of the catalog where the source and contaminant
    magnitudes give the asked S/N, with ``magnification`` (lensed over intrinsic source flux, in the stamp),
    ``numb_pix_lensed_image`` and ``flux_lensed_image_in_sigma`` (pixels of the PSF-blurred lensed images
    above 1 sigma of the background noise in the bluest band, and the sum of their flux in sigma).
    Noise is Gaussian with the Poisson variance of sky plus light (``noise=False`` gives the mean image).
    Work is done in float32 chunks of ``chunk`` objects (8 keep the supersampled grids of a chunk in a
    core's 1 MB cache: about 1.5 times as fast as 16 on the course machine); for even ``size`` the result does not
    depend on it.
    """
    bands = _check_bands(catalog.meta.get("bands", ()))
    rng = np.random.default_rng(seed) if noise else None
    columns = {name: np.array(catalog[name]) for name in catalog.colnames}
    images, columns, meta = _render(columns, bands, size, pixel_scale, psf, rng, chunk)
    return images, Table(columns, meta={**catalog.meta, **meta}, copy=False)


def _render(columns, bands, size, pixel_scale, psf, rng, chunk):
    """:func:`render_lenses` on the catalog ``columns`` (dict of arrays): (images, the catalog's columns with
    the measured ones, in the catalog's order, and the catalog meta data added)."""
    n = len(columns["kind"])
    if n == 0:
        raise ValueError("nothing to render: the catalog has no rows (ask for at least one object)")
    if not (isinstance(size, (int, np.integer)) and size >= 8):
        raise ValueError(f"size must be an integer number of pixels >= 8, got {size!r}")
    if not pixel_scale > 0:
        raise ValueError(f"pixel_scale must be positive (arcsec per pixel), got {pixel_scale}")
    if not (isinstance(chunk, (int, np.integer)) and chunk >= 1):
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    psf_on_grid(np.zeros((1, 1), np.float32), 1.0, psf)  # checks the psf kind before any work
    sky = sky_counts(bands, pixel_scale).astype(np.float32)
    centred = (np.arange(size, dtype=np.float32) - np.float32((size - 1) / 2)) * np.float32(pixel_scale)
    wrapped = np.fft.ifftshift((np.arange(size, dtype=np.float32) - size // 2) * np.float32(pixel_scale))
    m = SOURCE_SUPERSAMPLING
    fine = (
        centred[:, None] + (np.arange(m, dtype=np.float32) - np.float32((m - 1) / 2)) * np.float32(pixel_scale / m)
    ).ravel()
    grid = (
        centred[None, None, :],
        centred[None, :, None],
        fine[None, None, :],
        fine[None, :, None],
        wrapped[:, None] ** 2 + wrapped[None, :] ** 2,
    )
    images = np.empty((n, size, size, len(bands)), np.float32)
    scratch = np.empty((4, min(chunk, n), m * size, m * size), np.float32)  # for the lensed sources
    measured = {}
    per_object = {
        "lensing": _lensing_coefficients(columns),
        "sersic": _sersic_coefficients(columns),
        "photometry": _photometry(columns, bands),
    }
    for start in range(0, n, chunk):
        rows = {name: column[start : start + chunk] for name, column in columns.items()}
        for group, values in per_object.items():
            rows[group] = {name: value[start : start + chunk] for name, value in values.items()}
        values = _render_chunk(rows, grid, pixel_scale, bands, psf, sky, rng, images[start : start + chunk], scratch)
        for name, value in values.items():
            measured.setdefault(name, []).append(value)
    measured = {name: np.concatenate(values) for name, values in measured.items()}
    counts = measured.pop("counts")
    measured.update(_measured_magnitudes(columns, bands, counts, per_object["photometry"]["feature_mags"]))
    columns = {**columns, **measured}
    first = [c for c in _CATALOG_FIRST if c in columns]
    columns = {name: columns[name] for name in first + [c for c in columns if c not in first]}
    return images, columns, dict(size=size, pixel_scale=pixel_scale, psf=psf, sky_counts=dict(zip(bands, sky.tolist())))


def simulate_lenses(
    n: int,
    *,
    size: int = 64,
    pixel_scale: float = 0.2,
    bands: Sequence[str] = ("g", "r", "i"),
    lens_fraction: float = 0.5,
    seeing: tuple[float, float] = (0.6, 1.0),
    theta_E_range: tuple[float, float] = (0.5, 3.0),
    snr_range: tuple[float, float] = (5.0, 200.0),
    psf: str = "moffat",
    seed: int = 0,
    chunk: int = 8,
) -> tuple[np.ndarray, Table]:
    """Simulate ``n`` stamps of lenses and non-lenses: (images, catalog).

    images: float32 (n, size, size, n_bands), counts, sky-subtracted, channels last (Keras layout);
    pixel_scale in arcsec. catalog: astropy Table, one row per image: ``ID``, ``is_lens``, ``kind``,
    ``theta_E`` and ``einstein_area`` (arcsec, arcsec^2), ``snr`` of the lensed images, ``magnification``,
    the challenge's ``numb_pix_lensed_image`` and ``flux_lensed_image_in_sigma``, and every lens, light,
    source, contaminant and PSF parameter (see :func:`sample_lens_population` and :func:`render_lenses`).
    The same ``seed`` gives the same images and catalog.
    """
    population_seed, noise_seed = np.random.SeedSequence(seed).spawn(2)
    bands = _check_bands(bands)
    columns = _population_columns(n, lens_fraction, theta_E_range, snr_range, seeing, bands, population_seed)
    images, columns, meta = _render(columns, bands, size, pixel_scale, psf, np.random.default_rng(noise_seed), chunk)
    return images, Table(columns, meta={"bands": list(bands), "zero_point": ZERO_POINT, **meta}, copy=False)
