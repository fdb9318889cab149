"""Every cap of `grade` is an option, with the default the README's table gives."""
import dataclasses
import re

from autograder.cli import LIMIT_OPTIONS, build_parser
from autograder.course import REPO_ROOT
from autograder.grade.sandbox import Limits


def grade_defaults():
    """{option: default} of the grade command's options that cap something."""
    grade = build_parser()._subparsers._group_actions[0].choices["grade"]
    return {action.option_strings[0]: action.default for action in grade._actions
            if action.dest in LIMIT_OPTIONS or action.dest == "max_submission_mb"}


def test_each_limit_has_its_option_with_the_limits_default():
    assert set(LIMIT_OPTIONS) == {field.name for field in dataclasses.fields(Limits)}
    defaults = grade_defaults()
    for field in dataclasses.fields(Limits):
        assert defaults[LIMIT_OPTIONS[field.name][0]] == field.default


def test_the_readme_table_lists_every_cap_with_its_default():
    table = dict(re.findall(r"^  \| `(--[a-z-]+) [A-Z]+` \| (\S+) \|", (REPO_ROOT / "README.md").read_text(), re.M))
    assert {option: float(default) for option, default in table.items()} == grade_defaults()
