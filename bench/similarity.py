"""The similarity report for a class of generated submissions: wall time on this machine, and whether the copies top it.

Run from the repository root (about two minutes for 1,000 submissions on 2 cores, generation included):

    .venv/bin/python bench/similarity.py [--submissions 1000] [--copies 20] [--workers 2] [--seed 0] [--report DIR]

Each generated student solves every solution cell of the batchnorm assignment
in one of four independent styles (the solution release's, and the three of
tests/similarity_fixtures.py), picked per cell, then writes each of their own
assignment lines in one of a few equivalent ways (kept, parenthesized, through a
temporary, followed by a check), so that two students of the same style share
some code but not all of it. --copies of them are then copied by new students,
each copy disguised one of the four ways of the tests. Printed: the wall time
of `python -m autograder similarity`'s two steps (fingerprinting and ranking
every pair, writing the report), the coordinator's CPU time, and where the
copies rank.
"""
import argparse
import ast
import pathlib
import random
import re
import resource
import shutil
import sys
import tempfile
import time

import nbformat

from autograder.course import CONFIG_FILE, REPO_ROOT
from autograder.similarity.compare import compare_submissions
from autograder.similarity.page import write_similarity_report

sys.path.insert(0, str(REPO_ROOT / "tests"))  # the styles and disguises the tests use
import similarity_fixtures as fixtures  # noqa: E402

ASSIGNMENT = "batchnorm"
ASSIGNMENT_LINE = re.compile(r"^(\s*)([A-Za-z_][\w, ]*) = (.+)$")
CHECKS = ("assert np.all(np.isfinite({0}))", "{0} = np.asarray({0})", "assert {0} is not None")


def complete(line):
    """Whether a line is a whole statement without a comment."""
    try:
        ast.parse(line.strip())
    except SyntaxError:
        return False
    return "#" not in line


def reword_line(line, rng, counter):
    """One of the equivalent ways a student might write a one-line assignment (other lines are kept)."""
    match = ASSIGNMENT_LINE.match(line)
    if not match or "," in match.group(2) or not complete(line):
        return [line]
    indent, target, value = match.groups()
    way = rng.choice(("keep", "keep", "parentheses", "temporary", "check"))
    if way == "parentheses":
        return [f"{indent}{target} = ({value})"]
    if way == "temporary":
        name = f"tmp{next(counter)}"
        return [f"{indent}{name} = {value}", f"{indent}{target} = {name}"]
    if way == "check":
        return [line, indent + rng.choice(CHECKS).format(target)]
    return [line]


def student_notebooks(release, styles, rng):
    """A submission with each solution cell in a random style and its own lines reworded at random."""
    counter = iter(range(10**6))
    submission = {}
    for name, blank in release.items():
        nb = nbformat.from_dict(blank)
        for cell in fixtures.solution_cells(nb):
            given = set(cell.source.splitlines())
            grade_id = cell.metadata.nbgrader["grade_id"]
            source = styles[rng.choice(sorted(styles))][grade_id]
            cell.source = "\n".join(reworded for line in source.splitlines()
                                    for reworded in ([line] if line in given else reword_line(line, rng, counter)))
        submission[name] = nb
    return submission


def cell_styles(release):
    """{style: {grade_id: solution cell source}} for the three fixture styles and the solution release."""
    solution = {p.name: nbformat.read(p, as_version=4)
                for p in sorted((REPO_ROOT / "release" / "solution" / ASSIGNMENT).glob("*.ipynb"))}
    styles = {"reference": solution, **{style: fixtures.styled_notebooks(release, style) for style in fixtures.STYLES}}
    return {style: {cell.metadata.nbgrader["grade_id"]: cell.source
                    for nb in notebooks.values() for cell in fixtures.solution_cells(nb)}
            for style, notebooks in styles.items()}


def make_course(folder, count, copies, seed):
    """A course with the config, the student release and `count` submissions, the last `copies` of them disguised copies."""
    rng = random.Random(seed)
    shutil.copy(REPO_ROOT / CONFIG_FILE, folder / CONFIG_FILE)  # the course's release layout
    release_folder = folder / "release" / "student" / ASSIGNMENT
    shutil.copytree(REPO_ROOT / "release" / "student" / ASSIGNMENT, release_folder)
    release = {p.name: nbformat.read(p, as_version=4) for p in sorted(release_folder.glob("*.ipynb"))}
    styles = cell_styles(release)
    students = {f"s{i:04d}": student_notebooks(release, styles, rng) for i in range(count - copies)}
    originals = rng.sample(sorted(students), copies)
    disguises = sorted(fixtures.DISGUISES)
    planted = {}
    for i, original in enumerate(originals):
        disguise = disguises[i % len(disguises)]
        copy = f"c{i:03d}-{disguise}"
        students[copy] = fixtures.DISGUISES[disguise](students[original])
        planted[frozenset((copy, original))] = disguise
    for student, notebooks in students.items():
        target = folder / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        for name, nb in notebooks.items():
            nbformat.write(nb, target / name)
    return planted


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report", type=pathlib.Path, metavar="DIR", help="keep the report's files in DIR")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        course = pathlib.Path(scratch)
        start = time.perf_counter()
        planted = make_course(course, args.submissions, args.copies, args.seed)
        generated = time.perf_counter() - start

        start, cpu = time.perf_counter(), cpu_seconds()
        comparison = compare_submissions(course, ASSIGNMENT, workers=args.workers, progress=sys.stderr.isatty())
        compared, compare_cpu = time.perf_counter() - start, cpu_seconds() - cpu
        start = time.perf_counter()
        page = write_similarity_report(comparison, course / "reports" / ASSIGNMENT)
        written = time.perf_counter() - start
        if args.report:
            shutil.copytree(page.parent, args.report, dirs_exist_ok=True)

    ranking = comparison.ranking
    listed = {frozenset((p.first.student, p.second.student)): (rank, p.score) for rank, p in enumerate(ranking.pairs, 1)}
    copies = sorted(listed[pair] for pair in planted if pair in listed)
    independent = [score for pair, (_, score) in listed.items() if not any(s.startswith("c") for s in pair)]
    print(f"submissions: {args.submissions} ({args.copies} disguised copies)   pairs: {len(ranking.scores)}   "
          f"workers: {args.workers}   (generated in {generated:.1f} s)")
    print(f"fingerprint and rank every pair: {compared:6.1f} s   (coordinator CPU {compare_cpu:.1f} s)")
    print(f"write the report:                {written:6.1f} s")
    print(f"total:                           {compared + written:6.1f} s")
    print(f"pairs at or above the threshold ({comparison.threshold:.0%}): {ranking.flagged}")
    if copies:
        print(f"copies listed: {len(copies)} of {len(planted)}, at ranks {copies[0][0]} to {copies[-1][0]}, "
              f"scores {min(score for _, score in copies):.0%} to {max(score for _, score in copies):.0%}")
    print(f"best pair of two original students: {max(independent, default=0):.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
