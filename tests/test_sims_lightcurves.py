"""The light-curve simulator: its shapes and catalog, its periods as Lomb–Scargle finds them, its eclipse
depths and amplitudes as drawn, its survey cadence (seasons, nights, weather) and errors; and dm–dt images."""

import numpy as np
import pytest
from astropy.timeseries import LombScargle

from course_utils.dmdt import DM_EDGES, DT_EDGES, dmdt_images
from course_utils.sims import lightcurves
from course_utils.sims.lightcurves import CLASS_NAMES, simulate_light_curves


@pytest.fixture(scope="module")
def population():
    return simulate_light_curves(1_100, seed=5)


def test_arrays_catalog_and_seed(population):
    lc = population
    n, length = lc.time.shape
    assert (n, length) == (1_100, 400) and lc.mag.dtype == np.float32 and lc.band.dtype == np.int8
    counts = lc.mask.sum(axis=1)
    assert np.array_equal(counts, lc.catalog["n_epochs"]) and counts.min() >= 15
    assert np.all(lc.mask[:, :-1] >= lc.mask[:, 1:])  # real epochs first, padding after
    assert all(np.all(np.diff(t[m]) > 0) for t, m in zip(lc.time, lc.mask))
    assert np.all(lc.time[~lc.mask] == 0) and np.all(lc.band[~lc.mask] == -1) and np.all(lc.err[lc.mask] > 0)
    assert np.bincount(lc.label).tolist() == [100] * len(CLASS_NAMES)
    assert list(lc.catalog["class"][:5]) == [CLASS_NAMES[k] for k in lc.label[:5]]
    assert set(lc.catalog["target"]) <= {16, 42, 53, 65, 88, 90, 92}  # PLAsTiCC's targets
    again = simulate_light_curves(1_100, seed=5)
    assert np.array_equal(again.mag, lc.mag) and not np.array_equal(simulate_light_curves(1_100, seed=6).mag, lc.mag)


def test_bad_input_says_what_to_do():
    with pytest.raises(ValueError, match="choose from"):
        simulate_light_curves(10, classes=["RRLyrae"])
    with pytest.raises(ValueError, match="n_epochs"):
        simulate_light_curves(10, n_epochs=(50, 20))
    with pytest.raises(ValueError, match="positive integer"):
        simulate_light_curves(0)


@pytest.mark.parametrize(
    "name, factor", [("RRab", 1), ("RRc", 1), ("Cepheid", 1), ("delta_Scuti", 1), ("W_UMa", 0.5)]
)  # a contact binary's two minima: LS finds P / 2
def test_lomb_scargle_recovers_the_period_within_one_percent(name, factor):
    lc = simulate_light_curves(30, seed=11, classes=[name], n_epochs=(250, 300), bands=(2,))
    bright = np.asarray(lc.catalog["mean_mag"]) < 19
    found = []
    for t, m, e, k, period in zip(
        lc.time[bright], lc.mag[bright], lc.err[bright], lc.mask[bright], lc.catalog["period"][bright]
    ):
        frequency, power = LombScargle(t[k], m[k], e[k]).autopower(  # periods 2/3 to 4/3 of the truth
            minimum_frequency=0.75 / (factor * period), maximum_frequency=1.5 / (factor * period), samples_per_peak=5
        )
        found.append(abs(1 / frequency[np.argmax(power)] / (factor * period) - 1) < 0.01)
    # delta Scuti periods of 0.03-0.25 d, sampled about once a night, fall on the one-day aliases more often
    assert len(found) >= 8 and np.mean(found) >= (0.75 if name == "delta_Scuti" else 0.85), np.mean(found)


def test_shapes_have_the_drawn_amplitude_and_depth():
    phase = np.linspace(0, 1, 100_001)
    for rise in (0.12, 0.3, 0.5):
        shape = lightcurves.pulsation(phase, rise)
        assert np.ptp(shape) == pytest.approx(1.0) and shape[0] == pytest.approx(1.0)
        assert phase[np.argmin(shape)] == pytest.approx(1 - rise, abs=1e-4)  # rises in the last `rise` of a cycle
    dips = lightcurves.eclipses(phase, 0.8, 0.1, 0.4)
    assert dips.max() == pytest.approx(0.8) and dips[50_000] == pytest.approx(0.32)
    assert np.mean(dips == 0) == pytest.approx(0.8, abs=1e-3)  # flat outside two eclipses of 10 % each
    contact = lightcurves.contact_binary(phase, 0.5, 0.1)
    assert contact.max() == pytest.approx(0.5) and contact[50_000] == pytest.approx(0.45) and contact.min() >= 0
    days = np.linspace(-50, 200, 250_001)
    for rise, fall in ((1.5, 15.0), (8.0, 120.0)):
        flux = lightcurves.bazin_flux(days, 0.0, rise, fall)
        assert flux.max() == pytest.approx(1.0) and flux[0] < 0.01 and 0 < days[np.argmax(flux)] < 4 * rise


def test_observed_amplitudes_and_eclipse_depths_match_the_catalog():
    for name in ("RRab", "Cepheid", "Algol", "Mira"):
        lc = simulate_light_curves(60, seed=3, classes=[name], n_epochs=(380, 400), bands=(2,), outlier_rate=0)
        model = lc.mag - np.asarray(lc.catalog["mean_mag"], dtype=np.float32)[:, None]
        faintest = np.asarray(lc.catalog["mean_mag"] + lc.catalog["amplitude"])
        bright = faintest < 18.5  # errors below 0.03 mag everywhere
        observed = np.array([np.ptp(d[k]) for d, k in zip(model[bright], lc.mask[bright])])
        drawn = np.asarray(lc.catalog["amplitude"])[bright]
        assert bright.sum() >= 5
        assert np.all(observed <= drawn + 0.1), name  # the noise-free curve never exceeds what was drawn
        assert np.median(observed / drawn) > (0.55 if name == "Algol" else 0.85), name  # minima caught


def test_cadence_has_seasons_whole_day_spacing_and_weather_gaps(population):
    lc = population
    for time, mask in zip(lc.time[:200], lc.mask[:200]):
        steps = np.diff(time[mask])
        assert steps.max() > 100  # a seasonal gap
        assert np.ptp(time[mask]) > 600  # at least two seasons
    steps = np.concatenate([np.diff(t[m]) for t, m in zip(lc.time, lc.mask)])
    between_nights = steps[steps > 0.5]
    fraction = between_nights - np.round(between_nights)
    assert np.mean(np.abs(fraction) < 0.25) > 0.9  # visits near midnight: the one-day alias
    assert np.mean(steps < 0.3) > 0.02  # some nights have several visits
    single = np.round(np.concatenate([np.diff(np.unique(np.floor(t[m]))) for t, m in zip(lc.time, lc.mask)]))
    assert np.mean(single >= 2) > 0.3  # nights without a visit in between: weather and the cadence


def test_errors_grow_with_magnitude_and_outliers_exist():
    lc = simulate_light_curves(400, seed=8, classes=["constant"], outlier_rate=0.02, bands=(2,))
    mean = np.asarray(lc.catalog["mean_mag"])
    median_error = np.array([np.median(e[k]) for e, k in zip(lc.err, lc.mask)])
    assert np.corrcoef(mean, np.log(median_error))[0, 1] > 0.9
    bright = mean < 17
    assert np.all(median_error[bright] < 0.02) and np.all(median_error[mean > 21] > 0.1)
    residual = np.abs(lc.mag - mean[:, None].astype(np.float32))[lc.mask & bright[:, None]]
    assert np.mean(residual > 0.4) == pytest.approx(0.02, abs=0.006)


def test_dmdt_images_equal_a_plain_histogram_of_all_pairs():
    rng = np.random.default_rng(0)
    lc = simulate_light_curves(30, seed=2, n_epochs=(15, 120))
    images = dmdt_images(lc.time, lc.mag, lc.mask)
    assert images.shape == (30, len(DM_EDGES) - 1, len(DT_EDGES) - 1) == (30, 23, 24)
    for row in rng.choice(30, 6, replace=False):
        t, m = lc.time[row][lc.mask[row]], lc.mag[row][lc.mask[row]].astype(float)
        i, j = np.triu_indices(len(t), 1)
        inside = (t[j] - t[i] < DT_EDGES[-1]) & (np.abs(m[j] - m[i]) < DM_EDGES[-1])
        counts, _, _ = np.histogram2d((m[j] - m[i])[inside], (t[j] - t[i])[inside], bins=[DM_EDGES, DT_EDGES])
        np.testing.assert_allclose(images[row], counts / len(i), atol=1e-6)
    with pytest.raises(ValueError, match="sorted"):
        dmdt_images(lc.time[:, ::-1], lc.mag[:, ::-1])


def test_keep_band_repacks_one_passband(population):
    r = lightcurves.keep_band(population, 2)
    assert np.all(r.band[r.mask] == 2) and np.all(r.mask[:, :-1] >= r.mask[:, 1:])
    assert np.array_equal(r.mask.sum(1), (population.mask & (population.band == 2)).sum(1))
    row = int(np.argmax((population.band == 1).any(axis=1)))  # a light curve with g epochs too
    k = population.mask[row] & (population.band[row] == 2)
    assert np.array_equal(r.mag[row][r.mask[row]], population.mag[row][k])
    assert r.label is population.label and r.catalog is population.catalog
