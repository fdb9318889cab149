"""Compare the code of every submission of an assignment: read, tokenize on workers, fingerprint, rank the pairs."""
import dataclasses
import pathlib

from tqdm.auto import tqdm

from ..course import CourseError
from ..grade.gradebook import load_config
from ..grade.submissions import find_students
from ..grade.workers import worker_pool
from . import DEFAULT_THRESHOLD
from .code import read_release, release_code, release_solutions
from .fingerprints import boilerplate_hashes, fingerprint, tokenize_submission
from .pairs import rank_pairs

WAVE = 100  # submissions in flight at once: their notebook files are held in memory until tokenized


@dataclasses.dataclass
class Comparison:
    """
    The similarity of an assignment's submissions.

    - assignment: The assignment id
    - threshold: The score from which a pair is flagged
    - students: Ids of every submission, sorted
    - without_code: Ids of the submissions with no code of their own (blank, or the release's code only)
    - problems: {student id: [one line per notebook that could not be read]}
    - ranking: pairs.Ranking of the submissions with code
    """
    assignment: str
    threshold: float
    students: list
    without_code: list
    problems: dict
    ranking: object


def configured_threshold(config):
    """The course config's Similarity.threshold, else DEFAULT_THRESHOLD; CourseError unless a number in [0, 1]."""
    value = config.get("Similarity", {}).get("threshold", DEFAULT_THRESHOLD)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise CourseError(f"c.Similarity.threshold must be a number from 0 to 1, got {value!r}")
    return float(value)


def compare_submissions(course_dir, assignment, *, threshold=None, workers=None, scheduler=None, progress=True):
    """
    Fingerprint the code of every submitted/<student>/<assignment>/*.ipynb and rank the pairs.

    Inputs:
    - course_dir: The nbgrader course folder (holds submitted/ and the student release)
    - assignment: The assignment id
    - threshold: Score in [0, 1] from which a pair is flagged (default: the course
      config's c.Similarity.threshold, else DEFAULT_THRESHOLD)
    - workers: Local worker processes for tokenizing (default: one per core)
    - scheduler: Address of a Dask scheduler, to tokenize on its workers instead
    - progress: Show a progress bar

    Returns a Comparison. Notebooks are read as data, never executed; one that
    cannot be read is a problem line of its student, not an error.
    Raises CourseError when the course has no student release of the assignment
    or no submission of it.
    """
    course_dir = pathlib.Path(course_dir)
    config = load_config(course_dir)
    threshold = configured_threshold(config) if threshold is None else threshold
    release_root = config.get("CourseDirectory", {}).get("release_directory", "release")
    release = read_release(course_dir / release_root / assignment)
    if not release:
        raise CourseError(f"no student release of {assignment!r} in {course_dir / release_root / assignment}: "
                          f"run `nbgrader generate_assignment {assignment}` first")
    solutions = release_solutions(release)
    boilerplate = boilerplate_hashes(release_code(release))
    students = find_students(course_dir, assignment)
    fingerprints, problems = [], {}
    bar = tqdm(total=len(students), desc=f"fingerprinting {assignment}", unit="submission", disable=not progress)
    with worker_pool(workers=workers, scheduler=scheduler, task=tokenize_submission) as (submit, as_completed):
        for start in range(0, len(students), WAVE):
            wave = students[start:start + WAVE]
            futures = {submit(_job(course_dir, assignment, student, solutions)): student for student in wave}
            for future in as_completed(list(futures)):
                student = futures[future]
                try:
                    tokens = future.result()
                except Exception as error:  # a submission that breaks the tokenizer is reported, not fatal
                    problems[student] = [f"could not be compared ({type(error).__name__}: {error})"]
                    tokens = {"student": student, "code": "", "filtered": "", "offsets": [], "problems": []}
                problems[student] = problems.get(student, []) + tokens["problems"]
                fingerprints.append(fingerprint(tokens, boilerplate=boilerplate))
                bar.update(1)
    bar.close()
    fingerprints.sort(key=lambda fp: fp.student)
    with_code = [fp for fp in fingerprints if fp.hashes]
    return Comparison(
        assignment=assignment, threshold=threshold, students=list(students),
        without_code=[fp.student for fp in fingerprints if not fp.hashes],
        problems={student: lines for student, lines in sorted(problems.items()) if lines},
        ranking=rank_pairs(with_code, threshold=threshold))


def _job(course_dir, assignment, student, solutions):
    """A tokenize_submission job: the submission's notebook files as bytes, so that it travels to any worker."""
    folder = course_dir / "submitted" / student / assignment
    return {"student": student, "notebooks": {path.name: path.read_bytes() for path in sorted(folder.glob("*.ipynb"))},
            "solutions": solutions}
