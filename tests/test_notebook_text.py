"""What the notebooks' text promises matches their grading: the intro lists every graded cell with its points."""
import re

import nbformat

from conftest import nbgrader_meta


def points_column(intro):
    """{grade id: the points cell of the intro's table row that names it (`id` in backquotes)}."""
    found = {}
    for row in (line for line in intro.splitlines() if line.startswith("|")):
        *_, cells, points = [cell.strip() for cell in row.strip(" |").split("|")]
        for grade_id in re.findall(r"`(\w+)`", cells):
            found[grade_id] = points
    return found


def test_the_intro_lists_every_graded_cell_with_its_points_and_the_totals(source_notebook):
    nb = nbformat.read(source_notebook, as_version=4)
    intro = nb.cells[0].source
    listed = points_column(intro)
    graded = {nbgrader_meta(c)["grade_id"]: (nbgrader_meta(c)["points"], c.cell_type)
              for c in nb.cells if nbgrader_meta(c).get("points")}
    for grade_id, (points, kind) in graded.items():
        assert grade_id in listed, f"the intro does not list {grade_id}"
        assert re.match(rf"{points:g}\b", listed[grade_id]), f"{grade_id}: {listed[grade_id]!r}, worth {points:g}"
        assert ("by hand" in listed[grade_id]) == (kind == "markdown"), f"{grade_id} is graded {kind}"
    automatic = sum(points for points, kind in graded.values() if kind == "code")
    by_hand = sum(points for points, kind in graded.values() if kind == "markdown")
    totals = f"{automatic:g} points are graded automatically and {by_hand:g} by hand, {automatic + by_hand:g} in all" \
        if by_hand else f"All {automatic:g} points are graded automatically"
    assert totals in intro, f"the intro does not say: {totals}"
