"""The `grade` stage: every submission of an assignment, graded in parallel, sandboxed and resumable.

- ``pipeline``: the verb, grade_and_report (keyword-only): grade, then write the reports
- ``coordinator``: grade_assignment: jobs out to the workers, grades into the gradebook, markers for reruns
- ``submissions`` and ``untrusted_files``: a student's submitted files, read without following links, capped
- ``structure``: the release's cells and metadata restored into a submitted notebook
- ``gradebook``: the course's gradebook URL, config and integrity check
- ``workers``: the local or Dask worker that grades one submission (kernel run and out-of-kernel verdict)
- ``kernel_run``: one notebook run in its sandboxed kernel
- ``course_secret`` and ``shortcuts``: the course's seed secret; the libraries an assignment hides or flags
- ``sandbox``: bubblewrap, cgroups, scratch space and what a sandbox may see
"""
