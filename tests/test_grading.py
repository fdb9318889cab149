"""Rubric and the assertions of assignments.grading."""
import warnings

import numpy as np
import pytest

from assignments.failures import CheckFailed, CodeFailed
from assignments.grading import (Rubric, expect_at_most, expect_close, expect_near, expect_unchanged, observe,
                                 snapshot)


def test_points_are_shared_by_weight_among_the_checks_that_ran(capsys):
    rubric = Rubric(points=4)
    with rubric.check("passes", weight=3):
        pass
    with rubric.check("fails"):
        raise AssertionError("wrong value")
    assert rubric.score() == 3.0
    out = capsys.readouterr().out
    assert "ok    passes" in out and "FAIL  fails" in out and "AssertionError: wrong value" in out
    assert "Traceback" not in out


def test_all_checks_passing_earn_every_point():
    rubric = Rubric(points=3)
    for _ in range(2):
        with rubric.check("passes"):
            pass
    assert rubric.score() == 3.0


def test_no_passing_check_raises_one_line_so_nbgrader_gives_zero():
    rubric = Rubric(points=2)
    with rubric.check("first"):
        raise AssertionError("dx error 3.1e-03 (at most 1e-08)")
    with rubric.check("second"):
        raise ValueError("bad")
    with pytest.raises(CheckFailed) as failed:
        rubric.score()
    assert str(failed.value) == ("0 / 2 points: FAIL first: AssertionError: dx error 3.1e-03 (at most 1e-08) "
                                 "(and 1 more failed checks above).")
    assert failed.value._render_traceback_() == [str(failed.value)]  # what IPython shows instead of a traceback
    with pytest.raises(CheckFailed, match="no check ran"):
        Rubric(points=1).score()


def test_a_failed_test_this_cell_uses_is_named_as_the_possible_cause(capsys):
    first = Rubric(points=1, test="test_a")
    with first.check("a"):
        raise AssertionError("off")
    with pytest.raises(CheckFailed):
        first.score()
    Rubric(points=1, test="test_b").score  # created, never scored: it counts as failed (its cell crashed)
    then = Rubric(points=2, test="test_c", uses={"test_a": "this runs your f", "test_b": "this runs your g"})
    with then.check("ok"):
        pass
    with then.check("wrong"):
        raise AssertionError("off")
    assert then.score() == 1.0
    out = capsys.readouterr().out
    assert "NOTE  this runs your f, which failed test_a: fix that first" in out
    assert "NOTE  this runs your g, which failed test_b: fix that first" in out
    passing = Rubric(points=1, uses={"test_a": "this runs your f"})
    with passing.check("ok"):
        pass
    passing.score()
    assert "NOTE" not in capsys.readouterr().out  # a cell whose checks all pass blames nothing


def test_expect_near_and_expect_at_most_show_what_was_measured(capsys):
    expect_near([1.0, 2.0], [1.0, 2.0 + 1e-9], "means", rtol=1e-6)
    with pytest.raises(AssertionError, match=r"stds \[0.99749686 0.99749686\], expected \[1. 1.\] within 1e-06 relative"):
        expect_near(np.full(2, 0.99749686), 1.0, "stds", rtol=1e-6)
    expect_at_most([("dx error", 1e-20, 1e-8)])  # no lower bound: an exact answer passes
    with pytest.raises(AssertionError, match=r"^dgamma error 3.0e-03 \(at most 1e-08\)$"):
        expect_at_most([("dx error", 0.0, 1e-8), ("dgamma error", 3e-3, 1e-8)])
    out = capsys.readouterr().out
    assert "dgamma error: 3.000e-03   (expected at most 1e-08: TOO LARGE)" in out


def test_student_errors_are_one_line_naming_the_function():
    namespace = {}
    exec(compile("def batchnorm_forward(x):\n    raise NotImplementedError()\n"
                 "def layer(x):\n    return x[5]\n", "<notebook, cell 3>", "exec"), namespace)
    with pytest.raises(CodeFailed) as failed:
        observe(lambda: namespace["batchnorm_forward"](1))
    assert str(failed.value) == ("NotImplementedError: batchnorm_forward is not implemented yet: "
                                 "replace `raise NotImplementedError()` in its cell with your code")
    rubric = Rubric(points=1)
    with rubric.check("indexes"):
        observe(lambda: namespace["layer"]([1]))
    assert rubric.results[0][3] == "IndexError: list index out of range (raised in layer)"


def test_warnings_inside_a_check_are_printed_once_each_on_stderr(capsys):
    rubric = Rubric(points=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping the check would raise here
        with rubric.check("divides by zero"):
            for _ in range(50):
                np.float64(1.0) / np.zeros(1)
                np.log(np.zeros(1))
    assert rubric.score() == 1.0
    assert capsys.readouterr().err == ("RuntimeWarning: divide by zero encountered in divide\n"
                                       "RuntimeWarning: divide by zero encountered in log\n")


def test_interrupts_are_not_swallowed():
    rubric = Rubric(points=1)
    with pytest.raises(KeyboardInterrupt):
        with rubric.check("interrupted"):
            raise KeyboardInterrupt


def test_expect_close_compares_float32_relative_to_the_largest_entry():
    # float32 output of a normalization: an entry near 0 off by 2e-6 of the largest (float32 rounding)
    expected = np.array([3.0, -2.0, 1e-4])
    expect_close((expected + [0, 0, 6e-6]).astype(np.float32), expected, 1e-4, "out")
    with pytest.raises(AssertionError, match="out: relative error 2.0e-03"):
        expect_close(expected + [0, 0, 6e-6], expected, 1e-4, "out")
    with pytest.raises(AssertionError, match="out: relative error 3.3e-03"):
        expect_close((expected + [0, 0, 1e-2]).astype(np.float32), expected, 1e-4, "out")


def test_expect_close_reports_shape_nan_and_error():
    expect_close(np.ones(3), np.ones(3) + 1e-12, 1e-10, "x")
    with pytest.raises(AssertionError, match=r"x has shape \(2,\), expected \(3,\)"):
        expect_close(np.ones(2), np.ones(3), 1e-3, "x")
    with pytest.raises(AssertionError, match="NaN"):
        expect_close(np.array([np.nan]), np.ones(1), 1e-3, "x")
    with pytest.raises(AssertionError, match="relative error 3.3e-01, must be below 1e-06"):
        expect_close(np.full(2, 2.0), np.ones(2), 1e-6, "x")


def test_expect_unchanged_sees_in_place_changes_deep_inside():
    value = (np.arange(3.0), {"a": np.ones(2)}, 1e-5)
    before = snapshot(value)
    expect_unchanged(before, value, "cache")
    value[1]["a"][0] = 7
    with pytest.raises(AssertionError, match=r"cache was modified in place: \[1\]\['a'\] changed by up to 6 \(expected unchanged\)"):
        expect_unchanged(before, value, "cache")


def test_expect_unchanged_compares_dtype_and_type():
    with pytest.raises(AssertionError):
        expect_unchanged(np.ones(2), np.ones(2, np.float32), "x")
    with pytest.raises(AssertionError):
        expect_unchanged((1, 2), [1, 2], "x")
