"""Which submissions of an assignment share their code: `python -m autograder similarity ASSIGNMENT`.

- code: the code each student wrote, out of the submitted notebooks (the release's left out)
- fingerprints: that code tokenized, normalized and fingerprinted with copydetect
- pairs: every pair scored by the fingerprints it shares; copied regions located
- compare: the whole comparison of an assignment, tokenizing on local or Dask workers
- page: the HTML report, reports/<assignment>/similarity.html
- command: the command line
"""

# The similarity from which a pair is flagged, unless the course config's c.Similarity.threshold or
# --threshold says otherwise: copies disguised one way score 0.6 and more, independent solutions 0.1 and
# less (tests/test_similarity.py).
DEFAULT_THRESHOLD = 0.3
