"""Speed of the strong-lens simulator, in stamps per second, against lenstronomy on the same configuration.

    python benchmarks/bench_lens_sim.py                  # 10,000 and 20,000 stamps; lenstronomy on 300
    python benchmarks/bench_lens_sim.py --n 1000 --large 0 --lenstronomy-n 50 --no-write   # quick check

Configuration: 64 x 64 stamps at 0.2"/pixel in g, r, i; SIE + external shear, Sérsic lens light and
source, PSF, sky and Poisson noise. course_utils: the whole ``simulate_lenses`` call (population of
lenses and look-alike non-lenses, float32 rendering in chunks, catalog). lenstronomy: a SimAPI /
ImageModel built once per band (Gaussian PSF), then a loop over objects and bands (``image`` plus
``noise_for_model``), every object a lens, amplitudes computed before timing; its rate is measured on
``--lenstronomy-n`` objects and extrapolated. Targets: at least 3x lenstronomy, 20,000 stamps in under 30 s.
Rows go to benchmarks/results.md unless --no-write.
"""
from __future__ import annotations

import argparse
import time

from course_utils.sims.lenses import SKY_MAG, ZERO_POINT, simulate_lenses
from course_utils.sims.profiles import sersic_total_flux

BENCHMARK = "lens simulation (64x64, g r i)"
SIZE, PIXEL_SCALE, BANDS = 64, 0.2, ("g", "r", "i")


def course_utils_seconds(n: int) -> float:
    """Wall time of simulate_lenses(n) after a warm-up call."""
    simulate_lenses(64, size=SIZE, pixel_scale=PIXEL_SCALE, bands=BANDS, seed=1)
    start = time.perf_counter()
    simulate_lenses(n, size=SIZE, pixel_scale=PIXEL_SCALE, bands=BANDS, seed=0)
    return time.perf_counter() - start


def _sersic_kwargs(row, prefix, band, center):
    """lenstronomy SERSIC_ELLIPSE keyword arguments of a catalog row (amp from the band magnitude)."""
    r_eff, n = row[f"{prefix}_r_eff"], row[f"{prefix}_n"]
    flux = 10 ** (-0.4 * (row[f"{prefix.replace('_light', '')}_mag_{band}"] - ZERO_POINT))
    return {"amp": flux / sersic_total_flux(1.0, r_eff, n), "R_sersic": r_eff, "n_sersic": n,
            "e1": row[f"{prefix}_e1"], "e2": row[f"{prefix}_e2"], "center_x": center[0], "center_y": center[1]}


def lenstronomy_rate(n: int) -> float:
    """Objects per second (all bands) of lenstronomy's ImageModel, built once per band, on n lenses."""
    from lenstronomy.SimulationAPI.sim_api import SimAPI

    kwargs_model = {"lens_model_list": ["SIE", "SHEAR"], "lens_light_model_list": ["SERSIC_ELLIPSE"],
                    "source_light_model_list": ["SERSIC_ELLIPSE"]}
    models = []
    for band in BANDS:
        kwargs_band = dict(pixel_scale=PIXEL_SCALE, exposure_time=1.0, magnitude_zero_point=ZERO_POINT,
                           read_noise=0.0, ccd_gain=1.0, sky_brightness=SKY_MAG[band], num_exposures=1,
                           seeing=0.8, psf_type="GAUSSIAN")
        sim = SimAPI(num_pix=SIZE, kwargs_single_band=kwargs_band, kwargs_model=kwargs_model)
        models.append((band, sim, sim.image_model_class({"supersampling_factor": 1})))
    _, catalog = simulate_lenses(n, size=SIZE, pixel_scale=PIXEL_SCALE, bands=BANDS, lens_fraction=1.0, seed=2)
    work = []
    for row in catalog:
        lens_centre = (row["lens_x"], row["lens_y"])
        kwargs_lens = [{"theta_E": row["theta_E"], "e1": row["lens_e1"], "e2": row["lens_e2"],
                        "center_x": lens_centre[0], "center_y": lens_centre[1]},
                       {"gamma1": row["gamma1"], "gamma2": row["gamma2"], "ra_0": lens_centre[0],
                        "dec_0": lens_centre[1]}]
        work.append([(sim, image_model, kwargs_lens,
                      [_sersic_kwargs(row, "source", band, (row["source_x"], row["source_y"]))],
                      [_sersic_kwargs(row, "lens_light", band, lens_centre)])
                     for band, sim, image_model in models])
    start = time.perf_counter()
    for bands in work:
        for sim, image_model, kwargs_lens, kwargs_source, kwargs_lens_light in bands:
            image = image_model.image(kwargs_lens, kwargs_source, kwargs_lens_light)
            image = image + sim.noise_for_model(image)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="stamps for the course_utils rate")
    parser.add_argument("--large", type=int, default=20_000, help="stamps of the large set timed (0: skip)")
    parser.add_argument("--lenstronomy-n", type=int, default=300, help="objects timed with lenstronomy")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results.md alone")
    args = parser.parse_args()

    seconds = course_utils_seconds(args.n)
    ours = args.n / seconds
    print(f"course_utils.sims.simulate_lenses: {args.n:,} stamps in {seconds:.2f} s = {ours:,.0f} images/s")
    theirs = lenstronomy_rate(args.lenstronomy_n)
    print(f"lenstronomy ImageModel: {theirs:,.0f} images/s (from {args.lenstronomy_n:,} objects, 3 bands each)")
    print(f"speed-up: {ours / theirs:.1f}x (target: at least 3x)")
    large_seconds = course_utils_seconds(args.large) if args.large else None
    if large_seconds is not None:
        print(f"{args.large:,} stamps in {large_seconds:.1f} s (target: under 30 s)")
    if args.no_write:
        return

    from _results import write_result

    setup = "64x64 px, 0.2 arcsec/px, g r i, SIE+shear, Sersic lens and source, PSF, sky+Poisson noise"
    write_result(BENCHMARK, "course_utils images/s", ours, "images/s",
                 f"simulate_lenses({args.n:,}): population, float32 chunks, Moffat PSF, catalog; {setup}")
    write_result(BENCHMARK, "lenstronomy images/s", theirs, "images/s",
                 f"SimAPI/ImageModel built once per band, Gaussian PSF, image + noise_for_model per band; "
                 f"{args.lenstronomy_n:,} lenses timed, rate extrapolated")
    write_result(BENCHMARK, "speed-up over lenstronomy", ours / theirs, "x", "target >= 3x")
    if large_seconds is not None:
        write_result(BENCHMARK, f"time for {args.large:,} stamps", large_seconds, "s", "target < 30 s")


if __name__ == "__main__":
    main()
