"""The Keras compat layer: the one module that reads Keras graphs for the checks and the diagrams.

Runs in the main environment (the highest Keras admitted) and in `make test-keras-lowest` (the lowest), so it
needs only Keras, NumPy and pytest.
"""

from __future__ import annotations

import re
from pathlib import Path

import keras
import pytest
from keras import layers

from course_utils.checks import keras_compat

ROOT = Path(__file__).resolve().parents[1]
# Private Keras attributes the package reads (as `obj._name` or getattr(obj, "_name")): through keras_compat only.
PRIVATE_KERAS = re.compile(
    r"""(\.|["'])_(flatten_layers|inbound_nodes|outbound_nodes|keras_history|functional|"""
    r"""layers|operations|build_shapes_dict|tracker)\b"""
)


def graph():
    x = keras.Input((4, 4, 2))
    y = layers.Conv2D(2, 1)(x)
    inner = keras.Sequential([keras.Input((4, 4, 2)), layers.BatchNormalization(), layers.ReLU()])
    z = inner(y) + x
    return keras.Model(x, z), x, y, z


def test_all_layers_walks_nested_models():
    model, *_ = graph()
    kinds = [type(layer).__name__ for layer in keras_compat.all_layers(model)]
    assert kinds == ["InputLayer", "Conv2D", "Sequential", "BatchNormalization", "ReLU"]


def test_producer_and_inputs_follow_the_graph_edges():
    model, x, y, z = graph()
    add = keras_compat.producer(z, model)
    assert type(add).__name__ == "Add" and type(keras_compat.producer(x, model)).__name__ == "InputLayer"
    conv = keras_compat.producer(y, model)
    assert keras_compat.inputs_of(conv) == [x] and len(keras_compat.inputs_of(add)) == 2
    assert keras_compat.producer(keras.Input((3,)), model) is None


def test_the_private_fallbacks_still_walk_the_graph():
    model, x, y, _ = graph()

    class NoPublicWalk:
        def _flatten_layers(self, include_self, recursive):
            return iter(model._flatten_layers(include_self=include_self, recursive=recursive))

    kinds = {type(layer).__name__ for layer in keras_compat.all_layers(NoPublicWalk())}
    assert {"Conv2D", "Sequential", "BatchNormalization", "ReLU"} <= kinds
    shared = layers.Dense(2)
    shared(keras.Input((3,)))
    shared(keras.Input((3,)))  # called twice: .input is ambiguous, the first call's inputs are read
    assert len(keras_compat.inputs_of(shared)) == 1
    assert keras_compat.inputs_of(keras_compat.producer(y, model)) == [x]


def test_operations_of_functional_and_sequential_models():
    model, *_ = graph()
    assert [type(op).__name__ for op in keras_compat.operations(model)] == ["InputLayer", "Conv2D", "Sequential", "Add"]
    sequential = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.ReLU()])
    assert [type(op).__name__ for op in keras_compat.operations(sequential)] == ["InputLayer", "Dense", "ReLU"]
    with pytest.raises(ValueError, match="no graph yet"):
        keras_compat.operations(keras.Sequential([layers.Dense(3)]))


def test_calls_list_every_call_of_a_shared_layer():
    a, b = keras.Input((3,)), keras.Input((3,))
    shared = layers.Dense(2)
    out_a, out_b = shared(a), shared(b)
    assert [(inputs, outputs) for inputs, outputs in keras_compat.calls(shared)] == [([a], [out_a]), ([b], [out_b])]
    model, x, y, _ = graph()
    assert keras_compat.calls(keras_compat.producer(y, model)) == [([x], [y])]


def test_no_other_module_reads_private_keras_attributes():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "course_utils").rglob("*.py"))
        if path.name != "keras_compat.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if PRIVATE_KERAS.search(line)
    ]
    assert offenders == [], "read Keras internals through course_utils.checks.keras_compat:\n" + "\n".join(offenders)


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:2])


def test_the_lowest_keras_tested_is_the_lowest_admitted():
    pyproject = (ROOT / "pyproject.toml").read_text()
    lowest_admitted = re.search(r'"keras>=([\d.]+)', pyproject).group(1)
    lowest_tested = re.search(r'"keras==([\d.]+)\.\*"', (ROOT / "Makefile").read_text()).group(1)
    assert version(lowest_tested) == version(lowest_admitted), (
        f"pyproject.toml admits keras>={lowest_admitted} but `make test-keras-lowest` tests {lowest_tested}: "
        "change KERAS_LOWEST in the Makefile"
    )
    assert version(keras.__version__) >= version(lowest_admitted)
