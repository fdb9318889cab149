"""A stub nbgrader left stops a cell with one line in an IPython shell (failures.tell_stubs_in_one_line)."""
import re

import pytest
from IPython.core.interactiveshell import InteractiveShell

from assignments.failures import NOT_COMPLETED, tell_stubs_in_one_line


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    tell_stubs_in_one_line()
    yield shell
    shell.set_custom_exc((), None)
    InteractiveShell.clear_instance()


def shown(shell, capsys, code):
    result = shell.run_cell(code)
    assert isinstance(result.error_in_exec, NotImplementedError)
    return capsys.readouterr().out.strip()


def test_a_stub_in_the_cells_own_code_tells_the_cell_to_complete(shell, capsys):
    assert shown(shell, capsys, 'answer_q1 = None\n# YOUR CODE HERE\nraise NotImplementedError()') \
        == f"NotImplementedError: {NOT_COMPLETED}"
    # the error output's evalue, which nbgrader's feedback pages show, is that line too
    assert str(shell.last_execution_result.error_in_exec) == NOT_COMPLETED


def test_a_call_into_a_stub_names_the_function(shell, capsys):
    shell.run_cell("def layer_forward(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()")
    assert shown(shell, capsys, "print('before')\nlayer_forward(1)") == (
        "before\nNotImplementedError: layer_forward is not implemented yet: "
        "replace `raise NotImplementedError()` in its cell with your code")


def test_a_not_implemented_error_with_a_message_keeps_its_traceback(shell, capsys):
    printed = re.sub(r"\x1b\[[0-9;]*m", "", shown(shell, capsys, "def f():\n    raise NotImplementedError('2-d only')\nf()"))
    assert "Traceback (most recent call last)" in printed and "----> 3 f()" in printed
    assert printed.endswith("NotImplementedError: 2-d only")
