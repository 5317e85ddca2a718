"""Grading lab notebooks: run each submission in its own process under limits, score it with the
lab's checks plus hidden ones, write a gradebook and feedback.

    course-grade lab01 submissions/ --profile smoke --jobs 2      (or python -m course_utils.grading)

Modules: ``grader`` (the whole folder), ``submissions`` (reading, which lab), ``checkset`` (the checks'
snapshot and the grading cell), ``probe`` (runs in the student's kernel), ``supervise`` and ``runner``
(one notebook under time and memory limits), ``processes``, ``score``, ``gradebook``.
"""
