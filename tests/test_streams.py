"""The fresh-stamp training stream (course_utils.streams): reproducible, new stamps every epoch, the same
batches through Keras' worker threads (the default) and processes; and early stopping on the validation AUROC."""

from __future__ import annotations

import numpy as np
import pytest

import course_utils

course_utils.setup()  # chooses the Keras backend before course_utils.streams imports Keras

import keras  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from backends import other_backend_test  # noqa: E402
from course_utils.streams import LensStream, ValidationAUROC, early_stopping_on_auroc  # noqa: E402

SMALL = dict(size=16)  # 16x16 stamps: a batch simulates in milliseconds


def test_same_seed_same_batches_other_seed_other_batches():
    x, y = LensStream(3, 8, seed=5, **SMALL)[2]
    again_x, again_y = LensStream(3, 8, seed=5, **SMALL)[2]
    assert x.shape == (8, 16, 16, 3) and x.dtype == np.float32 and y.shape == (8,) and y.dtype == np.float32
    assert set(np.unique(y)) <= {0.0, 1.0}
    np.testing.assert_array_equal(x, again_x)
    np.testing.assert_array_equal(y, again_y)
    assert not np.array_equal(x, LensStream(3, 8, seed=6, **SMALL)[2][0])


def test_every_batch_of_every_epoch_is_new():
    stream = LensStream(3, 8, seed=5, **SMALL)
    seen = [stream[index][0] for index in range(6)]  # two epochs of three batches
    flat = np.stack(seen).reshape(len(seen) * 8, -1)
    assert len(np.unique(flat, axis=0)) == len(flat)  # 48 distinct stamps, none repeated
    np.testing.assert_array_equal(seen[4], stream.batch(1, 1)[0])  # a past epoch can be re-made


def test_transform_applies_to_the_images_and_bad_arguments_say_what_to_do():
    raw, _ = LensStream(1, 4, seed=1, **SMALL)[0]
    halved, _ = LensStream(1, 4, seed=1, transform=lambda images: images / 2, **SMALL)[0]
    np.testing.assert_allclose(halved, raw / 2)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        LensStream(3, 0)
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        LensStream(3, 8, workers=0)
    with pytest.raises(ValueError, match="max_queue_size must be a positive integer"):
        LensStream(3, 8, max_queue_size=0)
    with pytest.raises(TypeError, match="transform must be a function"):
        LensStream(3, 8, transform="arcsinh")
    with pytest.raises(IndexError):
        LensStream(3, 8, **SMALL)[-1]


class _Recorder(keras.layers.Layer):
    """Identity layer that keeps the sum of every batch it sees (the model runs eagerly)."""

    def __init__(self, sums, **kwargs):
        super().__init__(**kwargs)
        self.record = sums.append  # not the list itself: Keras would track a copy

    def call(self, inputs):
        try:
            values = keras.ops.convert_to_numpy(inputs)
        except Exception:  # JAX's tracer while Keras builds the model: no batch yet
            return inputs
        self.record(float(np.sum(values, dtype=np.float64)))
        return inputs


@pytest.mark.parametrize("use_multiprocessing", [False, True], ids=["threads", "processes"])
def test_fit_sees_the_stream_in_order_with_new_stamps_each_epoch_whatever_the_workers(use_multiprocessing):
    # A transform defined here (a notebook's function): the default threads take any function.
    stream = LensStream(
        3, 4, seed=9, transform=lambda images: images / 100, use_multiprocessing=use_multiprocessing, **SMALL
    )
    expected = [float(np.sum(LensStream(3, 4, seed=9, **SMALL)[i][0] / 100, dtype=np.float64)) for i in range(7)]
    sums = []
    model = keras.Sequential(
        [keras.Input((16, 16, 3)), _Recorder(sums), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss=keras.losses.BinaryCrossentropy(from_logits=True), run_eagerly=True)
    model.fit(stream, epochs=2, steps_per_epoch=3, shuffle=False, verbose=0)
    # Batches 0-5 in order (Keras on JAX builds the model on batch 0 first, then trains on batches 1-6).
    start = 1 if keras.backend.backend() == "jax" else 0
    np.testing.assert_allclose(sums, expected[start : start + 6], rtol=1e-6)


def _scorer(weight):
    """A model scoring a stamp by the mean of its pixels times ``weight``."""
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(weight), bias_initializer="zeros"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.0), loss=keras.losses.BinaryCrossentropy(from_logits=True)
    )
    return model


def test_validation_auroc_is_sklearns_on_the_validation_set():
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    x = rng.normal(size=(40, 4)) + 0.5 * y[:, None]
    model = _scorer(1.0)
    callback = ValidationAUROC(x, y)
    callback.set_model(model)
    logs = {}
    callback.on_epoch_end(0, logs)
    assert logs["val_auroc"] == pytest.approx(roc_auc_score(y, x.sum(axis=1)))
    assert 0.5 < logs["val_auroc"] < 1.0
    with pytest.raises(ValueError, match="both classes"):
        ValidationAUROC(x, np.ones(40))


def test_early_stopping_stops_when_the_auroc_stops_rising_and_keeps_it_in_the_history():
    rng = np.random.default_rng(1)
    y = np.arange(64) % 2
    x = rng.normal(size=(64, 4)) + 0.5 * y[:, None]
    model = _scorer(1.0)  # learning rate 0: the AUROC never rises after the first epoch
    history = model.fit(
        x, y.astype("float32"), epochs=20, verbose=0, callbacks=early_stopping_on_auroc(x[:32], y[:32], patience=2)
    )
    assert len(history.history["val_auroc"]) == 3  # the first epoch, then 2 without improvement
    assert history.history["val_auroc"][0] == pytest.approx(roc_auc_score(y[:32], x[:32].sum(axis=1)))


test_on_the_other_backend = other_backend_test(__file__)
