"""Speed of the light-curve simulator and of the dm–dt transform, in light curves per second.

    python benchmarks/bench_lightcurve_sim.py              # 2 x 10,000 light curves of 100-500 epochs
    python benchmarks/bench_lightcurve_sim.py --n 2000 --no-write   # quick check

The simulator runs in one process per core (``--workers``, default 2), each simulating ``--n`` light curves
of all classes, 100-500 epochs in two bands, after a warm-up call; the rate is the total over the wall time,
and per CPU second of the workers (what one core does when it is not shared).
The dm–dt transform (``course_utils.dmdt.dmdt_images``, the ``light-curve`` package's DmDt on its own
threads) is timed on one batch of ``--n``. Targets: 10,000 light curves per second; 10,000 dm–dt images in
seconds. Rows go to benchmarks/results.md unless --no-write.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

from _results import write_result  # run as a script: python benchmarks/bench_lightcurve_sim.py
from course_utils.dmdt import dmdt_images
from course_utils.sims.lightcurves import simulate_light_curves

EPOCHS = (100, 500)


def simulate(n: int, seed: int) -> tuple[int, float]:
    """Simulate n light curves; return n and the CPU seconds it took this process."""
    start = time.process_time()
    return len(simulate_light_curves(n, seed=seed, n_epochs=EPOCHS).label), time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="light curves per worker")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with ProcessPoolExecutor(args.workers) as pool:
        list(pool.map(simulate, [200] * args.workers, range(args.workers)))  # warm-up: imports, first call
        start = time.perf_counter()
        done = list(pool.map(simulate, [args.n] * args.workers, range(1, args.workers + 1)))
        sim_rate = sum(n for n, _ in done) / (time.perf_counter() - start)
    per_cpu_second = sum(n for n, _ in done) / sum(seconds for _, seconds in done)
    curves = simulate_light_curves(args.n, seed=0, n_epochs=EPOCHS)
    start = time.perf_counter()
    dmdt_images(curves.time, curves.mag, curves.mask)
    dmdt_seconds = time.perf_counter() - start
    print(
        f"simulator: {sim_rate:,.0f} light curves/s ({args.workers} processes), {per_cpu_second:,.0f} per CPU "
        f"second; "
        f"dm-dt: {args.n:,} images in {dmdt_seconds:.1f} s"
    )
    if not args.no_write:
        notes = (
            f"{args.workers} processes x {args.n:,} light curves, all 11 classes, {EPOCHS[0]}-{EPOCHS[1]} "
            "epochs, 2 bands; machine shared with other jobs"
        )
        write_result("light-curve simulation", "light curves/s", sim_rate, "light curves/s", notes)
        write_result(
            "light-curve simulation",
            "light curves per CPU second",
            per_cpu_second,
            "light curves/s",
            "one core's rate, less disturbed by other jobs than the wall-clock rate",
        )
        write_result(
            "dm-dt images (light-curve DmDt)",
            f"time for {args.n:,}",
            dmdt_seconds,
            "s",
            "100-500 epochs, 23 x 24 bins; machine shared with other jobs",
        )


if __name__ == "__main__":
    main()
