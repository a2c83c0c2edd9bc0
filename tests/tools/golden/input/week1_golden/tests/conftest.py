"""Public tests of the toy week: the week folder on sys.path, and the course's pytest plugin."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course.testing import *  # noqa: E402,F401,F403
