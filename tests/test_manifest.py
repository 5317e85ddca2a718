"""The course manifest (course_utils/course.toml): what it names exists, its readers use it, and a broken
manifest is refused with a message naming the entry and the fix."""

from pathlib import Path

import pytest

from course_utils import manifest, runtime
from course_utils.grading import checkset, grader
from course_utils.manifest import ManifestError

REPO = Path(__file__).resolve().parents[1]
TEXT = manifest.PATH.read_text(encoding="utf-8")
LAB05 = "[[labs]]" + TEXT[TEXT.index('[[labs]]\nid = "lab05"') :].split("[[labs]]")[1]  # lab 05's entry alone


def test_every_notebook_and_checks_module_the_manifest_names_exists():
    course = manifest.course()
    for nb in course.notebooks:
        assert (REPO / nb.source).is_file() and (REPO / nb.ipynb).is_file(), nb
        assert (REPO / nb.student).is_file(), nb
    for lab in course.labs:
        assert checkset.checks_module_path(lab.id).name == f"{lab.id}.py"
    assert course.lab("lab01").source == "solutions/01_foundations.py"
    assert course.lab("lab01").student == "labs/01_foundations.ipynb"
    assert course.release == f"v{__import__('course_utils').__version__}"
    assert course.install == f"course-utils @ git+https://github.com/{course.repository}@{course.release}"


def test_profiles_and_grader_limits_come_from_the_manifest():
    course = manifest.course()
    assert runtime.PROFILES == tuple(course.profiles) == ("smoke", "cpu", "full")
    for name, profile in course.profiles.items():
        limits = grader.Options(profile=name).limits()
        assert (limits.cell_seconds, limits.total_seconds) == (
            profile.grader.cell_seconds,
            profile.grader.total_seconds,
        )
        assert limits.memory_bytes == int(profile.grader.memory_gb * 2**30)
    assert grader.Options().profile == course.grading_profile
    assert grader.Options(profile="cpu", memory_gb=2.5).limits().memory_bytes == int(
        2.5 * 2**30
    )  # the instructor's wins


def test_an_unknown_lab_names_the_labs_there_are():
    with pytest.raises(ManifestError, match="'lab42' is not a lab of the course: course.toml names lab01, lab02"):
        manifest.course().lab("lab42")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t + LAB05, r"\[\[labs\]\] id lab05 appears more than once"),
        (lambda t: t + LAB05.replace('"lab05"', '"lab09"'), "notebook '05_light_curves' and id 'lab09' must carry"),
        (
            lambda t: t.replace('profile = "smoke"', 'profile = "quick"'),
            r"\[grading\] profile 'quick' is not a profile; use one of smoke, cpu, full",
        ),
        (lambda t: t.replace("[profiles.full]", "[profiles.gpu]"), r"\[profiles\] must define smoke, cpu, full"),
        (lambda t: t.replace('id = "lab03"', 'id = "lab3"'), r"entry 3 \(lab3\): the id must read labNN"),
        (
            lambda t: t.replace('id = "lab03"', 'id = "lab07"'),
            r"notebook '03_galaxy_morphology' and id 'lab07' must carry",
        ),
        (lambda t: t.replace('title = "Foundations"', 'titel = "Foundations"'), r"unknown key\(s\) titel"),
        (
            lambda t: t.replace("memory_gb = 4.0", 'memory_gb = "4 GB"'),
            r"\[profiles.smoke\] grader: `memory_gb` must be a positive",
        ),
        (
            lambda t: t.replace("cell_seconds = 120", "cell_seconds = 1200"),
            "cell_seconds 1200 exceeds total_seconds 600",
        ),
        (lambda t: t.replace(f'"{manifest.course().repository}"', '"just-a-name"'), "must be GitHub's OWNER/NAME"),
        (
            lambda t: t.replace("@{release}", "@main"),
            r"install must read 'PACKAGE @ URL' with \{repository\} and \{release\}",
        ),
        (
            lambda t: t.replace('notebook = "01_foundations"', 'notebook = "solutions/01_foundations.py"'),
            "must be NN_lower_case_words, without folder or extension",
        ),
        (
            lambda t: t.replace('id = "lab01"', 'id = "lab09"').replace(
                'notebook = "01_foundations"', 'notebook = "09_foundations"'
            ),
            r"\[\[labs\]\] are not in course order",
        ),
        (lambda t: t.replace("[course]", "[course", 1), "is not valid TOML"),
    ],
)
def test_a_broken_manifest_is_refused_with_what_to_fix(tmp_path, edit, message):
    path = tmp_path / "course.toml"
    path.write_text(edit(TEXT), encoding="utf-8")
    with pytest.raises(ManifestError, match=message) as error:
        manifest.load(path)
    assert str(path) in str(error.value)


def test_a_missing_manifest_says_where_it_belongs(tmp_path):
    with pytest.raises(ManifestError, match="course_utils/course.toml"):
        manifest.load(tmp_path / "course.toml")


def test_set_repository_rewrites_that_value_alone(tmp_path):
    path = tmp_path / "course.toml"
    path.write_text(TEXT, encoding="utf-8")
    assert manifest.set_repository(path, "school/course-2027") == manifest.course().repository
    changed = [(a, b) for a, b in zip(TEXT.splitlines(), path.read_text().splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][1].startswith('repository = "school/course-2027"')
    assert manifest.load(path).install.startswith("course-utils @ git+https://github.com/school/course-2027@v")
    with pytest.raises(ManifestError, match="OWNER/NAME"):
        manifest.set_repository(path, "no slash")
    assert manifest.load(path).repository == "school/course-2027"  # a refused value is never written
