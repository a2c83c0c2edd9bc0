"""nbgrader configuration of the course.

`make assignments` (tools/student_notebook.py) runs `nbgrader generate_assignment` with this file in a
temporary course directory, setting the course root and the gradebook on the command line; the
gradebook tooling may reuse it. Keep the delimiters in step with tools/markers.py, and the instructor tag
in step with tools/instructor_notebook.py.
"""
from nbconvert.preprocessors import TagRemovePreprocessor
from nbgrader.converters import GenerateAssignment

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "deep_generative_models"

# Solution regions: the same markers as in the graded .py files, and the same one-line stub.
c.ClearSolutions.begin_solution_delimeter = "### BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "### END SOLUTION"
c.ClearSolutions.code_stub = {"python": "raise NotImplementedError"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.enforce_metadata = True      # a region outside a solution cell is an error

# Hidden tests in autograded cells are removed from the student notebook.
c.ClearHiddenTests.begin_test_delimeter = "### BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "### END HIDDEN TESTS"
c.ClearHiddenTests.enforce_metadata = True    # hidden tests outside a grade cell are an error

# The student notebook carries no outputs, execution counts or execution timings (JupyterLab's
# `execution`, the ExecuteTime extension's `ExecuteTime`): all would vary from run to run.
c.ClearOutput.remove_metadata_fields = {"collapsed", "scrolled", "execution", "ExecuteTime"}

# Cells of the master tagged `instructor` (the instructor notebook's header, the import of the reference, notes
# on what a correct implementation shows, the cells that record reference results) are dropped before any of
# nbgrader's own steps, so that neither the student notebook nor the gradebook ever holds them.
c.GenerateAssignment.preprocessors = [TagRemovePreprocessor, *GenerateAssignment.class_traits()["preprocessors"].default()]
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = {"instructor"}
