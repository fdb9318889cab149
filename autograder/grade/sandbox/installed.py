"""Where this Python has top-level packages installed: every copy it could import, and the metadata listing them."""
import importlib.machinery
import importlib.metadata
import importlib.util
import inspect
import pathlib
import sys


def installed_paths(names):
    """
    Every place from which this Python could import one of the top-level packages or modules `names`, or read
    their metadata.

    Inputs:
    - names: Import names, e.g. ("autograder", "torch"); not dotted: nothing is imported to answer

    Returns a set of resolved paths:
    - each one's folder (each folder of a namespace package) or module file, in every sys.path
      entry that has one, and where an import hook finds it (an editable install's finder);
    - the .dist-info or .egg-info folder (or file) of every distribution on sys.path that provides one.
    """
    names = set(names)
    found = set()
    for name in names:
        specs = [importlib.util.find_spec(name),
                 *(importlib.machinery.PathFinder.find_spec(name, [entry]) for entry in sys.path)]
        found.update(path for spec in specs if spec is not None for path in _spec_paths(spec))
    found.update(pathlib.Path(dist._path).resolve()  # PathDistribution's metadata folder: no public accessor
                 for dist in importlib.metadata.distributions() if names & _top_level_names(dist))
    return found


def _spec_paths(spec):
    """The folders of a package's spec, or the file of a module's; none for a built-in module."""
    if spec.submodule_search_locations is not None:
        return [pathlib.Path(folder).resolve() for folder in spec.submodule_search_locations]
    return [pathlib.Path(spec.origin).resolve()] if spec.has_location else []


def _top_level_names(dist):
    """
    The top-level import names a distribution provides: its top_level.txt (setuptools writes one),
    else the first part of each path its RECORD lists (read as text: `dist.files` is 20 times slower).
    """
    listed = dist.read_text("top_level.txt")
    if listed is not None:
        return set(listed.split())
    paths = (line.split(",", 1)[0] for line in (dist.read_text("RECORD") or "").splitlines())
    return {inspect.getmodulename(first) or first for first in (path.split("/", 1)[0] for path in paths)}
