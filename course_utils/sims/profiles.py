"""Light profiles, geometry, point-spread functions, noise and random draws shared by the simulators.

One function per profile, vectorised: parameters broadcast against the coordinates (e.g. coordinates
of shape (1, H, W) and parameters of shape (n, 1, 1) give maps (n, H, W)), and the arithmetic runs in
the dtype of the inputs (float32 in, float32 out). Conventions, those of lenstronomy:

- angles in radians counter-clockwise from the +x axis; a frame "turned by phi" has x' along phi;
- an ellipse of axis ratio q = b / a <= 1 with its major axis at angle phi has eccentricities
  (e1, e2) = ((1 - q) / (1 + q)) (cos 2 phi, sin 2 phi);
- Sérsic: I(R) = amp exp(-b_n [(R / r_eff)^(1/n) - 1]), so ``amp`` is the surface brightness at r_eff,
  with b_n = 1.9992 n - 0.3271 (Capaccioli 1989), lenstronomy's choice: r_eff encloses half the light to
  better than 1% for 1 <= n <= 10, 2% at n = 0.5 (the exact b_n solves gamma(2n, b_n) = Gamma(2n) / 2).
  In :func:`sersic_ellipse` R is the circularised radius sqrt(q x'^2 + y'^2 / q);
- PSF widths are full widths at half maximum (FWHM), in the units of the grid they are sampled on.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gamma as gamma_function

GAUSSIAN_FWHM_PER_SIGMA = 2 * np.sqrt(2 * np.log(2))
"""FWHM of a Gaussian in units of its standard deviation (about 2.3548)."""

MOFFAT_BETA = 3.0
"""Default power-law index of the Moffat PSF (atmospheric seeing: 2.5 to 4.5)."""

PSF_KINDS = ("gaussian", "moffat")


# --------------------------------------------------------------------------------------------------
# Geometry


def ellipticity_to_axis_ratio(e1, e2):
    """Axis ratio q (minor/major) and major-axis angle phi (radians from x) of eccentricities (e1, e2)."""
    e = np.hypot(e1, e2)
    if np.any(e >= 1):
        raise ValueError(
            f"eccentricity sqrt(e1^2 + e2^2) must be below 1 (q = (1-e)/(1+e) > 0); got up to {np.max(e):.4g}"
        )
    return (1 - e) / (1 + e), 0.5 * np.arctan2(e2, e1)


def axis_ratio_to_ellipticity(q, phi):
    """Eccentricities (e1, e2) of an ellipse of axis ratio q with major axis at angle phi (radians)."""
    e = (1 - np.asarray(q)) / (1 + np.asarray(q))
    return e * np.cos(2 * phi), e * np.sin(2 * phi)


def rotate(dx, dy, angle):
    """Coordinates (x', y') of offsets (dx, dy) in the frame turned by ``angle`` (radians): x' along ``angle``."""
    cos, sin = np.cos(angle), np.sin(angle)
    return cos * dx + sin * dy, cos * dy - sin * dx


# --------------------------------------------------------------------------------------------------
# Sérsic light


def sersic_b(n):
    """Sérsic b_n = 1.9992 n - 0.3271 (Capaccioli 1989, as lenstronomy): r_eff holds about half the light."""
    return 1.9992 * np.asarray(n) - 0.3271


def sersic(radius, r_eff, n, amp=1.0):
    """Sérsic surface brightness amp exp(-b_n [(radius / r_eff)^(1/n) - 1]) at ``radius`` (any radius: the
    caller chooses circular, elliptical or boxy), ``amp`` at the half-light radius ``r_eff``."""
    dtype = np.result_type(radius, r_eff, n, np.float32)
    ratio = np.asarray(radius, dtype) / np.asarray(r_eff, dtype)
    return sersic_of_squared_ratio(ratio * ratio, n, amp, dtype)


def sersic_ellipse(x, y, amp, r_eff, n, e1, e2, center_x=0.0, center_y=0.0):
    """Elliptical Sérsic surface brightness at (x, y), lenstronomy's "SERSIC_ELLIPSE".

    ``amp`` is the surface brightness at the circularised half-light radius ``r_eff``; (e1, e2) the
    eccentricities; arguments broadcast against x and y, in their dtype (float32 in, float32 out).
    """
    dtype = np.result_type(x, y, amp, r_eff, n, e1, e2, center_x, center_y, np.float32)
    axes = scaled_axes(r_eff, e1, e2, dtype)
    return sersic_along_axes(x - center_x, y - center_y, axes, n, amp, dtype)


def scaled_axes(r_eff, e1, e2, dtype):
    """(a, b, c, d) in ``dtype``: u = a dx + b dy and v = c dy - d dx are the offsets (dx, dy) along the
    major and minor axes of the ellipse (e1, e2), scaled so that u^2 + v^2 = (R / r_eff)^2, with R the
    circularised radius sqrt(q x'^2 + y'^2 / q)."""
    q, phi = ellipticity_to_axis_ratio(e1, e2)
    scale_u, scale_v = np.sqrt(q) / r_eff, 1 / (np.sqrt(q) * r_eff)
    cos, sin = np.cos(phi), np.sin(phi)
    return tuple(np.asarray(value, dtype) for value in (scale_u * cos, scale_u * sin, scale_v * cos, scale_v * sin))


def sersic_along_axes(dx, dy, axes, n, amp, dtype):
    """Sérsic surface brightness at offsets (dx, dy) from its centre, of the :func:`scaled_axes` ``axes``."""
    a, b, c, d = axes
    u = a * dx + b * dy
    v = c * dy - d * dx
    np.multiply(u, u, out=u)
    u += np.multiply(v, v, out=v)
    return sersic_of_squared_ratio(u, n, amp, dtype)


def sersic_of_squared_ratio(ratio2, n, amp, dtype):
    """Sérsic profile of (R / r_eff)^2, computed as exp(log(.) / 2n) (no square root, no power) in the
    array ``ratio2`` (overwritten), returned unless ``n`` or ``amp`` broadcast it to a larger shape."""
    ratio2 = np.asarray(ratio2)
    shape = np.broadcast_shapes(ratio2.shape, np.shape(n), np.shape(amp))
    if ratio2.shape != shape:
        ratio2 = np.broadcast_to(ratio2, shape).astype(dtype)
    with np.errstate(divide="ignore"):  # log(0) at the centre gives exp(-inf) = 0: the right limit
        reduced = np.log(ratio2, out=ratio2)
    reduced *= np.asarray(0.5 / n, dtype)
    np.exp(reduced, out=reduced)  # (R / r_eff)^(1/n)
    b = np.asarray(sersic_b(n), dtype)
    np.multiply(b, reduced, out=reduced)
    np.subtract(b, reduced, out=reduced)
    reduced = np.exp(reduced, out=reduced)
    reduced *= amp
    return reduced


def sersic_total_flux(amp, r_eff, n):
    """Total flux of an elliptical Sérsic profile of surface brightness ``amp`` at r_eff (circularised)."""
    b = sersic_b(n)
    return amp * 2 * np.pi * n * r_eff**2 * np.exp(b) * b ** (-2 * n) * gamma_function(2 * n)


# --------------------------------------------------------------------------------------------------
# Point-spread functions


def psf_on_grid(r2, fwhm, kind="gaussian", beta=MOFFAT_BETA):
    """PSF of unit sum on a grid of squared distances ``r2`` (H, W) from its centre.

    ``fwhm`` in the units of sqrt(r2), scalar or shape (n,) (gives (n, H, W)). ``kind`` "gaussian":
    exp(-r^2 / (2 sigma^2)) with sigma = fwhm / 2.3548; "moffat": (1 + r^2 / alpha^2)^-beta with
    alpha = fwhm / (2 sqrt(2^(1/beta) - 1)). float32.
    """
    if kind not in PSF_KINDS:
        raise ValueError(f"psf kind must be one of {PSF_KINDS}, got {kind!r}")
    fwhm = np.asarray(fwhm, np.float32)[..., None, None]
    if kind == "gaussian":
        kernel = np.exp(r2 * (np.float32(-4 * np.log(2)) / fwhm**2))
    else:
        alpha2 = fwhm**2 / np.float32(4 * (2 ** (1 / beta) - 1))
        kernel = np.exp(np.float32(-beta) * np.log1p(r2 / alpha2))
    return kernel / kernel.sum(axis=(-2, -1), keepdims=True)


def psf_kernel(fwhm, size, pixel_scale=1.0, kind="gaussian", beta=MOFFAT_BETA):
    """PSF sampled at the centres of a ``size`` x ``size`` grid of pixels, centred on pixel (size//2, size//2), sum 1.

    ``fwhm`` in the units of ``pixel_scale`` (e.g. arcsec, or pixels with the default 1), scalar or shape
    (n,) (gives (n, size, size)); ``kind`` and ``beta`` as in :func:`psf_on_grid`.
    """
    offsets = (np.arange(size, dtype=np.float32) - size // 2) * np.float32(pixel_scale)
    return psf_on_grid(offsets[:, None] ** 2 + offsets[None, :] ** 2, fwhm, kind, beta)


def gaussian_blur(images, fwhm):
    """Convolve images (n, C, H, W) with a Gaussian PSF of ``fwhm`` pixels, per image (n,), as matrix products.

    The kernel is :func:`psf_kernel` (fwhm, 2 max(H, W) - 1) (Gaussian sampled at whole-pixel offsets,
    unit sum over every offset a pixel of the stamp can have), the same in every channel; light blurred
    past the edge leaves the stamp (zero padding, no wrap-around: scipy.signal.convolve's "same" mode).
    ``fwhm`` 0 leaves an image as it is. float32 in, float32 out.
    """
    n, channels, height, width = images.shape
    fwhm = np.broadcast_to(np.asarray(fwhm, np.float32), (n,))
    if np.any(fwhm < 0) or not np.all(np.isfinite(fwhm)):
        raise ValueError(f"the PSF's FWHM must be finite and non-negative (pixels), got {fwhm.min()}")
    blurred = images.copy()
    seen = np.flatnonzero(fwhm > 0)
    if seen.size == 0:
        return blurred
    sigma = (fwhm[seen] / np.float32(GAUSSIAN_FWHM_PER_SIGMA))[:, None, None]
    side = max(height, width)
    lags = np.arange(-side + 1, side, dtype=np.float32)
    norm = np.exp(-0.5 * (lags[None, :] / sigma[:, 0]) ** 2).sum(axis=1)[:, None, None]

    def blur_matrix(length):  # (m, length, length), symmetric: row i holds the kernel centred on pixel i
        offsets = np.arange(length, dtype=np.float32)
        return np.repeat(np.exp(-0.5 * ((offsets[:, None] - offsets[None, :]) / sigma) ** 2) / norm, channels, axis=0)

    flat = images[seen].reshape(-1, height, width)
    blurred[seen] = (blur_matrix(height) @ flat @ blur_matrix(width)).reshape(-1, channels, height, width)
    return blurred  # stacked 3-D matrix products run in BLAS


# --------------------------------------------------------------------------------------------------
# Noise and random draws


def standard_normal(rng, shape):
    """Standard normal float32 deviates, each pair from a pair of uniforms (Box-Muller transform).

    About twice as fast as ``rng.standard_normal`` on the course machines; a stream cut into pieces of even
    length gives the same deviates as drawn at once.
    """
    count = int(np.prod(shape))
    pairs = (count + 1) // 2
    out = rng.random((pairs, 2), dtype=np.float32)
    radius, angle = out[:, 0].copy(), out[:, 1].copy()  # contiguous: the ufuncs below run vectorised
    np.negative(radius, out=radius)
    np.log1p(radius, out=radius)  # log(1 - u), 1 - u in (0, 1]
    radius *= np.float32(-2)
    np.sqrt(radius, out=radius)
    angle *= np.float32(2 * np.pi)
    cos = np.cos(angle)
    np.sin(angle, out=angle)
    np.multiply(radius, cos, out=out[:, 0])
    np.multiply(radius, angle, out=out[:, 1])
    return out.reshape(-1)[:count].reshape(shape)


def loguniform(rng, low, high, shape, dtype=np.float64):
    """Draws uniform in log between ``low`` and ``high`` (> 0), of the given shape and dtype."""
    return np.exp(rng.uniform(np.log(low), np.log(high), shape)).astype(dtype, copy=False)
