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
        plan = budget.plan(probe, x_train, y_train, batch_size=128, lab_seconds=240, max_epochs=SIZES["epochs"])
        # prints: "cnn: this machine trains 900 images/s; 60,000 images x 3 epochs fit in 3.3 minutes of ..."
        SIZES |= {"n_train": plan.images, "epochs": plan.epochs}

``plan`` = ``training_rate`` (measure) + ``choose`` (decide) + print; a lab that simulates its images passes
``prepare_images_per_second=budget.preparation_rate(simulate, 200)`` so that making them counts too.

``choose`` is a pure function of the measured rates (the same rates give the same sizes); the
``*_rate`` functions are the thin measuring wrappers. Sizes given explicitly, with
``COURSE_SIZES="n_train=20000,epochs=4"`` (read by ``Runtime.pick``), are never re-sized, and
``COURSE_BUDGET_MINUTES`` scales every lab's budget (``budget_seconds`` below) to the minutes given.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

BUDGET_VARIABLE = "COURSE_BUDGET_MINUTES"
DEFAULT_LAB_MINUTES = 8.0  # what each lab's budget_seconds are a share of; COURSE_BUDGET_MINUTES rescales


@dataclass(frozen=True)
class Plan:
    """The sizes ``choose`` picked: ``images`` trained on for ``epochs``, and why."""

    images: int
    epochs: int
    images_per_second: float  # training, measured
    seconds: float  # predicted: preparing the images plus training on them
    budget_seconds: float
    reason: str  # "fits" (the lab's largest sizes fit), "budget" (cut to fit) or "minimum" (over budget)

    def __str__(self) -> str:
        sizes = f"{self.images:,} images x {self.epochs} epoch{'s' if self.epochs != 1 else ''}"
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
) -> Plan:
    """The images and epochs that fit ``budget_seconds`` at the measured rates: more distinct images first.

    Time taken = images / prepare_images_per_second (simulating or loading each image once)
    + images * epochs / images_per_second (training). The lab's largest sizes (``max_images`` x
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
    if not 1 <= min_images <= max_images or not 1 <= min_epochs <= max_epochs or multiple < 1:
        raise ValueError(
            f"need 1 <= min_images ({min_images}) <= max_images ({max_images}), "
            f"1 <= min_epochs ({min_epochs}) <= max_epochs ({max_epochs}) and multiple >= 1"
        )

    def seconds(images: int, epochs: int) -> float:
        return images / prepare_images_per_second + images * epochs / images_per_second

    def plan(images: int, epochs: int, reason: str) -> Plan:
        return Plan(images, epochs, images_per_second, seconds(images, epochs), budget_seconds, reason)

    if seconds(max_images, max_epochs) <= budget_seconds:
        return plan(max_images, max_epochs, "fits")
    per_image = 1 / prepare_images_per_second + min_epochs / images_per_second
    images = min(max_images, int(budget_seconds / per_image + 1e-9) // multiple * multiple)  # 1e-9: float division
    if images < min_images:
        return plan(min_images, min_epochs, "minimum")
    epochs = min_epochs
    if images == max_images:  # all images fit: spend the rest on epochs
        epochs = int((budget_seconds - images / prepare_images_per_second) * images_per_second / images + 1e-9)
        epochs = max(min_epochs, min(max_epochs, epochs))
    return plan(images, epochs, "budget")


def budget_seconds(lab_seconds: float) -> float:
    """A lab's training budget, ``lab_seconds`` of the default 8-minute lab, rescaled by COURSE_BUDGET_MINUTES."""
    value = os.environ.get(BUDGET_VARIABLE)
    if not value:
        return lab_seconds
    try:
        minutes = float(value)
    except ValueError:
        minutes = -1.0
    if not minutes > 0:
        raise ValueError(
            f"{BUDGET_VARIABLE}={value!r} is not a positive number of minutes; e.g. "
            f"{BUDGET_VARIABLE}=15 gives every lab 15 minutes instead of {DEFAULT_LAB_MINUTES:g}"
        )
    return lab_seconds * minutes / DEFAULT_LAB_MINUTES


def applies(runtime, sizes: dict, *keys: str) -> bool:
    """True when the budget sizes these entries of ``sizes``: the cpu profile, none of them given in COURSE_SIZES."""
    from course_utils.runtime import explicit_sizes

    missing = [key for key in keys if key not in sizes]
    if missing:
        raise ValueError(f"budget.applies: {', '.join(missing)} not among the sizes ({', '.join(sizes)})")
    return runtime.profile == "cpu" and not set(keys) & set(explicit_sizes())


def training_rate(model, x, y, *, batch_size: int, seconds: float = 3.0, warmup_batches: int = 2) -> float:
    """Training images per second of a compiled Keras ``model`` on batches of ``x``, ``y`` (>= one batch).

    Runs ``warmup_batches`` first (tracing, compiling), then ``train_on_batch`` until ``seconds`` have
    passed. The model's weights change: measure a fresh model built for this and thrown away.
    """
    if len(x) < batch_size:
        raise ValueError(f"training_rate needs at least one batch ({batch_size}) of examples, got {len(x)}")
    n_batches = len(x) // batch_size
    batches = [
        (x[i * batch_size : (i + 1) * batch_size], y[i * batch_size : (i + 1) * batch_size]) for i in range(n_batches)
    ]
    for k in range(warmup_batches):
        model.train_on_batch(*batches[k % n_batches])
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or done == 0:
        model.train_on_batch(*batches[done % n_batches])
        done += 1
    return done * batch_size / elapsed


def plan(
    model,
    x,
    y,
    *,
    batch_size: int,
    lab_seconds: float,
    max_epochs: int,
    max_images: int | None = None,
    min_images: int = 1,
    min_epochs: int = 1,
    prepare_images_per_second: float = math.inf,
    seconds: float = 3.0,
    what: str | None = None,
) -> Plan:
    """Measure ``model`` (compiled, thrown away afterwards) on ``x``, ``y`` and ``choose`` its sizes; print the plan.

    ``lab_seconds``: this training's share of the default 8-minute lab (rescaled by COURSE_BUDGET_MINUTES);
    ``max_images`` defaults to ``len(x)``; images are rounded down to whole batches. The printed line starts
    with ``what`` is trained (default: the model's name).
    """
    rate = training_rate(model, x[: 8 * batch_size], y[: 8 * batch_size], batch_size=batch_size, seconds=seconds)
    chosen = choose(
        rate,
        budget_seconds=budget_seconds(lab_seconds),
        max_images=len(x) if max_images is None else max_images,
        max_epochs=max_epochs,
        min_images=min_images,
        min_epochs=min_epochs,
        prepare_images_per_second=prepare_images_per_second,
        multiple=batch_size,
    )
    print(f"{what or getattr(model, 'name', 'model')}: {chosen}")
    return chosen


def preparation_rate(make: Callable[[int], object], n: int) -> float:
    """Items per second of ``make(n)``, e.g. a simulator making ``n`` images (one call, timed)."""
    start = time.perf_counter()
    make(n)
    return n / (time.perf_counter() - start)
