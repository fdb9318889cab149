"""Where submissions execute: local worker processes, or a Dask cluster.

A job is plain data (JSON-able dicts, notebooks as JSON strings) so it travels
to a process pool or to a Dask worker on another machine alike; `run_job` is the
function both call. It runs in a trusted process that starts sandboxes: the
student's notebooks execute inside one (without their hidden tests), the
judge's drivers (autograder/verdict/) inside others, and nothing the student's
code does reaches back into this process except the notebook outputs and the
plain data the drivers return.

Never threads for grading jobs: nbgrader and jupyter_client mutate os.environ. Within a
job, the judge runs (in a process of its own) from a second thread while the
notebooks execute: both only start subprocesses with environments built explicitly.

A job's files, its sandboxes' /tmp and /dev/shm and the judge's folder share
one scratch folder, a tmpfs capped at disk_mb and max_files
(autograder/scratch.py) where the machine allows; `unenforced_caps` says
which caps it does not.
"""
import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import os
import pathlib

import nbformat
from nbgrader.utils import setenv

from . import sandbox
from .sandbox import cgroups, scratch
from .kernel_run import execute_notebook
from ..preprocessors import without_hidden_tests
from ..verdict.merge import merge_verdict
from ..verdict.run import JudgeFailed, run_judge
from ..verdict.library_calls import shortcut_lines


def support_python_path():
    """The folder holding the support packages the notebooks import (the sandbox exposes only those)."""
    import assignments
    return (str(pathlib.Path(assignments.__file__).resolve().parent.parent),)


def run_job(job):
    """
    Execute one submission in its kernel and judge it outside the kernel.

    Inputs (a dict):
    - student, assignment: ids
    - notebooks: {file name: sanitized notebook JSON, hidden tests included}, in the order to run them
    - files: {relative path: bytes} other files of the submission folder
    - in_kernel: grade ids of the test cells graded in the kernel (calibration.py): they
      keep their hidden tests there; every other test cell runs there without them
    - limits: dict of sandbox.Limits fields
    - sandbox: bool, False only when the instructor passed --no-sandbox
    - secret: the course's secret, which seeds the hidden checks outside the kernel
    - flagged_calls: dotted names of library functions the answers may not call (shortcuts.flagged_calls)
    - hidden_libraries: import names of the libraries the assignment's sandboxes hide (shortcuts.hidden_libraries)

    Returns a dict: student, executed {name: notebook JSON, the judge's outputs in its judged
    test cells}, status {name: (status, message)}, seconds {name: float},
    differences {name: [(grade id, line)]}, notes {name: [line]}, shortcuts {name: [line]}, judge_error
    (a message or None).
    """
    limits = sandbox.Limits(**job["limits"])
    complete = {name: nbformat.reads(text, as_version=4) for name, text in job["notebooks"].items()}
    visible = {name: without_hidden_tests(nb, keep=set(job["in_kernel"])) for name, nb in complete.items()}
    result = {"student": job["student"], "executed": {}, "status": {}, "seconds": {}, "differences": {},
              "notes": {}, "shortcuts": {}, "judge_error": None}
    # as `nbgrader autograde` does: notebooks may shorten their work while graded (set for the
    # whole job, before the judge's thread starts, so that no thread sees os.environ change)
    with scratch.scratch_folder(size_mb=limits.disk_mb, max_files=limits.max_files) as space, \
            setenv(NBGRADER_EXECUTION="autograde"):
        private_tmp = space.path if space.capped else None
        kernel_dir, judge_dir = _submission_folder(space.path / "work", job, visible), \
            _submission_folder(space.path / "judged", job, visible)
        # The judge needs only the submission's code, not its outputs: it runs while the notebooks
        # execute, filling the moments a notebook's run waits instead of adding its time after them.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as judge_thread:
            judged = judge_thread.submit(run_judge, complete, judge_dir, limits=limits, use_sandbox=job["sandbox"],
                                         python_path=support_python_path(), private_tmp=private_tmp,
                                         secret=job["secret"], flagged_calls=job["flagged_calls"],
                                         hidden_libraries=job["hidden_libraries"])
            executed = {}
            for name, nb in visible.items():
                run = execute_notebook(nb, kernel_dir, limits=limits, sandbox=job["sandbox"],
                                       python_path=support_python_path(), private_tmp=private_tmp,
                                       hidden_libraries=job["hidden_libraries"])
                executed[name] = run.notebook
                result["status"][name] = (run.status, run.message)
                result["seconds"][name] = run.seconds
            try:
                verdicts = judged.result()
            except JudgeFailed as error:
                verdicts, result["judge_error"] = {}, str(error)
    for name, nb in executed.items():
        verdict = verdicts.get(name, {"cells": {}, "notes": [], "shortcuts": {}, "static_shortcuts": []})
        result["differences"][name] = merge_verdict(nb, complete[name], verdict["cells"], set(job["in_kernel"]))
        result["notes"][name] = verdict["notes"]
        result["shortcuts"][name] = shortcut_lines(verdict)
        result["executed"][name] = nbformat.writes(nb)
    return result


def _submission_folder(folder, job, notebooks):
    """folder, made and filled with the submission's files and its notebooks as the student's code may see them."""
    folder.mkdir()
    for relative, content in job["files"].items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for name, nb in notebooks.items():
        (folder / name).write_text(nbformat.writes(nb), encoding="utf-8")
    return folder


def limits_dict(limits):
    return dataclasses.asdict(limits)


def remove_leftovers():
    """Remove what workers killed in earlier runs left on this machine: scratch mount points, empty cgroups."""
    cgroups.remove_stale()
    scratch.remove_stale()


def unenforced_caps(limits, use_sandbox):
    """One line for each cap this machine does not enforce, saying what is capped instead; empty when all are."""
    lines = []
    memory = cgroups.unavailable_reason()
    if memory:
        lines.append(f"memory: each process is capped at {limits.memory_mb} MB, but not a submission's processes "
                     f"together nor its /tmp ({memory})")
    disk = scratch.unavailable_reason()
    if disk:
        lines.append(f"disk: each file is capped at {limits.max_file_mb} MB, but not a submission's files together "
                     f"nor their number ({disk})")
    if not use_sandbox:
        lines.append("isolation and the process cap: none (--no-sandbox)")
    return lines


@contextlib.contextmanager
def worker_pool(*, workers=None, scheduler=None, task=run_job):
    """
    Yield (submit, as_completed) for a pool of worker processes on this machine
    (as many as cores by default) or, with scheduler='tcp://host:port', for the
    workers of a running Dask distributed cluster. submit(job) runs task(job)
    there: task must be a module-level function the workers can import.
    """
    if scheduler:
        from distributed import Client, as_completed
        with Client(scheduler) as client:
            yield (lambda job: client.submit(task, job, pure=False)), as_completed
        return
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no state inherited from the coordinator
    # each worker mounts its scratch folders in a mount namespace of its own: they vanish with it, even killed
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers or os.cpu_count(), mp_context=context,
                                                initializer=scratch.private_mounts) as pool:
        try:
            yield (lambda job: pool.submit(task, job)), concurrent.futures.as_completed
        except BaseException:  # the run stops: the jobs not started yet never will
            pool.shutdown(cancel_futures=True)
            raise
