"""Lab 02's questions (the tests every lab shares are in test_checks_corpus.py)."""

from course_utils.checks import questions

QUESTIONS = {q.name: q for q in questions("lab02")}


def test_the_lab_is_worth_ten_points_in_seven_questions():
    assert list(QUESTIONS) == [
        "prepare",
        "dense_model",
        "cnn_sequential",
        "cnn_functional",
        "confusion",
        "mistakes",
        "fgsm",
    ]
    assert sum(q.points for q in QUESTIONS.values()) == 10
