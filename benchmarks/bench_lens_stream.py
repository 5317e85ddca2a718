"""Fresh simulated stamps every epoch (course_utils.streams.LensStream) against a fixed training set, on CPU.

    python benchmarks/bench_lens_stream.py                           # lab 04's full-profile ResNet, 5 x 30 steps
    python benchmarks/bench_lens_stream.py --epochs 2 --steps 5 --n-eval 512 --no-write   # quick check

Model: lab 04's DeepLens-style ResNet in its full-profile configuration (width 32, 2 blocks per stage,
batch 128), built from the solution's own functions, Adam with the lab's cosine-decaying learning rate.
Measured in one run, so the ratios hold under load:
- the simulator pipeline: stamps/s of one worker making LensStream batches (simulate_lenses plus the lab's
  normalise_stamps), and what Keras' worker processes deliver to a model that costs nothing to train;
- the training step alone: stamps/s of train_on_batch on arrays already in memory (budget.training_rate);
- over-fitting: the same number of steps on a fixed set of steps x batch stamps (``--epochs`` passes over it)
  and on a fresh stream (each epoch new stamps); training AUROC on the stamps trained on (the fixed set, or
  the fresh run's last epoch), test AUROC on ``--n-eval`` independent stamps; target gap <= 0.01 with fresh stamps.
Rows go to benchmarks/results.md unless --no-write.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "04_strong_lenses.py"
BENCHMARK = "lab 04 fresh stamps (full-profile ResNet, CPU)"
WIDTH, BLOCKS, BATCH = 32, 2, 128


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30, help="batches per epoch (the full profile has 312)")
    parser.add_argument("--n-eval", type=int, default=4_000, help="test stamps (and at most as many training ones)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

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

    stream = LensStream(
        args.steps, BATCH, seed=runtime.seed, transform=normalise, workers=args.workers, use_multiprocessing=True
    )
    start = time.perf_counter()
    for index in range(4):
        stream.batch(100, index)
    worker_rate = 4 * BATCH / (time.perf_counter() - start)

    # Keras' worker processes feeding a model that costs nothing to train: the rate the pipeline delivers.
    probe = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
    probe.compile(optimizer="sgd", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    probe_stream = LensStream(
        args.steps, BATCH, seed=runtime.seed + 7, transform=normalise, workers=args.workers, use_multiprocessing=True
    )
    probe.fit(probe_stream, epochs=1, steps_per_epoch=2, shuffle=False, verbose=0)  # warm-up: tracing, first fork
    start = time.perf_counter()
    probe.fit(probe_stream, epochs=2, steps_per_epoch=args.steps, shuffle=False, verbose=0)
    pipeline_rate = 2 * args.steps * BATCH / (time.perf_counter() - start)

    x_test, y_test = simulated(args.n_eval, runtime.seed + 1)
    x_fixed, y_fixed = simulated(n_train, runtime.seed)
    step_rate = budget.training_rate(model(1), x_fixed, y_fixed, batch_size=BATCH, seconds=10.0)

    fixed = model(args.epochs)
    start = time.perf_counter()
    fixed.fit(x_fixed, y_fixed, batch_size=BATCH, epochs=args.epochs, verbose=2)
    fixed_seconds = time.perf_counter() - start
    fixed_gap = (auroc(fixed, x_fixed[: args.n_eval], y_fixed[: args.n_eval]), auroc(fixed, x_test, y_test))

    fresh = model(args.epochs)
    start = time.perf_counter()
    fresh.fit(stream, epochs=args.epochs, steps_per_epoch=args.steps, shuffle=False, verbose=2)
    fresh_seconds = time.perf_counter() - start
    last = [stream.batch(args.epochs - 1, index) for index in range(args.steps)]
    x_last, y_last = (np.concatenate(part)[: args.n_eval] for part in zip(*last))
    fresh_gap = (auroc(fresh, x_last, y_last), auroc(fresh, x_test, y_test))

    stamps = args.epochs * n_train
    load = os.getloadavg()[0]
    under = (
        f"{args.epochs} epochs x {args.steps} steps x {BATCH}; width {WIDTH}, {BLOCKS} blocks; "
        f"load average ~{load:.0f} on the shared machine"
    )
    rows = [
        (
            "simulator pipeline, one worker",
            worker_rate,
            "stamps/s",
            "LensStream batches of 128: simulate_lenses + normalise_stamps, in one process",
        ),
        (
            "simulator pipeline through Keras",
            pipeline_rate,
            "stamps/s",
            f"fit of a model that costs nothing to train, {args.workers} worker processes: what the pipeline delivers",
        ),
        ("pipeline / training step", pipeline_rate / step_rate, "x", "> 1: the simulator keeps ahead of training"),
        ("training step alone", step_rate, "stamps/s", "train_on_batch on arrays in memory (budget.training_rate)"),
        ("fit on a fixed set", stamps / fixed_seconds, "stamps/s", f"{n_train:,} stamps in memory; {under}"),
        (
            "fit on fresh stamps",
            stamps / fresh_seconds,
            "stamps/s",
            f"LensStream, {args.workers} worker processes; {under}",
        ),
        ("fresh / fixed fit speed", fixed_seconds / fresh_seconds, "x", "1 = the pipeline keeps ahead of training"),
        ("fixed set: training AUROC", fixed_gap[0], "", f"on the {min(n_train, args.n_eval):,} training stamps"),
        ("fixed set: test AUROC", fixed_gap[1], "", f"{args.n_eval:,} independent stamps"),
        ("fixed set: train - test AUROC", fixed_gap[0] - fixed_gap[1], "", under),
        ("fresh stamps: training AUROC", fresh_gap[0], "", "on the last epoch's stamps"),
        ("fresh stamps: test AUROC", fresh_gap[1], "", f"{args.n_eval:,} independent stamps"),
        ("fresh stamps: train - test AUROC", fresh_gap[0] - fresh_gap[1], "", f"target <= 0.01; {under}"),
    ]
    for metric, value, unit, notes in rows:
        print(f"{metric:34s} {value:10.4g} {unit:9s} {notes}")
    if not args.no_write:
        from _results import write_result

        for metric, value, unit, notes in rows:
            write_result(BENCHMARK, metric, float(value), unit, notes)


if __name__ == "__main__":
    main()
