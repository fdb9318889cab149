"""Build the student and solution releases of an assignment with nbgrader.

`nbgrader generate_assignment` writes the student version (solutions replaced by
stubs, hidden tests removed) and `nbgrader generate_solution`, with the
preprocessors set in nbgrader_config.py, the solution version (solutions kept,
hidden tests and markers removed). Both carry no outputs.
"""
import pathlib
import shutil
import tempfile

from ..course import ASSIGNMENTS, REPO_ROOT, CourseError, nbgrader, new_course_dir, release_dir

VERSIONS = ("student", "solution")


def generate_releases(course_dir, assignment):
    """Run nbgrader's two generators for one assignment inside course_dir."""
    nbgrader(course_dir, "generate_assignment", assignment, "--force")
    nbgrader(course_dir, "generate_solution", assignment, "--force")


def copy_releases(course_dir, assignments=ASSIGNMENTS, repo=REPO_ROOT):
    """Replace the repository's release/<version>/<assignment> folders by course_dir's."""
    for assignment in assignments:
        for version in VERSIONS:
            target = release_dir(repo, version, assignment)
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(release_dir(course_dir, version, assignment), target)


def rebuild_releases(*, assignments=ASSIGNMENTS):
    """
    Rebuild the repository's release/ folders of some assignments from source/, in a scratch course.

    Raises CourseError for an assignment this course does not have.
    """
    unknown = sorted(set(assignments) - set(ASSIGNMENTS))
    if unknown:
        raise CourseError(f"unknown assignment {', '.join(unknown)} (known: {', '.join(ASSIGNMENTS)})")
    with tempfile.TemporaryDirectory() as scratch:
        course = new_course_dir(pathlib.Path(scratch) / "course", assignments)
        for assignment in assignments:
            generate_releases(course, assignment)
        copy_releases(course, assignments)
