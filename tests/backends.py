"""Run a test file once more under the other Keras backend (TensorFlow <-> JAX), in a fresh process:
Keras chooses its backend once per process, at import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RERUN_ENV = "COURSE_BACKEND_RERUN"


def other_backend_test(test_file: str):
    """A test that runs ``test_file`` under the other backend and passes when all of it passes there
    (assign it to a ``test_*`` name in that file); it skips itself inside the rerun."""

    @pytest.mark.skipif(os.environ.get(RERUN_ENV) == "1", reason="already the rerun")
    def test_the_other_backend():
        import keras

        other = "jax" if keras.backend.backend() == "tensorflow" else "tensorflow"
        pytest.importorskip(other)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(Path(test_file))],
            env={**os.environ, "KERAS_BACKEND": other, RERUN_ENV: "1"},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-3000:]
        assert "1 skipped" in done.stdout and "failed" not in done.stdout

    return test_the_other_backend
