"""Which submissions of an assignment share their code: `python -m autograder similarity ASSIGNMENT`.

- code: the code each student wrote, out of the submitted notebooks (the release's left out)
- fingerprints: that code tokenized, normalized and fingerprinted with copydetect
- pairs: every pair scored by the fingerprints it shares; copied regions located
- compare: the whole comparison of an assignment, tokenizing on local or Dask workers
- page: the HTML report, reports/<assignment>/similarity.html
- report_run: the verb, similarity_report (keyword-only; autograder.cli parses its options)
"""

# The similarity from which a pair is flagged, unless --threshold or the course config's
# c.Similarity.threshold says otherwise. Copies disguised one way score 0.58 and more; the independent
# solutions of tests/test_similarity.py 0.11 and less, the most alike of bench/similarity.py's 1,000 0.42.
DEFAULT_THRESHOLD = 0.5
