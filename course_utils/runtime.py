"""Runtime set-up for every course notebook: where we run, on what, with which backend and sizes.

``setup()`` is the first call of every notebook. It must run before ``keras`` is imported,
because Keras reads its backend from the KERAS_BACKEND environment variable at import time.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_utils import manifest

PROFILES = tuple(manifest.course().profiles)  # course_utils/course.toml: "smoke", "cpu", "full"
COLAB_GPU_HINT = (
    "No GPU in this Colab session: choose Runtime > Change runtime type > T4 GPU (or a TPU), "
    "then Runtime > Restart session and run the notebook again. The cpu profile works meanwhile, "
    "with smaller sizes."
)
SIZES_VARIABLE = "COURSE_SIZES"


@dataclass(frozen=True)
class Runtime:
    """What ``setup()`` found: the record a notebook sizes its work by."""

    in_colab: bool
    accelerator: str  # "TPU", "GPU" or "CPU"
    backend: str  # Keras backend: "tensorflow", "jax" or "torch"
    profile: str  # "smoke", "cpu" or "full"
    seed: int
    vectors: str | None = None  # the CPU's widest vector extension: "AVX-512", "AVX2", "AVX" or None (not x86)

    def pick(self, *, smoke: Any, cpu: Any, full: Any) -> Any:
        """Return the value given for this runtime's profile (one place per notebook for its sizes).

        A dict of sizes gets the entries given in COURSE_SIZES (``"n_train=20000,epochs=4"``) replaced.
        """
        picked = {"smoke": smoke, "cpu": cpu, "full": full}[self.profile]
        explicit = explicit_sizes()
        if not explicit or not isinstance(picked, dict):
            return picked
        unknown = sorted(set(explicit) - set(picked))
        if unknown:
            raise ValueError(
                f"{SIZES_VARIABLE} names {', '.join(unknown)}, which this notebook's sizes do not "
                f"have; its sizes are {', '.join(picked)}"
            )
        return picked | explicit

    def describe(self) -> str:
        where = "Google Colab" if self.in_colab else "local machine"
        device = self.accelerator
        if device == "CPU" and self.vectors:
            device += f" ({self.vectors})" if self.vectors == "AVX-512" else f" ({self.vectors}, no AVX-512)"
        return f"{where} | {device} | Keras backend {self.backend} | profile {self.profile} | seed {self.seed}"


def explicit_sizes() -> dict[str, Any]:
    """Sizes given in COURSE_SIZES, e.g. ``"n_train=20000,epochs=4"`` -> {"n_train": 20000, "epochs": 4}.

    Values are Python literals (numbers, True/False) or else kept as text. Unset or empty: {}.
    """
    text = os.environ.get(SIZES_VARIABLE, "").strip()
    sizes = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, equals, value = (part.strip() for part in item.partition("="))
        if not equals or not key.isidentifier() or not value:
            raise ValueError(
                f"{SIZES_VARIABLE}={text!r}: write name=value pairs separated by commas, "
                f"e.g. {SIZES_VARIABLE}='n_train=20000,epochs=4'"
            )
        try:
            sizes[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            sizes[key] = value
    return sizes


def in_colab() -> bool:
    """True inside a Google Colab kernel."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def cpu_flags(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> set[str]:
    """The first processor's feature flags in /proc/cpuinfo (Linux); empty where there is no such file."""
    path = Path(cpuinfo)
    if not path.exists():
        return set()
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return set()


def vector_extensions(flags: set[str] | None = None) -> str | None:
    """The widest x86 vector extension among ``flags`` (default: this CPU's): "AVX-512", "AVX2", "AVX" or None.

    Convolutions train about five times faster with AVX-512 than with AVX2 alone.
    """
    flags = cpu_flags() if flags is None else flags
    return next(
        (name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX")) if flag in flags), None
    )


def detect_accelerator(device_dir: str | os.PathLike = "/dev") -> str:
    """Return "TPU", "GPU" or "CPU" from environment variables and device files only.

    No framework is imported, so the Keras backend can still be chosen afterwards.
    TPU: a Colab/Cloud TPU address or TPU device files (``accel*``, ``vfio``); GPU: NVIDIA device files.
    """
    dev = Path(device_dir)
    if os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME") or any(dev.glob("accel[0-9]*")):
        return "TPU"
    if any(dev.glob("nvidia[0-9]*")):
        return "GPU"
    return "CPU"


def choose_backend(accelerator: str) -> str:
    """An explicit KERAS_BACKEND wins; otherwise JAX on TPU (Colab's TPU runtime has no TensorFlow),
    TensorFlow elsewhere, JAX when TensorFlow is not installed.

    On CPUs TensorFlow stays, with or without AVX-512: measured on the labs' models
    (benchmarks/bench_backends.py), JAX trained their CNNs several times slower than TensorFlow's oneDNN,
    also with both restricted to AVX2 (a laptop without AVX-512)."""
    explicit = os.environ.get("KERAS_BACKEND")
    if explicit:
        return explicit
    if accelerator == "TPU" or importlib.util.find_spec("tensorflow") is None:
        return "jax"
    return "tensorflow"


def choose_profile(accelerator: str) -> str:
    """COURSE_PROFILE wins; otherwise smoke under CI, full on an accelerator, cpu elsewhere."""
    explicit = os.environ.get("COURSE_PROFILE")
    if explicit:
        if explicit not in PROFILES:
            raise ValueError(f"COURSE_PROFILE={explicit!r} is not a profile; use one of {', '.join(PROFILES)}.")
        return explicit
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return "smoke"
    return "full" if accelerator in ("GPU", "TPU") else "cpu"


@contextlib.contextmanager
def native_stderr_silenced():
    """Send file descriptor 2 to /dev/null: TensorFlow's C++ start-up lines (oneDNN, CUDA probing)
    bypass Python and TF_CPP_MIN_LOG_LEVEL. Python exceptions and warnings still show."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and Keras (which seeds the backend's generator too)."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    with native_stderr_silenced():
        import keras

        keras.utils.set_random_seed(seed)


def setup(seed: int = 42, *, device_dir: str | os.PathLike = "/dev", quiet: bool = False) -> Runtime:
    """Detect Colab and the accelerator, choose the Keras backend and profile, seed everything.

    Prints one line saying what it found (and, in Colab without a GPU, how to get one).
    """
    accelerator = detect_accelerator(device_dir)
    backend = choose_backend(accelerator)
    already = sys.modules.get("keras")
    if already is not None and already.backend.backend() != backend:
        print(
            f"Keras was imported before course_utils.setup() and runs on {already.backend.backend()}, "
            f"not {backend}: restart the kernel and call setup() first."
        )
        backend = already.backend.backend()
    os.environ["KERAS_BACKEND"] = backend
    # TensorFlow's C++ log below errors; on a CPU runtime also its harmless "failed call to cuInit".
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3" if accelerator == "CPU" else "2")
    runtime = Runtime(
        in_colab=in_colab(),
        accelerator=accelerator,
        backend=backend,
        profile=choose_profile(accelerator),
        seed=seed,
        vectors=vector_extensions(),
    )
    seed_everything(seed)
    if not quiet:
        print(runtime.describe())
        if runtime.in_colab and accelerator == "CPU":
            print(COLAB_GPU_HINT)
    return runtime
