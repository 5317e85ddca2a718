"""The course's main job as a new user runs it: ``make course`` in a fresh clone, timed per notebook.

    python benchmarks/bench_course.py                                   # cpu profile, rows into results.md
    ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/bench_course.py --keep /tmp/course   # as on a laptop without AVX-512
    python benchmarks/bench_course.py --profile smoke --no-write        # a quick check of this script

Clones this repository's committed HEAD into a new folder and runs ``make setup`` (a new virtual environment and
pip install; pip's cache is used where the machine has one), then ``make course`` (every lecture and solution,
``course_utils.notebooks run``), timing both. Rows: the set-up, the notebooks and the total against the course's
budget (``budget.COURSE_MINUTES``, set-up included); every notebook's wall time, peak memory and key figures
(from the run's build/summary.json) under "<notebook> (<profile> profile)"; and the actual/planned seconds
of every budgeted fit, as the notebooks printed them (``budget.timed``). ``--keep`` keeps the clone, its executed
notebooks in build/executed/. ``--slow-down 5`` (as root, Linux) runs it all on a fifth of this machine's CPU
time: a laptop five times slower in every part of the work, set-up included.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat

from _results import read_rows, write_result, write_rows  # run as a script: python benchmarks/bench_course.py
from course_utils.budget import COURSE_MINUTES

ROOT = Path(__file__).resolve().parents[1]

CGROUP_NAME = "course-bench-slow-down"


def slow_down(factor: float) -> str:
    """Limit this process and the processes it starts to ``os.cpu_count() / factor`` CPUs of time (a cgroup
    quota per 100 ms period, cgroup v2 or v1's cpu controller), with a high weight so that other work on the
    machine takes none of that quota; return the quota, described."""
    period = 100_000  # microseconds
    quota = int(period * os.cpu_count() / factor)
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():  # cgroup v2
        group = Path("/sys/fs/cgroup") / CGROUP_NAME
        group.mkdir(exist_ok=True)
        (group / "cpu.max").write_text(f"{quota} {period}")
        (group / "cpu.weight").write_text("10000")
    else:
        group = Path("/sys/fs/cgroup/cpu") / CGROUP_NAME
        group.mkdir(exist_ok=True)
        (group / "cpu.cfs_period_us").write_text(str(period))
        (group / "cpu.cfs_quota_us").write_text(str(quota))
        (group / "cpu.shares").write_text("262144")
    (group / "cgroup.procs").write_text(str(os.getpid()))
    return f"CPU quota {quota / period:.2f} of {os.cpu_count()} cores ({group})"


def slow_down_option(parser: argparse.ArgumentParser, factor: float | None) -> tuple[str, str]:
    """Apply ``--slow-down X`` (``slow_down``): ("; <the quota>", ", CPU Xx slower") for the rows' notes and
    names, ("", "") without it; a clear parser error where it cannot be applied."""
    if factor is None:
        return "", ""
    if not factor > 1:
        parser.error(f"--slow-down must be more than 1 (times slower), got {factor}")
    try:
        return f"; {slow_down(factor)}", f", CPU {factor:g}x slower"
    except OSError as error:
        parser.error(f"--slow-down needs root and Linux cgroups with the cpu controller: {error}")


PLANNED = re.compile(r"^(?P<what>.+?): trained in .+?, planned .+? \((?P<ratio>[\d.]+)x\)$", re.MULTILINE)


def make(target: str, clone: Path, profile: str | None) -> float:
    """Wall seconds of ``make <target>`` in ``clone`` (its output streamed); raises if it fails."""
    command = ["make", target] + ([f"PROFILE={profile}"] if profile else [])
    start = time.perf_counter()
    subprocess.run(command, cwd=clone, check=True)
    return time.perf_counter() - start


def fit_ratios(executed: list[Path]) -> list[tuple[str, str, float]]:
    """(notebook, what was trained, actual/planned seconds) of every ``budget.timed`` line in executed notebooks."""
    found = []
    for path in executed:
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                for match in PLANNED.finditer(output.get("text", "")):
                    found.append((path.stem, match["what"], float(match["ratio"])))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", help="PROFILE for make (default: the one make course picks for this machine)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="clone into DIR (must not exist) and keep it")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results.md alone")
    parser.add_argument("--slow-down", type=float, metavar="X", help="run on X times less CPU time (root, Linux)")
    args = parser.parse_args()
    slowed, slowed_label = slow_down_option(parser, args.slow_down)
    if args.keep and args.keep.exists():
        parser.error(f"{args.keep} exists: give a new folder to --keep")
    clone = args.keep or Path(tempfile.mkdtemp(prefix="course-run-")) / "course"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    load_start = os.getloadavg()[0]
    try:
        setup_seconds = make("setup", clone, args.profile)
        notebooks_seconds = make("course", clone, args.profile)
        summary = json.loads((clone / "build" / "summary.json").read_text())
        ratios = fit_ratios(sorted((clone / "build" / "executed").rglob("*.ipynb")))
    finally:
        if not args.keep:
            shutil.rmtree(clone.parent, ignore_errors=True)
    load = f"load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    profile = summary["profile"] or "automatic"
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA")
    how = f"make course from a fresh clone{f', ONEDNN_MAX_CPU_ISA={isa}' if isa else ''}; {load}{slowed}"
    total = setup_seconds + notebooks_seconds
    course_rows = [
        ("set-up (make setup: venv, pip install)", setup_seconds, "s", f"pip's cache warm; {how}"),
        ("notebooks", notebooks_seconds, "s", f"{len(summary['notebooks'])} notebooks; {how}"),
        ("total", total, "s", f"target <= {COURSE_MINUTES:g} minutes ({60 * COURSE_MINUTES:g} s); {how}"),
        ("longest lab", max(r["seconds"] for r in summary["notebooks"]), "s", f"target <= 600 s; {how}"),
    ]
    course_rows += [(f"{nb}: {what} actual/planned", ratio, "x", how) for nb, what, ratio in ratios]
    notebook_rows = []
    for result in summary["notebooks"]:
        name = f"{Path(result['notebook']).stem} ({profile} profile{slowed_label})"
        if result["status"] != "ok":
            print(f"{result['notebook']}: {result['status']} {result.get('error') or ''}")
            continue
        notebook_rows += [
            (name, "wall time", result["seconds"], "s", f"whole notebook, kernel start included; {how}"),
            (name, "peak memory", result["peak_memory_gb"], "GiB", "kernel's proportional set size (PSS)"),
        ]
        notebook_rows += [
            (name, key, value, "", f"reported by the notebook (offline); {how}")
            for key, value in result["metrics"].items()
        ]
    benchmark = f"make course ({profile} profile{slowed_label})"
    for metric, value, unit, _ in course_rows:
        print(f"{benchmark:24s} {metric:56s} {value:10.4g} {unit}")
    for name, metric, value, unit, _ in notebook_rows:
        print(f"{name:40s} {metric:40s} {value:10.4g} {unit}")
    if args.no_write:
        return
    # A course run replaces the previous one's rows: the fits it lists change with the labs.
    write_rows([row for row in read_rows() if row["benchmark"] != benchmark])
    for metric, value, unit, notes in course_rows:
        write_result(benchmark, metric, float(value), unit, notes)
    for name, metric, value, unit, notes in notebook_rows:
        write_result(name, metric, float(value), unit, notes)


if __name__ == "__main__":
    main()
