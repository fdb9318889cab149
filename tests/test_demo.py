"""The main job end to end: releases built by nbgrader, example submissions graded by the harness, a cheat by
stock nbgrader too, reports written, a compact result printed.

One demo run, on mlp_batchnorm (the fastest assignment), is shared by every
test; the releases of the other assignments are built beside it, so that each
committed release is still checked against nbgrader's build.
"""
import csv
import html
import json
import re
import shutil

import nbformat
import pytest

from assignments import outcomes, selfcheck
from autograder.course import ASSIGNMENTS, REPO_ROOT, release_dir
from autograder.demo import WIDTH, run_demo
from autograder.examples import BLANK, CORRECT, write_submissions
from autograder.examples.bug_catalog import CHEATS, WARNS_ON_STDERR
from autograder.examples.demo_set import demo_variants
from autograder.release import VERSIONS, generate_releases
from autograder.reports.scores import total
from conftest import (BARE_NOT_IMPLEMENTED, PAGE_CODE, RELEASE, assert_failures_tell_one_line, execute,
                      graded_cells, hidden_lines, nbgrader_meta)

pytestmark = pytest.mark.e2e
ASSIGNMENT = "mlp_batchnorm"


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """(course folder, run_demo's result, the lines it printed) of one demo run on ASSIGNMENT."""
    course_dir = tmp_path_factory.mktemp("demo") / "course"
    lines = []
    results = run_demo(course_dir=course_dir, assignments=(ASSIGNMENT,), workers=2, update_repo=False,
                       say=lines.append)
    return course_dir, results[ASSIGNMENT], "\n".join(lines)


@pytest.fixture(scope="session")
def releases(demo):
    """The demo's course, with the releases of every other assignment built in it too."""
    course_dir = demo[0]
    for assignment in ASSIGNMENTS:
        if not release_dir(course_dir, "student", assignment).exists():
            shutil.copytree(REPO_ROOT / "source" / assignment, course_dir / "source" / assignment)
            generate_releases(course_dir, assignment)
    return course_dir


def test_the_output_fits_100_columns_and_names_the_report_paths(demo):
    course_dir, _, printed = demo
    wide = [line for line in printed.splitlines() if len(line) > WIDTH]
    assert not wide, f"lines wider than {WIDTH} columns: {wide}"
    named = re.findall(r"^  (\S+\.(?:html|csv))\b", printed, re.M)
    assert {f"reports/{ASSIGNMENT}/summary.html", f"reports/{ASSIGNMENT}/scores.csv", "grades.csv"} <= set(named)
    assert any(path.startswith("feedback/") for path in named), named
    for path in named:
        assert (course_dir / path).is_file(), path


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("version", VERSIONS)
def test_committed_release_is_what_nbgrader_builds_from_source(releases, assignment, version):
    built_dir, committed_dir = release_dir(releases, version, assignment), release_dir(RELEASE.parent, version, assignment)
    rel = lambda root: sorted(p.relative_to(root) for p in root.rglob("*"))
    assert rel(built_dir) == rel(committed_dir), "files differ"
    for new in built_dir.rglob("*.ipynb"):
        assert json.loads(new.read_text()) == json.loads((committed_dir / new.name).read_text()), \
            f"release/{version}/{assignment}/{new.name} is stale: run `python -m autograder release`"


def test_correct_gets_every_point_blank_none_and_each_bug_loses_where_it_is_tested(demo):
    _, (tests, rows, _), _ = demo
    full = {name: points for name, points, manual in tests if not manual}
    assert {name: rows[CORRECT][name] for name in full} == full
    assert {rows[BLANK][name] for name in full} == {0}
    for bug in demo_variants(ASSIGNMENT):
        lost = {name for name in full if rows[bug.student][name] < full[name]}
        assert lost == set(bug.affected), f"{bug.student}: lost points in {sorted(lost)}"


def test_the_cheat_gets_every_point_from_stock_nbgrader_but_not_from_the_harness(demo):
    _, (tests, rows, stock), printed = demo
    full = {name: points for name, points, manual in tests if not manual}
    [cheat] = CHEATS[ASSIGNMENT]
    assert {name: stock[cheat.student][name] for name in full} == full
    assert total(rows[cheat.student]) < sum(full.values())
    assert f"{cheat.student}: stock nbgrader gives {sum(full.values()):g} / {sum(full.values()):g}" in printed


def test_the_warning_example_really_writes_to_stderr_in_a_graded_cell(releases):
    """Without this, its full marks (tests/test_grade_assignments.py) would not show that warnings on stderr are
    ignored."""
    write_submissions(releases, "batchnorm", (WARNS_ON_STDERR,))
    folder = releases / "submitted" / WARNS_ON_STDERR.student / "batchnorm"
    nb = execute(folder / "BatchNormalization.ipynb", folder)
    stderr = [o.text for c in graded_cells(nb) for o in c.outputs
              if o.output_type == "stream" and o.name == "stderr"]
    assert any("RuntimeWarning" in text for text in stderr)


def test_feedback_shows_hidden_outcomes_but_not_hidden_code(demo):
    course_dir, (_, rows, _), _ = demo
    shown_failures = set()
    for source in sorted((course_dir / "source" / ASSIGNMENT).glob("*.ipynb")):
        secret = hidden_lines(nbformat.read(source, as_version=4))
        pages = list((course_dir / "feedback").glob(f"*/{ASSIGNMENT}/{source.stem}.html"))
        assert len(pages) == len(rows)
        for page in pages:
            text = html.unescape(re.sub(r"<[^>]+>", "", PAGE_CODE.sub("", page.read_text())))
            lines = {line.strip() for line in text.splitlines()}
            shown = [line for line in secret if line in lines]
            assert not shown, f"{page} shows hidden test code: {shown[:3]}"
            if "FAIL " in text:
                shown_failures.add(page.parts[-3])
    losing = {bug.student for bug in demo_variants(ASSIGNMENT) if bug.affected}
    assert losing <= shown_failures, f"no failed check shown to {sorted(losing - shown_failures)}"


def test_grades_are_exported_and_the_full_table_written(demo):
    course_dir, (tests, rows, _), _ = demo
    with open(course_dir / "grades.csv") as f:
        assert {row["student_id"] for row in csv.DictReader(f)} == set(rows)
    with open(course_dir / "reports" / ASSIGNMENT / "scores.csv") as f:
        table = list(csv.reader(f))
    assert len(table) == 1 + len(rows) and len(table[0]) == 2 + len(tests)


def test_every_failing_check_tells_one_line_in_the_notebook_and_in_the_self_check(demo):
    """The demo's graded notebooks, and the self-check's table read from the same outputs."""
    assignment = ASSIGNMENT
    course_dir, _, _ = demo
    for student in [BLANK, *(bug.student for bug in demo_variants(assignment))]:
        for path in sorted((course_dir / "autograded" / student / assignment).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            where = f"{student}/{path.name}"
            assert_failures_tell_one_line(nb, assignment, where)
            rows = [{"grade_id": nbgrader_meta(cell)["grade_id"], "score": outcomes.score(cell),
                     "max_score": float(nbgrader_meta(cell)["points"]), "outcome": outcomes.cell_outcome(cell)}
                    for cell in graded_cells(nb)]
            table = "\n".join(selfcheck.format_table(rows, {}))
            assert "Traceback" not in table and "assignments/" not in table, (where, table)
            assert not BARE_NOT_IMPLEMENTED.search(table), (where, table)
            for row in rows:
                if row["score"] < row["max_score"]:
                    failed = [c for c in row["outcome"]["checks"] if not c["passed"]]
                    assert failed or row["outcome"]["error"], (where, row)
                    for check in failed:  # each failed check is shown with its reason
                        assert f"FAIL  {check['description']}\n          {check['message']}" in table, (where, table)
