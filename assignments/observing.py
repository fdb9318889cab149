"""observe: the one place a graded check runs the student's code.

A test cell is the instructor's one definition of a cell's checks. Inside it,
every call of the student's code is wrapped in `observe`, and everything else
(drawing inputs, references, tolerances, the Rubric) judges what came back:

    x = rng.standard_normal((4, 5))
    out = observe(lambda: batchnorm_forward(x, gamma, beta, {"mode": "train"})[0])
    with rubric.check("normalizes each feature"):
        expect_close(out, reference(x), 1e-7, "out")

or, for a stateful case, a function that is called at once and replaced by its result:

    @observe
    def running():
        param = {"mode": "train"}
        for x in batches:
            batchnorm_forward(x, gamma, beta, param)
        return param["running_mean"], param["running_var"]

In the student's kernel (Jupyter, `nbgrader validate`, `nbgrader autograde`)
observe calls the function at once. Outside the kernel, the grader runs the
same test cell in a trusted process where the student's code does not exist:
observe sends the function's source, with copies of the test cell's values it
uses, to the student's code running in a sandbox, and gets back what it
returned. So that both places agree, in both:

- what the function returns reaches the checks as plain data
  (`assignments.plain_data`): arrays, numbers, strings, tensors, and lists,
  tuples and dicts of these; anything else fails the checks that use it;
- the test cell's values the function uses are copies: what the student's
  code does to them (a bn_param it fills in) is seen only through what the
  function returns;
- numpy's global random state (and PyTorch's) goes in and comes back, so that
  np.random.seed(231) in the test cell seeds the student's initialization too;
- an exception the student's code raises comes out of observe as a
  failures.CodeFailed whose message is the one line failures.describe tells:
  its type's name, its message and the student's function that raised it
  (a bare NotImplementedError names the function still to write).

The function may call the student's functions and classes, the setup cell's
imports, and functions defined in test and setup cells; it must not print
anything a check relies on (what the student's code prints is discarded
outside the kernel).
"""
import copy
import hashlib
import types

from . import plain_data
from .failures import CodeFailed, describe

_judge = None   # set by the out-of-kernel grader: judge(fn) observes fn in the sandbox
_secret = None  # set by the out-of-kernel grader: the course's secret, which hidden_seed mixes in


def observe(fn):
    """
    Run fn(), the part of a check that calls the student's code, and return its result as plain data.

    Inputs:
    - fn: A function of no arguments (a lambda, or a def used as @observe)

    Returns what fn returned, after plain_data.round_trip.
    Raises CodeFailed, telling in one line what fn raised (failures.describe).
    """
    try:
        if _judge is not None:
            return _judge(fn)
        return plain_data.round_trip(isolated(fn)())
    except Exception as error:
        raise CodeFailed(describe(error, skip=(getattr(fn, "__code__", None),))) from None


def judging():
    """True in the out-of-kernel grader's trusted process, where the student's code is not loaded."""
    return _judge is not None


def hidden_seed(k):
    """
    The seed of a hidden check's random inputs: k itself in the student's kernel
    (`nbgrader autograde` included); in the grader's trusted process, a number made
    from k and the course's secret, so that nobody can know the inputs in advance,
    the same on every regrade of the course and different in another course.
    """
    if _secret is None:
        return k
    return int.from_bytes(hashlib.sha256(f"{_secret}/{k}".encode()).digest()[:8], "little")


def referenced_names(code):
    """The global names a code object (and the functions, lambdas and comprehensions inside it) may read."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= referenced_names(const)
    return names


def is_value(obj):
    """True for data a check passes in (copied), False for code: modules, functions, classes."""
    return not isinstance(obj, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type,
                                types.MethodType))


def isolated(fn):
    """fn with copies of the values it reads from its globals, closure and defaults (see the module docstring)."""
    def copied(value):
        if not is_value(value):
            return value
        try:
            return copy.deepcopy(value)
        except Exception:  # a value that cannot be copied (a lock, a generator) is passed itself
            return value

    scope = fn.__globals__
    overlay = {name: copied(scope[name]) for name in referenced_names(fn.__code__) if name in scope}
    closure = tuple(types.CellType(copied(cell.cell_contents)) if _filled(cell) else cell
                    for cell in fn.__closure__ or ())
    defaults = tuple(map(copied, fn.__defaults__)) if fn.__defaults__ else None
    return types.FunctionType(fn.__code__, {**scope, **overlay}, fn.__name__, defaults, closure or None)


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:  # a closure cell not assigned yet
        return False
    return True
