"""Tests of what the origin says back: rate limits (HTTP 429 + Retry-After), a second source of
checksums (a stand-in of Zenodo's records API on 127.0.0.1), and the registry override file."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace

import pytest

from course_utils.data import DataError, Dataset, DownloadError, IntegrityError, Registry, download, fetch
from course_utils.data.registry import active_registry
from httpserver import FileServer

PAYLOAD = bytes(range(256)) * 1024  # 256 KiB of known bytes
RECORD = 4242


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    for name in ("COURSE_DATA_MIRROR", "COURSE_OFFLINE", "COURSE_DATA_REGISTRY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(download, "RETRY_WAIT", 0.0)


@pytest.fixture
def server(monkeypatch):
    with FileServer() as running:
        monkeypatch.setenv("COURSE_ZENODO_API", running.url("api/records"))
        yield running


def entry(url: str, *, sha256: str | None = None, size: int | None = None, record: int | None = RECORD) -> Dataset:
    return Dataset(
        name="galaxies",
        filename="galaxies.h5",
        url=url,
        sha256=sha256 or hashlib.sha256(PAYLOAD).hexdigest(),
        size=size or len(PAYLOAD),
        zenodo_record=record,
    )


def publish(server: FileServer, *, md5: str | None = None, size: int | None = None) -> None:
    """Serve the record as Zenodo's API does (InvenioRDM: files with key, size and "md5:..." checksum)."""
    files = [
        {
            "key": "galaxies.h5",
            "size": size or len(PAYLOAD),
            "checksum": f"md5:{md5 or hashlib.md5(PAYLOAD).hexdigest()}",
            "links": {"self": server.url(f"records/{RECORD}/files/galaxies.h5/content")},
        },
        {"key": "README.txt", "size": 5, "checksum": "md5:" + "0" * 32, "links": {}},
    ]
    server.add(f"api/records/{RECORD}", json.dumps({"id": RECORD, "files": files}).encode())


# --- rate limits ----------------------------------------------------------------------------------


def test_a_rate_limit_is_waited_out_as_retry_after_asks(server, capsys):
    url = server.add("galaxies.h5", PAYLOAD, refusals=[(429, {"Retry-After": "1"})])
    start = time.perf_counter()
    path = fetch("galaxies", registry=Registry((entry(url, record=None),)), progressbar=False)
    assert path.read_bytes() == PAYLOAD and server.requests["galaxies.h5"] == 2
    assert time.perf_counter() - start >= 1.0  # honoured the header
    said = capsys.readouterr().out
    assert "HTTP 429 (Too Many Requests)" in said and "Waiting 1 s as it asks (Retry-After)" in said
    assert "mirror" in said  # the way out for a whole class


def test_a_rate_limit_without_retry_after_backs_off_a_bounded_number_of_times(server, monkeypatch):
    monkeypatch.setattr(download, "RATE_LIMIT_WAIT", 0.01)
    url = server.add("galaxies.h5", PAYLOAD, refusals=[(429, {})] * 5)
    with pytest.raises(DownloadError, match="rate-limiting") as error:
        fetch("galaxies", registry=Registry((entry(url, record=None),)), progressbar=False, attempts=3)
    assert server.requests["galaxies.h5"] == 3
    assert "about 100 requests a minute" in str(error.value) and "COURSE_DATA_MIRROR" in str(error.value)


def test_a_retry_after_longer_than_the_bound_gives_up_at_once_and_says_when(server):
    url = server.add("galaxies.h5", PAYLOAD, refusals=[(503, {"Retry-After": "3600"})])
    start = time.perf_counter()
    with pytest.raises(DownloadError, match="asks to wait 3600 s") as error:
        fetch("galaxies", registry=Registry((entry(url, record=None),)), progressbar=False)
    assert time.perf_counter() - start < 5 and server.requests["galaxies.h5"] == 1
    assert "try again in 60 min" in str(error.value)


def test_retry_after_reads_seconds_and_dates():
    assert download.retry_after("7") == 7.0
    assert download.retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: at once
    assert download.retry_after(None) is None and download.retry_after("soon") is None


# --- a second source of checksums -----------------------------------------------------------------


def test_a_download_that_agrees_with_registry_and_record_is_kept(server):
    publish(server)
    path = fetch("galaxies", registry=Registry((entry(server.add("galaxies.h5", PAYLOAD)),)), progressbar=False)
    assert path.read_bytes() == PAYLOAD and server.requests[f"api/records/{RECORD}"] == 1


def test_a_mistyped_registry_hash_is_caught_by_the_record_without_retrying(server, tmp_path):
    publish(server)
    wrong = entry(server.add("galaxies.h5", PAYLOAD), sha256="ab" * 32)
    with pytest.raises(IntegrityError) as error:
        fetch("galaxies", registry=Registry((wrong,)), progressbar=False, attempts=3)
    message = str(error.value)
    assert f"Zenodo record {RECORD}" in message and "the registry's hash is wrong" in message
    assert hashlib.sha256(PAYLOAD).hexdigest() in message  # the value to put in the registry
    assert server.requests["galaxies.h5"] == 1  # not downloaded three times
    assert not (tmp_path / "cache" / "galaxies.h5").exists()


def test_a_record_that_disagrees_with_the_registry_is_said_and_the_file_not_kept(server, tmp_path):
    publish(server, md5="f" * 32)
    with pytest.raises(IntegrityError, match="matches the registry's SHA256 but not the md5 the record publishes"):
        fetch("galaxies", registry=Registry((entry(server.add("galaxies.h5", PAYLOAD)),)), progressbar=False)
    assert not (tmp_path / "cache" / "galaxies.h5").exists()


def test_a_registry_size_the_record_contradicts_is_said_and_the_file_not_kept(server, tmp_path):
    publish(server, size=len(PAYLOAD) + 1)
    with pytest.raises(IntegrityError, match=f"registry says {len(PAYLOAD):,} bytes, the record publishes"):
        fetch("galaxies", registry=Registry((entry(server.add("galaxies.h5", PAYLOAD)),)), progressbar=False)
    assert not (tmp_path / "cache" / "galaxies.h5").exists()


def test_an_approximate_registry_size_is_given_the_published_one(server, capsys):
    publish(server)
    approximate = replace(entry(server.add("galaxies.h5", PAYLOAD)), size=len(PAYLOAD) + 999, exact_size=False)
    fetch("galaxies", registry=Registry((approximate,)), progressbar=False)
    assert f"set size={len(PAYLOAD)}, exact_size=True" in capsys.readouterr().out


def test_no_file_arrived_no_question_to_the_record(server):
    publish(server)
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch("galaxies", registry=Registry((entry(server.url("nothing.h5")),)), progressbar=False)
    assert server.requests[f"api/records/{RECORD}"] == 0  # an offline run never queries Zenodo


def test_a_corrupted_transfer_is_still_retried_when_the_record_is_known(server):
    publish(server)
    url = server.add("galaxies.h5", b"X" + PAYLOAD[1:])  # matches neither: the transfer is at fault
    with pytest.raises(IntegrityError, match="failed its SHA256 check on every attempt"):
        fetch("galaxies", registry=Registry((entry(url),)), progressbar=False, attempts=2)
    assert server.requests["galaxies.h5"] == 2


def test_an_unreachable_record_falls_back_to_the_registry_alone(server, capsys):
    server.add(f"api/records/{RECORD}", b"", refusals=[(429, {"Retry-After": "1"})])
    path = fetch("galaxies", registry=Registry((entry(server.add("galaxies.h5", PAYLOAD)),)), progressbar=False)
    assert path.read_bytes() == PAYLOAD
    said = capsys.readouterr().out
    assert f"Could not read Zenodo record {RECORD}" in said and "(HTTP 429)" in said
    assert "relying on the registry's SHA256 alone" in said


def test_a_mirror_download_does_not_ask_the_record(server, monkeypatch):
    publish(server)
    mirror = FileServer()
    with mirror:
        mirror.add("galaxies.h5", PAYLOAD)
        monkeypatch.setenv("COURSE_DATA_MIRROR", mirror.url())
        fetch("galaxies", registry=Registry((entry(server.url("galaxies.h5")),)), progressbar=False)
    assert server.requests[f"api/records/{RECORD}"] == 0  # a room of students never floods Zenodo


def test_the_course_registry_names_the_records_of_its_zenodo_files():
    records = {d.name: d.zenodo_record for d in active_registry() if "zenodo.org" in d.url}
    assert records["galaxy10_sdss"] == 10844811 and records["galaxy10_decals"] == 10845026
    assert all(f"/records/{record}/" in active_registry().get(name).url for name, record in records.items())


# --- the registry override file -------------------------------------------------------------------


def test_a_registry_file_overrides_and_adds_entries(tmp_path, monkeypatch):
    registry_file = tmp_path / "registry.json"
    registry_file.write_text(
        json.dumps(
            {
                "mnist": {"url": "http://127.0.0.1:1/mnist.npz", "sha256": "0" * 64, "size": 10},
                "galaxy10_decals": {"url": "http://127.0.0.1:1/Galaxy10_DECals.h5", "sha256": "2" * 64, "size": 7},
                "extra": {
                    "filename": "extra.csv",
                    "url": "http://127.0.0.1:1/extra.csv",
                    "sha256": "1" * 64,
                    "size": 3,
                },
            }
        )
    )
    monkeypatch.setenv("COURSE_DATA_REGISTRY", str(registry_file))
    registry = active_registry()
    assert registry.get("mnist").url == "http://127.0.0.1:1/mnist.npz"
    assert registry.get("mnist").filename == "mnist.npz"  # kept from the course's entry
    assert registry.get("extra").filename == "extra.csv" and "galaxy10_sdss" in registry.names()
    assert registry.get("galaxy10_sdss").zenodo_record == 10844811  # untouched entries keep their record
    assert registry.get("galaxy10_decals").zenodo_record is None  # another file: Zenodo is not asked about it
    monkeypatch.delenv("COURSE_DATA_REGISTRY")
    assert active_registry().get("mnist").url.startswith("https://")


@pytest.mark.parametrize(
    "content, problem",
    [
        ("{not json", "not a readable JSON registry file"),
        ('["mnist"]', "expected a JSON object of entries"),
        ('{"mnist": {"md5": "x"}}', "unknown fields"),
        ('{"new": {"url": "http://x"}}', "not a valid data set"),
    ],
)
def test_a_bad_registry_file_says_what_is_wrong(tmp_path, monkeypatch, content, problem):
    registry_file = tmp_path / "registry.json"
    registry_file.write_text(content)
    monkeypatch.setenv("COURSE_DATA_REGISTRY", str(registry_file))
    with pytest.raises(DataError, match=problem):
        active_registry()
