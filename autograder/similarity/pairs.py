"""Pairs of submissions ranked by how many fingerprints they share.

The similarity of submission A to submission B is the share of A's
fingerprints (copydetect's winnowed k-gram hashes, the release's removed) that
B has too; a pair has two, and ranks by the larger, so that a copy padded with
code of its own still ranks high. Every pair of a class is scored at once: the
shared counts are the product of a sparse submissions x hashes matrix with its
transpose (an inverted index of the hashes), a fraction of a second for 1,000
submissions where comparing the 500,000 pairs one by one with copydetect's
compare_files would take minutes. compare_files then locates the copied code of
the pairs listed for review.
"""
import dataclasses

import numpy as np
from copydetect import compare_files
from scipy import sparse

CONTEXT = 10  # pairs below the threshold listed too, the closest first, for comparison
MAX_LISTED = 200  # pairs at or above the threshold listed at most (each with its code side by side)


@dataclasses.dataclass
class Pair:
    """
    Two submissions and what they share.

    - first, second: Their Fingerprints
    - similarity: (share of first's fingerprints that second has, share of second's that first has)
    - shared: How many fingerprints they have in common
    """
    first: object
    second: object
    similarity: tuple
    shared: int

    @property
    def score(self):
        """The pair's rank: the larger of its two similarities."""
        return max(self.similarity)

    def copied_regions(self):
        """
        Where the shared code is, as copydetect's compare_files finds it.

        Returns ((first's, second's) (2, M) int arrays of start and end indexes of
        copied regions in raw_code, (share of first's code, share of second's code)
        in those regions).
        """
        _, highlighted, slices = compare_files(self.first, self.second)
        return tuple(np.asarray(s, dtype=int).reshape(2, -1) for s in slices), tuple(float(h) for h in highlighted)


@dataclasses.dataclass
class Ranking:
    """
    - pairs: The pairs listed for review, best score first: every pair at or above
      the threshold (the MAX_LISTED best), then the CONTEXT best below it
    - flagged: How many pairs score at or above the threshold
    - scores: The score of every pair of submissions, a 1-D array
    """
    pairs: list
    flagged: int
    scores: np.ndarray


def shared_counts(fingerprints):
    """
    The number of fingerprints every two submissions have in common.

    Inputs:
    - fingerprints: A list of n Fingerprints

    Returns an (n, n) float array; the diagonal holds each one's own count.
    """
    sizes = [len(fp.hashes) for fp in fingerprints]
    every = np.fromiter((h for fp in fingerprints for h in fp.hashes), dtype=np.int64, count=sum(sizes))
    _, columns = np.unique(every, return_inverse=True)
    rows = np.repeat(np.arange(len(fingerprints)), sizes)
    incidence = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns.ravel())),
                                  shape=(len(fingerprints), int(columns.max(initial=-1)) + 1))
    return (incidence @ incidence.T).toarray()


def rank_pairs(fingerprints, *, threshold):
    """
    Score every pair of submissions and list those to review.

    Inputs:
    - fingerprints: A list of Fingerprints, each with at least one hash
    - threshold: Score in [0, 1] from which a pair is flagged

    Returns a Ranking.
    """
    shared = shared_counts(fingerprints)
    sizes = np.diag(shared)
    first, second = np.triu_indices(len(fingerprints), k=1)
    counts = shared[first, second]
    similarity = np.stack([counts / sizes[first], counts / sizes[second]]) if len(counts) else np.zeros((2, 0))
    scores = similarity.max(axis=0)
    order = np.argsort(-scores, kind="stable")
    flagged = int(np.count_nonzero(scores >= threshold))
    listed = np.concatenate([order[:min(flagged, MAX_LISTED)], order[flagged:flagged + CONTEXT]])
    pairs = [Pair(fingerprints[first[i]], fingerprints[second[i]], tuple(similarity[:, i].tolist()), int(counts[i]))
             for i in listed]
    return Ranking(pairs, flagged, scores)
