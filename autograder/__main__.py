"""Command line of the course harness: `python -m autograder COMMAND`."""
import argparse
import pathlib
import sys
import tempfile

from .course import ASSIGNMENTS, CourseError, new_course_dir
from .demo import DEMO_DIR, run_demo
from .releases import copy_releases, generate_releases


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="rebuild release/, grade the example submissions with nbgrader, print the scores")
    demo.add_argument("--course-dir", type=pathlib.Path, default=DEMO_DIR,
                      help=f"grading course folder, emptied first (default: {DEMO_DIR})")

    release = commands.add_parser("release", help="rebuild release/ from source/")
    release.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS), metavar="ASSIGNMENT",
                         help=f"assignments to rebuild (default: all of {', '.join(ASSIGNMENTS)})")

    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            run_demo(course_dir=args.course_dir)
        elif args.command == "release":
            unknown = sorted(set(args.assignments) - set(ASSIGNMENTS))
            if unknown:
                parser.error(f"unknown assignment {', '.join(unknown)} (known: {', '.join(ASSIGNMENTS)})")
            with tempfile.TemporaryDirectory() as scratch:
                course = new_course_dir(pathlib.Path(scratch) / "course", args.assignments)
                for assignment in args.assignments:
                    generate_releases(course, assignment)
                copy_releases(course, args.assignments)
            print(f"rebuilt release/ for {', '.join(args.assignments)}")
    except CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
