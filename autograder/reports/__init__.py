"""Reports made from autograded notebooks and the gradebook.

- ``scores``: per-student, per-test scores read from the gradebook, as a table
- ``gradescope``: one student's Gradescope ``results.json``, from what each graded cell reported
- ``summary``: the class summary page (score histogram, pass rate per test)
- ``lock``: the course's lock on an assignment's reports
"""
