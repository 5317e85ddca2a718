"""Lab 02: typical wrong answers, written the way students write them, with the words their message must
contain; and other valid answers, which must pass."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers
from sklearn.metrics import confusion_matrix

LAB, SOLUTION = "lab02", "02_mnist_cnn.py"
MODULES = {"np": np, "keras": keras, "layers": layers}


# --- prepare ----------------------------------------------------------------------------------------


def scaled(images):
    return images.astype("float32") / 255


def prepare_clips_in_place(images):
    np.minimum(images, 250, out=images)
    return scaled(images)[..., None]


def prepare_with_reshape(images):
    return (images.reshape(-1, 28, 28, 1) / 255).astype(np.float32)


PREPARE = [
    (lambda im: scaled(im), ("shape (3, 28, 28)", "channel axis")),
    (lambda im: scaled(im)[:, None], ("(n, 1, 28, 28)", "last")),
    (lambda im: scaled(im).reshape(len(im), 784), ("28×28 layout",)),
    (lambda im: (im / 255)[..., None], ("float64", "float32")),
    (lambda im: im.astype("float32")[..., None], ("divide by 255",)),
    (lambda im: (im / im.max()).astype("float32")[..., None], ("brightest pixel",)),
    (lambda im: (im / 256).astype("float32")[..., None], ("not 256",)),
    (lambda im: (1 - scaled(im))[..., None], ("inverted",)),
    (lambda im: ((im - im.mean()) / im.std()).astype("float32")[..., None], ("standardising",)),
    (prepare_clips_in_place, ("changed the array images", "on 1 image with pixels from 0 to 255")),
    (lambda im: scaled(im)[0][..., None], ("keep the first axis",)),
]


# --- the dense baseline -----------------------------------------------------------------------------


def dense(*middle, inputs=(28, 28, 1)):
    return lambda: keras.Sequential([keras.Input(inputs), *middle])


def relu16():
    return layers.Dense(16, activation="relu")


DENSE = [
    (lambda: None, ("returned NoneType", "return model")),
    (lambda: keras.Sequential([layers.Flatten(), layers.Dense(10, activation="softmax")]), ("keras.Input",)),
    (dense(relu16(), relu16(), layers.Dense(10, activation="softmax"), inputs=(784,)), ("(784,)", "(28, 28, 1)")),
    (dense(relu16(), relu16(), layers.Dense(10, activation="softmax")), ("layer 1 is Dense, expected Flatten",)),
    (
        dense(layers.Flatten(), layers.Dense(16), layers.Dense(16), layers.Dense(10, activation="softmax")),
        ("hidden layer 2", "non-linearity"),
    ),
    (
        dense(layers.Flatten(), relu16(), relu16(), layers.Dense(10)),
        ("activation 'linear', expected 'softmax'", "probabilities"),
    ),
    (
        dense(layers.Flatten(), layers.Dense(32, activation="relu"), relu16(), layers.Dense(10, activation="softmax")),
        ("layer 2 (Dense) has units=32, expected 16",),
    ),
    (dense(layers.Flatten(), relu16(), layers.Dense(10, activation="softmax")), ("3 layers", "fewer than the 4")),
    (
        dense(layers.Flatten(), relu16(), relu16(), layers.Dense(10, activation="sigmoid")),
        ("activation 'sigmoid', expected 'softmax'",),
    ),
]


# --- the CNN ----------------------------------------------------------------------------------------


def cnn_layers(
    *, kernel=5, padding="valid", filters2=64, pool_strides=None, last="softmax", bias=True, extra=(), units=1000
):
    return [
        layers.Conv2D(32, kernel, padding=padding, activation="relu"),
        layers.MaxPooling2D(2, strides=pool_strides),
        layers.Conv2D(filters2, kernel, padding=padding, activation="relu"),
        layers.MaxPooling2D(2, strides=pool_strides),
        layers.Flatten(),
        layers.Dense(units, activation="relu", use_bias=bias),
        *extra,
        layers.Dense(10, activation=last),
    ]


def sequential(**kwargs):
    return lambda: keras.Sequential([keras.Input((28, 28, 1)), *cnn_layers(**kwargs)])


def functional(**kwargs):
    def build():
        inputs = x = keras.Input((28, 28, 1))
        for layer in cnn_layers(**kwargs):
            x = layer(x)
        return keras.Model(inputs, x)

    return build


def cnn_without_first_pooling():
    return keras.Sequential([keras.Input((28, 28, 1)), *cnn_layers()[:1], *cnn_layers()[2:]])


CNN_MISTAKES = [
    (dict(padding="same"), ("layer 1 (Conv2D) has padding='same'", "24×24")),
    (dict(kernel=3), ("kernel_size=(3, 3), expected (5, 5)",)),
    (dict(filters2=32), ("layer 3 (Conv2D) has filters=32, expected 64",)),
    (dict(pool_strides=1), ("layer 2 (MaxPooling2D) has strides=(1, 1), expected (2, 2)",)),
    (dict(last="relu"), ("layer 7 (Dense) has activation 'relu', expected 'softmax'", "probabilities")),
    (dict(bias=False), ("1,086,106 parameters, expected 1,087,106", "use_bias")),
    (dict(extra=[layers.Dropout(0.5)]), ("layer 7 is Dropout, expected Dense", "no regularisation")),
    (dict(extra=[layers.Dense(10, activation="relu")]), ("8 layers", "more than the 7")),
    (dict(units=128), ("layer 6 (Dense) has units=128, expected 1000",)),
]
CNN = [
    (question, build(**kwargs), words)
    for kwargs, words in CNN_MISTAKES
    for question, build in (("cnn_sequential", sequential), ("cnn_functional", functional))
]


# --- the confusion matrix ---------------------------------------------------------------------------


def reference_counts(y_true, y_pred, n_classes=10):
    counts = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(y_true, y_pred):
        counts[t, p] += 1
    return counts


def counts_as_floats(y_true, y_pred, n_classes=10):
    counts = np.zeros((n_classes, n_classes))
    for t, p in zip(y_true, y_pred):
        counts[t, p] += 1
    return counts


def counts_by_fancy_indexing(y_true, y_pred, n_classes=10):
    counts = np.zeros((n_classes, n_classes), dtype=int)
    counts[y_true, y_pred] += 1  # a repeated (true, predicted) pair is counted once
    return counts


CONFUSION = [
    (lambda t, p, n=10: reference_counts(t, p, n).T, ("transposed",)),
    (
        lambda t, p, n=10: reference_counts(t, p, n) / np.maximum(1, reference_counts(t, p, n).sum(1, keepdims=True)),
        ("counts, not fractions",),
    ),
    (lambda t, p, n=10: reference_counts(t, p, int(max(t.max(), p.max())) + 1), ("shape (9, 9)", "never occurs")),
    (lambda t, p, n=10: reference_counts(t, p, 10), ("shape (10, 10)", "n_classes argument")),
    (counts_as_floats, ("dtype float64", "return integers", "dtype=int")),
    (counts_by_fancy_indexing, ("counted at most once", "np.add.at")),
    (lambda t, p, n=10: reference_counts(t, p, n) / len(t), ("counts, not fractions",)),
]


# --- the most confident mistakes --------------------------------------------------------------------


def wrong_indices(y_true, probabilities):
    return np.flatnonzero(probabilities.argmax(axis=1) != y_true)


def positions_within_the_mistakes(y_true, probabilities, k):
    wrong = wrong_indices(y_true, probabilities)
    return np.argsort(-probabilities[wrong].max(axis=1))[:k]  # not mapped back to image indices


MISTAKES = [
    (
        lambda y, p, k: wrong_indices(y, p)[np.argsort(p[wrong_indices(y, p)].max(axis=1))][:k],
        ("most confident first",),
    ),
    (lambda y, p, k: np.argsort(-p.max(axis=1))[:k], ("is classified correctly",)),
    (
        lambda y, p, k: wrong_indices(y, p)[np.argsort(p[wrong_indices(y, p), y[wrong_indices(y, p)]])][:k],
        ("not by the probability of the true class",),
    ),
    (lambda y, p, k: p.argmax(axis=1) != y, ("boolean mask",)),
    (lambda y, p, k: wrong_indices(y, p)[np.argsort(-p[wrong_indices(y, p)].max(axis=1))], ("at most k = 5",)),
    (lambda y, p, k: np.sort(p.max(axis=1))[::-1][:k], ("dtype float64", "integer indices")),
    (positions_within_the_mistakes, ("positions within the list of mistakes", "wrong[order]")),
    (lambda y, p, k: wrong_indices(y, p)[:k], ("first mistakes in index order",)),
]


# --- FGSM -------------------------------------------------------------------------------------------


def fgsm_in_place(x, gradient, epsilon):
    x += epsilon * np.sign(gradient)
    return np.clip(x, 0, 1)


FGSM = [
    (lambda x, g, e: np.clip(x - e * np.sign(g), 0, 1), ("climbs the loss",)),
    (lambda x, g, e: np.clip(x + e * g, 0, 1), ("only the sign",)),
    (lambda x, g, e: x + e * np.sign(g), ("clip the result", "[0, 1]")),
    (lambda x, g, e: np.clip(x + e * np.sign(g), 0, 255), ("not 0..255",)),
    (lambda x, g, e: np.clip(x + np.sign(g), 0, 1), ("multiply the sign by ε",)),
    (lambda x, g, e: np.clip(x + e * np.where(g >= 0, 1, -1), 0, 1), ("np.sign(0) is 0",)),
    (lambda x, g, e: e * np.sign(g), ("not the perturbation",)),
    (fgsm_in_place, ("changed the array x", "2 fresh images, ε = 0.1")),
    (lambda x, g, e: np.clip(x + e * np.sign(g), 0, 1)[0], ("shape (28, 28, 1), expected (2, 28, 28, 1)",)),
]


WRONG = (
    [("prepare", answer, words) for answer, words in PREPARE]
    + [("dense_model", answer, words) for answer, words in DENSE]
    + CNN
    + [
        (
            "cnn_sequential",
            cnn_without_first_pooling,
            ("layer 2 is Conv2D, expected MaxPooling2D", "Conv2D(32, 5×5, relu) → MaxPooling2D"),
        ),
        ("cnn_sequential", functional(), ("returned a Functional model", "Sequential API")),
        ("cnn_functional", sequential(), ("returned a Sequential model", "Functional API")),
    ]
    + [("confusion", answer, words) for answer, words in CONFUSION]
    + [("mistakes", answer, words) for answer, words in MISTAKES]
    + [("fgsm", answer, words) for answer, words in FGSM]
)


# --- valid alternatives -----------------------------------------------------------------------------


def dense_with_sigmoid():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Flatten(),
            layers.Dense(16, activation="sigmoid"),
            layers.Dense(16, activation="sigmoid"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def dense_with_reshape():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Reshape((784,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(16, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def cnn_with_activation_layers_and_aliases():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 5),
            layers.ReLU(),
            layers.MaxPool2D(),
            layers.Conv2D(64, (5, 5)),
            layers.Activation("relu"),
            layers.MaxPool2D((2, 2), 2),
            layers.Flatten(),
            layers.Dense(1000),
            layers.ReLU(),
            layers.Dense(10),
            layers.Softmax(),
        ]
    )


def functional_calling_a_sequential():
    inputs = keras.Input((28, 28, 1))
    return keras.Model(inputs, sequential()()(inputs))


def confusion_with_add_at(y_true, y_pred, n_classes=10):
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def confusion_with_sklearn(y_true, y_pred, n_classes=10):
    return confusion_matrix(y_true, y_pred, labels=range(n_classes))


def confusion_with_bincount(y_true, y_pred, n_classes=10):
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes**2).reshape(n_classes, n_classes)


def mistakes_with_a_sorted_list(y_true, probabilities, k):
    predicted = probabilities.argmax(axis=1)
    wrong = [i for i in range(len(y_true)) if predicted[i] != y_true[i]]
    return np.array(sorted(wrong, key=lambda i: -probabilities[i].max())[:k], dtype=int)


def fgsm_with_keras_ops(x, gradient, epsilon):
    return keras.ops.convert_to_numpy(keras.ops.clip(x + epsilon * keras.ops.sign(gradient), 0.0, 1.0))


VALID = [
    ("prepare", prepare_with_reshape),
    ("dense_model", dense_with_sigmoid),
    ("dense_model", dense_with_reshape),
    ("cnn_sequential", cnn_with_activation_layers_and_aliases),
    ("cnn_functional", functional()),
    ("cnn_functional", functional_calling_a_sequential),
    ("confusion", confusion_with_add_at),
    ("confusion", confusion_with_sklearn),
    ("confusion", confusion_with_bincount),
    ("mistakes", mistakes_with_a_sorted_list),
    ("fgsm", fgsm_with_keras_ops),
]
