"""The command line of the course harness, `python -m autograder COMMAND`: options parsed here, each
command run by a keyword-only function of its stage's package.

  demo        rebuild release/, grade example submissions with the harness (and a cheat with stock nbgrader)
  release     rebuild release/ from source/
  grade       grade every submission of an assignment: parallel, sandboxed, judged outside the kernel, resumable
  similarity  which submissions share their code: pairs ranked, side by side, in reports/<assignment>/similarity.html
"""
import argparse
import dataclasses
import pathlib
import sys

from .course import ASSIGNMENTS, CourseError
from .demo import DEMO_DIR, run_demo
from .grade import sandbox
from .grade.submissions import MAX_SUBMISSION_MB
from .release import rebuild_releases
from .similarity import DEFAULT_THRESHOLD

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
    run_demo(course_dir=args.course_dir, assignments=tuple(args.assignment or ASSIGNMENTS), everything=args.all,
             workers=args.workers)
    return 0


def _release(args):
    rebuild_releases(assignments=args.assignments)
    print(f"rebuilt release/ for {', '.join(args.assignments)}")
    return 0


def _grade(args):
    from .grade.pipeline import grade_and_report  # nbgrader and dask load only for the commands that use them
    limits = sandbox.Limits(**{field.name: getattr(args, field.name) for field in dataclasses.fields(sandbox.Limits)})
    return grade_and_report(course_dir=args.course_dir, assignment=args.assignment, students=args.student,
                            zip_file=args.zip, workers=args.workers, scheduler=args.scheduler, db=args.db,
                            force=args.force, use_sandbox=not args.no_sandbox, limits=limits,
                            max_submission_mb=args.max_submission_mb, progress=sys.stderr.isatty())


def _similarity(args):
    from .similarity.report_run import similarity_report
    return similarity_report(course_dir=args.course_dir, assignment=args.assignment, threshold=args.threshold,
                             workers=args.workers, scheduler=args.scheduler, progress=sys.stderr.isatty())


def _fraction(text):
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {text}")
    return value


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

    demo = commands.add_parser(
        "demo", help="rebuild release/, grade example submissions with the harness, print a compact result",
        description="Rebuild release/ with nbgrader, grade a representative set of example submissions of each "
                    "assignment (correct, blank, two classic bugs, a cheat) with the harness, grade each cheat "
                    "with stock `nbgrader autograde` too, and print the scores and the paths of the reports.")
    demo.add_argument("--course-dir", type=pathlib.Path, default=DEMO_DIR,
                      help=f"grading course folder, emptied first (default: {DEMO_DIR})")
    demo.add_argument("--all", action="store_true", help="grade every example of the bug catalog")
    demo.add_argument("--assignment", action="append", choices=ASSIGNMENTS, metavar="ID",
                      help="only this assignment (repeat for several; default: all)")
    demo.add_argument("--workers", type=_positive(int), metavar="N",
                      help="local worker processes (default: one per core)")
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

    similarity = commands.add_parser(
        "similarity", help="which submissions share their code: reports/ASSIGNMENT/similarity.html",
        description="Compare the code students wrote (solution cells and added cells, never the release's) across "
                    "every submitted/<student>/ASSIGNMENT/, without running it, and write "
                    "reports/ASSIGNMENT/similarity.html: pairs ranked by similarity, side by side with the shared "
                    "code highlighted, and a histogram of every pair.")
    similarity.add_argument("assignment", metavar="ASSIGNMENT", help="the assignment id, e.g. batchnorm")
    similarity.add_argument("--course-dir", type=pathlib.Path, default=pathlib.Path.cwd(),
                            help="the nbgrader course folder (default: the current folder, as for nbgrader)")
    similarity.add_argument("--threshold", type=_fraction, metavar="T",
                            help="similarity from 0 to 1 from which a pair is flagged (default: the course config's "
                                 f"c.Similarity.threshold, else {DEFAULT_THRESHOLD:g})")
    similarity.add_argument("--workers", type=_positive(int), metavar="N",
                            help="local worker processes (default: one per core)")
    similarity.add_argument("--scheduler", metavar="ADDRESS",
                            help="a Dask scheduler, e.g. tcp://10.0.0.5:8786, to fingerprint on its workers")
    similarity.set_defaults(run=_similarity)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CourseError, sandbox.SandboxUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

