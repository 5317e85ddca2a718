"""The check toolkit: what every lab's checks (and an instructor's own) rely on (its Keras compat layer:
tests/test_keras_compat.py)."""

from __future__ import annotations

import numpy as np
import pytest
from keras import layers

from course_utils.checks import CheckFailed, toolkit


def conv2d(image, kernel):
    return image[: kernel.shape[0], : kernel.shape[0]] * kernel  # square kernels only


def test_a_crash_names_the_function_the_case_and_the_error():
    with pytest.raises(toolkit.Crashed) as failure:
        toolkit.call(conv2d, "the 6×8 image with the 2×3 kernel", np.ones((6, 8)), np.ones((2, 3)))
    message = str(failure.value)
    assert message.startswith("calling conv2d on the 6×8 image with the 2×3 kernel raised ValueError: operands")
    assert failure.value.kind == "ValueError"
    with pytest.raises(toolkit.Crashed, match=r"raised ValueError: .* — use the kernel's two sizes\.$"):
        with toolkit.hint_on_crash("use the kernel's two sizes"):
            toolkit.call(conv2d, "a case", np.ones((6, 8)), np.ones((2, 3)))


def test_a_stub_still_says_not_implemented():
    def stub(x):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        toolkit.call(stub, "a case", 1)


def test_a_modified_argument_is_named_and_the_caller_keeps_its_own():
    def sorts_in_place(y_true, scores):
        scores.sort()
        return 0.5

    scores = np.array([0.3, 0.1, 0.2])
    with pytest.raises(CheckFailed, match="sorts_in_place changed the array scores passed to it on 3 scores"):
        toolkit.call(sorts_in_place, "3 scores", np.array([1, 0, 1]), scores)
    assert scores.tolist() == [0.3, 0.1, 0.2]
    with pytest.raises(CheckFailed, match="changed the array scores"):
        toolkit.call(lambda y_true, scores: scores.sort(), "a case", [1], scores=[0.3, 0.1])
    assert toolkit.call(lambda a: a.sum(), "a case", np.arange(3)) == 3


def test_an_answer_with_call_with_args_is_called_through_it():
    """The grader's proxy: the call runs elsewhere and reports the arguments as they came back."""

    class Proxy:
        __name__ = "normalise"

        def __init__(self, modify):
            self.modify = modify

        def call_with_args(self, args, kwargs):
            after = (args[0] - 1,) if self.modify else args
            return "result", after, kwargs

    images = np.ones(4)
    assert toolkit.call(Proxy(False), "four stamps", images) == "result"
    with pytest.raises(CheckFailed, match="normalise changed its first argument passed to it on four stamps"):
        toolkit.call(Proxy(True), "four stamps", images)


def test_numbers_are_coerced_in_the_students_words():
    with pytest.raises(CheckFailed, match="gd_step returned None: is a `return` missing"):
        toolkit.number(None, "gd_step")
    with pytest.raises(CheckFailed, match="should be one number; it is list: \\[2.4\\] of shape \\(1,\\)"):
        toolkit.scalar([2.4], "gd_step(3.0, 0.1)")
    assert toolkit.scalar(np.float32(2.5), "x") == 2.5 and toolkit.number([2.5], "x") == 2.5
    with pytest.raises(CheckFailed, match="should be numbers; it is str"):
        toolkit.array("abc", "forward")
    with pytest.raises(CheckFailed, match="dtype float64; return integers .*dtype=int"):
        toolkit.integers(np.ones((2, 2)), "the matrix")
    with pytest.raises(CheckFailed, match="boolean mask"):
        toolkit.integers(np.array([True]), "the result")
    assert toolkit.integers([1, 2], "x").dtype == np.int64


def test_one_tolerance_policy():
    assert toolkit.close(np.float32(0.1) * 3, 0.3)
    assert toolkit.close([np.nan, 1.0], [np.nan, 1.0])
    assert not toolkit.close([1.0, 2.0], [[1.0, 2.0]])  # the shape counts
    assert not toolkit.close(1.0 + 1e-4, 1.0) and not toolkit.close("a", 1.0)
    assert toolkit.first_difference(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 3.5])) == (1,)


def test_a_hint_only_when_one_known_mistake_reproduces_every_case():
    answers = [0.0, 4.0]
    degenerate_first_case = [("A", [0.0, 4.0]), ("B", [0.0, 5.0])]  # both fit case 1; only A fits both
    assert toolkit.diagnose(answers, degenerate_first_case) == "A"
    assert toolkit.diagnose(answers, [("A", [0.0, 4.0]), ("B", [0.0, 4.0])]) is None  # cannot tell them apart
    assert toolkit.diagnose(answers, [("A", [0.0, 4.0]), ("A", [0.0, 4.0])]) == "A"  # one hint, two ways
    assert toolkit.diagnose(answers, [("A", [None, 4.0])]) == "A"  # not applicable on case 1
    assert toolkit.diagnose(answers, [("A", [1.0, 4.0])]) is None
    assert toolkit.diagnose(answers, [("A", [0.0, 4.0])], general=[("G", [0.0, 4.0])]) == "A"
    assert toolkit.diagnose(answers, [("A", [1.0, 4.0])], general=[("G", [0.0, 4.0])]) == "G"


def test_by_case_regroups_mistakes():
    per_case = [[("A", 1), ("B", 2)], [("A", 3), ("B", 4)]]
    assert toolkit.by_case(per_case) == [("A", [1, 3]), ("B", [2, 4])]


def test_build_block_names_the_case_and_what_to_return():
    def block(x, filters):
        return layers.Conv2D(filters, 1)(x)

    model = toolkit.build_block(block, "filters=4", (8, 8, 2), 4)
    assert tuple(model.outputs[0].shape) == (None, 8, 8, 4)
    with pytest.raises(CheckFailed, match="on filters=4 <lambda> returned Conv2D; return the block's output tensor"):
        toolkit.build_block(lambda x, filters: layers.Conv2D(filters, 1), "filters=4", (8, 8, 2), 4)
    with pytest.raises(toolkit.Crashed, match="calling block on filters=0 raised ValueError"):
        toolkit.build_block(block, "filters=0", (8, 8, 2), 0)

    class Proxy:
        def build_block(self, input_shape, args, kwargs):
            return ("built", input_shape, args, kwargs)

    assert toolkit.build_block(Proxy(), "a case", [8, 8, 2], 4, stride=2) == ("built", (8, 8, 2), (4,), {"stride": 2})
