"""Simulated galaxy images of the ten Galaxy10 DECaLS classes, laid out like the real file.

The real Galaxy10 DECaLS file (astroNN; 17,736 galaxies) holds ``images`` as uint8 RGB arrays of shape
(N, 256, 256, 3) made from the g, r and z bands, and labels 0-9. :func:`simulate_galaxy10` returns the same
layout at any stamp size, so a lab's code runs unchanged on simulated and on real data.

Each galaxy is a sum of parametric components painted in three bands (g, r, z): Sérsic bulges and
ellipticals (round, boxy or cigar-shaped), exponential disks at any inclination, logarithmic spiral arms
of varying pitch, bars, dust lanes, star-forming clumps and tidal tails. The three steps are public, so
the same galaxies can be seen through another telescope: :func:`simulate_galaxy_bands` (the clean g, r, z
light), :func:`observe` (a Gaussian point-spread function, coarser pixels, sky and source noise) and
:func:`to_rgb` (the arcsinh colour stretch of Lupton et al. 2004: red from z, green from r, blue from g).

Lengths are drawn as fractions of the stamp size, so a 64-pixel and a 256-pixel stamp show the same
galaxies at different resolution.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from astropy.visualization import make_lupton_rgb

from course_utils.sims import profiles
from course_utils.taxonomy import GALAXY10_DECALS_CLASSES, GALAXY10_DECALS_COUNTS

# Band colours of the stellar populations: flux in (g, r, z) per unit of r-band flux, after the display
# scaling that makes a typical spiral disk look white. The RGB image shows z as red and g as blue.
_OLD_STARS = np.array([0.50, 0.78, 1.00], np.float32)  # bulges and ellipticals: orange
_DISK_STARS = np.array([0.82, 0.90, 0.95], np.float32)  # smooth disk light: white
_YOUNG_STARS = np.array([1.00, 0.88, 0.72], np.float32)  # arms and star-forming clumps: blue

_LUPTON_Q = 8.0  # arcsinh softening of the colour stretch (astropy's make_lupton_rgb)
_LUPTON_STRETCH = 1.0  # linear range of the stretch, in units of a galaxy's half-light surface brightness
_SEEING = (0.010, 0.020)  # range of the PSF's FWHM, as a fraction of the stamp size
_MIN_SEEING = 0.45 * profiles.GAUSSIAN_FWHM_PER_SIGMA  # pixels: the PSF is never narrower than this
_SKY_NOISE = (0.02, 0.05)  # range of the sky noise per pixel and band, same units
_SKY_LEVEL = (0.3, 0.8)  # range of the sky level, same units: source noise variance is sky_noise^2 * light / sky
_STAR_PROBABILITY = 0.08  # chance that a foreground star shares the stamp
_EXPONENTIAL_R_EFF = float(profiles.sersic_b(1.0))  # half-light radius of an exponential disk / its scale length
_PIXELS_PER_CHUNK = 2**19  # images are rendered in chunks of about this many pixels


def simulate_galaxy_bands(
    n: int,
    *,
    size: int = 64,
    seed: int = 0,
    classes: Sequence[int] | None = None,
    class_fractions: Sequence[float] | str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The clean galaxies of :func:`simulate_galaxy10`: g, r, z light before the PSF and the noise.

    Same arguments as :func:`simulate_galaxy10`; the same arguments give the same galaxies as it does,
    so ``observe(simulate_galaxy_bands(...)[0], ...)`` shows them through another telescope.

    Returns
    -------
    bands : float32 array (n, size, size, 3), surface brightness in the g, r and z bands (channels in that
        order) at the pixel centres, in units where a galaxy's mean surface brightness within its
        half-light radius is about 1 (0.6 to 1.6); about 8% of stamps also hold a foreground star, a single
        pixel. :func:`observe` blurs it, rebins it and adds noise; :func:`to_rgb` makes the colour image.
    labels : int64 array (n,), as :func:`simulate_galaxy10` returns.
    """
    labels, chunks = _galaxies(n, size, seed, classes, class_fractions)
    bands = np.empty((n, size, size, 3), np.float32)
    for where, clean in chunks:
        bands[where] = clean
    return bands, labels


def observe(bands: np.ndarray, *, psf_fwhm, noise, gain=None, rebin: int = 1, seed=0) -> np.ndarray:
    """Images (n, H, W, C) of surface brightness seen through a telescope: PSF, coarser pixels, noise.

    Parameters
    ----------
    bands : float array (n, H, W, C) (or one image (H, W, C)), surface brightness at the pixel centres
        (any units; :func:`simulate_galaxy_bands` gives suitable ones), every channel a band.
    psf_fwhm : full width at half maximum of a Gaussian PSF, in input pixels, scalar or one per image (n,);
        0 skips the blur. The convolution kernel is ``profiles.psf_kernel(psf_fwhm, 2 * max(H, W) - 1)``
        (unit sum, the same in every band); light blurred past the edge leaves the stamp (zero padding).
    noise : standard deviation of the sky noise per output pixel, in the units of ``bands``: scalar, one
        per image (n,) or per image and band (n, C).
    gain : source noise: ``None`` (sky noise only) or the counts per unit of ``bands`` in an output
        pixel (scalar, (n,) or (n, C)); the noise variance is then ``noise**2 + max(signal, 0) / gain``,
        the Gaussian limit of Poisson noise on the light.
    rebin : whole number of input pixels per output pixel side; the output pixel is the mean of the
        ``rebin`` x ``rebin`` block (surface brightness is kept, so the flux of an output pixel is
        ``rebin**2`` times its value). H and W must be multiples of it.
    seed : an int or a ``numpy.random.Generator``, for the noise.

    Returns
    -------
    float32 array (n, H // rebin, W // rebin, C) in the units of ``bands``: blurred, rebinned, noisy.
    """
    bands = np.asarray(bands, np.float32)
    if bands.ndim == 3:
        return observe(bands[None], psf_fwhm=psf_fwhm, noise=noise, gain=gain, rebin=rebin, seed=seed)[0]
    if bands.ndim != 4:
        raise ValueError(f"bands must be images (n, H, W, bands) or one image (H, W, bands), got shape {bands.shape}")
    n, height, width, channels = bands.shape
    if isinstance(rebin, bool) or not isinstance(rebin, (int, np.integer)) or rebin < 1:
        raise ValueError(f"rebin must be a whole number of pixels of at least 1, got {rebin!r}")
    if height % rebin or width % rebin:
        crop = f"bands[:, :{height - height % rebin}, :{width - width % rebin}]"
        raise ValueError(
            f"stamps of {height}x{width} pixels cannot be rebinned by {rebin}: crop them to a "
            f"multiple of {rebin} first, e.g. {crop}"
        )
    fwhm = _per_image("psf_fwhm", psf_fwhm, n, 1)[:, 0]
    sigma = _per_image("noise", noise, n, channels)
    rng = np.random.default_rng(seed)

    blurred = profiles.gaussian_blur(np.ascontiguousarray(bands.transpose(0, 3, 1, 2)), fwhm)
    if rebin > 1:
        blurred = blurred.reshape(n, channels, height // rebin, rebin, width // rebin, rebin).mean(axis=(3, 5))
    variance = np.broadcast_to((sigma * sigma)[:, :, None, None], blurred.shape)
    if gain is not None:
        counts_per_unit = _per_image("gain", gain, n, channels, positive=True)[..., None, None]
        variance = variance + np.maximum(blurred, 0) / counts_per_unit
    blurred += np.sqrt(variance) * profiles.standard_normal(rng, blurred.shape)
    return np.ascontiguousarray(blurred.transpose(0, 2, 3, 1))


def to_rgb(bands: np.ndarray) -> np.ndarray:
    """uint8 RGB images (n, H, W, 3) of g, r, z images (n, H, W, 3): the colour stretch of :func:`simulate_galaxy10`.

    Lupton et al. (2004)'s arcsinh stretch (astropy's ``make_lupton_rgb``, Q = 8, linear range 1 in the
    units of :func:`simulate_galaxy_bands`): red from z, green from r, blue from g. One image (H, W, 3) works too.
    """
    bands = np.asarray(bands, np.float32)
    if bands.ndim == 3:
        return to_rgb(bands[None])[0]
    if bands.ndim != 4 or bands.shape[-1] != 3:
        raise ValueError(f"to_rgb needs g, r, z images of shape (n, H, W, 3), got shape {bands.shape}")
    images = np.empty(bands.shape, np.uint8)
    for image, band in zip(images, bands):
        image[:] = make_lupton_rgb(band[..., 2], band[..., 1], band[..., 0], stretch=_LUPTON_STRETCH, Q=_LUPTON_Q)
    return images


def simulate_galaxy10(
    n: int,
    *,
    size: int = 64,
    seed: int = 0,
    classes: Sequence[int] | None = None,
    class_fractions: Sequence[float] | str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Render ``n`` simulated galaxies of the Galaxy10 DECaLS classes.

    The galaxies of :func:`simulate_galaxy_bands`, seen through :func:`observe` with a seeing of 1-2% of the
    stamp (as DECaLS at 256 pixels), sky noise of 0.02-0.05 and source noise, a faint sky pedestal left by
    imperfect sky subtraction, then :func:`to_rgb`.

    Parameters
    ----------
    n : number of galaxies (at least 1).
    size : stamp width and height in pixels (at least 16); the real file has 256, labs often use 64 or 69.
    seed : random seed; the same arguments always give the same images.
    classes : Galaxy10 labels to render (default: all ten); labels keep their Galaxy10 numbers.
    class_fractions : share of each rendered class. ``None`` follows the real Galaxy10 DECaLS class
        counts (:data:`GALAXY10_DECALS_COUNTS`), so the classes are imbalanced as in the real data;
        ``"equal"`` renders the same number of each class; or give one non-negative weight per rendered
        class (normalised here). The number of galaxies of each class is ``n`` times its share, rounded.

    Returns
    -------
    images : uint8 array (n, size, size, 3), RGB with red from the z band, green r, blue g.
    labels : int64 array (n,), the Galaxy10 class of each image (index into :data:`GALAXY10_DECALS_CLASSES`),
        in random order.
    """
    labels, chunks = _galaxies(n, size, seed, classes, class_fractions)
    rng = np.random.default_rng(_streams(seed)[1])
    images = np.empty((n, size, size, 3), np.uint8)
    for where, clean in chunks:
        m = len(clean)
        fwhm = np.maximum(rng.uniform(*_SEEING, m) * size, _MIN_SEEING)
        sky_sigma = rng.uniform(*_SKY_NOISE, m).astype(np.float32)
        sky_level = rng.uniform(*_SKY_LEVEL, m).astype(np.float32)
        observed = observe(clean, psf_fwhm=fwhm, noise=sky_sigma, gain=sky_level / sky_sigma**2, seed=rng)
        observed += 1.5 * sky_sigma[:, None, None, None]  # the pedestal: the noise is not clipped at 0
        images[where] = to_rgb(observed)
    return images, labels


def _galaxies(n, size, seed, classes, class_fractions):
    """Checked arguments -> (labels (n,), iterator over (slice, clean bands (m, size, size, 3)) chunks)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive whole number of galaxies, got {n!r}.")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 16:
        raise ValueError(f"size must be a whole number of pixels of at least 16, got {size!r}.")
    class_ids = _validated_classes(classes)
    shares = _validated_shares(class_fractions, class_ids)
    rng = np.random.default_rng(_streams(seed)[0])
    counts = _largest_remainder_counts(int(n), shares)
    labels = rng.permutation(np.repeat(class_ids, counts)).astype(np.int64)
    chunk = max(1, _PIXELS_PER_CHUNK // (size * size))
    chunks = (
        (slice(start, start + chunk), _render_chunk(labels[start : start + chunk], int(size), rng))
        for start in range(0, n, chunk)
    )
    return labels, chunks


def _streams(seed) -> list[np.random.SeedSequence]:
    """Independent random streams of the galaxies and of their observation, from one seed."""
    return np.random.SeedSequence(seed).spawn(2)


def _per_image(name, value, n, channels, positive=False) -> np.ndarray:
    """A scalar, (n,) or (n, channels) argument as a float32 array (n, channels), checked."""
    array = np.asarray(value, np.float32)
    if array.ndim == 1:
        array = array[:, None]
    try:
        array = np.broadcast_to(array, (n, channels))
    except ValueError:
        raise ValueError(
            f"{name} must be a scalar, one value per image ({n}) or per image and band "
            f"({n}, {channels}); got shape {np.shape(value)}"
        ) from None
    if not np.all(np.isfinite(array)) or array.min() < 0 or (positive and array.min() == 0):
        raise ValueError(f"{name} must be finite and {'positive' if positive else 'non-negative'}, got {value!r}")
    return array


def _validated_classes(classes) -> np.ndarray:
    if classes is None:
        return np.arange(len(GALAXY10_DECALS_CLASSES))
    class_ids = np.asarray(classes)
    if (
        class_ids.ndim != 1
        or class_ids.size == 0
        or not np.issubdtype(class_ids.dtype, np.integer)
        or class_ids.min() < 0
        or class_ids.max() >= len(GALAXY10_DECALS_CLASSES)
        or len(np.unique(class_ids)) != class_ids.size
    ):
        raise ValueError(
            f"classes must be distinct Galaxy10 labels between 0 and 9 (see GALAXY10_DECALS_CLASSES), got {classes!r}."
        )
    return class_ids


def _validated_shares(class_fractions, class_ids: np.ndarray) -> np.ndarray:
    if class_fractions is None:
        weights = np.asarray(GALAXY10_DECALS_COUNTS, float)[class_ids]
    elif isinstance(class_fractions, str):
        if class_fractions != "equal":
            raise ValueError(
                f'class_fractions must be None, "equal" or a sequence of weights, got {class_fractions!r}.'
            )
        weights = np.ones(len(class_ids))
    else:
        weights = np.asarray(class_fractions, float)
        valid = np.all(np.isfinite(weights)) and weights.min() >= 0 and weights.sum() > 0
        if weights.shape != class_ids.shape or not valid:
            raise ValueError(
                f"class_fractions needs one non-negative weight per rendered class ({len(class_ids)} of them), "
                f"not all zero; got {class_fractions!r}."
            )
    return weights / weights.sum()


def _largest_remainder_counts(n: int, shares: np.ndarray) -> np.ndarray:
    """Whole counts summing to ``n`` that are as close as possible to ``n * shares``."""
    exact = n * shares
    counts = np.floor(exact).astype(int)
    leftover = n - counts.sum()
    counts[np.argsort(counts - exact, kind="stable")[:leftover]] += 1
    return counts


# ----------------------------------------------------------------------------------------------------
# Rendering a chunk: every class renderer paints g, r, z light; then the foreground stars.


def _render_chunk(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Clean g, r, z surface brightness (m, size, size, 3) of the galaxies with the given labels."""
    m = len(labels)
    bands = np.empty((m, 3, size, size), np.float32)
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        bands[where] = _RENDERERS[label](_Stamps(len(where), size, rng))
    bands *= profiles.loguniform(rng, 0.6, 1.6, (m, 1, 1, 1), np.float32)  # surface brightness varies
    _add_foreground_stars(bands, rng)
    return bands.transpose(0, 2, 3, 1)


def _add_foreground_stars(bands: np.ndarray, rng: np.random.Generator) -> None:
    """Add a point source (a delta, blurred later by the PSF) to a few stamps, away from the galaxy centre."""
    m, _, size, _ = bands.shape
    has_star = np.flatnonzero(rng.random(m) < _STAR_PROBABILITY)
    if has_star.size == 0:
        return
    k = has_star.size
    radius = rng.uniform(0.15, 0.45, k) * size
    angle = rng.uniform(0, 2 * np.pi, k)
    col = np.clip(np.round((size - 1) / 2 + radius * np.cos(angle)), 0, size - 1).astype(int)
    row = np.clip(np.round((size - 1) / 2 + radius * np.sin(angle)), 0, size - 1).astype(int)
    galaxy_flux = bands[has_star].sum(axis=(1, 2, 3)) / 3
    star_flux = galaxy_flux * profiles.loguniform(rng, 0.01, 0.3, k, np.float32)
    star_colour = np.where(rng.random((k, 1)) < 0.5, _YOUNG_STARS, _OLD_STARS)
    bands[has_star, :, row, col] += star_flux[:, None] * star_colour


# ----------------------------------------------------------------------------------------------------
# Geometry and light profiles, vectorised over m stamps: parameters are (m, 1, 1) arrays, maps (m, H, W).


class _Stamps:
    """Pixel grid and random draws for ``m`` stamps of ``size`` x ``size`` pixels."""

    def __init__(self, m: int, size: int, rng: np.random.Generator):
        self.m, self.size, self.rng = m, size, rng
        axis = np.arange(size, dtype=np.float32) - (size - 1) / 2
        self.x = axis[None, None, :]  # pixel offsets from the stamp centre, (1, 1, W)
        self.y = axis[None, :, None]  # (1, H, 1)

    def uniform(self, low: float, high: float) -> np.ndarray:
        return self.rng.uniform(low, high, (self.m, 1, 1)).astype(np.float32)

    def loguniform(self, low: float, high: float) -> np.ndarray:
        return profiles.loguniform(self.rng, low, high, (self.m, 1, 1), np.float32)

    def chance(self, probability: float) -> np.ndarray:
        """Boolean (m, 1, 1): True with the given probability."""
        return self.rng.random((self.m, 1, 1)) < probability

    def centre(self) -> tuple[np.ndarray, np.ndarray]:
        """Galaxy centre in pixels from the stamp centre: small random offsets, as in survey cut-outs."""
        return self.uniform(-0.02, 0.02) * self.size, self.uniform(-0.02, 0.02) * self.size

    def blank(self) -> np.ndarray:
        return np.zeros((self.m, 3, self.size, self.size), np.float32)


def _ellipse_radius(u: np.ndarray, v: np.ndarray, q: np.ndarray, boxiness: np.ndarray | None = None) -> np.ndarray:
    """Elliptical radius in pixels with axis ratio ``q``; ``boxiness`` c > 2 makes boxy isophotes
    (|u|^c + |v/q|^c = r^c), c < 2 disky ones. Softened by half a pixel so cusps stay finite."""
    if boxiness is None:
        radius = np.sqrt(u * u + (v / q) ** 2)
    else:
        radius = (np.abs(u) ** boxiness + np.abs(v / q) ** boxiness) ** (1 / boxiness)
    return np.sqrt(radius * radius + 0.25)


def _spiral_arms(radius, azimuth, *, arms, pitch, phase, start_radius, width) -> np.ndarray:
    """Logarithmic spiral pattern in the disk plane: 1 on the arm ridges, 0 between them.

    ``arms`` arms of pitch angle ``pitch`` (radians; its sign sets the winding sense) that leave
    radius ``start_radius`` at azimuths (phase + 2 pi k) / arms; larger ``width`` exponents make thinner arms.
    """
    winding = np.log(radius / start_radius) / np.tan(pitch)
    return ((1 + np.cos(arms * (azimuth - winding) - phase)) / 2) ** width


def _gaussian_spot(stamps: _Stamps, x: np.ndarray, y: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Round Gaussian spot of unit flux centred at pixel offsets (x, y)."""
    spot = np.exp(-0.5 * ((stamps.x - x) / sigma) ** 2) * np.exp(-0.5 * ((stamps.y - y) / sigma) ** 2)
    return spot / (2 * np.pi * sigma**2)


def _patchy(stamps: _Stamps, cells: int) -> np.ndarray:
    """Smooth random field (m, H, W) of standard deviation about 1 that varies over ``size / cells`` pixels."""
    pixel = np.arange(stamps.size, dtype=np.float32)
    knots = np.linspace(0, stamps.size - 1, cells)
    interpolate = np.stack([np.interp(pixel, knots, np.eye(cells)[j]) for j in range(cells)], axis=1).astype(np.float32)
    coarse = stamps.rng.standard_normal((stamps.m * cells, cells), dtype=np.float32)
    rows = (coarse @ interpolate.T).reshape(stamps.m, cells, stamps.size)  # (m, cells, W)
    return (interpolate @ rows) * 1.5


def _unit_flux(image: np.ndarray) -> np.ndarray:
    """Scale each (H, W) map to a total of 1."""
    return image / image.sum(axis=(-2, -1), keepdims=True)


def _paint(bands: np.ndarray, shape: np.ndarray, flux: np.ndarray, colour: np.ndarray, stamps: _Stamps) -> None:
    """Add ``flux`` (m, 1, 1) spread like ``shape`` (m, H, W, any normalisation) in ``colour`` (3,) to ``bands``.

    Each galaxy's population is a little redder or bluer than ``colour``: the g/z flux ratio varies by about 12%.
    """
    slope = 0.06 * stamps.rng.standard_normal((stamps.m, 1, 1, 1), dtype=np.float32)
    jitter = np.exp(slope * np.array([1, 0, -1], np.float32)[None, :, None, None])
    bands += (flux * _unit_flux(shape))[:, None] * (colour[None, :, None, None] * jitter)


def _flux_for_size(half_light_radius: np.ndarray) -> np.ndarray:
    """Total flux that gives mean surface brightness 1 within the half-light radius (pixels)."""
    return 2 * np.pi * half_light_radius**2


# ----------------------------------------------------------------------------------------------------
# The classes.


def _smooth(stamps: _Stamps, axis_ratio: tuple[float, float]) -> np.ndarray:
    """Elliptical galaxy: one red Sérsic component with axis ratio drawn from ``axis_ratio``."""
    x0, y0 = stamps.centre()
    u, v = profiles.rotate(stamps.x - x0, stamps.y - y0, stamps.uniform(0, np.pi))
    r_eff = stamps.loguniform(0.04, 0.12) * stamps.size
    radius = _ellipse_radius(u, v, stamps.uniform(*axis_ratio), stamps.uniform(1.8, 2.4))
    bands = stamps.blank()
    _paint(bands, profiles.sersic(radius, r_eff, stamps.uniform(2.0, 5.0)), _flux_for_size(r_eff), _OLD_STARS, stamps)
    return bands


def _round_smooth(stamps: _Stamps) -> np.ndarray:
    return _smooth(stamps, (0.78, 1.0))


def _in_between_round_smooth(stamps: _Stamps) -> np.ndarray:
    return _smooth(stamps, (0.45, 0.82))


def _cigar_shaped_smooth(stamps: _Stamps) -> np.ndarray:
    return _smooth(stamps, (0.18, 0.48))


def _spiral(stamps: _Stamps, *, bulge_fraction, pitch_degrees, barred: bool) -> np.ndarray:
    """Face-on to moderately inclined disk: bulge, exponential disk, spiral arms with clumps, optional bar.

    ``bulge_fraction`` and ``pitch_degrees`` are (low, high) ranges of the bulge's share of the light and
    of the arms' pitch angle. A bar's ends are where the arms start.
    """
    size, m = stamps.size, stamps.m
    x0, y0 = stamps.centre()
    position_angle = stamps.uniform(0, np.pi)
    u, v = profiles.rotate(stamps.x - x0, stamps.y - y0, position_angle)
    cos_incl = stamps.uniform(0.45, 1.0)
    q_disk = np.sqrt(cos_incl**2 + 0.12**2 * (1 - cos_incl**2))  # disks are about 0.12 as thick as wide
    disk_x, disk_y = u, v / q_disk  # coordinates in the plane of the disk
    disk_radius = np.sqrt(disk_x**2 + disk_y**2 + 0.25)
    azimuth = np.arctan2(disk_y, disk_x)

    scale = stamps.loguniform(0.045, 0.085) * size  # exponential scale length, pixels
    flux = _flux_for_size(_EXPONENTIAL_R_EFF * scale)
    bulge_share = stamps.uniform(*bulge_fraction)
    bulge_radius = scale * stamps.uniform(0.2, 0.4)
    arm_share = stamps.uniform(0.35, 0.6) * (1 - bulge_share)
    arms = np.where(stamps.chance(0.75), 2.0, 3.0).astype(np.float32)
    if barred:
        bar_share = stamps.uniform(0.15, 0.3)
        bar_length = scale * stamps.uniform(0.9, 1.6)
        bar_angle = stamps.uniform(0, np.pi)  # in the disk plane
        start_radius = np.maximum(2.0 * bulge_radius, bar_length)
        phase = arms * bar_angle  # the arms leave the ends of the bar
    else:
        bar_share = np.zeros((m, 1, 1), np.float32)
        start_radius = 2.0 * bulge_radius
        phase = stamps.uniform(0, 2 * np.pi)
    pitch = np.deg2rad(stamps.uniform(*pitch_degrees)) * np.where(stamps.chance(0.5), 1, -1).astype(np.float32)
    pattern = _spiral_arms(
        disk_radius, azimuth, arms=arms, pitch=pitch, phase=phase, start_radius=start_radius, width=stamps.uniform(2, 5)
    )
    arm_light = pattern * np.exp(-disk_radius / (scale * stamps.uniform(1.0, 1.3)))
    arm_light *= 1 - np.exp(-((disk_radius / start_radius) ** 2))
    arm_light *= np.exp(stamps.uniform(0.1, 0.5) * _patchy(stamps, 10))  # flocculent arms

    bands = stamps.blank()
    _paint(bands, np.exp(-disk_radius / scale), flux * (1 - bulge_share - arm_share - bar_share), _DISK_STARS, stamps)
    _paint(bands, arm_light, flux * arm_share * 0.8, _YOUNG_STARS, stamps)
    bulge_q = np.maximum(q_disk, stamps.uniform(0.75, 1.0))
    bulge = profiles.sersic(_ellipse_radius(u, v, bulge_q), bulge_radius, stamps.uniform(1.0, 4.0))
    _paint(bands, bulge, flux * bulge_share, _OLD_STARS, stamps)
    if barred:
        bar_u, bar_v = profiles.rotate(disk_x, disk_y, bar_angle)
        bar_radius = _ellipse_radius(bar_u, bar_v, stamps.uniform(0.18, 0.3), stamps.uniform(2.5, 3.5))
        bar = profiles.sersic(bar_radius, 0.55 * bar_length, stamps.uniform(0.5, 0.8))
        _paint(bands, bar, flux * bar_share, _OLD_STARS, stamps)

    # Star-forming clumps strung along the arm ridges, at azimuth (phase + 2 pi k) / arms + winding.
    clumps = np.zeros_like(u)
    for _ in range(6):
        ridge_radius = start_radius + stamps.uniform(0, 2.5) * scale
        arm = np.floor(stamps.uniform(0, 1) * arms)
        along = (phase + 2 * np.pi * arm) / arms + np.log(ridge_radius / start_radius) / np.tan(pitch)
        clump_u, clump_v = ridge_radius * np.cos(along), ridge_radius * np.sin(along) * q_disk
        clump_x, clump_y = profiles.rotate(clump_u, clump_v, -position_angle)  # back from disk axes to the sky
        sigma = np.maximum(0.08 * scale, 0.5)
        clumps += stamps.uniform(0.5, 1.5) * _gaussian_spot(stamps, x0 + clump_x, y0 + clump_y, sigma)
    _paint(bands, clumps, flux * arm_share * 0.2, _YOUNG_STARS, stamps)
    return bands


def _barred_spiral(stamps: _Stamps) -> np.ndarray:
    return _spiral(stamps, bulge_fraction=(0.05, 0.25), pitch_degrees=(10, 30), barred=True)


def _unbarred_tight_spiral(stamps: _Stamps) -> np.ndarray:
    return _spiral(stamps, bulge_fraction=(0.12, 0.4), pitch_degrees=(7, 16), barred=False)


def _unbarred_loose_spiral(stamps: _Stamps) -> np.ndarray:
    return _spiral(stamps, bulge_fraction=(0.03, 0.22), pitch_degrees=(14, 32), barred=False)


def _edge_on(stamps: _Stamps, *, bulge_fraction, thickness, boxy_probability: float) -> np.ndarray:
    """Disk seen edge-on: thin exponential disk with a bluer mid-plane, a round or boxy bulge, maybe a dust lane.

    ``bulge_fraction`` and ``thickness`` (projected minor-to-major axis ratio of the disk) are (low, high) ranges.
    """
    x0, y0 = stamps.centre()
    u, v = profiles.rotate(stamps.x - x0, stamps.y - y0, stamps.uniform(0, np.pi))
    scale = stamps.loguniform(0.045, 0.085) * stamps.size
    flux = _flux_for_size(_EXPONENTIAL_R_EFF * scale)
    q_disk = stamps.uniform(*thickness)
    bulge_share = stamps.uniform(*bulge_fraction)
    young_share = stamps.uniform(0.15, 0.4) * (1 - bulge_share)

    bands = stamps.blank()
    disk = profiles.sersic(_ellipse_radius(u, v, q_disk), _EXPONENTIAL_R_EFF * scale, 1.0)
    _paint(bands, disk, flux * (1 - bulge_share - young_share), _DISK_STARS, stamps)
    thin_disk = profiles.sersic(_ellipse_radius(u, v, 0.6 * q_disk), _EXPONENTIAL_R_EFF * scale, 1.0)
    _paint(bands, thin_disk, flux * young_share, _YOUNG_STARS, stamps)
    boxiness = np.where(stamps.chance(boxy_probability), stamps.uniform(2.8, 4.0), 2.0).astype(np.float32)
    bulge_radius = _ellipse_radius(u, v, stamps.uniform(0.6, 0.95), boxiness)
    bulge = profiles.sersic(bulge_radius, scale * stamps.uniform(0.5, 1.0), stamps.uniform(1.0, 3.0))
    _paint(bands, bulge, flux * bulge_share, _OLD_STARS, stamps)

    lane_width = q_disk * scale * stamps.uniform(0.25, 0.5)
    lane_centre = stamps.uniform(-0.5, 0.5) * lane_width
    lane = np.exp(-0.5 * ((v - lane_centre) / lane_width) ** 2) * np.exp(-((u / (3 * scale)) ** 2))
    opacity = stamps.uniform(0.3, 1.2) * stamps.chance(0.5)  # r-band optical depth at the lane's centre
    reddening = np.array([1.4, 1.0, 0.6], np.float32)[None, :, None, None]  # dust dims g most, z least
    bands *= np.exp(-opacity[:, None] * reddening * lane[:, None])
    return bands


def _edge_on_without_bulge(stamps: _Stamps) -> np.ndarray:
    return _edge_on(stamps, bulge_fraction=(0.0, 0.06), thickness=(0.06, 0.14), boxy_probability=0.0)


def _edge_on_with_bulge(stamps: _Stamps) -> np.ndarray:
    return _edge_on(stamps, bulge_fraction=(0.15, 0.5), thickness=(0.08, 0.18), boxy_probability=0.35)


def _merging(stamps: _Stamps) -> np.ndarray:
    """Two galaxies (spheroids or disks) close together, with tidal tails and a bridge of light between them."""
    size = stamps.size
    x0, y0 = stamps.centre()
    separation = stamps.uniform(0.08, 0.26) * size
    direction = stamps.uniform(0, 2 * np.pi)
    radii = [stamps.loguniform(0.03, 0.07) * size for _ in range(2)]
    fluxes = [_flux_for_size(radii[0]), _flux_for_size(radii[1]) * stamps.uniform(0.5, 1.0)]
    weight_first = fluxes[0] / (fluxes[0] + fluxes[1])
    shifts = [-separation * (1 - weight_first), separation * weight_first]  # light-weighted centre stays put

    bands = stamps.blank()
    for r_eff, flux, shift in zip(radii, fluxes, shifts):
        dx = stamps.x - x0 - shift * np.cos(direction)
        dy = stamps.y - y0 - shift * np.sin(direction)
        u, v = profiles.rotate(dx, dy, stamps.uniform(0, np.pi))
        is_disk = stamps.chance(0.5)
        index = np.where(is_disk, 1.0, stamps.uniform(2.0, 4.0)).astype(np.float32)
        body = profiles.sersic(_ellipse_radius(u, v, stamps.uniform(0.4, 1.0)), r_eff, index)
        _paint(bands, body, flux * is_disk, _DISK_STARS, stamps)
        _paint(bands, body, flux * ~is_disk, _OLD_STARS, stamps)

        radius = np.sqrt(dx**2 + dy**2 + 0.25)
        pitch = np.deg2rad(stamps.uniform(25, 50)) * np.where(stamps.chance(0.5), 1, -1).astype(np.float32)
        tail = _spiral_arms(
            radius,
            np.arctan2(dy, dx),
            arms=1.0,
            pitch=pitch,
            phase=stamps.uniform(0, 2 * np.pi),
            start_radius=r_eff,
            width=stamps.uniform(6, 14),
        )
        tail *= np.exp(-radius / (r_eff * stamps.uniform(2.0, 4.0))) * (1 - np.exp(-((radius / (1.5 * r_eff)) ** 2)))
        _paint(bands, tail, flux * stamps.uniform(0.1, 0.3) * stamps.chance(0.75), _DISK_STARS, stamps)

    along, across = profiles.rotate(stamps.x - x0, stamps.y - y0, direction)
    bridge = np.exp(-0.5 * (along / (0.35 * separation)) ** 2 - 0.5 * (across / (0.12 * separation + 1.0)) ** 2)
    _paint(bands, bridge, (fluxes[0] + fluxes[1]) * stamps.uniform(0.02, 0.08), _DISK_STARS, stamps)
    return bands


def _disturbed(stamps: _Stamps) -> np.ndarray:
    """Faint, irregular galaxy: a lopsided, patchy body with off-centre blue clumps and a plume."""
    x0, y0 = stamps.centre()
    dx, dy = stamps.x - x0, stamps.y - y0
    u, v = profiles.rotate(dx, dy, stamps.uniform(0, np.pi))
    scale = stamps.loguniform(0.04, 0.09) * stamps.size
    flux = _flux_for_size(_EXPONENTIAL_R_EFF * scale) * stamps.uniform(0.35, 0.8)  # low surface brightness
    q = stamps.uniform(0.45, 1.0)
    radius = _ellipse_radius(u, v, q)
    index = np.where(stamps.chance(0.7), 1.0, stamps.uniform(1.5, 3.0)).astype(np.float32)
    azimuth = np.arctan2(v / q, u)
    lopsidedness = stamps.uniform(0.3, 0.8) * (radius / scale)  # one side brighter, more so further out
    lopsided = np.maximum(1 + lopsidedness * np.cos(azimuth - stamps.uniform(0, 2 * np.pi)), 0)
    patches = np.exp(stamps.uniform(0.4, 0.9) * _patchy(stamps, 6))
    body = profiles.sersic(radius, _EXPONENTIAL_R_EFF * scale, index) * lopsided * patches
    clump_share = stamps.uniform(0.1, 0.35)
    plume_share = stamps.uniform(0.05, 0.2)

    bands = stamps.blank()
    _paint(bands, body, flux * (1 - clump_share - plume_share), _DISK_STARS, stamps)
    clumps = np.zeros_like(u)
    for k in range(5):
        offset = stamps.uniform(0.3, 2.0) * scale
        angle = stamps.uniform(0, 2 * np.pi)
        present = np.ones_like(offset) if k == 0 else stamps.chance(0.7)
        sigma = np.maximum(stamps.uniform(0.1, 0.35) * scale, 0.5)
        spot = _gaussian_spot(stamps, x0 + offset * np.cos(angle), y0 + offset * np.sin(angle), sigma)
        clumps += present * stamps.uniform(0.5, 1.5) * spot
    _paint(bands, clumps, flux * clump_share, _YOUNG_STARS, stamps)

    image_radius = np.sqrt(dx**2 + dy**2 + 0.25)
    pitch = np.deg2rad(stamps.uniform(20, 50)) * np.where(stamps.chance(0.5), 1, -1).astype(np.float32)
    plume = _spiral_arms(
        image_radius,
        np.arctan2(dy, dx),
        arms=1.0,
        pitch=pitch,
        phase=stamps.uniform(0, 2 * np.pi),
        start_radius=scale,
        width=stamps.uniform(1.5, 4.0),
    )
    plume *= np.exp(-image_radius / (2.5 * scale)) * (1 - np.exp(-((image_radius / scale) ** 2)))
    _paint(bands, plume, flux * plume_share, _DISK_STARS, stamps)
    return bands


_RENDERERS = (
    _disturbed,
    _merging,
    _round_smooth,
    _in_between_round_smooth,
    _cigar_shaped_smooth,
    _barred_spiral,
    _unbarred_tight_spiral,
    _unbarred_loose_spiral,
    _edge_on_without_bulge,
    _edge_on_with_bulge,
)
