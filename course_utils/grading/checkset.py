"""The checks a lab is graded with: a snapshot of their sources and the questions they define.

The snapshot is read once, before any notebook runs, and the judge of every notebook imports the checks
from it (``snapshot_checks``), never from disk, so even where the checks' files are writable (no sandbox)
an edit made during the run changes nothing for anyone graded in it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from course_utils import manifest

CHECKS_PACKAGE = "course_utils.checks"

LAB_ID = re.compile(r"lab\d\d")  # the shape of a lab id; the course's labs are in course_utils/course.toml
HIDDEN_DIR = Path(__file__).parent / "hidden"  # the course's own hidden checks: hidden/labNN.py
RESERVED_NAMES = ("student", "total", "status", "isolation")  # the gradebook's other columns


class SnapshotImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``course_utils.checks`` and its submodules from source texts, {module name: source}."""

    def __init__(self, sources: dict[str, str]):
        self.sources = sources

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.sources:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=fullname == CHECKS_PACKAGE)

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module):
        code = compile(self.sources[module.__name__], f"<grading snapshot of {module.__name__}>", "exec")
        exec(code, module.__dict__)


@contextmanager
def snapshot_checks(sources: dict[str, str]):
    """While inside, ``course_utils.checks.*`` imports come from ``sources`` only; restored afterwards."""

    def ours(name):
        return name == CHECKS_PACKAGE or name.startswith(CHECKS_PACKAGE + ".")

    parent_name, _, child = CHECKS_PACKAGE.rpartition(".")
    parent = sys.modules.get(parent_name)
    saved_attribute = getattr(parent, child, None)  # importing the snapshot rebinds course_utils.checks
    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in saved:
        del sys.modules[name]
    importer = SnapshotImporter(sources)
    sys.meta_path.insert(0, importer)
    try:
        yield
    finally:
        sys.meta_path.remove(importer)
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)
        if parent is not None and saved_attribute is not None:
            setattr(parent, child, saved_attribute)


def lab_questions(lab: str, hidden_module: str | None):
    """Every question of ``lab`` (hidden ones included) as the snapshot defines them; call inside
    ``snapshot_checks``. Returns (the checks' core module, its Question objects)."""
    core = importlib.import_module(f"{CHECKS_PACKAGE}.core")
    importlib.import_module(f"{CHECKS_PACKAGE}.{lab}")
    if hidden_module:
        importlib.import_module(hidden_module)
    return core, core.questions(lab, hidden=True)


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
    where the hidden checks were read from (None: there were none) and where the lab's checks were."""

    lab: str
    sources: dict[str, str]
    hidden_module: str | None
    questions: tuple[QuestionInfo, ...]
    hidden_path: Path | None = None
    checks_path: Path | None = None

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions)


def checks_module_path(lab: str) -> Path:
    """Where ``course_utils.checks.<lab>`` lives on disk, without importing it."""
    spec = importlib.util.find_spec(f"{CHECKS_PACKAGE}.{lab}")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            f"No checks for {lab}: expected course_utils/checks/{lab}.py "
            "(or pass the checks module with --checks FILE)."
        )
    return Path(spec.origin)


def load(lab: str, *, checks_file: Path | None = None, hidden_file: Path | None = None) -> CheckSet:
    """Snapshot the checks of ``lab``: every module of course_utils/checks/, ``checks_file`` in place of
    ``course_utils/checks/<lab>.py`` when given (then ``lab`` may be a lab the manifest does not name), and the
    hidden checks (``hidden_file``, else ``course_utils/grading/hidden/<lab>.py`` when it exists)."""
    lab_ids = manifest.course().lab_ids
    if not LAB_ID.fullmatch(lab) or (checks_file is None and lab not in lab_ids):
        raise ValueError(
            f"{lab!r} is not a lab id of the course: use {', '.join(lab_ids)} "
            "(course_utils/course.toml), or name another lab's checks with --checks FILE."
        )
    package_dir = checks_module_path("core").parent
    sources = {
        f"{CHECKS_PACKAGE}.{path.stem}": path.read_text(encoding="utf-8")
        for path in sorted(package_dir.glob("*.py"))
        if path.stem != "__init__"
    }
    sources[CHECKS_PACKAGE] = (package_dir / "__init__.py").read_text(encoding="utf-8")
    lab_path = Path(checks_file) if checks_file else checks_module_path(lab)
    sources[f"{CHECKS_PACKAGE}.{lab}"] = lab_path.read_text(encoding="utf-8")
    hidden_path = Path(hidden_file) if hidden_file else HIDDEN_DIR / f"{lab}.py"
    hidden_module = None
    if hidden_file or hidden_path.exists():
        hidden_module = f"{CHECKS_PACKAGE}.{lab}_hidden"
        sources[hidden_module] = hidden_path.read_text(encoding="utf-8")
    origins = {f"{CHECKS_PACKAGE}.{lab}": lab_path, hidden_module: hidden_path}
    for name, source in sources.items():
        try:
            compile(source, str(origins.get(name, name)), "exec")
        except SyntaxError as error:
            raise ValueError(f"{error.filename}, line {error.lineno}: {error.msg}") from None
    with snapshot_checks(sources):
        _, questions = lab_questions(lab, hidden_module)
        infos = tuple(QuestionInfo(q.qid, q.name, q.points, q.target, q.hidden) for q in questions)
    if not infos:
        raise ValueError(
            f"{lab_path} registers no question for {lab}: decorate its checks with @question({lab!r}, ...)."
        )
    if hidden_module:
        with snapshot_checks({k: v for k, v in sources.items() if k != hidden_module}):
            visible = {q.qid for q in lab_questions(lab, None)[1]}
        unmarked = [q.name for q in infos if not q.hidden and q.qid not in visible]
        if unmarked:
            raise ValueError(
                f"{hidden_path} registers {', '.join(unmarked)} without hidden=True: students would "
                "be told about them; add hidden=True to their @question(...)."
            )
    clashes = [q.name for q in infos if q.name in RESERVED_NAMES]
    if clashes:
        raise ValueError(
            f"question name(s) {', '.join(clashes)} of {lab} would clash with the gradebook's "
            f"columns {', '.join(RESERVED_NAMES)}: rename them."
        )
    return CheckSet(
        lab=lab,
        sources=sources,
        hidden_module=hidden_module,
        questions=infos,
        hidden_path=hidden_path if hidden_module else None,
        checks_path=lab_path,
    )
