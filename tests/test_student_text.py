"""What students read names no lecture deck by its maintainers' file number, promises no "notes" the
course does not ship, and says nothing about how the slides' text was extracted.

Scanned: lectures/ and solutions/ sources, the cells of every notebook (labs included), README.md,
docs/*.md and course_utils/ (the checks' messages and the hidden checks included).
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
MAINTAINER_WORDS = {
    "a deck named by its file number": r"\bseeds? ?0\d\d\b|\(seed \d+\)|\bseed 00\d",
    "notes the course does not ship": r"\b(the|lecture|theory[- ]day) notes\b|\bnotes'|\bas the notes\b",
    "how the slides' text was extracted": r"slide'?s text|text[- ]extract|extracted (text|tables?)|"
    r"extra (column|row) of zeros|eight_row|8-row copy",
}


def student_files():
    files = [
        *ROOT.glob("lectures/*.py"),
        *ROOT.glob("solutions/*.py"),
        ROOT / "README.md",
        *ROOT.glob("docs/*.md"),
        *ROOT.glob("course_utils/**/*.py"),
    ]
    return sorted(files)


def notebooks():
    return sorted(p for d in ("lectures", "solutions", "labs") for p in (ROOT / d).glob("*.ipynb"))


def findings(text):
    """(what, line) for every maintainer word in text."""
    return [
        (what, line.strip())
        for what, pattern in MAINTAINER_WORDS.items()
        for line in text.splitlines()
        if re.search(pattern, line, flags=re.IGNORECASE)
    ]


@pytest.mark.parametrize("path", student_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_source_speaks_to_students(path):
    found = findings(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)}: " + "; ".join(f"{what}: {line!r}" for what, line in found)


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_cells_speak_to_students(path):
    cells = nbformat.read(path, as_version=4).cells
    found = [(k, what, line) for k, cell in enumerate(cells) for what, line in findings(cell.source)]
    assert not found, f"{path.relative_to(ROOT)}: " + "; ".join(
        f"cell {k}, {what}: {line!r}" for k, what, line in found
    )


@pytest.mark.parametrize(
    "text, what",
    [
        ("The notes (seed 004) use a 5×5 binary image", "a deck named by its file number"),
        ("Seed 002's curve detector", "a deck named by its file number"),
        ("the table as the notes print it", "notes the course does not ship"),
        ("The slide's text lost the kernel", "how the slides' text was extracted"),
        ("eight_row_copy = curve_filter.copy()", "how the slides' text was extracted"),
    ],
)
def test_the_scan_finds_maintainer_words(text, what):
    assert what in [w for w, _ in findings(text)]


@pytest.mark.parametrize(
    "text",
    [
        "np.random.default_rng(seed)",
        "keras.utils.set_random_seed(runtime.seed)",
        "Safe extraction of downloaded archives",
        "Bom's slides show the forward pass",
        "seed everything: seed=42",
    ],
)
def test_ordinary_words_pass(text):
    assert findings(text) == []


def test_links_to_course_files_work_in_colab():
    """A notebook in Colab has no repository next to it: course files are linked on GitHub, and exist."""
    from course_utils.manifest import course

    blob = re.compile(re.escape(course().github_blob("")) + r"([^)\s>]+)")
    sources = [*ROOT.glob("lectures/*.py"), *ROOT.glob("solutions/*.py")]
    linked = {m for p in sources for m in blob.findall(p.read_text(encoding="utf-8"))}
    assert {"course_utils/backprop.py", "course_utils/conv.py", "docs/references.md"} <= linked
    assert [path for path in linked if not (ROOT / path).is_file()] == []
    relative = [
        (p.name, line)
        for p in sources
        for line in p.read_text(encoding="utf-8").splitlines()
        if re.search(r"\]\((\.\./|\./)?(course_utils|docs)/", line)
    ]
    assert relative == [], f"relative links do not work in Colab: {relative}"
