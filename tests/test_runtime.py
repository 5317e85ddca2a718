"""course_utils.setup(): detection from a faked environment (variables and device files)."""

import os
import subprocess
import sys

import pytest

from course_utils import runtime


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("KERAS_BACKEND", "COURSE_PROFILE", "CI", "COLAB_TPU_ADDR", "TPU_NAME", "COLAB_RELEASE_TAG"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_accelerator_from_device_files(tmp_path, clean_env):
    assert runtime.detect_accelerator(tmp_path) == "CPU"
    (tmp_path / "nvidia0").touch()
    assert runtime.detect_accelerator(tmp_path) == "GPU"
    (tmp_path / "accel0").touch()
    assert runtime.detect_accelerator(tmp_path) == "TPU"


def test_tpu_from_colab_variable(tmp_path, clean_env):
    clean_env.setenv("COLAB_TPU_ADDR", "10.0.0.2:8470")
    assert runtime.detect_accelerator(tmp_path) == "TPU"


def test_backend_choice(clean_env):
    assert runtime.choose_backend("TPU") == "jax"
    assert runtime.choose_backend("GPU") == "tensorflow"
    clean_env.setenv("KERAS_BACKEND", "torch")
    assert runtime.choose_backend("TPU") == "torch"


def test_profile_choice(clean_env):
    assert runtime.choose_profile("CPU") == "cpu"
    assert runtime.choose_profile("GPU") == "full"
    clean_env.setenv("CI", "true")
    assert runtime.choose_profile("GPU") == "smoke"
    clean_env.setenv("COURSE_PROFILE", "full")
    assert runtime.choose_profile("CPU") == "full"
    clean_env.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="smoke, cpu, full"):
        runtime.choose_profile("CPU")


def test_pick_returns_the_profiles_value():
    rt = runtime.Runtime(in_colab=False, accelerator="CPU", backend="tensorflow", profile="cpu", seed=1)
    assert rt.pick(smoke=1, cpu=2, full=3) == 2


def test_setup_in_colab_without_gpu_says_how_to_get_one(tmp_path, clean_env, capsys):
    clean_env.setenv("COLAB_RELEASE_TAG", "release-colab-20261101")
    clean_env.setenv("KERAS_BACKEND", "tensorflow")
    rt = runtime.setup(seed=7, device_dir=tmp_path)
    out = capsys.readouterr().out
    assert (rt.in_colab, rt.accelerator, rt.profile, rt.seed) == (True, "CPU", "cpu", 7)
    assert out.splitlines()[0].startswith("Google Colab | CPU")
    assert out.splitlines()[0].endswith(" | Keras backend tensorflow | profile cpu | seed 7")
    assert "Runtime > Change runtime type" in out


def test_setup_seeds_numpy_reproducibly(tmp_path, clean_env):
    import numpy as np

    clean_env.setenv("KERAS_BACKEND", "tensorflow")
    runtime.setup(seed=3, device_dir=tmp_path, quiet=True)
    first = np.random.rand(3)
    runtime.setup(seed=3, device_dir=tmp_path, quiet=True)
    assert np.array_equal(first, np.random.rand(3))


def test_tpu_runtime_gets_jax_before_keras_is_imported(tmp_path):
    """In a fresh process on a (faked) TPU runtime, keras comes up on JAX and the profile is full."""
    (tmp_path / "accel0").touch()
    done = run_python(
        f"import course_utils; rt = course_utils.setup(device_dir={str(tmp_path)!r}); import keras; "
        "print(rt.backend, keras.backend.backend(), rt.profile)"
    )
    assert done.stdout.splitlines()[-1] == "jax jax full"


def test_keras_imported_too_early_is_explained(tmp_path):
    (tmp_path / "accel0").touch()
    done = run_python(
        f"import keras, course_utils; rt = course_utils.setup(device_dir={str(tmp_path)!r}); print(rt.backend)"
    )
    assert "restart the kernel and call setup() first" in done.stdout
    assert done.stdout.splitlines()[-1] == "tensorflow"


def run_python(code):
    """Run ``code`` in a fresh interpreter with no backend or profile chosen in the environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "COURSE_PROFILE", "CI")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def test_vector_extensions_from_injected_flags(tmp_path):
    assert runtime.vector_extensions({"fma", "avx", "avx2", "avx512f", "avx512bw"}) == "AVX-512"
    assert runtime.vector_extensions({"fma", "avx", "avx2"}) == "AVX2"  # e.g. AMD before Zen 4, Intel Alder Lake
    assert runtime.vector_extensions({"neon", "asimd"}) is None
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx fma avx2\n\n"
        "processor\t: 1\nflags\t\t: fpu sse2 avx fma avx2\n"
    )
    assert runtime.vector_extensions(runtime.cpu_flags(cpuinfo)) == "AVX2"
    assert runtime.cpu_flags(tmp_path / "absent") == set()


def test_setup_line_names_a_cpu_without_avx512():
    rt = runtime.Runtime(in_colab=False, accelerator="CPU", backend="tensorflow", profile="cpu", seed=1, vectors="AVX2")
    assert rt.describe() == "local machine | CPU (AVX2, no AVX-512) | Keras backend tensorflow | profile cpu | seed 1"
    gpu = runtime.Runtime(
        in_colab=True, accelerator="GPU", backend="tensorflow", profile="full", seed=1, vectors="AVX2"
    )
    assert gpu.describe().startswith("Google Colab | GPU | ")
