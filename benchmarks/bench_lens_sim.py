"""Speed of the strong-lens simulator, in stamps per second, against lenstronomy on the same configuration.

    python benchmarks/bench_lens_sim.py                  # 4,000 stamps a round, best of 5; 20,000 at once; lenstronomy on 300
    python benchmarks/bench_lens_sim.py --n 1000 --large 0 --lenstronomy-n 50 --no-write   # quick check
    python benchmarks/bench_lens_sim.py --stages 4000    # where simulate_lenses spends its time, per stage
    python benchmarks/bench_lens_sim.py --stages 4000 --stage-label "before the change"   # rows kept apart

Same settings on both sides: 64 x 64 stamps at 0.2"/pixel in g, r, i, every object a lens (SIE + external
shear, Sérsic lens light and source), the source sampled on 2 x 2 points per pixel, a Gaussian PSF, sky and
Poisson noise. course_utils: the whole ``simulate_lenses(n, lens_fraction=1, psf="gaussian")`` call
(population, float32 rendering in chunks, catalog); its default call (half look-alike non-lenses, Moffat
PSF) is timed too, at once and in the batches of 128 that LensStream asks for (``--batch``): the rate per stamp
of small calls shows the simulator's fixed cost per call. lenstronomy: a SimAPI / ImageModel built once per band with ``supersampling_factor`` 2
(it supersamples the lens light as well), then a loop over objects and bands (``image`` plus
``noise_for_model``), amplitudes computed before timing; its rate is measured on ``--lenstronomy-n`` objects
and extrapolated. Each is timed in turn, ``--rounds`` times, keeping its best round, in CPU time of this
process (all are single-threaded): on a machine shared with other jobs, CPU time and interleaved rounds
keep the ratio fair; wall-clock rates and the load average are printed too. Targets: at least 10x
lenstronomy, 20,000 stamps in under 30 s, batches of 128 within 1.5x of the large call's rate. ``--stages``
writes one row per stage (CPU ms per 1,000 stamps, share of the total in the notes).
Rows go to benchmarks/results.md unless --no-write.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

import numpy as np

from course_utils.sims.lenses import SKY_MAG, SOURCE_SUPERSAMPLING, ZERO_POINT, simulate_lenses
from course_utils.sims.profiles import sersic_total_flux

BENCHMARK = "lens simulation (64x64, g r i)"
SIZE, PIXEL_SCALE, BANDS = 64, 0.2, ("g", "r", "i")


def _timed(work) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) of calling ``work()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


def course_utils_work(n: int, batch: int | None = None, **settings):
    """simulate_lenses of n stamps (in calls of ``batch`` stamps, each with its own seed, if given), ready to
    be timed, after a warm-up call."""
    simulate_lenses(64, size=SIZE, pixel_scale=PIXEL_SCALE, bands=BANDS, seed=1, **settings)
    sizes = [n] if batch is None else [batch] * (n // batch)

    def work():
        for seed, count in enumerate(sizes):
            simulate_lenses(count, size=SIZE, pixel_scale=PIXEL_SCALE, bands=BANDS, seed=seed, **settings)

    return work


def _sersic_kwargs(row, prefix, band, center):
    """lenstronomy SERSIC_ELLIPSE keyword arguments of a catalog row (amp from the band magnitude)."""
    r_eff, n = row[f"{prefix}_r_eff"], row[f"{prefix}_n"]
    flux = 10 ** (-0.4 * (row[f"{prefix.replace('_light', '')}_mag_{band}"] - ZERO_POINT))
    return {
        "amp": flux / sersic_total_flux(1.0, r_eff, n),
        "R_sersic": r_eff,
        "n_sersic": n,
        "e1": row[f"{prefix}_e1"],
        "e2": row[f"{prefix}_e2"],
        "center_x": center[0],
        "center_y": center[1],
    }


def lenstronomy_work(n: int, supersampling: int = SOURCE_SUPERSAMPLING):
    """lenstronomy's ImageModel, built once per band, rendering n lenses in every band, ready to be timed."""
    from lenstronomy.SimulationAPI.sim_api import SimAPI

    kwargs_model = {
        "lens_model_list": ["SIE", "SHEAR"],
        "lens_light_model_list": ["SERSIC_ELLIPSE"],
        "source_light_model_list": ["SERSIC_ELLIPSE"],
    }
    models = []
    for band in BANDS:
        kwargs_band = dict(
            pixel_scale=PIXEL_SCALE,
            exposure_time=1.0,
            magnitude_zero_point=ZERO_POINT,
            read_noise=0.0,
            ccd_gain=1.0,
            sky_brightness=SKY_MAG[band],
            num_exposures=1,
            seeing=0.8,
            psf_type="GAUSSIAN",
        )
        sim = SimAPI(num_pix=SIZE, kwargs_single_band=kwargs_band, kwargs_model=kwargs_model)
        models.append((band, sim, sim.image_model_class({"supersampling_factor": supersampling})))
    _, catalog = simulate_lenses(n, size=SIZE, pixel_scale=PIXEL_SCALE, bands=BANDS, lens_fraction=1.0, seed=2)
    work = []
    for row in catalog:
        lens_centre = (row["lens_x"], row["lens_y"])
        kwargs_lens = [
            {
                "theta_E": row["theta_E"],
                "e1": row["lens_e1"],
                "e2": row["lens_e2"],
                "center_x": lens_centre[0],
                "center_y": lens_centre[1],
            },
            {"gamma1": row["gamma1"], "gamma2": row["gamma2"], "ra_0": lens_centre[0], "dec_0": lens_centre[1]},
        ]
        work.append(
            [
                (
                    sim,
                    image_model,
                    kwargs_lens,
                    [_sersic_kwargs(row, "source", band, (row["source_x"], row["source_y"]))],
                    [_sersic_kwargs(row, "lens_light", band, lens_centre)],
                )
                for band, sim, image_model in models
            ]
        )

    def render(objects=work):
        for bands in objects:
            for sim, image_model, kwargs_lens, kwargs_source, kwargs_lens_light in bands:
                image = image_model.image(kwargs_lens, kwargs_source, kwargs_lens_light)
                image = image + sim.noise_for_model(image)

    render(work[:5])  # warm-up
    return render


STAGES = {  # stage: functions of course_utils.sims.lenses whose cumulative time it is
    "catalogue: population draw": ("_population_columns",),
    "deflection (SIE + shear, on the supersampled grid)": ("_sie_deflection_along_axes", "_lensing_coefficients"),
    "light profiles (Sersic, rings)": ("_unit_sersic", "ring_arc_profile", "_lensed_sources"),
    "PSF convolution (FFT)": ("_blur",),
    "S/N scaling and measured catalogue columns": ("_scale_to_snr",),
    "noise": ("_add_noise",),
}


def stage_seconds(n: int, rounds: int) -> dict[str, float]:
    """Seconds per stage of simulate_lenses(n), from cProfile's cumulative CPU times: the best of ``rounds``
    profiled calls, stage by stage, after a warm-up call of the same size (the first touch of the images'
    memory is then not counted).

    The shear and the lens equation are folded into the lensed source's coordinates (``_lensed_sources``):
    they count as light profiles, the SIE's own arithmetic and the coefficients of the lens equation (once
    per catalog) as deflection."""
    simulate_lenses(n, size=SIZE, pixel_scale=PIXEL_SCALE, bands=BANDS, seed=1)
    best = {}
    for _ in range(rounds):
        for stage, seconds in _profiled_stages(n).items():
            best[stage] = min(seconds, best.get(stage, np.inf))
    return best


def _profiled_stages(n: int) -> dict[str, float]:
    profiler = cProfile.Profile(time.process_time)  # CPU time: steadier than wall time on a shared machine
    profiler.runcall(simulate_lenses, n, size=SIZE, pixel_scale=PIXEL_SCALE, bands=BANDS, seed=0)
    cumulative = {}
    for (filename, _, function), (_, _, _, seconds, _) in pstats.Stats(profiler).stats.items():
        if filename.endswith("lenses.py"):
            cumulative[function] = cumulative.get(function, 0.0) + seconds
    stages = {stage: sum(cumulative.get(f, 0.0) for f in functions) for stage, functions in STAGES.items()}
    light = "light profiles (Sersic, rings)"
    stages[light] -= cumulative["_sie_deflection_along_axes"]  # called inside _lensed_sources
    inside_templates = stages[light] + cumulative["_sie_deflection_along_axes"]
    stages["supersampling average, template bookkeeping"] = cumulative["_templates"] - inside_templates
    rendered = cumulative["_templates"] + sum(stages[s] for s in list(STAGES)[3:])
    stages["backgrounds and output layout"] = cumulative["_render_chunk"] - rendered
    outside_chunks = stages["catalogue: population draw"] + cumulative["_lensing_coefficients"]
    stages["catalogue table (astropy)"] = cumulative["simulate_lenses"] - cumulative["_render_chunk"] - outside_chunks
    return stages


def write_stages(n: int, rounds: int, label: str, write: bool) -> None:
    """Print the CPU time per stage of simulate_lenses(n) and, if ``write``, store it as rows: the shares
    cProfile measures, scaled to the CPU time of unprofiled calls (cProfile's own cost grows with the
    number of calls, so its totals do not compare between versions of the code)."""
    load_before = os.getloadavg()[0]
    stages = stage_seconds(n, rounds)
    work = course_utils_work(n)
    unprofiled = min(_timed(work)[0] for _ in range(rounds))
    load = (load_before + os.getloadavg()[0]) / 2
    profiled = sum(stages.values())
    stages = {stage: seconds * unprofiled / profiled for stage, seconds in stages.items()}
    print(
        f"simulate_lenses({n:,}): {unprofiled:.2f} s CPU unprofiled, best of {rounds} ({n / unprofiled:,.0f} images/s);"
    )
    print(f"  shares from cProfile ({profiled:.2f} s profiled), load average ~{load:.0f}:")
    for stage, seconds in sorted(stages.items(), key=lambda item: -item[1]):
        print(f"  {stage:<52} {seconds:6.2f} s  {100 * seconds / unprofiled:5.1f} %")
    if not write:
        return
    from _results import write_result

    benchmark = f"lens simulation stages, simulate_lenses({n:,})" + (f", {label}" if label else "")
    notes = (
        f"CPU time: shares from cProfile (cumulative per stage, best of {rounds} calls after a warm-up call), "
        f"scaled to the best of {rounds} unprofiled calls; default population; load average ~{load:.0f}"
    )
    for stage, seconds in list(stages.items()) + [("total", unprofiled)]:
        share = f"{100 * seconds / unprofiled:.1f} % of the total; " if stage != "total" else ""
        write_result(benchmark, stage, 1e6 * seconds / n, "ms per 1,000 stamps", share + notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=4_000, help="stamps for the course_utils rate")
    parser.add_argument("--large", type=int, default=20_000, help="stamps of the large set timed (0: skip)")
    parser.add_argument("--lenstronomy-n", type=int, default=300, help="objects timed with lenstronomy")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results.md alone")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of each simulator (best is kept)")
    parser.add_argument("--batch", type=int, default=128, help="stamps per call of the small-call rate")
    parser.add_argument("--stages", type=int, metavar="N", help="only profile simulate_lenses(N) per stage")
    parser.add_argument("--stage-label", default="", help="added to the stage rows' benchmark name")
    args = parser.parse_args()
    if args.stages:
        write_stages(args.stages, args.rounds, args.stage_label, write=not args.no_write)
        return

    works = {
        "same settings": (course_utils_work(args.n, lens_fraction=1.0, psf="gaussian"), args.n),
        "default": (course_utils_work(args.n), args.n),
        "small calls": (course_utils_work(args.n, args.batch), args.n // args.batch * args.batch),
        "lenstronomy": (lenstronomy_work(args.lenstronomy_n), args.lenstronomy_n),
    }
    best = {}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):  # in turn, so that all see the same load
        for name, (work, _) in works.items():
            best[name] = min(best.get(name, (np.inf, np.inf)), _timed(work))
    load = (load_before + os.getloadavg()[0]) / 2
    rates = {name: count / best[name][0] for name, (_, count) in works.items()}
    wall = {name: count / best[name][1] for name, (_, count) in works.items()}
    rate, default_rate, their_rate = rates["same settings"], rates["default"], rates["lenstronomy"]
    print(
        f"course_utils simulate_lenses({args.n:,}, lens_fraction=1, psf='gaussian'): {rate:,.0f} images/s CPU "
        f"(wall: {wall['same settings']:,.0f}/s)"
    )
    print(
        f"course_utils simulate_lenses({args.n:,}) (default population, Moffat): {default_rate:,.0f} images/s CPU "
        f"(wall: {wall['default']:,.0f}/s)"
    )
    small_rate = rates["small calls"]
    print(
        f"course_utils simulate_lenses({args.batch}) x {args.n // args.batch}: {small_rate:,.0f} images/s CPU "
        f"(wall: {wall['small calls']:,.0f}/s; {default_rate / small_rate:.2f}x slower per stamp than one call; "
        "target: within 1.5x)"
    )
    print(
        f"lenstronomy ImageModel, supersampling 2: {their_rate:,.0f} images/s CPU "
        f"(wall: {wall['lenstronomy']:,.0f}/s; "
        f"{args.lenstronomy_n:,} objects, 3 bands each)"
    )
    print(
        f"speed-up at the same settings: {rate / their_rate:.1f}x in CPU time, "
        f"{wall['same settings'] / wall['lenstronomy']:.1f}x in wall time "
        f"(best of {args.rounds} rounds each; load average ~{load:.0f}; target: at least 10x)"
    )
    large_seconds = _timed(course_utils_work(args.large))[1] if args.large else None
    if large_seconds is not None:
        print(f"{args.large:,} stamps in {large_seconds:.1f} s wall time (target: under 30 s)")
    if args.no_write:
        return

    from _results import write_result

    timing = f"CPU time, best of {args.rounds} interleaved rounds, load average ~{load:.0f}"
    setup = (
        "64x64 px, 0.2 arcsec/px, g r i, SIE+shear, Sersic lens and source (2x2 samples per pixel), sky+Poisson noise"
    )
    write_result(
        BENCHMARK,
        "course_utils images/s",
        rate,
        "images/s",
        f"simulate_lenses({args.n:,}, lens_fraction=1, psf='gaussian'): population, float32 chunks, "
        f"catalog; {setup}; {timing}",
    )
    write_result(
        BENCHMARK,
        "course_utils images/s, default population",
        default_rate,
        "images/s",
        f"simulate_lenses({args.n:,}): half look-alike non-lenses, Moffat PSF; {timing}",
    )
    write_result(
        BENCHMARK,
        f"course_utils images/s, calls of {args.batch}",
        small_rate,
        "images/s",
        f"simulate_lenses({args.batch}) x {args.n // args.batch} (LensStream's batches), default population: "
        f"{default_rate / small_rate:.2f}x the CPU time per stamp of one call of {args.n:,}; target within 1.5x; "
        f"{timing}",
    )
    write_result(
        BENCHMARK,
        "lenstronomy images/s",
        their_rate,
        "images/s",
        f"SimAPI/ImageModel built once per band, supersampling_factor 2, Gaussian PSF, image + "
        f"noise_for_model per band; {args.lenstronomy_n:,} lenses timed, rate extrapolated; {timing}",
    )
    write_result(
        BENCHMARK, "speed-up over lenstronomy", rate / their_rate, "x", f"same settings; target >= 10x; {timing}"
    )
    if large_seconds is not None:
        write_result(
            BENCHMARK,
            f"time for {args.large:,} stamps",
            large_seconds,
            "s",
            f"target < 30 s; wall time, load average ~{load:.0f}",
        )


if __name__ == "__main__":
    main()
