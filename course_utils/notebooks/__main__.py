"""Notebook tooling for course maintainers.

python -m course_utils.notebooks sync            .py sources -> .ipynb (outputs kept), labs regenerated; badges,
                                                 Colab install cells and README's course map from course.toml
python -m course_utils.notebooks check           fail when a pair is out of sync, a lab is stale, the README or a
                                                 badge differs from course.toml, metadata is dirty or a stored
                                                 output names a machine path, a traceback, stderr
python -m course_utils.notebooks run [--profile P] [--in-place] [NOTEBOOK ...]
                                                 execute notebooks; executed copies + summary under build/
python -m course_utils.notebooks fork OWNER/REPO set course.toml's repository to a fork, then sync
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from tqdm import tqdm

from course_utils import manifest
from course_utils.manifest import Course
from course_utils.notebooks import execute, hygiene, labgen, outputs, pairing, readme
from course_utils.runtime import choose_profile, detect_accelerator

README = "README.md"
COURSE_RUN_LIMITS = execute.Limits()  # the course run: 30 minutes per cell, no total or memory limit


def load_course(root: Path) -> Course:
    """The manifest of the course checkout at ``root`` (course_utils/course.toml there)."""
    return manifest.load(root / manifest.RELATIVE_PATH)


def sources(root: Path, course: Course) -> list[Path]:
    """Every paired .py source (lectures, then lab solutions), in course order."""
    return [root / nb.source for nb in course.notebooks]


def unlisted(root: Path, course: Course) -> list[Path]:
    """Notebook sources on disk that the manifest does not name."""
    listed = set(sources(root, course))
    folders = (manifest.LECTURES_DIR, manifest.SOLUTIONS_DIR)
    return sorted(p for d in folders for p in (root / d).glob("[0-9]*.py") if p not in listed)


def expected_lab(lab: manifest.Notebook, root: Path, course: Course) -> str:
    return labgen.render(pairing.read_source(root / lab.source, root, course), lab.student, course)


def missing(root: Path, course: Course) -> list[str]:
    """The sources the manifest names that are not on disk, relative to ``root``."""
    return [nb.source for nb in course.notebooks if not (root / nb.source).is_file()]


def sync(root: Path) -> list[str]:
    """Bring every .ipynb, lab, the README and the badge and install cell of every .py up to date with the
    manifest and the .py sources; return what changed."""
    course = load_course(root)
    if gone := missing(root, course):
        raise FileNotFoundError(
            f"{course.path.name} names {', '.join(gone)}, not on disk: write the source, or "
            "remove its entry from the manifest."
        )
    changed = [str(path) for py in sources(root, course) for path in pairing.sync(py, root, course)]
    for lab in course.labs:
        path = root / lab.student
        text = expected_lab(lab, root, course)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(str(path))
    path = root / README
    text = path.read_text(encoding="utf-8")
    if (new := readme.render(text, course)) != text:
        path.write_text(new, encoding="utf-8")
        changed.append(str(path))
    return changed


def problems(root: Path) -> list[str]:
    """Everything out of date, each with the command that fixes it."""
    course = load_course(root)
    found = [
        f'{p} is not in {course.path.name}: add its [[lectures]] or [[labs]] entry (docs/authoring.md, "Add a lab").'
        for p in unlisted(root, course)
    ]
    found += [
        f"{root / source} is missing: {course.path.name} names it; write it or remove the entry."
        for source in missing(root, course)
    ]
    if found:
        return found
    found = [msg for py in sources(root, course) if (msg := pairing.out_of_sync(py, root, course))]
    for lab in course.labs:
        path = root / lab.student
        if not path.exists() or path.read_text(encoding="utf-8") != expected_lab(lab, root, course):
            found.append(
                f"{path} is stale or missing: run `python -m course_utils.notebooks sync` "
                "(labs are generated from solutions/, never edited by hand)."
            )
    try:
        text = (root / README).read_text(encoding="utf-8")
        if readme.render(text, course) != text:
            found.append(
                f"{root / README}: its course map or profile table differs from {course.path.name}: run "
                "`python -m course_utils.notebooks sync` (edit the manifest, not the table)."
            )
    except ValueError as error:
        found.append(str(error))
    notebooks = [root / nb.ipynb for nb in course.notebooks] + [root / lab.student for lab in course.labs]
    for nb_path in (p for p in notebooks if p.exists()):
        if not hygiene.is_clean(nbformat.read(nb_path, as_version=4)):
            found.append(f"{nb_path} carries editor metadata: run `python -m course_utils.notebooks sync`.")
    for nb in course.notebooks:
        nb_path = root / nb.ipynb
        if nb_path.exists():
            found += outputs.output_problems(nbformat.read(nb_path, as_version=4), nb.ipynb, root)
    return found


def run(
    root: Path,
    notebooks: list[Path],
    profile: str | None,
    in_place: bool,
    build: Path,
    limits: execute.Limits = COURSE_RUN_LIMITS,
) -> list[execute.RunResult]:
    """Execute notebooks one by one under ``limits`` (a failure does not stop the others); write executed copies,
    the kernels' standard error (build/logs/) and the summary."""
    profile = profile or choose_profile(detect_accelerator())
    results = []
    for path in tqdm(notebooks, desc=f"notebooks ({profile})", unit="nb"):
        relative = path.resolve().relative_to(root)
        out = path if in_place else build / "executed" / relative
        result = execute.run_notebook(
            path, out, build / "logs" / relative.with_suffix(".log"), profile=profile, limits=limits
        )
        result.notebook = path.relative_to(root).as_posix()
        tqdm.write(f"{result.status:>6}  {result.seconds:7.1f} s  {result.notebook}  {result.error}")
        results.append(result)
    summary = execute.write_summary(results, build, profile)
    print(summary.read_text())
    failed = [r.notebook for r in results if r.status != "ok"]
    if failed:
        print(
            f"{len(failed)} notebook(s) failed: {', '.join(failed)}; executed copies in {build}/executed/, "
            f"the kernels' own messages in {build}/logs/."
        )
    return results


def fork(root: Path, repository: str) -> list[str]:
    """Point the course at the GitHub ``repository`` (OWNER/NAME): the manifest's one value, then sync;
    return the files changed."""
    if not manifest.REPOSITORY.fullmatch(repository):
        raise SystemExit(f"fork: expected OWNER/REPO, got {repository!r}")
    manifest.set_repository(root / manifest.RELATIVE_PATH, repository)
    return [str(root / manifest.RELATIVE_PATH), *sync(root)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.notebooks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course repository (default: .)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "sync",
        help="write .ipynb from the .py sources, regenerate labs/, write badges, install cells "
        "and README's course map from the manifest",
    )
    sub.add_parser("check", help="exit 1 when pairs, labs, README's course map or metadata are out of date")
    run_p = sub.add_parser("run", help="execute notebooks (default: every lecture and solution)")
    run_p.add_argument("notebooks", nargs="*", type=Path)
    run_p.add_argument("--profile", choices=tuple(manifest.course().profiles), help="default: what fits this machine")
    run_p.add_argument("--in-place", action="store_true", help="store outputs in the notebooks themselves")
    run_p.add_argument("--build", type=Path, default=Path("build"), help="folder for executed copies and summary")
    fork_p = sub.add_parser(
        "fork", help="point the course at another GitHub OWNER/REPO (the manifest's repository), then sync"
    )
    fork_p.add_argument("repository")
    args = parser.parse_args(argv)
    try:
        return command(args, args.root.resolve())
    except (FileNotFoundError, ValueError) as error:  # a bad or missing manifest (ManifestError), source, marker
        parser.error(str(error))


def command(args: argparse.Namespace, root: Path) -> int:
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
        notebooks = [p.resolve() for p in args.notebooks] or [
            py.with_suffix(".ipynb") for py in sources(root, load_course(root))
        ]
        results = run(root, notebooks, args.profile, args.in_place, (root / args.build).resolve())
        return 1 if any(r.status != "ok" for r in results) else 0
    if args.command == "fork":
        for path in fork(root, args.repository):
            print(f"updated {path}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
