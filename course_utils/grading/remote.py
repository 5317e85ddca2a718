"""The judge's view of a notebook's objects: ``RemoteCallable`` stands for a function of the notebook and
runs it in the student's kernel, over a ``Channel`` that carries requests out and replies back.

A check calls it like the student's function: ``fn(*args)`` ships the arguments (``codec``), runs the call
in the kernel and returns the decoded result, copying into the arguments what the call changed in them
(an array written in place, a list appended to, a random generator advanced), so a check sees the
call as if it had run here. The check toolkit uses ``call_with_args`` and ``build_block`` directly. An
exception the student's code raised is raised again here with the same type when it is a built-in
one (``NotImplementedError``, ``ValueError`` ...), otherwise as an exception named like it.
"""

from __future__ import annotations

import builtins
import json
from typing import Any

from course_utils.grading import codec


class RemoteStop(BaseException):
    """The call cannot be answered: the per-call time limit passed, or the kernel is gone. A BaseException,
    so a check's own ``except Exception`` lets it through to the judge."""

    def __init__(self, message: str, *, fatal: bool = False):
        super().__init__(message)
        self.fatal = fatal


class RemoteError(Exception):
    """Base of the exceptions raised here for exceptions of the notebook's own (non built-in) types."""


class Channel:
    """Requests out on ``writer``, one JSON line each; the runner's reply comes back as one line on ``reader``."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.dead = ""  # why the kernel cannot answer any more

    def request(self, **request) -> dict:
        if self.dead:
            raise RemoteStop(f"not checked: the kernel had stopped ({self.dead})", fatal=True)
        self.writer.write(json.dumps(request) + "\n")
        self.writer.flush()
        line = self.reader.readline()
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            self.dead = "it stopped answering"
            raise RemoteStop(f"the kernel stopped answering while {request['target']} was running", fatal=True)
        if "kernel_died" in reply:
            self.dead = f"{str(reply['kernel_died'])[:200]}, in {request['target']}"
            raise RemoteStop(f"the kernel stopped ({self.dead})", fatal=True)
        if "timeout" in reply:
            raise RemoteStop(
                f"calling {request['target']} took longer than {str(reply['timeout'])[:20]} s (the time "
                "limit of one call): does it finish quickly for every input?"
            )
        if not isinstance(reply.get("ok"), dict):
            raise RemoteStop(f"the grader could not run {request['target']}: {str(reply.get('failed'))[:300]}")
        return reply["ok"]


def _check_failed():
    from course_utils.checks.core import CheckFailed  # the checks the judge loaded (its snapshot)

    return CheckFailed


def _decoded(reply: dict, key: str, target: str):
    if "unreadable" in reply:
        raise _check_failed()(f"the grader could not read what {target} returned: {str(reply['unreadable'])[:300]}")
    try:
        return codec.decode(reply.get(key))
    except codec.Undecodable as error:
        raise _check_failed()(f"the grader cannot rebuild what {target} returned: {error}.") from None


def _raise_student_error(raised: Any) -> None:
    if not isinstance(raised, dict):
        raise RemoteStop("the kernel's reply is malformed")
    name, message = str(raised.get("type", "Exception"))[:100], str(raised.get("message", ""))[:2000]
    kind = getattr(builtins, name, None) if raised.get("builtin") is True else None
    if isinstance(kind, type) and issubclass(kind, Exception) and kind is not RemoteStop:
        try:
            error = kind(message)
        except Exception:  # a built-in exception that wants other arguments (UnicodeDecodeError ...)
            error = None
        if error is not None:
            raise error
    if not codec.NAME.fullmatch(name):
        name = "Exception"
    raise type(name.replace(".", "_"), (RemoteError,), {})(message)


def _mirror(before: Any, after: Any) -> None:
    """Copy into ``before`` (an argument as the check passed it) what the call changed in it."""
    import numpy as np

    if isinstance(before, np.ndarray) and isinstance(after, np.ndarray):
        if before.shape == after.shape and before.dtype == after.dtype and before.flags.writeable:
            before[...] = after
    elif isinstance(before, list) and isinstance(after, list):
        if before != after:
            before[:] = after
    elif isinstance(before, dict) and isinstance(after, dict):
        before.clear()
        before.update(after)
    elif isinstance(before, np.random.Generator) and isinstance(after, np.random.Generator):
        if type(before.bit_generator) is type(after.bit_generator):
            before.bit_generator.state = after.bit_generator.state


class RemoteCallable:
    """Stands for the notebook's object ``target``, a function, in the judge's process."""

    def __init__(self, channel: Channel, target: str):
        self.channel, self.target, self.__name__ = channel, target, target

    def __repr__(self) -> str:
        return f"<the notebook's {self.target}>"

    def _encode_arguments(self, args, kwargs) -> dict:
        try:
            return {"args": codec.encode(list(args)), "kwargs": codec.encode(dict(kwargs))}
        except codec.Undecodable as error:
            raise TypeError(f"the grader cannot send these arguments to {self.target}: {error}") from None

    def call_with_args(self, args, kwargs) -> tuple[Any, list, dict]:
        """Call the notebook's function on ``args``/``kwargs``; return (result, args after, kwargs after)."""
        reply = self.channel.request(op="call", target=self.target, **self._encode_arguments(args, kwargs))
        if "raised" in reply:
            _raise_student_error(reply["raised"])
        return (
            _decoded(reply, "result", self.target),
            _decoded(reply, "args_after", self.target),
            _decoded(reply, "kwargs_after", self.target),
        )

    def __call__(self, *args, **kwargs):
        result, args_after, kwargs_after = self.call_with_args(args, kwargs)
        for before, after in zip(args, args_after if isinstance(args_after, list) else []):
            _mirror(before, after)
        for key, before in kwargs.items():
            if isinstance(kwargs_after, dict) and key in kwargs_after:
                _mirror(before, kwargs_after[key])
        return result

    def build_block(self, input_shape, args, kwargs):
        """keras.Model(x, fn(x, *args, **kwargs)) for x = keras.Input(input_shape), built in the kernel and
        rebuilt here."""
        reply = self.channel.request(
            op="build_block",
            target=self.target,
            input_shape=codec.encode(list(input_shape)),
            **self._encode_arguments(args, kwargs),
        )
        if "raised" in reply:
            _raise_student_error(reply["raised"])
        if "not_a_tensor" in reply:
            from course_utils.checks.toolkit import RETURN_A_TENSOR

            raise _check_failed()(f"{self.target} returned {str(reply['not_a_tensor'])[:100]}; {RETURN_A_TENSOR}")
        return _decoded(reply, "result", self.target)


def answer_for(channel: Channel, target: str) -> Any:
    """What a question receives for the notebook's ``target``: a RemoteCallable for a function, the value
    itself (decoded) for anything else, Ellipsis when the notebook does not define it."""
    kind = channel.request(op="describe", target=target).get("kind")
    if kind == "callable":
        return RemoteCallable(channel, target)
    if kind == "value":
        return _decoded(channel.request(op="get", target=target), "value", target)
    return Ellipsis
