"""What a sandbox shows as not installed: the staff package and an assignment's hidden libraries, wherever they are.

A fake site-packages folder laid out as pip installs stands in for a normal
install (the editable install these tests run in keeps autograder/ in the
repository, which the sandbox hides anyway: see test_sandbox.py).
"""
import json
import sys

import pytest
from traitlets.config import Config

from autograder.grade import sandbox
from autograder.course import REPO_ROOT, CourseError
from autograder.grade.gradebook import load_config
from autograder.grade.sandbox import masked_paths, run_in_sandbox
from autograder.grade.shortcuts import hidden_libraries

HIDDEN = ("jax", "torch")


def _write(path, text=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _dist_info(site, name, version, top_level=None, record=()):
    info = site / f"{name}-{version}.dist-info"
    _write(info / "METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    _write(info / "RECORD", "".join(f"{path},,\n" for path in record))
    if top_level is not None:
        _write(info / "top_level.txt", top_level + "\n")
    return info


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A site-packages folder on sys.path, first: the staff package, torch and jax (hidden), a library that is not."""
    site = tmp_path / "site-packages"
    _write(site / "autograder" / "__init__.py", "REFERENCE = 'the answers'\n")
    _write(site / "autograder" / "bug_catalog" / "__init__.py")
    _dist_info(site, "batchnorm_suite", "0.1.0", top_level="autograder")
    _write(site / "torch" / "__init__.py", "VERSION = 'fake'\n")
    _dist_info(site, "torch", "2.13.0", record=["torch/__init__.py", "../../../bin/torchrun"])  # no top_level.txt
    _write(site / "jax.py", "VERSION = 'fake'\n")  # a library that is a single module
    _write(site / "allowed" / "__init__.py", "VALUE = 1\n")
    _dist_info(site, "allowed", "1.0", top_level="allowed")
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    return site


def expected(site):
    return {site / "autograder", site / "batchnorm_suite-0.1.0.dist-info", site / "torch",
            site / "torch-2.13.0.dist-info", site / "jax.py"}


def in_site(paths, site):
    return {path for path in paths if site in path.parents}


def test_an_exposed_site_packages_has_the_staff_package_and_the_hidden_libraries_masked(site):
    assert in_site(masked_paths(HIDDEN, [site]), site) == expected(site)
    assert in_site(masked_paths((), [site]), site) == {site / "autograder", site / "batchnorm_suite-0.1.0.dist-info"}


def test_a_site_packages_in_a_system_folder_is_masked_without_being_exposed(site, monkeypatch):
    top = site.parts[1]  # stands in for /usr: shared with the host, shown by every sandbox
    monkeypatch.setattr(sandbox, "SYSTEM_FOLDERS", sandbox.SYSTEM_FOLDERS | {top})
    monkeypatch.setattr(sandbox, "PRIVATE_FOLDERS", sandbox.PRIVATE_FOLDERS - {top})
    assert in_site(masked_paths(HIDDEN, []), site) == expected(site)


def test_what_a_sandbox_hides_anyway_is_not_masked(site):
    assert in_site(masked_paths(HIDDEN, []), site) == set()  # /tmp: the sandbox has its own


PROBE = """
import importlib, json, os, sys
def outcome(name):
    try:
        importlib.import_module(name)
        return "imported"
    except Exception as error:
        return f"{type(error).__name__}: {error}"
def written(path):
    try:
        open(path, "w").close()
        return True
    except OSError:
        return False
site = sys.argv[1]
print(json.dumps({"imports": {name: outcome(name) for name in ["autograder", "torch", "jax", "allowed"]},
                  "autograder": sorted(os.listdir(os.path.join(site, "autograder"))),
                  "written": written(os.path.join(site, "autograder", "mine.py"))}))
"""


def probe(site, tmp_path, hidden):
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    result = run_in_sandbox([sys.executable, "-c", PROBE, str(site)], workdir, python_path=(site,),
                            hidden_libraries=hidden)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_in_a_sandbox_the_masked_packages_are_not_installed(bwrap, site, tmp_path):
    seen = probe(site, tmp_path, HIDDEN)
    assert seen["imports"] == {"autograder": "ModuleNotFoundError: No module named 'autograder'",
                               "torch": "ModuleNotFoundError: No module named 'torch'",
                               "jax": "ModuleNotFoundError: No module named 'jax'", "allowed": "imported"}
    assert seen["autograder"] == ["__init__.py"] and not seen["written"]


def test_a_library_is_hidden_only_from_the_assignments_that_list_it(bwrap, site, tmp_path):
    imports = probe(site, tmp_path, ())["imports"]
    assert imports["torch"] == imports["jax"] == "imported"
    assert imports["autograder"].startswith("ModuleNotFoundError")


def test_the_course_hides_torch_jax_and_tensorflow_from_the_numpy_assignments_only():
    config = load_config(REPO_ROOT)
    for assignment in ("batchnorm", "mlp_batchnorm"):
        assert hidden_libraries(config, assignment) == ("jax", "tensorflow", "torch")
    assert hidden_libraries(config, "torch_batchnorm") == ()


@pytest.mark.parametrize("setting, message", [
    ({"batchnorm": "torch"}, "must be a list"),
    (["torch"], "expected a dict"),
    ({"batchnorm": ["torch.nn"]}, "'torch.nn' is not the import name of a top-level package"),
])
def test_a_malformed_setting_is_one_clear_line(setting, message):
    config = Config()
    config.Shortcuts.hidden_libraries = setting
    with pytest.raises(CourseError, match=message) as raised:
        hidden_libraries(config, "batchnorm")
    assert "c.Shortcuts.hidden_libraries" in str(raised.value) and "\n" not in str(raised.value)
