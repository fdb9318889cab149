"""The course's secret: made once, kept, private, different per course; it decides the hidden inputs outside the kernel."""
import stat

import numpy as np

from assignments import observing
from assignments.grading import hidden_rng, hidden_seed
from autograder.grade.course_secret import SECRET_FILE, course_secret


def test_a_secret_is_made_once_kept_private_and_differs_between_courses(tmp_path):
    first = course_secret(tmp_path / "a")
    assert len(first) == 64 and course_secret(tmp_path / "a") == first
    assert stat.S_IMODE((tmp_path / "a" / SECRET_FILE).stat().st_mode) == 0o600
    assert course_secret(tmp_path / "b") != first


def test_hidden_inputs_are_the_cells_own_in_the_kernel_and_the_courses_outside_it(monkeypatch):
    assert hidden_seed(7) == 7
    np.testing.assert_array_equal(hidden_rng(7).standard_normal(3), np.random.default_rng(7).standard_normal(3))
    monkeypatch.setattr(observing, "_secret", "course-a")
    a = hidden_rng(7).standard_normal(3)
    assert hidden_seed(7) != 7 and np.array_equal(a, hidden_rng(7).standard_normal(3))  # a regrade: the same
    assert not np.array_equal(hidden_rng(8).standard_normal(3), a)
    monkeypatch.setattr(observing, "_secret", "course-b")
    assert not np.array_equal(hidden_rng(7).standard_normal(3), a)


def test_a_generator_shipped_to_the_sandbox_does_not_hold_the_secret(monkeypatch):
    monkeypatch.setattr(observing, "_secret", "the-secret-itself")
    state = repr(hidden_rng(7).bit_generator.seed_seq) + repr(hidden_rng(7).bit_generator.state)
    assert "the-secret-itself" not in state
