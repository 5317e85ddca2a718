"""Light profiles, geometry, point-spread functions, noise and random draws shared by the simulators.

One function per profile, vectorised: parameters broadcast against the coordinates (e.g. coordinates
of shape (1, H, W) and parameters of shape (n, 1, 1) give maps (n, H, W)), and the arithmetic runs in
the dtype of the inputs (float32 in, float32 out). Conventions, those of lenstronomy:

- angles in radians counter-clockwise from the +x axis; a frame "turned by phi" has x' along phi;
- an ellipse of axis ratio q = b / a <= 1 with its major axis at angle phi has eccentricities
  (e1, e2) = ((1 - q) / (1 + q)) (cos 2 phi, sin 2 phi);
- PSF widths are full widths at half maximum (FWHM), in the units of the grid they are sampled on.
"""
from __future__ import annotations

import numpy as np

GAUSSIAN_FWHM_PER_SIGMA = 2 * np.sqrt(2 * np.log(2))
"""FWHM of a Gaussian in units of its standard deviation (about 2.3548)."""

MOFFAT_BETA = 3.0
"""Default power-law index of the Moffat PSF (atmospheric seeing: 2.5 to 4.5)."""

PSF_KINDS = ("gaussian", "moffat")


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
    u = rng.random((pairs, 2), dtype=np.float32)
    radius = np.sqrt(-2 * np.log1p(-u[:, 0]))  # 1 - u lies in (0, 1]
    angle = np.float32(2 * np.pi) * u[:, 1]
    out = np.empty((pairs, 2), np.float32)
    np.multiply(radius, np.cos(angle), out=out[:, 0])
    np.multiply(radius, np.sin(angle), out=out[:, 1])
    return out.reshape(-1)[:count].reshape(shape)


def loguniform(rng, low, high, shape, dtype=np.float64):
    """Draws uniform in log between ``low`` and ``high`` (> 0), of the given shape and dtype."""
    return np.exp(rng.uniform(np.log(low), np.log(high), shape)).astype(dtype, copy=False)
