"""`python -m autograder COMMAND`: the command line of autograder.cli."""
import sys

from .cli import main

sys.exit(main())
