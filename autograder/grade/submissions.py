"""Reading a course's submissions, whatever state they arrive in.

A submission is `submitted/<student>/<assignment>/`: notebooks, maybe other files
and nbgrader's `timestamp.txt`. Student files are untrusted input: a notebook may
be malformed JSON, not UTF-8, hold lone surrogates, be renamed, missing, a
folder, or huge; any file may be a symbolic link to a host file, or a FIFO.
Reading never follows a link nor reads past a cap (autograder/untrusted_files.py);
it returns what could be read and a list of problems to report, and refuses
(SubmissionRefused) only a submitted folder that is itself a link.
"""
import dataclasses
import json
import pathlib
import stat

import nbformat
from nbgrader.utils import parse_utc

from ..course import CourseError
from .structure import grade_id
from .untrusted_files import TooLarge, UntrustedFileError, read_untrusted, walk_untrusted

MIB = 1 << 20
MAX_SUBMISSION_MB = 50  # what a submission's files may hold together
MAX_FILES = 10_000      # how many files of a submission are read
STAMP = "timestamp.txt"


class SubmissionRefused(ValueError):
    """The submitted folder cannot be read at all (it is a symbolic link, or not a folder); the message says why."""


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
    # a link is found too, to be refused with a message rather than skipped in silence
    found = sorted(p.parent.name for p in root.glob(f"*/{assignment}") if p.is_dir() or p.is_symlink())
    if only:
        missing = sorted(set(only) - set(found))
        if missing:
            raise CourseError(f"no submission of {assignment!r} for: {', '.join(missing)} (looked in {root})")
        return sorted(only)
    if not found:
        raise CourseError(f"no submissions of {assignment!r} in {root} (expected {root}/<student>/{assignment}/)")
    return found


def read_submission(course_dir, assignment, student, expected, *, max_bytes=MAX_SUBMISSION_MB * MIB,
                    max_files=MAX_FILES):
    """
    Read one submission; `expected` lists the notebook names the assignment has.

    A notebook missing under its expected name is looked for among the other
    notebooks of the folder (a renamed copy, e.g. 'BatchNormalization (1).ipynb'),
    matched by the nbgrader cell ids it contains. At most max_files files and
    max_bytes bytes in all are read; links, FIFOs and the like are not (each
    refusal is a problem), nor notebooks in subfolders.

    Raises SubmissionRefused when the student's folder or the submitted folder is
    a symbolic link or not a folder.
    """
    root = pathlib.Path(course_dir) / "submitted"
    folder = root / student / assignment
    for path in (folder.parent, folder):
        if not stat.S_ISDIR(path.lstat().st_mode):
            kind = "a symbolic link" if path.is_symlink() else "not a folder"
            raise SubmissionRefused(f"{path.relative_to(root.parent)} is {kind}: the submission was not read")
    contents, problems = _read_files(folder, max_bytes, max_files)
    stamp = contents.pop(STAMP, None)
    notebooks, others = {}, {}
    for name in sorted(n for n in contents if n.endswith(".ipynb") and "/" not in n):
        nb, problem = _read_notebook(name, contents.pop(name))
        if problem:
            problems.append(problem)
        (notebooks if name in expected else others)[name] = nb
    for name, ids in expected.items():
        if name not in notebooks:
            renamed = _best_match(others, ids)
            if renamed:
                problems.append(f"{name} not found; graded {renamed} in its place")
                notebooks[name] = others.pop(renamed)
            else:
                problems.append(f"{name} is missing: its tests get no points")
                notebooks[name] = None
    files = {name: content for name, content in contents.items()
             if not name.endswith(".ipynb") and name.split("/")[0] not in expected}
    timestamp = _timestamp(stamp, problems)
    return Submission(student, assignment, folder, notebooks, files, timestamp, problems)


def _timestamp(stamp, problems):
    """timestamp.txt's text if nbgrader can read it as a time, else None (and a problem when it was not empty)."""
    text = stamp.decode("utf-8", "replace").strip() if stamp is not None else ""
    if not text:
        return None
    try:
        parse_utc(text)
    except (ValueError, OverflowError):
        problems.append(f"{STAMP} does not hold a time: ignored")
        return None
    return text


def _read_files(folder, max_bytes, max_files):
    """({relative path: bytes} of the regular files below folder, problems): caps and refusals as read_submission says."""
    contents, problems, budget = {}, [], max_bytes
    for relative, status, dir_fd, name in walk_untrusted(folder):
        if stat.S_ISDIR(status.st_mode):
            if relative.endswith(".ipynb"):
                problems.append(f"{relative} is a folder, not a notebook: not read")
            continue
        if len(contents) == max_files:
            problems.append(f"more than {max_files} files: the others were not read")
            break
        try:
            content = read_untrusted(name, max_bytes=budget, dir_fd=dir_fd)
        except TooLarge:
            problems.append(f"{relative} was not read: the submission's files may hold {max_bytes // MIB} MB together")
            continue
        except UntrustedFileError as error:
            problems.append(f"{relative} {error.why}: not read")
            continue
        contents[relative] = content
        budget -= len(content)
    return contents, problems


def _read_notebook(name, raw):
    """(NotebookNode or None, problem line or None): tolerant of bad encodings, strict on structure."""
    nb, problem = parse_notebook(name, raw)
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
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, nbformat.ValidationError, ValueError, KeyError, TypeError,
            AttributeError) as error:
        return None, f"{name} is not a readable notebook ({type(error).__name__})"
    text = json.dumps(nb, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # JSON escapes such as "\ud83d" decode to lone surrogates, which UTF-8 cannot hold
        nb = nbformat.from_dict(json.loads(text.encode("utf-8", "replace")))
        problem = f"{name} holds text that is not Unicode (lone surrogates); each was replaced by '?'"
    return nb, problem


def _best_match(candidates, expected_ids):
    """The candidate notebook sharing the most nbgrader cell ids with expected_ids, if any share one."""
    def shared(nb):
        cells = nb.get("cells") if nb is not None else None
        return len({grade_id(c) for c in cells} & expected_ids) if isinstance(cells, list) else 0
    best = max(candidates, key=lambda name: shared(candidates[name]), default=None)
    return best if best is not None and shared(candidates[best]) else None
