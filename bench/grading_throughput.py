"""Grading throughput: stock sequential `nbgrader autograde` vs the harness with 2 workers, side by side.

Run from the repository root (takes about 20 minutes for 50 submissions on 2 cores):

    .venv/bin/python bench/grading_throughput.py [--assignment batchnorm] [--submissions 50] [--workers 2] [--no-sandbox]

Both grade the same course: the example submissions (correct, blank, every
classic bug) copied under new student ids until there are --submissions of
them. Printed: wall time of each, their ratio (goal: the harness at least 1.8x
faster with 2 workers on 2 cores), the harness's overhead per submission
above bare execution of the same notebooks with nbclient, and the cost of the
verdict outside the kernel (autograder/verdict/) of one correct submission,
alone (in grading it runs while the notebooks execute).

    .venv/bin/python bench/grading_throughput.py --verdict-only   # that last figure only, for each assignment
"""
import argparse
import pathlib
import resource
import shutil
import statistics
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbgrader.utils import setenv

from autograder.course import ASSIGNMENTS, REPO_ROOT, nbgrader, new_course_dir
from autograder.examples import write_submissions
from autograder.grade.coordinator import grade_assignment
from autograder.preprocessors import without_hidden_tests
from autograder.release import generate_releases
from autograder.grade.sandbox import Limits
from autograder.verdict.run import run_judge
from autograder.grade.workers import support_python_path



def make_course(folder, assignment, count):
    """A course whose submitted/ holds `count` submissions, cycling through the example students."""
    course = new_course_dir(folder, (assignment,))
    generate_releases(course, assignment)
    examples = sorted(write_submissions(course, assignment))
    submitted = course / "submitted"
    for i in range(len(examples), count):
        shutil.copytree(submitted / examples[i % len(examples)], submitted / f"copy-{i:03d}-{examples[i % len(examples)]}")
    return course


def bare_seconds(course, assignment, student):
    """Seconds to execute one submission's notebooks with nbclient, outside any grader, at autograde settings."""
    with tempfile.TemporaryDirectory() as scratch, setenv(NBGRADER_EXECUTION="autograde"):
        folder = shutil.copytree(course / "submitted" / student / assignment, pathlib.Path(scratch) / "s")
        start = time.perf_counter()
        for path in sorted(folder.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": str(folder)}}).execute()
        return time.perf_counter() - start


def verdict_seconds(course, assignment, use_sandbox, repeats=3):
    """
    Median seconds of the verdict outside the kernel of the correct submission (the source notebooks,
    solutions in place), alone: the judge's process, its sandboxed drivers and every observe().
    """
    source = course / "source" / assignment
    notebooks = {path.name: nbformat.read(path, as_version=4) for path in sorted(source.glob("*.ipynb"))}
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as scratch_tmp, \
                setenv(NBGRADER_EXECUTION="autograde"):
            folder = pathlib.Path(scratch)
            for path in source.iterdir():
                if path.is_file() and path.suffix != ".ipynb":
                    shutil.copy(path, folder)
            for name, nb in notebooks.items():
                nbformat.write(without_hidden_tests(nb), folder / name)
            private_tmp = pathlib.Path(scratch_tmp) / "tmp"  # as in grading: the sandboxes' /tmp on the host
            private_tmp.mkdir()
            start = time.perf_counter()
            run_judge(notebooks, folder, limits=Limits(), use_sandbox=use_sandbox, python_path=support_python_path(),
                      private_tmp=private_tmp)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_seconds():
    """CPU time this process has used so far (user and system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="batchnorm", choices=ASSIGNMENTS)
    parser.add_argument("--submissions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-sandbox", action="store_true")
    parser.add_argument("--verdict-only", action="store_true")
    args = parser.parse_args(argv)
    if args.verdict_only:
        for assignment in ASSIGNMENTS:
            seconds = verdict_seconds(REPO_ROOT, assignment, not args.no_sandbox)
            print(f"{assignment}: verdict outside the kernel of the correct submission, alone: {seconds:.2f} s "
                  f"(median of 3)")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        stock_course = make_course(pathlib.Path(scratch) / "stock", args.assignment, args.submissions)
        harness_course = pathlib.Path(scratch) / "harness"
        shutil.copytree(stock_course, harness_course)
        bare = bare_seconds(stock_course, args.assignment, "correct")

        start = time.perf_counter()
        nbgrader(stock_course, "autograde", args.assignment, "--force")
        stock = time.perf_counter() - start

        start, coordinator_start = time.perf_counter(), cpu_seconds()
        grade_assignment(harness_course, args.assignment, workers=args.workers, use_sandbox=not args.no_sandbox,
                         progress=False)
        harness, coordinator = time.perf_counter() - start, cpu_seconds() - coordinator_start
        verdict = verdict_seconds(stock_course, args.assignment, not args.no_sandbox)

    n = args.submissions
    print(f"assignment: {args.assignment}   submissions: {n}   workers: {args.workers}   sandbox: {not args.no_sandbox}")
    print(f"stock nbgrader autograde (sequential): {stock:7.1f} s   {stock / n:5.2f} s/submission")
    print(f"harness ({args.workers} workers):               {harness:7.1f} s   {harness / n:5.2f} s/submission")
    print(f"speedup: {stock / harness:.2f}x (goal: at least 1.8x)")
    print(f"bare nbclient execution of one correct submission: {bare:.2f} s; harness overhead per submission: "
          f"{harness * args.workers / n - bare:+.2f} s of worker time")
    print(f"harness coordinator (gradebook reads and writes, nbgrader's sanitizing and saving steps): "
          f"{coordinator / n:.2f} s of CPU per submission, on the same cores as the workers")
    print(f"verdict outside the kernel of the correct submission, alone: "
          f"{verdict:.2f} s (median of 3; "
          f"it runs while the notebooks execute)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
