"""Notebook tooling for course maintainers.

    python -m course_utils.notebooks sync            .py sources -> .ipynb (outputs kept), labs regenerated
    python -m course_utils.notebooks check           fail when a pair is out of sync, a lab is stale, metadata is
                                                     dirty or a stored output names a machine path, a traceback, stderr
    python -m course_utils.notebooks run [--profile P] [--in-place] [NOTEBOOK ...]
                                                     execute notebooks; executed copies + summary under build/
    python -m course_utils.notebooks fork OWNER/REPO point badges, install cells and README at a fork
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from tqdm import tqdm

from course_utils.notebooks import config, execute, hygiene, labgen, outputs, pairing
from course_utils.runtime import choose_profile, detect_accelerator


def sources(root: Path) -> list[Path]:
    """Every paired .py source of lectures/ and solutions/, in course order."""
    return sorted(p for d in config.NOTEBOOK_DIRS for p in (root / d).glob("[0-9]*.py"))


def lab_path(solution_py: Path, root: Path) -> Path:
    return root / config.LABS_DIR / solution_py.with_suffix(".ipynb").name


def expected_lab(solution_py: Path, root: Path) -> str:
    relpath = lab_path(solution_py, root).relative_to(root).as_posix()
    return labgen.render(pairing.read_source(solution_py, root), relpath)


def solution_sources(root: Path) -> list[Path]:
    return [p for p in sources(root) if p.parent.name == config.SOLUTIONS_DIR]


def sync(root: Path) -> list[str]:
    """Bring every .ipynb and lab up to date with the .py sources; return what changed."""
    changed = [str(py.with_suffix(".ipynb")) for py in sources(root) if pairing.sync(py, root)]
    for py in solution_sources(root):
        lab = lab_path(py, root)
        text = expected_lab(py, root)
        if not lab.exists() or lab.read_text(encoding="utf-8") != text:
            lab.parent.mkdir(exist_ok=True)
            lab.write_text(text, encoding="utf-8")
            changed.append(str(lab))
    return changed


def problems(root: Path) -> list[str]:
    """Everything out of date, each with the command that fixes it."""
    found = [msg for py in sources(root) if (msg := pairing.out_of_sync(py, root))]
    for py in solution_sources(root):
        lab = lab_path(py, root)
        if not lab.exists() or lab.read_text(encoding="utf-8") != expected_lab(py, root):
            found.append(f"{lab} is stale or missing: run `python -m course_utils.notebooks sync` "
                         "(labs are generated from solutions/, never edited by hand).")
    for nb_path in sorted(p for d in (*config.NOTEBOOK_DIRS, config.LABS_DIR) for p in (root / d).glob("*.ipynb")):
        if not hygiene.is_clean(nbformat.read(nb_path, as_version=4)):
            found.append(f"{nb_path} carries editor metadata: run `python -m course_utils.notebooks sync`.")
    for py in sources(root):
        nb_path = py.with_suffix(".ipynb")
        if nb_path.exists():
            found += outputs.output_problems(nbformat.read(nb_path, as_version=4),
                                             nb_path.relative_to(root).as_posix(), root)
    return found


def run(root: Path, notebooks: list[Path], profile: str | None, in_place: bool,
        build: Path, limits: execute.Limits = execute.Limits()) -> list[execute.RunResult]:
    """Execute notebooks one by one under ``limits`` (a failure does not stop the others); write executed copies,
    the kernels' standard error (build/logs/) and the summary."""
    profile = profile or choose_profile(detect_accelerator())
    results = []
    for path in tqdm(notebooks, desc=f"notebooks ({profile})", unit="nb"):
        relative = path.resolve().relative_to(root)
        out = path if in_place else build / "executed" / relative
        result = execute.run_notebook(path, out, build / "logs" / relative.with_suffix(".log"), profile=profile,
                                      limits=limits)
        result.notebook = path.relative_to(root).as_posix()
        tqdm.write(f"{result.status:>6}  {result.seconds:7.1f} s  {result.notebook}  {result.error}")
        results.append(result)
    summary = execute.write_summary(results, build, profile)
    print(summary.read_text())
    failed = [r.notebook for r in results if r.status != "ok"]
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}; executed copies in {build}/executed/, "
              f"the kernels' own messages in {build}/logs/.")
    return results


def fork(root: Path, repository: str) -> list[Path]:
    """Replace the course's GitHub owner/name everywhere it is written; return the files changed."""
    if repository.count("/") != 1 or " " in repository:
        raise SystemExit(f"fork: expected OWNER/REPO, got {repository!r}")
    old = config.REPOSITORY
    files = [root / "README.md", root / "course_utils/notebooks/config.py", *root.glob("docs/*.md"),
             *sources(root), *[p for d in (*config.NOTEBOOK_DIRS, config.LABS_DIR) for p in (root / d).glob("*.ipynb")]]
    changed = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, repository), encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course repository (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sync", help="write .ipynb from the .py sources and regenerate labs/")
    sub.add_parser("check", help="exit 1 when pairs, labs or metadata are out of date")
    run_p = sub.add_parser("run", help="execute notebooks (default: every lecture and solution)")
    run_p.add_argument("notebooks", nargs="*", type=Path)
    run_p.add_argument("--profile", choices=("smoke", "cpu", "full"), help="default: what fits this machine")
    run_p.add_argument("--in-place", action="store_true", help="store outputs in the notebooks themselves")
    run_p.add_argument("--build", type=Path, default=Path("build"), help="folder for executed copies and summary")
    fork_p = sub.add_parser("fork", help="point the course at another GitHub OWNER/REPO")
    fork_p.add_argument("repository")
    args = parser.parse_args(argv)
    root = args.root.resolve()

    if args.command == "sync":
        for path in sync(root):
            print(f"updated {path}")
        return 0
    if args.command == "check":
        found = problems(root)
        for msg in found:
            print(msg)
        print("notebooks: all in sync" if not found else f"notebooks: {len(found)} problem(s)")
        return 1 if found else 0
    if args.command == "run":
        notebooks = [p.resolve() for p in args.notebooks] or [py.with_suffix(".ipynb") for py in sources(root)]
        results = run(root, notebooks, args.profile, args.in_place, (root / args.build).resolve())
        return 1 if any(r.status != "ok" for r in results) else 0
    if args.command == "fork":
        for path in fork(root, args.repository):
            print(f"rewrote {path.relative_to(root)}")
        sync(root)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
