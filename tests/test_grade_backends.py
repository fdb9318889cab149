"""The harness on its other back ends: a Dask cluster of process workers, and a PostgreSQL gradebook shared by concurrent graders."""
import glob
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

from autograder.course import nbgrader
from autograder.examples import BLANK, CORRECT
from autograder.grade.coordinator import grade_assignment
from autograder.grade.gradebook import integrity_problems
from autograder.reports.scores import score_table
from conftest import build_course

pytestmark = pytest.mark.e2e
ASSIGNMENT = "mlp_batchnorm"  # the fastest to grade: these tests are about the back ends
UNBIASED = "bug-bn-unbiased-variance"


def totals(db_url):
    tests, rows = score_table(db_url, ASSIGNMENT)
    return {student: sum(v or 0 for v in scores.values()) for student, scores in rows.items()}


def test_grading_through_a_dask_cluster(tmp_path):
    from distributed import LocalCluster
    course = build_course(tmp_path / "course", {CORRECT, BLANK}, ASSIGNMENT)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        outcomes = grade_assignment(course, ASSIGNMENT, scheduler=cluster.scheduler_address, progress=False)
    assert sorted(o.student for o in outcomes) == [BLANK, CORRECT]
    db = f"sqlite:///{course / 'gradebook.db'}"
    scores = totals(db)
    assert scores[BLANK] == 0 and scores[CORRECT] > 0
    assert integrity_problems(db, ASSIGNMENT) == []


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL server on 127.0.0.1 (Debian's packages), stopped at the end."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: ./run test installs it (apt-get install postgresql)")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    bin_dir = pathlib.Path(binaries[-1]).parent
    data = pathlib.Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(data, "postgres")
    port = _free_port()
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True)
    run(str(bin_dir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "postgres", "--no-sync")
    run(str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log"), "-w", "start",
        "-o", f"-h 127.0.0.1 -p {port} -k {data} -F")
    try:
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "gradebook")
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def test_concurrent_graders_on_postgresql_lose_and_duplicate_nothing(tmp_path, postgres_url):
    course = build_course(tmp_path / "course", {CORRECT, BLANK, UNBIASED}, ASSIGNMENT)
    database = f"--CourseDirectory.db_url={postgres_url}"
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", database)
    graders = [
        subprocess.Popen([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course-dir", str(course),
                          "--db", postgres_url, "--workers", "1", "--force",
                          *[arg for s in students for arg in ("--student", s)]],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for students in ([CORRECT, BLANK], [BLANK, UNBIASED])
    ]
    for grader in graders:
        out, err = grader.communicate(timeout=900)
        assert grader.returncode == 0, err[-2000:]
    assert integrity_problems(postgres_url, ASSIGNMENT) == []
    scores = totals(postgres_url)
    assert set(scores) == {CORRECT, BLANK, UNBIASED}
    assert scores[BLANK] == 0 and scores[CORRECT] > scores[UNBIASED] > 0
