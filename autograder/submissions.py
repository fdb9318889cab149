"""Reading a course's submissions, whatever state they arrive in.

A submission is `submitted/<student>/<assignment>/`: notebooks, maybe other files
and nbgrader's `timestamp.txt`. Student files are untrusted input: a notebook may
be malformed JSON, not UTF-8, renamed, or missing. Reading never raises for
those: it returns what could be read and a list of problems to report.
"""
import dataclasses
import json
import pathlib

import nbformat

from .course import CourseError


@dataclasses.dataclass
class Submission:
    """
    One student's submission of one assignment, as read from disk.

    - student, assignment: ids
    - folder: the submitted folder
    - notebooks: {expected notebook name: NotebookNode, or None when missing or unreadable}
    - files: {relative path: bytes} of the other files, notebooks excluded
    - timestamp: the content of timestamp.txt, or None
    - problems: one line per problem found while reading, for the report
    """
    student: str
    assignment: str
    folder: pathlib.Path
    notebooks: dict
    files: dict
    timestamp: str | None
    problems: list


def find_students(course_dir, assignment, only=None):
    """
    The students who submitted an assignment, sorted.

    Raises CourseError when the submitted folder has no submission of it, or
    when a student asked for in `only` has none.
    """
    root = pathlib.Path(course_dir) / "submitted"
    found = sorted(p.parent.name for p in root.glob(f"*/{assignment}") if p.is_dir())
    if only:
        missing = sorted(set(only) - set(found))
        if missing:
            raise CourseError(f"no submission of {assignment!r} for: {', '.join(missing)} (looked in {root})")
        return sorted(only)
    if not found:
        raise CourseError(f"no submissions of {assignment!r} in {root} (expected {root}/<student>/{assignment}/)")
    return found


def read_submission(course_dir, assignment, student, expected):
    """
    Read one submission; `expected` lists the notebook names the assignment has.

    A notebook missing under its expected name is looked for among the other
    notebooks of the folder (a renamed copy, e.g. 'BatchNormalization (1).ipynb'),
    matched by the nbgrader cell ids it contains.
    """
    folder = pathlib.Path(course_dir) / "submitted" / student / assignment
    problems, notebooks, others = [], {}, {}
    for path in sorted(folder.glob("*.ipynb")):
        nb, problem = _read_notebook(path)
        if problem:
            problems.append(problem)
        (notebooks if path.name in expected else others)[path.name] = nb
    for name, ids in expected.items():
        if name not in notebooks:
            renamed = _best_match(others, ids)
            if renamed:
                problems.append(f"{name} not found; graded {renamed} in its place")
                notebooks[name] = others.pop(renamed)
            else:
                problems.append(f"{name} is missing: its tests get no points")
                notebooks[name] = None
    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
             if p.is_file() and p.suffix != ".ipynb" and p.name != "timestamp.txt"}
    stamp = folder / "timestamp.txt"
    timestamp = stamp.read_text(errors="replace").strip() or None if stamp.exists() else None
    return Submission(student, assignment, folder, notebooks, files, timestamp, problems)


def _read_notebook(path):
    """(NotebookNode or None, problem line or None): tolerant of bad encodings, strict on structure."""
    nb, problem = parse_notebook(path.name, path.read_bytes())
    if nb is None:
        problem += ": its tests get no points"
    return nb, problem


def parse_notebook(name, raw):
    """
    Parse the bytes of an untrusted notebook file.

    Inputs:
    - name: The file name, for the problem line
    - raw: The file's bytes

    Returns (NotebookNode or None, problem line or None): undecodable bytes are
    replaced (and said), a file that is not a notebook gives None and its problem.
    """
    try:
        text = raw.decode("utf-8")
        problem = None
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        problem = f"{name} is not valid UTF-8; undecodable bytes were replaced"
    try:
        nb = nbformat.reads(text, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, ValueError, KeyError, TypeError) as error:
        return None, f"{name} is not a readable notebook ({type(error).__name__})"
    return nb, problem


def _best_match(candidates, expected_ids):
    """The candidate notebook sharing the most nbgrader cell ids with expected_ids, if any share one."""
    def shared(nb):
        if nb is None:
            return 0
        return len({c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells} & expected_ids)
    best = max(candidates, key=lambda name: shared(candidates[name]), default=None)
    return best if best is not None and shared(candidates[best]) else None
