"""Runs in the student's kernel after the student's cells: one request of the judge per cell the runner sends.

    __import__("course_utils.grading.kernel_side", fromlist=["serve"]).serve('<request json>')

A request names an object of the notebook (``target``) and what to do with it: ``describe`` it (missing,
callable or a value), ``get`` it as plain data, ``call`` it on arguments, or ``build_block`` (call it on
``keras.Input(input_shape)`` and return ``keras.Model(input, output)``). The reply, as codec data, is shown
as one output of MIME type ``MIME``. Nothing here judges anything: this module only runs the student's
code and carries data, so whatever the notebook does to it only changes what its own answers look like.
"""

from __future__ import annotations

import json

from course_utils.grading import codec

MIME = "application/x-course-grade-reply"
MESSAGE_CHARS = 2000


def _namespace() -> dict:
    from IPython import get_ipython

    return get_ipython().user_ns


def _raised(error: BaseException) -> dict:
    import builtins

    kind = type(error)
    return {
        "raised": {
            "type": kind.__name__,
            "builtin": getattr(builtins, kind.__name__, None) is kind,
            "message": str(error)[:MESSAGE_CHARS],
        }
    }


def _encoded(**values) -> dict:
    try:
        return {key: codec.encode(value) for key, value in values.items()}
    except Exception as error:  # a result past the limits, or whose config cannot be read
        return {"unreadable": f"{type(error).__name__}: {str(error)[:300]}"}


def answer(request: dict, namespace: dict) -> dict:
    """The reply to one request (see the module docstring)."""
    target = request["target"]
    obj = namespace.get(target, Ellipsis)
    if request["op"] == "describe":
        kind = "missing" if obj is Ellipsis or obj is None else "callable" if callable(obj) else "value"
        return {"kind": kind}
    if request["op"] == "get":
        return _encoded(value=obj)
    args, kwargs = codec.decode(request["args"]), codec.decode(request["kwargs"])
    try:
        if request["op"] == "build_block":
            import keras

            inputs = keras.Input(tuple(codec.decode(request["input_shape"])))
            output = obj(inputs, *args, **kwargs)
            if not isinstance(output, keras.KerasTensor):
                return {"not_a_tensor": type(output).__name__}
            result = keras.Model(inputs, output)
        else:
            result = obj(*args, **kwargs)
    except (Exception, SystemExit) as error:  # the student's code raised: report it, the judge decides
        return _raised(error)
    return _encoded(result=result, args_after=args, kwargs_after=kwargs)


def serve(request_text: str) -> None:
    """Answer one request and show the reply as this cell's output."""
    from IPython.display import display

    reply = answer(json.loads(request_text), _namespace())
    display({MIME: json.dumps(reply)}, raw=True)
