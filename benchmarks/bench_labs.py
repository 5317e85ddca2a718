"""Run every lab solution in one profile; record wall time, peak memory and key results per lab.

    python benchmarks/bench_labs.py --profile cpu                 # every lab of the manifest, rows into results.md
    python benchmarks/bench_labs.py --profile cpu --in-place      # ... and store the outputs in the notebooks
    python benchmarks/bench_labs.py --profile smoke solutions/02_mnist_cnn.ipynb --no-write
    python benchmarks/bench_labs.py --profile cpu --slow-down 5 solutions/03_galaxy_morphology.ipynb   # as root

The notebooks run exactly as the course's main job runs them (``course_utils.notebooks run``, the course's one
execution service), under the limits given (default: the course run's); peak memory is the largest proportional
set size of the kernel and its children (PSS: shared pages counted once), key results what the notebook reports
with ``course_utils.record``. ``--slow-down X`` runs them on a machine X times slower than this one, every part
of each notebook alike: this process and its kernels get ``cores / X`` CPUs of time (a cgroup CPU quota; Linux,
as root), e.g. to see the cpu profile's time budget cut the training on a laptop five times slower.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _results import write_result  # run as a script: python benchmarks/bench_labs.py
from bench_course import fit_ratios, slow_down_option
from course_utils.manifest import course
from course_utils.notebooks.__main__ import run
from course_utils.notebooks.execute import Limits

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lab's solution notebook")
    parser.add_argument("--profile", choices=tuple(course().profiles), required=True)
    parser.add_argument("--in-place", action="store_true", help="store the outputs in the notebooks")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results.md alone")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds one notebook may run (default: no limit)")
    parser.add_argument("--memory-gb", type=float, metavar="G", help="GiB one notebook may use (default: no limit)")
    parser.add_argument("--slow-down", type=float, metavar="X", help="run on X times less CPU time (root, Linux)")
    args = parser.parse_args()
    slowed, slowed_label = slow_down_option(parser, args.slow_down)
    label = f"{args.profile} profile{slowed_label}"
    limits = Limits(total_seconds=args.timeout, memory_bytes=int(args.memory_gb * 2**30) if args.memory_gb else None)
    notebooks = [p.resolve() for p in args.notebooks] or [ROOT / lab.ipynb for lab in course().labs]
    with tempfile.TemporaryDirectory() as build:
        results = run(ROOT, notebooks, args.profile, args.in_place, Path(build), limits)
        ratios = fit_ratios(notebooks if args.in_place else sorted(Path(build, "executed").rglob("*.ipynb")))
    for result in results:
        if args.no_write or result.status != "ok":
            continue
        lab = f"{Path(result.notebook).stem} ({label})"
        write_result(lab, "wall time", result.seconds, "s", f"whole notebook, kernel start included{slowed}")
        write_result(lab, "peak memory", result.peak_memory_gb, "GiB", "kernel's proportional set size (PSS)")
        for name, value in result.metrics.items():
            write_result(lab, name, value, "", f"reported by the notebook (offline: simulators / stand-in){slowed}")
    for notebook, what, ratio in ratios:
        print(f"{notebook}: {what} trained in {ratio:.2f}x the planned seconds")
        if not args.no_write:
            write_result(f"{notebook} ({label})", f"{what}: actual/planned training seconds", ratio, "x", slowed[2:])


if __name__ == "__main__":
    main()
