"""The data command line: ``python data_fetch.py list|fetch|verify|mirror`` (or ``python -m course_utils.data``).

Exit codes (when several data sets fail, the highest code wins):
  0 all done   1 verify/mirror found a missing or corrupted file   2 wrong command or data set name
  3 download failed (network, dead link, server gone)   4 a file failed its SHA256 check on every attempt
  5 not enough disk space
"""

from __future__ import annotations

import argparse
import sys

from tqdm.auto import tqdm

from course_utils.data.cache import CACHE_ENV, cache_dir, cached_path, check_file
from course_utils.data.download import DEFAULT_ATTEMPTS, DEFAULT_TIMEOUT, fetch
from course_utils.data.errors import DataError, DiskSpaceError, DownloadError, IntegrityError, UnknownDatasetError
from course_utils.data.mirror import MIRROR_ENV, mirror_location, write_mirror
from course_utils.data.registry import Dataset, Registry, active_registry

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_DOWNLOAD, EXIT_INTEGRITY, EXIT_DISK = 0, 1, 2, 3, 4, 5
EXIT_CODES = {
    UnknownDatasetError: EXIT_USAGE,
    DownloadError: EXIT_DOWNLOAD,
    IntegrityError: EXIT_INTEGRITY,
    DiskSpaceError: EXIT_DISK,
}


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help=f"cache folder (default: ${CACHE_ENV}, else the user cache folder)")
    common.add_argument(
        "--mirror", help=f"base URL or folder tried before the origin (default: ${MIRROR_ENV}; '' for none)"
    )
    parser = argparse.ArgumentParser(
        prog="data_fetch.py",
        description="Download, check and share the course's data sets.",
        epilog=__doc__.split("\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", parents=[common], help="name, size, source and cache state of each data set")
    fetch_cmd = commands.add_parser("fetch", parents=[common], help="download and verify data sets")
    fetch_cmd.add_argument("names", nargs="*", metavar="NAME")
    fetch_cmd.add_argument("--all", action="store_true", help="every data set in the list")
    fetch_cmd.add_argument(
        "--attempts",
        type=int,
        default=DEFAULT_ATTEMPTS,
        help=f"tries per source after a bad hash or broken transfer (default {DEFAULT_ATTEMPTS})",
    )
    fetch_cmd.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds without an answer before giving up (default {DEFAULT_TIMEOUT:g})",
    )
    verify_cmd = commands.add_parser("verify", parents=[common], help="check the SHA256 of cached files")
    verify_cmd.add_argument("names", nargs="*", metavar="NAME", help="default: every cached data set")
    mirror_cmd = commands.add_parser(
        "mirror", parents=[common], help="copy the verified cache into a folder to serve to a room"
    )
    mirror_cmd.add_argument("folder", metavar="DIR")
    mirror_cmd.add_argument("names", nargs="*", metavar="NAME", help="default: every cached data set")
    return parser


def main(argv: list[str] | None = None, *, registry: Registry | None = None) -> int:
    """Run one command; return the exit code."""
    args = build_parser().parse_args(argv)
    registry = active_registry() if registry is None else registry
    try:
        if args.command == "list":
            return _list(registry, args)
        if args.command == "fetch":
            return _fetch(registry, args)
        if args.command == "verify":
            return _verify(registry, args)
        return _mirror(registry, args)
    except UnknownDatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _chosen(registry: Registry, names: list[str]) -> list[Dataset]:
    return [registry.get(name) for name in names]


def _list(registry: Registry, args) -> int:
    print(f"Cache folder: {cache_dir(args.data_dir)}   (set {CACHE_ENV} to change)")
    location = mirror_location(args.mirror)
    print(f"Mirror: {location or 'none'}   (set {MIRROR_ENV} to a URL or folder tried before the origin)\n")
    rows = [("NAME", "SIZE", "CACHED", "SOURCE")]
    for dataset in registry:
        state = check_file(dataset, cached_path(dataset, args.data_dir), full=False)
        cached = {"ok": "yes", "missing": "no"}.get(state.status, state.status)
        rows.append((dataset.name, _size(dataset), cached, dataset.url))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3])
    print("\n'CACHED yes' checks the size only: run `python data_fetch.py verify` to check the SHA256 hashes.")
    return EXIT_OK


def _fetch(registry: Registry, args) -> int:
    if args.all == bool(args.names):
        print(
            f"error: name the data sets to fetch, or pass --all (not both). Known: {', '.join(registry.names())}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    datasets = list(registry) if args.all else _chosen(registry, args.names)
    codes = []
    for dataset in datasets:
        try:
            path = fetch(
                dataset.name,
                data_home=args.data_dir,
                mirror=args.mirror,
                registry=registry,
                attempts=args.attempts,
                timeout=args.timeout,
            )
        except DataError as exc:
            print(f"\n{dataset.name}: FAILED\n{exc}\n", file=sys.stderr)
            codes.append(EXIT_CODES.get(type(exc), EXIT_DOWNLOAD))
            continue
        print(f"{dataset.name}: ready, SHA256 verified: {path}")
    failed = len(codes)
    if failed:
        print(
            f"{len(datasets) - failed} of {len(datasets)} data sets ready; {failed} failed (see above).",
            file=sys.stderr,
        )
    return max(codes, default=EXIT_OK)


def _verify(registry: Registry, args) -> int:
    named = bool(args.names)
    datasets = _chosen(registry, args.names) if named else list(registry)
    problems = checked = 0
    for dataset in datasets:
        state = check_file(dataset, cached_path(dataset, args.data_dir))
        if state.status == "missing" and not named:
            print(f"{dataset.name}: not downloaded")
            continue
        checked += 1
        if state.ok:
            print(f"{dataset.name}: ok, {state.detail}: {state.path}")
            continue
        problems += 1
        print(
            f"{dataset.name}: {state.status.upper()}, {state.detail}: {state.path}\n"
            f"    fix: python data_fetch.py fetch {dataset.name}   (replaces the bad copy)"
        )
    if checked == 0:
        print(
            f"Nothing to verify: {cache_dir(args.data_dir)} has none of the data sets yet. "
            "Run `python data_fetch.py fetch NAME` (or --all) first."
        )
        return EXIT_PROBLEMS
    return EXIT_PROBLEMS if problems else EXIT_OK


def _mirror(registry: Registry, args) -> int:
    named = bool(args.names)
    datasets = _chosen(registry, args.names) if named else list(registry)
    results = write_mirror(args.folder, datasets, data_home=args.data_dir)
    problems = present = 0
    for result in results:
        if result.status == "skipped" or (named and result.status == "not cached"):
            problems += 1
        present += result.status in ("copied", "up to date")
        print(f"{result.dataset.name}: {result.status} ({result.detail})")
    if present == 0:
        print("Nothing was copied: fetch the data sets first (`python data_fetch.py fetch --all`).")
        return EXIT_PROBLEMS
    print(
        f"\nMirror ready in {args.folder}. Serve it to the room with:\n"
        f"    cd {args.folder} && python -m http.server 8000\n"
        "and have everyone set, before starting Python (or in a notebook with %env):\n"
        f"    {MIRROR_ENV}=http://<this machine's IP address>:8000\n"
        "(find the address with `hostname -I` on Linux, `ipconfig getifaddr en0` on macOS). "
        "Anyone can check the copies with `sha256sum -c SHA256SUMS`."
    )
    return EXIT_PROBLEMS if problems else EXIT_OK


def _size(dataset: Dataset) -> str:
    size = tqdm.format_sizeof(dataset.size, suffix="B", divisor=1000)
    return size if dataset.exact_size else "~" + size
