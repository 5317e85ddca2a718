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
    """What a Zenodo record says about one file: md5 (32 hex digits) and size in bytes (None: not given)."""

    record: int
    md5: str
    size: int | None

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


def published_file(dataset: Dataset, *, timeout: float) -> PublishedFile:
    """The md5 and size that ``dataset.zenodo_record`` publishes for ``dataset.filename``.

    Raises LookupError when the record does not list the file with an md5, and requests' errors
    (or ValueError for a reply that is not a record) when the API cannot be read.
    """
    record = dataset.zenodo_record
    client = _Record(f"10.5281/zenodo.{record}", f"https://zenodo.org/records/{record}", timeout=timeout)
    holder = SimpleNamespace(registry={})
    try:
        client.populate_registry(holder)  # file name -> "md5:<hex>", as pooch reads it
        files = client.api_response["files"]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the answer for record {record} is not a Zenodo record ({exc!r})") from exc
    algorithm, _, digest = holder.registry.get(dataset.filename, "").partition(":")
    if algorithm != "md5" or len(digest) != 32:
        raise LookupError(f"record {record} lists no md5 for {dataset.filename} "
                          f"(files: {', '.join(holder.registry) or 'none'})")
    sizes = [item.get("size") for item in files if dataset.filename in (item.get("key"), item.get("filename"))]
    return PublishedFile(record, digest.lower(), int(sizes[0]) if sizes and sizes[0] is not None else None)
