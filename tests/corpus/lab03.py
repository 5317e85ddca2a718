"""Lab 03: typical wrong answers, written the way students write them, with the words their message must
contain; and other valid answers, which must pass."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers
from scipy import ndimage

LAB, SOLUTION = "lab03", "03_galaxy_morphology.py"
MODULES = {"np": np, "keras": keras, "layers": layers}

# --- other correct answers pass ----------------------------------------------------------------------


def class_weights_with_numpy_keys(labels, n_classes):
    classes, counts = np.unique(labels, return_counts=True)
    return dict(zip(classes, len(labels) / (n_classes * counts)))


def augment_by_three_flips(images, rng):
    """Left-right flip, up-down flip and transpose, each with probability 1/2: also all 8, equally likely."""
    out = images.copy()
    for i in range(len(out)):
        lr, ud, swap = rng.integers(0, 2, size=3)
        image = out[i]
        image = image[:, ::-1] if lr else image
        image = image[::-1] if ud else image
        out[i] = image.transpose(1, 0, 2) if swap else image
    return out


def augment_whole_batch_by_group(images, rng):
    """Vectorised: the batch split by drawn orientation, each group turned with axes=(1, 2)."""
    which = rng.integers(0, 8, size=len(images))
    out = np.empty_like(images)
    for k in range(8):
        group = images[which == k]
        group = group[:, :, ::-1] if k >= 4 else group
        out[which == k] = np.rot90(group, k % 4, axes=(1, 2))
    return out


def sequential_cnn(input_shape, n_classes):
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.SeparableConv2D(16, 3, activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.SpatialDropout2D(0.2),
            layers.Conv2D(32, 3, activation="relu"),
            layers.GlobalMaxPooling2D(),
            layers.Dense(n_classes),
            layers.Softmax(),
        ]
    )


def per_class_accuracy_from_confusion_matrix(y_true, y_pred, n_classes):
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(y_true, y_pred, labels=range(n_classes))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(matrix) / matrix.sum(axis=1)


def mistakes_as_list(y_true, probabilities, k):
    predicted = probabilities.argmax(axis=1)
    ranked = sorted(
        (i for i in range(len(y_true)) if predicted[i] != y_true[i]),
        key=lambda i: probabilities[i, predicted[i]],
        reverse=True,
    )
    return ranked[:k]


# --- typical wrong answers, written the way students write them ------------------------------------


def weights(rule):
    def class_weights(labels, n_classes):
        counts = np.bincount(labels, minlength=n_classes)
        return {k: rule(len(labels), n_classes, counts[k], counts) for k in range(n_classes)}

    return class_weights


def augment_turns(*, turns=4, mirror=0.5, channel_flip=False):
    def augment(images, rng):
        out = np.empty_like(images)
        for i, image in enumerate(images):
            turned = np.rot90(image, rng.integers(0, turns))
            if rng.random() < mirror:
                turned = turned[:, :, ::-1] if channel_flip else turned[:, ::-1]
            out[i] = turned
        return out

    return augment


def augment_flips_only(images, rng):
    out = images.copy()
    for i in range(len(out)):
        if rng.random() < 0.5:
            out[i] = np.fliplr(out[i])
        if rng.random() < 0.5:
            out[i] = np.flipud(out[i])
    return out


def augment_one_draw_per_batch(images, rng):
    turned = np.rot90(images, rng.integers(0, 4), axes=(1, 2))
    return turned[:, :, ::-1] if rng.random() < 0.5 else turned


def augment_batch_axes(images, rng):
    return np.rot90(images, 1)


def augment_global_random(images, rng):
    return np.stack(
        [
            np.rot90(image, np.random.randint(4))
            if np.random.rand() < 0.5
            else np.rot90(image[:, ::-1], np.random.randint(4))
            for image in images
        ]
    )


def augment_in_place(images, rng):
    for i in range(len(images)):
        images[i] = np.rot90(images[i], rng.integers(0, 4))
        if rng.random() < 0.5:
            images[i] = images[i][:, ::-1]
    return images


def augment_any_angle(images, rng):
    return np.stack([ndimage.rotate(image, rng.uniform(0, 360), reshape=False, order=1) for image in images])


def augment_shuffled(images, rng):
    return augment_turns()(images[rng.permutation(len(images))], rng)


def cnn(
    *,
    batch_norm=True,
    dropout=0.3,
    activation="softmax",
    head="average",
    classes=None,
    shape=None,
    convolution=True,
    with_input=True,
    return_model=True,
):
    def build_cnn(input_shape, n_classes):
        stack = [keras.Input(shape=shape or input_shape)] if with_input else []
        for filters in (16, 32):
            stack.append(
                layers.Conv2D(filters, 3, padding="same", activation="relu")
                if convolution
                else layers.Dense(filters, activation="relu")
            )
            if batch_norm:
                stack.append(layers.BatchNormalization())
            stack.append(layers.MaxPooling2D())
        stack += {
            "average": [layers.GlobalAveragePooling2D()],
            "none": [],
            "flatten": [layers.Flatten(), layers.Dense(256, activation="relu")],
        }[head]
        if dropout is not None:
            stack.append(layers.Dropout(dropout))
        stack.append(layers.Dense(classes or n_classes, activation=activation))
        model = keras.Sequential(stack)
        return model if return_model else None

    return build_cnn


def per_class(rule):
    def per_class_accuracy(y_true, y_pred, n_classes):
        return rule(y_true, y_pred, n_classes)

    return per_class_accuracy


def precision(y_true, y_pred, n_classes):
    return np.array([np.mean(y_true[y_pred == c] == c) if np.any(y_pred == c) else np.nan for c in range(n_classes)])


def zero_for_absent(y_true, y_pred, n_classes):
    return np.array([np.mean(y_pred[y_true == c] == c) if np.any(y_true == c) else 0.0 for c in range(n_classes)])


def present_classes_only(y_true, y_pred, n_classes):
    return np.array([np.mean(y_pred[y_true == c] == c) for c in np.unique(y_true)])


def mistakes(rule):
    def most_confident_mistakes(y_true, probabilities, k):
        return rule(probabilities, y_true, k)

    return most_confident_mistakes


def top_confidence_overall(probabilities, y_true, k):
    return np.argsort(-probabilities.max(axis=1))[:k]


def least_confident_first(probabilities, y_true, k):
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != y_true)
    return wrong[np.argsort(probabilities.max(axis=1)[wrong])][:k]


def lowest_true_class_probability(probabilities, y_true, k):
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != y_true)
    return wrong[np.argsort(probabilities[wrong, y_true[wrong]])][:k]


_WRONG_ANSWERS = [
    ("class_weights", weights(lambda n, k, c, counts: c / n), "[0.5714, 0.2857, 0.1429]", "the classes' shares"),
    (
        "class_weights",
        weights(lambda n, k, c, counts: n / c),
        "your weights are [1.75, 3.5, 7]",
        "divide by the number of classes k too",
    ),
    ("class_weights", weights(lambda n, k, c, counts: 1 / c), "expected [0.5833, 1.167, 2.333]", "multiply by n/k"),
    (
        "class_weights",
        weights(lambda n, k, c, counts: (1 / c) / np.sum(1 / counts)),
        "your weights are",
        "0.245 × the expected ones",
    ),
    (
        "class_weights",
        lambda labels, n_classes: len(labels) / (n_classes * np.bincount(labels)),
        "returned a ndarray",
        "return a dict",
    ),
    (
        "class_weights",
        lambda labels, n_classes: {str(k): 1.0 for k in range(n_classes)},
        "the key '0' (str)",
        "as integers",
    ),
    (
        "class_weights",
        lambda labels, n_classes: {k: 1.0 for k in range(10)},
        "it also has keys [3, 4",
        "one key per class 0 … 2",
    ),
    (
        "class_weights",
        lambda labels, n_classes: {0: 0.5833333333333334, 1: 1.1666666666666667, 2: 2.3333333333333335},
        "for 139 shuffled labels of 10 classes",
        "classes [3, 4, 5, 6, 7, 8, 9] are missing",
    ),
    ("augment", augment_turns(mirror=0.0), "only 4 of the 8 orientations", "no image was ever mirrored"),
    ("augment", augment_flips_only, "only 4 of the 8 orientations", "no image was ever turned by 90° or 270°"),
    (
        "augment",
        augment_turns(turns=2),
        "only 4 of the 8 orientations",
        "never occurred: turned 180°, turned 270°, mirrored and turned 90°, mirrored and turned 180°",
    ),
    ("augment", augment_turns(mirror=0.9), "should be equally likely", "mirrored: "),
    ("augment", augment_turns(channel_flip=True), "colour channels are reversed", "not the last axis"),
    ("augment", augment_one_draw_per_batch, "all 64 images of the batch came out", "draw the orientation of each"),
    ("augment", augment_batch_axes, "returned shape (6, 64, 6, 3)", "axes=(1, 2)"),
    ("augment", augment_global_random, "same seed gave different orientations", "not from np.random"),
    ("augment", augment_in_place, "changed the array images passed to it", "new array"),
    ("augment", augment_any_angle, "pixel values that input image", "only move pixels"),
    ("augment", augment_shuffled, "is a turned or mirrored copy of input image", "keep the images in their order"),
    ("build_cnn", cnn(batch_norm=False), "no keras.layers.BatchNormalization", "after each convolution"),
    ("build_cnn", cnn(dropout=None), "no keras.layers.Dropout", "Dropout(0.3)"),
    ("build_cnn", cnn(dropout=0.0), "Dropout rate is 0.0", "between 0 and 1"),
    ("build_cnn", cnn(activation=None), "add up to 1 per image", "activation='softmax'"),
    ("build_cnn", cnn(activation="sigmoid"), "do not add up to 1 (a sigmoid?)", "softmax"),
    ("build_cnn", cnn(head="flatten"), "parameters, more than the budget of 2,000,000", "GlobalAveragePooling2D"),
    ("build_cnn", cnn(classes=10), "build_cnn((48, 48, 3), 4) gives outputs of shape (None, 10)", "not a fixed 10"),
    (
        "build_cnn",
        cnn(shape=(64, 64, 3)),
        "build_cnn((48, 48, 3), 4) takes inputs of shape (None, 64, 64, 3)",
        "not a fixed image size",
    ),
    ("build_cnn", cnn(head="none"), "outputs of shape (None, 16, 16, 10)", "GlobalAveragePooling2D"),
    ("build_cnn", cnn(convolution=False), "no convolutional layer", "Conv2D"),
    ("build_cnn", cnn(with_input=False), "does not know its input shape", "keras.Input(shape=input_shape)"),
    ("build_cnn", cnn(return_model=False), "it returned NoneType", "forget the return"),
    ("per_class_accuracy", per_class(precision), "your accuracies are", "(the precision)"),
    ("per_class_accuracy", per_class(zero_for_absent), "(class 4 never true", "NaN, not 0"),
    ("per_class_accuracy", per_class(present_classes_only), "has shape (5,), expected (6,)", "classes [4]"),
    (
        "per_class_accuracy",
        per_class(lambda t, p, n: np.full(n, np.mean(t == p))),
        "expected [0.5, 0.6667, 0.75]",
        "the overall accuracy",
    ),
    (
        "per_class_accuracy",
        per_class(lambda t, p, n: np.array([np.sum((t == c) & (p == c)) for c in range(n)])),
        "your accuracies are [1, 2, 3]",
        "counts of correct predictions",
    ),
    (
        "most_confident_mistakes",
        mistakes(top_confidence_overall),
        "you returned indices [3, 0]",
        "include correct predictions",
    ),
    (
        "most_confident_mistakes",
        mistakes(least_confident_first),
        "you returned indices [4, 2], expected [1, 2]",
        "least confident",
    ),
    (
        "most_confident_mistakes",
        mistakes(lowest_true_class_probability),
        "expected [1, 2]",
        "how little probability the true class got",
    ),
    (
        "most_confident_mistakes",
        mistakes(lambda p, t, k: np.flatnonzero(p.argmax(axis=1) != t)[:k]),
        "300 galaxies",
        "in index order",
    ),
    (
        "most_confident_mistakes",
        mistakes(
            lambda p, t, k: np.flatnonzero(p.argmax(axis=1) != t)[np.argsort(-p.max(axis=1)[p.argmax(axis=1) != t])]
        ),
        "expected [1, 2]",
        "return at most k",
    ),
    ("most_confident_mistakes", mistakes(lambda p, t, k: p.argmax(axis=1) != t), "boolean mask", "return the indices"),
    (
        "most_confident_mistakes",
        mistakes(lambda p, t, k: np.sort(p.max(axis=1))[::-1][:k]),
        "whole numbers",
        "probabilities instead of indices",
    ),
]


WRONG = [(name, answer, (where, hint)) for name, answer, where, hint in _WRONG_ANSWERS]
VALID = [
    ("class_weights", class_weights_with_numpy_keys),
    ("augment", augment_by_three_flips),
    ("augment", augment_whole_batch_by_group),
    ("build_cnn", sequential_cnn),
    ("per_class_accuracy", per_class_accuracy_from_confusion_matrix),
    ("most_confident_mistakes", mistakes_as_list),
]


# --- more wrong answers, and more valid ones ---------------------------------------------------------


def positions_within_the_mistakes(y_true, probabilities, k):
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != y_true)
    return np.argsort(-probabilities[wrong].max(axis=1))[:k]


def mistakes_in_lab03s_old_order(probabilities, y_true, k):
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != y_true)
    return wrong[np.argsort(-probabilities.max(axis=1)[wrong])][:k]


def class_weights_as_floats_of_counts(labels, n_classes):
    counts = np.bincount(labels, minlength=n_classes)
    return {k: float(counts[k]) for k in range(n_classes)}


def per_class_accuracy_as_list(y_true, y_pred, n_classes):
    return [float(np.mean(y_pred[y_true == c] == c)) if np.any(y_true == c) else float("nan") for c in range(n_classes)]


def class_weights_with_sklearn(labels, n_classes):
    from sklearn.utils.class_weight import compute_class_weight

    return dict(enumerate(compute_class_weight("balanced", classes=np.arange(n_classes), y=labels)))


def augment_with_k_and_flip_arrays(images, rng):
    turns, flips = rng.integers(0, 4, size=len(images)), rng.integers(0, 2, size=len(images))
    return np.stack(
        [np.rot90(image[:, ::-1] if flip else image, turn) for image, turn, flip in zip(images, turns, flips)]
    )


def functional_cnn(input_shape, n_classes):
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    x = layers.GlobalAveragePooling2D()(layers.MaxPooling2D()(x))
    return keras.Model(inputs, layers.Dense(n_classes, activation="softmax")(layers.Dropout(0.4)(x)))


WRONG += [
    (
        "most_confident_mistakes",
        positions_within_the_mistakes,
        ("positions within the list of mistakes", "wrong[order]"),
    ),
    ("most_confident_mistakes", mistakes_in_lab03s_old_order, ("raised", "(y_true, probabilities, k)")),
    ("class_weights", class_weights_as_floats_of_counts, ("those are the class counts n_c",)),
    (
        "per_class_accuracy",
        lambda t, p, n: 1 - np.array(per_class_accuracy_as_list(t, p, n)),
        ("that is the error rate",),
    ),
    ("build_cnn", cnn(head="flatten", dropout=0.3, batch_norm=False), ("no keras.layers.BatchNormalization",)),
]
VALID += [
    ("class_weights", class_weights_with_sklearn),
    ("augment", augment_with_k_and_flip_arrays),
    ("build_cnn", functional_cnn),
    ("per_class_accuracy", per_class_accuracy_as_list),
]


# --- Exercise 6: prepare_fine_tuning ----------------------------------------------------------------


def fine_tuning(
    *,
    freeze=True,
    unfreeze=True,
    compile=True,
    learning_rate=None,
    loss="sparse_categorical_crossentropy",
    order=slice(None),
    offset=0,
    copy=False,
):
    """prepare_fine_tuning with one typical mistake switched on by a keyword."""

    def prepare_fine_tuning(model, n_frozen, rate):
        if copy:
            model = keras.models.clone_model(model)
        chosen = model.layers[order]
        for layer in chosen[: n_frozen + offset] if freeze else []:
            layer.trainable = False
        for layer in chosen[n_frozen + offset :] if unfreeze else []:
            layer.trainable = True
        if compile:
            model.compile(optimizer=keras.optimizers.Adam(learning_rate or rate), loss=loss, metrics=["accuracy"])
        return model

    return prepare_fine_tuning


def fine_tuning_whole_model_frozen(model, n_frozen, learning_rate):
    model.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
    return model


def fine_tuning_learning_rate_assigned(model, n_frozen, learning_rate):
    for k, layer in enumerate(model.layers):
        layer.trainable = k >= n_frozen
    model.optimizer.learning_rate.assign(learning_rate)
    return model


def fine_tuning_without_return(model, n_frozen, learning_rate):
    for k, layer in enumerate(model.layers):
        layer.trainable = k >= n_frozen
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")


def fine_tuning_by_layer_lists(model, n_frozen, learning_rate):
    """Valid: frozen and trainable lists, an optimizer object built first, a loss object."""
    frozen, trainable = model.layers[:n_frozen], model.layers[n_frozen:]
    for layer in frozen:
        layer.trainable = False
    for layer in trainable:
        layer.trainable = True
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return model


def fine_tuning_on_a_copy(model, n_frozen, learning_rate):
    """Valid: a copy with the pre-trained weights, so the original stays as it was."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for k, layer in enumerate(copy.layers):
        layer.trainable = k >= n_frozen
    copy.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return copy


WRONG += [
    (
        "prepare_fine_tuning",
        fine_tuning(freeze=False),
        ("the frozen layers are [], expected [1, 2, 3, 4]", "nothing is frozen"),
    ),
    (
        "prepare_fine_tuning",
        fine_tuning(freeze=False, unfreeze=False),
        ("n_frozen = 5", "as trainable as they arrived", "freeze them"),
    ),
    ("prepare_fine_tuning", fine_tuning(unfreeze=False), ("n_frozen = 0", "arrived frozen and stayed so", "unfreezes")),
    ("prepare_fine_tuning", fine_tuning_whole_model_frozen, ("every layer is frozen", "model.trainable = False")),
    ("prepare_fine_tuning", fine_tuning(order=slice(None, None, -1)), ("you froze the last n_frozen layers",)),
    ("prepare_fine_tuning", fine_tuning(offset=1), ("one layer too many is frozen",)),
    ("prepare_fine_tuning", fine_tuning(offset=-1), ("one layer too few", "InputLayer")),
    (
        "prepare_fine_tuning",
        fine_tuning(compile=False),
        ("still has the optimizer it arrived with", "compile the model again"),
    ),
    (
        "prepare_fine_tuning",
        fine_tuning_learning_rate_assigned,
        ("training the returned model failed", "compile the model again"),
    ),
    (
        "prepare_fine_tuning",
        fine_tuning(learning_rate=1e-3),
        ("learning rate is 0.001, expected 0.0001", "Adam's default"),
    ),
    (
        "prepare_fine_tuning",
        fine_tuning(learning_rate=1e-4),
        ("learning rate is 0.0001, expected 0.00001", "use the learning_rate given"),
    ),
    (
        "prepare_fine_tuning",
        fine_tuning(loss="categorical_crossentropy"),
        ("'categorical_crossentropy'", "class numbers"),
    ),
    ("prepare_fine_tuning", fine_tuning(copy=True), ("weights are not the pre-trained ones", "set_weights")),
    ("prepare_fine_tuning", fine_tuning_without_return, ("returned NoneType", "forget the return")),
]
VALID += [
    ("prepare_fine_tuning", fine_tuning_by_layer_lists),
    ("prepare_fine_tuning", fine_tuning_on_a_copy),
]
