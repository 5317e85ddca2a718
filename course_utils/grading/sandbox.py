"""Where a notebook's runner and kernel run: a bubblewrap sandbox on Linux, else unisolated and watched.

The sandbox (``bwrap``, the unprivileged sandbox Flatpak is built on) shows the kernel a read-only
system and Python installation, the course package (its visible checks are public) and the data cache,
all at their usual paths; a private writable home (and temporary folder inside it) at the same path as
on the grader's disk, deleted after the notebook; the judge's exchange folder read-only (files a check
writes for the student's code to read). Nothing else exists inside: not the submissions, the output
folder, the hidden checks (hidden even where they sit inside the package), nor the rest of the
instructor's home. It also has no network, its own process namespace (nothing it starts outlives it; it
cannot see the grader's processes), dies with the grader, and a bounded number of processes and threads.
When the grader runs as root each running sandbox gets a user id of its own, unused on the system
(``account``): Linux applies no process limit to root, and a limit per user id keeps one notebook's fork
storm from using up the processes of the others.
The judge (``judge``) runs in a sandbox of its own too, with the exchange folder writable.

Without a sandbox (macOS, no user namespaces, bwrap missing) the grader still grades, says loudly that
the run was not isolated, and ``Fingerprint`` verifies after each notebook that the checks, the course
package and the submissions are unchanged.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import shutil
import site
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import course_utils

SYSTEM_PATHS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
FIRST_UID = 2**20  # sandbox user ids when the grader is root: far above any real account
# Processes and threads one notebook may have: TensorFlow starts a few threads per core.
MAX_PROCESSES = 256 + 32 * (os.cpu_count() or 1)
PACKAGE_DIR = Path(course_utils.__file__).resolve().parent
# The interpreter that runs the runner and the judge, ".." removed: inside the sandbox only the bound folders
# exist, so a path such as venv/../.venv/bin/python (a benchmark started from benchmarks/) would not resolve.
PYTHON = os.path.normpath(sys.executable)


@dataclass(frozen=True)
class Isolation:
    """How notebooks run in this grading run: ``sandboxed``, or why not (``reason``)."""

    sandboxed: bool
    reason: str = ""

    def describe(self) -> str:
        return (
            "isolated: each notebook ran in a bubblewrap sandbox"
            if self.sandboxed
            else f"NOT ISOLATED ({self.reason}): notebooks could read and write the instructor's files; the checks "
            "and the submissions were verified unchanged after each notebook"
        )


AS_USER = (
    "import os, sys; u = int(sys.argv[1]); os.setgroups([]); os.setgid(u); os.setuid(u); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)
_taken: set[int] = set()
_lock = threading.Lock()


@contextmanager
def account():
    """A user id for one sandbox while it runs (root only; otherwise None: bwrap's user namespace suffices)."""
    if os.geteuid() != 0:
        yield None
        return
    with _lock:
        uid = next(u for u in range(FIRST_UID, FIRST_UID + 10_000) if u not in _taken)
        _taken.add(uid)
    try:
        yield uid
    finally:
        with _lock:
            _taken.discard(uid)


def give_away(folder: Path, uid: int | None) -> None:
    """Hand ``folder`` and everything in it to user (and group) ``uid`` (None: nothing to do)."""
    if uid is None:
        return
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, uid, uid)


def readable_paths(share: tuple[Path, ...] = ()) -> list[Path]:
    """What the kernel may read: the system, the Python installation, the course package, the data cache,
    and the folders the instructor shares."""
    from course_utils.data.cache import cache_dir

    paths = [Path(p) for p in SYSTEM_PATHS]
    paths += [Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    paths += [Path(site.getusersitepackages()), PACKAGE_DIR, cache_dir(), *share]
    return [p for p in dict.fromkeys(paths) if os.path.lexists(p)]


def _under(path: Path, folders: list[Path]) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def command(
    argv: list[str],
    writable: list[Path],
    readonly: list[Path],
    secrets: list[Path],
    share: tuple[Path, ...] = (),
    uid: int | None = None,
    bwrap: str = "bwrap",
) -> list[str]:
    """The bwrap command line that runs ``argv`` in the sandbox described in the module docstring, with
    ``writable`` and ``readonly`` folders at their own paths. ``secrets``: files or folders hidden even when
    they lie inside a readable path.

    As root (``uid`` from ``account``), bwrap sets the sandbox up with root's rights (so it can show a Python
    installed under /root) and the process inside switches to ``uid`` before anything else runs; otherwise
    bwrap runs as the user, in a user namespace of its own in which no further namespace can be made.
    """
    readable = readable_paths(share)
    root = uid is not None
    made: set[Path] = set()

    def folders_to(path: Path) -> list[str]:  # the mount point's parents, traversable by nobody
        out = []
        for parent in reversed(path.parents):
            if parent not in made and parent != Path("/") and parent != Path("/tmp"):
                made.add(parent)
                out += ["--perms", "0755", "--dir", str(parent)]
        return out

    args = [
        bwrap,
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        *(["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"] if root else ["--unshare-user", "--disable-userns"]),
        "--die-with-parent",
        "--new-session",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
    ]
    for path in readable:
        if path.is_symlink() and str(path) in SYSTEM_PATHS:  # merged /usr: /bin -> usr/bin
            args += ["--symlink", os.readlink(path), str(path)]
        else:
            args += [*folders_to(path), "--ro-bind", str(path), str(path)]
    for secret in secrets:
        secret = Path(secret).resolve()
        if secret.exists() and _under(secret, readable):
            args += ["--tmpfs", str(secret)] if secret.is_dir() else ["--ro-bind", "/dev/null", str(secret)]
    for device in sorted(glob.glob("/dev/nvidia*")):  # GPUs, so a full-profile run can use them
        args += ["--dev-bind", device, device]
    for path in writable:
        args += [*folders_to(path), "--bind", str(path), str(path)]
    for path in readonly:
        args += [*folders_to(path), "--ro-bind", str(path), str(path)]
    args += ["--chdir", str(writable[0])] if writable else []
    return args + ["--", *([PYTHON, "-c", AS_USER, str(uid)] if root else []), *argv]


@functools.cache
def probe() -> Isolation:
    """Whether the sandbox works here: bwrap exists and can start a process with this module's options."""
    if not sys.platform.startswith("linux"):
        return Isolation(False, f"no sandbox on {sys.platform}: bubblewrap needs Linux")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Isolation(False, "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)")
    with tempfile.TemporaryDirectory(prefix="course-grade-probe-") as folder:
        home, exchange = Path(folder) / "home", Path(folder) / "exchange"
        home.mkdir()
        exchange.mkdir()
        with account() as uid:
            give_away(Path(folder), uid)
            argv = command(
                [PYTHON, "-c", "import course_utils.grading.kernel_side"], [home], [exchange], [], uid=uid, bwrap=bwrap
            )
            try:
                done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired) as error:
                return Isolation(False, f"bubblewrap could not start ({error})")
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return Isolation(False, f"bubblewrap could not start a sandbox here: {why}")
    return Isolation(True)


class Fingerprint:
    """SHA256 of every file under some paths, to tell afterwards whether any was changed, added or removed."""

    def __init__(self, paths: list[Path]):
        self.paths = [Path(p) for p in paths if p is not None]
        self.digests = self._digests()

    def _digests(self) -> dict[str, str]:
        digests = {}
        for root in self.paths:
            files = (
                [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
            )
            for path in files:
                if "__pycache__" in path.parts:
                    continue
                try:
                    digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError:
                    digests[str(path)] = "unreadable"
        return digests

    def changes(self) -> list[str]:
        """The files changed, added or removed since this fingerprint was taken."""
        now = self._digests()
        return sorted(path for path in set(now) | set(self.digests) if now.get(path) != self.digests.get(path))
