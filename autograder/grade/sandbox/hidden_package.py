"""
What a sandbox shows in place of a package it hides (sandbox.masked_paths): importing it fails as if it were
not installed.
"""
raise ModuleNotFoundError(f"No module named {__name__!r}", name=__name__)
