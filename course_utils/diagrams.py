"""Boxes-and-arrows diagrams of networks, drawn with matplotlib alone (no graphviz, works offline).

``draw_model(model)`` draws a built Keras model (any backend): one box per layer, parallel branches
side by side, and edges that skip layers (residual shortcuts) as arcs around the boxes they pass.
``draw_graph(nodes, edges)`` draws a graph you write by hand, e.g. the nodes of a backward pass;
edges that point back to an earlier node are drawn dashed, on the other side.

Layout: every node sits one level after its latest predecessor; a node with one predecessor stays in
that predecessor's column when it is free, a merge (Add, Concatenate) is centred under its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from course_utils.checks import keras_compat

# (box size along, box size across, distance between levels, between columns), in layout units
GEOMETRY = {"down": (0.5, 1.7, 1.0, 2.1), "right": (1.5, 0.6, 2.1, 1.0)}
COLOURS = {
    "conv": "#cfe2f3",
    "norm": "#e6e6e6",
    "activation": "#fde9c9",
    "pool": "#d9ead3",
    "merge": "#f4cccc",
    "dense": "#e1d5e7",
    "input": "white",
    "other": "#fff2cc",
}


@dataclass
class Graph:
    """Nodes (name -> label, in drawing order) and directed edges (source, target, label)."""

    nodes: dict[str, str]
    edges: list[tuple[str, str, str]]
    kinds: dict[str, str] = field(default_factory=dict)  # name -> a key of COLOURS


@dataclass
class Drawing:
    """What was drawn: the Axes, one box and label per node, one arrow per edge, which edges are arcs."""

    ax: plt.Axes
    boxes: dict[str, FancyBboxPatch]
    labels: dict[str, plt.Text]
    arrows: dict[tuple[str, str], FancyArrowPatch]
    shortcuts: set[tuple[str, str]]  # forward edges that skip at least one level
    backward: set[tuple[str, str]]  # edges to an earlier node


def model_graph(model) -> Graph:
    """The layer graph of a built Keras model: one node per layer (or op), edges along its tensors.

    Walks the model's operations and each one's calls, as ``keras.utils.plot_model`` does.
    """
    if not model.built:
        raise ValueError(
            f"model {model.name!r} is not built, so it has no graph to draw: start it with "
            "keras.Input(shape=...) or call model.build(input_shape) first."
        )
    operations = keras_compat.operations(model)
    producer = {}
    for op in operations:
        for _, outputs in keras_compat.calls(op):
            for tensor in outputs:
                producer.setdefault(id(tensor), op.name)
    edges = []
    for op in operations:
        for inputs, _ in keras_compat.calls(op):
            for tensor in inputs:
                source = producer.get(id(tensor))
                if source is not None and source != op.name and (source, op.name, "") not in edges:
                    edges.append((source, op.name, ""))
    return Graph({op.name: layer_label(op) for op in operations}, edges, {op.name: layer_kind(op) for op in operations})


def layer_label(op) -> str:
    """Two lines: what the layer does (type, kernel, filters, stride, activation) and its output shape."""
    kind, config = type(op).__name__, op.get_config() if hasattr(op, "get_config") else {}
    words = [kind.replace("Layer", "") if kind == "InputLayer" else kind]
    if "kernel_size" in config:
        words.append("×".join(map(str, config["kernel_size"])) + f", {config['filters']}")
    elif "units" in config:
        words.append(str(config["units"]))
    elif "pool_size" in config:
        words.append("×".join(map(str, config["pool_size"])))
    strides = config.get("strides")
    if strides and any(s != 1 for s in strides) and strides != config.get("pool_size"):
        words.append(f"stride {strides[0]}")
    activation = config.get("activation")
    if isinstance(activation, str) and activation != "linear":
        words.append(activation if kind == "Activation" else f"+ {activation}")
    if kind == "Activation":
        words = [str(activation)]
    try:
        shape = "×".join(str(d) for d in op.output.shape[1:])
    except (AttributeError, ValueError):  # a layer called more than once has no single output
        shape = ""
    return " ".join(words) + (f"\n{shape}" if shape else "")


def layer_kind(op) -> str:
    """The colour class of a layer: conv, norm, activation, pool, merge, dense, input or other."""
    name = type(op).__name__
    for kind, words in (
        ("input", ("InputLayer",)),
        ("conv", ("Conv",)),
        ("norm", ("Normalization",)),
        ("pool", ("Pooling",)),
        ("merge", ("Add", "Concatenate", "Multiply")),
        ("dense", ("Dense",)),
        ("activation", ("Activation", "ReLU", "relu", "Softmax")),
    ):
        if any(word in name for word in words):
            return kind
    return "other"


def draw_model(model, *, ax: plt.Axes | None = None, direction: str = "down", title: str | None = None) -> Drawing:
    """Draw a built Keras model's layer graph; title defaults to the model's name and parameter count."""
    graph = model_graph(model)
    if title is None:
        title = f"{model.name}: {model.count_params():,} parameters"
    return draw_graph(graph.nodes, graph.edges, kinds=graph.kinds, ax=ax, direction=direction, title=title)


def draw_graph(
    nodes: dict[str, str],
    edges,
    *,
    kinds: dict[str, str] | None = None,
    ax: plt.Axes | None = None,
    direction: str = "down",
    title: str = "",
) -> Drawing:
    """Draw nodes (name -> label, in order) joined by edges, (source, target) or (source, target, label).

    direction: "down" (first node on top) or "right" (first node on the left). An edge to a node
    listed before its source is a backward edge (dashed); it does not move nodes.
    """
    if direction not in GEOMETRY:
        raise ValueError(f"direction must be 'down' or 'right', not {direction!r}")
    box_along, box_across, step_along, step_across = GEOMETRY[direction]
    order = {name: k for k, name in enumerate(nodes)}
    edges = [(e[0], e[1], e[2] if len(e) > 2 else "") for e in edges]
    for source, target, _ in edges:
        for end in (source, target):
            if end not in order:
                raise ValueError(
                    f"edge {source!r} -> {target!r} names {end!r}, which is not one of the nodes {list(nodes)}"
                )
    forward = [(s, t, label) for s, t, label in edges if order[s] < order[t]]
    level, column = _layout(list(nodes), forward)

    def point(along, across):
        return (across, -along) if direction == "down" else (along, -across)

    new_figure = ax is None
    if new_figure:
        _, ax = plt.subplots()
    boxes, labels = {}, {}
    for name, label in nodes.items():
        x, y = point(level[name] * step_along, column[name] * step_across)
        width, height = (box_across, box_along) if direction == "down" else (box_along, box_across)
        box = FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02",
            facecolor=COLOURS[(kinds or {}).get(name, "other")],
            edgecolor="0.3",
            lw=0.8,
            zorder=2,
        )
        ax.add_patch(box)
        labels[name] = ax.text(x, y, label, ha="center", va="center", fontsize=7.5, zorder=3)
        boxes[name] = box
    arrows, shortcuts, backward, reach = {}, set(), set(), []  # reach: how far the arcs go
    half, side_half = box_along / 2, box_across / 2
    for source, target, label in edges:
        a0, c0 = level[source] * step_along, column[source] * step_across
        a1, c1 = level[target] * step_along, column[target] * step_across
        is_back = order[source] > order[target]
        if is_back or level[target] - level[source] > 1:
            passed = [column[n] * step_across for n in nodes if min(a0, a1) < level[n] * step_along < max(a0, a1)] or [
                max(c0, c1)
            ]
            go_left = is_back or min(c0, c1) - min(passed) < max(passed) - max(c0, c1)  # the shorter way round
            if go_left:
                side, edge_c = min(passed + [c0, c1]) - side_half - 0.45, -side_half
            else:
                side, edge_c = max(passed + [c0, c1]) + side_half + 0.45, side_half
            start, end = point(a0, c0 + edge_c), point(a1, c1 + edge_c)
            reach += [point(a0, side + np.sign(edge_c) * 0.4), point(a1, side + np.sign(edge_c) * 0.4)]
            path = Path(
                [start, point(a0, side), point(a1, side), end], [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4]
            )
            arrow = FancyArrowPatch(
                path=path,
                arrowstyle="-|>",
                mutation_scale=10,
                lw=1,
                color="C3" if is_back else "0.25",
                ls="--" if is_back else "-",
                zorder=1,
            )
            (backward if is_back else shortcuts).add((source, target))
            label_at = point((a0 + a1) / 2, 0.8 * side + 0.2 * (c0 + edge_c) + np.sign(edge_c) * 0.15)
        else:
            arrow = FancyArrowPatch(
                point(a0 + half, c0),
                point(a1 - half, c1),
                arrowstyle="-|>",
                mutation_scale=10,
                lw=1,
                color="0.25",
                zorder=1,
            )
            label_at = point((a0 + a1) / 2, (c0 + c1) / 2 + 0.1)
        ax.add_patch(arrow)
        arrows[(source, target)] = arrow
        if label:
            ax.text(*label_at, label, fontsize=8, color=arrow.get_edgecolor(), ha="center", va="center")
    corners = [
        point(level[n] * step_along + d_along * box_along, column[n] * step_across + d_across * box_across)
        for n in nodes
        for d_along in (-0.7, 0.7)
        for d_across in (-0.9, 0.9)
    ]
    corners += reach
    xs, ys = zip(*corners)
    ax.set(xlim=(min(xs), max(xs)), ylim=(min(ys), max(ys)))
    if new_figure:  # inches per layout unit, across and along the flow
        x_scale, y_scale = (1.1, 0.62) if direction == "down" else (0.7, 0.75)
        ax.figure.set_size_inches(x_scale * (max(xs) - min(xs)), y_scale * (max(ys) - min(ys)) + 0.4)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return Drawing(ax, boxes, labels, arrows, shortcuts, backward)


def _layout(names: list[str], edges: list[tuple[str, str, str]]) -> tuple[dict[str, int], dict[str, float]]:
    """Level (longest path from a source) and column of each node, for edges from earlier to later nodes.

    Within a level, branches are placed in the order their merge takes them (Concatenate's inputs, left
    to right), found by following each node's first-listed path downstream.
    """
    parents = {name: [s for s, t, _ in edges if t == name] for name in names}
    level = {}
    for name in names:
        level[name] = max((level[p] + 1 for p in parents[name]), default=0)
    key = {}
    for k, name in reversed(list(enumerate(names))):
        downstream = [key[t] + (parents[t].index(name),) for s, t, _ in edges if s == name]
        key[name] = min(downstream) if downstream else (k,)
    column, taken = {}, {}
    for name in sorted(names, key=lambda n: (level[n], key[n])):
        used = taken.setdefault(level[name], set())
        columns = sorted({column[p] for p in parents[name]})
        if len(columns) > 1:  # a merge: centred under its inputs
            wanted = sum(columns) / len(columns)
        else:
            wanted = columns[0] if columns else 0
            while wanted in used:
                wanted += 1
        column[name] = wanted
        used.add(wanted)
    return level, column
