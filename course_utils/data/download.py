"""Verified downloads: the mirror first, then the origin, with bounded retries and timeouts.

``fetch(name)`` returns the path of a cached file whose SHA256 matches the registry, or raises a
``DataError`` whose message says what to do. pooch does each transfer: it streams into a temporary
file, checks the hash and only then moves the file into the cache, so a half-written or corrupted
download is never used (a broken transfer starts again from the beginning). A server that rate-limits
(HTTP 429 or 503) is waited for as long as its Retry-After asks, up to ``MAX_RETRY_AFTER``. When the
registry entry names a Zenodo record, a download from the origin is also checked against the md5 and
size the record publishes, so a mistyped registry hash is caught, and the message says which disagrees.
"""

from __future__ import annotations

import email.utils
import errno
import hashlib
import logging
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pooch
from tqdm.auto import tqdm

from course_utils.data.cache import cached_path, check_file
from course_utils.data.errors import DataError, DiskSpaceError, DownloadError, IntegrityError
from course_utils.data.mirror import MIRROR_ENV, is_url, mirror_location, mirror_source
from course_utils.data.registry import Dataset, Registry, active_registry
from course_utils.data.zenodo import PublishedFile, published_file

DEFAULT_TIMEOUT = 30.0  # seconds without an answer (to connect, or between bytes) before giving up
DEFAULT_ATTEMPTS = 3  # tries per source when the failure may be passing (bad hash, broken transfer, rate limit)
RETRY_WAIT = 1.0  # seconds before a retry, times the attempt number
RATE_LIMIT_WAIT = 10.0  # seconds before retrying a rate-limited source that gave no Retry-After, times the attempt
MAX_RETRY_AFTER = 120.0  # longest wait (s) a server may ask for; a longer one ends the attempts at once
CHUNK_BYTES = 1 << 20
USER_AGENT = "course-utils (deep learning for astronomy course; pooch)"
RATE_LIMIT_ADVICE = (
    "the server limits how many downloads it serves per minute (Zenodo: about 100 requests "
    "a minute), e.g. when a whole class downloads at once: fetch once and share a mirror "
    f"({MIRROR_ENV}; docs/instructor-guide.md)"
)


@dataclass(frozen=True)
class _Problem:
    """Why one transfer failed: may_pass (retrying may help), bad_hash, wait (s the server asked for)."""

    reason: str
    may_pass: bool
    bad_hash: bool = False
    wait: float | None = None
    rate_limited: bool = False


@dataclass(frozen=True)
class _Failure:
    label: str  # "mirror" or "origin"
    source: str
    problem: _Problem
    attempts: int


def fetch(
    name: str,
    *,
    data_home: str | os.PathLike | None = None,
    mirror: str | os.PathLike | None = None,
    registry: Registry | None = None,
    progressbar: bool = True,
    attempts: int = DEFAULT_ATTEMPTS,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Return the cached, SHA256-verified file of data set ``name``, downloading it if needed.

    A cached copy with the wrong hash is removed and downloaded again. Sources are tried in order:
    the mirror (``mirror``, else $COURSE_DATA_MIRROR: a base URL or a folder), then the origin.
    A bad hash, a broken transfer or a rate limit is retried up to ``attempts`` times per source;
    a dead link or an unreachable host moves on at once. ``timeout`` (s) bounds every wait on the
    network. ``registry`` defaults to ``active_registry()``. Raises DownloadError (no source
    delivered a file), IntegrityError (a copy arrived but none passed the checks, or the registry
    and the Zenodo record disagree) or DiskSpaceError.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}.")
    dataset = (active_registry() if registry is None else registry).get(name)
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
        failure = _try_source(dataset, label, source, path, attempts=attempts, timeout=timeout, progressbar=progressbar)
        if failure is None:
            return path
        failures.append(failure)
        if label == "mirror":
            _say(f"The mirror could not deliver {dataset.filename} ({failure.problem.reason}); trying the origin.")
    raise _final_error(dataset, path, failures)


def _sources(dataset: Dataset, mirror: str | os.PathLike | None) -> list[tuple[str, str]]:
    location = mirror_location(mirror)
    sources = [("mirror", mirror_source(dataset, location))] if location else []
    return sources + [("origin", dataset.url)]


def _prepare_folder(dataset: Dataset, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"Cannot create the data folder {folder} ({exc.strerror}). "
            "Set COURSE_DATA_DIR to a folder you can write to."
        ) from exc
    free = shutil.disk_usage(folder).free
    if free < dataset.size:
        raise DiskSpaceError(
            f"{dataset.name} needs {_size(dataset.size)} but {folder} has only {_size(free)} free. "
            "Free some space, or set COURSE_DATA_DIR to a folder on a bigger disk."
        )


def _try_source(
    dataset: Dataset, label: str, source: str, path: Path, *, attempts: int, timeout: float, progressbar: bool
) -> _Failure | None:
    """Up to ``attempts`` downloads from one source; None on success, else why it failed.

    From the origin, once a file has arrived, the Zenodo record (when the entry names one) is read and
    the file compared with it; a disagreement with the registry raises IntegrityError at once. The
    record is only asked then, so offline runs and mirrors never query Zenodo.
    """
    failure, published, asked = None, None, False
    cross_check = label == "origin" and dataset.zenodo_record is not None
    for attempt in range(1, attempts + 1):
        problem, digests = _download_once(
            dataset, label, source, path, timeout=timeout, progressbar=progressbar, digests=cross_check
        )
        if digests:
            if not asked:
                published, asked = _second_source(dataset, timeout), True
            if published:
                _compare(dataset, published, digests, path, sha256_ok=problem is None)
        if problem is None:
            return None
        failure = _Failure(label, source, problem, attempt)
        if problem.wait is not None and problem.wait > MAX_RETRY_AFTER:
            failure = _Failure(
                label,
                source,
                _Problem(
                    f"{problem.reason}; it asks to wait {problem.wait:g} s, longer than the {MAX_RETRY_AFTER:g} s "
                    f"this waits: try again in {problem.wait / 60:.0f} min",
                    False,
                    rate_limited=True,
                ),
                attempt,
            )
            break
        if not problem.may_pass or attempt == attempts:
            break
        if problem.rate_limited:
            wait = problem.wait if problem.wait is not None else RATE_LIMIT_WAIT * attempt
            because = "as it asks (Retry-After)" if problem.wait is not None else "(it gave no Retry-After)"
            _say(
                f"{dataset.filename} from the {label}: {problem.reason}; {RATE_LIMIT_ADVICE}. "
                f"Waiting {wait:g} s {because}, then attempt {attempt + 1} of {attempts}."
            )
        else:
            wait = RETRY_WAIT * attempt
            _say(
                f"{dataset.filename} from the {label}: attempt {attempt} of {attempts} failed ({problem.reason}); "
                f"trying again in {wait:g} s."
            )
        time.sleep(wait)
    return failure


def _download_once(
    dataset: Dataset, label: str, source: str, path: Path, *, timeout: float, progressbar: bool, digests: bool
) -> tuple[_Problem | None, dict[str, str] | None]:
    """One verified transfer into the cache: (None or why it failed, and with ``digests`` the md5 and
    SHA256 of what arrived, None when nothing arrived)."""
    bar = LazyProgressBar(f"{dataset.filename} ({label})") if progressbar else None
    downloader = _downloader(source, bar, timeout)
    recorder = Digests(downloader) if digests else None
    try:
        with _quiet_pooch():
            pooch.retrieve(
                source,
                known_hash=f"sha256:{dataset.sha256}",
                fname=path.name,
                path=path.parent,
                downloader=recorder or downloader,
            )
        return None, recorder and recorder.digests
    except Exception as exc:  # noqa: BLE001 - _explain names each failure or re-raises it
        return _explain(exc, timeout, dataset), recorder and recorder.digests
    finally:
        if bar is not None:
            bar.close()


@contextmanager
def _quiet_pooch():
    """Silence pooch's "Downloading data from URL to file PATH" line: the progress bar says it, without the path."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class Digests:
    """Wraps a pooch downloader: after each transfer, records the md5 and SHA256 of the bytes that arrived
    (``digests``), before pooch checks them, so a mismatch can be compared with a second source."""

    def __init__(self, downloader) -> None:
        self.downloader = downloader
        self.digests: dict[str, str] | None = None

    def __call__(self, url: str, output_file: str, pooch_instance) -> None:
        self.downloader(url, output_file, pooch_instance)
        md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        with open(output_file, "rb") as file:
            while chunk := file.read(CHUNK_BYTES):
                md5.update(chunk)
                sha256.update(chunk)
        self.digests = {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def _second_source(dataset: Dataset, timeout: float) -> PublishedFile | None:
    """The record's md5 and size, or None (and a message) when the record cannot be read."""
    import requests

    try:
        return published_file(dataset, timeout=timeout)
    except (requests.RequestException, ValueError, LookupError) as exc:
        _say(
            f"Could not read Zenodo record {dataset.zenodo_record} to cross-check {dataset.filename} "
            f"({_short(exc)}): relying on the registry's SHA256 alone."
        )
        return None


def _compare(
    dataset: Dataset, published: PublishedFile, digests: dict[str, str], path: Path, *, sha256_ok: bool
) -> None:
    """Raise IntegrityError when the registry and the record disagree about the file that arrived.

    Both agree: nothing. Neither matches: a corrupted transfer, left to the retries.
    """
    record_ok = digests["md5"] == published.md5
    if sha256_ok and not record_ok:
        path.unlink(missing_ok=True)
        raise _disagreement(
            dataset,
            published,
            f"the file matches the registry's SHA256 but not the md5 "
            f"the record publishes ({published.md5}; it has md5 "
            f"{digests['md5']}): the record changed, or the registry "
            "names another file. The file was not kept",
        )
    if record_ok and not sha256_ok:
        raise _disagreement(
            dataset,
            published,
            f"the file matches the record's md5 ({published.md5}) but not "
            f"the registry's SHA256 ({dataset.sha256}; it has SHA256 "
            f"{digests['sha256']}): the registry's hash is wrong",
        )
    if record_ok and published.size and published.size != dataset.size:
        if dataset.exact_size:
            path.unlink(missing_ok=True)
            raise _disagreement(
                dataset,
                published,
                f"the registry says {dataset.size:,} bytes, the record "
                f"publishes {published.size:,}: the registry's size is wrong",
            )
        _say(
            f"{dataset.filename}: {published.where} publishes its exact size, {published.size:,} bytes; the "
            f"registry's {dataset.size:,} is approximate (maintainers: set size={published.size}, exact_size=True)."
        )


def _disagreement(dataset: Dataset, published: PublishedFile, what: str) -> IntegrityError:
    summary = f"the registry and {published.where} disagree about {dataset.filename}: {what}"
    return IntegrityError(
        f"{dataset.name}: {summary}.\nNothing was downloaded again (retrying cannot fix this). "
        "Tell the course maintainers; the registry entry is in course_utils/data/registry.py.",
        summary=summary,
    )


def _downloader(source: str, bar, timeout: float):
    if is_url(source):
        return pooch.HTTPDownloader(
            progressbar=bar if bar is not None else False,
            chunk_size=CHUNK_BYTES,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
        )
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


def _explain(exc: Exception, timeout: float, dataset: Dataset) -> _Problem:
    """A short reason for a failed transfer, and whether trying the same source again may help."""
    import requests

    if isinstance(exc, ValueError):  # pooch's hash check
        return _Problem(
            "the file arrived with the wrong SHA256: corrupted or cut short on the way", True, bad_hash=True
        )
    if isinstance(exc, requests.HTTPError):
        response = exc.response
        status = response.status_code if response is not None else 0
        if status in (404, 410):
            return _Problem(f"HTTP {status}: the file is not there (dead link, or moved)", False)
        if status in (429, 503):
            wait = retry_after(response.headers.get("Retry-After")) if response is not None else None
            what = "Too Many Requests" if status == 429 else "Service Unavailable"
            return _Problem(f"HTTP {status} ({what}): the server is rate-limiting", True, wait=wait, rate_limited=True)
        return _Problem(f"HTTP {status} from the server", status >= 500)
    if isinstance(exc, requests.ConnectTimeout):
        return _Problem(f"no answer within {timeout:g} s (no network, or the host is down)", False)
    if isinstance(exc, requests.ReadTimeout):
        return _Problem(f"the transfer stalled for more than {timeout:g} s", True)
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "resolve" in text or "Name or service not known" in text or "nodename" in text:
            return _Problem("could not look up the host name (no network?)", False)
        if "refused" in text:
            return _Problem("connection refused (no server is running at that address)", False)
        return _Problem(f"could not connect ({type(exc).__name__})", False)
    if isinstance(exc, requests.RequestException):
        return _Problem("the connection broke during the transfer", True)
    if isinstance(exc, FileNotFoundError):
        return _Problem(f"not in the mirror folder ({exc.filename})", False)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        raise DiskSpaceError(
            f"The disk filled up while downloading {dataset.name} ({_size(dataset.size)}). "
            "Free some space, or set COURSE_DATA_DIR to a folder on a bigger disk."
        ) from exc
    raise exc


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from an HTTP Retry-After header (a number of seconds or a date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _final_error(dataset: Dataset, path: Path, failures: list[_Failure]) -> DataError:
    lines = [
        f"  - {f.label} {f.source}: {f.problem.reason}" + (f" ({f.attempts} attempts)" if f.attempts > 1 else "")
        for f in failures
    ]
    tried = "\n".join(lines)
    if any(f.problem.bad_hash for f in failures):
        return IntegrityError(
            f"{dataset.filename} ({dataset.name}) failed its SHA256 check on every attempt, so it was not saved:\n"
            f"{tried}\n"
            "What to do: run the command again later or on another network; if the room has a mirror, set "
            f"{MIRROR_ENV} to it. If it keeps failing, the file at the source has changed: tell the course "
            "maintainers (the expected SHA256 is in course_utils/data/registry.py).",
            summary=tried,
        )
    limited = [f"  - {RATE_LIMIT_ADVICE}\n"] if any(f.problem.rate_limited for f in failures) else []
    return DownloadError(
        f"Could not download {dataset.name} ({dataset.filename}, {_size(dataset.size)}):\n{tried}\n"
        "What to do:\n" + "".join(limited) + f"  - check the network: can this machine open {dataset.url} ?\n"
        f"  - in a room with a local mirror, set {MIRROR_ENV}=http://HOST:8000 (ask the teaching assistants)\n"
        f"  - or copy {dataset.filename} from someone who has it to {path} and run "
        f"`python data_fetch.py verify {dataset.name}`\n"
        f"Then run `python data_fetch.py fetch {dataset.name}` again.",
        summary=tried,
    )


def _short(exc: Exception) -> str:
    """A one-line reason for a failed request to the record."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.ConnectionError):
        return "could not connect"
    return (str(exc).splitlines() or [type(exc).__name__])[0][:160]


def _size(n_bytes: int) -> str:
    return tqdm.format_sizeof(n_bytes, suffix="B", divisor=1000)


def _say(message: str) -> None:
    """Progress and retry messages go to standard output: in a notebook they are part of the story, not errors."""
    print(message, flush=True)
