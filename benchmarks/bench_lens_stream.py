"""Fresh simulated stamps every epoch (course_utils.streams.LensStream) against a fixed training set, on CPU.

    python benchmarks/bench_lens_stream.py            # lab 04's full-profile ResNet, 12 epochs x 64 steps
    python benchmarks/bench_lens_stream.py --quick    # 2 epochs x 4 steps, nothing written: a check

Model: lab 04's DeepLens-style ResNet in its full-profile configuration (width 32, 2 blocks per stage,
batch 128), built from the solution's own functions, Adam with the lab's cosine-decaying learning rate.
Measured in one run, so the ratios hold under load:
- the simulator pipeline: stamps/s that Keras delivers from LensStream (simulate_lenses plus the lab's
  normalise_stamps) to a model that costs nothing to train, with the default two worker threads and with
  two worker processes; against the training step's stamps/s (train_on_batch on arrays in memory);
- fit speed: the same number of steps on a fixed set of steps x batch stamps (``--epochs`` passes over it)
  and on a fresh stream (new stamps every epoch), wall and CPU time (this process and its reaped children);
- over-fitting: training AUROC on stamps trained on (the fixed set, or the fresh run's last epoch), test
  AUROC on ``--n-eval`` independent stamps; target: train - test <= 0.01 with fresh stamps.
The fits run one after the other, so their wall-time ratio holds only while the load stays steady (a quiet
machine); under changing load compare their CPU time per stamp. About 10 minutes on a quiet 2-core CPU.
Rows replace this benchmark's rows in benchmarks/results.md unless --no-write (or --quick).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "04_strong_lenses.py"
BENCHMARK = "lab 04 fresh stamps (full-profile ResNet, CPU)"
WIDTH, BLOCKS, BATCH = 32, 2, 128


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its children that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(work, *args, **kwargs) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``work(*args, **kwargs)``."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    work(*args, **kwargs)
    return time.perf_counter() - wall, cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--steps", type=int, default=64, help="batches per epoch (the full profile has 312)")
    parser.add_argument("--n-eval", type=int, default=4_000, help="test stamps (and at most as many training ones)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--quick", action="store_true", help="2 epochs x 4 steps, 512 test stamps, --no-write")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.steps, args.n_eval, args.no_write = 2, 4, 512, True
    run_wall, run_cpu, load_before = time.perf_counter(), cpu_seconds(), os.getloadavg()[0]

    import course_utils

    runtime = course_utils.setup()
    import keras
    import numpy as np
    from sklearn.metrics import roc_auc_score

    sys.path.insert(0, str(ROOT / "tests"))
    from course_utils import budget
    from course_utils.sims.lenses import simulate_lenses
    from course_utils.streams import LensStream
    from labsource import notebook_functions

    lab = notebook_functions(
        SOLUTION,
        {"keras": keras, "layers": keras.layers, "np": np},
        names=("normalise_stamps", "residual_block", "deeplens_resnet"),
    )
    normalise = lab["normalise_stamps"]
    n_train = args.steps * BATCH
    stamps = args.epochs * n_train

    def model(epochs):
        keras.utils.set_random_seed(runtime.seed)
        net = lab["deeplens_resnet"]((64, 64, 3), WIDTH, BLOCKS)
        schedule = keras.optimizers.schedules.CosineDecay(2e-3, max(1, epochs * args.steps))
        net.compile(optimizer=keras.optimizers.Adam(schedule), loss=keras.losses.BinaryCrossentropy(from_logits=True))
        return net

    def simulated(n, seed):
        images, catalog = simulate_lenses(n, seed=seed)
        return normalise(images), np.asarray(catalog["is_lens"], dtype="float32")

    def auroc(net, x, y):
        return float(roc_auc_score(y, net.predict(x, batch_size=256, verbose=0)[:, 0]))

    # What Keras delivers from the stream to a model that costs nothing to train (the whole CPU simulates).
    probe = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
    probe.compile(optimizer="sgd", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    delivered = {}
    for kind, processes in (("2 threads", False), ("2 processes", True)):
        stream = LensStream(
            args.steps, BATCH, seed=runtime.seed + 7, transform=normalise, use_multiprocessing=processes
        )
        probe.fit(stream, epochs=1, steps_per_epoch=2, shuffle=False, verbose=0)  # warm-up: tracing, the first pool
        wall, cpu = timed(probe.fit, stream, epochs=2, steps_per_epoch=args.steps, shuffle=False, verbose=0)
        delivered[kind] = (2 * args.steps * BATCH / wall, cpu / wall)

    x_test, y_test = simulated(args.n_eval, runtime.seed + 1)
    x_fixed, y_fixed = simulated(n_train, runtime.seed)
    step_rate = budget.training_rate(model(1), x_fixed, y_fixed, batch_size=BATCH, seconds=10.0)

    fixed = model(args.epochs)
    fixed_wall, fixed_cpu = timed(fixed.fit, x_fixed, y_fixed, batch_size=BATCH, epochs=args.epochs, verbose=2)
    fixed_gap = (auroc(fixed, x_fixed[: args.n_eval], y_fixed[: args.n_eval]), auroc(fixed, x_test, y_test))

    fresh = model(args.epochs)
    stream = LensStream(args.steps, BATCH, seed=runtime.seed, transform=normalise)
    fresh_wall, fresh_cpu = timed(
        fresh.fit, stream, epochs=args.epochs, steps_per_epoch=args.steps, shuffle=False, verbose=2
    )
    last = [stream.batch(args.epochs - 1, index) for index in range(args.steps)]
    x_last, y_last = (np.concatenate(part)[: args.n_eval] for part in zip(*last))
    fresh_gap = (auroc(fresh, x_last, y_last), auroc(fresh, x_test, y_test))

    load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    total = f"whole run {time.perf_counter() - run_wall:.0f} s wall, {cpu_seconds() - run_cpu:.0f} s CPU; {load}"
    under = f"{args.epochs} epochs x {args.steps} steps x {BATCH}; width {WIDTH}, {BLOCKS} blocks; {load}"
    threads_rate = delivered["2 threads"][0]
    rows = [
        *(
            (
                f"simulator pipeline through Keras, {kind}",
                rate,
                "stamps/s",
                f"LensStream (simulate_lenses + normalise_stamps) into a model that costs nothing to train; "
                f"CPU/wall {cpu_per_wall:.2f}; {load}",
            )
            for kind, (rate, cpu_per_wall) in delivered.items()
        ),
        ("training step alone", step_rate, "stamps/s", f"train_on_batch on arrays in memory; {load}"),
        ("pipeline (2 threads) / training step", threads_rate / step_rate, "x", "> 1: the simulator can keep ahead"),
        (
            "fit on a fixed set",
            stamps / fixed_wall,
            "stamps/s",
            f"{n_train:,} stamps in memory; CPU/wall {fixed_cpu / fixed_wall:.2f}; {under}",
        ),
        (
            "fit on fresh stamps",
            stamps / fresh_wall,
            "stamps/s",
            f"LensStream, 2 threads; CPU/wall {fresh_cpu / fresh_wall:.2f}; {under}",
        ),
        ("fresh / fixed fit speed", fixed_wall / fresh_wall, "x", f"1 = the pipeline keeps ahead of training; {total}"),
        ("fresh / fixed fit, CPU time per stamp", fresh_cpu / fixed_cpu, "x", "the simulator's share of the CPU"),
        ("fixed set: training AUROC", fixed_gap[0], "", f"on {min(n_train, args.n_eval):,} of the training stamps"),
        ("fixed set: test AUROC", fixed_gap[1], "", f"{args.n_eval:,} independent stamps"),
        ("fixed set: train - test AUROC", fixed_gap[0] - fixed_gap[1], "", under),
        ("fresh stamps: training AUROC", fresh_gap[0], "", f"on {len(y_last):,} of the last epoch's stamps"),
        ("fresh stamps: test AUROC", fresh_gap[1], "", f"{args.n_eval:,} independent stamps"),
        ("fresh stamps: train - test AUROC", fresh_gap[0] - fresh_gap[1], "", f"target <= 0.01; {under}"),
    ]
    for metric, value, unit, notes in rows:
        print(f"{metric:42s} {value:10.4g} {unit:9s} {notes}")
    print(total)
    if not args.no_write:
        from _results import read_rows, write_result, write_rows

        write_rows([row for row in read_rows() if row["benchmark"] != BENCHMARK])  # metrics renamed since
        for metric, value, unit, notes in rows:
            write_result(BENCHMARK, metric, float(value), unit, notes)


if __name__ == "__main__":
    main()
