"""The strong-lens simulator: its lensing against lenstronomy, its images, its catalog and its files."""

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from lenstronomy.LensModel.lens_model import LensModel  # noqa: E402
from lenstronomy.LensModel.Solver.lens_equation_solver import LensEquationSolver  # noqa: E402
from scipy import ndimage

from course_utils.data import challenge_io
from course_utils.data.challenge_io import read_challenge_folder, write_challenge_folder
from course_utils.sims import lenses, profiles, shear_deflection, sie_deflection, simulate_lenses


def random_lenses(rng, count):
    """SIE + shear parameters over the simulator's range, a few of them round."""
    e1, e2 = rng.uniform(-0.35, 0.35, (2, count))
    e1[:3], e2[:3] = 0.0, 0.0
    return dict(
        theta_E=rng.uniform(0.3, 3.0, count),
        e1=e1,
        e2=e2,
        center_x=rng.uniform(-0.3, 0.3, count),
        center_y=rng.uniform(-0.3, 0.3, count),
        gamma1=rng.uniform(-0.1, 0.1, count),
        gamma2=rng.uniform(-0.1, 0.1, count),
    )


def sie_kwargs(p, k):
    return {name: p[name][k] for name in ("theta_E", "e1", "e2", "center_x", "center_y")}


def one_lens_catalog(count=1, **columns):
    """A lens catalog in one band with no lens light, no companion, and the given columns overridden."""
    catalog = lenses.sample_lens_population(count, lens_fraction=1.0, bands=("g",), seed=1)
    catalog["lens_mag_g"] = 99.0  # no lens light
    catalog["companion"] = 0
    for name, value in columns.items():
        catalog[name] = value
    return catalog


def test_sie_deflection_matches_lenstronomy():
    rng = np.random.default_rng(0)
    p = random_lenses(rng, 40)
    model = LensModel(["SIE"])
    for k in range(40):
        x, y = rng.uniform(-4, 4, (2, 200))
        ours = sie_deflection(x, y, **sie_kwargs(p, k))
        theirs = model.alpha(x, y, [sie_kwargs(p, k)])
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-8)


def test_sie_deflection_in_float32_and_broadcast_over_a_batch():
    rng = np.random.default_rng(1)
    p = random_lenses(rng, 8)
    x, y = np.meshgrid(np.linspace(-3, 3, 32), np.linspace(-3, 3, 32))
    params = {name: p[name][:, None, None] for name in ("theta_E", "e1", "e2", "center_x", "center_y")}
    batch64 = sie_deflection(x[None], y[None], **params)
    batch32 = sie_deflection(
        x[None].astype(np.float32),
        y[None].astype(np.float32),
        **{name: value.astype(np.float32) for name, value in params.items()},
    )
    assert batch32[0].dtype == np.float32 and batch32[0].shape == (8, 32, 32)
    np.testing.assert_allclose(batch32, batch64, atol=2e-5 * 3)
    single = sie_deflection(x, y, **sie_kwargs(p, 5))
    np.testing.assert_allclose(batch64[0][5], single[0], rtol=1e-12)


def test_sie_rejects_eccentricity_of_one():
    with pytest.raises(ValueError, match="below 1"):
        sie_deflection(1.0, 1.0, 1.0, 0.8, 0.6)


def test_shear_deflection_matches_lenstronomy():
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-4, 4, (2, 300))
    gamma1, gamma2 = 0.07, -0.04
    theirs = LensModel(["SHEAR"]).alpha(x, y, [{"gamma1": gamma1, "gamma2": gamma2}])
    np.testing.assert_allclose(shear_deflection(x, y, gamma1, gamma2), theirs, rtol=1e-12, atol=1e-14)


def test_einstein_area_without_shear_is_pi_theta_E_squared():
    rng = np.random.default_rng(4)
    p = random_lenses(rng, 20)
    area = lenses.einstein_area(p["theta_E"], p["e1"], p["e2"])
    np.testing.assert_allclose(area, np.pi * p["theta_E"] ** 2, rtol=1e-9)


def test_einstein_area_with_shear_matches_the_critical_curve_of_lenstronomy():
    model = LensModel(["SIE", "SHEAR"])
    step = 0.01
    x, y = np.meshgrid(*2 * [np.arange(-3, 3, step) + step / 2])
    for e1, e2, gamma1, gamma2 in ((0.2, -0.1, 0.08, 0.03), (0.0, 0.25, -0.05, 0.1)):
        kwargs = [
            {"theta_E": 1.3, "e1": e1, "e2": e2, "center_x": 0, "center_y": 0},
            {"gamma1": gamma1, "gamma2": gamma2},
        ]
        f_xx, f_xy, f_yx, f_yy = model.hessian(x, y, kwargs)
        inside = (1 - f_xx) * (1 - f_yy) - f_xy * f_yx < 0
        assert lenses.einstein_area(1.3, e1, e2, gamma1, gamma2) == pytest.approx(inside.sum() * step**2, rel=5e-3)


def test_ring_of_a_small_round_source_has_the_einstein_radius():
    """Stamps put x along columns and y along rows: the ring is centred on the lens, with radius theta_E."""
    theta_E, lens_x, lens_y = np.array([0.8, 1.6, 2.4]), 0.3, -0.2
    catalog = one_lens_catalog(
        3,
        theta_E=theta_E,
        lens_e1=0.0,
        lens_e2=0.0,
        gamma1=0.0,
        gamma2=0.0,
        lens_x=lens_x,
        lens_y=lens_y,
        source_x=lens_x,
        source_y=lens_y,
        source_r_eff=0.05,
        source_n=1.0,
        source_e1=0.0,
        source_e2=0.0,
        seeing_fwhm=0.2,
    )
    images, _ = lenses.render_lenses(catalog, size=128, pixel_scale=0.05, noise=False)
    centre = (np.arange(128) - 63.5) * 0.05
    x, y = np.meshgrid(centre, centre)
    radius_bin = np.round(np.hypot(x - lens_x, y - lens_y) / 0.025).astype(int)
    for image, expected in zip(images[..., 0], theta_E):
        assert (image * x).sum() / image.sum() == pytest.approx(lens_x, abs=0.01)
        assert (image * y).sum() / image.sum() == pytest.approx(lens_y, abs=0.01)
        profile = np.bincount(radius_bin.ravel(), image.ravel()) / np.maximum(np.bincount(radius_bin.ravel()), 1)
        assert np.argmax(profile) * 0.025 == pytest.approx(expected, abs=0.04)


def test_lens_light_flux_follows_the_zero_point():
    """A magnitude-m galaxy gives 10^(-0.4 (m - ZERO_POINT)) counts in the stamp, whatever the seeing or PSF."""
    catalog = one_lens_catalog(
        4,
        kind="galaxy",
        lens_mag_g=[19.0, 20.0, 21.0, 22.0],
        lens_light_r_eff=0.4,
        lens_light_n=1.0,
        seeing_fwhm=[0.6, 0.8, 1.0, 0.7],
    )
    for psf in ("gaussian", "moffat"):
        images, _ = lenses.render_lenses(catalog, size=96, psf=psf, noise=False)
        expected = 10 ** (-0.4 * (np.array([19.0, 20.0, 21.0, 22.0]) - lenses.ZERO_POINT))
        np.testing.assert_allclose(images.sum(axis=(1, 2, 3)), expected, rtol=0.01)


def lenstronomy_images(source_x, source_y, kwargs):
    solver = LensEquationSolver(LensModel(["SIE", "SHEAR"]))
    x, y = solver.image_position_from_source(
        source_x, source_y, kwargs, min_distance=0.02, search_window=8, precision_limit=1e-10, num_iter_max=200
    )
    return np.array(x), np.array(y)


LENS = dict(theta_E=1.2, e1=0.15, e2=-0.1, gamma1=0.03, gamma2=0.02)
LENS_KWARGS = [{"theta_E": 1.2, "e1": 0.15, "e2": -0.1, "center_x": 0, "center_y": 0}, {"gamma1": 0.03, "gamma2": 0.02}]


@pytest.mark.parametrize("source, images", [((0.03, 0.02), 4), ((0.35, -0.3), 2), ((-0.6, 0.5), 2)])
def test_a_point_source_gives_the_images_of_lenstronomy(source, images):
    """Inside the inner caustic 4 images, outside it 2: the image-plane regions that map onto a tiny disc
    around the source are as many as, and where, lenstronomy's lens-equation solver puts the images."""
    step = 0.01
    axis = np.arange(-3.5, 3.5, step) + step / 2
    x, y = np.meshgrid(axis, axis)
    beta_x, beta_y = lenses.ray_shoot(x, y, **LENS)
    labels, count = ndimage.label(np.hypot(beta_x - source[0], beta_y - source[1]) < 0.015)
    expected_x, expected_y = lenstronomy_images(*source, LENS_KWARGS)
    assert count == len(expected_x) == images
    rows, columns = np.array(ndimage.center_of_mass(np.ones_like(x), labels, range(1, count + 1))).T
    found_x, found_y = axis[0] + columns * step, axis[0] + rows * step
    for ex, ey in zip(expected_x, expected_y):
        assert np.min(np.hypot(found_x - ex, found_y - ey)) < 2 * step


def test_lensed_flux_of_a_small_source_is_magnification_times_its_flux():
    """Lensing conserves surface brightness, so a small source's image flux is sum(|mu_i|) times its own."""
    step = 0.004
    x, y = np.meshgrid(*2 * [np.arange(-2.5, 2.5, step) + step / 2])
    source_x, source_y = 0.35, -0.3
    beta_x, beta_y = lenses.ray_shoot(x, y, **LENS)
    image = profiles.sersic_ellipse(beta_x, beta_y, 1.0, 0.02, 1.0, 0.0, 0.0, source_x, source_y)
    lensed_flux = image.sum() * step**2
    image_x, image_y = lenstronomy_images(source_x, source_y, LENS_KWARGS)
    magnification = np.abs(LensModel(["SIE", "SHEAR"]).magnification(image_x, image_y, LENS_KWARGS)).sum()
    assert lensed_flux == pytest.approx(magnification * profiles.sersic_total_flux(1.0, 0.02, 1.0), rel=0.02)


def test_rendered_lensed_images_are_the_source_seen_through_ray_shoot():
    """The renderer solves the lens equation its own (faster) way: its stamps and magnifications are those of
    the Sérsic source at the positions ray_shoot (checked against lenstronomy above) gives, on 2 x 2 samples
    per pixel, blurred by the PSF, for elliptical lenses in shear and elliptical sources off-centre."""
    rng = np.random.default_rng(4)
    p = random_lenses(rng, 6)
    catalog = one_lens_catalog(
        6,
        theta_E=p["theta_E"],
        lens_e1=p["e1"],
        lens_e2=p["e2"],
        lens_x=p["center_x"],
        lens_y=p["center_y"],
        gamma1=p["gamma1"],
        gamma2=p["gamma2"],
        source_x=p["center_x"] + rng.uniform(-0.4, 0.4, 6),
        source_y=p["center_y"] + rng.uniform(-0.4, 0.4, 6),
        source_e1=rng.uniform(-0.3, 0.3, 6),
        source_e2=rng.uniform(-0.3, 0.3, 6),
    )
    images, out = lenses.render_lenses(catalog, psf="gaussian", noise=False)
    fine = (np.arange(128) - 63.5) * 0.1
    x, y = np.meshgrid(fine, fine)
    kernel_ft = np.fft.rfft2(np.fft.ifftshift(profiles.psf_kernel(catalog["seeing_fwhm"], 64, 0.2), axes=(1, 2)))
    for k, row in enumerate(catalog):
        beta = lenses.ray_shoot(
            x,
            y,
            *(row[c] for c in ("theta_E", "lens_e1", "lens_e2", "gamma1", "gamma2")),
            center_x=row["lens_x"],
            center_y=row["lens_y"],
        )
        params = [row[f"source_{c}"] for c in ("r_eff", "n", "e1", "e2", "x", "y")]
        source = profiles.sersic_ellipse(*beta, 1 / profiles.sersic_total_flux(1.0, *params[:2]), *params)
        lensed = source.reshape(64, 2, 64, 2).mean(axis=(1, 3))
        assert out["magnification"][k] == pytest.approx(lensed.sum() * 0.2**2, rel=1e-4)
        blurred = np.fft.irfft2(np.fft.rfft2(lensed) * kernel_ft[k], s=(64, 64))
        image = images[k, ..., 0]
        np.testing.assert_allclose(
            image / image.sum(), blurred / blurred.sum(), atol=1e-4 * blurred.max() / blurred.sum()
        )


def test_noise_is_poisson_and_lensed_images_have_the_asked_snr():
    catalog = one_lens_catalog(60, snr=20.0)
    catalog["lens_mag_g"] = 19.0  # lens light adds to the background the S/N is measured against
    sky = lenses.sky_counts(["g"], 0.2)[0]
    noisy, out = lenses.render_lenses(catalog, seed=3)
    model, _ = lenses.render_lenses(catalog, noise=False)
    unlensed = catalog.copy()
    unlensed["kind"] = "galaxy"
    background, _ = lenses.render_lenses(unlensed, noise=False)
    lensed = model - background
    variance = background + sky

    pull = (noisy - model) / np.sqrt(model + sky)
    assert abs(pull.mean()) < 0.01 and pull.std() == pytest.approx(1.0, abs=0.01)
    snr = np.sqrt((lensed**2 / variance).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(snr, 20.0, rtol=1e-3)
    np.testing.assert_allclose(out["snr"], 20.0)
    # The matched filter finds the lensed images at the asked S/N in the noisy images.
    measured = (lensed * (noisy - background) / variance).sum(axis=(1, 2, 3)) / snr
    assert measured.mean() == pytest.approx(20.0, abs=0.6)
    assert 0.7 < measured.std() < 1.5


@pytest.fixture(scope="module")
def simulated():
    return simulate_lenses(120, seed=11)


def test_simulate_lenses_shapes_and_catalog(simulated):
    images, catalog = simulated
    assert images.shape == (120, 64, 64, 3) and images.dtype == np.float32 and np.isfinite(images).all()
    for column in (
        "ID",
        "is_lens",
        "kind",
        "theta_E",
        "einstein_area",
        "magnification",
        "snr",
        "numb_pix_lensed_image",
        "flux_lensed_image_in_sigma",
        "source_r_eff",
        "lens_light_r_eff",
        "lens_e1",
        "gamma1",
        "seeing_fwhm",
        "source_mag_g",
        "contaminant_snr",
    ):
        assert column in catalog.colnames, column
    assert len(catalog) == 120 and len(set(catalog["ID"])) == 120
    lens = catalog["is_lens"] == 1
    assert 0.3 < lens.mean() < 0.7 and set(catalog["kind"][lens]) == {"lens"}
    assert set(catalog["kind"][~lens]) == set(lenses.NON_LENS_KINDS)
    assert np.all(catalog["snr"][lens] > 0) and np.all(catalog["snr"][~lens] == 0)
    assert np.all(catalog["magnification"][lens] > 1) and np.all(np.isnan(catalog["magnification"][~lens]))
    assert np.all(catalog["numb_pix_lensed_image"][~lens] == 0)
    bright = lens & (catalog["snr"] > 50)
    assert np.all(catalog["numb_pix_lensed_image"][bright] > 0)
    # Sources are bluer than their lenses, as the lab's colour cue needs.
    assert np.all(
        catalog["source_mag_g"][lens] - catalog["source_mag_i"][lens]
        < catalog["lens_mag_g"][lens] - catalog["lens_mag_i"][lens]
    )


def test_population_spans_the_hard_cases():
    catalog = lenses.sample_lens_population(4000, seed=2)
    lens = catalog[catalog["is_lens"] == 1]
    assert lens["theta_E"].min() < 0.6 and lens["theta_E"].max() > 2.9
    assert np.mean(lens["snr"] < 10) > 0.1 and np.mean(lens["snr"] > 100) > 0.1
    assert catalog["seeing_fwhm"].min() < 0.65 and catalog["seeing_fwhm"].max() > 0.95
    ringlike = catalog[np.isin(catalog["kind"], ["ring", "arc", "spiral"])]
    assert ringlike["contaminant_radius"].min() < 0.6 and ringlike["contaminant_radius"].max() > 2.9

    # Unlensed blue light inside the seeing disc, where it looks like the blurred images of small lenses:
    # neighbours as close as 0.3", and blue cores on the centre as large as the smallest Einstein rings.
    def separation(rows):
        return np.hypot(rows["contaminant_x"] - rows["lens_x"], rows["contaminant_y"] - rows["lens_y"])

    neighbour, core = (catalog[catalog["kind"] == kind] for kind in ("neighbour", "core"))
    assert np.mean(separation(neighbour) < 1.0) > 0.15 and separation(neighbour).max() > 3.3
    assert separation(core).max() <= 0.15 and core["contaminant_r_eff"].max() > 0.5
    assert np.all(core["contaminant_snr"] > 0)


def test_same_seed_same_stamps_whatever_the_chunk(simulated):
    images, catalog = simulated
    again, catalog_again = simulate_lenses(120, seed=11, chunk=25)
    np.testing.assert_array_equal(images, again)
    assert all(
        np.array_equal(catalog[c], catalog_again[c], equal_nan=catalog[c].dtype.kind == "f") for c in catalog.colnames
    )
    other, _ = simulate_lenses(120, seed=12)
    assert not np.array_equal(images, other)


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="bands"):
        simulate_lenses(2, bands=("g", "q"))
    with pytest.raises(ValueError, match="lens_fraction"):
        simulate_lenses(2, lens_fraction=1.5)
    with pytest.raises(ValueError, match="psf"):
        simulate_lenses(2, psf="airy")


def test_challenge_folder_round_trip(tmp_path, simulated):
    images, catalog = simulated
    images, catalog = images[:12], catalog[:12]
    write_challenge_folder(images, catalog, tmp_path)
    assert (tmp_path / "Band1" / f"imageSIM_G-{catalog['ID'][0]}.fits").exists()
    header = (tmp_path / challenge_io.CATALOG_NAME).read_text().splitlines()[0].split(",")
    assert tuple(header[:5]) == challenge_io.CHALLENGE_COLUMNS
    again, catalog_again = read_challenge_folder(tmp_path)
    np.testing.assert_array_equal(again, images)
    assert catalog_again.colnames == catalog.colnames and catalog_again.meta == catalog.meta
    for column in catalog.colnames:
        assert np.array_equal(catalog_again[column], catalog[column], equal_nan=catalog[column].dtype.kind == "f"), (
            column
        )
    first, first_catalog = read_challenge_folder(tmp_path, n=5)
    np.testing.assert_array_equal(first, images[:5])
    assert list(first_catalog["ID"]) == list(catalog["ID"][:5])


def test_reads_the_challenge_naming_and_its_five_column_catalog(tmp_path):
    """Files as the ground-based challenge names them, IDs not in catalog order, a catalog with more rows."""
    rng = np.random.default_rng(0)
    stamps = {object_id: rng.normal(size=(101, 101, 2)).astype(np.float32) for object_id in (100007, 100002)}
    for k, band in enumerate(("R", "I")):
        (tmp_path / f"Band{k + 1}").mkdir()
        for object_id, stamp in stamps.items():
            name = tmp_path / f"Band{k + 1}" / f"imageSDSS_{band}-{object_id}.fits"
            fits.PrimaryHDU(stamp[..., k].astype(">f4")).writeto(name)
    Table(
        {
            "ID": [100007, 100002, 100009],
            "is_lens": [1, 0, 1],
            "Einstein_area": [2.5, 0.0, 1.1],
            "numb_pix_lensed_image": [40, 0, 12],
            "flux_lensed_image_in_sigma": [120, 0, 33],
        }
    ).write(tmp_path / "classifications.csv", format="ascii.csv")
    images, catalog = read_challenge_folder(tmp_path)
    assert images.dtype == np.float32 and images.shape == (2, 101, 101, 2)
    np.testing.assert_array_equal(images[0], stamps[100002])
    assert list(catalog["ID"]) == [100002, 100007] and list(catalog["is_lens"]) == [0, 1]
    assert list(catalog["einstein_area"]) == [0.0, 2.5] and catalog.meta["bands"] == ["r", "i"]


def test_reading_a_folder_without_the_layout_says_what_is_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="Band1/image"):
        read_challenge_folder(tmp_path)
