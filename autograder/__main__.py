"""Command line of the course harness: `python -m autograder COMMAND`.

  demo        rebuild release/, grade the example submissions with plain nbgrader, print the scores
  release     rebuild release/ from source/
  grade       grade every submission of an assignment: parallel, sandboxed, judged outside the kernel, resumable
  similarity  which submissions share their code: pairs ranked, side by side, in reports/<assignment>/similarity.html
"""
import argparse
import dataclasses
import pathlib
import sys
import tempfile

from . import sandbox
from .course import ASSIGNMENTS, CourseError, new_course_dir
from .demo import DEMO_DIR, run_demo
from .releases import copy_releases, generate_releases
from .similarity.command import add_similarity_parser, run_similarity
from .submissions import MAX_SUBMISSION_MB

# The options of `grade` that set a sandbox.Limits field: {field: (option, type, metavar, what it caps)}
LIMIT_OPTIONS = {
    "cell_timeout": ("--cell-timeout", float, "S", "seconds one cell may run"),
    "notebook_timeout": ("--timeout", float, "S", "seconds one notebook may run"),
    "memory_mb": ("--memory-mb", int, "MB", "memory of one sandbox: its processes and its /tmp together "
                  "(and each process's address space)"),
    "max_processes": ("--max-processes", int, "N", "processes one sandbox may run at once"),
    "max_output_bytes": ("--max-output-bytes", int, "B", "output kept of one cell"),
    "max_file_mb": ("--max-file-mb", int, "MB", "largest file a submission may write"),
    "disk_mb": ("--disk-mb", int, "MB", "a submission's scratch folder, /tmp and /dev/shm together"),
    "max_files": ("--max-files", int, "N", "files and folders in them together"),
}


def _demo(args):
    run_demo(course_dir=args.course_dir)
    return 0


def _release(args):
    unknown = sorted(set(args.assignments) - set(ASSIGNMENTS))
    if unknown:
        raise CourseError(f"unknown assignment {', '.join(unknown)} (known: {', '.join(ASSIGNMENTS)})")
    with tempfile.TemporaryDirectory() as scratch:
        course = new_course_dir(pathlib.Path(scratch) / "course", args.assignments)
        for assignment in args.assignments:
            generate_releases(course, assignment)
        copy_releases(course, args.assignments)
    print(f"rebuilt release/ for {', '.join(args.assignments)}")
    return 0


def _grade(args):
    from .grade_command import run_grade
    return run_grade(args)


def _positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="rebuild release/, grade the example submissions, print the scores")
    demo.add_argument("--course-dir", type=pathlib.Path, default=DEMO_DIR,
                      help=f"grading course folder, emptied first (default: {DEMO_DIR})")
    demo.set_defaults(run=_demo)

    release = commands.add_parser("release", help="rebuild release/ from source/")
    release.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS), metavar="ASSIGNMENT",
                         help=f"assignments to rebuild (default: all of {', '.join(ASSIGNMENTS)})")
    release.set_defaults(run=_release)

    limits = sandbox.Limits()
    grade = commands.add_parser(
        "grade", help="grade every submission of an assignment (parallel, sandboxed, resumable)",
        description="Grade submitted/<student>/ASSIGNMENT/ of an nbgrader course into its gradebook, "
                    "then write feedback, Gradescope results.json, the CSV export and a class summary. "
                    "Graded students are skipped on a rerun unless --force.")
    grade.add_argument("assignment", metavar="ASSIGNMENT", help="the assignment id, e.g. batchnorm")
    grade.add_argument("--course-dir", type=pathlib.Path, default=pathlib.Path.cwd(),
                       help="the nbgrader course folder (default: the current folder, as for nbgrader)")
    grade.add_argument("--student", action="append", metavar="ID",
                       help="grade only this student (repeat for several)")
    grade.add_argument("--zip", type=pathlib.Path, metavar="FILE",
                       help="a zip of learning-management-system downloads, collected into submitted/ first "
                            "with `nbgrader zip_collect` (file names as the course config's "
                            "FileNameCollectorPlugin.named_regexp says; Canvas's by default)")
    grade.add_argument("--workers", type=_positive(int), metavar="N",
                       help="local worker processes (default: one per core)")
    grade.add_argument("--scheduler", metavar="ADDRESS",
                       help="a Dask scheduler, e.g. tcp://10.0.0.5:8786, to grade on its workers")
    grade.add_argument("--db", metavar="URL",
                       help="gradebook URL, e.g. postgresql+psycopg2://user@host/db "
                            "(default: the course config's db_url, else COURSE/gradebook.db)")
    grade.add_argument("--force", action="store_true", help="regrade submissions already graded")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run student code without bubblewrap (only on a machine you can afford to lose)")
    for field in dataclasses.fields(limits):
        option, kind, metavar, what = LIMIT_OPTIONS[field.name]
        default = getattr(limits, field.name)
        grade.add_argument(option, dest=field.name, type=_positive(kind), default=default, metavar=metavar,
                           help=f"{what} (default: {default:{'g' if kind is float else 'd'}})")
    grade.add_argument("--max-submission-mb", type=_positive(int), default=MAX_SUBMISSION_MB, metavar="MB",
                       help=f"what a submission's files may hold together; the rest is not read "
                            f"(default: {MAX_SUBMISSION_MB})")
    grade.set_defaults(run=_grade)

    add_similarity_parser(commands, _positive).set_defaults(run=run_similarity)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CourseError, sandbox.SandboxUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
