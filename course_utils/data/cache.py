"""The local cache folder: where it is, what is in it, and whether a file there is intact.

COURSE_DATA_DIR sets the folder (default: the user cache folder, e.g. ``~/.cache/course-data``).
Only files whose SHA256 matches the registry are ever used.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pooch

from course_utils.data.registry import Dataset

CACHE_ENV = "COURSE_DATA_DIR"


def cache_dir(data_home: str | os.PathLike | None = None) -> Path:
    """The cache folder: ``data_home`` if given, else $COURSE_DATA_DIR, else the user cache folder."""
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path(pooch.os_cache("course-data"))


def cached_path(dataset: Dataset, data_home: str | os.PathLike | None = None) -> Path:
    """Where ``dataset`` lives in the cache (whether or not it is there)."""
    return cache_dir(data_home) / dataset.filename


def display_path(path: str | os.PathLike) -> str:
    """``path`` as shown to students: the home folder as ``~`` and the temporary folder as ``$TMPDIR``
    (the longer of the two that contains it), so that printed paths name no user or machine."""
    text = os.fspath(Path(path).expanduser().absolute())
    for folder, shown in sorted(
        ((tempfile.gettempdir(), "$TMPDIR"), (str(Path.home()), "~")), key=lambda pair: -len(pair[0])
    ):
        folder = folder.rstrip(os.sep)
        if folder and (text == folder or text.startswith(folder + os.sep)):
            return shown + text[len(folder) :]
    return text


def sha256_of(path: str | os.PathLike) -> str:
    """SHA256 of a file as 64 lowercase hex digits (reads it in chunks)."""
    return pooch.file_hash(str(path), alg="sha256")


@dataclass(frozen=True)
class FileCheck:
    """The state of one file: status is "ok", "missing", "incomplete" or "corrupted"."""

    dataset: Dataset
    path: Path
    status: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def check_file(dataset: Dataset, path: str | os.PathLike, *, full: bool = True) -> FileCheck:
    """Check a file against its registry entry.

    full=True hashes the file (the real check); full=False only compares the size (instant; a file
    that passes is reported as "ok" meaning "present, size right, hash not checked").
    """
    path = Path(path)
    if not path.is_file():
        return FileCheck(dataset, path, "missing", "not downloaded")
    size = path.stat().st_size
    if dataset.exact_size and size != dataset.size:
        return FileCheck(
            dataset, path, "incomplete", f"{size:,} bytes instead of {dataset.size:,} (truncated or a different file)"
        )
    if not full:
        return FileCheck(dataset, path, "ok", "present (size checked, hash not checked)")
    digest = sha256_of(path)
    if digest != dataset.sha256:
        return FileCheck(dataset, path, "corrupted", f"SHA256 {digest} instead of {dataset.sha256}")
    return FileCheck(dataset, path, "ok", f"SHA256 verified ({size:,} bytes)")
