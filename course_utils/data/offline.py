"""Real data when the network allows, a stand-in otherwise, and never silently.

Each loader asks ``real_file`` for its verified file. When that is impossible (offline=True,
COURSE_OFFLINE=1, or no source answered) the loader uses its embedded default and calls
``announce_stand_in``, which prints what was used, why, and how to get the real data.
"""

from __future__ import annotations

import os
from pathlib import Path

from course_utils.data.cache import display_path
from course_utils.data.download import fetch
from course_utils.data.errors import DownloadError
from course_utils.data.mirror import MIRROR_ENV
from course_utils.data.registry import active_registry

OFFLINE_ENV = "COURSE_OFFLINE"


def offline_from_env() -> bool:
    """True when COURSE_OFFLINE is set to 1, true or yes."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes")


def real_file(name: str, *, offline: bool | None, data_home: str | os.PathLike | None) -> tuple[Path | None, str]:
    """The verified file of data set ``name``, or (None, why the stand-in is used).

    offline=True: never touch the network or the cache. offline=None: COURSE_OFFLINE=1 means
    offline; otherwise download (or use the cache) and fall back only when no source answered.
    offline=False: the real data or an error. A file that fails its hash always raises
    (IntegrityError): a corrupted download is never used and never hidden behind a stand-in.
    """
    if offline:
        return None, "offline=True was passed"
    if offline is None and offline_from_env():
        return None, f"{OFFLINE_ENV}={os.environ[OFFLINE_ENV]} is set"
    try:
        return fetch(name, data_home=data_home), ""
    except DownloadError as exc:
        if offline is False:
            raise
        return None, "no source could deliver the file:\n" + _indent(exc.summary, "    ")


def describe_real(title: str, name: str, path: Path) -> str:
    """Where a real data set came from, in words: its origin URL and its verified cache file."""
    return f"{title} from {active_registry().get(name).url} (SHA256 verified, cached at {display_path(path)})"


def announce_stand_in(title: str, used: str, why: str, fetch_name: str | None, extra: str = "") -> None:
    """Print a framed message: a stand-in replaces the real data set, why, and how to get the real one."""
    how = (
        f"python data_fetch.py fetch {fetch_name}   (or set {MIRROR_ENV} to the room's mirror)" if fetch_name else extra
    )
    rule = "=" * 78
    lines = [
        rule,
        f"{title}: using a STAND-IN, not the real data set.",
        f"  Used: {used}",
        f"  Why:  {why}",
        f"  Real data: {how}",
    ]
    if fetch_name and extra:
        lines.append(f"  Note: {extra}")
    print("\n".join(lines + [rule]), flush=True)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())
