"""Safe extraction of downloaded archives (.zip, .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz).

A member that would land outside the destination (an absolute path, ``..``, a link pointing out,
a device file) stops the extraction with an error: nothing from a hostile archive is written
outside its folder. The archive is unpacked into a temporary folder, then renamed into place,
so an interrupted extraction is never mistaken for a complete one.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


def is_archive(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def archive_stem(path: str | os.PathLike) -> str:
    """The archive's name without its archive suffix (``lenses.tar.gz`` -> ``lenses``)."""
    name = Path(path).name
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def extract_archive(archive: str | os.PathLike, destination: str | os.PathLike) -> Path:
    """Extract ``archive`` into the folder ``destination`` (created; must not exist yet) and return it.

    Raises ValueError for an unsafe member or an unknown archive type.
    """
    archive, destination = Path(archive), Path(destination)
    if destination.exists():
        raise FileExistsError(f"{destination} already exists; remove it to extract {archive.name} again.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
    try:
        if archive.name.lower().endswith(".zip"):
            _extract_zip(archive, staging)
        elif is_archive(archive):
            _extract_tar(archive, staging)
        else:
            raise ValueError(f"{archive.name} is not an archive this course reads ({', '.join(ARCHIVE_SUFFIXES)}).")
        os.replace(staging, destination)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return destination


def _extract_zip(archive: Path, folder: Path) -> None:
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            _check_member_name(archive, member.filename)
            is_symlink = (member.external_attr >> 16) & 0o170000 == 0o120000
            if is_symlink:
                raise ValueError(f"Refusing to extract {archive.name}: member {member.filename!r} is a symbolic link.")
        zipped.extractall(folder)


def _extract_tar(archive: Path, folder: Path) -> None:
    if not hasattr(tarfile, "data_filter"):
        raise RuntimeError(
            "This Python has no safe tar extraction (tarfile filters); use Python 3.10.12, 3.11.4, 3.12 or newer."
        )
    with tarfile.open(archive) as tarred:
        for member in tarred.getmembers():
            _check_member_name(archive, member.name)
        try:
            tarred.extractall(folder, filter="data")
        except tarfile.FilterError as exc:
            raise ValueError(f"Refusing to extract {archive.name}: {exc}") from exc


def _check_member_name(archive: Path, name: str) -> None:
    for pure in (PurePosixPath(name), PureWindowsPath(name)):
        if pure.is_absolute() or pure.drive or ".." in pure.parts:
            raise ValueError(
                f"Refusing to extract {archive.name}: member {name!r} would be written outside the destination folder."
            )
