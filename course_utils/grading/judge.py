"""Judge one notebook: the trusted process that scores every question, where no student code ever runs.

    python -m course_utils.grading.judge      (started by the grader for each notebook)

The first line on stdin is the job: {"lab", "sources" (the checks' snapshot), "hidden_module"}. The checks
are imported from the snapshot; each question receives, for its target, a ``remote.RemoteCallable`` (or
the target's value as plain data) instead of the student's object, so the reference answers, the
comparisons, the diagnosis and the points all happen here. Calls go out as request lines on stdout and
their replies come back on stdin, relayed by the grader to and from the notebook's runner. The last line
on stdout is {"results": {question id: {"passed", "message"}}, "dead": why the kernel died or ""}. What
the checks print goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys

from course_utils.grading import checkset, remote

MESSAGE_CHARS = 600  # a feedback message longer than this is cut


def judge(core, question, answer) -> dict:
    """Evaluate one question on ``answer``: {"passed": bool, "message": str}."""
    try:
        passed, message = core.evaluate(question, answer)
    except remote.RemoteStop as stop:
        passed, message = False, str(stop)
    except (Exception, SystemExit, GeneratorExit) as error:  # raised past core.evaluate's own handler
        passed, message = False, f"checking {question.target} raised {type(error).__name__}: {error}"
    message = str(message)
    if len(message) > MESSAGE_CHARS:
        message = message[:MESSAGE_CHARS] + " …"
    return {"passed": bool(passed), "message": message}


def grade(lab: str, sources: dict[str, str], hidden_module: str | None, channel: remote.Channel) -> dict:
    """Score every question of ``lab`` through ``channel``: {question id: {"passed", "message"}}."""
    results = {}
    with checkset.snapshot_checks(sources):
        core, questions = checkset.lab_questions(lab, hidden_module)
        answers: dict = {}
        for q in questions:
            if q.target not in answers:
                try:
                    answers[q.target] = remote.answer_for(channel, q.target)
                except (core.CheckFailed, remote.RemoteStop) as failure:
                    answers[q.target] = failure
            answer = answers[q.target]
            if isinstance(answer, BaseException):
                results[q.qid] = {"passed": False, "message": str(answer)[:MESSAGE_CHARS]}
            else:
                results[q.qid] = judge(core, q, answer)
    return results


def main() -> int:
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # what a check prints must not mix with the protocol
    job = json.loads(sys.stdin.readline())
    channel = remote.Channel(sys.stdin, protocol)
    results = grade(job["lab"], job["sources"], job["hidden_module"], channel)
    protocol.write(json.dumps({"results": results, "dead": channel.dead}) + "\n")
    protocol.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
