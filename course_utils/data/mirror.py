"""Mirrors: a folder or web server holding verified copies of the cached files.

A school with poor Wi-Fi fetches once, writes a mirror folder with ``write_mirror`` (the
``data_fetch.py mirror DIR`` command), serves it with ``python -m http.server``, and every student
sets COURSE_DATA_MIRROR to that address: downloads then try the mirror before the origin.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from course_utils.data.cache import cached_path, check_file
from course_utils.data.registry import Dataset

MIRROR_ENV = "COURSE_DATA_MIRROR"
CHECKSUM_FILE = "SHA256SUMS"
URL_SCHEMES = ("http://", "https://", "ftp://")


def is_url(location: str) -> bool:
    return location.lower().startswith(URL_SCHEMES)


def mirror_location(mirror: str | os.PathLike | None = None) -> str | None:
    """The mirror to try first: ``mirror`` if given (an empty string means none), else $COURSE_DATA_MIRROR."""
    location = os.environ.get(MIRROR_ENV, "") if mirror is None else os.fspath(mirror)
    location = location.strip()
    if location.lower().startswith("file://"):
        location = location[len("file://") :]
    return location or None


def mirror_source(dataset: Dataset, location: str) -> str:
    """The URL or file path of ``dataset`` inside a mirror: the mirror's base plus the file name."""
    if is_url(location):
        return location.rstrip("/") + "/" + dataset.filename
    return str(Path(location).expanduser() / dataset.filename)


@dataclass(frozen=True)
class MirrorResult:
    """What ``write_mirror`` did for one data set.

    status: "copied", "up to date", "not cached" (nothing to copy) or "skipped" (the cached copy
    failed its check, so it was not copied).
    """

    dataset: Dataset
    status: str
    detail: str = ""


def write_mirror(
    folder: str | os.PathLike, datasets: list[Dataset], *, data_home: str | os.PathLike | None = None
) -> list[MirrorResult]:
    """Copy each verified cached file into ``folder`` and write a SHA256SUMS file there.

    A data set that is not cached or fails its hash is skipped (with the reason); nothing
    unverified is ever copied. Copies are written under a temporary name, then renamed.
    """
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for dataset in datasets:
        source = check_file(dataset, cached_path(dataset, data_home))
        if source.status == "missing":
            results.append(
                MirrorResult(dataset, "not cached", f"fetch it first: python data_fetch.py fetch {dataset.name}")
            )
            continue
        if not source.ok:
            results.append(
                MirrorResult(
                    dataset,
                    "skipped",
                    f"the cached copy is {source.status}: {source.detail}; "
                    f"repair it with python data_fetch.py fetch {dataset.name}",
                )
            )
            continue
        target = folder / dataset.filename
        if check_file(dataset, target).ok:
            results.append(MirrorResult(dataset, "up to date", str(target)))
            continue
        partial = target.with_name(target.name + ".part")
        shutil.copyfile(source.path, partial)
        os.replace(partial, target)
        results.append(MirrorResult(dataset, "copied", str(target)))
    _write_checksums(folder, datasets)
    return results


def _write_checksums(folder: Path, datasets: list[Dataset]) -> None:
    """SHA256SUMS in the format ``sha256sum -c`` reads, for the files present in the mirror."""
    lines = [f"{d.sha256}  {d.filename}\n" for d in datasets if (folder / d.filename).is_file()]
    existing = folder / CHECKSUM_FILE
    if existing.is_file():  # keep entries for files this call did not touch
        names = {d.filename for d in datasets}
        lines += [
            line if line.endswith("\n") else line + "\n"
            for line in existing.read_text().splitlines(keepends=True)
            if line.strip() and line.split()[-1] not in names
        ]
    existing.write_text("".join(sorted(lines, key=lambda line: line.split()[-1])))
