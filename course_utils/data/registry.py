"""The registry: every real data set the course downloads, with its URL, SHA256 and size.

A ``Dataset`` is one file. ``REGISTRY`` holds the course's data sets; tests and instructors can
add entries or swap them for a while (``REGISTRY.replaced(...)``), e.g. to point at a local server.
A registry file named by $COURSE_DATA_REGISTRY (JSON: name -> url, sha256, size, ...) overrides or
adds entries in every process that reads it, notebook kernels included (``active_registry``): CI
rehearses the real-data path with it, and a school can name files of its own.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path

from course_utils.data.errors import DataError, UnknownDatasetError

REGISTRY_ENV = "COURSE_DATA_REGISTRY"


@dataclass(frozen=True)
class Dataset:
    """One downloadable file.

    name: the short name used on the command line (``mnist``); filename: its name in the cache and
    in a mirror folder; url: the origin; sha256: 64 hex digits; size: bytes (exact unless
    ``exact_size`` is False, then only used for display and the free-space check); zenodo_record:
    the Zenodo record that publishes the file, whose own checksum is a second, independent check.
    """

    name: str
    filename: str
    url: str
    sha256: str
    size: int
    description: str = ""
    exact_size: bool = True
    zenodo_record: int | None = None

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
                "(see `python data_fetch.py list`)."
            ) from None

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
    zenodo_record=10844811,
    description="Galaxy10 SDSS: 21,785 colour images of 69x69, 10 Galaxy Zoo classes",
)
GALAXY10_DECALS = Dataset(
    name="galaxy10_decals",
    filename="Galaxy10_DECals.h5",
    url="https://zenodo.org/records/10845026/files/Galaxy10_DECals.h5",
    sha256="19aefc477c41bb7f77ff07599a6b82a038dc042f889a111b0d4d98bb755c1571",
    size=2_540_000_000,
    exact_size=False,  # published as "2.54 GB"; the SHA256 is the check
    zenodo_record=10845026,
    description="Galaxy10 DECaLS: 17,736 colour images of 256x256, 10 Galaxy Zoo classes (read lazily)",
)

REGISTRY = Registry((MNIST, GALAXY10_SDSS, GALAXY10_DECALS))


def registry_override() -> Path | None:
    """The registry file named by $COURSE_DATA_REGISTRY, or None when it is not set."""
    value = os.environ.get(REGISTRY_ENV, "").strip()
    return Path(value).expanduser() if value else None


def active_registry() -> Registry:
    """``REGISTRY``, with the entries of the $COURSE_DATA_REGISTRY file added or replacing same-named ones.

    The file is JSON, ``{"mnist": {"url": ..., "sha256": ..., "size": ...}, ...}``; an entry that
    replaces a known one keeps the fields it does not give (file name, description), except that a new
    ``url`` drops the Zenodo record unless the entry names one: the file there may be another file.
    """
    path = registry_override()
    if path is None:
        return REGISTRY
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{REGISTRY_ENV}={path} is not a readable JSON registry file ({exc}). "
            f"Fix the file, or unset {REGISTRY_ENV} to use the course's own registry."
        ) from exc
    if not isinstance(entries, dict) or not all(isinstance(given, dict) for given in entries.values()):
        raise DataError(
            f'{path}: expected a JSON object of entries, {{"name": {{"url": ..., "sha256": ..., "size": ...}}, ...}}.'
        )
    known = {f.name for f in fields(Dataset)}
    registry = Registry(tuple(REGISTRY))
    for name, given in entries.items():
        unknown = set(given) - known
        if unknown:
            raise DataError(
                f"{path}: entry {name!r} has unknown fields {sorted(unknown)}; known: {sorted(known - {'name'})}."
            )
        try:
            base = REGISTRY.get(name) if name in REGISTRY.names() else None
            if base and "url" in given:
                given = {"zenodo_record": None, **given}
            dataset = replace(base, **given) if base else Dataset(name=name, **given)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{path}: entry {name!r} is not a valid data set ({exc}).") from exc
        registry.add(dataset, replace=True)
    return registry


# PLAsTiCC's training set (Kessler et al. 2019), read by data.plasticc: the Zenodo record publishes the files'
# checksums, which are read from it at download time (no SHA256 is known here).
PLASTICC_TRAIN = dict(
    zenodo_record=2539456, files=("plasticc_train_metadata.csv.gz", "plasticc_train_lightcurves.csv.gz")
)
