"""observe() in the kernel, and how the judge describes an observed function for the sandboxed driver."""
import numpy as np
import pytest

from assignments.failures import CodeFailed

from assignments.grading import observe
from assignments.notebook_cells import CellRunner
from assignments.plain_data import Unobservable
from autograder.verdict.shipping import NotShippable, StudentName, function_spec


def test_in_the_kernel_observe_calls_at_once_and_returns_plain_data():
    assert observe(lambda: (1, np.float32(2))) == (1, np.float32(2))

    class Model:
        pass

    assert isinstance(observe(lambda: Model()), Unobservable)


def test_in_the_kernel_the_observed_function_gets_copies_of_the_cells_values():
    param = {"mode": "train"}

    def fill(p):
        p["running_mean"] = 1.0
        return p

    filled = observe(lambda: fill(param))
    assert filled == {"mode": "train", "running_mean": 1.0} and param == {"mode": "train"}


def test_as_a_decorator_the_function_is_replaced_by_its_result():
    @observe
    def result():
        return [1, 2]

    assert result == [1, 2]


def test_an_exception_comes_out_as_one_line():
    with pytest.raises(CodeFailed, match="^ZeroDivisionError: division by zero$"):
        observe(lambda: 1 / 0)


def judged_cell(source):
    """(namespace, runner) after running source as the judge runs an instructor cell (observe records its argument)."""
    namespace = {"__builtins__": __builtins__}
    runner = CellRunner(namespace, "judge Test.ipynb")
    namespace["observe"] = lambda fn: namespace.setdefault("observed", []).append(fn)
    namespace["student_forward"] = StudentName("student_forward")
    assert runner.run(source, 0) is None
    return namespace, runner


def test_a_lambda_is_described_by_its_own_source_and_the_values_it_reads():
    namespace, runner = judged_cell("import numpy as np\nx = np.arange(3)\nobserve(lambda: student_forward(x, scale=2))")
    kind, source, name, freevars, closure, defaults, names = function_spec(namespace["observed"][0], namespace,
                                                                          runner.sources)
    assert (kind, source, freevars) == ("source", "(lambda: student_forward(x, scale=2))", [])
    assert names["x"][0] == "value" and np.array_equal(names["x"][1], np.arange(3))
    assert "student_forward" not in names  # the driver has the student's own


def test_nested_lambdas_on_one_line_are_told_apart_and_closures_are_sent():
    namespace, runner = judged_cell("def gradient(f, xs):\n    return f(xs)\n"
                                    "def check(x):\n"
                                    "    return gradient(lambda xs: observe(lambda: [student_forward(v) for v in xs]),"
                                    " [x, x + 1])\n"
                                    "check(3)")
    spec = function_spec(namespace["observed"][0], namespace, runner.sources)
    assert spec[1] == "(lambda: [student_forward(v) for v in xs])"
    assert spec[3] == ["xs"] and spec[4] == [("value", [3, 4])]


def test_a_helper_of_the_test_cell_goes_by_source_with_its_own_helpers_and_libraries():
    namespace, runner = judged_cell("import math\nfrom collections import OrderedDict\n"
                                    "def inner(v):\n    return math.sqrt(v)\n"
                                    "def helper(v):\n    return OrderedDict(a=inner(v))\n"
                                    "@observe\ndef run():\n    return helper(4)")
    spec = function_spec(namespace["observed"][0], namespace, runner.sources)
    assert spec[1].startswith("def run():") and "@observe" not in spec[1]
    helper = spec[6]["helper"]
    assert helper[0] == "source" and helper[6]["inner"][6]["math"] == ("module", "math")
    assert helper[6]["OrderedDict"] == ("import", "collections", "OrderedDict")


def test_a_class_defined_in_a_cell_cannot_be_shipped():
    namespace, runner = judged_cell("class Reference:\n    pass\nobserve(lambda: Reference())")
    with pytest.raises(NotShippable, match="defined in a cell as a class"):
        function_spec(namespace["observed"][0], namespace, runner.sources)


def test_a_student_name_in_the_judge_refuses_to_be_called():
    with pytest.raises(TypeError, match="student_forward is the student's code: call it inside observe"):
        StudentName("student_forward")(1)
