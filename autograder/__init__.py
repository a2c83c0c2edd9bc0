"""The course autograder: student code runs in a sandboxed child; every point is decided here.

See autograder/README.md for the map of the package.
"""
