"""Lab 06's questions, sizes, and the Keras parts that must behave alike on every backend (the tests every lab
shares are in test_checks_corpus.py; this file runs once more under the other backend)."""

from __future__ import annotations

import ast
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers, ops
from scipy.stats import norm

from backends import other_backend_test
from course_utils.checks import evaluate, questions
from course_utils.checks.lab06 import kl_reference, nll_reference
from labsource import notebook_functions

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "06_beyond_classification.py"
EXERCISES = ("bias_and_scatter", "gaussian_nll", "interval_coverage", "build_unet", "kl_divergence")
SOURCE = SOLUTION.read_text(encoding="utf-8")
QUESTIONS = {q.name: q for q in questions("lab06")}
SOLVED = notebook_functions(
    SOLUTION,
    {"np": np, "keras": keras, "layers": layers, "ops": ops, "norm": norm},
    names=(*EXERCISES, "conv_pair", "build_autoencoder"),
)

test_the_other_backend = other_backend_test(__file__)


def test_lab_is_worth_ten_points_over_the_five_exercises():
    assert sum(q.points for q in QUESTIONS.values()) == 10
    assert set(QUESTIONS) == set(EXERCISES) == {q.target for q in QUESTIONS.values()}


def test_sizes_follow_the_spec():
    """One SIZES cell; smoke trains one epoch on a few hundred images, full on tens of thousands."""
    calls = [
        node
        for node in ast.walk(ast.parse(SOURCE))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "pick"
    ]
    assert len(calls) == 1
    sizes = {k.arg: eval(compile(ast.Expression(k.value), "SIZES", "eval"), {"dict": dict}) for k in calls[0].keywords}
    assert set(sizes) == {"smoke", "cpu", "full"}
    smoke, full = sizes["smoke"], sizes["full"]
    assert max(smoke["n_lenses"], smoke["n_restore"], smoke["n_vae"]) <= 500
    assert smoke["lens_epochs"] == smoke["restore_epochs"] == smoke["vae_epochs"] == 1
    assert min(full["n_lenses"], full["n_restore"], full["n_vae"]) >= 20_000


@pytest.mark.parametrize("name", EXERCISES)
def test_the_solution_passes_on_this_backend(name):
    assert evaluate(QUESTIONS[name], SOLVED[name]) == (True, "correct")


def test_the_nll_loss_trains_a_model_to_the_noise_it_sees():
    """Trained with gaussian_nll on y = x + noise of σ = 0.5, a tiny model's predicted σ comes out near 0.5."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2048, 1)).astype("float32")
    y = (x + rng.normal(0, 0.5, x.shape)).astype("float32")
    model = keras.Sequential([keras.Input((1,)), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=SOLVED["gaussian_nll"])
    model.fit(x, y, epochs=30, batch_size=256, verbose=0)
    mean, log_var = keras.ops.convert_to_numpy(model(x[:256])).T
    assert np.sqrt(np.exp(log_var)).mean() == pytest.approx(0.5, rel=0.15)
    assert np.abs(mean - x[:256, 0]).mean() < 0.1


def test_the_losses_agree_with_the_references_on_backend_tensors():
    """The solution's losses take the backend's own tensors (as inside training) and give the references."""
    rng = np.random.default_rng(1)
    y, p = rng.normal(size=(5, 1)).astype("float32"), rng.normal(size=(5, 2)).astype("float32")
    got = keras.ops.convert_to_numpy(SOLVED["gaussian_nll"](ops.convert_to_tensor(y), ops.convert_to_tensor(p)))
    np.testing.assert_allclose(got, nll_reference(y, p), rtol=1e-5)
    m, lv = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 3)).astype("float32")
    got = keras.ops.convert_to_numpy(SOLVED["kl_divergence"](ops.convert_to_tensor(m), ops.convert_to_tensor(lv)))
    np.testing.assert_allclose(got, kl_reference(m, lv), rtol=1e-5)


def test_the_unet_keeps_the_image_size_and_the_autoencoder_fails_the_check():
    unet = SOLVED["build_unet"]((32, 32, 3), width=4, depth=2)
    assert unet.output_shape == (None, 32, 32, 3)
    passed, message = evaluate(QUESTIONS["build_unet"], SOLVED["build_autoencoder"])
    assert not passed and "plain autoencoder" in message
