"""How well the cpu profile's time budget predicts a fit: planned (course_utils.budget.plan) against actual seconds.

    python benchmarks/bench_budget.py                          # 60-second fits of two labs' networks
    python benchmarks/bench_budget.py --seconds 10 --no-write  # quick check

For lab 04's small CNN and lab 06's θE CNN (read from the solutions, cpu-profile widths, random inputs of the
labs' shapes): ``budget.plan`` measures a throw-away copy and chooses images and epochs for ``--seconds``, then
a fresh copy is fitted as the labs fit (validation_split 0.1). Rows: actual / planned wall seconds, the same
without the fit's tracing (what the plan predicted before it counted FIT_TRACING_STEPS first steps), and the
fit's CPU seconds per image against train_on_batch's (1 = fit does no work per image that the measurement
misses; wall time under load is the rest). Rows go to benchmarks/results.md unless --no-write.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import write_result  # noqa: E402
from bench_backends import lab_namespace, training_data  # noqa: E402

BENCHMARK = "time budget: planned vs actual fit (cpu profile)"
BATCH = 64


def networks():
    """(name, build, loss, n_classes) of the networks measured."""
    import keras

    lab04, lab06 = lab_namespace("04_strong_lenses"), lab_namespace("06_beyond_classification")
    return [
        (
            "lab04 small_cnn",
            lambda: lab04["small_cnn"]((64, 64, 3)),
            keras.losses.BinaryCrossentropy(from_logits=True),
            1,
        ),
        ("lab06 lens_cnn", lambda: lab06["lens_cnn"](1, lab06["SIZES"]["width"]), "mse", 1),
    ]


def cpu_seconds_per_image(model, x, y, seconds: float) -> float:
    """CPU seconds per image of train_on_batch on one batch, after the steps already run on ``model``."""
    done, cpu, start = 0, time.process_time(), time.perf_counter()
    while time.perf_counter() - start < seconds:
        model.train_on_batch(x[:BATCH], y[:BATCH])
        done += 1
    return (time.process_time() - cpu) / (done * BATCH)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="the budget of each fit")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from course_utils import budget

    rows = []
    for name, build, loss, n_classes in networks():
        x, y = training_data((64, 64, 3), n_classes, 20_000)
        probe = build()
        probe.compile(optimizer="adam", loss=loss)
        load = os.getloadavg()[0]
        plan = budget.plan(probe, x, y, batch_size=BATCH, budget_seconds=args.seconds, max_epochs=50, what=name)
        probe_cpu = cpu_seconds_per_image(probe, x, y, 3.0)
        model = build()
        model.compile(optimizer="adam", loss=loss)
        start, cpu = time.perf_counter(), time.process_time()
        with budget.timed(plan, name):
            model.fit(
                x[: plan.images],
                y[: plan.images],
                validation_split=0.1,
                epochs=plan.epochs,
                batch_size=BATCH,
                verbose=0,
            )
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        load = max(load, os.getloadavg()[0])
        untraced = plan.images * plan.epochs / plan.images_per_second
        notes = (
            f"{plan.images:,} images x {plan.epochs} epochs in a {args.seconds:g} s budget, batch {BATCH}, "
            f"validation_split 0.1; load average {load:.1f}"
        )
        rows += [
            (name, "actual / planned seconds", took / plan.fit_seconds, notes),
            (name, "actual / planned seconds, tracing not counted", took / untraced, notes),
            (
                name,
                "fit / train_on_batch CPU seconds per image",
                cpu / (plan.images * plan.epochs) / probe_cpu,
                f"{notes}; fit's CPU time includes its tracing and validation",
            ),
        ]
    for name, metric, value, notes in rows:
        print(f"{name:16s} {metric:48s} {value:.2f}")
        if not args.no_write:
            write_result(f"{BENCHMARK}: {name}", metric, round(value, 3), "ratio", notes)


if __name__ == "__main__":
    main()
