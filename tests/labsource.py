"""The exercise functions of a solution notebook's .py source: as solved, and as the generated lab's stubs."""

from __future__ import annotations

import ast
from pathlib import Path

from course_utils.notebooks.labgen import stub_source


def notebook_functions(
    solution: Path, modules: dict, *, stubbed: bool = False, names: tuple[str, ...] | None = None
) -> dict:
    """Execute the notebook's top-level function definitions (all, or ``names``) in a namespace holding
    ``modules``; with ``stubbed`` the solution blocks are first replaced as in the student lab."""
    source = solution.read_text(encoding="utf-8")
    tree = ast.parse(stub_source(source) if stubbed else source)
    definitions = [
        node for node in tree.body if isinstance(node, ast.FunctionDef) and (names is None or node.name in names)
    ]
    namespace = dict(modules)
    exec(compile(ast.Module(definitions, type_ignores=[]), str(solution), "exec"), namespace)
    return namespace
