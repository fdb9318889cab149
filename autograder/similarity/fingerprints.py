"""Fingerprints of students' code with copydetect: tokenized and normalized, then k-gram hashes winnowed.

copydetect's tokenizer (pygments) replaces every variable, attribute and
argument name by V, function names by F, class names by O and strings by S, and
drops comments and whitespace: a renamed variable or a rewritten comment leaves
the normalized text unchanged. Its fingerprints are the hashes of the k-grams of
that text, winnowed (the method of MOSS), minus the hashes of the release's code.

The work is split in two because copydetect hashes k-grams with Python's hash(),
which is salted per process: workers (local processes or Dask) read the
notebooks and tokenize (`tokenize_submission`, the costly part); the coordinator
hashes every text in its one process (`fingerprint`, `boilerplate_hashes`), so
that equal code gives equal hashes.
"""
import dataclasses

import numpy as np
from copydetect.utils import filter_code, get_document_fingerprints, get_token_coverage

from .code import student_code

# copydetect's noise threshold: the shortest run of normalized characters that counts as shared.
NOISE_THRESHOLD = 25
# copydetect's guarantee threshold: every shared run this long is found (window = guarantee - noise + 1).
GUARANTEE_THRESHOLD = 25
PSEUDO_FILE = "code.py"  # tells copydetect's tokenizer the language


def tokenize_submission(job):
    """
    Read one submission's notebooks and tokenize the code the student wrote (runs on a worker).

    Inputs (a dict, plain data so that it travels to a Dask worker):
    - student: Student id
    - notebooks: {file name: bytes} of the submitted notebooks
    - solutions: {grade_id: source} of the release's solution cells

    Returns a dict: student; code (the student's code, code.student_code);
    filtered (copydetect's normalized text of it); offsets (copydetect's list of
    [index in filtered, characters removed before it], for mapping matches back
    to code); problems (one line per notebook that could not be read).
    Never executes anything of the submission.
    """
    code, problems = student_code(job["notebooks"], job["solutions"])
    filtered, offsets = filter_code(code, PSEUDO_FILE) if code else ("", np.zeros((0, 2), dtype=int))
    return {"student": job["student"], "code": code, "filtered": filtered, "offsets": np.asarray(offsets).tolist(),
            "problems": problems}


@dataclasses.dataclass
class Fingerprint:
    """
    One submission's fingerprint, with the attributes copydetect's compare_files
    reads (those of its CodeFingerprint, built from text tokenized elsewhere).

    - student: Student id
    - raw_code: The student's code
    - filtered_code: Its normalized text
    - offsets: (M, 2) int array mapping filtered_code indexes back to raw_code
    - hashes: Set of the winnowed k-gram hashes left after removing the release's
    - hash_idx: {hash: [indexes in filtered_code where its k-gram starts]}
    - k: The noise threshold
    - token_coverage: Characters of filtered_code under some fingerprint (the denominator of a similarity)
    """
    student: str
    raw_code: str
    filtered_code: str
    offsets: np.ndarray
    hashes: set
    hash_idx: dict
    k: int
    token_coverage: float


def boilerplate_hashes(sources, *, k=NOISE_THRESHOLD):
    """
    The hashes of every k-gram of the release's code, as copydetect computes boilerplate (window 1).

    Inputs:
    - sources: Code strings, one per release code cell

    Returns a sorted 1-D int array.
    """
    hashes = [np.fromiter(get_document_fingerprints(filter_code(source, PSEUDO_FILE)[0], k, 1)[0], dtype=np.int64)
              for source in sources]
    return np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *hashes]))


def fingerprint(tokens, *, boilerplate, k=NOISE_THRESHOLD, guarantee=GUARANTEE_THRESHOLD):
    """
    A submission's Fingerprint from its tokenize_submission result.

    Inputs:
    - tokens: The dict tokenize_submission returned
    - boilerplate: boilerplate_hashes of the release
    - k, guarantee: copydetect's noise and guarantee thresholds

    Must run in the process that hashed the boilerplate (see the module's docstring).
    """
    filtered = tokens["filtered"]
    hashes, hash_idx = get_document_fingerprints(filtered, k, guarantee - k + 1, boilerplate)
    return Fingerprint(student=tokens["student"], raw_code=tokens["code"], filtered_code=filtered,
                       offsets=np.asarray(tokens["offsets"], dtype=np.int64).reshape(-1, 2),
                       hashes=hashes, hash_idx=hash_idx, k=k,
                       token_coverage=get_token_coverage(hash_idx, k, len(filtered)))
