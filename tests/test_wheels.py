"""What the wheels built from this repository ship: the one with the notebooks' support code holds no answer.

Every package of the repository (each pyproject.toml) is built as `pip wheel`
builds it, offline and without build isolation, from a copy of the checkout
(so that no earlier build's leftovers count, and the checkout gains no build
folder). A wheel that ships `assignments` is what students install: it must
hold no grader, no code defining what a solution cell defines, no line of a
solution and no answer key of the multiple-choice questions. Exactly one wheel
ships each student package.
"""
import ast
import os
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest

from conftest import (REPO_ROOT, SOURCE, build_wheels, graded_cells, notebooks, region_lines, solution_names,
                      telling_solution_lines)

STUDENT_PACKAGES = ("assignments", "data_utils")
README_BUILD = re.compile(r"Hand students the student package's wheel.*?```bash\n(.*?)```", re.S)
# Solution lines the support code has of its own, legitimately: {line: where and why}
SHARED_WITH_SUPPORT = {
    'if self.normalization == "batchnorm":': "FullyConnectedNetBase (fc_net.py) dispatches on the normalization too",
    "shifted = x - x.max(axis=1, keepdims=True)": "softmax_loss (layers.py) uses the log-sum-exp trick too",
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """{wheel file name: {path in the wheel: bytes}} of every package of the repository."""
    contents = {}
    for wheel in build_wheels(tmp_path_factory.mktemp("build")):
        with zipfile.ZipFile(wheel) as archive:
            contents[wheel.name] = {name: archive.read(name) for name in archive.namelist()}
    return contents


def student_wheels(wheels):
    return {name: files for name, files in wheels.items() if any(path.startswith("assignments/") for path in files)}


def python_modules(files):
    """{path: parsed module} of a wheel's Python files."""
    return {path: ast.parse(data, path) for path, data in files.items() if path.endswith(".py")}


def answer_key():
    """{question id ('q1'): right answer} of the multiple-choice questions, from their hidden tests."""
    key = {}
    for path in notebooks(SOURCE):
        for cell in graded_cells(nbformat.read(path, as_version=4)):
            question = re.search(r"observe\(lambda: answer_(q\d+)\)", cell.source)
            hidden = "\n".join(region_lines(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))
            right = re.search(r"assert answer == ['\"](\w+)['\"]", hidden)
            if question and right:
                key[question.group(1)] = right.group(1)
    return key


def _question(node):
    """The question id a name, attribute or string node refers to (answer_q1, x.answer_q1, "q1": 'q1'), or None."""
    if isinstance(node, ast.Name):
        text = node.id
    elif isinstance(node, ast.Attribute):
        text = node.attr
    else:
        text = _constant(node)
    found = re.search(r"(?:^|_)(q\d+)$", text) if isinstance(text, str) else None
    return found.group(1) if found else None


def _constant(node):
    return node.value if isinstance(node, ast.Constant) else None


def _binds_answer(key, question, value):
    """Whether the nodes question and value say the right answer to a question of key."""
    return _question(question) in key and _constant(value) == key[_question(question)]


def answer_key_statements(tree, key):
    """The line numbers where a module binds a question to its right answer, or lists all the answers in order."""
    in_order = [key[question] for question in sorted(key)]
    lines = []
    for node in ast.walk(tree):
        pairs = []
        if isinstance(node, ast.Dict):
            pairs = [(question, value) for question, value in zip(node.keys, node.values) if question is not None]
        elif isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.Compare):
            pairs = [(node.left, right) for right in node.comparators]
        elif isinstance(node, ast.Call):
            pairs = [(ast.Constant(keyword.arg), keyword.value) for keyword in node.keywords if keyword.arg]
        ordered = isinstance(node, (ast.List, ast.Tuple)) and [_constant(e) for e in node.elts] == in_order or \
            _constant(node) == "".join(in_order)
        if ordered or any(_binds_answer(key, question, value) for question, value in pairs):
            lines.append(node.lineno)
    return lines


def test_the_answers_the_checks_look_for_are_found():
    assert {"BatchNorm", "FullyConnectedNet", "Linear", "batchnorm_forward", "MLP"} <= solution_names()
    assert set(answer_key()) == {"q1", "q2", "q3", "q4"}
    assert len(telling_solution_lines()) > 100


def test_one_wheel_ships_each_student_package_and_it_is_not_the_graders(wheels):
    for package in STUDENT_PACKAGES:
        owners = [name for name, files in wheels.items() if any(path.startswith(f"{package}/") for path in files)]
        assert len(owners) == 1, f"{package}/ is shipped by {owners}"
    for name, files in student_wheels(wheels).items():
        assert not [path for path in files if path.startswith("autograder/")], f"{name} ships the grader"


def test_no_student_wheel_defines_what_a_solution_cell_defines(wheels):
    names = solution_names()
    for wheel, files in student_wheels(wheels).items():
        defined = [f"{path}:{node.lineno} {node.name}" for path, tree in python_modules(files).items()
                   for node in ast.walk(tree)
                   if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in names]
        assert not defined, f"{wheel} defines what students write: {defined}"


def test_no_student_wheel_holds_a_solution_line(wheels):
    solutions = telling_solution_lines()
    for wheel, files in student_wheels(wheels).items():
        leaked = sorted({f"{path}: {line.strip()}" for path, data in files.items()
                         for line in data.decode("utf-8", "replace").splitlines()
                         if line.strip() in solutions and line.strip() not in SHARED_WITH_SUPPORT})
        assert not leaked, f"{wheel} holds solution lines: {leaked[:5]}"


def test_no_student_wheel_holds_the_answer_key(wheels):
    key = answer_key()
    for wheel, files in student_wheels(wheels).items():
        found = [f"{path}:{line}" for path, tree in python_modules(files).items()
                 for line in answer_key_statements(tree, key)]
        assert not found, f"{wheel} states the multiple-choice answers at {found}"


def test_the_answer_key_check_finds_a_key_written_in_any_usual_way():
    key = {"q1": "c", "q2": "b", "q3": "d", "q4": "a"}
    for source in ['ANSWERS = {"answer_q1": "c"}', "answer_q2 = 'b'", "ok = answer_q3 == 'd'", "KEY = dict(q4='a')",
                   "ORDER = ['c', 'b', 'd', 'a']", "ORDER = 'cbda'"]:
        assert answer_key_statements(ast.parse(source), key), source
    assert not answer_key_statements(ast.parse("answer_q1 = None\nCHOICES = 'abcd'"), key)


def test_the_readme_builds_both_wheels_without_writing_into_the_checkout(tmp_path):
    commands = README_BUILD.search((REPO_ROOT / "README.md").read_text()).group(1)
    status = ["git", "status", "--ignored", "--porcelain"]
    before = subprocess.run(status, cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    # ~ and mktemp in tmp_path; this environment's pip first on PATH, offline and without build isolation (pip's
    # PIP_NO_BUILD_ISOLATION=0 means --no-build-isolation), as build_wheels builds
    env = {**os.environ, "HOME": str(tmp_path), "TMPDIR": str(tmp_path), "PIP_NO_BUILD_ISOLATION": "0",
           "PIP_NO_INDEX": "1", "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", commands], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(path.name for path in (tmp_path / "course-wheels").iterdir()) == [
        "batchnorm_assignments-0.1.0-py3-none-any.whl", "batchnorm_suite-0.1.0-py3-none-any.whl"]
    assert subprocess.run(status, cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout == before
