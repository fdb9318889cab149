"""The course's secret: what makes the hidden checks' inputs unknowable in advance, and the same on every regrade.

Made the first time a course is graded (random, 256 bits) and kept in
`<course>/.harness/secret`, readable by its owner only. No sandbox sees the
course folder, and the file is never copied to reports, feedback or exports;
only the judge's trusted process gets the secret (assignments.observing.hidden_seed).
"""
import os
import pathlib
import secrets
import time

SECRET_FILE = pathlib.Path(".harness") / "secret"


def course_secret(course_dir):
    """
    The secret of the course in course_dir (a hex string), made and kept on first use.

    Graders started at once on one course agree: the file is created exclusively,
    and whoever loses the race reads the winner's.
    """
    path = pathlib.Path(course_dir) / SECRET_FILE
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32))
    return _read(path)


def _read(path):
    for _ in range(50):  # a grader that just created the file may not have written it yet
        text = path.read_text().strip()
        if text:
            return text
        time.sleep(0.1)
    raise OSError(f"{path} is empty: delete it to make a new course secret (hidden inputs will change)")
