"""Grading lab notebooks: run each submission in its own process under limits, score it with the
lab's checks plus hidden ones, write a gradebook and feedback.

    course-grade lab01 submissions/ --profile smoke --jobs 2      (or python -m course_utils.grading)

Modules: ``grader`` (the whole folder), ``submissions`` (reading, which lab), ``checkset`` (the checks'
snapshot), ``supervise`` (one notebook under limits), ``sandbox`` (bubblewrap, or the unisolated fallback),
``runner`` and ``kernel_side`` (the student's code, in the sandbox), ``judge`` and ``remote`` (the checks, where
no student code runs), ``codec`` (plain data between the two), ``score``, ``gradebook``. Notebooks run through
the course's one execution service, ``course_utils.notebooks.execute`` (and ``course_utils.notebooks.processes``).
"""
