"""environment.yml is generated from pyproject.toml: a dependency added to one is in the other."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from course_utils import environment

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_is_generated_from_pyproject():
    assert (ROOT / "environment.yml").read_text() == environment.generated(ROOT), (
        "environment.yml is stale: run `python -m course_utils.environment`"
    )
    assert environment.main(["--check"]) == 0


def test_every_dependency_and_extra_of_pyproject_is_in_the_environment():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pyproject["project"]["dependencies"].append("astroquery>=0.4.7; python_version >= '3.11'")
    pyproject["project"]["optional-dependencies"]["docs"] = ["sphinx>=7"]
    text = environment.render(pyproject)
    assert "  - astroquery>=0.4.7\n" in text and "  # extra [docs]\n  - sphinx>=7\n" in text
    assert "  - jax>=0.4.30\n" in text and "[cpu]" not in text  # conda has no extras
    assert "      - light-curve>=0.9" in text and "\n  - light-curve" not in text  # pip-only
    assert "course-utils" not in text  # extras naming other extras add nothing of their own


def test_an_unreadable_requirement_says_how_to_write_it():
    with pytest.raises(ValueError, match="name>=x,<y"):
        environment.conda_requirement("@ git+https://example.org/x")
