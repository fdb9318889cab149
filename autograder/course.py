"""Where the course lives and how to run plain nbgrader commands on a course directory."""
import os
import pathlib
import shutil
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("batchnorm", "mlp_batchnorm", "torch_batchnorm")
CONFIG_FILE = "nbgrader_config.py"


class CourseError(RuntimeError):
    """A course step failed; the message says which and why, in a few lines."""


def nbgrader(course_dir, *args):
    """
    Run `nbgrader ARGS...` in course_dir, as an instructor would, and return its log.

    Raises CourseError with the command and the end of its log when it fails.
    """
    command = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader runs helper executables (alembic) from PATH: make this environment's come first
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    done = subprocess.run(command, cwd=course_dir, capture_output=True, text=True, env=env)
    log = done.stdout + done.stderr
    if done.returncode != 0:
        tail = "\n".join(log.strip().splitlines()[-15:])
        raise CourseError(f"`nbgrader {' '.join(args)}` failed in {course_dir}:\n{tail}")
    return log


def new_course_dir(course_dir, assignments=ASSIGNMENTS, repo=REPO_ROOT):
    """
    Make course_dir a fresh nbgrader course holding the repository's config and sources.

    Anything already in course_dir (an earlier run's gradebook, submissions,
    feedback) is deleted first.
    """
    course_dir = pathlib.Path(course_dir)
    if course_dir.exists():
        shutil.rmtree(course_dir)
    course_dir.mkdir(parents=True)
    shutil.copy(repo / CONFIG_FILE, course_dir / CONFIG_FILE)
    for assignment in assignments:
        shutil.copytree(repo / "source" / assignment, course_dir / "source" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return course_dir


def release_dir(course_dir, version, assignment):
    """The folder of one release version ('student' or 'solution') of an assignment."""
    return pathlib.Path(course_dir) / "release" / version / assignment
