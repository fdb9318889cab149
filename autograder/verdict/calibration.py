"""Which test cells can be judged outside the kernel: those whose checks the instructor's solution passes there.

Before a grading run the judge grades the source notebooks, solutions in place.
A test cell that does not give the solution full points outside the kernel
(a check that calls the student's code outside observe(), returns a student
object, or needs something the judge cannot ship) cannot be trusted to judge
students either: it is graded in the kernel, hidden tests included, and every
report says so. The result is kept beside the autograded submissions, keyed
by everything it depends on, so that reruns do not pay for it again.
"""
import dataclasses
import hashlib
import json
import pathlib
import tempfile

import nbformat
from nbgrader.utils import determine_grade, setenv

import assignments
from assignments.notebook_cells import is_test_cell, nbgrader_meta

from ..preprocessors import without_hidden_tests
from .check_lines import checks_in
from .run import JudgeFailed, run_judge


@dataclasses.dataclass(frozen=True)
class Calibration:
    """in_kernel: grade ids graded in the kernel; messages: one line per such cell, saying why."""
    in_kernel: frozenset
    messages: tuple


def kept_calibration(course_dir, assignment):
    """The Calibration the last run kept for the assignment, or None when none was kept."""
    kept = _kept_path(course_dir, assignment)
    if not kept.exists():
        return None
    data = json.loads(kept.read_text())
    return Calibration(frozenset(data["in_kernel"]), tuple(data["messages"]))


def _kept_path(course_dir, assignment):
    return pathlib.Path(course_dir) / "autograded" / f".calibration-{assignment}.json"


def calibrate(course_dir, assignment, notebooks, files, *, limits, use_sandbox, python_path, secret=None,
              hidden_libraries=()):
    """
    Judge the source notebooks and return the Calibration of their test cells.

    Inputs:
    - course_dir: The course folder (the result is kept in its autograded/ folder)
    - assignment: The assignment id
    - notebooks: {file name: source NotebookNode, solutions and hidden tests included}
    - files: {relative path: bytes}, the source's other files
    - limits, use_sandbox, python_path, secret, hidden_libraries: as for run.run_judge
    """
    key = _key(notebooks, files, secret, hidden_libraries)
    kept = _kept_path(course_dir, assignment)
    if kept.exists() and json.loads(kept.read_text()).get("key") == key:
        return kept_calibration(course_dir, assignment)
    calibration = _judged(notebooks, files, limits=limits, use_sandbox=use_sandbox, python_path=python_path,
                          secret=secret, hidden_libraries=hidden_libraries)
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(json.dumps({"key": key, "in_kernel": sorted(calibration.in_kernel),
                                "messages": list(calibration.messages)}))
    return calibration


def _judged(notebooks, files, **options):
    with tempfile.TemporaryDirectory(prefix="calibration-") as folder, setenv(NBGRADER_EXECUTION="autograde"):
        folder = pathlib.Path(folder)
        for relative, content in files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(content)
        for name, nb in notebooks.items():
            nbformat.write(without_hidden_tests(nb), folder / name)
        try:
            verdicts = run_judge(notebooks, folder, **options)
        except JudgeFailed as error:
            verdicts, failure = {}, str(error)
        else:
            failure = "the judge did not run it"
    in_kernel, messages = set(), []
    for name, nb in notebooks.items():
        judged = verdicts.get(name, {}).get("cells", {})
        for cell in filter(is_test_cell, nb.cells):
            grade_id = nbgrader_meta(cell).get("grade_id")
            reason = _shortfall(cell, judged.get(grade_id), failure)
            if reason:
                in_kernel.add(grade_id)
                messages.append(f"{name}/{grade_id}: graded in the kernel, not outside it: {reason}")
    return Calibration(frozenset(in_kernel), tuple(messages))


def _shortfall(cell, outputs, failure):
    """Why the solution does not earn the cell's points outside the kernel, or None when it does."""
    if outputs is None:
        return failure
    judged = nbformat.from_dict({**cell, "outputs": outputs})
    score, max_score = determine_grade(judged)
    if score is not None and score >= max_score - 1e-9:
        return None
    failed = [f"{description!r}: {reason}" for description, (passed, reason) in checks_in(outputs).items()
              if not passed]
    errors = [f"{o['ename']}: {o['evalue']}" for o in outputs if o.get("output_type") == "error"]
    return (f"the solution earns {score or 0:g} of {max_score:g} points there"
            f" ({'; '.join((failed or errors)[:3]) or 'no reason printed'})")


def _key(notebooks, files, secret, hidden_libraries):
    """
    A digest of what calibration depends on: the source, the course's secret, the libraries
    hidden from the sandboxes, and this package's and the student package's code.
    """
    digest = hashlib.sha256(json.dumps([str(secret), sorted(hidden_libraries)]).encode())
    for name in sorted(notebooks):
        digest.update(name.encode() + nbformat.writes(notebooks[name]).encode())
    for relative in sorted(files):
        digest.update(relative.encode() + files[relative])
    for package in (pathlib.Path(__file__).parent, pathlib.Path(assignments.__file__).parent):
        for path in sorted(package.glob("*.py")):
            digest.update(path.read_bytes())
    return digest.hexdigest()
