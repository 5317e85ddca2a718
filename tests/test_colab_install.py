"""The first cell of every notebook in Colab: it installs the course's release and changes nothing Colab has.

For each Colab image (tests/fixtures/colab/) pip resolves the exact requirement the install cell passes it,
on the image's Python, with the image's versions as constraints; this checkout stands in for the release's
git URL (GitHub is out of reach here). Needs the package index and pyenv's Python 3.13 and 3.12
(COLAB_PYTHON_313 / COLAB_PYTHON_312 point elsewhere).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import colab_images
import course_utils
from course_utils.manifest import course
from course_utils.notebooks import colab

REPO = Path(__file__).resolve().parents[1]
EXTRAS_ONLY = (
    "nbformat",
    "nbclient",
    "jupytext",
    "ipykernel",
    "ipywidgets",
    "psutil",
    "nbval",
    "pytest",
    "lenstronomy",
    "jupyterlab",
)


def interpreter(image: str) -> str:
    default = colab_images.IMAGES[image][1]
    version = re.search(r"3\.(\d+)", default)[0].replace(".", "")
    python = os.environ.get(f"COLAB_PYTHON_{version}", default)
    if not Path(python).exists():
        pytest.fail(
            f"the {image} image runs Python {version[0]}.{version[1:]}: install it (pyenv install) "
            f"or set COLAB_PYTHON_{version} to its interpreter; {python} does not exist."
        )
    return python


@pytest.mark.parametrize("image", list(colab_images.IMAGES))
def test_install_cell_only_adds_packages_to_the_colab_image(image):
    # One image at a time: pip prepares the checkout's metadata in place, so runs side by side would collide.
    result = colab_images.dry_run(image, f"{course().package} @ {REPO.as_uri()}", python=interpreter(image))
    assert not result.error, (
        f"Colab's install cell cannot keep what the {image} image preinstalls; pip says:\n{result.error}\n"
        "Widen that range in pyproject.toml (core dependencies), or move the package to an extra."
    )
    assert not result.changed, f"the install cell would replace, on the {image} image: " + ", ".join(
        f"{name} {have} -> {want}" for name, (have, want) in result.changed.items()
    )
    assert "course-utils" in result.new
    print(
        f"{image} image, the install cell adds:",
        ", ".join(f"{name} {version}" for name, version in sorted(result.new.items())),
    )


def test_a_requirement_that_upgrades_a_preinstalled_package_is_named():
    """The check can fail, and says which package and which versions clash."""
    result = colab_images.dry_run("gpu", "ipykernel>=6.29", python=interpreter("gpu"))
    assert "ipykernel>=6.29" in result.error and "ipykernel==6.17.1" in result.error


def test_image_versions_read_as_constraints():
    """Colab's own builds count by their public version; URLs without a version are known but unconstrained."""
    gpu = colab_images.preinstalled("gpu")
    assert gpu["torch"] == "2.11.0" and gpu["google-colab"] == "1.0.0" and gpu["jupyter-kernel-gateway"] is None
    assert colab_images.preinstalled("tpu")["torch"] == "2.9.0" and "tensorflow" not in colab_images.preinstalled("tpu")
    lines = colab_images.constraints("gpu").splitlines()
    assert "ipykernel==6.17.1" in lines and "torch==2.11.0" in lines and not any("@" in line for line in lines)


def test_install_cell_installs_the_release_of_this_version():
    source = colab.install_source(course())
    assert f'"{course().package} @ git+https://github.com/{course().repository}@v{course_utils.__version__}"' in source
    assert "@main" not in source


def test_notebooks_need_only_the_core_dependencies():
    """Every course_utils module a lecture or solution imports loads with no extra installed (as in Colab)."""
    sources = [*REPO.glob("lectures/[0-9]*.py"), *REPO.glob("solutions/[0-9]*.py")]
    modules = {"course_utils"}
    for path in sources:
        text = path.read_text(encoding="utf-8")
        modules |= {
            f"course_utils.{m.strip()}"
            for group in re.findall(r"^from course_utils import ([\w, ]+)", text, re.M)
            for m in group.split(",")
        }
        modules |= set(re.findall(r"^(?:from|import) (course_utils\.[\w.]+)", text, re.M))
    # None in sys.modules: importing the package fails, and libraries probing for it find it absent.
    blocker = (
        f"import importlib, sys\nsys.modules.update(dict.fromkeys({EXTRAS_ONLY!r}))\n"
        f"for m in {sorted(modules)!r}:\n    importlib.import_module(m)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocker],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "KERAS_BACKEND": "jax", "COURSE_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(modules) > 5  # the scan found the notebooks' imports
