"""Rubric and the assertions of assignments.grading."""
import warnings

import numpy as np
import pytest

from assignments.grading import Rubric, expect_close, expect_unchanged, snapshot


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


def test_no_passing_check_raises_so_nbgrader_gives_zero():
    rubric = Rubric(points=2)
    with rubric.check("student stub"):
        raise NotImplementedError()
    with pytest.raises(AssertionError, match="no check passed"):
        rubric.score()
    with pytest.raises(AssertionError):
        Rubric(points=1).score()


def test_warnings_inside_a_check_are_not_printed(capsys):
    rubric = Rubric(points=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping the check would raise here
        with rubric.check("divides by zero"):
            np.float64(1.0) / np.zeros(1)
    assert rubric.score() == 1.0
    assert capsys.readouterr().err == ""


def test_interrupts_are_not_swallowed():
    rubric = Rubric(points=1)
    with pytest.raises(KeyboardInterrupt):
        with rubric.check("interrupted"):
            raise KeyboardInterrupt


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
    with pytest.raises(AssertionError, match="cache was modified in place"):
        expect_unchanged(before, value, "cache")


def test_expect_unchanged_compares_dtype_and_type():
    with pytest.raises(AssertionError):
        expect_unchanged(np.ones(2), np.ones(2, np.float32), "x")
    with pytest.raises(AssertionError):
        expect_unchanged((1, 2), [1, 2], "x")
