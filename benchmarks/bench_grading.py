"""Notebooks graded per minute: copies of the lab 01 solution through the grader, into benchmarks/results.md.

    python benchmarks/bench_grading.py                      # 8 notebooks, smoke profile, --jobs 1 and 2
    python benchmarks/bench_grading.py --copies 4 --jobs 2 --no-write  # quicker, print only
    python benchmarks/bench_grading.py --baseline ../main   # also time the grader of another checkout

``--baseline DIR`` runs DIR's own copy of this benchmark (with DIR/.venv, print only) first and records its
numbers as the baseline rows, so the cost of a change to the grader (here: the sandbox and the judge
outside the kernel) is measured on the same machine, minutes apart.

Each notebook runs exactly as ``course-grade`` runs it: its own runner process and fresh kernel, the
lab's checks and hidden checks. Wall time covers the whole command (reading, running, the gradebook);
the load average at the start is printed because other work on the machine slows every kernel.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat

from _results import write_result  # run as a script: python benchmarks/bench_grading.py
from course_utils.grading import checkset, grader
from course_utils.manifest import course

ROOT = Path(__file__).resolve().parents[1]
LAB = course().lab("lab01")  # seconds per notebook in every profile


def grade_copies(copies: int, jobs: int, profile: str) -> tuple[float, list]:
    """Grade ``copies`` copies of the lab 01 solution; return (wall seconds, grades)."""
    solution = jupytext.read(ROOT / LAB.source)
    checks = checkset.load(LAB.id)
    with tempfile.TemporaryDirectory() as tmp:
        submitted = Path(tmp) / "submitted"
        submitted.mkdir()
        for k in range(copies):
            nbformat.write(solution, submitted / f"student{k:02d}.ipynb")
        start = time.perf_counter()
        grades = grader.grade_folder(
            checks, submitted, Path(tmp) / "grades", grader.Options(profile=profile, jobs=jobs), progress=False
        )
        seconds = time.perf_counter() - start
    not_full = [g.student for g in grades if g.total != checks.max_points]
    if not_full:
        raise SystemExit(f"the solution did not score full marks for {not_full}: fix that before timing")
    return seconds, grades


def baseline_rows(checkout: Path, copies: int, jobs: list[int], profile: str) -> dict[int, tuple[float, float]]:
    """{jobs: (notebooks per minute, mean seconds per notebook)} printed by ``checkout``'s own benchmark."""
    done = subprocess.run(
        [
            str(checkout / ".venv" / "bin" / "python"),
            "benchmarks/bench_grading.py",
            "--no-write",
            "--copies",
            str(copies),
            "--profile",
            profile,
            "--jobs",
            *map(str, jobs),
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = {}
    for line in done.stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 6 and cells[0].isdigit():
            rows[int(cells[1])] = (float(cells[3]), float(cells[4]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=8, help="notebooks per run (default 8)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="parallel runs to time (default 1 2)")
    parser.add_argument("--profile", default=course().grading_profile, choices=tuple(course().profiles))
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results.md alone")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="another checkout to time first, as the baseline")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    before = baseline_rows(args.baseline.resolve(), args.copies, args.jobs, args.profile) if args.baseline else {}
    rows = [
        "| notebooks | --jobs | wall time (s) | notebooks / minute | mean per notebook (s) | peak memory per notebook (GB) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for jobs in args.jobs:
        seconds, grades = grade_copies(args.copies, jobs, args.profile)
        per_notebook = sum(g.seconds for g in grades) / len(grades)
        peak = max(g.peak_memory for g in grades) / 2**30
        rows.append(
            f"| {args.copies} | {jobs} | {seconds:.1f} | {60 * args.copies / seconds:.1f} | "
            f"{per_notebook:.1f} | {peak:.2f} |"
        )
        if not args.no_write:
            bench = f"grading lab 01 ({args.profile} profile, --jobs {jobs})"
            notes = (
                f"{args.copies} notebooks, load average {load:.1f} at the start; "
                f"{'bubblewrap sandbox' if grades[0].isolated else 'not isolated'}, judge outside the kernel"
            )
            write_result(bench, "notebooks per minute", 60 * args.copies / seconds, "1/min", notes)
            write_result(bench, "mean seconds per notebook", per_notebook, "s", notes)
            write_result(bench, "peak memory per notebook", peak, "GiB", notes)
            if jobs in before:
                base_rate, base_seconds = before[jobs]
                base_notes = (
                    f"{args.copies} notebooks, grader of {args.baseline} (checks inside the kernel), "
                    f"timed just before, same machine, load average {load:.1f} at the start"
                )
                write_result(bench, "baseline notebooks per minute", base_rate, "1/min", base_notes)
                write_result(bench, "baseline mean seconds per notebook", base_seconds, "s", base_notes)
                write_result(
                    bench,
                    "isolation cost per notebook",
                    100 * (per_notebook / base_seconds - 1),
                    "%",
                    "mean seconds per notebook vs the baseline; target < 20 %",
                )
    header = (
        f"Grading lab 01 solutions ({args.profile} profile) on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} CPUs, load average {load:.1f} at the start, Python {platform.python_version()}):\n"
    )
    table = header + "\n" + "\n".join(rows) + "\n"
    print("\n" + table)


if __name__ == "__main__":
    main()
