"""The README's course map and profile table, written from the course manifest between marker comments."""

from __future__ import annotations

import re

from course_utils.manifest import Course
from course_utils.notebooks import colab

SECTIONS = ("course map", "profiles")  # each sits between <!-- NAME: ... --> and <!-- end of NAME -->


def _begin(name: str) -> str:
    return f"<!-- {name}: written from course_utils/course.toml by `python -m course_utils.notebooks sync` -->"


def _end(name: str) -> str:
    return f"<!-- end of {name} -->"


def course_map(course: Course) -> str:
    """One row per lecture and lab, in course order: title linked to the notebook, what you learn, badge."""
    rows = ["| | notebook | what you learn | Colab |", "|---|---|---|---|"]
    for nb in course.notebooks:
        link = f"[{nb.title}]({nb.student})"
        if nb.kind == "lab":
            link += f" ([solution]({nb.ipynb}))"
        rows.append(f"| {nb.kind.capitalize()} {nb.number} | {link} | {nb.learn} | {colab.badge(nb.student, course)} |")
    return "\n".join(rows)


def profile_table(course: Course) -> str:
    rows = ["| profile | where | sizes |", "|---|---|---|"]
    rows += [f"| `{p.name}` | {p.where} | {p.meaning} |" for p in course.profiles.values()]
    return "\n".join(rows)


def render(text: str, course: Course) -> str:
    """``text`` (the README) with every generated section rewritten; ValueError naming a missing marker."""
    for name, table in zip(SECTIONS, (course_map(course), profile_table(course))):
        pattern = re.compile(re.escape(_begin(name)) + r"\n.*?" + re.escape(_end(name)), re.DOTALL)
        if not pattern.search(text):
            raise ValueError(
                f"README.md has no {name} between `{_begin(name)}` and `{_end(name)}`: put the two "
                "lines back where the table goes, then run `python -m course_utils.notebooks sync`."
            )
        section = f"{_begin(name)}\n{table}\n{_end(name)}"
        text = pattern.sub(lambda _, section=section: section, text, count=1)
    return text
