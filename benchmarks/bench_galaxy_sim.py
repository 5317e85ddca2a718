"""Speed of the Galaxy10 simulator: simulated galaxy images per second at 64, 69 and 256 pixels.

    python benchmarks/bench_galaxy_sim.py                  # 5,000 images at 64 and 69 px, 500 at 256 px
    python benchmarks/bench_galaxy_sim.py --n 200 --no-write   # a quick check

Run as a script (it imports its neighbour ``_results``). Each size is timed once after a small warm-up
call; the rate includes everything simulate_galaxy10 does (labels, clean g, r, z bands, observe's PSF and
noise, to_rgb's colour stretch to uint8).
Rows go to benchmarks/results.md (through _results.write_result) unless --no-write.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _results import write_result
from course_utils.sims.galaxies import simulate_galaxy10

BENCHMARK = "galaxy simulation (Galaxy10 DECaLS classes, g r z)"


def images_per_second(n: int, size: int) -> float:
    """Rate of simulate_galaxy10 for ``n`` stamps of ``size`` x ``size`` pixels (after a warm-up call)."""
    simulate_galaxy10(20, size=size, seed=1)
    start = time.perf_counter()
    simulate_galaxy10(n, size=size, seed=0)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5_000, help="images at 64 and 69 px (a tenth of it at 256 px)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results.md alone")
    args = parser.parse_args()
    if args.n < 10:
        parser.error("--n must be at least 10")

    for size, n in ((64, args.n), (69, args.n), (256, max(args.n // 10, 10))):
        rate = images_per_second(n, size)
        print(f"{size:>3} x {size:<3} px: {rate:8.0f} images/s ({n:,} images)")
        if not args.no_write:
            write_result(
                BENCHMARK,
                f"images/s at {size}x{size}",
                rate,
                "images/s",
                f"simulate_galaxy10({n:,}, size={size}): bands, observe (PSF, noise), to_rgb; NumPy {np.__version__}",
            )


if __name__ == "__main__":
    main()
