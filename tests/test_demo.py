"""The main job end to end: releases built by nbgrader, example submissions autograded, feedback, export."""
import csv
import html
import json
import re

import nbformat
import pytest

from autograder.course import ASSIGNMENTS, release_dir
from autograder.demo import run_demo
from autograder.examples.bug_catalog import EXAMPLES, WARNS_ON_STDERR
from autograder.examples import BLANK, CORRECT
from autograder.release import VERSIONS
from assignments import outcomes, selfcheck
from conftest import (BARE_NOT_IMPLEMENTED, RELEASE, SOURCE, assert_failures_tell_one_line, execute, graded_cells,
                      hidden_lines, nbgrader_meta, notebooks)

pytestmark = pytest.mark.e2e
PAGE_CODE = re.compile(r"<(style|script)\b.*?</\1>", re.S)  # the page's own CSS and JavaScript, not the notebook's
BUGS = [(assignment, bug) for assignment in ASSIGNMENTS for bug in EXAMPLES.get(assignment, ())]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    course_dir = tmp_path_factory.mktemp("demo") / "course"
    lines = []
    results = run_demo(course_dir=course_dir, update_repo=False, say=lines.append)
    return course_dir, results, "\n".join(lines)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("version", VERSIONS)
def test_committed_release_is_what_nbgrader_builds_from_source(demo, assignment, version):
    course_dir, _, _ = demo
    built = sorted(release_dir(course_dir, version, assignment).rglob("*"))
    committed = sorted(release_dir(RELEASE.parent, version, assignment).rglob("*"))
    rel = lambda paths, root: [p.relative_to(root) for p in paths]
    assert rel(built, release_dir(course_dir, version, assignment)) == \
        rel(committed, release_dir(RELEASE.parent, version, assignment)), "files differ"
    for new in built:
        if new.suffix == ".ipynb":
            old = release_dir(RELEASE.parent, version, assignment) / new.name
            assert json.loads(new.read_text()) == json.loads(old.read_text()), \
                f"release/{version}/{assignment}/{new.name} is stale: run `python -m autograder release`"


def test_correct_submission_gets_every_point_and_blank_none(demo):
    _, results, _ = demo
    for assignment, (tests, rows) in results.items():
        for name, points, manual in tests:
            assert rows[CORRECT][name] == (None if manual else points), (assignment, name)
            assert rows[BLANK][name] == 0, (assignment, name)


@pytest.mark.parametrize("assignment, bug", BUGS, ids=[f"{a}/{b.student}" for a, b in BUGS])
def test_each_bug_loses_points_exactly_where_it_is_tested(demo, assignment, bug):
    _, results, _ = demo
    tests, rows = results[assignment]
    scores = rows[bug.student]
    lost = {name for name, points, manual in tests if not manual and scores[name] < points}
    assert lost == set(bug.affected), f"{bug.description}: lost points in {sorted(lost)}"


def test_the_warning_example_really_writes_to_stderr_in_a_graded_cell(demo):
    """Without this, its full marks would not show that warnings on stderr are ignored."""
    course_dir, _, _ = demo
    folder = course_dir / "submitted" / WARNS_ON_STDERR.student / "batchnorm"
    nb = execute(folder / "BatchNormalization.ipynb", folder)
    stderr = [o.text for c in graded_cells(nb) for o in c.outputs
              if o.output_type == "stream" and o.name == "stderr"]
    assert any("RuntimeWarning" in text for text in stderr)


def test_feedback_shows_hidden_outcomes_but_not_hidden_code(demo):
    course_dir, results, _ = demo
    shown_failures = set()
    for source in notebooks(SOURCE):
        secret = hidden_lines(nbformat.read(source, as_version=4))
        pages = list((course_dir / "feedback").glob(f"*/{source.parent.name}/{source.stem}.html"))
        assert len(pages) == len(results[source.parent.name][1])
        for page in pages:
            text = html.unescape(re.sub(r"<[^>]+>", "", PAGE_CODE.sub("", page.read_text())))
            lines = {line.strip() for line in text.splitlines()}
            shown = [line for line in secret if line in lines]
            assert not shown, f"{page} shows hidden test code: {shown[:3]}"
            if "FAIL " in text:
                shown_failures.add((page.parts[-2], page.parts[-3]))
    bugs = {(assignment, bug.student) for assignment, bug in BUGS if bug.affected}
    assert bugs <= shown_failures, f"no failed check shown to {sorted(bugs - shown_failures)}"


def test_grades_are_exported_and_the_table_printed(demo):
    course_dir, results, log = demo
    with open(course_dir / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    students = {row["student_id"] for row in rows}
    assert students == {student for _, rows_of in results.values() for student in rows_of}
    assert all(f"Scores for {assignment}" in log for assignment in ASSIGNMENTS) and CORRECT in log


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_failing_check_tells_one_line_in_the_kernel_and_in_the_self_check(demo, assignment):
    """Stock `nbgrader autograde` runs the notebooks in their kernels; the self-check's table is read from the same outputs."""
    course_dir, _, _ = demo
    for student in [BLANK, *(bug.student for bug in EXAMPLES.get(assignment, ()))]:
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
