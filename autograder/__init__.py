"""The course's grading harness (the staff package), one folder per stage of the pipeline.

- ``release``: the student and solution releases, built from source/ by nbgrader
- ``examples``: example submissions, planted from the bug catalog (``examples.bug_catalog``)
- ``grade``: grading at scale: submissions, structure, gradebook, workers, sandbox
- ``verdict``: each test cell judged outside the student's kernel
- ``reports``: scores, per-check outcomes, Gradescope results, the class summary
- ``similarity``: which submissions share their code
- ``demo``: the main job; ``cli``: the command line over the stages' keyword-only functions
- ``course`` and ``preprocessors``: the course folder and the nbgrader preprocessors it plugs in, used by every stage
"""
