"""Course staff and student tooling.

| module | command | job |
|---|---|---|
| `assignments.py` | `python -m tools.assignments generate / check` | `solutions/` -> `assignments/` (stubs, nbgrader notebook, public tests, handout) |
| `release.py` | `python -m tools.release --week N` | the student bundle released with week N, checked for leaks |
| `rubrics.py` | `python -m tools.rubrics` | the written questions' form, and their rubrics in `dist/rubrics/` |
| `student.py` | `python -m tools.student test / submission / notebook WEEK` | what students run |
| `markers.py` | | solution and hidden-test regions: parse, validate, stub |
| `student_notebook.py` | | nbgrader `generate_assignment` in a temporary course directory |
| `weeks.py` | | the table of weeks (names, graded files) and the WEEK argument; the autograder reads it too |
| `ziputil.py` | | byte-for-byte deterministic zip files |

The student bundle ships `tools/__init__.py`, `weeks.py`, `student.py` and `ziputil.py`, so those
four import nothing from the rest of the repository.
"""
