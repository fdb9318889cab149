"""The course's nbgrader gradebook, and nbgrader's own preprocessors run around a remote execution.

The harness splits `nbgrader autograde` in three: the sanitizing steps (here,
in the trusted coordinator, which owns the gradebook), the execution (in a
sandboxed worker) and the grade-saving steps (here again). Each step is
nbgrader's own preprocessor class with the course's configuration, so an
instructor's settings (IgnorePattern, LimitOutput, late penalties) apply.
"""
import pathlib
import time
import warnings

import sqlalchemy
from nbconvert.preprocessors import Preprocessor
from nbgrader.api import Gradebook, InvalidEntry, MissingEntry
from nbgrader.converters.autograde import Autograde
from nbgrader.preprocessors import Execute
from sqlalchemy.exc import IntegrityError, OperationalError, SAWarning, SQLAlchemyError
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from ..course import CONFIG_FILE, CourseError

RETRIES = 5  # concurrent graders on one database can collide on the same new rows

# nbgrader's own gradebook code triggers these SQLAlchemy 2 notices on every new submission; they are not ours to fix
warnings.filterwarnings("ignore", category=SAWarning, module=r"nbgrader\.api")


class GradebookUnavailable(CourseError):
    """The gradebook's database cannot be reached: no grading can go on."""


def load_config(course_dir):
    """The traitlets Config of course_dir/nbgrader_config.py (empty if there is none)."""
    if not (pathlib.Path(course_dir) / CONFIG_FILE).exists():
        return Config()
    return PyFileConfigLoader(CONFIG_FILE, path=str(course_dir)).load_config()


def resolve_db_url(course_dir, config, db_url=None):
    """db_url if given, else the course config's CourseDirectory.db_url, else course_dir/gradebook.db."""
    if db_url:
        return db_url
    configured = config.get("CourseDirectory", {}).get("db_url")
    return configured or f"sqlite:///{pathlib.Path(course_dir).resolve() / 'gradebook.db'}"


def check_reachable(db_url):
    """Raise GradebookUnavailable, saying why in one line, when no connection to the gradebook's database opens."""
    shown = "(a malformed URL)"
    try:
        url = sqlalchemy.engine.make_url(db_url)
        shown = url.render_as_string(hide_password=True)
        engine = sqlalchemy.create_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("SELECT 1"))
        finally:
            engine.dispose()
    except SQLAlchemyError as error:
        reason = (str(getattr(error, "orig", None) or error).strip().splitlines() or ["no message"])[0]
        raise GradebookUnavailable(f"the gradebook {shown} cannot be reached: {reason}") from None


def assignment_notebooks(db_url, assignment):
    """
    {notebook file name: set of its nbgrader cell ids} of an assignment in the gradebook.

    Raises CourseError when the gradebook does not know the assignment.
    """
    try:
        with Gradebook(db_url) as gb:
            notebooks = gb.find_assignment(assignment).notebooks
            return {f"{nb.name}.ipynb": {cell.name for cell in nb.source_cells} for nb in notebooks}
    except MissingEntry:
        raise CourseError(f"unknown assignment {assignment!r} in the gradebook {db_url}: "
                          f"run `nbgrader generate_assignment {assignment}` first") from None


def _instances(classes, config):
    return [cls(config=config) if isinstance(cls, type) else cls for cls in classes]


def _resources(db_url, assignment, student, notebook):
    return {"nbgrader": {"db_url": db_url, "assignment": assignment, "student": student,
                         "notebook": notebook.removesuffix(".ipynb")},
            "unique_key": notebook.removesuffix(".ipynb")}


def sanitize(nb, *, config, db_url, assignment, student, notebook):
    """
    nbgrader's sanitizing steps (Autograde.sanitize_preprocessors): outputs cleared,
    duplicate ids removed, the kernelspec and every locked and test cell restored
    from the gradebook, hidden tests included.
    """
    resources = _resources(db_url, assignment, student, notebook)
    for preprocessor in _instances(Autograde(config=config).sanitize_preprocessors, config):
        nb, resources = preprocessor.preprocess(nb, resources)
    return nb


def with_retries(action):
    """Run action(); retry a few times on database conflicts and locks from concurrent graders."""
    for attempt in range(RETRIES):
        try:
            return action()
        except (IntegrityError, OperationalError, InvalidEntry):  # nbgrader wraps IntegrityError
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.2 * 2 ** attempt)


def open_submission(db_url, assignment, student, timestamp=None):
    """Create or update the student and the submission rows, as `nbgrader autograde` does."""
    def action():
        with Gradebook(db_url) as gb:
            gb.update_or_create_student(student)
            kwargs = {"timestamp": timestamp} if timestamp else {}
            gb.update_or_create_submission(assignment, student, **kwargs)
    with_retries(action)


def save_grades(nb, *, config, db_url, assignment, student, notebook):
    """
    nbgrader's grade-saving steps (Autograde.autograde_preprocessors without
    Execute) on an executed notebook; returns the notebook as nbgrader would
    write it to autograded/.
    """
    steps = [cls for cls in Autograde(config=config).autograde_preprocessors
             if not (isinstance(cls, type) and issubclass(cls, Execute))]

    def action():
        result, resources = nb, _resources(db_url, assignment, student, notebook)
        for preprocessor in _instances(steps, config):
            if isinstance(preprocessor, Preprocessor) and not preprocessor.enabled:
                continue
            result, resources = preprocessor.preprocess(result, resources)
        return result
    return with_retries(action)


def integrity_problems(db_url, assignment):
    """
    Lines describing what is wrong with an assignment's grades: duplicated
    submissions or grades, grades missing for a graded cell. Empty when sound.
    """
    problems = []
    with Gradebook(db_url) as gb:
        cells = {nb.name: {c.name for c in nb.grade_cells} for nb in gb.find_assignment(assignment).notebooks}
        students = [s.student.id for s in gb.assignment_submissions(assignment)]
        duplicated = {s for s in students if students.count(s) > 1}
        problems += [f"{s}: more than one submission" for s in sorted(duplicated)]
        for submission in gb.assignment_submissions(assignment):
            for nb in submission.notebooks:
                names = [g.name for g in nb.grades]
                if sorted(names) != sorted(cells[nb.name]):
                    problems.append(f"{submission.student.id}/{nb.name}: grades {sorted(names)} "
                                    f"do not match the graded cells {sorted(cells[nb.name])}")
    return problems
