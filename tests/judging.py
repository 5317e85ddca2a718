"""The grader's judge without a kernel: the student's functions live in a namespace of this process and
are called through the same requests, codec and RemoteCallable as in a graded run."""

from __future__ import annotations

import json

from course_utils.grading import checkset, judge, kernel_side, remote


class InProcess(remote.Channel):
    """A channel whose "kernel" is ``namespace``: each request is answered by kernel_side, through JSON."""

    def __init__(self, namespace: dict):
        super().__init__(None, None)
        self.namespace = namespace

    def request(self, **request) -> dict:
        return json.loads(json.dumps(kernel_side.answer(json.loads(json.dumps(request)), self.namespace)))


def judged(checks: checkset.CheckSet, namespace: dict) -> dict[str, dict]:
    """{question id: {"passed", "message"}} for every question of ``checks`` on ``namespace``."""
    return judge.grade(checks.lab, checks.sources, checks.hidden_module, InProcess(namespace))
