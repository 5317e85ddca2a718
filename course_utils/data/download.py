"""Verified downloads: the mirror first, then the origin, with bounded retries and timeouts.

``fetch(name)`` returns the path of a cached file whose SHA256 matches the registry, or raises a
``DataError`` whose message says what to do. pooch does each transfer: it streams into a temporary
file, checks the hash and only then moves the file into the cache, so a half-written or corrupted
download is never used.
"""
from __future__ import annotations

import errno
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pooch
from tqdm.auto import tqdm

from course_utils.data.cache import cached_path, check_file
from course_utils.data.errors import DataError, DiskSpaceError, DownloadError, IntegrityError
from course_utils.data.mirror import MIRROR_ENV, is_url, mirror_location, mirror_source
from course_utils.data.registry import REGISTRY, Dataset, Registry

DEFAULT_TIMEOUT = 30.0  # seconds without an answer (to connect, or between bytes) before giving up
DEFAULT_ATTEMPTS = 3  # tries per source when the failure may be passing (bad hash, broken transfer)
RETRY_WAIT = 1.0  # seconds before a retry, times the attempt number
CHUNK_BYTES = 1 << 20
USER_AGENT = "course-utils (deep learning for astronomy course; pooch)"


@dataclass(frozen=True)
class _Failure:
    label: str  # "mirror" or "origin"
    source: str
    reason: str
    attempts: int
    bad_hash: bool


def fetch(name: str, *, data_home: str | os.PathLike | None = None, mirror: str | os.PathLike | None = None,
          registry: Registry | None = None, progressbar: bool = True,
          attempts: int = DEFAULT_ATTEMPTS, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Return the cached, SHA256-verified file of data set ``name``, downloading it if needed.

    A cached copy with the wrong hash is removed and downloaded again. Sources are tried in order:
    the mirror (``mirror``, else $COURSE_DATA_MIRROR: a base URL or a folder), then the origin.
    A bad hash or a broken transfer is retried up to ``attempts`` times per source; a dead link or
    an unreachable host moves on at once. ``timeout`` (s) bounds every wait on the network.
    Raises DownloadError (no source delivered a file), IntegrityError (a copy arrived but none
    passed the SHA256 check) or DiskSpaceError.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}.")
    dataset = (REGISTRY if registry is None else registry).get(name)
    path = cached_path(dataset, data_home)
    if path.exists():
        state = check_file(dataset, path)
        if state.ok:
            return path
        _say(f"The cached {dataset.filename} is {state.status} ({state.detail}): removing it and downloading again.")
        path.unlink()
    _prepare_folder(dataset, path.parent)
    failures = []
    for label, source in _sources(dataset, mirror):
        failure = _try_source(dataset, label, source, path, attempts=attempts, timeout=timeout,
                              progressbar=progressbar)
        if failure is None:
            return path
        failures.append(failure)
        if label == "mirror":
            _say(f"The mirror could not deliver {dataset.filename} ({failure.reason}); trying the origin.")
    raise _final_error(dataset, path, failures)


def _sources(dataset: Dataset, mirror: str | os.PathLike | None) -> list[tuple[str, str]]:
    location = mirror_location(mirror)
    sources = [("mirror", mirror_source(dataset, location))] if location else []
    return sources + [("origin", dataset.url)]


def _prepare_folder(dataset: Dataset, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"Cannot create the data folder {folder} ({exc.strerror}). "
                        "Set COURSE_DATA_DIR to a folder you can write to.") from exc
    free = shutil.disk_usage(folder).free
    if free < dataset.size:
        raise DiskSpaceError(
            f"{dataset.name} needs {_size(dataset.size)} but {folder} has only {_size(free)} free. "
            "Free some space, or set COURSE_DATA_DIR to a folder on a bigger disk.")


def _try_source(dataset: Dataset, label: str, source: str, path: Path, *, attempts: int, timeout: float,
                progressbar: bool) -> _Failure | None:
    """Up to ``attempts`` downloads from one source; None on success, else why it failed."""
    failure = None
    for attempt in range(1, attempts + 1):
        problem = _download_once(dataset, label, source, path, timeout=timeout, progressbar=progressbar)
        if problem is None:
            return None
        reason, may_pass, bad_hash = problem
        failure = _Failure(label, source, reason, attempt, bad_hash)
        if not may_pass or attempt == attempts:
            break
        wait = RETRY_WAIT * attempt
        _say(f"{dataset.filename} from the {label}: attempt {attempt} of {attempts} failed ({reason}); "
             f"trying again in {wait:g} s.")
        time.sleep(wait)
    return failure


def _download_once(dataset: Dataset, label: str, source: str, path: Path, *, timeout: float,
                   progressbar: bool) -> tuple[str, bool, bool] | None:
    """One verified transfer into the cache: None on success, else (reason, may pass, bad hash)."""
    bar = LazyProgressBar(f"{dataset.filename} ({label})") if progressbar else None
    try:
        pooch.retrieve(source, known_hash=f"sha256:{dataset.sha256}", fname=path.name, path=path.parent,
                       downloader=_downloader(source, bar, timeout))
        return None
    except Exception as exc:  # noqa: BLE001 - _explain names each failure or re-raises it
        reason, may_pass = _explain(exc, timeout, dataset)
        return reason, may_pass, isinstance(exc, ValueError)
    finally:
        if bar is not None:
            bar.close()


def _downloader(source: str, bar, timeout: float):
    if is_url(source):
        return pooch.HTTPDownloader(progressbar=bar if bar is not None else False, chunk_size=CHUNK_BYTES,
                                    timeout=timeout, headers={"User-Agent": USER_AGENT})
    return FolderCopy(bar)


class LazyProgressBar:
    """A tqdm byte counter that appears only once a source answers (the downloader sets ``total``
    then), so a source that cannot be reached leaves no empty bar behind."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.bar = None

    @property
    def total(self) -> int | None:
        return None if self.bar is None else self.bar.total

    @total.setter
    def total(self, n_bytes: int) -> None:
        if self.bar is None:
            self.bar = tqdm(desc=self.description, total=n_bytes or None, unit="B", unit_scale=True)
        else:
            self.bar.total = n_bytes

    def update(self, n_bytes: int) -> None:
        if self.bar is not None:
            self.bar.update(n_bytes)

    def reset(self) -> None:
        if self.bar is not None:
            self.bar.reset()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class FolderCopy:
    """A pooch downloader that copies a file from a mirror folder (a local or network drive)."""

    def __init__(self, progressbar=None) -> None:
        self.progressbar = progressbar

    def __call__(self, url: str, output_file: str, pooch_instance) -> None:
        source = Path(url)
        if not source.is_file():
            raise FileNotFoundError(errno.ENOENT, "not in the mirror folder", str(source))
        if self.progressbar is not None:
            self.progressbar.total = source.stat().st_size
        with open(source, "rb") as src, open(output_file, "wb") as dst:
            while chunk := src.read(CHUNK_BYTES):
                dst.write(chunk)
                if self.progressbar is not None:
                    self.progressbar.update(len(chunk))


def _explain(exc: Exception, timeout: float, dataset: Dataset) -> tuple[str, bool]:
    """A short reason for a failed transfer, and whether trying the same source again may help."""
    import requests

    if isinstance(exc, ValueError):  # pooch's hash check
        return "the file arrived with the wrong SHA256: corrupted or cut short on the way", True
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else 0
        if status in (404, 410):
            return f"HTTP {status}: the file is not there (dead link, or moved)", False
        return f"HTTP {status} from the server", status >= 500 or status == 429
    if isinstance(exc, requests.ConnectTimeout):
        return f"no answer within {timeout:g} s (no network, or the host is down)", False
    if isinstance(exc, requests.ReadTimeout):
        return f"the transfer stalled for more than {timeout:g} s", True
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "resolve" in text or "Name or service not known" in text or "nodename" in text:
            return "could not look up the host name (no network?)", False
        if "refused" in text:
            return "connection refused (no server is running at that address)", False
        return f"could not connect ({type(exc).__name__})", False
    if isinstance(exc, requests.RequestException):
        return "the connection broke during the transfer", True
    if isinstance(exc, FileNotFoundError):
        return f"not in the mirror folder ({exc.filename})", False
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        raise DiskSpaceError(f"The disk filled up while downloading {dataset.name} ({_size(dataset.size)}). "
                             "Free some space, or set COURSE_DATA_DIR to a folder on a bigger disk.") from exc
    raise exc


def _final_error(dataset: Dataset, path: Path, failures: list[_Failure]) -> DataError:
    lines = [f"  - {f.label} {f.source}: {f.reason}"
             + (f" ({f.attempts} attempts)" if f.attempts > 1 else "") for f in failures]
    tried = "\n".join(lines)
    if any(f.bad_hash for f in failures):
        return IntegrityError(
            f"{dataset.filename} ({dataset.name}) failed its SHA256 check on every attempt, so it was not saved:\n"
            f"{tried}\n"
            "What to do: run the command again later or on another network; if the room has a mirror, set "
            f"{MIRROR_ENV} to it. If it keeps failing, the file at the source has changed: tell the course "
            "maintainers (the expected SHA256 is in course_utils/data/registry.py).", summary=tried)
    return DownloadError(
        f"Could not download {dataset.name} ({dataset.filename}, {_size(dataset.size)}):\n{tried}\n"
        "What to do:\n"
        f"  - check the network: can this machine open {dataset.url} ?\n"
        f"  - in a room with a local mirror, set {MIRROR_ENV}=http://HOST:8000 (ask the teaching assistants)\n"
        f"  - or copy {dataset.filename} from someone who has it to {path} and run "
        f"`python data_fetch.py verify {dataset.name}`\n"
        f"Then run `python data_fetch.py fetch {dataset.name}` again.", summary=tried)


def _size(n_bytes: int) -> str:
    return tqdm.format_sizeof(n_bytes, suffix="B", divisor=1000)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
