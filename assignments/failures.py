"""How a failed check reaches the student: one line each, never a traceback into this package.

IPython (a Jupyter kernel, `nbgrader autograde`) shows an exception that has a
``_render_traceback_`` method as the lines that method returns instead of its
traceback; nbclient stores those lines as the cell's error output, and
nbgrader's feedback and `python -m assignments.selfcheck` show them. The two
exceptions below use that hook:

- ``CheckFailed``: a test cell none of whose checks passed (Rubric.score).
- ``CodeFailed``: the student's code raised where no check catches it
  (observe outside a ``rubric.check`` block).

A stub nbgrader left (a bare ``raise NotImplementedError()``) that stops a
cell, in the stub's own cell or in a demonstration calling it, is told in one
line too: ``tell_stubs_in_one_line`` installs that in the Jupyter kernel when
the package is imported.

``describe(error)`` is the one line told of an exception the student's code
raised; ``explain(error)``, its message, is what the out-of-kernel grader's
driver sends back, so that the kernel and the grader tell it alike.
"""
import re
import sys

ERROR_TYPES = ("CheckFailed", "CodeFailed")  # the error outputs whose message is the whole line to show

# A bare `raise NotImplementedError()` (nbgrader's stub of a solution) tells this instead of nothing
NOT_IMPLEMENTED = "{name} is not implemented yet: replace `raise NotImplementedError()` in its cell with your code"
# ... raised by the code of a cell itself, not a function (the stub of an answer such as `answer_q1 = ...`)
NOT_COMPLETED = "this cell is not completed yet: replace `raise NotImplementedError()` in it with your code"
# code of a notebook cell (the kernel's, the grader's driver's), not of a module nor a check the grader shipped
_CELL_FILE = re.compile(r"^<(?!observed )|ipykernel_|ipython-input")


class Failure(AssertionError):
    """A failure told in one line (its message): IPython shows that line and no traceback."""

    def _render_traceback_(self):
        return [str(self)]


class CheckFailed(Failure):
    """No check of a test cell passed: the cell earns 0 points."""


class CodeFailed(Failure):
    """The student's code raised outside a check: the message is describe(error) of what it raised."""


def describe(error, skip=()):
    """
    One line telling what an exception raised by the student's code was:
    'Type: ' followed by explain(error, skip); a Failure is told as its own message.
    """
    if isinstance(error, Failure):
        return str(error)
    message = explain(error, skip)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def explain(error, skip=()):
    """
    The message of an exception raised by the student's code, and where that code raised it.

    Inputs:
    - error: The exception (with its traceback)
    - skip: Code objects that are not the student's (the function observe was given)

    A bare NotImplementedError names the function that raised it (NOT_IMPLEMENTED);
    any other message gets ' (raised in <function>)'' when a function of a
    notebook cell raised it.
    """
    message = str(error)
    name = _raising_function(error.__traceback__, skip)
    if isinstance(error, NotImplementedError) and not message.strip() and name:
        return NOT_IMPLEMENTED.format(name=name)
    if name:
        return f"{message} (raised in {name})" if message else f"raised in {name}"
    return message


def _raising_function(traceback, skip):
    """The qualified name of the innermost function of a notebook cell in a traceback, or None."""
    name = None
    while traceback is not None:
        code = traceback.tb_frame.f_code
        if _CELL_FILE.search(code.co_filename) and code.co_name.isidentifier() and code not in skip:
            name = code.co_qualname
        traceback = traceback.tb_next
    return name


def tell_stubs_in_one_line():
    """
    In an IPython kernel, show a bare NotImplementedError that stops a cell as the one line describe() tells
    (NOT_IMPLEMENTED, or NOT_COMPLETED when the cell's own code raised it) instead of a traceback. Any other
    NotImplementedError keeps its usual traceback. Does nothing outside IPython (a script, the grader's driver).
    """
    ipython = sys.modules.get("IPython")  # a kernel has imported it already; elsewhere it is not worth importing
    shell = ipython and ipython.get_ipython()
    if shell is not None:
        shell.set_custom_exc((NotImplementedError,), _show_not_implemented)


def _show_not_implemented(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler (InteractiveShell.set_custom_exc): shows the error, returns its lines."""
    if str(value).strip():
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None
    value.args = (explain(value) or NOT_COMPLETED,)  # the error output's evalue, which nbgrader's feedback shows
    lines = [f"NotImplementedError: {value}"]
    shell._showtraceback(etype, value, lines)
    return lines
