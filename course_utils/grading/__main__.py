"""Grade a folder of lab notebooks downloaded from Colab.

    course-grade LAB SUBMISSIONS [--out DIR] [--profile smoke|cpu|full] [--jobs N]
                 [--cell-timeout S] [--call-timeout S] [--timeout S] [--memory-gb G] [--checks FILE] [--hidden FILE]
                 [--share DIR] [--no-sandbox]

Every .ipynb under SUBMISSIONS is one student (named after the file). Writes DIR/gradebook.csv
(student, points per question, total, status, isolation) and DIR/feedback/<student>.md, and prints a
summary. On Linux each notebook runs in a bubblewrap sandbox (apt-get install bubblewrap); without one
the summary and the gradebook say so, and the run stops if a notebook changes the checks or submissions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course_utils import manifest
from course_utils.grading import checkset, gradebook, grader


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    course = manifest.course()
    limits = {name: profile.grader for name, profile in course.profiles.items()}
    p = argparse.ArgumentParser(
        prog="course-grade", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("lab", help=f"lab id: {', '.join(course.lab_ids)}")
    p.add_argument("submissions", type=Path, help="folder of submitted .ipynb files (subfolders too)")
    p.add_argument("--out", type=Path, help="where to write gradebook.csv and feedback/ (default: grades-LAB)")
    p.add_argument(
        "--profile",
        choices=tuple(course.profiles),
        default=course.grading_profile,
        help=f"COURSE_PROFILE of the kernels (default: {course.grading_profile})",
    )
    p.add_argument("--jobs", type=_positive(int), default=1, help="notebooks run at once (default: 1)")
    p.add_argument(
        "--cell-timeout",
        type=_positive(float),
        metavar="S",
        help="seconds one cell may run before it is interrupted (default by profile: "
        + ", ".join(f"{k} {v.cell_seconds:g}" for k, v in limits.items())
        + ")",
    )
    p.add_argument(
        "--timeout",
        type=_positive(float),
        metavar="S",
        help="seconds one notebook may run in total (default by profile: "
        + ", ".join(f"{k} {v.total_seconds:g}" for k, v in limits.items())
        + ")",
    )
    p.add_argument(
        "--call-timeout",
        type=_positive(float),
        metavar="S",
        default=grader.SECONDS_PER_CALL,
        help=f"seconds one call of a student's function by a check may run (default {grader.SECONDS_PER_CALL})",
    )
    p.add_argument(
        "--memory-gb",
        type=_positive(float),
        metavar="G",
        help="GiB one notebook's processes may use (default by profile: "
        + ", ".join(f"{k} {v.memory_gb:g}" for k, v in limits.items())
        + ")",
    )
    p.add_argument(
        "--checks", type=Path, metavar="FILE", help="checks module to use instead of course_utils/checks/LAB.py"
    )
    p.add_argument(
        "--hidden",
        type=Path,
        metavar="FILE",
        help="hidden checks (default: course_utils/grading/hidden/LAB.py when it exists)",
    )
    p.add_argument(
        "--share",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a folder the notebooks may read (read-only), e.g. data kept outside the course cache",
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the notebooks without the sandbox (only when it fails on this machine)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    for option in ("checks", "hidden"):
        path = getattr(args, option)
        if path is not None and not path.is_file():
            p.error(f"--{option} {path}: no such file")
    for folder in args.share:
        if not folder.is_dir():
            p.error(f"--share {folder}: no such folder")
    options = grader.Options(
        profile=args.profile,
        cell_seconds=args.cell_timeout,
        total_seconds=args.timeout,
        memory_gb=args.memory_gb,
        call_seconds=args.call_timeout,
        jobs=args.jobs,
        isolate=not args.no_sandbox,
        share=tuple(folder.resolve() for folder in args.share),
    )
    out = args.out or Path(f"grades-{args.lab}")
    try:
        checks = checkset.load(args.lab, checks_file=args.checks, hidden_file=args.hidden)
        grades = grader.grade_folder(checks, args.submissions, out, options)
    except (FileNotFoundError, ValueError) as error:
        p.error(str(error))
    except grader.TamperedError as error:
        print(error, file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("Interrupted: every running notebook was stopped; no gradebook written.", file=sys.stderr)
        return 130
    print(gradebook.summary(checks, grades, args.profile, options.isolation()))
    print(f"gradebook: {out / gradebook.GRADEBOOK}; feedback: {out / gradebook.FEEDBACK_DIR}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
