"""Google Colab's runtime images as data: what each preinstalls, and what pip would change there.

The images are the ``pip freeze`` files of Colab's public ``googlecolab/backend-info`` repository, copied
into tests/fixtures/colab/ (their README says which commit). Colab's own builds are not on a package index:
``name @ URL`` lines keep the version in the URL's file name when there is one, and local versions
(``2.11.0+cu128``) count as their public part (``2.11.0``).

    python tests/colab_images.py constraints IMAGE   print the image's versions as a pip constraints file
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "colab"
# image -> (freeze file, the pyenv interpreter of the same Python minor version, here and in CI)
IMAGES = {
    "gpu": ("pip-freeze.gpu.txt", "/root/.pyenv/versions/3.13.0/bin/python"),
    "tpu": ("pip-freeze.tpu.txt", "/root/.pyenv/versions/3.13.0/bin/python"),
    "gpu-2026.07": ("pip-freeze.gpu-2026.07.txt", "/root/.pyenv/versions/3.12.1/bin/python"),
}
_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;+]+)")
_DIRECT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*) @ (\S+)")


def normalize(name: str) -> str:
    """PEP 503 name: ``Jupyter_Client`` and ``jupyter-client`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def preinstalled(image: str) -> dict[str, str | None]:
    """{normalized name: version} of everything the image has; None where a direct URL names no version."""
    packages: dict[str, str | None] = {}
    for line in (FIXTURES / IMAGES[image][0]).read_text(encoding="utf-8").splitlines():
        if match := _PINNED.match(line):
            packages[normalize(match[1])] = match[2]
        elif match := _DIRECT.match(line):
            name, url = normalize(match[1]), match[2].replace("%2B", "+")
            filename = url.rsplit("/", 1)[-1]
            version = re.match(r"[^-]+-([0-9][^-]*?)(?:\.tar\.gz|\.zip|-)", filename)
            packages[name] = version[1].split("+")[0] if version else None
    return packages


def constraints(image: str) -> str:
    """The image's versions as a pip constraints file (``name==version`` lines)."""
    return "".join(f"{name}=={version}\n" for name, version in sorted(preinstalled(image).items()) if version)


@dataclass
class Resolution:
    """What ``pip install`` of a requirement would do to an image."""

    new: dict[str, str]  # packages the image lacks: name -> version pip would add
    changed: dict[str, tuple[str | None, str]]  # packages pip would replace: name -> (image's, pip's)
    error: str  # pip's complaint when it cannot resolve; "" otherwise


def dry_run(image: str, requirement: str, *, python: str | None = None) -> Resolution:
    """Resolve ``requirement`` as pip would on ``image``'s Python (``python``, default the pyenv one), from
    scratch (``--ignore-installed``), with the image's versions as constraints; sort pip's report by the image."""
    have = preinstalled(image)
    python = python or IMAGES[image][1]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [
            python,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--report",
            str(report),
            requirement,
        ]
        (Path(tmp) / "constraints.txt").write_text(constraints(image))
        command += ["-c", str(Path(tmp) / "constraints.txt")]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            return Resolution({}, {}, _conflict(done.stdout + done.stderr))
        items = json.loads(report.read_text())["install"]
    new, changed = {}, {}
    for item in items:
        name, version = normalize(item["metadata"]["name"]), item["metadata"]["version"]
        if name not in have:
            new[name] = version
        elif have[name] != version.split("+")[0]:
            changed[name] = (have[name], version)
    return Resolution(new, changed, "")


def _conflict(output: str) -> str:
    """pip's own account of a failed resolution: the lines naming who asked for which version."""
    lines = [line.strip() for line in output.splitlines() if line.strip() and not line.startswith("WARNING: Location")]
    start = next((i for i, line in enumerate(lines) if line.startswith("The conflict is caused by")), None)
    if start is None:
        return "\n".join(lines[-15:])
    return "\n".join(line for line in lines[start + 1 :] if not line.startswith(("To fix", "1.", "2.", "ERROR")))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "constraints" or sys.argv[2] not in IMAGES:
        sys.exit(f"usage: python tests/colab_images.py constraints {{{','.join(IMAGES)}}}")
    sys.stdout.write(constraints(sys.argv[2]))
