"""Notebook tooling: jupytext pairing, lab generation, execution, metadata hygiene, Colab badges.

Run ``python -m course_utils.notebooks --help`` (or ``course-notebooks``) for the commands.
"""
