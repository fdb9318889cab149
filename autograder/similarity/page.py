"""The similarity report: reports/<assignment>/similarity.html and its histogram similarity.png."""
import html
import pathlib

from copydetect.utils import highlight_overlap
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .fingerprints import NOISE_THRESHOLD

PAGE, HISTOGRAM = "similarity.html", "similarity.png"
MARK_FIRST, MARK_SECOND = "<mark class='a'>", "<mark class='b'>"

STYLE = """body {font-family: sans-serif; margin: 2em} table {border-collapse: collapse}
td, th {border: 1px solid #ccc; padding: 4px 10px; text-align: right} td.id {text-align: left}
tr.flagged td {background: #fde8e8} .side {display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em}
pre {background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 12px; white-space: pre}
mark.a {background: #ffb3b3} mark.b {background: #b3e6b3} section {margin-top: 2.5em}"""


def write_similarity_report(comparison, out_dir):
    """
    Write the similarity report of a Comparison (autograder.similarity.compare).

    Inputs:
    - comparison: The Comparison
    - out_dir: Folder for similarity.html and similarity.png (created if needed)

    Returns the path of similarity.html, which links the histogram relatively.
    Students appear by id only.
    """
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(_histogram(comparison)).print_png(out_dir / HISTOGRAM)
    page = out_dir / PAGE
    page.write_text(_page(comparison), encoding="utf-8")
    return page


def _histogram(comparison):
    """Every pair's score, on a log scale of counts so that a single outlying pair shows."""
    scores, threshold = comparison.ranking.scores, comparison.threshold
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.add_subplot()
    ax.hist(scores, bins=50, range=(0, 1), color="tab:blue", edgecolor="white", log=len(scores) > 0)
    ax.axvline(threshold, color="tab:red", linestyle="--", label=f"threshold {threshold:.0%}")
    ax.set_xlabel("similarity: larger share of one's fingerprints found in the other")
    ax.set_ylabel("pairs of submissions")
    ax.set_title(f"{comparison.assignment}: similarity of {len(scores)} pairs")
    ax.legend()
    return fig


def _page(comparison):
    ranking, threshold = comparison.ranking, comparison.threshold
    title = f"Similarity: {html.escape(comparison.assignment)}"
    compared = len(comparison.students) - len(comparison.without_code)
    rows = "\n".join(_row(rank, pair, threshold) for rank, pair in enumerate(ranking.pairs, 1))
    more = ranking.flagged - sum(pair.score >= threshold for pair in ranking.pairs)
    sections = "\n".join(_pair_section(rank, pair) for rank, pair in enumerate(ranking.pairs, 1))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>{STYLE}</style>
</head><body>
<h1>{title}</h1>
<p>{len(comparison.students)} submissions, {compared} with code of their own: {len(ranking.scores)} pairs compared,
<strong>{ranking.flagged} at or above the threshold of {threshold:.0%}</strong>.</p>
<p>Only the code students wrote counts: their solution cells, without the lines the release gives, and cells they
added. Code is compared as copydetect normalizes it (every name, string and comment replaced or dropped), so
renamed variables and reworded comments change nothing. A pair's two similarities are the share of each
submission's fingerprints (hashes of {NOISE_THRESHOLD}-character runs of normalized code) found in the other; the
pair ranks by the larger. Highlighted code is what copydetect finds in both.</p>
<img src="{HISTOGRAM}" alt="histogram of the similarity of every pair">
<h2>Pairs to review</h2>
<table>
<tr><th>rank</th><th>student</th><th>student</th><th>similarity of the first to the second</th>
<th>of the second to the first</th><th>fingerprints shared</th></tr>
{rows}
</table>
{f"<p>{more} more pairs are at or above the threshold; raise it to see the closest.</p>" if more else ""}
{_id_list("Not compared: no code of their own (blank, or only the release's code)", comparison.without_code)}
{_id_list("Notebooks that could not be read", [f"{s}: {line}" for s, lines in comparison.problems.items()
                                               for line in lines])}
{sections}
</body></html>
"""


def _row(rank, pair, threshold):
    flagged = ' class="flagged"' if pair.score >= threshold else ""
    first, second = pair.similarity
    return (f'<tr{flagged}><td><a href="#pair-{rank}">{rank}</a></td><td class="id">{html.escape(pair.first.student)}'
            f'</td><td class="id">{html.escape(pair.second.student)}</td><td>{first:.0%}</td><td>{second:.0%}</td>'
            f"<td>{pair.shared}</td></tr>")


def _id_list(heading, items):
    if not items:
        return ""
    entries = "".join(f"<li>{html.escape(item)}</li>" for item in items)
    return f"<h2>{heading}</h2>\n<ul>{entries}</ul>"


def _pair_section(rank, pair):
    (slices_first, slices_second), highlighted = pair.copied_regions()
    sides = []
    for fp, slices, mark, share, similarity in zip((pair.first, pair.second), (slices_first, slices_second),
                                                   (MARK_FIRST, MARK_SECOND), highlighted, pair.similarity):
        code, _ = highlight_overlap(fp.raw_code, slices, mark, "</mark>", escape_html=True)
        sides.append(f"<div><h3>{html.escape(fp.student)}</h3><p>similarity {similarity:.0%}; "
                     f"{share:.0%} of its code highlighted</p><pre>{code}</pre></div>")
    return (f'<section id="pair-{rank}"><h2>{rank}. {html.escape(pair.first.student)} and '
            f'{html.escape(pair.second.student)}: {pair.score:.0%}</h2>\n<div class="side">{"".join(sides)}</div>'
            f"</section>")

