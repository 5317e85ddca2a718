"""Size a lab's training to a time budget from the speed measured on this machine (the cpu profile).

The same cpu-profile notebook takes minutes on a CPU with AVX-512 and five times longer on a laptop with
AVX2 only. So in the cpu profile a lab measures how fast this machine trains its own model, then trains on
as many images and epochs as fit in its budget; the smoke and full profiles keep their fixed sizes:

    from course_utils import budget

    SIZES = runtime.pick(smoke=dict(n_train=512, epochs=1), cpu=dict(n_train=60_000, epochs=3),
                         full=dict(n_train=60_000, epochs=12))
    if budget.applies(runtime, SIZES, "n_train", "epochs"):          # cpu profile, sizes not given explicitly
        probe = build_model()                                        # a fresh model, compiled as the lab does
        probe.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        plan = budget.plan(probe, x_train, y_train, batch_size=128, budget_seconds=budget.budget_seconds("lab02"),
                           max_epochs=SIZES["epochs"])
        # prints: "cnn: this machine trains 900 images/s; 60,000 images x 3 epochs fit in 3.3 minutes of ..."
        SIZES |= {"n_train": plan.images, "epochs": plan.epochs}
    with budget.timed(plan, "cnn"):                                  # prints: "cnn: trained in 3.4 minutes, ..."
        model.fit(...)

``plan`` = ``measure`` + ``choose`` (decide) + print; a lab that simulates its images passes
``prepare_images_per_second=budget.preparation_rate(simulate, 200)`` so that making them counts too.
``timed`` prints the seconds a fit took against the plan's, so that the plan can be checked on every machine.

**The course's budget** is stated here, once: ``make course`` takes ``COURSE_MINUTES`` on a 2-core laptop
without AVX-512; of them the set-up (``SETUP_SECONDS``) and every notebook's fixed costs (``FIXED_SECONDS``:
kernel start, simulating, baselines, evaluating) are measured, and what is left is the training, shared
between the labs by ``TRAINING_SHARES``. A lab splits its seconds between its trainings with
``budget_seconds(lab, share)``; ``COURSE_BUDGET_MINUTES=60`` gives the course 60 minutes instead, all the
extra time going to training.

``choose`` is a pure function of the measured rates (the same rates give the same sizes); the
``measure`` and the ``*_rate`` functions are the thin measuring wrappers. Sizes given explicitly, with
``COURSE_SIZES="n_train=20000,epochs=4"`` (read by ``Runtime.pick``), are never re-sized.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

BUDGET_VARIABLE = "COURSE_BUDGET_MINUTES"
COURSE_MINUTES = 30.0  # `make course`, cpu profile, 2 cores with AVX2 only, set-up (pip install) included
# Measured in a `make course` of main with oneDNN restricted to AVX2 (ONEDNN_MAX_CPU_ISA=AVX2, 2 cores,
# 2026-12-01, the machine shared, load ~5): each notebook's fixed seconds, its wall time less its budgeted
# training (epochs' seconds as fit printed them): lectures 81 s and lab 01 13 s (no training); lab02 69 - 30;
# lab03 290 - 255; lab04 547 - 453 - 18 (simulating the training stamps, in the budget); lab05 349 - 277;
# lab06 251 - 193 - 5 (simulating), + 15 s for the three speed measurements it now makes. The set-up is the 2-4 minutes of a first pip install (this machine's
# cache made it 70 s): the upper end, so that the course keeps its 30 minutes where downloads are slow.
SETUP_SECONDS = 240
FIXED_SECONDS = {"lectures": 81, "lab01": 13, "lab02": 40, "lab03": 35, "lab04": 80, "lab05": 75, "lab06": 70}
# What is left of COURSE_MINUTES (here 1,166 s) trains, shared by what each lab's training needs: at these
# shares labs 02, 03 and 06 train at their largest cpu sizes on that machine, labs 04 and 05 a little less.
TRAINING_SHARES = {"lab02": 0.10, "lab03": 0.25, "lab04": 0.30, "lab05": 0.17, "lab06": 0.18}
# A fit traces its training step and, for the validation pass, its test step: measured, its fixed seconds
# (the first epoch's excess over the others) were 1.6-2x the first train_on_batch's.
FIT_TRACING_STEPS = 2


def course_minutes() -> float:
    """The minutes ``make course`` may take: COURSE_BUDGET_MINUTES if set, else COURSE_MINUTES."""
    value = os.environ.get(BUDGET_VARIABLE)
    if not value:
        return COURSE_MINUTES
    try:
        minutes = float(value)
    except ValueError:
        minutes = -1.0
    if not minutes > 0:
        raise ValueError(
            f"{BUDGET_VARIABLE}={value!r} is not a positive number of minutes; e.g. {BUDGET_VARIABLE}=60 gives "
            f"the course 60 minutes instead of {COURSE_MINUTES:g}"
        )
    return minutes


def training_seconds(minutes: float) -> dict[str, float]:
    """Each lab's seconds of training when the course takes ``minutes``: what the set-up and fixed costs leave."""
    left = minutes * 60 - SETUP_SECONDS - sum(FIXED_SECONDS.values())
    if left <= 0:
        raise ValueError(
            f"{minutes:g} minutes leave no time to train: the set-up and the notebooks' fixed costs alone take "
            f"{(minutes * 60 - left) / 60:.0f} minutes (set {BUDGET_VARIABLE} higher)"
        )
    return {lab: share * left for lab, share in TRAINING_SHARES.items()}


@dataclass(frozen=True)
class Plan:
    """The sizes ``choose`` picked: ``images`` trained on for ``epochs``, and why."""

    images: int
    epochs: int
    images_per_second: float  # training, measured
    seconds: float  # predicted: preparing the images, then every fit's fixed seconds and its training
    budget_seconds: float
    reason: str  # "fits" (the lab's largest sizes fit), "budget" (cut to fit) or "minimum" (over budget)
    fits: int = 1  # networks trained on the same images, each for ``epochs``
    fit_seconds: float = 0.0  # predicted seconds of one fit, its fixed seconds (tracing) included

    def __str__(self) -> str:
        sizes = f"{self.images:,} images x {self.epochs} epoch{'s' if self.epochs != 1 else ''}"
        if self.fits > 1:
            sizes += f" for each of {self.fits} networks"
        took = f"take {_minutes(self.seconds)}"
        budget = f"{_minutes(self.budget_seconds)} budget"
        rate = f"this machine trains {self.images_per_second:,.0f} images/s"
        if self.reason == "fits":
            return f"{rate}; the lab's largest sizes, {sizes}, {took}, within the {budget}"
        if self.reason == "budget":
            return f"{rate}; {sizes} fit in {_minutes(self.seconds)} of the {budget}"
        return f"{rate}; even the smallest sizes, {sizes}, {took}: over the {budget}"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} minutes" if seconds >= 90 else f"{seconds:.0f} s"


def choose(
    images_per_second: float,
    *,
    budget_seconds: float,
    max_images: int,
    max_epochs: int,
    min_images: int = 1,
    min_epochs: int = 1,
    prepare_images_per_second: float = math.inf,
    multiple: int = 1,
    fits: int = 1,
    fixed_seconds: float = 0.0,
) -> Plan:
    """The images and epochs that fit ``budget_seconds`` at the measured rates: more distinct images first.

    Time taken = images / prepare_images_per_second (simulating or loading each image once)
    + ``fits`` x (fixed_seconds + images * epochs / images_per_second): ``fits`` networks train on the same
    images, each paying ``fixed_seconds`` whatever its size (tracing its steps). The lab's largest sizes (``max_images`` x
    ``max_epochs``) are used when they fit; otherwise the number of images grows at ``min_epochs`` up to
    ``max_images`` (fresh images teach more than repeated ones), then the epochs grow to fill the budget.
    Images are rounded down to a ``multiple`` (e.g. the batch size); never below ``min_images`` x ``min_epochs``,
    even when those take longer than the budget (the plan then says so).
    """
    for name, value in (
        ("images_per_second", images_per_second),
        ("budget_seconds", budget_seconds),
        ("prepare_images_per_second", prepare_images_per_second),
    ):
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value!r}: measure it with budget.training_rate")
    if not 1 <= min_images <= max_images or not 1 <= min_epochs <= max_epochs or multiple < 1 or fits < 1:
        raise ValueError(
            f"need 1 <= min_images ({min_images}) <= max_images ({max_images}), "
            f"1 <= min_epochs ({min_epochs}) <= max_epochs ({max_epochs}), multiple >= 1 and fits >= 1"
        )
    if fixed_seconds < 0:
        raise ValueError(f"fixed_seconds must not be negative, got {fixed_seconds!r}")

    def fit_seconds(images: int, epochs: int) -> float:
        return fixed_seconds + images * epochs / images_per_second

    def plan(images: int, epochs: int, reason: str) -> Plan:
        seconds = images / prepare_images_per_second + fits * fit_seconds(images, epochs)
        return Plan(
            images, epochs, images_per_second, seconds, budget_seconds, reason, fits, fit_seconds(images, epochs)
        )

    if plan(max_images, max_epochs, "fits").seconds <= budget_seconds:
        return plan(max_images, max_epochs, "fits")
    training = budget_seconds - fits * fixed_seconds  # what is left for the images and their epochs
    per_image = 1 / prepare_images_per_second + fits * min_epochs / images_per_second
    images = min(max_images, int(max(training, 0) / per_image + 1e-9) // multiple * multiple)  # 1e-9: division
    if images < min_images:
        return plan(min_images, min_epochs, "minimum")
    epochs = min_epochs
    if images == max_images:  # all images fit: spend the rest on epochs
        epochs = int((training - images / prepare_images_per_second) * images_per_second / (fits * images) + 1e-9)
        epochs = max(min_epochs, min(max_epochs, epochs))
    return plan(images, epochs, "budget")


def budget_seconds(lab: str, share: float = 1.0) -> float:
    """Seconds of training for ``share`` (0-1) of ``lab``'s part of the course (``training_seconds``), e.g.
    ("lab06", 0.3), in a course of ``course_minutes()``."""
    if lab not in TRAINING_SHARES:
        raise ValueError(f"{lab!r} has no training budget; the labs that have one: {', '.join(TRAINING_SHARES)}")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share!r}: the part of {lab}'s budget this training gets")
    return training_seconds(course_minutes())[lab] * share


def applies(runtime, sizes: dict, *keys: str) -> bool:
    """True when the budget sizes these entries of ``sizes``: the cpu profile, none of them given in COURSE_SIZES."""
    from course_utils.runtime import explicit_sizes

    missing = [key for key in keys if key not in sizes]
    if missing:
        raise ValueError(f"budget.applies: {', '.join(missing)} not among the sizes ({', '.join(sizes)})")
    return runtime.profile == "cpu" and not set(keys) & set(explicit_sizes())


@dataclass(frozen=True)
class Speed:
    """What ``measure`` found: training images per second, and the seconds of the first step (tracing and
    compiling the step, which every ``fit`` of a new model pays again)."""

    images_per_second: float
    first_step_seconds: float


def measure(model, x, y, *, batch_size: int, seconds: float = 3.0, warmup_batches: int = 2) -> Speed:
    """The training speed of a compiled Keras ``model`` on batches of ``x``, ``y`` (>= one batch).

    Runs ``warmup_batches`` first (the first one timed alone: tracing), then ``train_on_batch`` until
    ``seconds`` have passed. The model's weights change: measure a fresh model built for this and thrown away.
    """
    if len(x) < batch_size:
        raise ValueError(f"training_rate needs at least one batch ({batch_size}) of examples, got {len(x)}")
    n_batches = len(x) // batch_size
    batches = [
        (x[i * batch_size : (i + 1) * batch_size], y[i * batch_size : (i + 1) * batch_size]) for i in range(n_batches)
    ]
    start = time.perf_counter()
    for k in range(max(warmup_batches, 1)):
        model.train_on_batch(*batches[k % n_batches])
        if k == 0:
            first_step = time.perf_counter() - start
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or done == 0:
        model.train_on_batch(*batches[done % n_batches])
        done += 1
    return Speed(done * batch_size / elapsed, first_step)


def training_rate(model, x, y, *, batch_size: int, seconds: float = 3.0, warmup_batches: int = 2) -> float:
    """Training images per second of a compiled Keras ``model``: ``measure(...).images_per_second``."""
    return measure(model, x, y, batch_size=batch_size, seconds=seconds, warmup_batches=warmup_batches).images_per_second


def plan(
    model,
    x,
    y,
    *,
    batch_size: int,
    budget_seconds: float,
    max_epochs: int,
    max_images: int | None = None,
    min_images: int = 1,
    min_epochs: int = 1,
    prepare_images_per_second: float = math.inf,
    fits: int = 1,
    seconds: float = 3.0,
    what: str | None = None,
) -> Plan:
    """Measure ``model`` (compiled, thrown away afterwards) on ``x``, ``y`` and ``choose`` its sizes; print the plan.

    ``budget_seconds``: e.g. ``budget.budget_seconds("lab06", 0.4)``; ``max_images`` defaults to ``len(x)``;
    images are rounded down to whole batches; every fit pays FIT_TRACING_STEPS first steps (tracing) again.
    The printed line starts with ``what`` is trained (default: the model's name).
    """
    speed = measure(model, x[: 8 * batch_size], y[: 8 * batch_size], batch_size=batch_size, seconds=seconds)
    chosen = choose(
        speed.images_per_second,
        budget_seconds=budget_seconds,
        max_images=len(x) if max_images is None else max_images,
        max_epochs=max_epochs,
        min_images=min_images,
        min_epochs=min_epochs,
        prepare_images_per_second=prepare_images_per_second,
        multiple=batch_size,
        fits=fits,
        fixed_seconds=FIT_TRACING_STEPS * speed.first_step_seconds,
    )
    print(f"{what or getattr(model, 'name', 'model')}: {chosen}")
    return chosen


@contextmanager
def timed(plan: Plan | None, what: str):
    """Time the fit inside the ``with`` block and print it against ``plan.fit_seconds`` (nothing without a plan).

    ``with budget.timed(plan, "your CNN"): model.fit(...)`` prints "your CNN: trained in 3.4 minutes,
    planned 3.3 minutes (1.03x)": a ratio far from 1 means the measured speed did not hold (another program
    took the processor, or the fit does work the measurement did not see).
    """
    start = time.perf_counter()
    yield
    if plan is not None:
        took = time.perf_counter() - start
        print(
            f"{what}: trained in {_minutes(took)}, planned {_minutes(plan.fit_seconds)} "
            f"({took / plan.fit_seconds:.2f}x)"
        )


def preparation_rate(make: Callable[[int], object], n: int) -> float:
    """Items per second of ``make(n)``, e.g. a simulator making ``n`` images (one call, timed)."""
    start = time.perf_counter()
    make(n)
    return n / (time.perf_counter() - start)
