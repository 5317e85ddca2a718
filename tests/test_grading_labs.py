"""The real labs 02-05 graded end to end: each solution scores full marks (self-checks and hidden checks)
and each generated lab scores zero; and the hidden checks fail on the lab's stubs and catch answers the
self-checks let through. (Lab 01 is graded end to end in test_grading.py.)

The end-to-end tests run one grader per lab, solution and lab side by side (--jobs 2), in the smoke profile:
the notebooks import TensorFlow and train tiny models, some tens of seconds per lab. The other tests call
the judge on functions of this process (tests/judging.py), without a kernel.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pytest

from course_utils.grading import checkset, grader
from course_utils.manifest import course
from course_utils.notebooks import labgen
from judging import judged

ROOT = Path(__file__).resolve().parents[1]
LABS = [lab for lab in course().lab_ids if lab != "lab01"]  # lab01 is graded end to end in test_grading.py
MEMORY_GB = 3  # per notebook; measured smoke peaks of the solutions: 1.0-1.3 GB


def solution(lab: str) -> nbformat.NotebookNode:
    return jupytext.read(ROOT / course().lab(lab).source)


def failures(grade) -> dict[str, str]:
    """{question id: message} of the questions a grade did not pass."""
    return {qid: result.message for qid, result in grade.results.items() if not result.passed}


@pytest.mark.parametrize("lab", LABS)
@pytest.mark.kernel
def test_solution_scores_full_marks_and_generated_lab_zero(lab, tmp_path):
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    nbformat.write(solution(lab), submitted / "solution.ipynb")
    nbformat.write(labgen.make_lab(solution(lab), course().lab(lab).student), submitted / "lab.ipynb")
    checks = checkset.load(lab)
    options = grader.Options(profile="smoke", memory_gb=MEMORY_GB, jobs=2)
    grades = {
        g.student: g for g in grader.grade_folder(checks, submitted, tmp_path / "grades", options, progress=False)
    }
    solved, lab_as_given = grades["solution"], grades["lab"]
    assert (solved.status, failures(solved)) == ("ok", {}), solved.detail
    assert solved.total == checks.max_points
    assert lab_as_given.status == "ok", lab_as_given.detail
    assert lab_as_given.total == 0, [qid for qid, r in lab_as_given.results.items() if r.passed]
    print(
        f"{lab}: solution {solved.seconds:.0f} s, {solved.peak_memory / 2**30:.1f} GB; lab {lab_as_given.seconds:.0f} s"
    )


# --------------------------------------------------------------------------------------------------
# The hidden checks without a kernel


def scored(lab: str, namespace: dict) -> list[tuple[checkset.QuestionInfo, dict]]:
    """Every question of ``lab`` (hidden ones too) with its result {"passed", "message"} on ``namespace``, scored
    by the grader's judge as in a graded run."""
    checks = checkset.load(lab)
    results = judged(checks, namespace)
    return [(q, results[q.qid]) for q in checks.questions]


def stubs(lab: str) -> dict:
    """The functions the generated lab defines: every exercise cell with its solution replaced by the stub."""
    namespace: dict = {}
    for cell in solution(lab).cells:
        if cell.cell_type == "code" and "# BEGIN SOLUTION" in cell.source:
            exec(labgen.stub_source(cell.source), namespace)
    return namespace


@pytest.mark.parametrize("lab", LABS)
def test_hidden_checks_fail_on_the_stubs_saying_so(lab):
    hidden = {q.name: result for q, result in scored(lab, stubs(lab)) if q.hidden}
    assert 2 <= len(hidden) <= 5
    for name, result in hidden.items():
        assert not result["passed"], name
        assert "still raises NotImplementedError" in result["message"], (name, result["message"])


# Answers a student could well write: the lab's self-checks accept them, a hidden check does not.
# {lab: (namespace of answers, {hidden question: a fragment of its message})}


def lab02_slips() -> tuple[dict, dict[str, str]]:
    def prepare(images):  # one image at a time: fine for any batch but an empty one
        return np.stack([image[..., None] for image in images]).astype("float32") / 255

    def most_confident_mistakes(y_true, probabilities, k):  # [-k:] keeps everything when k = 0
        predicted = probabilities.argmax(axis=1)
        wrong = np.flatnonzero(predicted != y_true)
        return wrong[np.argsort(probabilities[wrong, predicted[wrong]])[-k:][::-1]]

    def fgsm(x, gradient, epsilon):  # assumes MNIST-shaped batches
        return np.clip(x + epsilon * np.sign(gradient), 0, 1).reshape(-1, 28, 28, 1)

    # (confusion_counts's slips, floats or a matrix sized by the classes that occur, are caught by the self-check)
    return dict(prepare=prepare, most_confident_mistakes=most_confident_mistakes, fgsm=fgsm), {
        "prepare_edge_batches": "calling prepare on an empty batch, shape (0, 28, 28) raised ValueError",
        "mistakes_edge_cases": "k = 0: the result has shape (10,), expected (0,)",
        "fgsm_other_shapes": "calling fgsm on 3 colour images of shape (8, 8, 3), ε = 0.05 raised ValueError",
    }


def lab03_slips() -> tuple[dict, dict[str, str]]:
    import keras

    def augment(images, rng):  # assumes three colour channels
        n, side = len(images), images.shape[1]
        turns, mirrored = rng.integers(0, 4, size=n), rng.integers(0, 2, size=n).astype(bool)
        out = np.empty((n, side, side, 3), dtype=images.dtype)
        for i in range(n):
            turned = np.rot90(images[i], turns[i])
            out[i] = turned[:, ::-1] if mirrored[i] else turned
        return out

    def build_cnn(input_shape, n_classes):  # assumes three colour channels
        inputs = keras.Input(shape=(*input_shape[:2], 3))
        x = keras.layers.Conv2D(8, 3, padding="same")(inputs)
        x = keras.layers.Activation("relu")(keras.layers.BatchNormalization()(x))
        x = keras.layers.Dropout(0.3)(keras.layers.GlobalAveragePooling2D()(x))
        return keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(x))

    def per_class_accuracy(y_true, y_pred, n_classes):  # NaN also where no galaxy of the class was right
        hits = np.bincount(y_true[y_true == y_pred], minlength=n_classes)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(hits > 0, hits / np.bincount(y_true, minlength=n_classes), np.nan)

    def most_confident_mistakes(y_true, probabilities, k):  # [-k:] keeps everything when k = 0
        predicted = probabilities.argmax(axis=1)
        wrong = np.flatnonzero(predicted != y_true)
        return wrong[np.argsort(probabilities.max(axis=1)[wrong])[-k:][::-1]]

    def prepare_fine_tuning(model, n_frozen, learning_rate):  # [-0:] is every layer when nothing is to train
        n_trainable = len(model.layers) - n_frozen
        for layer in model.layers[:-n_trainable]:
            layer.trainable = False
        for layer in model.layers[-n_trainable:]:
            layer.trainable = True
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
        return model

    return dict(
        augment=augment,
        build_cnn=build_cnn,
        per_class_accuracy=per_class_accuracy,
        most_confident_mistakes=most_confident_mistakes,
        prepare_fine_tuning=prepare_fine_tuning,
    ), {
        "augment_other_batches": "augment returned shape (400, 4, 4, 3) for a batch of shape (400, 4, 4, 1)",
        "build_cnn_other_inputs": "build_cnn((32, 32, 1), 2) takes inputs of shape (None, 32, 32, 3)",
        "per_class_accuracy_extremes": "NaN is only for a class without any galaxy in y_true",
        "mistakes_edge_cases": "k = 0 you returned indices",
        "fine_tuning_any_depth": "slicing with [-k:] takes every layer when k = 0",
    }


def lab04_slips() -> tuple[dict, dict[str, str]]:
    from astropy.io import fits

    def read_stamp(paths):  # sorts the files: right for Band1, Band2, ..., wrong for g, r, i
        return np.stack([fits.getdata(path) for path in sorted(paths)], axis=-1).astype(np.float32)

    def normalise_stamps(images):  # assumes three bands
        out = np.empty(images.shape, dtype=np.float32)
        for band in range(3):
            pixels = images[..., band]
            sky = np.median(pixels, axis=(1, 2), keepdims=True)
            sigma = np.maximum(1.4826 * np.median(np.abs(pixels - sky), axis=(1, 2), keepdims=True), 1e-30)
            out[..., band] = np.arcsinh((pixels - sky) / sigma / 3)
        return out

    def tpr_at_fp(y_true, scores, n_fp):  # "no threshold" taken as a threshold of 0
        negatives = np.sort(scores[y_true == 0])[::-1]
        threshold = negatives[n_fp] if n_fp < len(negatives) else 0.0
        return float(np.mean(scores[y_true == 1] > threshold))

    return dict(read_stamp=read_stamp, normalise_stamps=normalise_stamps, tpr_at_fp=tpr_at_fp), {
        "read_stamp_other_files": "your bands come out in the order g, i, r",
        "normalise_other_shapes": "raised IndexError",
        "tpr_at_fp_logits": "your TPR is 0, expected 1",
    }


def lab05_slips() -> tuple[dict, dict[str, str]]:
    def phase_fold(time, period, t0=0.0):  # flattens: right for one light curve, wrong for a batch
        return np.mod((np.ravel(time) - t0) / period, 1.0)

    def dmdt_histogram(time, mag, dt_edges, dm_edges):  # 0 / 0 for a light curve of one epoch
        i, j = np.triu_indices(len(time), k=1)
        counts = np.histogram2d(mag[j] - mag[i], time[j] - time[i], bins=[dm_edges, dt_edges])[0]
        return counts / (len(time) * (len(time) - 1) / 2)

    def plasticc_log_loss(y_true, probabilities, weights):  # clips but does not renormalise the rows
        p = np.clip(probabilities, 1e-15, 1 - 1e-15)
        classes = np.unique(y_true)
        total = sum(weights[c] * -np.mean(np.log(p[y_true == c, c])) for c in classes)
        return total / sum(weights[c] for c in classes)

    return dict(phase_fold=phase_fold, dmdt_histogram=dmdt_histogram, plasticc_log_loss=plasticc_log_loss), {
        "phase_fold_shapes": "no ravel",
        "dmdt_few_epochs": "not NaN",
        "log_loss_unnormalised": "divide each row by its sum",
    }


def lab06_slips() -> tuple[dict, dict[str, str]]:
    import keras
    from keras import layers, ops

    def bias_and_scatter(true, predicted, edges):  # arrays only: a list minus a list raises
        error = predicted - true
        index = np.searchsorted(edges, true, side="right") - 1
        index[true == edges[-1]] = len(edges) - 2
        groups = [error[index == k] for k in range(len(edges) - 1)]
        return (
            np.array([g.mean() if g.size else np.nan for g in groups]),
            np.array([g.std() if g.size else np.nan for g in groups]),
        )

    def interval_coverage(y_true, mean, log_var, level):  # levels from a table of the usual ones
        z = {0.2: 0.2533471, 0.68: 0.9944579, 0.9: 1.6448536, 0.95: 1.959964}.get(round(level, 2), 1.0)
        return float(np.mean(np.abs(y_true - mean) <= z * np.exp(0.5 * log_var)))

    def conv_pair(x, filters):
        return layers.Conv2D(filters, 3, padding="same", activation="relu")(
            layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        )

    def build_unet(input_shape, width=16, depth=2):  # written out for depth 1 and 2
        inputs = keras.Input(input_shape)
        first = conv_pair(inputs, width)
        x = layers.MaxPooling2D()(first)
        if depth == 2:
            second = conv_pair(x, 2 * width)
            x = conv_pair(layers.MaxPooling2D()(second), 4 * width)
            x = conv_pair(layers.Concatenate()([layers.UpSampling2D()(x), second]), 2 * width)
        else:
            x = conv_pair(x, 2 * width)
        x = conv_pair(layers.Concatenate()([layers.UpSampling2D()(x), first]), width)
        return keras.Model(inputs, layers.Conv2D(input_shape[-1], 1)(x))

    def kl_divergence(z_mean, z_log_var):  # squeezed "to be safe": a batch of one gives a scalar
        return ops.squeeze(-0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1))

    return dict(
        bias_and_scatter=bias_and_scatter,
        interval_coverage=interval_coverage,
        build_unet=build_unet,
        kl_divergence=kl_divergence,
    ), {
        "bias_scatter_edge_cases": "calling bias_and_scatter on lenses given as Python lists raised TypeError",
        "coverage_other_levels": "level 0.5: your coverage is",
        "unet_other_inputs": "depth=3",
        "kl_other_latents": "shape ()",
    }


SLIPS = {"lab02": lab02_slips, "lab03": lab03_slips, "lab04": lab04_slips, "lab05": lab05_slips, "lab06": lab06_slips}


@pytest.mark.parametrize("lab", SLIPS)
def test_hidden_checks_catch_what_the_self_checks_miss(lab):
    namespace, caught = SLIPS[lab]()
    results = scored(lab, namespace)
    self_checks = {q.name: r for q, r in results if not q.hidden and q.target in namespace}
    assert self_checks and all(r["passed"] for r in self_checks.values()), self_checks
    hidden = {q.name: r for q, r in results if q.hidden}
    for name, fragment in caught.items():
        assert not hidden[name]["passed"], name
        assert fragment in hidden[name]["message"], hidden[name]["message"]
