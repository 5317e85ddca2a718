"""What the checks (and the network diagrams) read from a Keras graph, through public Keras 3 API first.

Keras has no documented walk over nested models or over a functional graph's edges; each function here
uses the public properties (``Model.layers``, ``Model.operations``, ``Operation.input`` and ``.output``)
and falls back on the private attribute that older or newer Keras versions keep, so that one change of
Keras is mended in one place: no other module of the package touches a private Keras attribute
(tests/test_keras_compat.py checks it, on the lowest and the highest Keras the package admits).
Keras is imported by the caller, never here.
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


def operations(model) -> list:
    """The operations of a built model's graph in order: its layers and ops such as ``+``, the InputLayer
    first. A Sequential model has no ``operations`` of its own: those of the functional graph Keras builds
    for it once it knows its input shape are returned."""
    try:
        return list(model.operations)
    except AttributeError:
        graph = getattr(model, "_functional", None)
        if graph is None:
            raise ValueError(
                f"model {model.name!r} has no graph yet: start it with keras.Input(shape=...) or "
                "call model.build(input_shape) first."
            ) from None
        return list(graph.operations)


def calls(operation) -> list[tuple[list, list]]:
    """(input tensors, output tensors) of every call of ``operation`` in a graph, in order: one pair for most
    layers, several for a layer shared between branches."""
    nodes = getattr(operation, "_inbound_nodes", None)
    if nodes is None:  # no record of the calls: the one call the public properties describe
        return [(inputs_of(operation), _flat(operation.output))]
    return [(list(node.input_tensors), list(node.outputs)) for node in nodes]


def inputs_of(operation) -> list:
    """The tensors ``operation`` (a layer or an op such as ``+``) was called on, for one call."""
    try:
        return _flat(operation.input)
    except (AttributeError, ValueError):  # never called, or called several times
        return list(operation._inbound_nodes[0].input_tensors)


def producer(tensor, model):
    """The operation of ``model`` whose output is ``tensor`` (an InputLayer for the model's input; None for a
    tensor outside the model's graph)."""
    graph = operations(model)
    for operation in graph:
        try:
            outputs = _flat(operation.output)
        except (AttributeError, ValueError):  # a layer called several times has no single output
            continue
        if any(out is tensor for out in outputs):
            return operation
    history = getattr(tensor, "_keras_history", None)  # which call made the tensor, a shared layer's included
    operation = history.operation if history is not None else None
    return operation if any(operation is op for op in graph) else None
