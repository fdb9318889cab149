"""Library functions an assignment's answers may not call (PyTorch's own batch norm in the torch assignment).

An instructor lists them per assignment as dotted names, in nbgrader_config.py
(autograder/shortcuts.py reads them):

    c.Shortcuts.flagged_calls = {"torch_batchnorm": ["torch.nn.functional.batch_norm", "torch.batch_norm", ...]}

A submission that uses one is flagged for review, and the feedback of the
test cell that caught it says which. Two views catch it: `static_uses` reads
the student's cells (an import or an attribute that resolves to a listed
name, through the aliases the cells import), and the sandboxed driver wraps
the listed functions before any student cell runs and reports each call made
while a test cell observed the student's code (driver.py).
"""
import ast

from IPython.core.inputtransformer2 import TransformerManager


def static_uses(sources, flagged, setup_sources=()):
    """
    The listed dotted names that the student's code refers to.

    Inputs:
    - sources: The Python (or IPython) source of each of the student's cells
    - flagged: Dotted names, e.g. ["torch.nn.functional.batch_norm", "torch.nn.BatchNorm1d"]
    - setup_sources: The source of the instructor's cells: their imports define
      aliases too (`from torch import nn`), their own uses do not count

    Returns a sorted list of the flagged names used. A name the student defines
    themselves (their own batch_norm) is not a use.
    """
    flagged = set(flagged)
    if not flagged:
        return []
    trees = [tree for tree in map(_parsed, sources) if tree is not None]
    aliases = {}
    for tree in [*filter(None, map(_parsed, setup_sources)), *trees]:
        aliases.update(_imports(tree))
    used = {target for tree in trees for target in _imports(tree).values() if target in flagged}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                dotted = _dotted(node, aliases)
                if dotted in flagged:
                    used.add(dotted)
    return sorted(used)


def shortcut_lines(verdict):
    """One line per flagged use in a notebook's verdict (judge.judge_notebook's result), for review."""
    lines = [f"{grade_id}: the student's code called {', '.join(names)}"
             for grade_id, names in verdict["shortcuts"].items()]
    if verdict["static_shortcuts"]:
        lines.append(f"the student's cells use {', '.join(verdict['static_shortcuts'])}")
    return lines


def _parsed(source):
    """The cell's syntax tree; for a cell magic (%%time), its body's, which IPython runs as Python."""
    if source.startswith("%%"):
        source = source.split("\n", 1)[1] if "\n" in source else ""
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _imports(tree):
    """{local name: the dotted name it stands for}, from the import statements of a cell."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node, aliases):
    """'torch.nn.functional.batch_norm' for F.batch_norm when F is that module's alias; None otherwise."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])
