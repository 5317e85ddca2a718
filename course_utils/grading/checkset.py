"""The checks a lab is graded with: a snapshot of their sources, the questions they define, the cell
that evaluates them inside a student's kernel, and the reading of that cell's answer.

The snapshot is read once, before any notebook runs, so a notebook that edits the installed checks
changes nothing for itself or for anyone graded after it.
"""
from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

from course_utils.grading import probe

LAB_ID = re.compile(r"lab\d\d")
HIDDEN_DIR = Path(__file__).parent / "hidden"  # the course's own hidden checks: hidden/labNN.py
RESERVED_NAMES = ("student", "total", "status")  # the gradebook's other columns


@dataclass(frozen=True)
class QuestionInfo:
    """One question as the gradebook needs it (no check code)."""

    qid: str
    name: str
    points: float
    target: str
    hidden: bool


@dataclass(frozen=True)
class CheckSet:
    """Everything needed to score ``lab``: {module name: source}, the hidden module's name, the questions,
    and where the hidden checks were read from (None: there were none)."""

    lab: str
    sources: dict[str, str]
    hidden_module: str | None
    questions: tuple[QuestionInfo, ...]
    hidden_path: Path | None = None

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions)

    def grading_cell(self, nonce: str, seconds_per_question: float) -> str:
        """Source of the cell appended to a notebook: runs ``probe.grade`` on the final namespace.

        Every name it binds starts with ``_course_grade_`` and it reaches builtins and the namespace
        through modules, so a student's variable called ``exec`` or ``globals`` does not get in the way.
        """
        probe_source = Path(probe.__file__).read_text(encoding="utf-8")
        return "\n".join([
            "# Added by the grader after the student's cells; it is not part of the notebook.",
            "import builtins as _course_grade_builtins, sys as _course_grade_sys",
            "_course_grade_probe = {'__name__': '_course_grade_probe'}",
            f"_course_grade_builtins.exec({probe_source!r}, _course_grade_probe)",
            f"_course_grade_probe['grade']({self.lab!r}, {self.sources!r}, {self.hidden_module!r}, {nonce!r},",
            f"    _course_grade_sys._getframe(0).f_globals, {seconds_per_question!r})",
        ])


def checks_module_path(lab: str) -> Path:
    """Where ``course_utils.checks.<lab>`` lives on disk, without importing it."""
    spec = importlib.util.find_spec(f"{probe.CHECKS_PACKAGE}.{lab}")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"No checks for {lab}: expected course_utils/checks/{lab}.py "
                                "(or pass the checks module with --checks FILE).")
    return Path(spec.origin)


def load(lab: str, *, checks_file: Path | None = None, hidden_file: Path | None = None) -> CheckSet:
    """Snapshot the checks of ``lab``: every module of course_utils/checks/, ``checks_file`` in place of
    ``course_utils/checks/<lab>.py`` when given, and the hidden checks (``hidden_file``, else
    ``course_utils/grading/hidden/<lab>.py`` when it exists)."""
    if not LAB_ID.fullmatch(lab):
        raise ValueError(f"{lab!r} is not a lab id: use lab01, lab02, lab03 or lab04.")
    package_dir = checks_module_path("core").parent
    sources = {f"{probe.CHECKS_PACKAGE}.{path.stem}": path.read_text(encoding="utf-8")
               for path in sorted(package_dir.glob("*.py")) if path.stem != "__init__"}
    sources[probe.CHECKS_PACKAGE] = (package_dir / "__init__.py").read_text(encoding="utf-8")
    lab_path = Path(checks_file) if checks_file else checks_module_path(lab)
    sources[f"{probe.CHECKS_PACKAGE}.{lab}"] = lab_path.read_text(encoding="utf-8")
    hidden_path = Path(hidden_file) if hidden_file else HIDDEN_DIR / f"{lab}.py"
    hidden_module = None
    if hidden_file or hidden_path.exists():
        hidden_module = f"{probe.CHECKS_PACKAGE}.{lab}_hidden"
        sources[hidden_module] = hidden_path.read_text(encoding="utf-8")
    origins = {f"{probe.CHECKS_PACKAGE}.{lab}": lab_path, hidden_module: hidden_path}
    for name, source in sources.items():
        try:
            compile(source, str(origins.get(name, name)), "exec")
        except SyntaxError as error:
            raise ValueError(f"{error.filename}, line {error.lineno}: {error.msg}") from None
    with probe.snapshot_checks(sources):
        _, questions = probe.lab_questions(lab, hidden_module)
        infos = tuple(QuestionInfo(q.qid, q.name, q.points, q.target, q.hidden) for q in questions)
    if not infos:
        raise ValueError(f"{lab_path} registers no question for {lab}: "
                         f"decorate its checks with @question({lab!r}, ...).")
    if hidden_module:
        with probe.snapshot_checks({k: v for k, v in sources.items() if k != hidden_module}):
            visible = {q.qid for q in probe.lab_questions(lab, None)[1]}
        unmarked = [q.name for q in infos if not q.hidden and q.qid not in visible]
        if unmarked:
            raise ValueError(f"{hidden_path} registers {', '.join(unmarked)} without hidden=True: students would "
                             "be told about them; add hidden=True to their @question(...).")
    clashes = [q.name for q in infos if q.name in RESERVED_NAMES]
    if clashes:
        raise ValueError(f"question name(s) {', '.join(clashes)} of {lab} would clash with the gradebook's "
                         f"columns {', '.join(RESERVED_NAMES)}: rename them.")
    return CheckSet(lab=lab, sources=sources, hidden_module=hidden_module, questions=infos,
                    hidden_path=hidden_path if hidden_module else None)


def read_result(output: str, nonce: str) -> dict[str, dict] | None:
    """The per-question results printed by the grading cell, or None when its output does not hold
    exactly one line tagged with this run's nonce (the cell crashed, or something printed a copy)."""
    tag = f"{probe.RESULT_TAG} {nonce} "
    lines = [line[len(tag):] for line in output.splitlines() if line.startswith(tag)]
    if len(lines) != 1:
        return None
    try:
        results = json.loads(lines[0])
    except json.JSONDecodeError:
        return None
    return results if isinstance(results, dict) else None
