"""Runs inside a student's kernel after the last student cell: score every question of the lab.

The grader puts this file's source, a snapshot of the checks' sources and a random nonce into one
cell it appends to the notebook; none of them exists in the kernel before the student's cells have
run. The checks are imported from the snapshot, never from disk or from modules the notebook already
imported, so a notebook that redefined ``check``, patched ``course_utils.checks`` or edited the
installed files is still scored by the real checks. Every question is evaluated on the object the
notebook's final namespace holds under the question's target name, whether or not the student called
``check``. The result is one printed line, ``course-grade-result <nonce> <json>``.

Standard library only: this module must run in any kernel the notebook leaves behind.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import json
import signal
import sys
from contextlib import contextmanager

CHECKS_PACKAGE = "course_utils.checks"
RESULT_TAG = "course-grade-result"
MESSAGE_CHARS = 600  # a feedback message longer than this is cut


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


class QuestionTimeout(BaseException):
    """A question ran past its time limit (a BaseException, so the checks' own handlers let it through)."""


@contextmanager
def time_limit(seconds: float):
    """Raise QuestionTimeout in the main thread after ``seconds`` of wall time (POSIX; elsewhere only
    the grading cell's own time limit applies)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise QuestionTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def judge(core, question, namespace: dict, seconds: float) -> dict:
    """Evaluate one question on ``namespace[question.target]``: {"passed": bool, "message": str}."""
    answer = namespace.get(question.target, Ellipsis)  # Ellipsis: core.evaluate says "not defined yet"
    try:
        with time_limit(seconds):
            passed, message = core.evaluate(question, answer)
    except QuestionTimeout:
        passed, message = False, (f"checking {question.target} took longer than {seconds:g} s: "
                                  "does it finish quickly for every input?")
    except (Exception, SystemExit, GeneratorExit) as error:  # raised past core.evaluate's own handler
        passed, message = False, f"checking {question.target} raised {type(error).__name__}: {error}"
    message = str(message)
    if len(message) > MESSAGE_CHARS:
        message = message[:MESSAGE_CHARS] + " …"
    return {"passed": bool(passed), "message": message}


def grade(lab: str, sources: dict[str, str], hidden_module: str | None, nonce: str,
          namespace: dict, seconds_per_question: float) -> None:
    """Score every question of ``lab`` on ``namespace`` and print the tagged result line."""
    with snapshot_checks(sources):
        core, questions = lab_questions(lab, hidden_module)
        results = {q.qid: judge(core, q, namespace, seconds_per_question) for q in questions}
    print(f"{RESULT_TAG} {nonce} {json.dumps(results)}", flush=True)
