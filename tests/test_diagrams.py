"""course_utils.diagrams: every layer is drawn once, branches sit side by side, shortcuts are arcs,
on TensorFlow and on JAX (the other backend runs this file again in a subprocess)."""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from keras import layers  # noqa: E402

from backends import other_backend_test  # noqa: E402
from course_utils.diagrams import draw_graph, draw_model, model_graph  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def residual_block(x, filters, stride=1):
    branch = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    branch = layers.Activation("relu")(layers.BatchNormalization()(branch))
    branch = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(branch))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
    return layers.Activation("relu")(layers.Add()([branch, shortcut]))


def small_resnet():
    inputs = keras.Input((16, 16, 1))
    x = residual_block(layers.Conv2D(4, 3, padding="same")(inputs), 4)
    x = residual_block(x, 8, stride=2)
    return keras.Model(inputs, layers.Dense(1)(layers.GlobalAveragePooling2D()(x)), name="small_resnet")


def inception():
    x = keras.Input((8, 8, 16))
    b1 = layers.Conv2D(4, 1, name="branch_1x1")(x)
    b3 = layers.Conv2D(4, 3, padding="same")(layers.Conv2D(2, 1, name="branch_3x3_reduce")(x))
    pool = layers.Conv2D(4, 1)(layers.MaxPooling2D(3, strides=1, padding="same", name="branch_pool")(x))
    return keras.Model(x, layers.Concatenate()([b1, b3, pool]), name="inception")


def centre(box):
    return box.get_x() + box.get_width() / 2, box.get_y() + box.get_height() / 2


def test_every_layer_is_drawn_once_with_its_label():
    model = small_resnet()
    drawing = draw_model(model)
    assert set(drawing.boxes) == {layer.name for layer in model.layers}
    graph = model_graph(model)
    assert {name: text.get_text() for name, text in drawing.labels.items()} == graph.nodes
    assert len(drawing.ax.texts) == len(model.layers)  # no label drawn twice, none left out
    assert "Conv2D 3×3, 8 stride 2\n8×8×8" in graph.nodes.values()
    assert graph.nodes[model.layers[0].name] == "Input\n16×16×1"
    assert drawing.ax.get_title() == f"small_resnet: {model.count_params():,} parameters"


def test_residual_shortcuts_are_arcs_and_chain_edges_are_straight():
    model = small_resnet()
    drawing = draw_model(model)
    adds = [layer for layer in model.layers if isinstance(layer, layers.Add)]
    first_add, second_add = (layer.name for layer in adds)
    stem = model.layers[1].name
    assert (stem, first_add) in drawing.shortcuts  # identity shortcut: input of the block to its Add
    projection = [s for s, t in drawing.shortcuts if t == second_add]
    assert len(projection) == 1 and projection[0].startswith("conv2d")  # the 1x1 convolution's output
    assert len(drawing.shortcuts) == 2
    assert set(drawing.arrows) == {(s, t) for s, t, _ in model_graph(model).edges}
    assert len(drawing.arrows) == sum(len(layer._inbound_nodes[0].input_tensors) for layer in model.layers[1:])


def test_inception_branches_are_side_by_side_and_merge_below():
    model = inception()
    drawing = draw_model(model)
    first_of_branch = [
        layer.name
        for layer in model.layers
        if any(s == model.layers[0].name for s, t, _ in model_graph(model).edges if t == layer.name)
    ]
    assert len(first_of_branch) == 3
    xs = {centre(drawing.boxes[name])[0] for name in first_of_branch}
    ys = {centre(drawing.boxes[name])[1] for name in first_of_branch}
    assert len(xs) == 3 and len(ys) == 1  # three columns, one row
    concat = drawing.boxes[model.layers[-1].name]
    assert centre(concat)[1] < min(ys)  # below every branch
    assert min(xs) < centre(concat)[0] < max(xs)  # centred under them
    in_concat_order = [centre(drawing.boxes[name])[0] for name in ("branch_1x1", "branch_3x3_reduce", "branch_pool")]
    assert in_concat_order == sorted(in_concat_order)  # left to right as Concatenate stacks them


def test_hand_graph_with_backward_edges():
    nodes = {"x": "input", "lin": "Linear", "sig": "Sigmoid", "E": "error"}
    edges = [("x", "lin"), ("lin", "sig"), ("sig", "E"), ("E", "sig", "dE/da"), ("sig", "lin")]
    drawing = draw_graph(nodes, edges, direction="right")
    assert drawing.backward == {("E", "sig"), ("sig", "lin")}
    assert not drawing.shortcuts
    xs = [centre(drawing.boxes[name])[0] for name in nodes]
    assert xs == sorted(xs) and len(set(xs)) == 4  # left to right, in order
    assert "dE/da" in [t.get_text() for t in drawing.ax.texts]
    assert drawing.arrows[("E", "sig")].get_linestyle() == "--"


def test_bad_input_says_what_to_do():
    with pytest.raises(ValueError, match="not one of the nodes"):
        draw_graph({"a": "A"}, [("a", "b")])
    with pytest.raises(ValueError, match="direction"):
        draw_graph({"a": "A"}, [], direction="up")
    with pytest.raises(ValueError, match="keras.Input"):
        model_graph(keras.Sequential([layers.Dense(2)]))


def test_sequential_model_with_input():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])
    drawing = draw_model(model)
    assert len(drawing.boxes) == 3 and not drawing.shortcuts
    assert "Dense 3 + relu\n3" in [t.get_text() for t in drawing.ax.texts]


test_the_other_backend = other_backend_test(__file__)
