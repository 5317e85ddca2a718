"""Tests of the Galaxy10 DECaLS simulator: array layout, seeding, class shares, and each class's defining
features measured from the rendered images (shapes, arms, pitch, bars, bulges, peaks, asymmetry, colour)."""

import numpy as np
import pytest
from astropy.visualization import make_lupton_rgb
from scipy import ndimage
from skimage.feature import peak_local_max

from course_utils.sims import profiles
from course_utils.sims.galaxies import (
    GALAXY10_DECALS_CLASSES,
    GALAXY10_DECALS_COUNTS,
    observe,
    simulate_galaxy10,
    simulate_galaxy_bands,
    to_rgb,
)

DISTURBED, MERGING, ROUND, IN_BETWEEN, CIGAR, BARRED, TIGHT, LOOSE, EDGE_ON_BARE, EDGE_ON_BULGE = range(10)
SMOOTH = (ROUND, IN_BETWEEN, CIGAR)
SPIRALS = (BARRED, TIGHT, LOOSE)
SIZE = 64


@pytest.fixture(scope="module")
def sample():
    """60 galaxies of each class at 64 x 64 pixels, and their measured light."""
    images, labels = simulate_galaxy10(600, size=SIZE, seed=2024, class_fractions="equal")
    return images, labels, [_Galaxy(image) for image in images]


class _Galaxy:
    """Measurements of the object at the centre of one uint8 RGB stamp."""

    def __init__(self, image: np.ndarray):
        self.rgb = image.astype(np.float64)
        luminance = self.rgb.mean(axis=-1)
        border = np.concatenate([luminance[:4].ravel(), luminance[-4:].ravel()])
        self.sky_noise = max(1.4826 * np.median(np.abs(border - np.median(border))), 1.0)
        self.light = luminance - np.median(border)
        # The connected region above 1.5 sky sigma (after light smoothing) that holds the stamp's centre.
        regions, _ = ndimage.label(ndimage.gaussian_filter(self.light, 1.0) > 1.5 * self.sky_noise)
        middle = SIZE // 2
        central = regions[middle - 3 : middle + 4, middle - 3 : middle + 4]
        self.mask = regions == np.bincount(central[central > 0]).argmax()
        self.weights = np.where(self.mask, np.clip(self.light, 0, None), 0)
        self.y, self.x = np.mgrid[:SIZE, :SIZE].astype(np.float64)
        self.xc, self.yc, self.axis_ratio, self.angle = _second_moments(self.weights, self.x, self.y)
        self.u = (self.x - self.xc) * np.cos(self.angle) + (self.y - self.yc) * np.sin(self.angle)
        self.v = (self.y - self.yc) * np.cos(self.angle) - (self.x - self.xc) * np.sin(self.angle)
        self.elliptical_radius = np.hypot(self.u, self.v / self.axis_ratio)  # along the outer isophotes
        self.azimuth = np.arctan2(self.v / self.axis_ratio, self.u)  # in the plane of a disk, if it is one
        self.r50 = _half_light_radius(self.weights, self.elliptical_radius)

    def arm_contrast(self, bins: int = 12) -> float:
        """Azimuthal variation of brightness along elliptical rings between 0.8 and 2 half-light radii:
        std / mean of the brightness in azimuth bins, averaged over three rings."""
        contrasts = []
        for inner, outer in ((0.8, 1.1), (1.1, 1.5), (1.5, 2.0)):
            ring = (self.elliptical_radius > inner * self.r50) & (self.elliptical_radius < outer * self.r50)
            which = ((self.azimuth[ring] + np.pi) / (2 * np.pi) * bins).astype(int) % bins
            profile = np.bincount(which, self.light[ring], bins) / np.maximum(np.bincount(which, minlength=bins), 1)
            contrasts.append(profile.std() / profile.mean())
        return np.mean(contrasts)

    def pitch_degrees(self) -> float:
        """Pitch angle of the strongest 2- or 3-armed logarithmic spiral in the deprojected disk (2D Fourier method)."""
        ring = (self.elliptical_radius > 0.4 * self.r50) & (self.elliptical_radius < 2.0 * self.r50) & self.mask
        weight = self.weights[ring]
        log_radius, azimuth = np.log(self.elliptical_radius[ring]), self.azimuth[ring]
        frequencies = np.linspace(-30, 30, 121)
        frequencies = frequencies[np.abs(frequencies) > 1.5]
        best_amplitude, best_pitch = 0.0, 0.0
        for arms in (2, 3):
            phase = arms * azimuth[None] + frequencies[:, None] * log_radius[None]
            amplitude = np.abs(np.exp(-1j * phase) @ weight) / weight.sum()
            k = amplitude.argmax()
            if amplitude[k] > best_amplitude:
                best_amplitude, best_pitch = amplitude[k], np.degrees(np.arctan(arms / abs(frequencies[k])))
        return best_pitch

    def inner_bisymmetry(self) -> float:
        """Strength of the m = 2 (bar-like) mode of the light within half the half-light radius of the centre."""
        radius = np.hypot(self.x - self.xc, self.y - self.yc)
        inner = radius < 0.5 * self.r50
        weight = np.clip(self.light[inner], 0, None)
        angle = np.arctan2(self.y[inner] - self.yc, self.x[inner] - self.xc)
        return np.abs((weight * np.exp(-2j * angle)).sum()) / weight.sum()

    def bright_peaks(self) -> int:
        """Local maxima of the lightly smoothed light above 20% of the brightest one."""
        smooth = ndimage.gaussian_filter(self.light, 1.0)
        return len(peak_local_max(smooth, min_distance=2, threshold_abs=max(0.2 * smooth.max(), 5 * self.sky_noise)))

    def asymmetry(self) -> float:
        """Rotational asymmetry: sum |I - I rotated 180 deg about the centroid| / 2 sum |I| over the galaxy."""
        centred = ndimage.shift(self.light, ((SIZE - 1) / 2 - self.yc, (SIZE - 1) / 2 - self.xc), order=1)
        mask = ndimage.shift(self.mask.astype(float), ((SIZE - 1) / 2 - self.yc, (SIZE - 1) / 2 - self.xc), order=0) > 0
        mask |= mask[::-1, ::-1]
        return np.abs(centred - centred[::-1, ::-1])[mask].sum() / (2 * np.abs(centred)[mask].sum())

    def red_to_blue(self) -> float:
        """Ratio of red (z-band) to blue (g-band) light over the galaxy."""
        return self.rgb[..., 0][self.mask].sum() / self.rgb[..., 2][self.mask].sum()

    def central_thickening(self, level: float = 0.1) -> float:
        """Width across the major axis at the centre over that halfway out, at an isophote of ``level`` x peak."""
        smooth = ndimage.gaussian_filter(self.light, 0.7)
        threshold = level * smooth.max()
        steps = np.linspace(-40, 40, 801)

        def extent(along_offset: float, across: bool) -> float:
            if across:
                px = self.xc + along_offset * np.cos(self.angle) - steps * np.sin(self.angle)
                py = self.yc + along_offset * np.sin(self.angle) + steps * np.cos(self.angle)
            else:
                px, py = self.xc + steps * np.cos(self.angle), self.yc + steps * np.sin(self.angle)
            profile = ndimage.map_coordinates(smooth, [py, px], order=1, cval=0.0)
            return (profile > threshold).sum() * (steps[1] - steps[0])

        half_length = extent(0, across=False) / 2
        return extent(0, across=True) / max((extent(half_length / 2, True) + extent(-half_length / 2, True)) / 2, 0.1)


def _second_moments(weights, x, y):
    """Centroid (pixels), axis ratio and major-axis angle (radians) of a weight map."""
    total = weights.sum()
    xc, yc = (weights * x).sum() / total, (weights * y).sum() / total
    dx, dy = x - xc, y - yc
    cxx, cyy, cxy = ((weights * a * b).sum() / total for a, b in ((dx, dx), (dy, dy), (dx, dy)))
    low, high = np.linalg.eigvalsh([[cxx, cxy], [cxy, cyy]])
    return xc, yc, np.sqrt(max(low, 1e-9) / high), 0.5 * np.arctan2(2 * cxy, cxx - cyy)


def _half_light_radius(weights, radius):
    order = np.argsort(radius.ravel())
    cumulative = np.cumsum(weights.ravel()[order])
    return radius.ravel()[order][np.searchsorted(cumulative, cumulative[-1] / 2)]


def _median(sample, measure, *classes):
    """Median of ``measure(galaxy)`` over the galaxies of the given classes."""
    _, labels, galaxies = sample
    return np.median([measure(g) for g, label in zip(galaxies, labels) if label in classes])


def _fraction(sample, condition, *classes):
    _, labels, galaxies = sample
    return np.mean([condition(g) for g, label in zip(galaxies, labels) if label in classes])


# ---------------------------------------------------------------------------------------------------- layout


@pytest.mark.parametrize("size", [64, 69])
def test_layout_is_that_of_the_galaxy10_file(size):
    images, labels = simulate_galaxy10(30, size=size, seed=1)
    assert images.shape == (30, size, size, 3) and images.dtype == np.uint8
    assert labels.shape == (30,) and labels.dtype == np.int64
    assert labels.min() >= 0 and labels.max() <= 9
    assert images.max() > 200 and np.median(images) < 40  # bright galaxies on a dark sky


def test_class_names_are_galaxy10_decals_in_label_order():
    assert len(GALAXY10_DECALS_CLASSES) == 10
    assert GALAXY10_DECALS_CLASSES[0] == "Disturbed Galaxies"
    assert GALAXY10_DECALS_CLASSES[4] == "Cigar Shaped Smooth Galaxies"
    assert GALAXY10_DECALS_CLASSES[9] == "Edge-on Galaxies with Bulge"
    assert sum(GALAXY10_DECALS_COUNTS) == 17736


def test_same_seed_same_galaxies_other_seed_other_galaxies():
    first, first_labels = simulate_galaxy10(40, size=32, seed=3)
    again, again_labels = simulate_galaxy10(40, size=32, seed=3)
    other, _ = simulate_galaxy10(40, size=32, seed=4)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first_labels, again_labels)
    assert np.abs(first.astype(int) - other.astype(int)).mean() > 1


def test_default_class_shares_follow_the_real_galaxy10_counts():
    _, labels = simulate_galaxy10(1000, size=16, seed=0)
    expected = 1000 * np.array(GALAXY10_DECALS_COUNTS) / sum(GALAXY10_DECALS_COUNTS)
    assert np.all(np.abs(np.bincount(labels, minlength=10) - expected) <= 1)
    assert not np.all(np.diff(labels) >= 0)  # shuffled, not sorted by class


def test_equal_shares_and_a_subset_of_classes_with_weights():
    _, labels = simulate_galaxy10(50, size=16, class_fractions="equal")
    assert np.all(np.bincount(labels, minlength=10) == 5)
    _, labels = simulate_galaxy10(40, size=16, classes=[2, 4], class_fractions=[3, 1])
    assert np.bincount(labels, minlength=10)[[2, 4]].tolist() == [30, 10] and set(labels) == {2, 4}


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(n=0), "n must be a positive"),
        (dict(n=5, size=8), "size must be"),
        (dict(n=5, classes=[3, 10]), "classes must be distinct Galaxy10 labels"),
        (dict(n=5, class_fractions=[1, 2]), "one non-negative weight per rendered class"),
        (dict(n=5, class_fractions="balanced"), 'None, "equal"'),
    ],
)
def test_bad_arguments_say_what_to_do(arguments, message):
    with pytest.raises(ValueError, match=message):
        simulate_galaxy10(**arguments)


# ---------------------------------------------------------------------------------------------------- the three steps


def test_clean_bands_are_the_galaxies_of_simulate_galaxy10():
    images, labels = simulate_galaxy10(40, size=48, seed=7)
    bands, band_labels = simulate_galaxy_bands(40, size=48, seed=7)
    assert bands.shape == (40, 48, 48, 3) and bands.dtype == np.float32
    np.testing.assert_array_equal(band_labels, labels)
    seen = to_rgb(observe(bands, psf_fwhm=0.015 * 48, noise=0.0) + 0.05).astype(float).mean(axis=-1)
    recorded = images.astype(float).mean(axis=-1)
    match = np.corrcoef(seen.reshape(40, -1), recorded.reshape(40, -1))[:40, 40:]
    # Each simulated image looks most like its own clean galaxy (the PSF and noise were drawn per image).
    np.testing.assert_array_equal(match.argmax(axis=0), np.arange(40))
    assert np.median(np.diag(match)) > 0.9


def test_observe_blurs_with_the_stated_gaussian_kernel_and_keeps_the_flux():
    point = np.zeros((1, 33, 33, 3), np.float32)
    point[0, 16, 16] = 1.0
    blurred = observe(point, psf_fwhm=4.0, noise=0.0)
    kernel = profiles.psf_kernel(4.0, 2 * 33 - 1)[16:-16, 16:-16]  # centred on the point
    for band in range(3):
        np.testing.assert_allclose(blurred[0, ..., band], kernel, atol=1e-7)
    assert blurred.sum() == pytest.approx(3.0, rel=1e-5)
    profile = blurred[0, 16, :, 0]
    assert np.sum(profile >= profile.max() / 2) in (3, 5)  # FWHM 4 pixels: 3 or 5 whole pixels above half
    np.testing.assert_array_equal(observe(point, psf_fwhm=0.0, noise=0.0), point)


def test_observe_rebins_to_coarser_pixels_keeping_surface_brightness():
    rng = np.random.default_rng(0)
    bands = rng.random((2, 12, 12, 3), dtype=np.float32)
    coarse = observe(bands, psf_fwhm=0.0, noise=0.0, rebin=3)
    assert coarse.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(coarse[1, 2, 0], bands[1, 6:9, 0:3].mean(axis=(0, 1)), rtol=1e-6)
    with pytest.raises(ValueError, match="crop them to a multiple of 5"):
        observe(bands, psf_fwhm=1.0, noise=0.1, rebin=5)


def test_observe_adds_sky_and_source_noise_of_the_stated_variance():
    flat = np.full((4, 64, 64, 3), 2.0, np.float32)
    sky_only = observe(flat, psf_fwhm=0.0, noise=[0.1, 0.2, 0.3, 0.4], seed=1)
    np.testing.assert_allclose(sky_only.std(axis=(1, 2, 3)), [0.1, 0.2, 0.3, 0.4], rtol=0.03)
    assert abs(sky_only.mean() - 2.0) < 0.01
    with_source = observe(flat, psf_fwhm=0.0, noise=0.1, gain=50.0, seed=1)
    assert with_source.std() == pytest.approx(np.sqrt(0.1**2 + 2.0 / 50.0), rel=0.02)
    np.testing.assert_array_equal(
        observe(flat, psf_fwhm=1.0, noise=0.1, seed=3), observe(flat, psf_fwhm=1.0, noise=0.1, seed=3)
    )
    with pytest.raises(ValueError, match="one value per image"):
        observe(flat, psf_fwhm=1.0, noise=[0.1, 0.2])
    with pytest.raises(ValueError, match="gain must be finite and positive"):
        observe(flat, psf_fwhm=1.0, noise=0.1, gain=0.0)


def test_to_rgb_is_the_lupton_stretch_red_from_z_blue_from_g():
    bands, _ = simulate_galaxy_bands(3, size=32, seed=2)
    expected = make_lupton_rgb(bands[1, ..., 2], bands[1, ..., 1], bands[1, ..., 0], stretch=1.0, Q=8.0)
    np.testing.assert_array_equal(to_rgb(bands)[1], expected)
    np.testing.assert_array_equal(to_rgb(bands[1]), expected)
    with pytest.raises(ValueError, match="g, r, z images"):
        to_rgb(bands[..., :2])


# ---------------------------------------------------------------------------------------------------- survey realism


def test_sky_has_noise_that_is_not_clipped_to_black(sample):
    images, _, _ = sample
    border = images[:, :4].astype(float).mean(axis=-1)
    assert np.median(border.std(axis=(1, 2))) > 1.0
    assert np.mean(border == 0) < 0.05


def test_galaxies_are_near_the_centre_at_random_angles_and_various_sizes(sample):
    _, labels, galaxies = sample
    offsets = [np.hypot(g.xc - (SIZE - 1) / 2, g.yc - (SIZE - 1) / 2) for g, c in zip(galaxies, labels) if c in SMOOTH]
    assert np.median(offsets) < 0.04 * SIZE
    elongated = [g.angle for g, c in zip(galaxies, labels) if c in (CIGAR, EDGE_ON_BARE, EDGE_ON_BULGE)]
    assert np.abs(np.mean(np.exp(2j * np.array(elongated)))) < 0.35  # no preferred orientation
    sizes = [g.r50 for g, c in zip(galaxies, labels) if c == ROUND]
    assert np.percentile(sizes, 90) > 1.5 * np.percentile(sizes, 10)


# ---------------------------------------------------------------------------------------------------- class features


def test_smooth_galaxies_run_from_round_through_in_between_to_cigar_shaped(sample):
    ratio = {c: _median(sample, lambda g: g.axis_ratio, c) for c in SMOOTH}
    assert ratio[ROUND] > 0.8
    assert ratio[ROUND] - 0.1 > ratio[IN_BETWEEN] > ratio[CIGAR] + 0.15
    assert ratio[CIGAR] < 0.45


def test_edge_on_disks_are_very_elongated(sample):
    assert _median(sample, lambda g: g.axis_ratio, EDGE_ON_BARE) < 0.2
    assert _median(sample, lambda g: g.axis_ratio, EDGE_ON_BULGE) < 0.35
    assert _fraction(sample, lambda g: g.axis_ratio < 0.4, EDGE_ON_BARE, EDGE_ON_BULGE) > 0.9


def test_edge_on_bulges_thicken_the_centre(sample):
    bare = _median(sample, _Galaxy.central_thickening, EDGE_ON_BARE)
    bulge = _median(sample, _Galaxy.central_thickening, EDGE_ON_BULGE)
    assert bulge > bare + 0.3


def test_spirals_have_arms_that_smooth_galaxies_lack(sample):
    smooth = max(_median(sample, _Galaxy.arm_contrast, c) for c in SMOOTH)
    for spiral in SPIRALS:
        assert _median(sample, _Galaxy.arm_contrast, spiral) > 1.8 * smooth
    assert _median(sample, _Galaxy.arm_contrast, *SPIRALS) > 2.5 * smooth


def test_tight_spirals_are_wound_tighter_than_loose_ones(sample):
    tight = _median(sample, _Galaxy.pitch_degrees, TIGHT)
    loose = _median(sample, _Galaxy.pitch_degrees, LOOSE)
    assert tight < 16 < 18 < loose
    assert loose - tight > 7


def test_barred_spirals_have_an_elongated_centre(sample):
    barred = _median(sample, _Galaxy.inner_bisymmetry, BARRED)
    unbarred = _median(sample, _Galaxy.inner_bisymmetry, TIGHT, LOOSE)
    assert barred > 1.8 * unbarred


def test_mergers_show_two_brightness_peaks(sample):
    assert _fraction(sample, lambda g: g.bright_peaks() >= 2, MERGING) > 0.8
    assert _fraction(sample, lambda g: g.bright_peaks() >= 2, *SMOOTH) < 0.15


def test_disturbed_and_merging_galaxies_are_asymmetric(sample):
    round_smooth = _median(sample, _Galaxy.asymmetry, ROUND)
    assert _median(sample, _Galaxy.asymmetry, DISTURBED) > 2.5 * round_smooth
    assert _median(sample, _Galaxy.asymmetry, MERGING) > 2.5 * round_smooth


def test_ellipticals_are_redder_than_spiral_disks(sample):
    assert _median(sample, _Galaxy.red_to_blue, *SMOOTH) > 1.3 * _median(sample, _Galaxy.red_to_blue, *SPIRALS)
