"""The similarity report on generated submissions: independent solutions in three styles, disguised copies, blanks."""
import itertools
import shutil

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell

import similarity_fixtures as fixtures
from autograder.cli import main
from autograder.course import CourseError
from autograder.similarity import DEFAULT_THRESHOLD
from autograder.similarity.code import release_code, release_solutions, student_code, written_cells
from autograder.similarity.compare import configured_threshold
from autograder.similarity.fingerprints import boilerplate_hashes, fingerprint, tokenize_submission
from autograder.similarity.pairs import rank_pairs
from conftest import RELEASE

ASSIGNMENT = "batchnorm"
PNG_HEADER = b"\x89PNG\r\n\x1a\n"
COPIED = "sums"  # the style the disguised copies are made from


def release_notebooks(version):
    return {path.name: nbformat.read(path, as_version=4) for path in sorted((RELEASE / version / ASSIGNMENT).glob("*.ipynb"))}


@pytest.fixture(scope="module")
def release():
    return release_notebooks("student")


@pytest.fixture(scope="module")
def submissions(release):
    """{student: {notebook name: NotebookNode}}: the solution release and three styles, copies of one, two blanks."""
    students = {"reference": release_notebooks("solution"), "blank-1": release, "blank-2": release}
    students.update({style: fixtures.styled_notebooks(release, style) for style in fixtures.STYLES})
    students.update({f"copy-{name}": disguise(students[COPIED]) for name, disguise in fixtures.DISGUISES.items()})
    return students


def as_bytes(notebooks):
    return {name: nbformat.writes(nb).encode() for name, nb in notebooks.items()}


def ranking_of(submissions, release, threshold=DEFAULT_THRESHOLD):
    """{frozenset of two students: score} of every pair with code, scored in this process (no workers)."""
    solutions, boilerplate = release_solutions(release.values()), boilerplate_hashes(release_code(release.values()))
    fingerprints = [fingerprint(tokenize_submission({"student": student, "notebooks": as_bytes(notebooks),
                                                     "solutions": solutions}), boilerplate=boilerplate)
                    for student, notebooks in submissions.items()]
    ranking = rank_pairs([fp for fp in fingerprints if fp.hashes], threshold=threshold)
    return ranking, {frozenset((pair.first.student, pair.second.student)): pair.score for pair in ranking.pairs}


def family(student):
    """Which independent solution a submission is: a copy belongs to the style it copies."""
    return COPIED if student.startswith("copy-") else student


# --- the fixtures themselves: correct, independent, and really disguised

def functions_of(notebooks):
    """The names the solution cells of a submission define, run in one namespace as the two notebooks share them."""
    namespace = {"np": np}
    for name in sorted(notebooks):  # BatchNormalization.ipynb first: SpatialBatchNorm.ipynb uses its functions
        for cell in fixtures.solution_cells(notebooks[name]):
            exec(compile(cell.source, name, "exec"), namespace)
    return namespace


def results(functions):
    """What every function of the assignment returns on fixed random inputs, flattened to a list of arrays."""
    rng = np.random.default_rng(0)
    found = []
    x, dout, gamma, beta = rng.normal(2, 3, (8, 5)), rng.normal(size=(8, 5)), rng.normal(size=5), rng.normal(size=5)
    bn_param = {"mode": "train", "momentum": 0.8}
    for shift in (0, 1):
        out, cache = functions["batchnorm_forward"](x + shift, gamma, beta, bn_param)
    found += [out, bn_param["running_mean"], bn_param["running_var"],
              *functions["batchnorm_backward"](dout, cache), *functions["batchnorm_backward_alt"](dout, cache),
              functions["batchnorm_forward"](x, gamma, beta, dict(bn_param, mode="test"))[0]]
    out, cache = functions["layernorm_forward"](x, gamma, beta, {})
    found += [out, *functions["layernorm_backward"](dout, cache)]
    x, dout, gamma, beta = rng.normal(1, 2, (4, 3, 2, 5)), rng.normal(size=(4, 3, 2, 5)), rng.normal(size=3), rng.normal(size=3)
    bn_param = {"mode": "train"}
    out, cache = functions["spatial_batchnorm_forward"](x, gamma, beta, bn_param)
    found += [out, bn_param["running_mean"], bn_param["running_var"],
              *functions["spatial_batchnorm_backward"](dout, cache),
              functions["spatial_batchnorm_forward"](x, gamma, beta, dict(bn_param, mode="test"))[0]]
    x, dout = rng.normal(1, 2, (2, 6, 3, 4)), rng.normal(size=(2, 6, 3, 4))
    gamma, beta = rng.normal(size=(1, 6, 1, 1)), rng.normal(size=(1, 6, 1, 1))
    for groups in (1, 2, 3, 6):
        out, cache = functions["spatial_groupnorm_forward"](x, gamma, beta, groups, {})
        found += [out, *functions["spatial_groupnorm_backward"](dout, cache)]
    X, y = rng.normal(size=(7, 6)), rng.integers(0, 3, 7)
    for normalization in ("batchnorm", "layernorm"):
        np.random.seed(0)
        net = functions["FullyConnectedNet"]([5, 4], input_dim=6, num_classes=3, normalization=normalization,
                                             dtype=np.float64, seed=0)
        loss, grads = net.loss(X, y)
        found += [np.array(loss), *(grads[name] for name in sorted(grads))]
    return found


@pytest.mark.parametrize("disguise", [None, *fixtures.DISGUISES])
@pytest.mark.parametrize("style", fixtures.STYLES)
def test_every_style_and_disguised_copy_computes_what_the_solution_release_computes(release, style, disguise):
    notebooks = fixtures.styled_notebooks(release, style)
    if disguise:
        notebooks = fixtures.DISGUISES[disguise](notebooks)
    expected = results(functions_of(release_notebooks("solution")))
    got = results(functions_of(notebooks))
    assert len(got) == len(expected)
    for index, (mine, reference) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(mine, reference, rtol=1e-7, atol=1e-9, err_msg=f"result {index}")


def test_each_disguise_changes_the_code_the_copy_is_made_from(submissions):
    solutions = release_solutions(submissions["blank-1"].values())
    original, _ = student_code(as_bytes(submissions[COPIED]), solutions)
    for name in fixtures.DISGUISES:
        copy, _ = student_code(as_bytes(submissions[f"copy-{name}"]), solutions)
        assert copy != original, name


# --- what the report must show

def test_disguised_copies_rank_above_every_pair_of_independent_solutions(submissions, release):
    _, scores = ranking_of(submissions, release, threshold=0.0)
    copies = [score for pair, score in scores.items() if pair & {COPIED} and len({family(s) for s in pair}) == 1]
    independent = [score for pair, score in scores.items() if len({family(s) for s in pair}) == 2]
    assert len(copies) == len(fixtures.DISGUISES)
    assert len(independent) == len(list(itertools.combinations(["reference", *fixtures.STYLES], 2))) + \
        len(fixtures.DISGUISES) * 3  # each copy against the three other styles
    assert min(copies) > max(independent), (sorted(copies), sorted(independent))


def test_copies_pass_the_default_threshold_and_independent_solutions_do_not(submissions, release):
    ranking, scores = ranking_of(submissions, release)
    flagged = {pair for pair, score in scores.items() if score >= DEFAULT_THRESHOLD}
    assert flagged and all(len({family(s) for s in pair}) == 1 for pair in flagged)
    assert ranking.flagged == len(flagged) == len(list(itertools.combinations(range(len(fixtures.DISGUISES) + 1), 2)))


def test_blank_submissions_never_pair_up(submissions, release):
    blank_with_release_cells = {name: nbformat.from_dict(nb) for name, nb in submissions["blank-1"].items()}
    given = [cell.source for nb in blank_with_release_cells.values() for cell in nb.cells if cell.cell_type == "code"]
    blank_with_release_cells["BatchNormalization.ipynb"].cells.append(new_code_cell(given[2]))  # a test cell copied
    students = {"blank-1": submissions["blank-1"], "blank-2": submissions["blank-2"],
                "blank-3": blank_with_release_cells, "methods": submissions["methods"]}
    ranking, scores = ranking_of(students, release, threshold=0.0)
    assert not any("blank" in student for pair in scores for student in pair)
    assert ranking.scores.size == 0  # only one submission has code of its own


def test_written_code_is_the_changed_lines_of_solution_cells_and_the_added_cells(release):
    nb = nbformat.from_dict(release["BatchNormalization.ipynb"])
    solutions = release_solutions(release.values())
    assert written_cells(nb, solutions) == []
    cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in nb.cells}
    cells["batchnorm_backward"].source = cells["batchnorm_backward"].source.replace(
        "raise NotImplementedError()", "dx = dout * 2")
    cells["test_backward"].source += "\nprint('edited a test cell')"
    nb.cells.append(new_code_cell("def helper():\n    return 1\n"))
    assert written_cells(nb, solutions) == [("batchnorm_backward", "    dx = dout * 2"),
                                            ("added cell", "def helper():\n    return 1\n")]


def test_an_unreadable_notebook_is_a_problem_line(release, submissions):
    not_utf8 = nbformat.writes(submissions[COPIED]["BatchNormalization.ipynb"]).encode().replace(b"Batch", b"Batch\xff", 1)
    code, problems = student_code({"A.ipynb": b"{not json", "B.ipynb": not_utf8}, release_solutions(release.values()))
    assert "def batchnorm_forward" not in code and "sample_mean = np.sum(x, axis=0) / N" in code
    assert problems == ["A.ipynb is not a readable notebook (NotJSONError)",
                        "B.ipynb is not valid UTF-8; undecodable bytes were replaced"]


def test_threshold_comes_from_the_course_config_and_must_be_a_fraction():
    from traitlets.config import Config
    assert configured_threshold(Config()) == DEFAULT_THRESHOLD
    assert configured_threshold(Config({"Similarity": {"threshold": 0.6}})) == 0.6
    for wrong in (1.5, "high", True):
        with pytest.raises(CourseError, match="c.Similarity.threshold must be a number from 0 to 1"):
            configured_threshold(Config({"Similarity": {"threshold": wrong}}))


def make_course(folder, submissions, students, config=""):
    """A course folder: the student release, nbgrader_config.py, and submitted/<student>/batchnorm/ of students."""
    shutil.copytree(RELEASE / "student" / ASSIGNMENT, folder / "release" / "student" / ASSIGNMENT)
    (folder / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.release_directory = '
                                               f'"release/student"\n{config}')
    for student in students:
        target = folder / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        for name, nb in submissions[student].items():
            nbformat.write(nb, target / name)
    return folder


def test_the_command_writes_the_report_with_the_configured_threshold(tmp_path, submissions, capsys):
    course = make_course(tmp_path, submissions, [COPIED, "copy-renamed", "methods", "blank-1"],
                         config="c.Similarity.threshold = 0.95\n")
    broken = course / "submitted" / "broken" / ASSIGNMENT
    broken.mkdir(parents=True)
    (broken / "BatchNormalization.ipynb").write_bytes(b"{not json")
    assert main(["similarity", ASSIGNMENT, "--course-dir", str(course), "--workers", "1"]) == 0
    out, err = capsys.readouterr()
    assert "broken: BatchNormalization.ipynb is not a readable notebook (NotJSONError)" in err
    assert "compared 3 of 5 submissions (2 without code of their own): 0 of 3 pairs at or above 95%" in out
    folder = course / "reports" / ASSIGNMENT
    assert (folder / "similarity.png").read_bytes().startswith(PNG_HEADER)
    page = (folder / "similarity.html").read_text()
    assert '<img src="similarity.png"' in page and "threshold of 95%" in page
    assert "<mark class='a'>" in page and "<mark class='b'>" in page
    assert f'<td class="id">copy-renamed</td><td class="id">{COPIED}</td>' in page  # the copy ranks first
    assert "<li>blank-1</li>" in page and "broken: BatchNormalization.ipynb is not a readable notebook" in page


def test_the_command_line_threshold_wins_over_the_config(tmp_path, submissions, capsys):
    course = make_course(tmp_path, submissions, [COPIED, "copy-renamed"], config="c.Similarity.threshold = 0.95\n")
    assert main(["similarity", ASSIGNMENT, "--course-dir", str(course), "--workers", "1", "--threshold", "0.5"]) == 0
    assert "1 of 1 pairs at or above 50%" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["similarity", ASSIGNMENT, "--threshold", "2"])


def test_a_course_without_the_student_release_is_a_one_line_error(tmp_path, submissions, capsys):
    course = make_course(tmp_path, submissions, [COPIED])
    shutil.rmtree(course / "release")
    assert main(["similarity", ASSIGNMENT, "--course-dir", str(course)]) == 1
    assert "no student release of 'batchnorm'" in capsys.readouterr().err


@pytest.mark.e2e
def test_similarity_through_a_dask_cluster(tmp_path, submissions, capsys):
    from distributed import LocalCluster
    course = make_course(tmp_path, submissions, [COPIED, "copy-reordered", "einsum"])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert main(["similarity", ASSIGNMENT, "--course-dir", str(course),
                     "--scheduler", cluster.scheduler_address]) == 0
    out = capsys.readouterr().out
    assert "1 of 3 pairs at or above 50%" in out and f"copy-reordered / {COPIED}" in out
