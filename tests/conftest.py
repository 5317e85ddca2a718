"""Shared pytest set-up: the ``kernel`` marker and its guard.

Tests that start a Jupyter kernel (nbclient, the grader's runner, nbval in a child pytest) carry
``@pytest.mark.kernel``. ``make test-fast`` sets COURSE_TESTS_NO_KERNEL=1: the marked tests are deselected
and starting a kernel from any other test raises, naming the marker, so an unmarked kernel test cannot slip
into the fast selection. The guard sees the test's own process and child pytest runs; a test that starts the
grader's command line (which starts kernels in its own children) is marked by hand.
"""

from __future__ import annotations

import os
import subprocess

import pytest

NO_KERNEL_ENV = "COURSE_TESTS_NO_KERNEL"
# Command-line arguments of a process that is or starts a Jupyter kernel: the kernel itself, the grader's runner,
# a pytest running nbval.
KERNEL_ARGUMENTS = ("ipykernel_launcher", "course_utils.grading.runner", "--nbval", "--nbval-lax")


class KernelStarted(RuntimeError):
    """A test outside the ``kernel`` marker started a Jupyter kernel."""


def starts_a_kernel(args) -> bool:
    """Whether a Popen argument list (or shell command) starts a kernel or a process that runs one."""
    words = os.fsdecode(args).split() if isinstance(args, (str, bytes)) else [os.fsdecode(a) for a in args]
    return any(word in KERNEL_ARGUMENTS for word in words)


def _guard_popen() -> None:
    original = subprocess.Popen.__init__

    def guarded(self, args, *rest, **kwargs):
        if starts_a_kernel(args):
            command = os.fsdecode(args) if isinstance(args, (str, bytes)) else " ".join(map(os.fsdecode, args))
            raise KernelStarted(
                f"this test starts a Jupyter kernel ({command[:200]}) but is not marked: "
                "add @pytest.mark.kernel (make test-fast skips those)."
            )
        original(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = guarded


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(NO_KERNEL_ENV) == "1":
        _guard_popen()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without kernels, the ``kernel`` tests are deselected (in a child pytest a test starts, too)."""
    if os.environ.get(NO_KERNEL_ENV) != "1":
        return
    kept = [item for item in items if item.get_closest_marker("kernel") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
