"""Gradients of a classifier's output with respect to its input image: saliency maps and adversarial examples.

Keras 3 has no backend-agnostic way to differentiate with respect to an input, so ``_differentiate``
asks the running backend: ``tf.GradientTape`` on TensorFlow, ``jax.grad`` on JAX. Everything else is
``keras.ops`` and runs on either.

Saliency uses the class score *before* the model's last softmax or sigmoid (the logit), as Simonyan et al.
(2013) do: the probability of a confidently classified image is flat (p = 0.9999 barely moves, and its
gradient mostly says how to look like the runner-up class), the logit is not.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

FINAL_ACTIVATIONS = ("softmax", "sigmoid")


def input_gradient(model: keras.Model, x, class_index) -> np.ndarray:
    """d(logit of class ``class_index``)/dx for each image: a saliency map, same shape as x.

    model: a Sequential or Functional classifier ending in softmax or sigmoid; x: a batch (n, ...) of inputs;
    class_index: one class for all images, or one per image (n,).
    """
    logits_of = logit_model(model)
    x = _as_batch(x, model)
    columns = _class_columns(class_index, len(x), logits_of.output_shape[-1])

    def class_logit(batch):
        return keras.ops.take_along_axis(logits_of(batch), columns[:, None], axis=1)[:, 0]

    return _differentiate(class_logit, x)


def loss_gradient(model: keras.Model, x, labels) -> np.ndarray:
    """d(cross-entropy loss)/dx for each image, as the model was trained: the direction that makes it worse.

    Softmax models: loss = -log p(label), labels (n,) class indices. Sigmoid models with one output:
    binary cross-entropy, labels (n,) 0 or 1. Computed from the logits, so it stays right for confident
    predictions whose probability rounds to 1.
    """
    logits_of = logit_model(model)
    x = _as_batch(x, model)
    n_outputs = logits_of.output_shape[-1]
    activation = _final_activation(model)
    if activation == "sigmoid" and n_outputs != 1:
        raise ValueError(f"loss_gradient handles sigmoid models with one output; this one has {n_outputs}.")
    labels = np.asarray(labels)
    if labels.shape != (len(x),):
        raise ValueError(f"labels must have shape ({len(x)},): one label per image; got {labels.shape}.")
    if activation == "softmax":
        if n_outputs < 2:
            raise ValueError("a softmax over one output is always 1: a classifier needs two or more classes.")
        columns = _class_columns(labels, len(x), n_outputs, what="labels")
        is_label = np.eye(n_outputs, dtype=bool)[columns]

        def loss(batch):
            # -log p(label) = softplus(logsumexp over the other classes j of z_j - z_label). Written this way,
            # the gradient of a confident prediction (p(label) = 1 in float32) is its tiny true value, not
            # the round-off of p(label) - 1.
            logits = logits_of(batch)
            margins = logits - keras.ops.take_along_axis(logits, columns[:, None], axis=1)
            others = keras.ops.where(is_label, float("-inf"), margins)
            return keras.ops.softplus(keras.ops.logsumexp(others, axis=1))
    else:
        if not np.isin(labels, (0, 1)).all():
            raise ValueError("labels of a sigmoid (binary) model must be 0 or 1.")
        signs = (1 - 2 * labels).astype("float32")  # binary cross-entropy = softplus(-z) for 1, softplus(z) for 0

        def loss(batch):
            return keras.ops.softplus(signs * logits_of(batch)[:, 0])

    return _differentiate(loss, x)


def logit_model(model: keras.Model) -> keras.Model:
    """``model`` stopped before its final softmax or sigmoid (same weights): it outputs the logits."""
    if not isinstance(model, keras.Model) or not model.built:
        raise ValueError("model must be a built Keras model (Sequential with keras.Input, or Functional).")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError("gradients here are for models with one input and one output.")
    activation = _final_activation(model)
    last = model.layers[-1]
    if isinstance(last, (keras.layers.Softmax, keras.layers.Activation)):  # a layer of its own: read its input
        return keras.Model(model.inputs[0], last.input)

    def without_final_activation(layer):
        config = layer.get_config()
        if layer is last:
            config["activation"] = "linear"
        return layer.__class__.from_config(config)

    try:
        copy = keras.models.clone_model(model, clone_function=without_final_activation)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"cannot copy this model to read its {activation} inputs ({error}); build it with the "
            "Sequential or Functional API."
        ) from None
    copy.set_weights(model.get_weights())
    return copy


def _final_activation(model: keras.Model) -> str:
    last = model.layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return "softmax"
    name = last.get_config().get("activation")
    if name not in FINAL_ACTIVATIONS:
        raise ValueError(
            f"the model's last layer ({last.name}) ends in activation {name!r}; gradients here need a "
            "classifier whose last layer applies softmax or sigmoid."
        )
    return name


def _as_batch(x, model: keras.Model) -> np.ndarray:
    x = np.asarray(x, dtype="float32")
    expected = tuple(model.input_shape[1:])
    if x.shape[1:] != expected:
        raise ValueError(
            f"x must be a batch of shape (n, {', '.join(map(str, expected))}) as the model takes; "
            f"got {x.shape}. One image: pass x[None]."
        )
    return x


def _class_columns(class_index, n: int, n_classes: int, what: str = "class_index") -> np.ndarray:
    """The class index (n,) of each image, from one class index for all or one per image."""
    columns = np.asarray(class_index)
    if columns.ndim == 0:
        columns = np.full(n, columns)
    if columns.shape != (n,) or not np.issubdtype(columns.dtype, np.integer):
        raise ValueError(f"{what} must be an integer or an integer array of shape ({n},); got {class_index!r:.80}.")
    if columns.min() < 0 or columns.max() >= n_classes:
        raise ValueError(f"{what} must lie in 0 .. {n_classes - 1}; got {columns.min()} .. {columns.max()}.")
    return columns.astype("int32")


def _differentiate(per_image: Callable, x: np.ndarray) -> np.ndarray:
    """Gradient of sum(per_image(x)) with respect to x: per-image gradients, as images do not interact."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(per_image(x))
        return tape.gradient(total, x).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda batch: per_image(batch).sum())(x))
    raise RuntimeError(
        f"input gradients are implemented for the tensorflow and jax backends; Keras runs on "
        f"{backend}. Restart with KERAS_BACKEND=tensorflow (or jax) before importing keras."
    )
