"""Public tests of Week 4. Run them with: make test-week WEEK=4"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # the week folder: gan.py

from course.testing import *  # noqa: F403  (seeding, one thread, "not implemented yet" reports)
