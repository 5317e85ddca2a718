"""environment.yml (the conda-forge environment of the README) generated from pyproject.toml, so the two
cannot drift: the core dependencies and every extra, with the same version ranges.

    python -m course_utils.environment           # rewrite environment.yml from pyproject.toml
    python -m course_utils.environment --check   # exit 1 when environment.yml is stale

Maintainers' tool: it reads the repository's pyproject.toml, not an installed package's metadata.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "course-utils"
# Installed by pip inside the conda environment, with what each is for.
PIP_ONLY = {
    "lenstronomy": "the reference lens code the simulator's tests compare with",
    "light-curve": "lab 05's dm-dt images: the PyPI wheel (conda-forge names it light-curve-python)",
}
HEADER = """\
# GENERATED from pyproject.toml by `python -m course_utils.environment`: edit pyproject.toml, then re-run that
# (tests/test_environment.py fails when the two differ).
# conda users: `conda env create -f environment.yml && conda activate dl-astro` (run from the repository root);
# the course package itself is installed editable by pip at the end.
name: dl-astro
channels:
  - conda-forge
dependencies:
"""
_REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?P<spec>[^;]*?)\s*(?:;.*)?$")


def conda_requirement(requirement: str) -> tuple[str, str]:
    """(name, 'name>=x,<y') of a pip requirement such as 'jax[cpu]>=0.4.30': extras and markers dropped
    (conda has neither; the package itself is the same)."""
    match = _REQUIREMENT.match(requirement)
    if match is None:
        raise ValueError(f"cannot read the requirement {requirement!r} of pyproject.toml: write it as name>=x,<y")
    name = match["name"].lower()
    return name, name + match["spec"].replace(" ", "")


def render(pyproject: dict) -> str:
    """The text of environment.yml for a parsed pyproject.toml."""
    project = pyproject["project"]
    groups = [("core: what the notebooks import", project["dependencies"])]
    groups += [(f"extra [{extra}]", reqs) for extra, reqs in project.get("optional-dependencies", {}).items()]
    lines, pip_lines, seen = [f"  - python{project['requires-python'].replace(' ', '')}", "  - pip"], [], set()
    for title, requirements in groups:
        entries = []
        for requirement in requirements:
            name, conda = conda_requirement(requirement)
            if name == PROJECT or name in seen:  # an extra that includes other extras, or a repeat
                continue
            seen.add(name)
            if name in PIP_ONLY:
                pip_lines.append(f"      - {conda}  # {PIP_ONLY[name]}")
            else:
                entries.append(f"  - {conda}")
        if entries:
            lines += [f"  # {title}", *entries]
    lines += ["  - pip:", *pip_lines, "      - -e ."]
    return HEADER + "\n".join(lines) + "\n"


def generated(root: Path = ROOT) -> str:
    """environment.yml as pyproject.toml in ``root`` says it should read."""
    pyproject = root / "pyproject.toml"
    if not pyproject.exists():
        raise FileNotFoundError(f"no {pyproject}: run this from a checkout of the course repository")
    return render(tomllib.loads(pyproject.read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write environment.yml from pyproject.toml.")
    parser.add_argument("--check", action="store_true", help="exit 1 when environment.yml is stale; write nothing")
    args = parser.parse_args(argv)
    text, target = generated(), ROOT / "environment.yml"
    if args.check:
        if not target.exists() or target.read_text() != text:
            print(f"{target} is stale: run `python -m course_utils.environment`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
