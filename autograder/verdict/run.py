"""Run the judge (judge.py) on a submission, in a process of its own, and read what it decided."""
import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import nbformat

MARGIN_SECONDS = 60


class JudgeFailed(Exception):
    """The judge itself did not finish (a fault of the grader or the course, not of the student)."""


def run_judge(notebooks, workdir, *, limits, use_sandbox, python_path, private_tmp=None, secret=None,
              flagged_calls=(), hidden_libraries=()):
    """
    The out-of-kernel verdict of a submission.

    Inputs:
    - notebooks: {file name: NotebookNode}, whole (hidden tests included), in the order to judge them
    - workdir: Folder holding the submission's files as the student's code may see them (its
      notebooks with hidden tests removed): the sandboxed drivers run there
    - limits, use_sandbox, python_path, private_tmp, hidden_libraries: as for sandbox.sandboxed_process
    - secret: The course's secret (course_secret.py), which seeds the hidden checks; None: their own seeds
    - flagged_calls: Dotted names of library functions the answers may not call (library_calls.py)

    Returns {file name: judge.judge_notebook's result}.
    Raises JudgeFailed with the judge's last words.
    """
    with tempfile.TemporaryDirectory(prefix="judge-") as folder:
        folder = pathlib.Path(folder)
        request = {"notebooks": {name: nbformat.writes(nb) for name, nb in notebooks.items()},
                   "workdir": str(workdir), "limits": dataclasses.asdict(limits),
                   "sandbox": use_sandbox, "python_path": [str(p) for p in python_path],
                   "private_tmp": None if private_tmp is None else str(private_tmp), "secret": secret,
                   "flagged_calls": list(flagged_calls), "hidden_libraries": list(hidden_libraries)}
        (folder / "request.json").write_text(json.dumps(request))
        (folder / "cwd").mkdir()
        seconds = limits.notebook_timeout * max(1, len(notebooks)) + MARGIN_SECONDS
        try:
            done = subprocess.run([sys.executable, "-m", "autograder.verdict.judge", str(folder / "request.json"),
                                   str(folder / "result.json")], cwd=folder / "cwd", capture_output=True,
                                  timeout=seconds, env={**os.environ, "MPLBACKEND": "Agg"})
        except subprocess.TimeoutExpired:
            raise JudgeFailed(f"the judge ran longer than {seconds:g} s") from None
        if done.returncode != 0 or not (folder / "result.json").exists():
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise JudgeFailed(f"the judge exited with status {done.returncode}: {tail[0]}")
        return json.loads((folder / "result.json").read_text())
