"""The class summary of an assignment: an HTML page with the score histogram and the pass rate of each test,
for the instructor, linking the similarity report (autograder.similarity) of the same folder."""
import html
import pathlib
import statistics

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter
from nbgrader.api import MissingEntry

from .scores import require_gradebook, score_table, total
from ..similarity.page import PAGE as SIMILARITY

HISTOGRAM, PASS_RATES, SUMMARY = "scores.png", "pass_rates.png", "summary.html"


def per_test_statistics(tests, rows):
    """
    Per-test statistics of a score table (autograder.reports.scores.score_table).

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
    require_gradebook(db_url)
    try:
        tests, rows = score_table(db_url, assignment)
    except MissingEntry:
        raise ValueError(f"no assignment {assignment!r} in {db_url}") from None
    if not rows:
        raise ValueError(f"no submission of {assignment!r} in {db_url}")
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    totals = [total(row) for row in rows.values()]
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
