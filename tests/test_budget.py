"""course_utils.budget: the cpu profile's sizes chosen from the measured speed (no Keras needed)."""

import numpy as np
import pytest

from course_utils import budget, runtime


def test_largest_sizes_when_they_fit():
    plan = budget.choose(5_000, budget_seconds=240, max_images=60_000, max_epochs=3)
    assert (plan.images, plan.epochs, plan.reason) == (60_000, 3, "fits")
    assert plan.seconds == pytest.approx(36)
    assert str(plan) == (
        "this machine trains 5,000 images/s; the lab's largest sizes, 60,000 images x 3 epochs, "
        "take 36 s, within the 4.0 minutes budget"
    )


def test_slow_machine_keeps_every_image_and_drops_epochs():
    plan = budget.choose(900, budget_seconds=240, max_images=60_000, max_epochs=12)
    assert (plan.images, plan.epochs, plan.reason) == (60_000, 3, "budget")
    assert plan.seconds <= plan.budget_seconds
    assert (
        str(plan) == "this machine trains 900 images/s; 60,000 images x 3 epochs fit in 3.3 minutes of the "
        "4.0 minutes budget"
    )


def test_slower_still_trains_fewer_images_at_the_fewest_epochs():
    plan = budget.choose(100, budget_seconds=240, max_images=60_000, max_epochs=12, min_epochs=2, multiple=128)
    assert (plan.epochs, plan.reason) == (2, "budget")
    assert plan.images == 11_904  # 240 s * 100 images/s / 2 epochs = 12,000, down to a multiple of 128
    assert plan.seconds <= 240


def test_preparing_the_images_counts_against_the_budget():
    free = budget.choose(1_000, budget_seconds=300, max_images=100_000, max_epochs=10, min_epochs=3)
    costly = budget.choose(
        1_000, budget_seconds=300, max_images=100_000, max_epochs=10, min_epochs=3, prepare_images_per_second=1_000
    )
    assert (free.images, costly.images) == (100_000, 75_000)  # 300 s / (3/1000 + 1/1000) per image
    assert costly.seconds == pytest.approx(300)


def test_too_slow_for_the_smallest_sizes_says_so():
    plan = budget.choose(10, budget_seconds=60, max_images=60_000, max_epochs=3, min_images=2_000)
    assert (plan.images, plan.epochs, plan.reason) == (2_000, 1, "minimum")
    assert str(plan).endswith("even the smallest sizes, 2,000 images x 1 epoch, take 3.3 minutes: over the 60 s budget")


def test_same_rate_same_sizes_and_faster_machines_never_get_less():
    sizes = [
        budget.choose(
            rate,
            budget_seconds=300,
            max_images=24_000,
            max_epochs=8,
            min_epochs=2,
            prepare_images_per_second=2_000,
            multiple=64,
        )
        for rate in (50, 100, 200, 400, 800, 1600)
    ]
    assert sizes[2] == budget.choose(
        200,
        budget_seconds=300,
        max_images=24_000,
        max_epochs=8,
        min_epochs=2,
        prepare_images_per_second=2_000,
        multiple=64,
    )
    work = [plan.images * plan.epochs for plan in sizes]
    assert work == sorted(work) and all(plan.seconds <= 300 for plan in sizes)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(images_per_second=0), "images_per_second must be positive"),
        (dict(budget_seconds=-1), "budget_seconds must be positive"),
        (dict(min_epochs=5), "min_epochs"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs, message):
    arguments = dict(images_per_second=100, budget_seconds=60, max_images=1_000, max_epochs=3) | kwargs
    with pytest.raises(ValueError, match=message):
        budget.choose(arguments.pop("images_per_second"), **arguments)


def test_networks_on_the_same_images_share_the_budget_and_each_pays_its_tracing():
    one = budget.choose(1_000, budget_seconds=100, max_images=100_000, max_epochs=5, min_epochs=2)
    two = budget.choose(
        1_000, budget_seconds=100, max_images=100_000, max_epochs=5, min_epochs=2, fits=2, fixed_seconds=5
    )
    assert (one.images, two.images) == (50_000, 22_500)  # (100 s - 2 x 5 s) / (2 networks x 2 epochs / 1,000 per s)
    assert two.fit_seconds == pytest.approx(50) and two.seconds == pytest.approx(100)
    assert "22,500 images x 2 epochs for each of 2 networks" in str(two)
    assert budget.choose(1_000, budget_seconds=10, max_images=100, max_epochs=5, fixed_seconds=2).fit_seconds == (
        pytest.approx(2.5)  # all 100 images x 5 epochs fit: 0.5 s of training after 2 s of tracing
    )


def test_the_labs_train_in_what_the_set_up_and_fixed_costs_leave_of_the_course(monkeypatch):
    monkeypatch.delenv(budget.BUDGET_VARIABLE, raising=False)
    training = budget.training_seconds(budget.COURSE_MINUTES)
    assert set(training) == {"lab02", "lab03", "lab04", "lab05", "lab06"}
    course = budget.SETUP_SECONDS + sum(budget.FIXED_SECONDS.values()) + sum(training.values())
    assert course == pytest.approx(budget.COURSE_MINUTES * 60)  # the whole course, set-up included
    assert all(budget.FIXED_SECONDS[lab] + seconds <= 600 for lab, seconds in training.items())  # <= 10 min a lab
    assert budget.budget_seconds("lab06") == pytest.approx(training["lab06"])


def test_budget_minutes_give_the_course_more_time_all_of_it_to_training(monkeypatch):
    monkeypatch.delenv(budget.BUDGET_VARIABLE, raising=False)
    lab06 = budget.budget_seconds("lab06")
    assert budget.budget_seconds("lab06", 0.25) == pytest.approx(lab06 / 4)
    monkeypatch.setenv(budget.BUDGET_VARIABLE, str(budget.COURSE_MINUTES + 10))
    assert budget.budget_seconds("lab06") == pytest.approx(lab06 + 600 * budget.TRAINING_SHARES["lab06"])
    monkeypatch.setenv(budget.BUDGET_VARIABLE, "eight")
    with pytest.raises(ValueError, match="positive number of minutes"):
        budget.budget_seconds("lab06")
    monkeypatch.setenv(budget.BUDGET_VARIABLE, "5")
    with pytest.raises(ValueError, match="leave no time to train"):
        budget.budget_seconds("lab06")


@pytest.mark.parametrize("lab, share, message", [("lab01", 1.0, "has no training budget"), ("lab06", 1.5, "share")])
def test_budget_seconds_name_a_lab_and_a_share(monkeypatch, lab, share, message):
    monkeypatch.delenv(budget.BUDGET_VARIABLE, raising=False)
    with pytest.raises(ValueError, match=message):
        budget.budget_seconds(lab, share)


def cpu_runtime(profile="cpu"):
    return runtime.Runtime(in_colab=False, accelerator="CPU", backend="tensorflow", profile=profile, seed=0)


def test_budget_applies_in_the_cpu_profile_unless_the_size_is_explicit(monkeypatch):
    monkeypatch.delenv(runtime.SIZES_VARIABLE, raising=False)
    sizes = dict(n_train=60_000, epochs=3)
    assert budget.applies(cpu_runtime(), sizes, "n_train", "epochs")
    assert not budget.applies(cpu_runtime("smoke"), sizes, "n_train", "epochs")
    assert not budget.applies(cpu_runtime("full"), sizes, "n_train", "epochs")
    monkeypatch.setenv(runtime.SIZES_VARIABLE, "epochs=4")
    assert not budget.applies(cpu_runtime(), sizes, "n_train", "epochs")
    with pytest.raises(ValueError, match="n_trian not among the sizes"):
        budget.applies(cpu_runtime(), sizes, "n_trian")


def test_explicit_sizes_win_in_every_profile(monkeypatch):
    monkeypatch.setenv(runtime.SIZES_VARIABLE, "n_train=20_000, epochs=4, variant=decals")
    for profile in runtime.PROFILES:
        picked = cpu_runtime(profile).pick(
            smoke=dict(n_train=1, epochs=1, variant="sdss", batch=8),
            cpu=dict(n_train=2, epochs=2, variant="sdss", batch=8),
            full=dict(n_train=3, epochs=3, variant="sdss", batch=8),
        )
        assert picked == dict(n_train=20_000, epochs=4, variant="decals", batch=8)
    assert cpu_runtime().pick(smoke=1, cpu=2, full=3) == 2  # not a dict of sizes: untouched


@pytest.mark.parametrize("text, message", [("n_trian=5", "do not have"), ("n_train", "name=value pairs")])
def test_bad_explicit_sizes_say_what_to_write(monkeypatch, text, message):
    monkeypatch.setenv(runtime.SIZES_VARIABLE, text)
    with pytest.raises(ValueError, match=message):
        cpu_runtime().pick(smoke={}, cpu=dict(n_train=2, epochs=2), full={})


class FakeClock:
    """time.perf_counter for budget's timing: advances only when a (fake) training step runs."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class SteppingModel:
    """Stands in for a compiled Keras model: each training step takes 10 ms of the fake clock."""

    def __init__(self, clock, first_step=0.01):
        self.clock, self.steps, self.first_step = clock, 0, first_step

    def train_on_batch(self, x, y):
        assert len(x) == len(y) == 32
        self.steps += 1
        self.clock.now += self.first_step if self.steps == 1 else 0.01


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(budget.time, "perf_counter", fake)
    return fake


def test_training_rate_times_steps_after_the_warm_up(clock):
    model = SteppingModel(clock)
    rate = budget.training_rate(model, np.zeros((100, 4)), np.zeros(100), batch_size=32, seconds=0.3)
    assert rate == pytest.approx(3_200)  # 32 images per 10 ms step
    assert model.steps == 2 + 30  # the warm-up steps are not timed


def test_measure_keeps_the_first_step_apart(clock):
    model = SteppingModel(clock, first_step=1.5)  # tracing: 1.5 s, then 10 ms a step
    speed = budget.measure(model, np.zeros((100, 4)), np.zeros(100), batch_size=32, seconds=0.3)
    assert speed.first_step_seconds == pytest.approx(1.5)
    assert speed.images_per_second == pytest.approx(3_200)  # the traced step is not in the rate
    with pytest.raises(ValueError, match="at least one batch"):
        budget.training_rate(model, np.zeros((8, 4)), np.zeros(8), batch_size=32)


def test_plan_measures_chooses_and_says_why(capsys, clock):
    x, y = np.zeros((6_400, 4)), np.zeros(6_400)
    plan = budget.plan(
        SteppingModel(clock, first_step=0.25), x, y, batch_size=32, budget_seconds=1.5, max_epochs=5, seconds=0.2
    )
    assert (plan.images, plan.epochs) == (3_200, 1)  # 2 x 0.25 s to trace (training and test steps), 1 s to train
    assert plan.fit_seconds == pytest.approx(1.5)
    assert capsys.readouterr().out == f"model: {plan}\n"


def test_timed_prints_the_fit_against_the_plan(capsys, clock):
    plan = budget.choose(100, budget_seconds=120, max_images=1_000, max_epochs=10)
    with budget.timed(plan, "your CNN"):
        clock.now += 150  # the fit took 150 s of the planned 100
    assert capsys.readouterr().out == "your CNN: trained in 2.5 minutes, planned 1.7 minutes (1.50x)\n"
    with budget.timed(None, "your CNN"):  # no plan (smoke and full profiles): nothing to compare
        clock.now += 1
    assert capsys.readouterr().out == ""


def test_preparation_rate_times_one_call(clock):
    def simulate(n):  # 1 ms per image
        clock.now += n / 1_000

    assert budget.preparation_rate(simulate, 50) == pytest.approx(1_000)
