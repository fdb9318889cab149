"""Reports made from autograded notebooks and the gradebook: per-test outcomes, Gradescope results, class summary.

- ``test_outcomes``: what each graded cell of a notebook printed (the Rubric's
  ``ok`` / ``FAIL`` / ``NOTE`` lines, read by assignments.outcomes) and the error
  it raised, in one line each; never code or tracebacks, so hidden checks stay hidden.
- ``gradescope_results`` / ``write_gradescope_results``: one student's
  Gradescope autograder ``results.json``, scores taken from the nbgrader gradebook.
- ``write_class_summary``: an HTML page with the score histogram and the pass
  rate of each test, for the instructor, linking the similarity report
  (autograder.similarity) of the same folder.
"""
import html
import json
import os
import pathlib
import statistics
import tempfile

import nbformat
import sqlalchemy
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry

from assignments.outcomes import cell_outcome, outcome_lines

from .report import score_table
from .similarity.page import PAGE as SIMILARITY

HISTOGRAM, PASS_RATES, SUMMARY = "scores.png", "pass_rates.png", "summary.html"


def test_outcomes(autograded_notebook):
    """
    What each graded cell of an executed notebook reported.

    Inputs:
    - autograded_notebook: A NotebookNode, or the path of a notebook file

    Returns a list, in notebook order, of one dict per graded cell (nbgrader
    metadata grade: true), as assignments.outcomes.cell_outcome makes it.
    """
    nb = autograded_notebook
    if isinstance(nb, (str, os.PathLike)):
        nb = nbformat.read(nb, as_version=4)
    return [cell_outcome(cell) for cell in nb.cells if utils.is_grade(cell)]


test_outcomes.__test__ = False  # pytest must not collect it where a test module imports it


def gradescope_results(db_url, assignment, student, autograded_dir):
    """
    A Gradescope autograder results.json for one student's submission.

    Inputs:
    - db_url: The nbgrader gradebook, e.g. 'sqlite:///course/gradebook.db'
    - assignment: Assignment id
    - student: Student id
    - autograded_dir: nbgrader's autograded folder (holding <student>/<assignment>/*.ipynb)

    Returns a dict: score (the gradebook's total, answers waiting for manual
    grading counted as 0), execution_time (seconds the graded notebooks ran),
    output (a summary) and tests, one per grade cell: name ('<notebook>: <grade_id>'),
    score, max_score, output (each check's outcome and message, hidden ones
    included, never their code) and visibility 'visible'.
    Raises ValueError when the gradebook or the submission is missing.
    """
    _require_gradebook(db_url)
    folder = pathlib.Path(autograded_dir) / student / assignment
    tests, pending, seconds = [], [], 0.0
    with Gradebook(db_url) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            raise ValueError(f"no submission of {assignment!r} by {student!r} in {db_url}") from None
        for notebook in submission.notebooks:
            path = folder / f"{notebook.name}.ipynb"
            nb = nbformat.read(path, as_version=4) if path.exists() else None
            outcomes = {o["grade_id"]: o for o in test_outcomes(nb)} if nb else {}
            seconds += _execution_seconds(nb) if nb else 0.0
            missing = [] if nb else [f"not autograded: {path.name} is not in the submission"]
            position = {name: i for i, name in enumerate(outcomes)}
            for grade in sorted(notebook.grades, key=lambda g: position.get(g.name, len(position))):
                lines = outcome_lines(outcomes[grade.name]) if grade.name in outcomes else missing
                tests.append({
                    "name": f"{notebook.name}: {grade.name}",
                    "score": grade.score,
                    "max_score": grade.max_score,
                    "output": "\n".join(lines + _score_lines(grade, lines)),
                    "visibility": "visible",
                })
                if grade.needs_manual_grade:
                    pending.append(tests[-1])
    return {
        "score": round(sum(test["score"] for test in tests), 4),
        "execution_time": round(seconds, 1),
        "output": _summary(tests, pending),
        "tests": tests,
    }


def _require_gradebook(db_url):
    """Raise ValueError if db_url names a SQLite file that does not exist (nbgrader would create an empty one)."""
    url = sqlalchemy.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and not os.path.exists(url.database):
        raise ValueError(f"no gradebook at {url.database}")


def _score_lines(grade, lines):
    """How a grade's score was set, where the cell's own lines do not say it."""
    if grade.needs_manual_grade:
        return [f"pending manual grading (0 of {grade.max_score:g} points until then)"]
    if grade.manual_score is not None:
        return [f"graded by hand: {grade.score:g} / {grade.max_score:g}"]
    return [] if lines else [f"autograded: {grade.score:g} / {grade.max_score:g}"]


def _summary(tests, pending):
    """The top-level output: points, tests with full points, answers waiting for manual grading."""
    graded = [test for test in tests if test not in pending]
    full = sum(test["score"] >= test["max_score"] for test in graded)
    lines = [f"{sum(test['score'] for test in tests):g} / {sum(test['max_score'] for test in tests):g} points; "
             f"{full} of {len(graded)} graded tests earned full points."]
    if pending:
        names = ", ".join(test["name"] for test in pending)
        lines.append(f"Pending manual grading ({sum(test['max_score'] for test in pending):g} points): {names}.")
    return "\n".join(lines)


def _execution_seconds(nb):
    """Seconds the code cells of an executed notebook ran, from the timings nbclient records."""
    seconds = 0.0
    for cell in nb.cells:
        timing = cell.metadata.get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            delta = utils.parse_utc(timing["shell.execute_reply"]) - utils.parse_utc(timing["iopub.execute_input"])
            seconds += delta.total_seconds()
    return seconds


def write_gradescope_results(course_dir, assignment, student, db_url=None):
    """
    Write gradescope_results for one student to <course_dir>/feedback/<student>/<assignment>/results.json.

    Inputs:
    - course_dir: The nbgrader course folder (with autograded/ and, by default, gradebook.db)
    - assignment, student: The submission
    - db_url: The gradebook; default sqlite:///<course_dir>/gradebook.db

    The file is replaced atomically (written to a temporary file, then renamed).
    Returns its path.
    """
    course_dir = pathlib.Path(course_dir)
    results = gradescope_results(db_url or f"sqlite:///{course_dir / 'gradebook.db'}",
                                 assignment, student, course_dir / "autograded")
    target = course_dir / "feedback" / student / assignment / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=target.parent, suffix=".tmp", delete=False) as f:
        json.dump(results, f, indent=2)
    os.replace(f.name, target)
    return target


def per_test_statistics(tests, rows):
    """
    Per-test statistics of a score table (autograder.report.score_table).

    Returns a list, in test order, of dicts: grade_id, max_score, manual,
    graded (submissions with a score), mean (of those, None if none) and
    pass_rate (fraction of them with full points, None if none).
    """
    stats = []
    for name, max_score, manual in tests:
        scores = [row[name] for row in rows.values() if row.get(name) is not None]
        stats.append({
            "grade_id": name, "max_score": max_score, "manual": manual, "graded": len(scores),
            "mean": statistics.fmean(scores) if scores else None,
            "pass_rate": sum(s >= max_score for s in scores) / len(scores) if scores else None,
        })
    return stats


def write_class_summary(db_url, assignment, out_dir, in_kernel=()):
    """
    Write the class summary of an assignment: summary.html, scores.png and pass_rates.png in out_dir.

    Inputs:
    - db_url: The nbgrader gradebook
    - assignment: Assignment id
    - out_dir: Folder for the three files (created if needed)
    - in_kernel: Lines naming the test cells graded in the kernel rather than
      outside it (calibration.Calibration.messages), shown at the top of the page

    Totals count answers still waiting for manual grading as 0. Returns the
    path of summary.html, which links the images relatively.
    Raises ValueError when the gradebook or the assignment is missing, or it has no submission.
    """
    _require_gradebook(db_url)
    try:
        tests, rows = score_table(db_url, assignment)
    except MissingEntry:
        raise ValueError(f"no assignment {assignment!r} in {db_url}") from None
    if not rows:
        raise ValueError(f"no submission of {assignment!r} in {db_url}")
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    totals = [sum(score or 0 for score in row.values()) for row in rows.values()]
    max_total = sum(points for _, points, _ in tests)
    stats = per_test_statistics(tests, rows)
    _save(_histogram(assignment, totals, max_total), out_dir / HISTOGRAM)
    _save(_pass_rate_chart(assignment, [s for s in stats if not s["manual"]]), out_dir / PASS_RATES)
    page = out_dir / SUMMARY
    page.write_text(_summary_html(assignment, totals, max_total, stats, in_kernel))
    return page


def _histogram(assignment, totals, max_total):
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.add_subplot()
    ax.hist(totals, bins=min(20, max(1, int(max_total))), range=(0, max_total), color="tab:blue", edgecolor="white")
    mean = statistics.fmean(totals)
    ax.axvline(mean, color="tab:red", linestyle="--", label=f"mean {mean:.1f}")
    ax.set_xlabel(f"total score (points out of {max_total:g})")
    ax.set_ylabel("number of students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{assignment}: total scores of {len(totals)} students")
    ax.legend()
    return fig


def _pass_rate_chart(assignment, stats):
    """Horizontal bars, so that long grade ids stay readable."""
    fig = Figure(figsize=(7, 1.2 + 0.4 * len(stats)), layout="constrained")
    ax = fig.add_subplot()
    names = [s["grade_id"] for s in stats]
    rates = [s["pass_rate"] or 0 for s in stats]
    bars = ax.barh(names, rates, color="tab:green")
    ax.bar_label(bars, labels=[f"{rate:.0%}" for rate in rates], padding=3)
    ax.invert_yaxis()  # notebook order from the top
    ax.set_xlim(0, 1.1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("submissions with full points")
    ax.set_ylabel("autograded test")
    ax.set_title(f"{assignment}: pass rate per test")
    return fig


def _save(fig, path):
    FigureCanvasAgg(fig).print_png(path)


def _summary_html(assignment, totals, max_total, stats, in_kernel):
    fmt = lambda value, spec: "" if value is None else format(value, spec)
    warning = "".join(f"<li>{html.escape(line)}</li>" for line in in_kernel)
    if warning:
        warning = ('<div class="warning"><p><strong>Not judged outside the kernel:</strong> these test cells were '
                   "graded in the students' own kernels, which their code can tamper with.</p>"
                   f"<ul>{warning}</ul></div>")
    rows = "\n".join(
        f"<tr><td>{html.escape(s['grade_id'])}{' (manual)' if s['manual'] else ''}</td>"
        f"<td>{s['max_score']:g}</td><td>{fmt(s['mean'], '.2f')}</td><td>{fmt(s['pass_rate'], '.0%')}</td>"
        f"<td>{s['graded']}</td></tr>" for s in stats)
    title = f"Class summary: {html.escape(assignment)}"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body {{font-family: sans-serif; margin: 2em}} table {{border-collapse: collapse}}
td, th {{border: 1px solid #ccc; padding: 4px 10px; text-align: right}} td:first-child {{text-align: left}}
.warning {{border: 2px solid #c00; background: #fee; padding: 0 1em; margin: 1em 0}}</style>
</head><body>
<h1>{title}</h1>
{warning}
<p>{len(totals)} students; total score out of {max_total:g}: mean {statistics.fmean(totals):.2f},
median {statistics.median(totals):.2f} (answers waiting for manual grading count as 0).</p>
<p><a href="{SIMILARITY}">Which submissions share their code</a> (written by
<code>python -m autograder similarity {html.escape(assignment)}</code>)</p>
<img src="{HISTOGRAM}" alt="histogram of total scores">
<img src="{PASS_RATES}" alt="pass rate of each autograded test">
<table>
<tr><th>test</th><th>points</th><th>mean score</th><th>pass rate (full points)</th><th>graded submissions</th></tr>
{rows}
</table>
</body></html>
"""
