"""A second, independent source for a file's checksum: the Zenodo record that publishes it.

The registry's SHA256s were written by hand; Zenodo publishes an md5 and a size for every file of a
record. ``published_file`` reads them with pooch's Zenodo client (the API call behind pooch's
``doi:`` URLs and ``load_registry_from_doi``), at $COURSE_ZENODO_API when set (tests: 127.0.0.1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import SimpleNamespace

from pooch.downloaders import ZenodoRepository

from course_utils.data.registry import Dataset

ZENODO_API_ENV = "COURSE_ZENODO_API"


@dataclass(frozen=True)
class PublishedFile:
    """What a Zenodo record says about one file: md5 (32 hex digits), size in bytes (None: not given) and
    the address the record serves it from (None: the record gives none)."""

    record: int
    md5: str
    size: int | None
    url: str | None

    @property
    def where(self) -> str:
        return f"Zenodo record {self.record} (doi:10.5281/zenodo.{self.record})"


class _Record(ZenodoRepository):
    """pooch's Zenodo client with the API address of ``api_base()``; an HTTP error (e.g. 429) is raised,
    not parsed as if it were the record."""

    @property
    def api_response(self):
        if self._api_response is None:
            import requests

            response = requests.get(f"{api_base()}/{self.archive_url.rstrip('/').split('/')[-1]}", **self.kwargs)
            response.raise_for_status()
            self._api_response = response.json()
        return self._api_response


def api_base() -> str:
    """Zenodo's records API: $COURSE_ZENODO_API, else pooch's (https://zenodo.org/api/records)."""
    return os.environ.get(ZENODO_API_ENV, "").strip().rstrip("/") or ZenodoRepository.base_api_url


def record_files(record: int, *, timeout: float) -> dict[str, PublishedFile]:
    """Every file of Zenodo record ``record`` that it publishes an md5 for, by file name.

    Raises requests' errors (OSError) when the API cannot be read, ValueError for a reply that is not a record.
    """
    client = _Record(f"10.5281/zenodo.{record}", f"https://zenodo.org/records/{record}", timeout=timeout)
    holder = SimpleNamespace(registry={})
    try:
        client.populate_registry(holder)  # file name -> "md5:<hex>", as pooch reads it
        files = client.api_response["files"]
        sizes = {item.get("key", item.get("filename")): item.get("size") for item in files}
        published = {}
        for name, checksum in holder.registry.items():
            algorithm, _, digest = checksum.partition(":")
            if algorithm == "md5" and len(digest) == 32:
                size = sizes.get(name)
                published[name] = PublishedFile(
                    record, digest.lower(), int(size) if size is not None else None, _download_url(client, name)
                )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the answer for record {record} is not a Zenodo record ({exc!r})") from exc
    return published


def _download_url(client: ZenodoRepository, name: str) -> str | None:
    try:
        return client.download_url(name)
    except KeyError:  # a record listing the file without its links
        return None


def published_file(dataset: Dataset, *, timeout: float) -> PublishedFile:
    """The md5 and size that ``dataset.zenodo_record`` publishes for ``dataset.filename``.

    Raises LookupError when the record does not list the file with an md5, and requests' errors
    (or ValueError for a reply that is not a record) when the API cannot be read.
    """
    published = record_files(dataset.zenodo_record, timeout=timeout)
    if dataset.filename not in published:
        raise LookupError(
            f"record {dataset.zenodo_record} lists no md5 for {dataset.filename} "
            f"(files: {', '.join(published) or 'none'})"
        )
    return published[dataset.filename]
