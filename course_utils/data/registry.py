"""The registry: every real data set the course downloads, with its URL, SHA256 and size.

A ``Dataset`` is one file. ``REGISTRY`` holds the course's data sets; tests and instructors can
add entries or swap them for a while (``REGISTRY.replaced(...)``), e.g. to point at a local server.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from course_utils.data.errors import UnknownDatasetError


@dataclass(frozen=True)
class Dataset:
    """One downloadable file.

    name: the short name used on the command line (``mnist``); filename: its name in the cache and
    in a mirror folder; url: the origin; sha256: 64 hex digits; size: bytes (exact unless
    ``exact_size`` is False, then only used for display and the free-space check).
    """

    name: str
    filename: str
    url: str
    sha256: str
    size: int
    description: str = ""
    exact_size: bool = True

    def __post_init__(self) -> None:
        digest = self.sha256.lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"Dataset {self.name!r}: sha256 must be 64 hex digits, got {self.sha256!r}.")
        object.__setattr__(self, "sha256", digest)
        if "/" in self.filename or "\\" in self.filename or self.filename in ("", ".", ".."):
            raise ValueError(f"Dataset {self.name!r}: filename must be a plain file name, got {self.filename!r}.")
        if self.size <= 0:
            raise ValueError(f"Dataset {self.name!r}: size must be a positive number of bytes.")


class Registry:
    """An ordered collection of ``Dataset`` entries, looked up by name."""

    def __init__(self, datasets: tuple[Dataset, ...] = ()) -> None:
        self._entries: dict[str, Dataset] = {}
        for dataset in datasets:
            self.add(dataset)

    def add(self, dataset: Dataset, *, replace: bool = False) -> Dataset:
        """Add an entry; an existing name is an error unless ``replace=True``."""
        if dataset.name in self._entries and not replace:
            raise ValueError(f"{dataset.name!r} is already in the registry; pass replace=True to change it.")
        self._entries[dataset.name] = dataset
        return dataset

    def get(self, name: str) -> Dataset:
        """The entry called ``name``; an unknown name raises with the closest known names."""
        try:
            return self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, self.names(), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UnknownDatasetError(
                f"Unknown data set {name!r}.{hint} Known: {', '.join(self.names()) or 'none'} "
                "(see `python data_fetch.py list`).") from None

    def names(self) -> list[str]:
        return list(self._entries)

    def __iter__(self) -> Iterator[Dataset]:
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)

    @contextmanager
    def replaced(self, *datasets: Dataset) -> Iterator[Registry]:
        """Use these entries (added or replacing same-named ones) inside the ``with`` block only."""
        saved = dict(self._entries)
        try:
            for dataset in datasets:
                self.add(dataset, replace=True)
            yield self
        finally:
            self._entries = saved


MNIST = Dataset(
    name="mnist",
    filename="mnist.npz",
    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    size=11_490_434,
    description="MNIST handwritten digits, 70,000 of 28x28 (the file keras.datasets.mnist uses)",
)
GALAXY10_SDSS = Dataset(
    name="galaxy10_sdss",
    filename="Galaxy10.h5",
    url="https://zenodo.org/records/10844811/files/Galaxy10.h5",
    sha256="969a6b1cefcc36e09fffa86febd2f699a4aa19b837ba0427f01b0bc6ded458af",
    size=210_234_548,
    description="Galaxy10 SDSS: 21,785 colour images of 69x69, 10 Galaxy Zoo classes",
)
GALAXY10_DECALS = Dataset(
    name="galaxy10_decals",
    filename="Galaxy10_DECals.h5",
    url="https://zenodo.org/records/10845026/files/Galaxy10_DECals.h5",
    sha256="19aefc477c41bb7f77ff07599a6b82a038dc042f889a111b0d4d98bb755c1571",
    size=2_540_000_000,
    exact_size=False,  # published as "2.54 GB"; the SHA256 is the check
    description="Galaxy10 DECaLS: 17,736 colour images of 256x256, 10 Galaxy Zoo classes (read lazily)",
)

REGISTRY = Registry((MNIST, GALAXY10_SDSS, GALAXY10_DECALS))

# PLAsTiCC's training set (Kessler et al. 2019), read by data.plasticc: the Zenodo record publishes the files'
# checksums, which are read from it at download time (no SHA256 is known here).
PLASTICC_TRAIN = dict(zenodo_record=2539456, files=("plasticc_train_metadata.csv.gz",
                                                     "plasticc_train_lightcurves.csv.gz"))
