"""What the checks need to read from a Keras graph, through public Keras 3 API first.

Keras has no documented walk over nested models or over a functional graph's edges; each function here
uses the public properties (``Model.layers``, ``Model.operations``, ``Operation.input`` and ``.output``)
and falls back on the private attribute that older or newer Keras versions keep, so that one change of
Keras is mended in one place. Keras is imported by the caller, never here.
"""
from __future__ import annotations

from typing import Any


def _flat(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def all_layers(model) -> list:
    """Every layer inside ``model`` in order, the layers of nested models (and the models) included."""
    try:
        layers = list(model.layers)
    except AttributeError:
        return list(model._flatten_layers(include_self=False, recursive=True))
    found = []
    for layer in layers:
        found.append(layer)
        if hasattr(layer, "layers"):
            found += all_layers(layer)
    return found


def inputs_of(operation) -> list:
    """The tensors ``operation`` (a layer or an op such as ``+``) was called on, for one call."""
    try:
        return _flat(operation.input)
    except (AttributeError, ValueError):  # never called, or called several times
        return list(operation._inbound_nodes[0].input_tensors)


def producer(tensor, model):
    """The operation of ``model`` whose output is ``tensor`` (an InputLayer for the model's input; None for a
    tensor outside the model's graph)."""
    for operation in model.operations:
        try:
            outputs = _flat(operation.output)
        except (AttributeError, ValueError):
            continue
        if any(out is tensor for out in outputs):
            return operation
    history = getattr(tensor, "_keras_history", None)
    return history.operation if history is not None else None
