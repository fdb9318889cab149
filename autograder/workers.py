"""Where submissions execute: local worker processes, or a Dask cluster.

A job is plain data (JSON-able dicts, notebooks as JSON strings) so it travels
to a process pool or to a Dask worker on another machine alike; `run_job` is the
function both call. It runs in a trusted process that starts sandboxes: the
student's notebook executes inside one, the trusted verdict's driver inside a
fresh one, and nothing the student's code does reaches back into this process
except the notebook outputs and the arrays the driver returns.

Never threads for grading jobs: nbgrader and jupyter_client mutate os.environ. Within a
job, the trusted verdict runs in a second thread while the notebooks execute:
both only start subprocesses with environments built explicitly.

A job's files, its sandboxes' /tmp and /dev/shm and the trusted verdict's
folder share one scratch folder, a tmpfs capped at disk_mb and max_files
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

from . import cgroups, sandbox, scratch
from .trusted.verdict import trusted_verdict


def support_python_path():
    """The folder holding the support packages the notebooks import (the sandbox exposes only those)."""
    import assignments
    return (str(pathlib.Path(assignments.__file__).resolve().parent.parent),)


def run_job(job):
    """
    Execute one submission and compute its trusted verdict.

    Inputs (a dict):
    - student, assignment: ids
    - notebooks: {file name: sanitized notebook JSON}, in the order to run them
    - files: {relative path: bytes} other files of the submission folder
    - limits: dict of sandbox.Limits fields
    - sandbox: bool, False only when the instructor passed --no-sandbox
    - seed: int, seeds the trusted verdict's inputs

    Returns a dict: student, executed {name: notebook JSON}, status {name: (status, message)},
    seconds {name: float}, trusted {grade_id: (score, max_score, [(description, passed, message)])},
    trusted_error (a message or None).
    """
    limits = sandbox.Limits(**job["limits"])
    result = {"student": job["student"], "executed": {}, "status": {}, "seconds": {}, "trusted": {},
              "trusted_error": None}
    # as `nbgrader autograde` does: notebooks may shorten their work while graded (set for the
    # whole job, before the verdict's thread starts, so that no thread sees os.environ change)
    with scratch.scratch_folder(size_mb=limits.disk_mb, max_files=limits.max_files) as space, \
            setenv(NBGRADER_EXECUTION="autograde"):
        private_tmp = space.path if space.capped else None
        workdir = space.path / "work"
        workdir.mkdir()
        for relative, content in job["files"].items():
            target = workdir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        # The trusted verdict needs only the submission's code, not its outputs: it runs in its own
        # sandbox while the notebooks execute, filling the moments a notebook's run waits (kernel
        # start, message round trips) instead of adding its time after them.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as verdict_thread:
            verdict = verdict_thread.submit(_trusted_result, job, space.path / "trusted", limits, private_tmp)
            for name, text in job["notebooks"].items():
                (workdir / name).write_text(text, encoding="utf-8")
            for name, text in job["notebooks"].items():
                run = sandbox.execute_notebook(nbformat.reads(text, as_version=4), workdir, limits=limits,
                                               sandbox=job["sandbox"], python_path=support_python_path(),
                                               private_tmp=private_tmp)
                result["executed"][name] = nbformat.writes(run.notebook)
                result["status"][name] = (run.status, run.message)
                result["seconds"][name] = run.seconds
            result["trusted"], result["trusted_error"] = verdict.result()
    return result


def _trusted_result(job, verdict_dir, limits, private_tmp):
    """(trusted verdicts as plain data, None), or ({}, the error) when the trusted side itself failed."""
    notebooks = {name: nbformat.reads(text, as_version=4) for name, text in job["notebooks"].items()}
    verdict_dir.mkdir()
    try:
        verdicts = trusted_verdict(notebooks, assignment=job["assignment"], seed=job["seed"], workdir=verdict_dir,
                                   run=_sandboxed_runner(limits, job["sandbox"], private_tmp))
    except Exception as error:  # the trusted side failing must not lose the in-kernel grades
        return {}, f"{type(error).__name__}: {error}"
    return {grade_id: (v.score, v.max_score, [tuple(c) for c in v.checks]) for grade_id, v in verdicts.items()}, None


def _sandboxed_runner(limits, use_sandbox, private_tmp):
    def run(command, workdir):
        return sandbox.run_in_sandbox(command, workdir, limits=limits, sandbox=use_sandbox,
                                      python_path=support_python_path(), private_tmp=private_tmp)
    return run


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
