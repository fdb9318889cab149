"""The human flows in a real browser: the student in JupyterLab, the instructor in formgrader.

One temporary course (releases built by nbgrader, two example submissions
autograded and given feedback, as `python -m autograder demo` does, and the
student release published through an exchange of its own) is served by one
JupyterLab with nbgrader's extensions, on 127.0.0.1 with a token; a headless
Chromium driven by Playwright plays the student and the instructor. Each step
leaves a screenshot in test-artifacts/browser/ for people to look at; the
assertions read the pages' text and count their elements, never pixels.
"""
import contextlib
import csv
import json
import os
import re

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.course import nbgrader, release_dir
from autograder.examples import CORRECT
from autograder.reports.scores import score_table
from browser_support import (ARTIFACTS, CHROMIUM, JupyterLab, Screenshots, chromium, code_cells, menu,
                             notebook_cells, open_lab, open_notebook, run_all_cells, shows_within, validate,
                             wait_for_notebook)
from conftest import SOURCE, build_course, hidden_lines, nbgrader_meta

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ASSIGNMENT, NOTEBOOK = "batchnorm", "BatchNormalization"
BUGGY = "bug-unbiased-variance"  # fails the forward-pass checks, visible and hidden: its feedback shows FAIL lines
QUESTION = "answer_weight_scale"  # inline question 1, an answer cell graded by hand
MANUAL_SCORE, COMMENT = 1.5, "Right about the narrow band of scales; also say why the gradient vanishes."
SOURCE_NB = nbformat.read(SOURCE / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)


def grade_id(cell):
    return nbgrader_meta(cell).get("grade_id", "")


def points(nb, kind=None):
    """{grade_id: points} of the graded cells of nb ('code' tests or 'markdown' answers only, if kind is given)."""
    return {grade_id(c): nbgrader_meta(c)["points"] for c in nb.cells
            if nbgrader_meta(c).get("grade") and kind in (None, c.cell_type)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """
    A course with both releases, the student release published to an exchange
    (for the students' Assignments panel), and the example submissions CORRECT
    and BUGGY autograded, with their feedback.
    """
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    scratch = tmp_path_factory.mktemp("browser")
    course_dir = build_course(scratch / "course", {CORRECT, BUGGY}, ASSIGNMENT)
    (scratch / "exchange").mkdir()
    with open(course_dir / "nbgrader_config.py", "a") as config:  # the temporary copy, not the repository's
        config.write(f"\n# browser tests: an exchange of their own\nc.Exchange.root = {str(scratch / 'exchange')!r}\n")
    nbgrader(course_dir, "release_assignment", ASSIGNMENT)
    nbgrader(course_dir, "autograde", ASSIGNMENT)
    nbgrader(course_dir, "generate_feedback", ASSIGNMENT)
    return course_dir


@pytest.fixture(scope="module")
def lab(course, tmp_path_factory):
    # NBGRADER_EXECUTION=validate (as `nbgrader validate` sets it) makes the notebooks' experiments
    # run their reduced version, figures included (under "autograde" they draw none): the browser
    # test is about what JupyterLab shows, and tests/test_notebooks_run.py runs the full version.
    # A student's own run, without the variable, draws the same plots from more runs.
    server = JupyterLab(course, tmp_path_factory.mktemp("jupyter"), ARTIFACTS / "jupyterlab.log",
                        env={"NBGRADER_EXECUTION": "validate"})
    with server:
        yield server


@pytest.fixture(scope="module")
def browser():
    assert os.path.exists(CHROMIUM), "the browser tests need Chromium: apt-get install chromium (./run test does)"
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, request):
    """A fresh browser window (no cookies); a screenshot of it is kept when the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    failed = request.session.testsfailed
    try:
        yield page
        if request.session.testsfailed > failed:  # the test's call failed: keep what the window showed
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            with contextlib.suppress(Exception):
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"))
    finally:
        context.close()


def test_student_fetches_the_release_runs_it_into_the_first_stub_and_fails_validation(lab, page, course):
    shot = Screenshots("student")
    open_lab(page, lab, workspace="student")
    menu(page, "Nbgrader", "Assignment List")
    released = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
    released.get_by_role("button", name="Fetch").wait_for()
    shot(page, "assignments-released")
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list")
    listed = fetched.locator(".nested_list_item")
    for attempt in range(3):  # the panel may redraw its lists (collapsed) just after the click
        fetched.locator("a.assignment-notebooks-link", has_text=ASSIGNMENT).click()
        if shows_within(listed.last, 5_000):
            break
    assert listed.last.is_visible(), "the fetched assignment's notebooks are not listed"
    release = release_dir(course, "student", ASSIGNMENT)
    assert [item.split()[0] for item in listed.all_inner_texts()] == sorted(p.stem for p in release.glob("*.ipynb"))
    assert listed.get_by_role("button", name="Validate").count() == listed.count()
    shot(page, "assignments-fetched")
    released_file, fetched_file = release / f"{NOTEBOOK}.ipynb", course / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    assert json.loads(fetched_file.read_text()) == json.loads(released_file.read_text()), "not the student release"
    nb = nbformat.read(released_file, as_version=4)
    assert not any(cell.get("outputs") for cell in nb.cells), "the release should carry no outputs"

    listed.get_by_role("link", name=NOTEBOOK, exact=True).click()
    notebook = wait_for_notebook(page)
    cells = notebook_cells(notebook)
    assert cells.count() == len(nb.cells)
    shot(page, "notebook-opened")

    run_all_cells(page)
    first_test = next(i for i, cell in enumerate(nb.cells) if grade_id(cell) in points(nb, "code"))
    stopped = cells.nth(first_test)
    stopped.locator(".jp-OutputArea").scroll_into_view_if_needed()
    shot(page, "run-all-stops-at-first-test")
    outputs = code_cells(cells)
    failing = [grade_id(nb.cells[i]) for i, cell in outputs.items() if cell["stderr"]]
    assert failing == [grade_id(nb.cells[first_test])], f"cells with an error: {failing}"
    error = stopped.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").inner_text()
    assert "NotImplementedError" in error and "batchnorm_forward" in error
    prompts = {i: cell["prompt"] for i, cell in outputs.items()}
    assert all(re.fullmatch(r"\[\d+\]:", p) for i, p in prompts.items() if i <= first_test), prompts
    assert all(p == "[ ]:" for i, p in prompts.items() if i > first_test), "Run All went on after the error"

    dialog = validate(page, notebook)
    shot(page, "validate-fails")
    text = dialog.inner_text()
    assert dialog.locator("#validation-message.validation-failed").count() == 1, text[:500]
    failed = dialog.get_by_text("The following cell failed:", exact=True).count()
    assert failed == len(points(nb)), f"{failed} failed cells listed; the notebook has {len(points(nb))} graded cells"
    assert "NotImplementedError" in text and "You did not provide a response." in text


def test_solution_release_runs_with_every_point_and_plot_and_passes_validation(lab, page, course):
    shot = Screenshots("solution")
    path = release_dir(course, "solution", ASSIGNMENT) / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(path, as_version=4)
    notebook = open_notebook(page, lab, path.relative_to(course).as_posix(), workspace="solution")
    cells = notebook_cells(notebook)
    assert cells.count() == len(nb.cells)

    run_all_cells(page)
    shot(page, "run-all-done")
    outputs = code_cells(cells)
    stderr = [grade_id(nb.cells[i]) for i, cell in outputs.items() if cell["stderr"]]
    assert not stderr, f"error or warning output in {stderr}"
    assert all(re.fullmatch(r"\[\d+\]:", cell["prompt"]) for cell in outputs.values()), "not every cell ran"
    tests = points(nb, "code")
    for i, cell in outputs.items():
        if grade_id(nb.cells[i]) in tests:
            worth = tests[grade_id(nb.cells[i])]
            assert cell["result"] is not None and float(cell["result"]) == worth, \
                f"{grade_id(nb.cells[i])} shows {cell['result']!r}, worth {worth}"
    experiments = [i for i, cell in enumerate(nb.cells) if grade_id(cell).endswith("_experiment")]
    assert len(experiments) >= 4
    for i in experiments:
        assert outputs[i]["images"] >= 1, f"{grade_id(nb.cells[i])} shows no plot"
        cells.nth(i).locator(".jp-OutputArea").scroll_into_view_if_needed()
        shot(page, f"plot-{grade_id(nb.cells[i])}")

    dialog = validate(page, notebook)
    shot(page, "validate-passes")
    text = dialog.inner_text()
    assert dialog.locator("#validation-message.validation-success").count() == 1, text[:500]
    assert "Success! Your notebook passes all the tests." in text


def test_instructor_grades_an_inline_answer_in_formgrader(lab, page, course):
    shot = Screenshots("formgrader")
    gradebook = f"sqlite:///{course / 'gradebook.db'}"
    worth, written_max = points(SOURCE_NB)[QUESTION], sum(points(SOURCE_NB, "markdown").values())
    _, scores = score_table(gradebook, ASSIGNMENT)
    assert scores[CORRECT][QUESTION] is None, "the answer should wait for manual grading"

    open_lab(page, lab, workspace="instructor")
    menu(page, "Nbgrader", "Formgrader")
    formgrader = page.frame_locator("#jp-main-dock-panel iframe")
    assignment = formgrader.locator("table tbody tr", has=formgrader.get_by_role("link", name=ASSIGNMENT, exact=True))
    assignment.wait_for()
    assert assignment.locator("td.num-submissions").inner_text().strip() == "2"
    shot(page, "manage-assignments")

    formgrader.get_by_role("link", name="Manual Grading").click()
    formgrader.get_by_role("link", name=ASSIGNMENT, exact=True).click()
    formgrader.get_by_role("link", name=NOTEBOOK, exact=True).click()

    def submission_row(student):
        formgrader.get_by_role("link", name="Submission #2").wait_for()  # the table is filled in
        formgrader.get_by_role("button", name="Show All Names").click()
        return formgrader.locator("table tbody tr", has=formgrader.get_by_role("link", name=student, exact=True))

    row = submission_row(CORRECT)
    assert row.locator("td.written-score").inner_text().replace(" ", "") == f"0/{written_max:g}"
    shot(page, "submissions")

    row.get_by_role("link", name=CORRECT, exact=True).click()
    score = formgrader.locator(f"input.score#{QUESTION}")
    comment = formgrader.locator(f"textarea.comment#{QUESTION}-comment")
    score.scroll_into_view_if_needed()
    assert score.input_value() == "" and comment.input_value() == ""
    shot(page, "answer-to-grade")
    with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
        score.fill(str(MANUAL_SCORE))
        score.press("Tab")
    assert saved.value.ok and saved.value.json()["manual_score"] == MANUAL_SCORE
    with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT") as saved:
        comment.fill(COMMENT)
        comment.press("Tab")
    assert saved.value.ok and saved.value.json()["manual_comment"] == COMMENT
    shot(page, "answer-graded")

    formgrader.get_by_role("link", name=NOTEBOOK, exact=True).first.click()  # the breadcrumb
    row = submission_row(CORRECT)
    shot(page, "submissions-after-grading")
    assert row.locator("td.written-score").inner_text().replace(" ", "") == f"{MANUAL_SCORE:g}/{written_max:g}"

    # the gradebook: nbgrader's Gradebook API, directly and through the course's score table
    _, scores = score_table(gradebook, ASSIGNMENT)
    assert scores[CORRECT][QUESTION] == MANUAL_SCORE
    with Gradebook(gradebook) as gb:
        assert gb.find_comment(QUESTION, NOTEBOOK, ASSIGNMENT, CORRECT).manual_comment == COMMENT
        submission = gb.find_submission(ASSIGNMENT, CORRECT)
        total, code_score = submission.score, submission.code_score
    assert total == pytest.approx(code_score + MANUAL_SCORE)
    # `nbgrader export`
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    with open(course / "grades.csv") as f:
        exported = {line["student_id"]: line for line in csv.DictReader(f)}
    assert float(exported[CORRECT]["score"]) == pytest.approx(total)

    # the student's feedback, generated again, shows the grade and the comment
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", CORRECT, "--force")
    page.goto((course / "feedback" / CORRECT / ASSIGNMENT / f"{NOTEBOOK}.html").as_uri())
    answer = page.locator(".nbgrader_cell", has=page.locator(f"a[name='{QUESTION}']"))
    shot(answer, "feedback-with-comment")
    text = answer.inner_text()
    assert f"Score: {MANUAL_SCORE:.1f} / {worth:.1f}" in text and COMMENT in text


def test_feedback_shows_hidden_test_outcomes_but_not_their_code(page, course):
    shot = Screenshots("feedback")
    with_hidden = [grade_id(cell) for cell in SOURCE_NB.cells if "### BEGIN HIDDEN TESTS" in cell.source]
    assert with_hidden
    page.goto((course / "feedback" / BUGGY / ASSIGNMENT / f"{NOTEBOOK}.html").as_uri())
    shot(page, "summary")
    _, scores = score_table(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
    earned = sum(scores[BUGGY][name] or 0 for name in points(SOURCE_NB))
    header = re.search(rf"{NOTEBOOK} \(Score: ([\d.]+) / ([\d.]+)\)", page.locator("body").inner_text())
    assert header, "no score summary at the top of the feedback"
    assert float(header[1]) == pytest.approx(earned) and float(header[2]) == sum(points(SOURCE_NB).values())

    notices = page.get_by_text("# [hidden tests: their code is not shown; what they printed is below]", exact=True)
    assert notices.count() == len(with_hidden)
    first = page.locator(f"[id='cell-id={with_hidden[0]}']")
    shot(first, f"hidden-tests-{with_hidden[0]}")
    outcome = first.inner_text()
    assert "FAIL  " in outcome and re.search(r"^0 / [\d.]+ points: FAIL .+: AssertionError: ", outcome, re.M), \
        outcome[-500:]
    assert "Traceback" not in outcome

    text = {line.strip() for line in page.locator("body").inner_text().splitlines()}
    shown = [line for line in hidden_lines(SOURCE_NB) if line in text]
    assert not shown, f"the feedback shows hidden test code: {shown[:3]}"
