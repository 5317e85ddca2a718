"""Every command the docs name exists: make targets, `python -m course_utils...` and its subcommands, the
console scripts, data_fetch.py, and the benchmark scripts' usage lines with their options.

Commands are read from README.md and docs/*.md (code blocks and `inline code`, comments included) and from
the docstrings of benchmarks/*.py; each is run with --help after its words (subcommands, positional
arguments), which must succeed and list every --option the doc uses.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BENCHMARKS = sorted((ROOT / "benchmarks").glob("*.py"))
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
# A command starts a line, or follows a space, a backtick or "(" (so ~/course-mirror is no command); it ends at
# a shell separator, a comment or the end of the code span.
COMMAND = re.compile(r"(?:^|(?<=[\s`(]))((?:make|python3?|\.venv/bin/python|course-[a-z]+)\s[^`\n]*)")
SEPARATORS = re.compile(r"\s(?:\||&&|;|#|\\$)")


def texts() -> list[tuple[str, str]]:
    """(where, text to search) for every doc and benchmark docstring."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        spans = re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S)
        spans += re.findall(r"(?<!`)`([^`\n]+)`(?!`)", re.sub(r"```.*?```", "", text, flags=re.S))
        found += [(doc.name, span) for span in spans]
    for script in BENCHMARKS:
        found.append((script.name, ast.get_docstring(ast.parse(script.read_text())) or ""))
    return found


def commands() -> dict[str, str]:
    """{command: the first file naming it}, each cut at its shell separators."""
    found = {}
    for where, text in texts():
        for line in text.splitlines():
            for match in COMMAND.finditer(line):
                command = SEPARATORS.split(" " + match.group(1).strip() + " ", maxsplit=1)[0].strip()
                if len(command.split()) > 1 and not command.startswith(("python -m http.server", "python -c")):
                    found.setdefault(command, where)
    return found


def make_targets() -> list[str]:
    targets = []
    for line in (ROOT / "Makefile").read_text().splitlines():
        match = re.match(r"^([^\s:#=.][^:=]*):(?!=)", line)
        if match:
            targets += match.group(1).split()
    return targets


def help_argv(words: list[str]) -> list[str]:
    """The command to run for ``words`` (the interpreter and console scripts of this environment), its
    subcommands and positional arguments kept, then --help."""
    head, *rest = words
    if head in ("python", "python3", ".venv/bin/python"):
        head = sys.executable
    elif head in SCRIPTS:
        module = SCRIPTS[head].split(":")[0]
        head, rest = sys.executable, ["-m", module.removesuffix(".__main__"), *rest]
    positional = []
    for word in rest:
        if word.startswith("-") and word != "-m":
            break
        positional.append(word)
    return [head, *positional, "--help"]


@functools.cache
def run_help(argv: tuple[str, ...]) -> subprocess.CompletedProcess:
    """``argv`` run once per test process (several usage lines share one --help)."""
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)


ALL = commands()


def test_the_docs_name_commands_of_every_kind():
    kinds = {command.split()[0] for command in ALL}
    assert {"make", "python", "course-grade"} <= kinds, sorted(ALL)
    assert any(command.startswith("python benchmarks/") for command in ALL)


@pytest.mark.parametrize("command", [c for c in ALL if c.startswith("make ")])
def test_make_targets_exist(command):
    targets = make_targets()
    for target in command.split()[1:]:
        if "=" not in target:
            assert any(fnmatch.fnmatch(target, t.replace("%", "*")) for t in targets), (
                f"{ALL[command]} names `{command}`, but the Makefile has no target {target!r}"
            )


@pytest.mark.parametrize("command", [c for c in ALL if not c.startswith("make ")])
def test_commands_exist_with_their_options(command):
    words = shlex.split(command)
    if words[0].startswith("course-"):
        assert words[0] in SCRIPTS, f"{ALL[command]} names `{words[0]}`, not a console script of pyproject.toml"
    argv = help_argv(words)
    done = run_help(tuple(argv))
    assert done.returncode == 0, (
        f"{ALL[command]} names `{command}`, but `{shlex.join(argv[1:])}` failed:\n" + (done.stderr[-1500:])
    )
    missing = [w.split("=")[0] for w in words if w.startswith("--") and w.split("=")[0] not in done.stdout]
    assert missing == [], f"{ALL[command]} names `{command}`, but its --help lists no {missing}"
