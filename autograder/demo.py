"""The main job: grade example submissions with the harness, and show what it adds to stock nbgrader.

1. nbgrader builds the student and solution releases from source/ in a fresh
   course (default build/demo; copied into the repository's release/).
2. Per assignment, a representative set of example submissions
   (examples.demo_set: correct, blank, two classic bugs, a cheat), or the whole
   catalog, is written into submitted/.
3. The harness grades them (grade.coordinator: parallel workers, in the
   sandbox when bubblewrap works here, each test cell judged outside the
   student's kernel) and writes its reports (grade.pipeline.write_reports), plus
   the full score table as reports/<assignment>/scores.csv.
4. Stock `nbgrader autograde` grades each cheat alone in a copy of the course
   (default build/demo-nbgrader), so that both scores show side by side.

Every step that takes more than a few seconds shows a tqdm progress bar on
stderr, also when it is not a terminal (a bar then adds a record, ending in a
carriage return, only when a step ends: a log stays short); stdout gets a
compact result per assignment (100 columns at most) and the paths of the pages
to open.
"""
import concurrent.futures
import pathlib
import shutil
import time

from tqdm.auto import tqdm

from .course import ASSIGNMENTS, REPO_ROOT, nbgrader, new_course_dir
from .examples import write_submissions
from .examples.bug_catalog import CHEATS
from .examples.demo_set import demo_variants
from .grade import sandbox
from .grade.pipeline import write_reports
from .grade.coordinator import grade_assignment
from .release import copy_releases, generate_releases
from .reports.scores import format_compact, score_table, total, write_score_csv

DEMO_DIR = REPO_ROOT / "build" / "demo"
WIDTH = 100  # the most characters of a line the demo prints


def run_demo(*, course_dir=DEMO_DIR, assignments=ASSIGNMENTS, everything=False, workers=None, update_repo=True,
             say=print):
    """
    Build the releases, grade example submissions of each assignment with the harness, and its cheats with
    stock nbgrader too; say a compact result per assignment and the paths of the reports.

    Inputs:
    - course_dir: Folder of the grading course (emptied first); stock nbgrader grades in a sibling
      folder named <course_dir>-nbgrader
    - assignments: Assignment ids to process
    - everything: Grade every example of the catalog, not the representative set
    - workers: Local worker processes of the harness (default: one per core)
    - update_repo: Copy the rebuilt releases into the repository's release/
    - say: Where the result lines go (progress bars go to stderr)

    Returns {assignment: (tests, rows, stock_rows)}: tests and rows as reports.scores.score_table
    gives the harness's gradebook, stock_rows the same of stock nbgrader for the cheats.
    """
    start = time.perf_counter()
    course_dir = new_course_dir(pathlib.Path(course_dir).resolve(), assignments)
    use_sandbox = _sandbox_works(say)
    for assignment in tqdm(assignments, desc="building releases", unit="assignment"):
        generate_releases(course_dir, assignment)
    if update_repo:
        copy_releases(course_dir, assignments)
        say(f"releases rebuilt by nbgrader, copied to {REPO_ROOT / 'release'}")
    for assignment in assignments:
        write_submissions(course_dir, assignment, demo_variants(assignment, everything))
    stock_dir = _fresh_copy(course_dir, course_dir.with_name(course_dir.name + "-nbgrader"))
    db_url = f"sqlite:///{course_dir / 'gradebook.db'}"
    outcomes, reports = {}, {}
    # nbgrader's own steps (stock autograde, feedback, export) run in a thread beside the harness's workers
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as beside:
        stock = {assignment: {bug.student: beside.submit(_stock_autograde, stock_dir, assignment, bug.student)
                              for bug in CHEATS[assignment]} for assignment in assignments}
        for assignment in assignments:
            outcomes[assignment] = grade_assignment(course_dir, assignment, workers=workers,
                                                    use_sandbox=use_sandbox, progress=True)
            reports[assignment] = beside.submit(_reports, course_dir, assignment, outcomes[assignment], db_url)
        _wait([*reports.values(), *(job for jobs in stock.values() for job in jobs.values())],
              "feedback, reports, stock nbgrader autograde of the cheats")
    results = {assignment: job.result() for assignment, job in reports.items()}
    stock = {assignment: {student: job.result() for student, job in jobs.items()} for assignment, jobs in stock.items()}
    for assignment, (tests, rows) in results.items():
        statuses = {outcome.student: outcome.status for outcome in outcomes[assignment]}
        say(_result(assignment, tests, rows, statuses, stock[assignment], use_sandbox))
    say(_paths(course_dir, assignments))
    say(f"\ndemo done in {time.perf_counter() - start:.0f} s")
    return {assignment: (tests, rows, stock[assignment]) for assignment, (tests, rows) in results.items()}


def _sandbox_works(say):
    """True when bubblewrap can sandbox the grading here; else False, and one line says so and how to fix it."""
    try:
        sandbox.check_sandbox()
        return True
    except sandbox.SandboxUnavailable:
        say("isolation is OFF (bubblewrap cannot sandbox here): apt-get install bubblewrap to turn it on")
        return False


def _fresh_copy(course_dir, target):
    """A copy of course_dir (releases, gradebook, submissions) at target, replacing whatever was there."""
    if target.exists():
        shutil.rmtree(target)
    return pathlib.Path(shutil.copytree(course_dir, target))


def _stock_autograde(stock_dir, assignment, student):
    """Grade one submission with stock `nbgrader autograde`; return its scores ({grade_id: score})."""
    nbgrader(stock_dir, "autograde", assignment, "--student", student, "--force")
    return score_table(f"sqlite:///{stock_dir / 'gradebook.db'}", assignment)[1][student]


def _reports(course_dir, assignment, outcomes, db_url):
    """Write an assignment's reports and its full score table; return (tests, rows) as score_table gives them."""
    write_reports(course_dir, assignment, outcomes, db_url)
    tests, rows = score_table(db_url, assignment)
    write_score_csv(tests, rows, course_dir / "reports" / assignment / "scores.csv")
    return tests, rows


def _wait(jobs, what):
    """Wait for the futures, with a progress bar of those not done yet."""
    with tqdm(total=len(jobs), initial=sum(job.done() for job in jobs), desc=what, unit="step") as bar:
        for _ in concurrent.futures.as_completed([job for job in jobs if not job.done()]):
            bar.update(1)


def _result(assignment, tests, rows, statuses, stock_rows, use_sandbox):
    """The lines of one assignment's result: a title, one line per student, one per cheat against stock nbgrader."""
    full = sum(points for _, points, manual in tests if not manual)
    manual = sum(points for _, points, is_manual in tests if is_manual)
    where = "in the sandbox" if use_sandbox else "WITHOUT isolation"
    lines = [f"\n{assignment}: {len(rows)} submissions, harness {where}, out of {full:g} points"
             + (f" (+{manual:g} by hand)" if manual else ""),
             *format_compact(tests, rows, statuses, WIDTH)]
    for student, scores in stock_rows.items():
        lines.append(f"  {student}: stock nbgrader gives {total(scores):g} / {full:g}, "
                     f"the harness {total(rows[student]):g} / {full:g}")
    return "\n".join(lines)


def _paths(course_dir, assignments):
    """The lines naming the pages to open: each summary and score table, one feedback page, the grades."""
    first = assignments[0]
    feedback = sorted((course_dir / "feedback" / CHEATS[first][0].student / first).glob("*.html"))[0]
    pages = [*((f"reports/{a}/summary.html", "class summary page") for a in assignments),
             *((f"reports/{a}/scores.csv", "the full score table") for a in assignments),
             (str(feedback.relative_to(course_dir)), "a feedback page"),
             ("grades.csv", "the exported grades")]
    width = max(len(path) for path, _ in pages)
    lines = [f"\nTo open, in {course_dir}:", *(f"  {path:<{width}}  {what}" for path, what in pages)]
    return "\n".join(lines)
