"""Lab 05's self-checks pass on the solution notebook's functions (and on other correct answers), name the
mistake in typical wrong ones, and tell a student whose lab is still the unmodified stub what to do."""

from __future__ import annotations

import ast
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

from course_utils.checks import evaluate, questions
from labsource import notebook_functions

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "05_light_curves.py"
EXERCISES = ("phase_fold", "dmdt_histogram", "dmdt_cnn", "sequence_inputs", "plasticc_log_loss")
SOURCE = SOLUTION.read_text(encoding="utf-8")
MODULES = {"np": np, "keras": keras, "layers": layers, "SIZES": {"width": 8}}
SOLVED = notebook_functions(SOLUTION, MODULES, names=EXERCISES)
STUB = notebook_functions(SOLUTION, MODULES, stubbed=True, names=EXERCISES)
QUESTIONS = {q.name: q for q in questions("lab05")}


def verdict(name: str, answer) -> tuple[bool, str]:
    return evaluate(QUESTIONS[name], answer)


def test_lab_is_worth_ten_points_over_the_five_exercises():
    assert sum(q.points for q in QUESTIONS.values()) == 10
    assert set(QUESTIONS) == set(EXERCISES) == {q.target for q in QUESTIONS.values()}


@pytest.mark.parametrize("name", EXERCISES)
def test_solution_passes(name):
    assert verdict(name, SOLVED[name]) == (True, "correct")


@pytest.mark.parametrize("name", EXERCISES)
def test_unmodified_lab_says_what_to_do(name):
    passed, message = verdict(name, STUB[name])
    assert not passed and "still raises NotImplementedError" in message and "YOUR CODE HERE" in message


def test_sizes_follow_the_spec():
    calls = [
        node
        for node in ast.walk(ast.parse(SOURCE))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "pick"
    ]
    assert len(calls) == 1
    sizes = {k.arg: eval(compile(ast.Expression(k.value), "SIZES", "eval"), {"dict": dict}) for k in calls[0].keywords}
    assert set(sizes) == {"smoke", "cpu", "full"}
    assert sizes["smoke"]["n_objects"] <= 1_000 and sizes["smoke"]["epochs"] == 1
    assert sizes["full"]["n_objects"] >= 7_848  # at least PLAsTiCC's training set


# --- other correct answers ------------------------------------------------------------------------


def phase_with_percent(time, period, t0=0.0):
    return ((time - t0) % period) / period


def dmdt_with_loops(time, mag, dt_edges, dm_edges):
    n = len(time)
    image = np.zeros((len(dm_edges) - 1, len(dt_edges) - 1))
    for i in range(n):
        for j in range(i + 1, n):
            r = np.searchsorted(dm_edges, mag[j] - mag[i], side="right") - 1
            c = np.searchsorted(dt_edges, time[j] - time[i], side="right") - 1
            if 0 <= r < image.shape[0] and 0 <= c < image.shape[1]:
                image[r, c] += 1
    return image / (n * (n - 1) / 2)


def cnn_functional(input_shape, n_classes):
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.Dropout(0.2)(layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, layers.Dense(n_classes, activation="softmax")(x))


def sequence_with_loops(time, mag, err, mask):
    out = np.zeros((*time.shape, 3), np.float32)
    for r in range(len(time)):
        k = mask[r]
        t = time[r][k]
        out[r, k, 0] = np.log1p(np.r_[0.0, np.diff(t)])
        out[r, k, 1] = mag[r][k] - mag[r][k].mean()
        out[r, k, 2] = err[r][k]
    return out


def log_loss_vectorised(y_true, probabilities, weights):
    p = np.clip(probabilities, 1e-15, 1 - 1e-15)
    p /= p.sum(1, keepdims=True)
    onehot = np.eye(p.shape[1])[y_true]
    n = onehot.sum(0)
    present = n > 0
    per_class = -(onehot * np.log(p)).sum(0)[present] / n[present]
    return np.sum(weights[present] * per_class) / np.sum(weights[present])


@pytest.mark.parametrize(
    "name, answer",
    [
        ("phase_fold", phase_with_percent),
        ("dmdt_histogram", dmdt_with_loops),
        ("dmdt_cnn", cnn_functional),
        ("sequence_inputs", sequence_with_loops),
        ("plasticc_log_loss", log_loss_vectorised),
    ],
)
def test_other_correct_answers_pass(name, answer):
    assert verdict(name, answer) == (True, "correct")


# --- typical wrong answers, and what the check says -------------------------------------------------


def _pairs(time, mag, *, all_pairs=False):
    n = len(time)
    if all_pairs:
        i, j = np.nonzero(np.ones((n, n), bool))
    else:
        i, j = np.triu_indices(n, 1)
    return i, j


def dmdt_counts(time, mag, dt_edges, dm_edges):
    i, j = _pairs(time, mag)
    return np.histogram2d(mag[j] - mag[i], time[j] - time[i], bins=[dm_edges, dt_edges])[0]


def dmdt_flipped(time, mag, dt_edges, dm_edges):
    i, j = _pairs(time, mag)
    return np.histogram2d(mag[i] - mag[j], time[j] - time[i], bins=[dm_edges, dt_edges])[0] / len(i)


def dmdt_self_pairs(time, mag, dt_edges, dm_edges):
    i, j = _pairs(time, mag, all_pairs=True)
    n = len(time)
    return np.histogram2d(mag[j] - mag[i], time[j] - time[i], bins=[dm_edges, dt_edges])[0] / (n * (n - 1) / 2)


def dmdt_transposed(time, mag, dt_edges, dm_edges):
    i, j = _pairs(time, mag)
    return np.histogram2d(time[j] - time[i], mag[j] - mag[i], bins=[dt_edges, dm_edges])[0] / len(i)


def cnn_flatten(input_shape, n_classes):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dense(n_classes, activation="softmax"),
        ]
    )


def cnn_logits(input_shape, n_classes):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(n_classes),
        ]
    )


def cnn_pooled_thrice(input_shape, n_classes):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Conv2D(8, 3, padding="same"),
            layers.MaxPooling2D(),
            layers.Conv2D(8, 3, padding="same"),
            layers.MaxPooling2D(),
            layers.Conv2D(8, 3, padding="same"),
            layers.MaxPooling2D(),
            layers.Conv2D(8, 3, padding="same"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(n_classes, activation="softmax"),
        ]
    )


def sequence_cumulative(time, mag, err, mask):
    dt = time - time[:, :1]
    mean = (mag * mask).sum(1, keepdims=True) / mask.sum(1, keepdims=True)
    return np.where(mask[..., None], np.stack([np.log1p(np.maximum(dt, 0)), mag - mean, err], -1), 0).astype("f4")


def sequence_padded_mean(time, mag, err, mask):
    dt = np.diff(time, axis=1, prepend=time[:, :1])
    return np.where(
        mask[..., None], np.stack([np.log1p(np.maximum(dt, 0)), mag - mag.mean(1, keepdims=True), err], -1), 0
    ).astype("f4")


def sequence_padding_kept(time, mag, err, mask):
    dt = np.diff(time, axis=1, prepend=time[:, :1])
    mean = (mag * mask).sum(1, keepdims=True) / mask.sum(1, keepdims=True)
    return np.stack([np.log1p(np.maximum(dt, 0)), mag - mean, err], -1).astype("f4")


def log_loss_plain(y_true, probabilities, weights):
    p = np.clip(probabilities, 1e-15, 1 - 1e-15)
    return float(-np.mean(np.log(p[np.arange(len(y_true)), y_true])))


def log_loss_unclipped(y_true, probabilities, weights):
    total = sum(weights[c] * -np.mean(np.log(probabilities[y_true == c, c])) for c in np.unique(y_true))
    return total / sum(weights[c] for c in np.unique(y_true))


def log_loss_all_weights(y_true, probabilities, weights):
    p = np.clip(probabilities, 1e-15, 1 - 1e-15)
    p = p / p.sum(1, keepdims=True)
    total = sum(weights[c] * -np.mean(np.log(p[y_true == c, c])) for c in np.unique(y_true))
    return total / np.sum(weights)


WRONG = [
    ("phase_fold", lambda t, p, t0=0.0: np.mod(t / p, 1), "subtract t0 first"),
    ("phase_fold", lambda t, p, t0=0.0: 2 * np.pi * np.mod((t - t0) / p, 1), "do not multiply by 2π"),
    ("phase_fold", lambda t, p, t0=0.0: (t - t0) / p, "keep only its fractional part"),
    ("phase_fold", lambda t, p, t0=0.0: np.mod(t - t0, p), "not mod the period"),
    ("dmdt_histogram", dmdt_counts, "those are counts"),
    ("dmdt_histogram", dmdt_flipped, "dm has the wrong sign"),
    ("dmdt_histogram", dmdt_self_pairs, "epoch with itself"),
    ("dmdt_histogram", dmdt_transposed, "rows are dm bins"),
    ("dmdt_cnn", cnn_flatten, "GlobalAveragePooling2D and then the output Dense layer only"),
    ("dmdt_cnn", cnn_logits, "activation='softmax'"),
    ("dmdt_cnn", cnn_pooled_thrice, "pool once at most"),
    ("sequence_inputs", sequence_cumulative, "since the *first* epoch"),
    ("sequence_inputs", sequence_padded_mean, "the mean includes the padding"),
    ("sequence_inputs", sequence_padding_kept, "the padding is not zero"),
    ("plasticc_log_loss", log_loss_plain, "plain log-loss over objects"),
    ("plasticc_log_loss", log_loss_unclipped, "clip the probabilities"),
    ("plasticc_log_loss", log_loss_all_weights, "still counts in the sum of weights"),
]


@pytest.mark.parametrize("name, answer, fragment", WRONG, ids=[f"{n}-{f[:24]}" for n, _, f in WRONG])
def test_typical_mistakes_are_named(name, answer, fragment):
    with np.errstate(divide="ignore", invalid="ignore"):
        passed, message = verdict(name, answer)
    assert not passed
    assert fragment in message, message
