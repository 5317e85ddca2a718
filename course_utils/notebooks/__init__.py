"""Notebook tooling: jupytext pairing, lab generation, execution, metadata hygiene, and what the course manifest
writes into notebooks and the README (Colab badges, install cells, the course map).

Run ``python -m course_utils.notebooks --help`` (or ``course-notebooks``) for the commands.
"""
