"""The course's grading harness: builds releases, makes example submissions, grades them with nbgrader and reports."""
