"""The suite installed normally, as on a Dask worker or in a container: it grades, and its sandbox shows no answer.

The repository's two wheels are installed (not editable: site-packages holds
autograder/) into a copy of the test environment, and that copy's Python runs
`python -m autograder grade batchnorm` in a scratch course with three
submissions: the correct one, the blank one, and the blank one whose
batchnorm_forward cell searches everything it can read (sys.path, then /) for
the grader, its bug catalog, solutions, hidden tests or an answer key, imports
what it finds, and uses a batchnorm_forward it finds. It prints what it found
in the kernel, and the judge's sandbox, which runs the same cell, reports it in
the message of every check that calls batchnorm_forward.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.examples import BLANK, CORRECT
from autograder.reports.scores import score_table
from conftest import (SOURCE, build_course, build_wheels, hidden_lines, nbgrader_meta, notebooks, telling,
                      telling_solution_lines)

pytestmark = pytest.mark.e2e
ASSIGNMENT = "batchnorm"
NOTEBOOK = "BatchNormalization.ipynb"
SEARCHER = "searcher"
SEARCH_SECONDS = 120  # how long one search may walk (about 15 s here); the cells get more
CELL_SECONDS = 300

# The searching submission's batchnorm_forward cell. The markers are built by concatenation, so
# that this code, wherever the kernel keeps a copy of it, is no match for its own search.
SEARCH = r'''
import importlib, importlib.util, json, os, sys, time

MARKERS = ["### BEGIN " + "SOLUTION", "### BEGIN " + "HIDDEN TESTS", "answer_" + "q1 = ", "def " + "batchnorm_forward"]
REFERENCE = MARKERS[-1]


def _walk(found, started):
    """Record the grader's folders and the files holding a marker: sys.path first, then /; False when out of time."""
    seen = set()
    roots = [p for p in dict.fromkeys(os.path.abspath(p) for p in sys.path if p) if os.path.isdir(p)] + ["/"]
    for root in roots:
        for folder, folders, files in os.walk(root):
            if time.monotonic() - started > SECONDS:
                return False
            if folder in seen or folder in ("/proc", "/sys", "/dev"):
                folders[:] = []
                continue
            seen.add(folder)
            name = os.path.basename(folder)
            if name in ("autograder", "bug_catalog") or "batchnorm_suite" in name:
                found["staff"][folder] = sorted(files + folders)
            for file in files:
                path = os.path.join(folder, file)
                if not file.endswith((".py", ".ipynb", ".json", ".txt", ".md")):
                    continue
                try:
                    if os.path.getsize(path) > 2_000_000:
                        continue
                    with open(path, encoding="utf-8", errors="replace") as handle:
                        text = handle.read()
                except OSError:
                    continue
                found["searched"] += 1
                markers = [marker for marker in MARKERS if marker in text]
                if markers:
                    found["marked"][path] = markers
    return True


def _try_import(name, parent=None):
    if parent:
        sys.path.insert(0, parent)
    try:
        importlib.import_module(name)
        return "imported"
    except BaseException as error:
        return type(error).__name__
    finally:
        if parent:
            sys.path.remove(parent)


def _reference(found):
    """A batchnorm_forward from a file found defining one, or None."""
    for path, markers in found["marked"].items():
        if REFERENCE in markers and path.endswith(".py"):
            try:
                spec = importlib.util.spec_from_file_location("found_reference", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                found["imported"].append(path)
                return module.batchnorm_forward
            except BaseException:
                continue
    return None


def search():
    started = time.monotonic()
    found = {"staff": {}, "marked": {}, "searched": 0, "imported": [], "imports": {}}
    found["complete"] = _walk(found, started)
    for name in ("autograder", "autograder.examples.bug_catalog", "autograder.examples", "torch"):
        found["imports"][name] = _try_import(name)
    for folder in found["staff"]:
        found["imports"][folder] = _try_import(os.path.basename(folder), os.path.dirname(folder))
    return found, _reference(found)


_found, _use = search()
print("SEARCH REPORT", json.dumps(_found, sort_keys=True))
_summary = (f"searched {_found['searched']} files, {'all' if _found['complete'] else 'until out of time'}: "
            f"{'found a reference' if _use else 'found no reference'}; "
            f"import autograder: {_found['imports']['autograder']}; import torch: {_found['imports']['torch']}")


def _missing(*args, **kwargs):
    raise NotImplementedError(_summary)


batchnorm_forward = _use or _missing
'''


def _environment(venv):
    """os.environ for the installed copy: its bin first, none of this process's PYTHONPATH (the worktree)."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    return env


def _run(command, **options):
    done = subprocess.run(list(map(str, command)), capture_output=True, text=True, **options)
    assert done.returncode == 0, f"{command}: {done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python, env) of a copy of this virtual environment with the repository's wheels installed normally."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("runs in a virtual environment, which it copies")
    folder = tmp_path_factory.mktemp("installed")
    wheels = build_wheels(folder)
    venv = folder / "venv"
    # hard links: a copy of gigabytes in a second (pip and Python replace files, never write into them)
    if subprocess.run(["cp", "-al", sys.prefix, str(venv)], capture_output=True).returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)  # another file system: a real copy
        shutil.copytree(sys.prefix, venv, symlinks=True)
    python, env = venv / "bin" / "python", _environment(venv)
    _run([python, "-m", "pip", "uninstall", "--quiet", "--yes", "batchnorm-suite", "batchnorm-assignments"], env=env)
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", *wheels], env=env)
    return python, env


@pytest.fixture(scope="module")
def graded(installed, tmp_path_factory):
    """The course folder after `python -m autograder grade` ran there with the installed copy; and its output."""
    python, env = installed
    course = build_course(tmp_path_factory.mktemp("course") / "course", {CORRECT, BLANK}, ASSIGNMENT)
    searcher = course / "submitted" / SEARCHER / ASSIGNMENT
    shutil.copytree(course / "submitted" / BLANK / ASSIGNMENT, searcher)
    nb = nbformat.read(searcher / NOTEBOOK, as_version=4)
    next(cell for cell in nb.cells if nbgrader_meta(cell).get("grade_id") == "batchnorm_forward").source = \
        f"SECONDS = {SEARCH_SECONDS}\n{SEARCH}"
    nbformat.write(nb, searcher / NOTEBOOK)
    output = _run([python, "-m", "autograder", "grade", ASSIGNMENT, "--cell-timeout", CELL_SECONDS,
                   "--timeout", 4 * CELL_SECONDS], cwd=course, env=env)
    return course, output


def _autograded(course, student):
    return nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)


def _text(cell):
    return "".join(output.get("text", "") + output.get("evalue", "") for output in cell.get("outputs", []))


@pytest.fixture(scope="module")
def report(graded):
    """What the search printed in the searching submission's kernel."""
    course, _ = graded
    printed = [line for cell in _autograded(course, SEARCHER).cells for line in _text(cell).splitlines()
               if line.startswith("SEARCH REPORT ")]
    assert len(printed) == 1, printed
    return json.loads(printed[0].removeprefix("SEARCH REPORT "))


def test_site_packages_holds_the_grader_and_the_student_package(installed):
    python, env = installed
    files = [pathlib.Path(path) for path in _run(
        [python, "-c", "import autograder, assignments; print(autograder.__file__, assignments.__file__)"],
        env=env, cwd=python.parent).split()]
    assert all(python.parent.parent in path.parents and "site-packages" in path.parts for path in files), files


def test_the_installed_grader_gives_the_correct_submission_every_point_and_the_searcher_none(graded):
    course, output = graded
    tests, rows = score_table(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
    automatic = {name: points for name, points, manual in tests if not manual}
    assert {name: rows[CORRECT][name] for name in automatic} == automatic, output
    assert {rows[BLANK][name] for name in automatic} == {0}
    assert {name: rows[SEARCHER][name] for name in automatic} == {name: rows[BLANK][name] for name in automatic}


def test_the_search_ran_through_everything_and_imported_nothing_of_the_graders(report):
    assert report["complete"] and report["searched"] > 10_000, (report["complete"], report["searched"])
    assert set(report["imports"].values()) == {"ModuleNotFoundError"}, report["imports"]
    assert report["imported"] == []


def test_the_graders_folders_it_found_are_empty_but_for_the_stand_in(report):
    assert any(folder.endswith("site-packages/autograder") for folder in report["staff"]), report["staff"]
    assert all(listing == ["__init__.py"] for listing in report["staff"].values()), report["staff"]


def test_the_files_with_a_marker_hold_no_solution_hidden_test_or_answer_of_this_course(report):
    secret = telling_solution_lines() | telling(line for path in notebooks(SOURCE)
                                                for line in hidden_lines(nbformat.read(path, as_version=4)))
    for path in report["marked"]:
        if not os.path.exists(path):  # the sandbox's own scratch copy of the submission, gone with it
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = {line.strip() for line in handle}
        assert not lines & secret, f"{path} holds {sorted(lines & secret)[:3]}"
        assert "autograder" not in path.split(os.sep), path


def test_the_judges_sandbox_found_nothing_either(graded):
    course, _ = graded
    judged = [cell for cell in _autograded(course, SEARCHER).cells if nbgrader_meta(cell).get("grade_id")
              in ("test_forward_train", "test_running_averages", "test_test_mode")]
    assert judged
    for cell in judged:
        text = _text(cell)
        assert "found no reference" in text and "import autograder: ModuleNotFoundError" in text, text[-2000:]
        assert "import torch: ModuleNotFoundError" in text, text[-2000:]
