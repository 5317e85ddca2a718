"""course_utils.plotting: every figure shows the numbers it is given, and bad input gets a clear error."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.metrics import binned_completeness, threshold_at_fp  # noqa: E402
from course_utils.plotting import (  # noqa: E402
    completeness_plot,
    confusion_matrix_plot,
    decision_regions,
    image_grid,
    rgb_composite,
    roc_curve_plot,
    training_curves,
)
from course_utils.sims import simulate_lenses  # noqa: E402

RNG = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def shown_images(fig):
    return [ax.images[0].get_array() for ax in fig.axes if ax.images]


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 28, 28, 1)])
def test_image_grid_single_channel(shape):
    images = RNG.integers(0, 256, size=shape, dtype=np.uint8)
    fig = image_grid(images, titles=[f"digit {k}" for k in range(5)], ncols=3)
    assert len(fig.axes) == 6  # 2 rows of 3, the last panel empty
    arrays = shown_images(fig)
    assert len(arrays) == 5
    np.testing.assert_array_equal(arrays[4], images.reshape(5, 28, 28)[4])
    assert [ax.get_title() for ax in fig.axes[:5]] == [f"digit {k}" for k in range(5)]
    assert fig.axes[0].images[0].get_cmap().name == "gray"


def test_image_grid_rgb_uint8_and_unit_floats_are_shown_as_given():
    rgb8 = RNG.integers(0, 256, size=(2, 8, 8, 3), dtype=np.uint8)
    np.testing.assert_array_equal(shown_images(image_grid(rgb8))[1], rgb8[1])
    unit = RNG.random((2, 8, 8, 3))
    np.testing.assert_allclose(shown_images(image_grid(unit))[0], unit[0])


def test_image_grid_stretches_rgb_fluxes_per_image():
    fluxes = RNG.normal(100.0, 30.0, size=(2, 8, 8, 3))
    shown = shown_images(image_grid(fluxes))[0]
    assert shown.min() == 0.0 and shown.max() == 1.0
    np.testing.assert_allclose(shown, (fluxes[0] - fluxes[0].min()) / np.ptp(fluxes[0]))


def test_image_grid_title_colours_mark_panels():
    fig = image_grid(np.zeros((2, 4, 4)), titles=["7", "1"], title_colors=["black", "red"])
    assert matplotlib.colors.same_color(fig.axes[1].title.get_color(), "red")


@pytest.mark.parametrize(
    "images,kwargs,message",
    [
        (np.zeros((28, 28)), {}, r"image\[None\]"),
        (np.zeros((2, 8, 8, 5)), {}, "choose one band"),
        (np.zeros((0, 8, 8)), {}, "empty"),
        (np.zeros((2, 8, 8)), dict(titles=["a"]), "one per image"),
        (np.zeros((2, 8, 8)), dict(ncols=0), "positive integer"),
    ],
)
def test_image_grid_rejects_bad_input(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        image_grid(images, **kwargs)


class FakeHistory:
    """What keras' model.fit returns, as far as plotting is concerned."""

    def __init__(self, history):
        self.history = history


LOGS = {
    "accuracy": [0.8, 0.9, 0.95],
    "loss": [0.6, 0.3, 0.2],
    "val_loss": [0.4, 0.35, 0.3],
    "val_accuracy": [0.85, 0.88, 0.9],
}


@pytest.mark.parametrize("history", [LOGS, FakeHistory(LOGS)])
def test_training_curves_one_panel_per_quantity_loss_first(history):
    fig = training_curves(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    loss_lines = {line.get_label(): line for line in fig.axes[0].lines}
    np.testing.assert_array_equal(loss_lines["training"].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(loss_lines["validation"].get_ydata(), LOGS["val_loss"])


def test_training_curves_selected_metrics_and_errors():
    assert [ax.get_title() for ax in training_curves(LOGS, metrics=["accuracy"]).axes] == ["accuracy"]
    with pytest.raises(ValueError, match="not in the history"):
        training_curves(LOGS, metrics=["auc"])
    with pytest.raises(ValueError, match="non-empty"):
        training_curves({})


def test_confusion_matrix_plot_rows_are_truth():
    y_true, y_pred = np.array([0, 0, 1, 1, 1, 2]), np.array([0, 1, 1, 1, 2, 2])
    fig = confusion_matrix_plot(y_true, y_pred, class_names=["zero", "one", "two", "three"])
    texts = np.array([t.get_text() for t in fig.axes[0].texts]).reshape(4, 4)
    assert texts[0].tolist() == ["1", "1", "0", "0"] and texts[1].tolist() == ["0", "2", "1", "0"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["zero", "one", "two", "three"]


def test_confusion_matrix_plot_normalised_rows():
    fig = confusion_matrix_plot(np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), normalize=True)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["0.50", "0.50", "0.33", "0.67"]


def test_confusion_matrix_plot_rejects_probabilities():
    with pytest.raises(ValueError, match="argmax"):
        confusion_matrix_plot(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))


def test_roc_curve_plot_marks_operating_points_on_the_curve():
    y = np.r_[np.zeros(300, int), np.ones(100, int)]
    s = RNG.normal(size=400) + 2 * y
    points = {"TPR0": threshold_at_fp(y, s, 0), "TPR10": threshold_at_fp(y, s, 10)}
    fig = roc_curve_plot(y, s, operating_points=points, label="CNN")
    lines = {line.get_label().split(":")[0].split(" (")[0]: line for line in fig.axes[0].lines}
    assert lines["CNN"].get_label().startswith("CNN (AUROC = ")
    tpr0 = lines["TPR0"]
    assert tpr0.get_xdata()[0] == 0.0
    assert tpr0.get_ydata()[0] == pytest.approx(np.mean(s[y == 1] > s[y == 0].max()))
    assert lines["TPR10"].get_xdata()[0] == pytest.approx(10 / 300)
    curve = lines["CNN"]  # each marker is a vertex of the ROC curve
    for name in points:
        x, y_point = lines[name].get_xdata()[0], lines[name].get_ydata()[0]
        assert np.any(np.isclose(curve.get_xdata(), x) & np.isclose(curve.get_ydata(), y_point))


def test_completeness_plot_draws_binned_completeness():
    radius = RNG.uniform(0.5, 3.0, size=300)
    found = RNG.random(300) < radius / 3
    fig = completeness_plot(radius, found, bins=[0.5, 1.0, 1.5, 2.0, 2.5, 3.0], xlabel="Einstein radius (arcsec)")
    ax = fig.axes[0]
    table = binned_completeness(radius, found, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    points = ax.lines[0]
    np.testing.assert_allclose(points.get_xdata(), table.centres)
    np.testing.assert_allclose(points.get_ydata(), table.completeness)
    assert ax.get_xlabel() == "Einstein radius (arcsec)"


def test_completeness_plot_overlays_on_a_given_axes():
    fig, ax = plt.subplots()
    radius = RNG.uniform(0, 2, size=50)
    completeness_plot(radius, radius > 1, 4, "R", ax=ax, label="FPR 1%")
    completeness_plot(radius, radius > 0.5, 4, "R", ax=ax, label="FPR 10%")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["FPR 1%", "FPR 10%"]


def test_decision_regions_still_colours_the_plane():
    X, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([1, 1, 1, 0])
    fig = decision_regions(lambda p: (p.sum(axis=1) < 1.5).astype(int), X, y)
    assert fig.axes[0].collections


def test_rgb_composite_of_three_bands():
    images, _ = simulate_lenses(3, seed=0)
    rgb = rgb_composite(images[..., :3])
    assert rgb.shape == (3, 64, 64, 3) and rgb.dtype == np.uint8 and rgb.max() > 0
    with pytest.raises(ValueError, match="three bands"):
        rgb_composite(np.zeros((2, 8, 8, 4)))
