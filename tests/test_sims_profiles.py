"""The simulators' shared profile library against lenstronomy, the field's reference code, and against the
definitions its docstrings state (half-light radius, FWHM, unit sums, normal deviates)."""

import numpy as np
import pytest
from lenstronomy.LensModel.Profiles.sersic_utils import SersicUtil  # noqa: E402
from lenstronomy.LightModel.light_model import LightModel  # noqa: E402
from lenstronomy.Util import param_util  # noqa: E402
from scipy import special, stats

from course_utils.sims import profiles


def test_sersic_b_is_lenstronomys_and_r_eff_holds_about_half_the_light():
    n = np.linspace(0.5, 8, 31)
    np.testing.assert_allclose(profiles.sersic_b(n), [SersicUtil.b_n(value) for value in n], rtol=1e-12)
    exact = special.gammaincinv(2 * n, 0.5)  # b_n for which r_eff encloses exactly half the light
    held = special.gammainc(2 * n, profiles.sersic_b(n))  # light inside r_eff with the convention's b_n
    assert np.all(np.abs(held - 0.5) < 0.01 * (n >= 1) + 0.02 * (n < 1))
    assert np.max(np.abs(profiles.sersic_b(n) - exact)) < 0.025


def test_sersic_ellipse_matches_lenstronomy():
    rng = np.random.default_rng(3)
    light = LightModel(["SERSIC_ELLIPSE"])
    for _ in range(10):
        kwargs = dict(
            amp=rng.uniform(1, 10),
            R_sersic=rng.uniform(0.1, 2),
            n_sersic=rng.uniform(0.5, 6),
            e1=rng.uniform(-0.3, 0.3),
            e2=rng.uniform(-0.3, 0.3),
            center_x=0.1,
            center_y=-0.2,
        )
        x, y = rng.uniform(-4, 4, (2, 200))
        ours = profiles.sersic_ellipse(
            x,
            y,
            kwargs["amp"],
            kwargs["R_sersic"],
            kwargs["n_sersic"],
            kwargs["e1"],
            kwargs["e2"],
            kwargs["center_x"],
            kwargs["center_y"],
        )
        np.testing.assert_allclose(ours, light.surface_brightness(x, y, [kwargs]), rtol=1e-8)


def test_radial_sersic_is_the_round_sersic_ellipse_with_amp_at_r_eff():
    radius = np.linspace(0, 5, 101)
    np.testing.assert_allclose(
        profiles.sersic(radius, 1.3, 2.5, amp=3.0),
        profiles.sersic_ellipse(radius, 0.0, 3.0, 1.3, 2.5, 0.0, 0.0),
        rtol=1e-12,
    )
    assert profiles.sersic(1.3, 1.3, 4.0, amp=3.0) == pytest.approx(3.0, rel=1e-12)
    float32 = profiles.sersic(radius.astype(np.float32), np.float32(1.3), np.float32(2.5))
    assert float32.dtype == np.float32


def test_sersic_total_flux_is_the_integral_of_the_profile():
    x, y = np.meshgrid(*2 * [np.arange(-12, 12, 0.02) + 0.01])
    image = profiles.sersic_ellipse(x, y, 2.0, 0.8, 1.5, 0.2, -0.1)
    assert image.sum() * 0.02**2 == pytest.approx(profiles.sersic_total_flux(2.0, 0.8, 1.5), rel=2e-3)


def test_ellipticity_conversions_are_lenstronomys_and_invert_each_other():
    rng = np.random.default_rng(6)
    q, phi = rng.uniform(0.2, 1.0, 50), rng.uniform(-np.pi / 2, np.pi / 2, 50)
    e1, e2 = profiles.axis_ratio_to_ellipticity(q, phi)
    np.testing.assert_allclose((e1, e2), param_util.phi_q2_ellipticity(phi, q), rtol=1e-12, atol=1e-15)
    back_q, back_phi = profiles.ellipticity_to_axis_ratio(e1, e2)
    np.testing.assert_allclose(back_q, q, rtol=1e-12)
    np.testing.assert_allclose(np.cos(2 * back_phi), np.cos(2 * phi), atol=1e-12)  # phi is defined modulo pi
    with pytest.raises(ValueError, match="must be below 1"):
        profiles.ellipticity_to_axis_ratio(0.8, 0.6)


def test_rotate_puts_x_prime_along_the_angle():
    along, across = profiles.rotate(np.cos(0.4) * 2.0, np.sin(0.4) * 2.0, 0.4)
    assert (along, across) == (pytest.approx(2.0), pytest.approx(0.0, abs=1e-15))
    along, across = profiles.rotate(0.0, 1.0, np.pi / 2)
    assert (along, across) == (pytest.approx(1.0), pytest.approx(0.0, abs=1e-15))


@pytest.mark.parametrize("kind", ["gaussian", "moffat"])
def test_psf_kernel_has_the_asked_fwhm(kind):
    kernel = profiles.psf_kernel(0.8, 201, 0.01, kind)
    assert kernel.sum() == pytest.approx(1.0, rel=1e-5)
    row = kernel[100]
    assert (row >= row.max() / 2).sum() * 0.01 == pytest.approx(0.8, abs=0.02)
    with pytest.raises(ValueError, match="psf kind must be one of"):
        profiles.psf_kernel(0.8, 21, 0.1, "airy")


def test_gaussian_blur_is_a_zero_padded_convolution_with_the_psf_kernel():
    from scipy.signal import convolve

    images = np.random.default_rng(4).random((2, 3, 20, 20), dtype=np.float32)
    blurred = profiles.gaussian_blur(images, [2.5, 0.0])
    kernel = profiles.psf_kernel(2.5, 39)
    for channel in range(3):
        np.testing.assert_allclose(blurred[0, channel], convolve(images[0, channel], kernel, mode="same"), atol=2e-6)
    np.testing.assert_array_equal(blurred[1], images[1])  # FWHM 0: no blur
    with pytest.raises(ValueError, match="non-negative"):
        profiles.gaussian_blur(images, -1.0)


def test_box_muller_noise_is_standard_normal():
    deviates = profiles.standard_normal(np.random.default_rng(5), (200, 501))
    assert deviates.dtype == np.float32 and deviates.shape == (200, 501)
    for half in (deviates.ravel()[0::2], deviates.ravel()[1::2]):  # each of a pair is N(0, 1)
        assert stats.kstest(half, "norm").pvalue > 1e-3
        assert abs(half.mean()) < 0.01 and half.std() == pytest.approx(1.0, abs=0.006)
    assert abs(np.corrcoef(deviates.ravel()[0::2], deviates.ravel()[1::2])[0, 1]) < 0.01


def test_loguniform_draws_are_uniform_in_log_and_seeded():
    draws = profiles.loguniform(np.random.default_rng(7), 0.1, 10.0, 20_000)
    assert draws.min() >= 0.1 and draws.max() <= 10.0
    assert stats.kstest(np.log10(draws), "uniform", args=(-1, 2)).pvalue > 1e-3
    np.testing.assert_array_equal(draws, profiles.loguniform(np.random.default_rng(7), 0.1, 10.0, 20_000))
    assert profiles.loguniform(np.random.default_rng(7), 1, 2, 3, np.float32).dtype == np.float32
