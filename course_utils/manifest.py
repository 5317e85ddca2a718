"""The course manifest, ``course_utils/course.toml``: its notebooks, profiles and home, read and validated.

``course()`` is the packaged manifest (read once); ``load(path)`` reads another one, e.g. a fork's checkout.
A manifest that breaks a rule raises ``ManifestError`` naming the file, the entry and the fix.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

PATH = Path(__file__).with_name("course.toml")
RELATIVE_PATH = PurePosixPath("course_utils/course.toml")  # where a checkout keeps it
LECTURES_DIR, SOLUTIONS_DIR, LABS_DIR = "lectures", "solutions", "labs"
# The profiles runtime.choose_profile and Runtime.pick know: a new one needs code there too.
RUNTIME_PROFILES = ("smoke", "cpu", "full")
REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")
NOTEBOOK = re.compile(r"(\d\d)_[a-z0-9_]+")
ID = {"lectures": re.compile(r"lecture(\d\d)"), "labs": re.compile(r"lab(\d\d)")}  # NN: the notebook's number


class ManifestError(ValueError):
    """The manifest breaks a rule; the message names the file, the entry and what to change."""


@dataclass(frozen=True)
class GraderLimits:
    """What course-grade allows one notebook by default: seconds per cell, seconds in all, GiB of memory."""

    cell_seconds: float
    total_seconds: float
    memory_gb: float


@dataclass(frozen=True)
class Profile:
    name: str  # "smoke", "cpu" or "full"
    where: str  # where it runs, e.g. "a laptop, a Colab CPU runtime"
    meaning: str  # how much work a notebook does in it
    grader: GraderLimits


@dataclass(frozen=True)
class Notebook:
    """A lecture or a lab: ``id`` ("lecture01", "lab01"), ``notebook`` (file name without extension),
    ``title`` and ``learn`` (the course map's "what you learn")."""

    kind: str  # "lecture" or "lab"
    id: str
    notebook: str
    title: str
    learn: str

    @property
    def number(self) -> str:
        return self.notebook[:2]

    @property
    def source(self) -> str:
        """The jupytext source, relative to the repository: lectures/<notebook>.py or solutions/<notebook>.py."""
        folder = LECTURES_DIR if self.kind == "lecture" else SOLUTIONS_DIR
        return f"{folder}/{self.notebook}.py"

    @property
    def ipynb(self) -> str:
        """The notebook paired with ``source``, with outputs."""
        return self.source[:-3] + ".ipynb"

    @property
    def student(self) -> str:
        """What a student opens: the lecture itself, or the lab generated from the solution (labs/...)."""
        return self.ipynb if self.kind == "lecture" else f"{LABS_DIR}/{self.notebook}.ipynb"


@dataclass(frozen=True)
class Course:
    """The whole manifest. ``release_template`` and ``install_template`` are as written ("v{version}")."""

    repository: str  # GitHub OWNER/NAME
    branch: str
    release_template: str
    install_template: str
    grading_profile: str
    profiles: dict[str, Profile]
    lectures: tuple[Notebook, ...]
    labs: tuple[Notebook, ...]
    path: Path

    @property
    def release(self) -> str:
        """The git tag of this version, e.g. "v0.2.0" (course_utils.__version__, read when asked)."""
        from course_utils import __version__

        return self.release_template.format(version=__version__)

    @property
    def install(self) -> str:
        """The requirement Colab's install cell gives pip: the package at the release's git URL."""
        return self.install_template.format(repository=self.repository, release=self.release)

    @property
    def package(self) -> str:
        """The distribution the install cell installs ("course-utils")."""
        return self.install_template.split("@")[0].strip()

    @property
    def notebooks(self) -> tuple[Notebook, ...]:
        """Lectures then labs, in course order."""
        return self.lectures + self.labs

    @property
    def lab_ids(self) -> tuple[str, ...]:
        return tuple(lab.id for lab in self.labs)

    def lab(self, lab_id: str) -> Notebook:
        """The lab called ``lab_id``; ManifestError naming the labs there are otherwise."""
        for lab in self.labs:
            if lab.id == lab_id:
                return lab
        raise ManifestError(f"{lab_id!r} is not a lab of the course: {self.path.name} names {', '.join(self.lab_ids)}.")

    def github_blob(self, relpath: str) -> str:
        """Where GitHub shows the course file ``relpath`` on the course's branch."""
        return f"https://github.com/{self.repository}/blob/{self.branch}/{relpath}"


def _text(table: dict, key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(f"{where}: `{key}` must be a non-empty string, got {value!r}.")
    return value


def _number(table: dict, key: str, where: str) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ManifestError(f"{where}: `{key}` must be a positive number, got {value!r}.")
    return float(value)


def _known_keys(table: dict, keys: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(keys)}.")


def _profiles(data: dict, name: str) -> dict[str, Profile]:
    tables = data.get("profiles")
    if not isinstance(tables, dict) or list(tables) != list(RUNTIME_PROFILES):
        got = ", ".join(tables) if isinstance(tables, dict) else "none"
        raise ManifestError(
            f"{name}: [profiles] must define {', '.join(RUNTIME_PROFILES)} in this order "
            f"(the profiles runtime.setup() chooses from), got {got}."
        )
    profiles = {}
    for key, table in tables.items():
        where = f"{name}: [profiles.{key}]"
        _known_keys(table, ("where", "meaning", "grader"), where)
        limits = table.get("grader")
        if not isinstance(limits, dict):
            raise ManifestError(f"{where}: `grader` must be a table of cell_seconds, total_seconds, memory_gb.")
        _known_keys(limits, ("cell_seconds", "total_seconds", "memory_gb"), f"{where} grader")
        grader = GraderLimits(
            *(_number(limits, k, f"{where} grader") for k in ("cell_seconds", "total_seconds", "memory_gb"))
        )
        if grader.cell_seconds > grader.total_seconds:
            raise ManifestError(
                f"{where}: grader cell_seconds {grader.cell_seconds:g} exceeds total_seconds {grader.total_seconds:g}."
            )
        profiles[key] = Profile(key, _text(table, "where", where), _text(table, "meaning", where), grader)
    return profiles


def _notebooks(data: dict, section: str, name: str) -> tuple[Notebook, ...]:
    entries = data.get(section)
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{name}: no [[{section}]] entries: the course needs at least one.")
    kind, pattern = section[:-1], ID[section]
    notebooks = []
    for index, entry in enumerate(entries):
        where = f"{name}: [[{section}]] entry {index + 1}"
        _known_keys(entry, ("id", "notebook", "title", "learn"), where)
        lab_id = _text(entry, "id", where)
        where += f" ({lab_id})"
        notebook = _text(entry, "notebook", where)
        if not pattern.fullmatch(lab_id):
            raise ManifestError(
                f"{where}: the id must read {kind}NN (NN: two digits, the notebook's number), "
                f"e.g. {kind}{notebook[:2]}."
            )
        if not NOTEBOOK.fullmatch(notebook):
            raise ManifestError(
                f"{where}: notebook {notebook!r} must be NN_lower_case_words, without folder "
                "or extension, e.g. 01_foundations."
            )
        if notebook[:2] != pattern.fullmatch(lab_id).group(1):
            raise ManifestError(
                f"{where}: notebook {notebook!r} and id {lab_id!r} must carry the same number "
                "(the grader tells a lab by it)."
            )
        notebooks.append(
            Notebook(
                kind, lab_id, notebook, _text(entry, "title", where), " ".join(_text(entry, "learn", where).split())
            )
        )
    seen = [n.id for n in notebooks]  # an id carries its notebook's number, so notebooks differ too
    twice = sorted({value for value in seen if seen.count(value) > 1})
    if twice:
        raise ManifestError(
            f"{name}: [[{section}]] id {', '.join(twice)} appears more than once: every entry "
            "needs its own id and notebook number."
        )
    if [n.notebook for n in notebooks] != sorted(n.notebook for n in notebooks):
        raise ManifestError(f"{name}: [[{section}]] are not in course order: list them by number.")
    return tuple(notebooks)


def parse(text: str, path: Path = PATH) -> Course:
    """The course a manifest's TOML ``text`` describes (``path`` names it in errors)."""
    name = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(f"{name} is not valid TOML: {error}") from None
    _known_keys(data, ("course", "grading", "profiles", "lectures", "labs"), name)
    course = data.get("course", {})
    _known_keys(course, ("repository", "branch", "release", "install"), f"{name}: [course]")
    repository = _text(course, "repository", f"{name}: [course]")
    if not REPOSITORY.fullmatch(repository):
        raise ManifestError(f"{name}: [course] repository must be GitHub's OWNER/NAME, got {repository!r}.")
    release = _text(course, "release", f"{name}: [course]")
    install = _text(course, "install", f"{name}: [course]")
    if "{version}" not in release:
        raise ManifestError(f"{name}: [course] release must contain {{version}} (course_utils.__version__).")
    if " @ " not in install or not {"{repository}", "{release}"} <= set(re.findall(r"\{\w+\}", install)):
        raise ManifestError(
            f"{name}: [course] install must read 'PACKAGE @ URL' with {{repository}} and "
            f"{{release}} in the URL, got {install!r}."
        )
    profiles = _profiles(data, name)
    grading = data.get("grading", {})
    _known_keys(grading, ("profile",), f"{name}: [grading]")
    grading_profile = _text(grading, "profile", f"{name}: [grading]")
    if grading_profile not in profiles:
        raise ManifestError(
            f"{name}: [grading] profile {grading_profile!r} is not a profile; use one of {', '.join(profiles)}."
        )
    return Course(
        repository=repository,
        branch=_text(course, "branch", f"{name}: [course]"),
        release_template=release,
        install_template=install,
        grading_profile=grading_profile,
        profiles=profiles,
        lectures=_notebooks(data, "lectures", name),
        labs=_notebooks(data, "labs", name),
        path=path,
    )


def load(path: str | Path = PATH) -> Course:
    """Read and validate the manifest at ``path`` (default: the package's own)."""
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: no course manifest there (a checkout keeps it at {RELATIVE_PATH}).")
    return parse(path.read_text(encoding="utf-8"), path)


@functools.cache
def course() -> Course:
    """The packaged manifest, read once per process."""
    return load(PATH)


def set_repository(path: str | Path, repository: str) -> str:
    """Rewrite the one value ``[course] repository`` of the manifest at ``path``; return the old value.

    Only that line changes (comments and layout stay); the result is validated before it is written.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    old = load(path).repository
    line = re.compile(r'^(repository\s*=\s*)"[^"]*"', re.MULTILINE)
    if len(line.findall(text)) != 1:
        raise ManifestError(f'{path}: expected one `repository = "..."` line to rewrite.')
    new_text = line.sub(lambda m: f'{m.group(1)}"{repository}"', text)
    parse(new_text, path)
    path.write_text(new_text, encoding="utf-8")
    return old
