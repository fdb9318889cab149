"""What an observed function is, as the sandboxed driver must rebuild it: its source and the values it uses.

The judge (judge.py) runs the instructor's test cells; when one calls
observe(fn), `function_spec(fn, ...)` describes fn so that the driver can make
the same function next to the student's code:

- ("source", source, name, freevars, closure specs, default specs, global specs):
  a function or lambda defined in an instructor cell (test or setup cell), by its
  source; the global names it reads that the judge's namespace holds are
  described too, recursively, and the student's names are left to the driver;
- ("import", module, qualified name): a library's function or class;
- ("module", name): a module;
- ("student", name): a name of the student's code (a StudentName in the judge), looked up by the driver;
- ("value", object): anything else, copied (pickled) as it is.

A spec is sent pickled: it goes from the trusted process into the sandbox, never back.
"""
import ast
import functools
import types

from assignments.observing import is_value, referenced_names


class StudentName:
    """
    Stands in, in the judge, for a name of the student's code (which does not run there): it
    can be passed around and shipped, not called. Calling it raises TypeError saying to observe the call.
    """

    def __init__(self, name):
        self.name = name

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.name} is the student's code: call it inside observe(...)")

    def __repr__(self):
        return f"<student's {self.name}>"


class NotShippable(Exception):
    """The observed function uses something the driver cannot be given; the message says what."""


def function_spec(fn, namespace, sources):
    """
    Describe fn for the driver.

    Inputs:
    - fn: The function observe was given
    - namespace: The judge's namespace of the notebook (instructor names only)
    - sources: {code file name: source text} of the instructor cells the judge compiled

    Returns a "source" spec. Raises NotShippable.
    """
    return _Shipper(namespace, sources).spec(fn)


class _Shipper:
    def __init__(self, namespace, sources):
        self.namespace = namespace
        self.sources = sources
        self.seen = {}

    def spec(self, value):
        if isinstance(value, StudentName):
            return ("student", value.name)
        if isinstance(value, types.ModuleType):
            return ("module", value.__name__)
        if isinstance(value, types.FunctionType) and value.__code__.co_filename in self.sources:
            return self._function(value)
        if not is_value(value):
            module = getattr(value, "__module__", None)
            qualname = getattr(value, "__qualname__", None)
            if not module or not qualname or "<" in qualname or module == "__main__":
                raise NotShippable(f"{getattr(value, '__name__', value)!r} is defined in a cell as a class or method; "
                                   "define classes the checks use in a module, or call them inside the observed "
                                   "function only")
            return ("import", module, qualname)
        return ("value", value)

    def _function(self, fn):
        if id(fn) in self.seen:
            return self.seen[id(fn)]
        spec = ["source", _source_of(fn, self.sources[fn.__code__.co_filename]), fn.__name__,
                list(fn.__code__.co_freevars), [], [], {}]
        self.seen[id(fn)] = spec  # a function that refers to itself
        spec[4] = [self.spec(cell.cell_contents) for cell in fn.__closure__ or ()]
        spec[5] = [self.spec(value) for value in fn.__defaults__ or ()]
        # the student's names are already where the driver makes fn (co_names also lists attribute names)
        spec[6] = {name: self.spec(self.namespace[name]) for name in sorted(referenced_names(fn.__code__))
                   if name in self.namespace and not name.startswith("__")
                   and not isinstance(self.namespace[name], StudentName)}
        return spec


def _source_of(fn, cell_source):
    """The source of the def or lambda that made fn, without decorators (a lambda in parentheses)."""
    return _source_of_code(fn.__code__, cell_source)


@functools.lru_cache(maxsize=4096)
def _source_of_code(code, cell_source):
    """_source_of for a code object: the functions a cell makes again and again share theirs."""
    node = _node_of(code, ast.parse(cell_source))
    if isinstance(node, ast.FunctionDef):
        node.decorator_list = []  # @observe: the driver makes the function, the judge calls it
        return ast.unparse(node)
    return f"({ast.unparse(node)})"


def _node_of(code, tree):
    """
    The Lambda or FunctionDef node code was compiled from: of those named as code
    is, the innermost whose body holds where code's first instruction comes from.
    """
    spots = [(line, col) for line, _, col, end in code.co_positions()
             if line is not None and (col, end) != (0, 0)]
    first = min(spots, default=(code.co_firstlineno, 0))
    name = code.co_name
    candidates = [node for node in ast.walk(tree)
                  if (isinstance(node, ast.Lambda) and name == "<lambda>")
                  or (isinstance(node, ast.FunctionDef) and node.name == name)]
    holding = [node for node in candidates if _start(node) <= first <= _end(node)]
    if not holding:
        raise NotShippable(f"the source of {name} (line {code.co_firstlineno}) was not found")
    return min(holding, key=lambda node: (_end(node)[0] - _start(node)[0], _end(node)[1] - _start(node)[1]))


def _start(node):
    body = node.body if isinstance(node, ast.Lambda) else node.body[0]
    return body.lineno, body.col_offset


def _end(node):
    body = node.body if isinstance(node, ast.Lambda) else node.body[-1]
    return body.end_lineno, body.end_col_offset
