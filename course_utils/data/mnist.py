"""MNIST handwritten digits, or a clearly labelled stand-in made from scikit-learn's digits."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from course_utils.data.offline import announce_stand_in, describe_real, real_file

if TYPE_CHECKING:
    from sklearn.utils import Bunch

DATASET_NAME = "mnist"

STAND_IN_LABEL = "STAND-IN for MNIST: "
STAND_IN_TEST_FRACTION = 0.2
STAND_IN_SPLIT_SEED = 0


def load_mnist(*, data_home: str | os.PathLike | None = None, offline: bool | None = None) -> Bunch:
    """Load MNIST as NumPy arrays, in the layout of ``keras.datasets.mnist``.

    Returns a Bunch with x_train uint8 (N, 28, 28) in 0..255, y_train uint8 (N,) in 0..9, x_test,
    y_test, source (where the data came from, in words) and is_real. The real set has
    60,000 + 10,000 images. Offline (offline=True, COURSE_OFFLINE=1, or no network with
    offline=None) it returns the stand-in of ``mnist_stand_in`` and prints a message saying so.
    offline=False raises instead of falling back.
    """
    path, why = real_file(DATASET_NAME, offline=offline, data_home=data_home)
    if path is None:
        bunch = mnist_stand_in()
        announce_stand_in("MNIST", bunch.source.removeprefix(STAND_IN_LABEL), why, DATASET_NAME,
                          extra="the stand-in has 1,797 digits: expect different accuracies from MNIST's.")
        return bunch
    from sklearn.utils import Bunch

    with np.load(path, allow_pickle=False) as arrays:
        parts = {key: arrays[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    return Bunch(**parts, source=describe_real("MNIST", DATASET_NAME, path), is_real=True)


def mnist_stand_in() -> Bunch:
    """scikit-learn's 1,797 8x8 digits made to look like MNIST: a stand-in, not MNIST.

    Each 8x8 digit (values 0..16) is resized to 20x20 and centred in a 28x28 frame, as MNIST
    centres its digits in a 20x20 box, then scaled to 0..255 uint8. Split into train and test
    (20 %), stratified by digit, always the same way. Same keys as ``load_mnist``; is_real=False.
    """
    from skimage.transform import resize
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.utils import Bunch

    digits = load_digits()
    n_images = len(digits.images)
    big = resize(digits.images, (n_images, 20, 20), order=1, preserve_range=True, anti_aliasing=False)
    frames = np.zeros((n_images, 28, 28), dtype=np.uint8)
    frames[:, 4:24, 4:24] = np.clip(np.rint(big * (255 / 16)), 0, 255).astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(
        frames, labels, test_size=STAND_IN_TEST_FRACTION, stratify=labels, random_state=STAND_IN_SPLIT_SEED)
    source = (f"{STAND_IN_LABEL}scikit-learn's {n_images:,} 8x8 digits resized to 28x28 "
              f"({len(x_train):,} train / {len(x_test):,} test)")
    return Bunch(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, source=source, is_real=False)
